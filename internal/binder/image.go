// Package binder reads a repo2docker configuration folder (binder/,
// .binder/ or a repository's top: environment.yml, requirements.txt,
// runtime.txt, apt.txt, postBuild, start, Dockerfile,
// jupyterlab-workspace.json) into a hub's image section (Image), checking
// each value with the schema. new --image-from reads a checkout with Read;
// import converts an old hub's image/binder/ with Image.Convert.
package binder

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/pangeo-data/pangeo-gen/internal/hubfile"
	"github.com/pangeo-data/pangeo-gen/internal/input"
)

// MaxFileSize is the largest file of an image source taken into
// image.files (as a CUE string); larger ones are listed as skipped.
const MaxFileSize = 256 << 10

// binderFiles are the repo2docker configuration files pangeo-gen converts,
// in the order they are read.
var binderFiles = []string{"Dockerfile", "environment.yml", "environment.yaml", "requirements.txt", "runtime.txt", "apt.txt", "postBuild", "start"}

// RootConfigFiles are repo2docker configuration files read from the top
// of a repository without a binder/ folder.
var RootConfigFiles = append(slices.Clone(binderFiles), "install.R", "Project.toml", "REQUIRE", "setup.py", "default.nix")

// Image is an image section read from a repository.
type Image struct {
	// Base is the Dockerfile's FROM image (image.base).
	Base string
	// Conda is the conda section (environment.yml, requirements.txt,
	// runtime.txt).
	Conda Conda
	// Apt are apt.txt's packages.
	Apt []string
	// PostBuild are postBuild's lines.
	PostBuild []string
	// Start are the variables the start script (and environment.yml's
	// variables:) export.
	Start map[string]string
	// StartCommands are the start script's commands other than exports.
	StartCommands []string
	// Workspace is jupyterlab-workspace.json, decoded.
	Workspace map[string]any
	// Files are the other files, by path (image.files).
	Files map[string]string
	// Readme is the README's path among files ("" when there is none).
	Readme string
	// Folder is the folder the configuration was read from ("binder",
	// ".binder", or "" for the top).
	Folder string
	// Read are the configuration files converted.
	Read []string
	// Notes are what was not converted, by image field: base, conda,
	// apt, postBuild, start, and "" for the image as a whole.
	Notes map[string][]string
	// Skipped are the repository's files not taken, each with why.
	Skipped []string
}

// Note records msgs as notes of the image field (see Notes).
func (s *Image) Note(field string, msgs ...string) {
	s.Notes[field] = append(s.Notes[field], msgs...)
}

// Read reads a checkout at dir (source, its URL[@REF], is cited in
// messages and the README mark): repo2docker's configuration (binder/,
// else .binder/, else the top folder) becomes the image fields, every other
// file an image.files entry, except .git, .gitignore and the files
// image.files cannot hold (binary, larger than MaxFileSize, a path the
// schema refuses), which are listed as skipped.
func Read(e *hubfile.Env, dir, source string) (*Image, error) {
	s := &Image{Files: map[string]string{}, Notes: map[string][]string{}}
	// Every file is read through input.ReadIn beneath the checkout, as
	// import reads an old hub's folder; the walk takes no link.
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", source, err)
	}
	defer root.Close()
	for _, d := range []string{"binder", ".binder"} {
		// Lstat: a binder/ that is a link is not the configuration folder
		// (the walk does not enter it).
		if fi, err := root.Lstat(d); err == nil && fi.IsDir() {
			s.Folder = d
			break
		}
	}
	config := map[string][]byte{}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Name() == ".gitignore" {
			return nil
		}
		isConfig := s.Folder != "" && strings.HasPrefix(rel, s.Folder+"/") ||
			s.Folder == "" && slices.Contains(RootConfigFiles, rel)
		if !d.Type().IsRegular() {
			s.Skipped = append(s.Skipped, rel+": not a regular file")
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Size() > MaxFileSize {
			s.Skipped = append(s.Skipped, fmt.Sprintf("%s: larger than %d KiB", rel, MaxFileSize>>10))
			return nil
		}
		data, err := input.ReadIn(root, filepath.FromSlash(rel))
		switch {
		case errors.Is(err, input.ErrNotRegular):
			s.Skipped = append(s.Skipped, rel+": not a regular file")
			return nil
		case errors.Is(err, input.ErrTooLarge):
			s.Skipped = append(s.Skipped, fmt.Sprintf("%s: larger than %d bytes, the limit for an input file", rel, input.Limit()))
			return nil
		case err != nil:
			return err
		}
		if isConfig {
			name := rel
			if s.Folder != "" {
				name = strings.TrimPrefix(rel, s.Folder+"/")
			}
			config[name] = data
			return nil
		}
		if !utf8.Valid(data) || slices.Contains(data, 0) {
			s.Skipped = append(s.Skipped, rel+": binary")
			return nil
		}
		if !e.Valid("#BuiltImage.files", map[string]string{rel: ""}) {
			s.Skipped = append(s.Skipped, rel+": a path image.files does not take")
			return nil
		}
		s.Files[rel] = string(data)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", source, err)
	}
	s.Convert(e, config)
	for _, rel := range slices.Sorted(maps.Keys(s.Files)) {
		stem := strings.ToLower(strings.TrimSuffix(rel, path.Ext(rel)))
		if stem != "readme" {
			continue
		}
		mark := "TODO(operator): adapt this README from " + source + " to the hub"
		switch strings.ToLower(path.Ext(rel)) {
		case ".md", ".markdown", "":
			mark = "<!-- " + mark + " -->\n"
		case ".rst":
			mark = ".. " + mark + "\n\n"
		default:
			mark += "\n\n"
		}
		s.Files[rel] = mark + s.Files[rel]
		s.Readme = rel
		break
	}
	return s, nil
}

