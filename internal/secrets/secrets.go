// Package secrets reads the secret Helm values of one hub-env for render:
// deployments/<hub>/secrets/<env>.yaml (or any file of values), in
// plaintext (a git-crypt checkout that is unlocked), or encrypted by sops
// (decrypted by running `sops --decrypt`). It refuses git-crypt ciphertext
// and, unless asked for placeholders, a secret stub that was never filled
// in. Placeholders are fake values, deterministic and valid for the charts,
// for tests and review; they are never real secrets.
//
// Nothing here writes secret values anywhere.
package secrets

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/input"
	"github.com/pangeo-data/pangeo-gen/internal/secretscan"
)

// SopsCommand is the sops program, looked up on PATH.
const SopsCommand = "sops"

// ErrEncrypted: the file is git-crypt ciphertext.
var ErrEncrypted = errors.New("secrets are encrypted: run git-crypt unlock")

// Stdin as the path of a secrets file (--secrets -) is standard input.
const Stdin = "-"

// StdinName is what messages call standard input as a secrets file.
const StdinName = "standard input (--secrets -)"

// Read reads the secrets file at path with the size limit of
// internal/input (input.Limit: 16 MiB unless $PANGEO_GEN_MAX_FILE_BYTES
// says otherwise), regular files only: a device (/dev/zero), a FIFO or a
// folder is refused at once. path Stdin reads stdin, with the same limit.
func Read(path string, stdin io.Reader) ([]byte, error) {
	if path == Stdin {
		if stdin == nil {
			return nil, fmt.Errorf("%s: no standard input here", StdinName)
		}
		return input.ReadAll(StdinName, stdin)
	}
	return input.ReadFile(path)
}

// Load reads the secret values of hub's environment env from the file at
// path (Read, with no standard input; see Parse).
func Load(path, hub, env string, placeholder bool) (map[string]any, error) {
	data, err := Read(path, nil)
	if err != nil {
		return nil, err
	}
	return Parse(context.Background(), path, data, hub, env, placeholder)
}

// Parse returns the chart values of data, the bytes of the secrets file at
// path (Stdin: read from standard input):
//
//   - git-crypt ciphertext (a locked checkout) is an error wrapping
//     ErrEncrypted;
//   - a sops-encrypted file is decrypted by `sops --decrypt path`, or for
//     Stdin by `sops decrypt` reading data, YAML, on its standard input
//     (sops must be on PATH, with access to the hub's key);
//   - plaintext is taken as it is.
//
// A value still holding gen.Placeholder (CHANGEME, as in the stubs gen
// writes) is an error unless placeholder is set: then every such value is
// replaced as Placeholders does.
func Parse(ctx context.Context, path string, data []byte, hub, env string, placeholder bool) (map[string]any, error) {
	file := path
	if path == Stdin {
		path = StdinName
	}
	switch secretscan.Classify(data) {
	case secretscan.GitCrypt:
		return nil, fmt.Errorf("%s: %w (as a holder of the hub's git-crypt key), or pass --secrets FILE", path, ErrEncrypted)
	case secretscan.Sops:
		var err error
		if data, err = decryptSops(ctx, file, data); err != nil {
			return nil, err
		}
	}
	var values map[string]any
	if err := yaml.Unmarshal(data, &values); err != nil {
		return nil, fmt.Errorf("%s: not YAML values: %w", path, err)
	}
	if len(values) == 0 {
		return nil, fmt.Errorf("%s holds no values", path)
	}
	if values["type"] == "service_account" || values["private_key"] != nil {
		return nil, fmt.Errorf("%s is a provider credential file, not Helm values: give the hub's secrets/<env>.yaml", path)
	}
	stubbed := stubPaths(values)
	if len(stubbed) == 0 {
		return values, nil
	}
	if !placeholder {
		if gen.IsStub(data) {
			return nil, fmt.Errorf("%s is an unfilled secret stub: replace every %s value (see the hub's README) and encrypt it, pass --secrets FILE, or pass --placeholder-secrets to render with fake values",
				path, gen.Placeholder)
		}
		return nil, fmt.Errorf("%s still holds %s at %s: fill them in, or pass --placeholder-secrets to render with fake values",
			path, gen.Placeholder, strings.Join(stubbed, ", "))
	}
	return Placeholders(values, hub, env), nil
}

