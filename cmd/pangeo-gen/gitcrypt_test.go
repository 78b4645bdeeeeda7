package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pangeo-data/pangeo-gen/internal/release/releasetest"
	"github.com/pangeo-data/pangeo-gen/internal/secretscan"
	"github.com/pangeo-data/pangeo-gen/internal/tooltest"
)

// pangeoGen runs pangeo-gen with args and returns its exit code, stdout
// and stderr.
func pangeoGen(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestGitCrypt runs the git-crypt workflow on a repository made here with
// the federation's hubs: gen, git-crypt init, a filled secrets file
// committed through the filter, then locked and unlocked again. vet accepts
// the secrets file locked (ciphertext) and unlocked (plaintext, the key
// present); render refuses it locked, saying to unlock, and renders the
// values unlocked.
func TestGitCrypt(t *testing.T) {
	paths := tooltest.Need(t, "git", "git-crypt")
	gitBin, gitCrypt := paths[0], paths[1]
	// No configuration of the user's; commits need an identity.
	home := t.TempDir()
	for k, v := range map[string]string{
		"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, ".config"), "GIT_CONFIG_NOSYSTEM": "1",
		"GIT_AUTHOR_NAME": "Pangeo Test", "GIT_AUTHOR_EMAIL": "test@pangeo.example.org",
		"GIT_COMMITTER_NAME": "Pangeo Test", "GIT_COMMITTER_EMAIL": "test@pangeo.example.org",
	} {
		t.Setenv(k, v)
	}
	src := repoRoot(t)
	repo := t.TempDir()
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = repo
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s %s: %v\n%s%s", filepath.Base(name), strings.Join(args, " "), err, stdout.String(), stderr.String())
		}
		return stdout.String()
	}
	for _, d := range []string{"cue.mod", "schema", "hubs"} {
		if err := copyDir(filepath.Join(src, d), filepath.Join(repo, d)); err != nil {
			t.Fatal(err)
		}
	}
	run(gitBin, "init", "-q", "-b", "main")
	run(gitBin, "config", "commit.gpgsign", "false")
	if code, _, stderr := pangeoGen(t, "--root", repo, "gen"); code != 0 {
		t.Fatalf("gen: exit %d\n%s", code, stderr)
	}
	const hubName, env = "alpha", "staging"
	attrs, err := os.ReadFile(filepath.Join(repo, "deployments", hubName, ".gitattributes"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(attrs), "secrets/** filter=git-crypt diff=git-crypt") {
		t.Fatalf("deployments/%s/.gitattributes routes no secrets through git-crypt:\n%s", hubName, attrs)
	}
	run(gitCrypt, "init")
	rel := filepath.Join("deployments", hubName, "secrets", env+".yaml")
	secretsFile := filepath.Join(repo, rel)
	stub, err := os.ReadFile(secretsFile)
	if err != nil {
		t.Fatal(err)
	}
	filled, values, err := tooltest.Fill(stub)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secretsFile, filled, 0o644); err != nil {
		t.Fatal(err)
	}
	run(gitBin, "add", "-A")
	run(gitBin, "commit", "-q", "-m", "federation with secrets")
	if committed := run(gitBin, "show", "HEAD:"+filepath.ToSlash(rel)); secretscan.Classify([]byte(committed)) != secretscan.GitCrypt {
		t.Fatalf("%s was committed unencrypted:\n%s", rel, committed)
	}
	key := filepath.Join(t.TempDir(), "git-crypt.key")
	run(gitCrypt, "export-key", key)

	chart := filepath.Join(t.TempDir(), "chart")
	if err := releasetest.WriteUmbrella(chart, src); err != nil {
		t.Fatal(err)
	}
	render := []string{"--root", repo, "render", hubName, "--env", env, "--chart", chart, "--offline"}
	keyFile := filepath.Join(repo, ".git", "git-crypt", "keys", "default")
	unlocked := func(state string) {
		t.Helper()
		if _, err := os.Stat(keyFile); err != nil {
			t.Fatalf("%s: no git-crypt key in the checkout: %v", state, err)
		}
		if data, err := os.ReadFile(secretsFile); err != nil || !bytes.Equal(data, filled) {
			t.Fatalf("%s: %s is not the plaintext committed (err %v)", state, rel, err)
		}
		if code, stdout, stderr := pangeoGen(t, "--root", repo, "vet"); code != 0 {
			t.Errorf("%s: vet: exit %d\n%s%s", state, code, stdout, stderr)
		}
		code, stdout, stderr := pangeoGen(t, render...)
		if code != 0 {
			t.Fatalf("%s: render: exit %d\n%s", state, code, stderr)
		}
		for _, path := range []string{"jupyterhub.proxy.secretToken", "jupyterhub.hub.cookieSecret", "jupyterhub.hub.config.GitHubOAuthenticator.client_secret"} {
			if v := values[path]; v == "" || !strings.Contains(stdout, v) {
				t.Errorf("%s: the rendered stream lacks %s (%q)", state, path, v)
			}
		}
	}
	unlocked("unlocked after init")

	run(gitCrypt, "lock")
	data, err := os.ReadFile(secretsFile)
	if err != nil {
		t.Fatal(err)
	}
	if secretscan.Classify(data) != secretscan.GitCrypt {
		t.Fatalf("locked: %s is not git-crypt ciphertext", rel)
	}
	if _, err := os.Stat(keyFile); err == nil {
		t.Fatal("locked: the git-crypt key is still in the checkout")
	}
	if code, stdout, stderr := pangeoGen(t, "--root", repo, "vet"); code != 0 {
		t.Errorf("locked: vet: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr := pangeoGen(t, render...)
	if code != 1 || stdout != "" {
		t.Errorf("locked: render: exit %d, stdout %d bytes; want exit 1 and nothing", code, len(stdout))
	}
	if want := "pangeo-gen: " + secretsFile + ": secrets are encrypted: run git-crypt unlock"; !strings.HasPrefix(stderr, want) {
		t.Errorf("locked: render: stderr %q, want %q...", stderr, want)
	}

	run(gitCrypt, "unlock", key)
	unlocked("unlocked with the exported key")
}