// Convert converts the repo2docker configuration files config (by name in
// the configuration folder) into s.
func (s *Image) Convert(e *hubfile.Env, config map[string][]byte) {
	validSpec := func(x string) bool { return e.Valid("#CondaSpec", x) }
	validVar := func(x string) bool { return e.Valid("#BuiltImage.start", map[string]string{x: ""}) }
	where := func(name string) string {
		if s.Folder == "" {
			return name
		}
		return s.Folder + "/" + name
	}
	for _, name := range binderFiles {
		data, ok := config[name]
		if !ok {
			continue
		}
		delete(config, name)
		s.Read = append(s.Read, where(name))
		prefix := func(notes []string) []string {
			out := make([]string, len(notes))
			for i, n := range notes {
				out[i] = where("") + n
			}
			return out
		}
		switch name {
		case "Dockerfile":
			base, notes := ConvertDockerfile(data, func(x string) bool { return e.Valid("#ImageRef", x) })
			s.Base = base
			s.Note("base", prefix(notes)...)
		case "environment.yml", "environment.yaml":
			conda, start, notes, err := ConvertEnvironment(data, validSpec, validVar)
			if err != nil {
				s.Note("conda", where(name)+": "+err.Error()+": not converted")
				continue
			}
			s.Conda.Channels = conda.Channels
			for _, d := range conda.Dependencies {
				s.Conda.Dependencies = appendUnique(s.Conda.Dependencies, d)
			}
			for _, p := range conda.Pip {
				s.Conda.Pip = appendUnique(s.Conda.Pip, p)
			}
			for _, k := range slices.Sorted(maps.Keys(start)) {
				if s.Start == nil {
					s.Start = map[string]string{}
				}
				s.Start[k] = start[k]
			}
			s.Note("conda", prefix(notes)...)
		case "requirements.txt":
			pip, notes := ConvertRequirements(data)
			for _, p := range pip {
				s.Conda.Pip = appendUnique(s.Conda.Pip, p)
			}
			s.Note("conda", prefix(notes)...)
		case "runtime.txt":
			spec, notes := ConvertRuntime(data)
			if spec != "" {
				if slices.ContainsFunc(s.Conda.Dependencies, func(d string) bool { return specName(d) == "python" }) {
					notes = append(notes, fmt.Sprintf("runtime.txt: %s not added: the environment pins python", spec))
				} else {
					s.Conda.Dependencies = append(s.Conda.Dependencies, spec)
				}
			}
			s.Note("conda", prefix(notes)...)
		case "apt.txt":
			apt, notes := ConvertApt(data, func(x string) bool { return e.Valid("#BuiltImage.apt", []string{x}) })
			s.Apt = apt
			s.Note("apt", prefix(notes)...)
		case "postBuild":
			lines, notes := ConvertPostBuild(data)
			s.PostBuild = append(s.PostBuild, lines...)
			s.Note("postBuild", prefix(notes)...)
		case "start":
			start, rest := ConvertStart(data, validVar)
			for _, k := range slices.Sorted(maps.Keys(start)) {
				if s.Start == nil {
					s.Start = map[string]string{}
				}
				s.Start[k] = start[k]
			}
			// The start script's other commands run as they did, after
			// the exports and before the container's command.
			if e.Valid("#BuiltImage.startCommands", rest) {
				s.StartCommands = append(s.StartCommands, rest...)
			} else if len(rest) > 0 {
				s.Note("start", fmt.Sprintf("%s: %d command(s) other than exports not converted (not shell lines image.startCommands takes)", where("start"), len(rest)))
			}
		}
	}
	if data, ok := config[WorkspaceName]; ok {
		delete(config, WorkspaceName)
		var ws map[string]any
		if err := json.Unmarshal(data, &ws); err != nil || ws == nil {
			s.Note("", where(WorkspaceName)+": not a JSON Object: not converted")
		} else {
			s.Read = append(s.Read, where(WorkspaceName))
			s.Workspace = ws
		}
	}
	for _, name := range slices.Sorted(maps.Keys(config)) {
		s.Note("", where(name)+": not converted (pangeo-gen reads "+strings.Join(append(slices.Clone(binderFiles), WorkspaceName), ", ")+")")
	}
}

// WorkspaceName is the JupyterLab workspace file of a binder folder.
const WorkspaceName = "jupyterlab-workspace.json"
