package scaffold

import (
	"reflect"
	"testing"
)

func TestParseImageFrom(t *testing.T) {
	for in, want := range map[string][2]string{
		"https://github.com/org/tutorial":             {"https://github.com/org/tutorial", ""},
		"https://github.com/org/tutorial@v1.2":        {"https://github.com/org/tutorial", "v1.2"},
		"git@github.com:org/tutorial.git":             {"git@github.com:org/tutorial.git", ""},
		"git@github.com:org/tutorial.git@main":        {"git@github.com:org/tutorial.git", "main"},
		"https://user@example.org/tutorial":           {"https://user@example.org/tutorial", ""},
		"./tutorial@0123abc":                          {"./tutorial", "0123abc"},
		"file:///tmp/tutorial@feature":                {"file:///tmp/tutorial", "feature"},
		"/tmp/tutorial@":                              {"/tmp/tutorial@", ""},
		"ssh://git@example.org:2222/org/tutorial.git": {"ssh://git@example.org:2222/org/tutorial.git", ""},
	} {
		url, ref := ParseImageFrom(in)
		if url != want[0] || ref != want[1] {
			t.Errorf("ParseImageFrom(%q) = %q, %q; want %q, %q", in, url, ref, want[0], want[1])
		}
	}
}

func TestDeriveRepository(t *testing.T) {
	for _, tc := range [][4]string{
		{"us-central1-docker.pkg.dev/pangeo-ocean/hubs/alpha-notebook", "alpha", "delta", "us-central1-docker.pkg.dev/pangeo-ocean/hubs/delta-notebook"},
		{"pangeoatmos.azurecr.io/charlie-notebook", "charlie", "echo", "pangeoatmos.azurecr.io/echo-notebook"},
		{"783380859522.dkr.ecr.us-west-2.amazonaws.com/pangeo-glaciers", "bravo", "echo", "783380859522.dkr.ecr.us-west-2.amazonaws.com/pangeo-glaciers-echo"},
		{"registry.example.org/alphabet/notebook", "alpha", "delta", "registry.example.org/alphabet/notebook-delta"},
	} {
		if got := deriveRepository(tc[0], tc[1], tc[2]); got != tc[3] {
			t.Errorf("deriveRepository(%q, %q, %q) = %q, want %q", tc[0], tc[1], tc[2], got, tc[3])
		}
	}
}

func TestNotCopied(t *testing.T) {
	source := []string{"title", "description", "environments", "environments.staging", "environments.staging.domain",
		"environments.staging.loadBalancerIP", "environments.staging.notebook", "environments.staging.notebook.profiles",
		"environments.prod", "environments.prod.domain", "cloud", "cloud.project", "image", "image.repository",
		"image.conda", "image.conda.dependencies", "storage", "storage.type"}
	stated := map[string]bool{"title": true, "environments.staging.domain": true, "environments.prod.domain": true,
		"cloud.provider": true, "image.repository": true}
	got := notCopied(source, stated, map[string]bool{"cloud": true})
	want := []string{"description", "environments.staging.loadBalancerIP", "environments.staging.notebook", "image.conda", "storage"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
