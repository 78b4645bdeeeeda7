// Package secretscan finds plaintext secret material (private keys, cloud
// credentials, API tokens, high-entropy values of secret-named keys) in a
// file's bytes, and tells whether a file is encrypted with git-crypt or sops.
// It never returns the secrets it finds, only where they are.
package secretscan

import (
	"bytes"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Match is one piece of plaintext secret material found in a file. It never
// carries the secret itself.
type Match struct {
	// Line is the 1-based line of the secret's first byte.
	Line int
	// Col is the 1-based byte column of the secret's first byte, as in Go's
	// go/token positions.
	Col int
	// Kind says what was found: one of the Kind constants.
	Kind string
}

// Kinds of secret material Scan reports.
const (
	// KindPEMPrivateKey is a PEM private key block (RSA, EC, DSA, OpenSSH,
	// PKCS#8, encrypted PKCS#8, PGP) with a real base64 body.
	KindPEMPrivateKey = "PEM private key"
	// KindGCPServiceAccountKey is a PEM private key as the "private_key" of a
	// GCP service account key file (JSON, newlines escaped as \n).
	KindGCPServiceAccountKey = "GCP service account key"
	// KindAWSAccessKeyID is an AWS access key id (AKIA..., ASIA...).
	KindAWSAccessKeyID = "AWS access key id"
	// KindAWSSecretAccessKey is the 40-character value of an
	// aws_secret_access_key (or SecretAccessKey) key.
	KindAWSSecretAccessKey = "AWS secret access key"
	// KindGitHubToken is a GitHub token (ghp_, gho_, ghu_, ghs_, ghr_,
	// github_pat_).
	KindGitHubToken = "GitHub token"
	// KindGoogleAPIKey is a Google API key (AIza...).
	KindGoogleAPIKey = "Google API key"
	// KindSlackToken is a Slack token (xoxa-, xoxb-, xoxp-, xoxr-, xoxs-).
	KindSlackToken = "Slack token"
	// KindHexSecret is a high-entropy hex string of at least 32 characters as
	// the value of a secret-named key (secretToken, apiToken, cookieSecret,
	// client_secret, password, keys...).
	KindHexSecret = "hex secret"
	// KindBase64Secret is a high-entropy base64 (or base64url) string of at
	// least 32 characters as the value of a secret-named key.
	KindBase64Secret = "base64 secret"
)

// Scan returns the secret material in data, a file's bytes, in the order it
// appears. path is the file's name; it decides nothing (every rule applies to
// every file, whatever its name or extension), it is accepted so that rules
// may be tuned by extension.
//
// Obvious placeholders are not reported: PEM bodies of X's, CHANGEME or an
// ellipsis, runs of X's, values containing "CHANGEME", "placeholder",
// "example" or "redacted" (in any case), AWS's documented example keys, and
// strings of too little entropy or that repeat a short pattern.
func Scan(path string, data []byte) []Match {
	var s scanner
	s.data = data
	s.pem()
	s.tokens()
	s.keyValues()
	return s.result()
}

// found is a match with the byte span it covers, before deduplication.
type found struct {
	start, end int
	kind       string
	generic    bool // from a secret-named key: yields to a specific rule
}

type scanner struct {
	data  []byte
	found []found
}

func (s *scanner) add(start, end int, kind string, generic bool) {
	s.found = append(s.found, found{start, end, kind, generic})
}

// result drops generic matches that overlap a specific one (a GitHub token as
// the value of apiToken is a GitHub token, a PEM body line under
// privateKey: | is part of the PEM key) and converts offsets to positions.
func (s *scanner) result() []Match {
	var specific []found
	for _, f := range s.found {
		if !f.generic {
			specific = append(specific, f)
		}
	}
	var keep []found
	starts := map[int]bool{}
	for _, f := range s.found {
		if f.generic && slices.ContainsFunc(specific, func(g found) bool {
			return g.start < f.end && f.start < g.end
		}) {
			continue
		}
		if !starts[f.start] {
			starts[f.start] = true
			keep = append(keep, f)
		}
	}
	if len(keep) == 0 {
		return nil // most files: no line table to build
	}
	slices.SortFunc(keep, func(a, b found) int { return a.start - b.start })
	// lineStarts[i] is the offset of line i+1.
	lineStarts := []int{0}
	for i, c := range s.data {
		if c == '\n' {
			lineStarts = append(lineStarts, i+1)
		}
	}
	var out []Match
	for _, f := range keep {
		line, found := slices.BinarySearch(lineStarts, f.start)
		if !found {
			line-- // inside the line that starts before f.start
		}
		out = append(out, Match{Line: line + 1, Col: f.start - lineStarts[line] + 1, Kind: f.kind})
	}
	return out
}

// PEM private keys.

var (
	pemBeginRE = regexp.MustCompile(`-----BEGIN ((?:RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY(?: BLOCK)?-----`)
	// gcpKeyRE ends the text before a GCP service account's private key.
	gcpKeyRE = regexp.MustCompile(`"private_key"\s*:\s*"$`)
)

func (s *scanner) pem() {
	for _, loc := range pemBeginRE.FindAllIndex(s.data, -1) {
		bodyStart := loc[1]
		rest := s.data[bodyStart:]
		rest = rest[:min(len(rest), 64<<10)]
		if i := bytes.Index(rest, []byte("-----")); i >= 0 {
			rest = rest[:i] // the body stops at the END line, or the next BEGIN
		}
		bodyEnd := bodyStart + len(rest)
		end := bodyEnd
		if bytes.HasPrefix(s.data[bodyEnd:], []byte("-----END ")) {
			end = bodyEnd + len("-----END ")
			if j := bytes.Index(s.data[end:min(len(s.data), end+40)], []byte("-----")); j >= 0 {
				end += j + len("-----")
			}
		} else if i := unescapedQuote(rest); i >= 0 {
			// A JSON string cut short: the key ends with the string.
			bodyEnd = bodyStart + i
			end = bodyEnd
		}
		if !realPEMBody(s.data[bodyStart:bodyEnd]) {
			continue
		}
		kind := KindPEMPrivateKey
		before := s.data[max(0, loc[0]-64):loc[0]]
		if gcpKeyRE.Match(before[bytes.LastIndexByte(before, '\n')+1:]) {
			kind = KindGCPServiceAccountKey
		}
		s.add(loc[0], end, kind, false)
	}
}

// unescapedQuote is the index of the first '"' in b not escaped by '\', or -1.
func unescapedQuote(b []byte) int {
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

// realPEMBody reports whether a PEM body holds key material: once line
// breaks (real or escaped as \n), PEM headers (Proc-Type: ...) and quoting
// are removed, at least 48 base64 characters of some variety, and no
// placeholder (X's, CHANGEME, an ellipsis that shortens it).
func realPEMBody(body []byte) bool {
	var b strings.Builder
	text := strings.ReplaceAll(string(body), `\r`, "")
	for _, line := range strings.Split(strings.ReplaceAll(text, `\n`, "\n"), "\n") {
		line = strings.Trim(line, " \t\r\"',")
		if strings.Contains(line, ":") { // Proc-Type:, DEK-Info:, Version:
			continue
		}
		b.WriteString(line)
	}
	key := b.String()
	if isPlaceholder(key) || strings.Contains(key, "...") || strings.Contains(key, "…") {
		return false
	}
	if len(key) < 48 || distinct(key) < 16 {
		return false
	}
	return strings.Trim(key, base64Chars+"=") == ""
}

// Tokens with a recognisable shape.

// tokenRule is a token format: re matches it, and the bytes just before and
// just after it must not be in word (or it is part of a longer string).
type tokenRule struct {
	kind string
	re   *regexp.Regexp
	word string
	// tail is where the random part starts.
	tail int
}

const (
	alnum       = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	base64Chars = alnum + "+/"
	hexChars    = "0123456789abcdefABCDEF"
)

var tokenRules = []tokenRule{
	{KindAWSAccessKeyID, regexp.MustCompile(`(?:AKIA|ASIA)[A-Z0-9]{16}`), alnum, 4},
	{KindGitHubToken, regexp.MustCompile(`gh[pousr]_[A-Za-z0-9]{36,255}`), alnum + "_", 4},
	{KindGitHubToken, regexp.MustCompile(`github_pat_[A-Za-z0-9_]{50,255}`), alnum + "_", 11},
	{KindGoogleAPIKey, regexp.MustCompile(`AIza[0-9A-Za-z_-]{35}`), alnum + "_-", 4},
	{KindSlackToken, regexp.MustCompile(`xox[abprs]-[0-9A-Za-z-]{10,250}`), alnum + "-", 5},
}

func (s *scanner) tokens() {
	for _, r := range tokenRules {
		for _, loc := range r.re.FindAllIndex(s.data, -1) {
			if loc[0] > 0 && strings.IndexByte(r.word, s.data[loc[0]-1]) >= 0 {
				continue
			}
			if loc[1] < len(s.data) && strings.IndexByte(r.word, s.data[loc[1]]) >= 0 {
				continue
			}
			tok := string(s.data[loc[0]:loc[1]])
			if isPlaceholder(tok) || !random(tok[r.tail:]) {
				continue
			}
			s.add(loc[0], loc[1], r.kind, false)
		}
	}
}

// Values of secret-named keys.

// keyPattern finds a key and its separator: YAML "key: ", JSON "\"key\": ",
// INI/dotenv/Python "key = ". The key must not continue a longer word.
// findKey matches it by hand (the regexp's backtracking was most of a
// vet's scan); its tests hold findKey to this regexp.
const keyPattern = `(?:^|[^A-Za-z0-9_.-])["']?([A-Za-z_][A-Za-z0-9_.-]*)["']?[ \t]*[:=][ \t]*`

// findKey is the leftmost-first match of keyPattern in b: the key is
// b[key:keyEnd] and the match ends at end (after the separator and the
// blanks that follow it). Every part of the pattern but the first is
// deterministic (a key is its whole run of key characters, an optional
// quote is taken when there is one), so a match at a start is checked
// in one pass; the starts are tried in order as the regexp does, at the
// beginning of b ('^') then after each character (rune) that cannot be
// in a key.
func findKey(b []byte) (key, keyEnd, end int, ok bool) {
	for s := 0; s < len(b); {
		if s == 0 {
			if key, keyEnd, end, ok = keyAt(b, 0); ok {
				return key, keyEnd, end, true
			}
		}
		c, w := b[s], 1
		if c >= utf8.RuneSelf {
			_, w = utf8.DecodeRune(b[s:])
		}
		if !isKeyByte(c) {
			if key, keyEnd, end, ok = keyAt(b, s+w); ok {
				return key, keyEnd, end, true
			}
		}
		s += w
	}
	return 0, 0, 0, false
}

// keyAt matches keyPattern after its first part at b[p:]: an optional
// quote, the key, an optional quote, blanks, ':' or '=', blanks.
func keyAt(b []byte, p int) (key, keyEnd, end int, ok bool) {
	k := p
	if k < len(b) && (b[k] == '"' || b[k] == '\'') {
		k++
	}
	if k >= len(b) || !(b[k] == '_' || 'a' <= b[k]|0x20 && b[k]|0x20 <= 'z') {
		return 0, 0, 0, false
	}
	e := k + 1
	for e < len(b) && isKeyByte(b[e]) {
		e++
	}
	q := e
	if q < len(b) && (b[q] == '"' || b[q] == '\'') {
		q++
	}
	for q < len(b) && (b[q] == ' ' || b[q] == '\t') {
		q++
	}
	if q >= len(b) || (b[q] != ':' && b[q] != '=') {
		return 0, 0, 0, false
	}
	q++
	for q < len(b) && (b[q] == ' ' || b[q] == '\t') {
		q++
	}
	return k, e, q, true
}

// isKeyByte reports whether c is in [A-Za-z0-9_.-].
func isKeyByte(c byte) bool {
	return 'a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-'
}

// secretKeySuffixes are the endings of secret-named keys, lower case without
// '_', '-' and '.': secretToken, api_token, cookieSecret, client_secret,
// password, CryptKeeper.keys, JUPYTERHUB_CRYPT_KEY...
var secretKeySuffixes = []string{
	"secret", "secrets", "token", "tokens", "password", "passwords", "passwd",
	"passphrase", "apikey", "apikeys", "secretkey", "privatekey", "accesskey",
	"signingkey", "encryptionkey", "cryptkey", "authkey", "masterkey", "keys",
}

// normalizeKey lower-cases a key and drops '_', '-' and '.'.
func normalizeKey(key string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '_', '-', '.':
			return -1
		}
		return r
	}, strings.ToLower(key))
}

