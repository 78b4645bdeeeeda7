package release

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/load"
	"github.com/pangeo-data/pangeo-gen/internal/tree"
)

// OutputMarker starts the first line of every file render writes with -o:
// a YAML comment, so kubectl apply -f FILE reads the stream as it is. A
// file that starts with it is render output, which render -o overwrites.
const OutputMarker = "# rendered by pangeo-gen render "

// OutputHeader is the first line of the file render -o writes for a
// hub-env (stdout gets the stream without it).
func OutputHeader(hubName, env string) string {
	return fmt.Sprintf("%s%s --env %s: it holds the hub's secrets, keep it out of git\n", OutputMarker, hubName, env)
}

// ClusterOutputHeader is the first line of the file render --cluster -o
// writes for a cluster's own release (no secrets there).
func ClusterOutputHeader(cluster string) string {
	return fmt.Sprintf("%s--cluster %s: the cluster's own objects (the cluster-autoscaler)\n", OutputMarker, cluster)
}

// IsOutput reports whether data, a file's first bytes, is render output
// (starts with OutputMarker).
func IsOutput(data []byte) bool { return bytes.HasPrefix(data, []byte(OutputMarker)) }

// sourceDirs are the folders of the repository root that hold the
// federation's sources, with what a file there is.
var sourceDirs = map[string]string{
	load.HubsDir: "a hub file (hubs/)",
	"schema":     "a schema file (schema/)",
	"cue.mod":    "a file of the CUE module (cue.mod/)",
}

// WriteOutput writes stream, the rendered hub-env, to the file name (-o),
// with OutputHeader first, mode 0600, atomically, once CheckOutput allows
// it.
func WriteOutput(root, name, hubName, env string, stream []byte, force bool) error {
	return writeOutput(root, name, OutputHeader(hubName, env), stream, force)
}

// WriteClusterOutput writes stream, the rendered release of cluster, to
// the file name (-o) as WriteOutput does, with ClusterOutputHeader first.
func WriteClusterOutput(root, name, cluster string, stream []byte, force bool) error {
	return writeOutput(root, name, ClusterOutputHeader(cluster), stream, force)
}

func writeOutput(root, name, header string, stream []byte, force bool) error {
	target, err := CheckOutput(root, name, force)
	if err != nil {
		return err
	}
	data := append([]byte(header), stream...)
	if err := tree.WriteFile(filepath.Dir(target), filepath.Base(target), 0o600, data); err != nil {
		return fmt.Errorf("-o: %w", err)
	}
	return nil
}

// CheckOutput says whether render may write its output to the file name
// (-o) and returns the file's path with the links of its folders
// resolved. It refuses:
//
//   - always: a folder, a symbolic link (render -o never writes through a
//     link) and anything else that is not a regular file;
//   - unless force: inside the repository at root (links resolved), a hub,
//     schema or CUE module file (even a new one: CUE would load it), a
//     secrets file (a secrets folder of deployments/), a file pangeo-gen
//     gen generated (its manifest), any other file in deployments/ (the
//     tree gen owns); anywhere, a path through a .git folder, and an
//     existing file that is not render output (IsOutput).
//
// Each refusal names the file, what it is, and that --force overrides it.
func CheckOutput(root, name string, force bool) (string, error) {
	abs, err := filepath.Abs(name)
	if err != nil {
		return "", fmt.Errorf("-o %s: %w", name, err)
	}
	fi, err := os.Lstat(abs)
	exists := err == nil
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return "", fmt.Errorf("-o %s: %w", name, err)
	case fi.Mode()&fs.ModeSymlink != 0:
		dest, _ := os.Readlink(abs)
		return "", fmt.Errorf("-o %s is a symbolic link (to %s): render -o never writes through a link; give the file itself", name, dest)
	case fi.IsDir():
		return "", fmt.Errorf("-o %s is a folder: give a file to write the stream to", name)
	case !fi.Mode().IsRegular():
		return "", fmt.Errorf("-o %s is not a regular file (%s): render -o writes regular files only; leave -o out to print the stream on stdout", name, fi.Mode().Type())
	}
	target, err := realPath(abs)
	if err != nil {
		return "", fmt.Errorf("-o %s: %w", name, err)
	}
	if force {
		return target, nil
	}
	what, err := protected(root, target, exists)
	if err != nil {
		return "", fmt.Errorf("-o %s: %w", name, err)
	}
	if what != "" {
		return "", fmt.Errorf("refusing to write -o %s: it is %s, and render output (which holds secret values) would replace it; pass --force to write it anyway", name, what)
	}
	if exists {
		first, err := readStart(target, len(OutputMarker))
		if err != nil {
			return "", fmt.Errorf("-o %s: %w", name, err)
		}
		if !IsOutput(first) {
			return "", fmt.Errorf("refusing to overwrite -o %s: it exists and is not render output (its first line does not start with %q); give another file, or pass --force to overwrite it", name, strings.TrimSpace(OutputMarker))
		}
	}
	return target, nil
}

// protected says what the file target (links of its folders resolved) is
// when it is one render -o must not write without force, "" when it is
// none of them. exists tells whether the file is there.
func protected(root, target string, exists bool) (string, error) {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", err
	}
	for _, p := range strings.Split(filepath.ToSlash(filepath.Dir(target)), "/") {
		if p == ".git" {
			return "inside a .git folder", nil
		}
	}
	rel, err := filepath.Rel(realRoot, target)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", nil // outside the repository
	}
	rel = filepath.ToSlash(rel)
	parts := strings.Split(rel, "/")
	if what, ok := sourceDirs[parts[0]]; ok {
		return what, nil
	}
	if parts[0] == gen.Deployments {
		for _, p := range parts[1 : len(parts)-1] {
			if p == "secrets" {
				return "a secrets file (" + path.Dir(rel) + "/)", nil
			}
		}
	}
	m, err := tree.ReadManifest(realRoot)
	if err != nil {
		return "", err
	}
	if _, ok := m.Files[rel]; ok || rel == tree.ManifestPath {
		return "a file pangeo-gen gen generated (" + rel + ")", nil
	}
	if parts[0] == gen.Deployments {
		what := "a file in deployments/, the tree pangeo-gen gen owns"
		if !exists {
			what = "a new file in deployments/, the tree pangeo-gen gen owns (vet would name it a foreign file)"
		}
		return what, nil
	}
	return "", nil
}

// realPath is abs with the symbolic links of its folders resolved: the
// deepest folder that exists is resolved, the rest (folders the write
// creates) appended.
func realPath(abs string) (string, error) {
	dir, rest := filepath.Dir(abs), []string{filepath.Base(abs)}
	for {
		real, err := filepath.EvalSymlinks(dir)
		if err == nil {
			return filepath.Join(append([]string{real}, rest...)...), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", err
		}
		rest = append([]string{filepath.Base(dir)}, rest...)
		dir = parent
	}
}

// readStart reads up to n bytes from the start of the regular file name.
func readStart(name string, n int) ([]byte, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, n)
	k, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf[:k], nil
}
