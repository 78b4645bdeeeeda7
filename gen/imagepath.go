package gen

import (
	"fmt"
	"strings"
	"unicode"
)

// The rules on what gen writes into a build context, the same as the
// schema's (schema/hub.cue, after the hub definitions): the schema reports a bad hub with its
// position, these keep gen from writing one that got past it.

// ImagePathProblem says why p may not be a path of image.files (relative
// to the image folder), or "" when it may: the rule of the schema's
// #ImagePath. A path is elements separated by '/', each of ASCII letters,
// digits, '_', '.' and '-', never "." or "..", never a name git treats as
// .git or as its own file (see gitSpecial); the top element does not start
// with '.' and is not binder or catalogs, which gen generates.
func ImagePathProblem(p string) string {
	if p == "" {
		return "is empty: give a path relative to the image folder, such as notebooks/intro.ipynb"
	}
	elems := strings.Split(p, "/")
	for _, e := range elems {
		if e == "" {
			return "has an empty element (a leading, trailing or doubled '/'): give a path relative to the image folder, such as notebooks/intro.ipynb"
		}
	}
	for _, e := range elems {
		if e == "." || e == ".." {
			return "has a '.' or '..' element: the path must name a file inside the image folder, and name it one way"
		}
	}
	for _, e := range elems {
		if gitSpecial(e) {
			return fmt.Sprintf("has the element %s, a name git treats as .git or as its own file (.git in any case, with trailing dots or spaces, git~1, .gitmodules, .gitattributes, .gitignore): a file there could plant a repository whose configuration runs commands, or change what a checkout holds", e)
		}
	}
	for _, e := range elems {
		for _, r := range e {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
				return fmt.Sprintf("has the element %s, which holds a character other than an ASCII letter, digit, '_', '.' or '-' (file systems fold spaces, backslashes, ':', '~' and other characters into other names)", e)
			}
		}
	}
	top := elems[0]
	switch {
	case strings.HasPrefix(top, "."):
		return "starts with '.': repo2docker reads .binder/, and gen generates .dask/ and .intake/"
	case (strings.EqualFold(top, "binder") || strings.EqualFold(top, "catalogs")) && len(elems) > 1:
		return fmt.Sprintf("is in %s/, a folder pangeo-gen generates", top)
	case strings.EqualFold(top, "binder") || strings.EqualFold(top, "catalogs"):
		return fmt.Sprintf("is %s, a folder pangeo-gen generates", top)
	}
	return ""
}

// hfsIgnorable are the code points HFS+ leaves out when it compares file
// names (git's next_hfs_char): ".g\u200cit" is ".git" on a Mac.
func hfsIgnorable(r rune) bool {
	switch {
	case r >= 0x200c && r <= 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x206a && r <= 0x206f, r == 0xfeff:
		return true
	}
	return false
}

// gitSpecial reports whether git treats the path element e as .git or as
// one of its own files on some file system (git's verify_path with
// is_hfs_dotgit and is_ntfs_dotgit): ".git", ".gitmodules",
// ".gitattributes" or ".gitignore" in any case (case-insensitive file
// systems), with HFS+'s ignorable code points anywhere and NTFS's trailing
// dots and spaces, and NTFS short names such as "git~1".
func gitSpecial(e string) bool {
	e = strings.Map(func(r rune) rune {
		if hfsIgnorable(r) {
			return -1
		}
		return r
	}, e)
	e = strings.ToLower(strings.TrimRight(e, ". "))
	switch e {
	case ".git", ".gitmodules", ".gitattributes", ".gitignore":
		return true
	}
	// NTFS short names: git~1 (.git), and the 8.3 forms of the others
	// (gi7eba~1 is .gitmodules): "gi", then a '~' followed by a digit.
	if !strings.HasPrefix(e, "gi") {
		return false
	}
	for i := 2; i+1 < len(e); i++ {
		if e[i] == '~' && e[i+1] >= '0' && e[i+1] <= '9' {
			return true
		}
	}
	return false
}

// ControlChar returns the first control character of s that text written
// into a generated file may not hold (any but tab, and newline when
// newlines is true), and whether there is one: the rule of the schema's
// #Text, #Script (newlines) and #Line (none).
func ControlChar(s string, newlines bool) (rune, bool) {
	for _, r := range s {
		if r == '\t' || r == '\n' && newlines {
			continue
		}
		if unicode.IsControl(r) {
			return r, true
		}
	}
	return 0, false
}