func secretNamed(key string) bool {
	k := normalizeKey(key)
	if strings.Contains(k, "public") {
		return false
	}
	for _, s := range secretKeySuffixes {
		if strings.HasSuffix(k, s) {
			return true
		}
	}
	return false
}

// continuation is what a secret-named key with no value on its line
// continues with.
type continuation int

const (
	none      continuation = iota
	yamlList               // "keys:" then "- value" lines
	yamlBlock              // "password: |" then indented lines
	flowList               // "keys: [" then "value," lines until "]"
)

func (s *scanner) keyValues() {
	var (
		cont   continuation
		keyCol int    // column of the key that opened cont
		key    string // that key
	)
	offset := 0
	// The lines as bytes.SplitAfter(s.data, "\n") cuts them (a last,
	// empty one after a final newline included), without the slice of them.
	rest := s.data
	for more := true; more; {
		var line []byte
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i+1], rest[i+1:]
		} else {
			line, rest, more = rest, nil, false
		}
		lineStart := offset
		offset += len(line)
		line = bytes.TrimRight(line, "\r\n")
		indent := len(line) - len(bytes.TrimLeft(line, " \t"))
		trimmed := bytes.TrimSpace(line)
		switch cont {
		case yamlList:
			if len(trimmed) == 0 || trimmed[0] == '#' {
				continue
			}
			if indent >= keyCol && (bytes.HasPrefix(trimmed, []byte("- ")) || bytes.Equal(trimmed, []byte("-"))) {
				at := indent + 1
				for at < len(line) && (line[at] == ' ' || line[at] == '\t') {
					at++
				}
				// The item is a scalar, or a mapping ("- password: ...")
				// whose keys the loop below looks at.
				s.value(key, line, lineStart, at)
				break
			}
			cont = none
		case yamlBlock:
			if len(trimmed) == 0 {
				continue
			}
			if indent > keyCol {
				s.candidate(key, lineStart+indent, string(trimmed))
				continue
			}
			cont = none
		case flowList:
			if s.listItems(key, line, lineStart, 0) {
				cont = none
			}
			continue
		}
		pos := 0
		// A key needs a ':' or '=': a line (or rest of one) without either
		// is not searched.
		for pos < len(line) && bytes.IndexAny(line[pos:], ":=") >= 0 {
			ks, ke, end, ok := findKey(line[pos:])
			if !ok {
				break
			}
			k := string(line[pos+ks : pos+ke])
			at := pos + end
			if !secretNamed(k) {
				pos = pos + ke
				continue
			}
			rest := bytes.TrimSpace(line[at:])
			switch {
			case len(rest) == 0 || rest[0] == '#':
				cont, keyCol, key = yamlList, pos+ks, k
			case rest[0] == '|' || rest[0] == '>':
				if len(bytes.Trim(rest[1:], "+-0123456789 \t")) == 0 {
					cont, keyCol, key = yamlBlock, pos+ks, k
				}
			case rest[0] == '[':
				if !s.listItems(k, line, lineStart, at+1) {
					cont, keyCol, key = flowList, pos+ks, k
				}
				at = len(line)
			default:
				at = s.value(k, line, lineStart, at)
			}
			pos = max(at, pos+end)
		}
	}
}

