// Package finding is how pangeo-gen reports a problem with the hubs: a
// Finding has a check, a hub, a CUE path and positions, and prints as a
// cue/errors.Error does (file:line:col relative to the repository root),
// as text or as JSON. CUE's own errors (load), the problems that stop
// generation (federation) and vet's checks all become findings.
//
// It depends on CUE's errors and token packages only, so that every
// package that reports a problem can use it.
package finding

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"
)

// Finding is one problem. It is a cue/errors.Error, so every finding, from
// CUE or from a check, prints the same way: the CUE path, the message and
// each position (file:line:col relative to the repository root).
type Finding struct {
	// Check names the check: cue, domain, values, worker-image,
	// gateway-version, secrets, fit, chart-values, generated.
	Check string
	// Hub is the hub the finding is about, "" for the federation.
	Hub string
	// CUEPath is the path of the offending field (hubs.alpha.notebook...).
	CUEPath []string
	// Pos is where to look first; Also are other places involved.
	Pos  token.Pos
	Also []token.Pos
	// Message says what is wrong and how to fix it.
	Message string

	err errors.Error // the CUE error a "cue" finding wraps
}

// Position implements errors.Error.
func (f *Finding) Position() token.Pos {
	if f.err != nil {
		return f.err.Position()
	}
	return f.Pos
}

// InputPositions implements errors.Error.
func (f *Finding) InputPositions() []token.Pos {
	if f.err != nil {
		return append(f.err.InputPositions(), f.Also...)
	}
	return f.Also
}

// Path implements errors.Error.
func (f *Finding) Path() []string {
	if f.err != nil {
		return f.err.Path()
	}
	return f.CUEPath
}

// Msg implements errors.Error.
func (f *Finding) Msg() (string, []any) {
	if f.err != nil {
		return f.err.Msg()
	}
	return "%s", []any{f.Message}
}

// Error implements error.
func (f *Finding) Error() string { return errors.String(f) }

// FromCUE turns a CUE error (one or a list) into findings. A problem CUE
// places nowhere in the hub's own file (a missing required field, a bad
// name) also gets hubPos of its hub, so that it points there too; hubPos
// may be nil.
func FromCUE(err error, hubPos func(hub string) token.Pos) []*Finding {
	var out []*Finding
	for _, e := range errors.Errors(err) {
		f := &Finding{Check: "cue", err: e}
		if p := e.Path(); len(p) >= 2 && p[0] == "hubs" {
			f.Hub = p[1]
		}
		if f.Hub != "" && hubPos != nil {
			// A message without positions is a header (CUE's "N errors in
			// empty disjunction:"): it stays as it is.
			ps := errors.Positions(e)
			if p := hubPos(f.Hub); p.IsValid() && len(ps) > 0 && !inFile(ps, p.Filename()) {
				f.Also = []token.Pos{p}
			}
		}
		out = append(out, f)
	}
	return out
}

func inFile(ps []token.Pos, file string) bool {
	for _, p := range ps {
		if p.Filename() == file {
			return true
		}
	}
	return false
}

// Print writes findings the way cue/errors prints errors: "path: message:"
// then each position, relative to root.
func Print(w io.Writer, root string, findings []*Finding) {
	var list errors.Error
	for _, f := range findings {
		list = errors.Append(list, f)
	}
	errors.Print(w, list, &errors.Config{Cwd: root, ToSlash: true})
}

// jsonFinding is the JSON form of a finding, for CI annotations.
type jsonFinding struct {
	Check     string   `json:"check"`
	Hub       string   `json:"hub,omitempty"`
	Path      string   `json:"path,omitempty"`
	File      string   `json:"file,omitempty"`
	Line      int      `json:"line,omitempty"`
	Column    int      `json:"column,omitempty"`
	Message   string   `json:"message"`
	Positions []string `json:"positions,omitempty"`
}