// decryptSops runs `sops --decrypt path` and returns its output; for
// Stdin, `sops decrypt --input-type yaml --output-type yaml` with data on
// its standard input (sops 3.9 or later).
func decryptSops(ctx context.Context, path string, data []byte) ([]byte, error) {
	name, args := path, []string{"--decrypt", path}
	if path == Stdin {
		name, args = StdinName, []string{"decrypt", "--input-type", "yaml", "--output-type", "yaml"}
	}
	bin, err := exec.LookPath(SopsCommand)
	if err != nil {
		return nil, fmt.Errorf("%s is encrypted with sops, but sops is not installed (no %s on PATH): install sops and get access to the hub's key, or pass --secrets FILE with the decrypted values", name, SopsCommand)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	if path == Stdin {
		cmd.Stdin = bytes.NewReader(data)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("%s: sops %s failed: %s", name, args[0], msg)
	}
	return out, nil
}

// stubPaths are the paths (a.b[0].c) of the string values that hold
// gen.Placeholder, sorted.
func stubPaths(values map[string]any) []string {
	var paths []string
	walk(values, "", func(path string, s string) string {
		if strings.Contains(s, gen.Placeholder) {
			paths = append(paths, path)
		}
		return s
	})
	sort.Strings(paths)
	return paths
}

// walk calls f on every string leaf of v with its path and replaces the
// leaf with what f returns; it returns the new tree (v is not modified).
func walk(v any, path string, f func(path, s string) string) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			p := k
			if path != "" {
				p = path + "." + k
			}
			out[k] = walk(e, p, f)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = walk(e, path+"["+strconv.Itoa(i)+"]", f)
		}
		return out
	case string:
		return f(path, v)
	}
	return v
}

// Placeholders returns stub (secret values, as a stub gen writes holds them)
// with every string value that holds gen.Placeholder replaced by a fake
// value derived from hub, env and the value's path (a.b[0].c), the same on
// every run:
//
//   - a value the stub says to make with `openssl rand -hex 32` (proxy
//     token, cookie secret, CryptKeeper key, API tokens) becomes 64 hex
//     digits, as the charts and JupyterHub require, the first 16 of them
//     zeros so that it reads as fake: 0000000000000000 and 48 hex digits of
//     sha256(hub/env/path);
//   - any other (OAuth client id and secret) becomes "placeholder-" and 32
//     hex digits of that hash.
//
// Values the stub says must be equal ("the same value in ...") get the same
// placeholder: they are derived from that text instead of their path.
// stub is not modified.
func Placeholders(stub map[string]any, hub, env string) map[string]any {
	out, _ := walk(stub, "", func(path, s string) string {
		if !strings.Contains(s, gen.Placeholder) {
			return s
		}
		return placeholder(hub, env, path, s)
	}).(map[string]any)
	return out
}

// PlaceholderPrefix starts every placeholder that need not be hex.
const PlaceholderPrefix = "placeholder-"

// hexPlaceholderPrefix starts every hex placeholder.
const hexPlaceholderPrefix = "0000000000000000"

func placeholder(hub, env, path, stubValue string) string {
	seed := hub + "/" + env + "/" + path
	if i := strings.Index(stubValue, "the same value in"); i >= 0 {
		seed = hub + "/" + env + "/" + stubValue[i:]
	}
	sum := sha256.Sum256([]byte(seed))
	h := hex.EncodeToString(sum[:])
	if strings.Contains(stubValue, "-hex 32") {
		return hexPlaceholderPrefix + h[:64-len(hexPlaceholderPrefix)]
	}
	return PlaceholderPrefix + h[:32]
}

// IsPlaceholder reports whether s is a value Placeholders makes.
func IsPlaceholder(s string) bool {
	isHex := func(s string) bool {
		_, err := hex.DecodeString(s)
		return err == nil
	}
	if rest, ok := strings.CutPrefix(s, PlaceholderPrefix); ok {
		return len(rest) == 32 && isHex(rest)
	}
	return len(s) == 64 && strings.HasPrefix(s, hexPlaceholderPrefix) && isHex(s)
}
