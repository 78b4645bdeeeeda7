package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	for _, tc := range []struct {
		name string
		bi   debug.BuildInfo
		want Info
		text string
	}{
		{
			name: "installed release",
			bi: debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/pangeo-data/pangeo-gen", Version: "v1.2.0"},
				Settings: []debug.BuildSetting{{Key: "-trimpath", Value: "true"}}},
			want: Info{Version: "v1.2.0", Go: "go1.26.8"},
			text: "v1.2.0 go1.26.8",
		},
		{
			name: "checkout with changes",
			bi: debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
				{Key: "vcs", Value: "git"},
				{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
				{Key: "vcs.time", Value: "2026-07-01T10:00:00Z"},
				{Key: "vcs.modified", Value: "true"},
			}},
			want: Info{Version: "(devel)", Revision: "0123456789abcdef0123456789abcdef01234567", Time: "2026-07-01T10:00:00Z", Modified: true, Go: "go1.26.8"},
			text: "(devel) (revision 0123456789ab, 2026-07-01T10:00:00Z, modified) go1.26.8",
		},
		{
			name: "clean pseudo-version",
			bi: debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20260701100000-0123456789ab"}, Settings: []debug.BuildSetting{
				{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
				{Key: "vcs.modified", Value: "false"},
			}},
			want: Info{Version: "v0.0.0-20260701100000-0123456789ab", Revision: "0123456789abcdef0123456789abcdef01234567", Go: "go1.26.8"},
			text: "v0.0.0-20260701100000-0123456789ab (revision 0123456789ab) go1.26.8",
		},
		{
			name: "no main version",
			bi:   debug.BuildInfo{GoVersion: "go1.26.8"},
			want: Info{Version: "(devel)", Go: "go1.26.8"},
			text: "(devel) go1.26.8",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := FromBuildInfo(&tc.bi)
			if got != tc.want {
				t.Errorf("FromBuildInfo = %+v, want %+v", got, tc.want)
			}
			if s := got.String(); s != tc.text {
				t.Errorf("String = %q, want %q", s, tc.text)
			}
		})
	}
}