// value checks the scalar at line[at:], quoted or bare, as the value of key,
// and returns the index just past it.
func (s *scanner) value(key string, line []byte, lineStart, at int) int {
	if at >= len(line) {
		return at
	}
	switch q := line[at]; q {
	case '"', '\'':
		end := at + 1
		for end < len(line) && line[end] != q {
			if line[end] == '\\' && q == '"' {
				end++
			}
			end++
		}
		if end >= len(line) { // unterminated: not a value we understand
			return len(line)
		}
		s.candidate(key, lineStart+at+1, string(line[at+1:end]))
		return end + 1
	}
	end := at
	for end < len(line) && !strings.ContainsRune(" \t,;}]#\"'", rune(line[end])) {
		end++
	}
	s.candidate(key, lineStart+at, string(line[at:end]))
	return end
}

// listItems checks the items of a flow list (JSON array) in line[at:], and
// reports whether the list ends on this line.
func (s *scanner) listItems(key string, line []byte, lineStart, at int) bool {
	for at < len(line) {
		switch line[at] {
		case ' ', '\t', ',':
			at++
		case ']':
			return true
		default:
			at = max(s.value(key, line, lineStart, at), at+1)
		}
	}
	return false
}

var secretAccessKeyRE = regexp.MustCompile(`^[A-Za-z0-9/+]{40}$`)

