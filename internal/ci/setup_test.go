package ci

import (
	"bytes"
	"strings"
	"testing"
)

func TestSetupConfigValid(t *testing.T) {
	s := circleSchema(t)
	f, err := SetupConfig(SetupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Path != ConfigPath || f.Mode != 0o644 {
		t.Errorf("setup config is %s (mode %o), want %s (mode 644)", f.Path, f.Mode, ConfigPath)
	}
	if !strings.HasPrefix(string(f.Data), Header) {
		t.Errorf("setup config does not start with %q", Header)
	}
	validate(t, s, "setup", f.Data)
	again, _ := SetupConfig(SetupOptions{})
	if !bytes.Equal(f.Data, again.Data) {
		t.Error("SetupConfig is not deterministic")
	}
	for _, want := range []string{"setup: true", "continuation: circleci/continuation@1.0.0", "image: cimg/go:1.26",
		"go install ./cmd/pangeo-gen", `pangeo-gen ci plan --base "$base" > continuation.yml`, "configuration_path: continuation.yml"} {
		if !strings.Contains(string(f.Data), want) {
			t.Errorf("setup config lacks %q", want)
		}
	}
	if _, err := SetupConfig(SetupOptions{MainBranch: "main; rm -rf /"}); err == nil {
		t.Error("SetupConfig took a main branch that is not a plain name")
	}
}
