// Package buildinfo says which pangeo-gen is running: the module version
// and the VCS revision the go command stamped into the binary
// (runtime/debug.ReadBuildInfo).
package buildinfo

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// Info is what a binary knows of its own build.
type Info struct {
	// Version is the main module's version: a tag or pseudo-version for
	// `go install module@version`, "(devel)" for a build in a checkout.
	Version string `json:"version"`
	// Revision is the VCS commit it was built from (vcs.revision), ""
	// when the go command stamped none (-buildvcs=false, no git).
	Revision string `json:"revision,omitempty"`
	// Time is that commit's time (vcs.time, RFC 3339).
	Time string `json:"time,omitempty"`
	// Modified is true when the working tree had uncommitted changes
	// (vcs.modified).
	Modified bool `json:"modified"`
	// Go is the Go version it was built with.
	Go string `json:"go"`
}

// Read is the running binary's Info; Version is "unknown" when the binary
// carries no build information.
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{Version: "unknown"}
	}
	return FromBuildInfo(bi)
}

// FromBuildInfo is the Info of bi.
func FromBuildInfo(bi *debug.BuildInfo) Info {
	info := Info{Version: bi.Main.Version, Go: bi.GoVersion}
	if info.Version == "" {
		info.Version = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Revision = s.Value
		case "vcs.time":
			info.Time = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	return info
}

// String is the one line `pangeo-gen version` prints after the program's
// name: "v1.2.0 (revision 0123456789ab, 2026-07-01T10:00:00Z, modified) go1.26.8";
// the parenthesis is left out when no revision is known.
func (i Info) String() string {
	var b strings.Builder
	b.WriteString(i.Version)
	if i.Revision != "" {
		rev := i.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		parts := []string{"revision " + rev}
		if i.Time != "" {
			parts = append(parts, i.Time)
		}
		if i.Modified {
			parts = append(parts, "modified")
		}
		fmt.Fprintf(&b, " (%s)", strings.Join(parts, ", "))
	}
	if i.Go != "" {
		b.WriteString(" " + i.Go)
	}
	return b.String()
}