// candidate reports v, at offset start, if it is secret material as the
// value of key.
func (s *scanner) candidate(key string, start int, v string) {
	if len(v) < 32 || isPlaceholder(v) {
		return
	}
	if strings.HasSuffix(normalizeKey(key), "secretaccesskey") && secretAccessKeyRE.MatchString(v) {
		if entropy(v) >= 3.5 && !periodic(v) {
			s.add(start, start+len(v), KindAWSSecretAccessKey, true)
		}
		return
	}
	if kind := highEntropyKind(v); kind != "" {
		s.add(start, start+len(v), kind, true)
	}
}

// highEntropyKind is KindHexSecret or KindBase64Secret when v is a random
// looking hex or base64 string of at least 32 characters, or "".
func highEntropyKind(v string) string {
	if len(v) < 32 || periodic(v) {
		return ""
	}
	if strings.Trim(v, hexChars) == "" {
		if strings.ContainsAny(v, "0123456789") && strings.ContainsAny(v, "abcdefABCDEF") && entropy(v) >= 3.0 {
			return KindHexSecret
		}
		return ""
	}
	body := strings.TrimRight(v, "=")
	if len(v)-len(body) > 2 || strings.Trim(body, alnum+"+/_-") != "" {
		return ""
	}
	if strings.ContainsAny(body, "0123456789") && strings.ContainsAny(body, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") &&
		strings.ContainsAny(body, "abcdefghijklmnopqrstuvwxyz") && entropy(body) >= 4.0 {
		return KindBase64Secret
	}
	return ""
}

// Placeholders and randomness.

var placeholderWords = []string{"changeme", "change_me", "change-me", "placeholder", "example", "redacted", "xxxxxxxx"}

// isPlaceholder reports whether s is evidently not a real secret: it
// contains CHANGEME, placeholder, example (AWS's documented
// AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY),
// redacted or a run of 8 X's, in any case.
func isPlaceholder(s string) bool {
	l := strings.ToLower(s)
	for _, w := range placeholderWords {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// random reports whether the random part of a token looks random: varied
// and not a repeated pattern.
func random(s string) bool {
	return distinct(s) >= 6 && !periodic(s)
}

// distinct counts the distinct bytes of s.
func distinct(s string) int {
	var seen [256]bool
	n := 0
	for i := 0; i < len(s); i++ {
		if !seen[s[i]] {
			seen[s[i]] = true
			n++
		}
	}
	return n
}

// periodic reports whether s repeats a pattern of at most half its length
// and at most 64 bytes ("0123456789abcdef0123456789abcdef").
func periodic(s string) bool {
	for p := 1; p <= min(len(s)/2, 64); p++ {
		if s[p:] == s[:len(s)-p] {
			return true
		}
	}
	return false
}

// entropy is the Shannon entropy of s's bytes, in bits per byte.
func entropy(s string) float64 {
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	var h float64
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / float64(len(s))
			h -= p * math.Log2(p)
		}
	}
	return h
}
