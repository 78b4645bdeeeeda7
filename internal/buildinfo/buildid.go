package buildinfo

import (
	"bytes"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
)

// ErrNoBuildID is BuildIDOf's error for an executable that carries no Go
// build ID (one linked with -buildid= or not by Go).
var ErrNoBuildID = errors.New("no Go build ID")

// BuildID is the Go build ID of the running executable, as `go tool
// buildid` prints it: the go command derives it from the content of every
// input of the build, so that two binaries with one build ID are the same
// program. Results cached by it are never read by another pangeo-gen.
func BuildID() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("build ID: %w", err)
	}
	return BuildIDOf(exe)
}

// goBuildPrefix and goBuildEnd frame the build ID the Go linker writes at
// the start of the text segment; elfNoteGoBuildID is the type of the ELF
// note that holds it too (cmd/internal/buildid).
var (
	goBuildPrefix = []byte("\xff Go build ID: \"")
	goBuildEnd    = []byte("\"\n \xff")
)

const (
	elfNoteGoBuildID = 4
	// rawSearch is how much of the start of the text section of a Mach-O
	// or PE executable is searched for the raw build ID, as
	// cmd/internal/buildid does.
	rawSearch = 32 * 1024
)

// BuildIDOf is the Go build ID of the executable at path: the ELF note
// .note.go.buildid, or, in Mach-O and PE, the string the linker puts at
// the start of the text section, as cmd/internal/buildid reads them.
func BuildIDOf(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("build ID: %w", err)
	}
	defer f.Close()
	if ef, err := elf.NewFile(f); err == nil {
		id, err := elfBuildID(ef)
		if err != nil {
			return "", fmt.Errorf("build ID of %s: %w", path, err)
		}
		return id, nil
	}
	var text io.ReaderAt
	if mf, err := macho.NewFile(f); err == nil {
		if s := mf.Section("__text"); s != nil {
			text = s
		}
	} else if pf, err := pe.NewFile(f); err == nil {
		if s := pf.Section(".text"); s != nil {
			text = s
		}
	}
	if text == nil {
		return "", fmt.Errorf("build ID of %s: %w", path, ErrNoBuildID)
	}
	head := make([]byte, rawSearch)
	n, err := text.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("build ID of %s: %w", path, err)
	}
	id, ok := rawBuildID(head[:n])
	if !ok {
		return "", fmt.Errorf("build ID of %s: %w", path, ErrNoBuildID)
	}
	return id, nil
}

// elfBuildID reads the Go note of an ELF executable: name "Go", type 4,
// the build ID its descriptor.
func elfBuildID(ef *elf.File) (string, error) {
	s := ef.Section(".note.go.buildid")
	if s == nil {
		return "", ErrNoBuildID
	}
	data, err := s.Data()
	if err != nil {
		return "", err
	}
	order := ef.ByteOrder
	for len(data) >= 12 {
		nameSize, descSize, typ := order.Uint32(data), order.Uint32(data[4:]), order.Uint32(data[8:])
		nameEnd := 12 + align4(nameSize)
		descEnd := nameEnd + align4(descSize)
		if uint64(len(data)) < descEnd {
			break
		}
		name := data[12 : 12+uint64(nameSize)]
		if typ == elfNoteGoBuildID && string(bytes.TrimRight(name, "\x00")) == "Go" {
			if descSize == 0 {
				return "", ErrNoBuildID
			}
			return string(data[nameEnd : nameEnd+uint64(descSize)]), nil
		}
		data = data[descEnd:]
	}
	return "", ErrNoBuildID
}

// align4 is n rounded up to a multiple of 4, as ELF notes pad.
func align4(n uint32) uint64 { return (uint64(n) + 3) &^ 3 }

// rawBuildID finds the linker's quoted build ID in data.
func rawBuildID(data []byte) (string, bool) {
	i := bytes.Index(data, goBuildPrefix)
	if i < 0 {
		return "", false
	}
	rest := data[i+len(goBuildPrefix)-1:] // from the opening quote
	j := bytes.Index(rest, goBuildEnd)
	if j < 0 {
		return "", false
	}
	id, err := strconv.Unquote(string(rest[:j+1]))
	if err != nil || id == "" {
		return "", false
	}
	return id, true
}