// PrintJSON writes findings as a JSON array.
func PrintJSON(w io.Writer, root string, findings []*Finding) error {
	cfg := &errors.Config{Cwd: root, ToSlash: true, OmitPath: true}
	out := make([]jsonFinding, 0, len(findings))
	for _, f := range findings {
		j := jsonFinding{Check: f.Check, Hub: f.Hub, Path: strings.Join(f.Path(), "."), Message: errors.StringWithConfig(f, cfg)}
		// The annotation goes where the user can act: the hub's own file
		// first, then any hubs/ file, then the first position.
		best := -1
		for i, p := range errors.Positions(f) {
			rel := relative(root, p.Filename())
			if best < 0 || rank(rel, f.Hub) < rank(j.File, f.Hub) {
				best = i
				j.File, j.Line, j.Column = rel, p.Line(), p.Column()
			}
			j.Positions = append(j.Positions, fmt.Sprintf("%s:%d:%d", rel, p.Line(), p.Column()))
		}
		out = append(out, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// rank orders positions for an annotation: 0 the hub's file, 1 another
// hubs/ file, 2 elsewhere.
func rank(rel, hubName string) int {
	switch {
	case hubName != "" && rel == "hubs/"+hubName+".cue":
		return 0
	case strings.HasPrefix(rel, "hubs/"):
		return 1
	}
	return 2
}

func relative(root, name string) string {
	if name == "" {
		return ""
	}
	if rel, err := filepath.Rel(root, name); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(name)
}

// FilePos is a position in a file under root (line and column from 1),
// for findings about files rather than CUE fields.
func FilePos(root, rel string, line, col int) token.Pos {
	name := filepath.Join(root, filepath.FromSlash(rel))
	data, _ := os.ReadFile(name)
	size := len(data)
	f := token.NewFile(name, -1, size+1)
	f.SetLinesForContent(data)
	off := 0
	if line > 1 {
		lines := f.Lines()
		if line-1 < len(lines) {
			off = lines[line-1]
		} else {
			off = size
		}
	}
	if col > 1 {
		off += col - 1
	}
	if off > size {
		off = size
	}
	return f.Pos(off, token.NoRelPos)
}

// Summary counts the problems: findings at the same CUE path (CUE reports
// a failed disjunction as a header and one error per alternative) count
// once; each finding without a path (about a file) counts on its own.
func Summary(findings []*Finding) string {
	paths := map[string]bool{}
	for i, f := range findings {
		key := strings.Join(f.Path(), ".")
		if key == "" {
			key = fmt.Sprintf("\x00%d", i)
		}
		paths[key] = true
	}
	if len(paths) == 1 {
		return "1 problem"
	}
	return fmt.Sprintf("%d problems", len(paths))
}

// At is a finding of check about the field elems of hub hubName (elems
// below hubs.<hub>; list indexes such as "[1]" are joined to their list,
// as CUE writes paths), at pos.
func At(check, hubName string, elems []string, pos token.Pos, format string, args ...any) *Finding {
	return &Finding{
		Check:   check,
		Hub:     hubName,
		CUEPath: cuePath(append([]string{"hubs", hubName}, elems...)),
		Pos:     pos,
		Message: fmt.Sprintf(format, args...),
	}
}

// cuePath joins list indexes to their list: dependencies, [1] becomes
// dependencies[1], as CUE writes paths.
func cuePath(elems []string) []string {
	var out []string
	for _, e := range elems {
		if strings.HasPrefix(e, "[") && len(out) > 0 {
			out[len(out)-1] += e
			continue
		}
		out = append(out, e)
	}
	return out
}

// Filter keeps the findings about the hubs selected and those about no
// hub (the federation's).
func Filter(fs []*Finding, selected map[string]bool) []*Finding {
	var out []*Finding
	for _, f := range fs {
		if f.Hub == "" || selected[f.Hub] {
			out = append(out, f)
		}
	}
	return out
}

// Sort orders findings by position, then CUE path, then message, so that
// a report reads the same on every run.
func Sort(fs []*Finding) {
	key := func(f *Finding) string {
		p := f.Position()
		return fmt.Sprintf("%s\x00%08d\x00%08d\x00%s\x00%s", p.Filename(), p.Line(), p.Column(), path.Join(f.Path()...), f.Message)
	}
	sort.SliceStable(fs, func(i, j int) bool { return key(fs[i]) < key(fs[j]) })
}
