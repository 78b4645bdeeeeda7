package gen

import (
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	cueload "cuelang.org/go/cue/load"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
)

// imagePathCases are image.files keys and whether the image folder may
// hold them, with a word of the reason when not.
var imagePathCases = []struct {
	path string
	why  string // a part of ImagePathProblem's answer; "" when allowed
}{
	{"notes.md", ""},
	{"notebooks/intro.ipynb", ""},
	{"data/v1.2/table_a-b.csv", ""},
	{"notes..md", ""},
	{"docs/.github/x.yml", ""},
	{"docs/.gitkeep", ""},
	{"a/gitx/config", ""},
	{"_private/x", ""},

	// git's own names, in every form git itself refuses (verify_path).
	{"a/.git/config", ".git"},
	{"a/.git", ".git"},
	{"a/.GIT/config", ".GIT"},
	{"a/.Git/config", ".Git"},
	{"a/.git./config", ".git."},
	{"a/.git../config", ".git.."},
	{"a/.git /config", ".git "},
	{"a/.g\u200cit/config", ".g\u200cit"},
	{"a/\ufeff.git/config", "\ufeff.git"},
	{"a/.gi\u206ft/hooks/x", ".gi\u206ft"},
	{"a/git~1/config", "git~1"},
	{"a/GIT~1/config", "GIT~1"},
	{"a/.gitmodules", ".gitmodules"},
	{"a/.GitModules", ".GitModules"},
	{"a/gi7eba~1", "gi7eba~1"},
	{"a/.gitattributes", ".gitattributes"},
	{"a/.gitignore", ".gitignore"},

	// not a clean relative path
	{"", "is empty"},
	{"/etc/passwd", "empty element"},
	{"a//b", "empty element"},
	{"a/", "empty element"},
	{"a/../../b", "'..'"},
	{"../b", "'..'"},
	{"a/./b", "'.'"},
	{".", "'.'"},

	// characters file systems fold
	{"a\\b", "character other than"},
	{"a b", "character other than"},
	{"a/b:c", "character other than"},
	{"a~b", "character other than"},
	{"caf\u00e9.md", "character other than"},
	{"a\x00b", "character other than"},

	// the top of the image folder
	{".bashrc", "starts with '.'"},
	{".binder/environment.yml", "starts with '.'"},
	{".dask/x.yaml", "starts with '.'"},
	{"binder/requirements.txt", "binder/"},
	{"Binder/requirements.txt", "Binder/"},
	{"catalogs/x.yaml", "catalogs/"},
	{"binder", "is binder"},
}

func TestImagePathProblem(t *testing.T) {
	for _, tt := range imagePathCases {
		got := ImagePathProblem(tt.path)
		switch {
		case tt.why == "" && got != "":
			t.Errorf("ImagePathProblem(%q) = %q, want it allowed", tt.path, got)
		case tt.why != "" && !strings.Contains(got, tt.why):
			t.Errorf("ImagePathProblem(%q) = %q, want a problem naming %q", tt.path, got, tt.why)
		}
	}
}

// TestImagePathSchemaAgrees: the schema's #ImagePath (what vet reports)
// and ImagePathProblem (what gen refuses to write) are one rule, down to
// the message.
func TestImagePathSchemaAgrees(t *testing.T) {
	insts := cueload.Instances([]string{"./schema"}, &cueload.Config{Dir: ".."})
	if err := insts[0].Err; err != nil {
		t.Fatal(err)
	}
	schema := cuecontext.New().BuildInstance(insts[0])
	if err := schema.Err(); err != nil {
		t.Fatal(err)
	}
	def := schema.LookupPath(cue.ParsePath("#ImagePath"))
	for _, tt := range imagePathCases {
		if strings.ContainsRune(tt.path, 0) {
			continue // not a CUE label a hub file can hold
		}
		file := def.FillPath(cue.ParsePath("path"), tt.path).LookupPath(cue.ParsePath("file"))
		err := file.Unify(file.Context().CompileString(`"text"`)).Validate(cue.Concrete(true))
		want := ImagePathProblem(tt.path)
		switch {
		case want == "" && err != nil:
			t.Errorf("#ImagePath refuses %q (%v); ImagePathProblem allows it", tt.path, err)
		case want != "" && err == nil:
			t.Errorf("#ImagePath allows %q; ImagePathProblem says it %s", tt.path, want)
		case want != "" && !strings.Contains(err.Error(), want):
			t.Errorf("#ImagePath on %q says %q, ImagePathProblem %q", tt.path, err, want)
		}
	}
}

func TestControlChar(t *testing.T) {
	tests := []struct {
		s        string
		newlines bool
		bad      bool
		want     rune
	}{
		{"plain text", false, false, 0},
		{"tab\tseparated", false, false, 0},
		{"two\nlines", true, false, 0},
		{"two\nlines", false, true, '\n'},
		{"crlf\r\n", true, true, '\r'},
		{"nul\x00byte", true, true, 0},
		{"esc\x1b[2J", true, true, 0x1b},
		{"del\x7f", true, true, 0x7f},
		{"c1\u0085", true, true, 0x85},
		{"caf\u00e9 \u200c", false, false, 0},
	}
	for _, tt := range tests {
		r, bad := ControlChar(tt.s, tt.newlines)
		if bad != tt.bad || bad && r != tt.want {
			t.Errorf("ControlChar(%q, %v) = %U, %v; want %U, %v", tt.s, tt.newlines, r, bad, tt.want, tt.bad)
		}
	}
}

// TestImageFilesRefuses: gen never writes a build context the schema
// refuses, should a hub get past it (a nested repository whose config
// runs a command on git status; a NUL or a carriage return in a script).
func TestImageFilesRefuses(t *testing.T) {
	tests := []struct {
		name string
		edit func(h *hub.Hub)
		want string
	}{
		{"nested .git", func(h *hub.Hub) {
			h.Image.Files["a/.git/config"] = "[core]\n\tfsmonitor = touch /tmp/pwned\n"
		}, `"a/.git/config" has the element .git`},
		{"nested .GIT. (NTFS)", func(h *hub.Hub) { h.Image.Files["a/.GIT./config"] = "x" }, `.GIT.`},
		{"HFS+ .g\u200cit", func(h *hub.Hub) { h.Image.Files["a/.g\u200cit/config"] = "x" }, `has the element .g`},
		{"case collision", func(h *hub.Hub) { h.Image.Files["Notes.md"] = "x"; h.Image.Files["notes.md"] = "y" }, `differ only in case`},
		{"NUL in a file", func(h *hub.Hub) { h.Image.Files["notes.md"] = "a\x00b" }, `U+0000`},
		{"CR in postBuild", func(h *hub.Hub) { h.Image.PostBuild = []string{"echo hi\r"} }, `image.postBuild[0] holds the control character U+000D`},
		{"NUL in start", func(h *hub.Hub) { h.Image.Start = map[string]string{"FOO": "a\x00b"} }, `image.start: FOO holds the control character U+0000`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := fxGCP()
			if h.Image.Files == nil {
				h.Image.Files = map[string]string{}
			}
			tt.edit(h)
			files, err := ImageFiles(h)
			if err == nil {
				t.Fatalf("ImageFiles wrote %d files, want an error", len(files))
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to say %q", err, tt.want)
			}
		})
	}
}
