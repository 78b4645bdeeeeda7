package secretscan

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"

	"gopkg.in/yaml.v3"
)

// Encryption says how a file is protected.
type Encryption int

// How a file may be protected.
const (
	// Plaintext is not encrypted.
	Plaintext Encryption = iota
	// GitCrypt is encrypted by git-crypt: the file starts with
	// "\x00GITCRYPT\x00".
	GitCrypt
	// Sops is encrypted by sops: its values are ENC[...] and its metadata
	// (a top-level sops map, or sops_ keys) carries the MAC.
	Sops
)

// String is "plaintext", "git-crypt" or "sops".
func (e Encryption) String() string {
	switch e {
	case Plaintext:
		return "plaintext"
	case GitCrypt:
		return "git-crypt"
	case Sops:
		return "sops"
	}
	return "Encryption(?)"
}

// gitCryptHeader starts every file git-crypt has encrypted.
const gitCryptHeader = "\x00GITCRYPT\x00"

// Classify says how data, a file's bytes, is protected: GitCrypt when it
// starts with the bytes "\x00GITCRYPT\x00"; Sops when it is a YAML or JSON
// document with a top-level "sops" map holding "mac" or "lastmodified", or
// an INI or dotenv file with sops metadata (a [sops] section with mac or
// lastmodified, or sops_mac= / sops_lastmodified= lines); Plaintext
// otherwise.
func Classify(data []byte) Encryption {
	if bytes.HasPrefix(data, []byte(gitCryptHeader)) {
		return GitCrypt
	}
	if !bytes.Contains(data, []byte("sops")) ||
		!(bytes.Contains(data, []byte("mac")) || bytes.Contains(data, []byte("lastmodified"))) {
		return Plaintext
	}
	if sopsJSON(data) || sopsDotenvOrINI(data) || sopsYAML(data) {
		return Sops
	}
	return Plaintext
}

// sopsJSON reports whether data is a JSON object with a top-level sops
// object holding mac or lastmodified. (YAML decoding would do, but sops
// JSON may be indented with tabs, which YAML refuses.)
func sopsJSON(data []byte) bool {
	if t := bytes.TrimSpace(data); len(t) == 0 || t[0] != '{' {
		return false
	}
	var doc struct {
		Sops map[string]json.RawMessage `json:"sops"`
	}
	if json.Unmarshal(data, &doc) != nil {
		return false
	}
	_, mac := doc.Sops["mac"]
	_, lastModified := doc.Sops["lastmodified"]
	return mac || lastModified
}

// sopsYAML reports whether a document of data (YAML, or JSON, which is
// YAML) has a top-level sops map with mac or lastmodified.
func sopsYAML(data []byte) bool {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			return false
		}
		if len(doc.Content) == 0 {
			continue
		}
		if sops := mapValue(doc.Content[0], "sops"); sops != nil && sops.Kind == yaml.MappingNode &&
			(mapValue(sops, "mac") != nil || mapValue(sops, "lastmodified") != nil) {
			return true
		}
	}
}

// mapValue is the value of key in a mapping node, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// sopsDotenvOrINI reports whether data is a dotenv file with sops_mac= or
// sops_lastmodified= lines, or an INI file with a [sops] section holding
// mac or lastmodified. Every line must be blank, a comment, a [section] or
// a key=value, as sops's own parsers require: a file that merely quotes such
// lines (a test, a README) is not encrypted.
func sopsDotenvOrINI(data []byte) bool {
	inSops, found := false, false
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line[0] == '[' && line[len(line)-1] == ']':
			inSops = line == "[sops]"
			continue
		}
		key, _, ok := strings.Cut(line, "=")
		if !ok {
			return false
		}
		key = strings.TrimSpace(key)
		if key == "sops_mac" || key == "sops_lastmodified" || inSops && (key == "mac" || key == "lastmodified") {
			found = true
		}
	}
	return found && sc.Err() == nil
}
