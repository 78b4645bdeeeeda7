package scaffold

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"cuelang.org/go/cue"

	"github.com/pangeo-data/pangeo-gen/internal/input"
)

// MaxFileSize is the largest file of an image source taken into
// image.files (as a CUE string); larger ones are listed as skipped.
const MaxFileSize = 256 << 10

// binderFiles are the repo2docker configuration files pangeo-gen converts,
// in the order they are read.
var binderFiles = []string{"Dockerfile", "environment.yml", "environment.yaml", "requirements.txt", "runtime.txt", "apt.txt", "postBuild", "start"}

// rootConfigFiles are repo2docker configuration files read from the top
// of a repository without a binder/ folder.
var rootConfigFiles = append(slices.Clone(binderFiles), "install.R", "Project.toml", "REQUIRE", "setup.py", "default.nix")

// imageSpec is an image section read from a repository.
type imageSpec struct {
	base      string
	conda     Conda
	apt       []string
	postBuild []string
	start     map[string]string
	// startCommands are the start script's commands other than exports.
	startCommands []string
	// workspace is jupyterlab-workspace.json, decoded.
	workspace map[string]any
	files     map[string]string
	// readme is the README's path among files ("" when there is none).
	readme string
	// binder is the folder the configuration was read from ("binder",
	// ".binder", or "" for the top).
	binder string
	// read are the configuration files converted.
	read []string
	// notes are what was not converted, by image field: base, conda,
	// apt, postBuild, start, and "" for the image as a whole.
	notes map[string][]string
	// skipped are the repository's files not taken, each with why.
	skipped []string
}

func (s *imageSpec) note(field string, msgs ...string) {
	s.notes[field] = append(s.notes[field], msgs...)
}

// readImage reads a checkout: repo2docker's configuration (binder/, else
// .binder/, else the top folder) becomes the image fields, every other
// file an image.files entry, except .git, .gitignore and the files
// image.files cannot hold (binary, larger than MaxFileSize, a path the
// schema refuses), which are listed as skipped.
func (e *Env) readImage(r *Repo) (*imageSpec, error) {
	s := &imageSpec{files: map[string]string{}, notes: map[string][]string{}}
	// Every file is read through input.ReadIn beneath the checkout, as
	// import reads an old hub's folder; the walk takes no link.
	root, err := os.OpenRoot(r.Dir)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", r.Source(), err)
	}
	defer root.Close()
	for _, d := range []string{"binder", ".binder"} {
		// Lstat: a binder/ that is a link is not the configuration folder
		// (the walk does not enter it).
		if fi, err := root.Lstat(d); err == nil && fi.IsDir() {
			s.binder = d
			break
		}
	}
	config := map[string][]byte{}
	err = filepath.WalkDir(r.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(r.Dir, p)
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
		isConfig := s.binder != "" && strings.HasPrefix(rel, s.binder+"/") ||
			s.binder == "" && slices.Contains(rootConfigFiles, rel)
		if !d.Type().IsRegular() {
			s.skipped = append(s.skipped, rel+": not a regular file")
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Size() > MaxFileSize {
			s.skipped = append(s.skipped, fmt.Sprintf("%s: larger than %d KiB", rel, MaxFileSize>>10))
			return nil
		}
		data, err := input.ReadIn(root, filepath.FromSlash(rel))
		switch {
		case errors.Is(err, input.ErrNotRegular):
			s.skipped = append(s.skipped, rel+": not a regular file")
			return nil
		case errors.Is(err, input.ErrTooLarge):
			s.skipped = append(s.skipped, fmt.Sprintf("%s: larger than %d bytes, the limit for an input file", rel, input.Limit()))
			return nil
		case err != nil:
			return err
		}
		if isConfig {
			name := rel
			if s.binder != "" {
				name = strings.TrimPrefix(rel, s.binder+"/")
			}
			config[name] = data
			return nil
		}
		if !utf8.Valid(data) || slices.Contains(data, 0) {
			s.skipped = append(s.skipped, rel+": binary")
			return nil
		}
		if !e.valid("#BuiltImage.files", map[string]string{rel: ""}) {
			s.skipped = append(s.skipped, rel+": a path image.files does not take")
			return nil
		}
		s.files[rel] = string(data)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", r.Source(), err)
	}
	e.convertConfig(s, config)
	for _, rel := range sortedKeys(s.files) {
		stem := strings.ToLower(strings.TrimSuffix(rel, path.Ext(rel)))
		if stem != "readme" {
			continue
		}
		mark := "TODO(operator): adapt this README from " + r.Source() + " to the hub"
		switch strings.ToLower(path.Ext(rel)) {
		case ".md", ".markdown", "":
			mark = "<!-- " + mark + " -->\n"
		case ".rst":
			mark = ".. " + mark + "\n\n"
		default:
			mark += "\n\n"
		}
		s.files[rel] = mark + s.files[rel]
		s.readme = rel
		break
	}
	return s, nil
}

// convertConfig converts the repo2docker configuration files.
func (e *Env) convertConfig(s *imageSpec, config map[string][]byte) {
	validSpec := func(x string) bool { return e.valid("#CondaSpec", x) }
	validVar := func(x string) bool { return e.valid("#BuiltImage.start", map[string]string{x: ""}) }
	where := func(name string) string {
		if s.binder == "" {
			return name
		}
		return s.binder + "/" + name
	}
	for _, name := range binderFiles {
		data, ok := config[name]
		if !ok {
			continue
		}
		delete(config, name)
		s.read = append(s.read, where(name))
		prefix := func(notes []string) []string {
			out := make([]string, len(notes))
			for i, n := range notes {
				out[i] = where("") + n
			}
			return out
		}
		switch name {
		case "Dockerfile":
			base, notes := ConvertDockerfile(data, func(x string) bool { return e.valid("#ImageRef", x) })
			s.base = base
			s.note("base", prefix(notes)...)
		case "environment.yml", "environment.yaml":
			conda, start, notes, err := ConvertEnvironment(data, validSpec, validVar)
			if err != nil {
				s.note("conda", where(name)+": "+err.Error()+": not converted")
				continue
			}
			s.conda.Channels = conda.Channels
			for _, d := range conda.Dependencies {
				s.conda.Dependencies = appendUnique(s.conda.Dependencies, d)
			}
			for _, p := range conda.Pip {
				s.conda.Pip = appendUnique(s.conda.Pip, p)
			}
			for _, k := range sortedKeys(start) {
				if s.start == nil {
					s.start = map[string]string{}
				}
				s.start[k] = start[k]
			}
			s.note("conda", prefix(notes)...)
		case "requirements.txt":
			pip, notes := ConvertRequirements(data)
			for _, p := range pip {
				s.conda.Pip = appendUnique(s.conda.Pip, p)
			}
			s.note("conda", prefix(notes)...)
		case "runtime.txt":
			spec, notes := ConvertRuntime(data)
			if spec != "" {
				if slices.ContainsFunc(s.conda.Dependencies, func(d string) bool { return specName(d) == "python" }) {
					notes = append(notes, fmt.Sprintf("runtime.txt: %s not added: the environment pins python", spec))
				} else {
					s.conda.Dependencies = append(s.conda.Dependencies, spec)
				}
			}
			s.note("conda", prefix(notes)...)
		case "apt.txt":
			apt, notes := ConvertApt(data, func(x string) bool { return e.valid("#BuiltImage.apt", []string{x}) })
			s.apt = apt
			s.note("apt", prefix(notes)...)
		case "postBuild":
			lines, notes := ConvertPostBuild(data)
			s.postBuild = append(s.postBuild, lines...)
			s.note("postBuild", prefix(notes)...)
		case "start":
			start, rest := ConvertStart(data, validVar)
			for _, k := range sortedKeys(start) {
				if s.start == nil {
					s.start = map[string]string{}
				}
				s.start[k] = start[k]
			}
			// The start script's other commands run as they did, after
			// the exports and before the container's command.
			if e.valid("#BuiltImage.startCommands", rest) {
				s.startCommands = append(s.startCommands, rest...)
			} else if len(rest) > 0 {
				s.note("start", fmt.Sprintf("%s: %d command(s) other than exports not converted (not shell lines image.startCommands takes)", where("start"), len(rest)))
			}
		}
	}
	if data, ok := config[workspaceName]; ok {
		delete(config, workspaceName)
		var ws map[string]any
		if err := json.Unmarshal(data, &ws); err != nil || ws == nil {
			s.note("", where(workspaceName)+": not a JSON object: not converted")
		} else {
			s.read = append(s.read, where(workspaceName))
			s.workspace = ws
		}
	}
	for _, name := range sortedKeys(config) {
		s.note("", where(name)+": not converted (pangeo-gen reads "+strings.Join(append(slices.Clone(binderFiles), workspaceName), ", ")+")")
	}
}

// workspaceName is the JupyterLab workspace file of a binder folder.
const workspaceName = "jupyterlab-workspace.json"

// imageFrom fills the hub's image section from the repository: every field
// the templates do not fix to another value; a field they fix is left out
// with a TODO(operator) comment saying what the repository wanted.
func (e *Env) imageFrom(hf *hubFile, base cue.Value, o Options, res *Result) error {
	r := o.Image
	s, err := e.readImage(r)
	if err != nil {
		return err
	}
	if b, ok := concrete(lookup(base, "dask.backend")); ok {
		if backend, _ := b.String(); backend == "gateway" {
			if v, ok := concrete(lookup(base, "chart.daskGateway.version")); ok {
				version, _ := v.String()
				var n1, n2 []string
				s.conda.Dependencies, n1 = PinGateway(s.conda.Dependencies, version, "=")
				s.conda.Pip, n2 = PinGateway(s.conda.Pip, version, "==")
				s.note("conda", append(n1, n2...)...)
			}
		}
	}

	img := hf.body.obj("image")
	img.remove("prebuilt")
	baseImg := lookup(base, "image")
	var general []string
	// put states the value at path (under image) unless the templates
	// give it the same value; a value they refuse becomes a note.
	put := func(obj *object, path []string, x any, from string) *field {
		if d, ok := concrete(lookupSels(baseImg, path)); ok {
			if j, err := json.Marshal(x); err == nil {
				if dj, err := d.MarshalJSON(); err == nil && string(dj) == string(j) {
					return nil
				}
			}
		}
		nested := any(x)
		for i := len(path) - 1; i >= 0; i-- {
			nested = map[string]any{path[i]: nested}
		}
		if err := baseImg.Unify(e.ctx.Encode(nested)).Validate(); err != nil {
			what := "image." + strings.Join(path, ".")
			msg := fmt.Sprintf("%s: %s wants %s, but ", from, what, showJSON(x))
			if d, ok := concrete(lookupSels(baseImg, path)); ok {
				dj, _ := d.MarshalJSON()
				msg += fmt.Sprintf("%s fixes it to %s", templatesOr(res.Templates), dj)
			} else {
				msg += "the schema or templates refuse it"
			}
			msg += ": not set; change the value, the template, or stop embedding it"
			general = append(general, msg)
			return nil
		}
		return obj.set(path[len(path)-1], x)
	}
	doc := func(f *field, field string) {
		if f != nil && len(s.notes[field]) > 0 {
			f.doc = append(f.doc, notesDoc(s.notes[field])...)
		} else {
			general = append(general, s.notes[field]...)
		}
	}
	cfgFile := func(name string) string {
		if s.binder == "" {
			return name
		}
		return s.binder + "/" + name
	}

	if s.base != "" {
		doc(put(img, []string{"base"}, s.base, cfgFile("Dockerfile")), "base")
	} else {
		general = append(general, s.notes["base"]...)
	}
	conda := &object{}
	if len(s.conda.Channels) > 0 {
		put(conda, []string{"conda", "channels"}, s.conda.Channels, cfgFile("environment.yml"))
	}
	if len(s.conda.Dependencies) > 0 {
		put(conda, []string{"conda", "dependencies"}, s.conda.Dependencies, cfgFile("environment.yml"))
	}
	if len(s.conda.Pip) > 0 {
		put(conda, []string{"conda", "pip"}, s.conda.Pip, cfgFile("environment.yml"))
	}
	if len(conda.fields) > 0 {
		doc(img.set("conda", conda), "conda")
	} else {
		general = append(general, s.notes["conda"]...)
	}
	if len(s.apt) > 0 {
		doc(put(img, []string{"apt"}, s.apt, cfgFile("apt.txt")), "apt")
	} else {
		general = append(general, s.notes["apt"]...)
	}
	if len(s.postBuild) > 0 {
		doc(put(img, []string{"postBuild"}, s.postBuild, cfgFile("postBuild")), "postBuild")
	} else {
		general = append(general, s.notes["postBuild"]...)
	}
	start := &object{}
	for _, k := range sortedKeys(s.start) {
		put(start, []string{"start", k}, s.start[k], cfgFile("start"))
	}
	if len(start.fields) > 0 {
		doc(img.set("start", start), "start")
	} else {
		general = append(general, s.notes["start"]...)
	}
	if len(s.startCommands) > 0 {
		doc(put(img, []string{"startCommands"}, s.startCommands, cfgFile("start")), "start")
	}
	if s.workspace != nil {
		img.set("workspace", dataObject(s.workspace))
	}
	files := &object{}
	for _, rel := range sortedKeys(s.files) {
		f := put(files, []string{"files", rel}, s.files[rel], rel)
		if f != nil && rel == s.readme {
			f.doc = wrap(fmt.Sprintf("TODO(operator): adapt this README from %s to the hub.", r.Source()), 64)
		}
	}
	if len(files.fields) > 0 {
		img.set("files", files)
	}
	general = append(general, s.notes[""]...)

	commit := r.Commit
	if len(commit) > 12 {
		commit = commit[:12]
	}
	read := "no repo2docker configuration"
	if len(s.read) > 0 {
		read = strings.Join(s.read, ", ")
	}
	text := fmt.Sprintf("The image starts from %s (commit %s), taken with --image-from: %s became the fields below, its other files image.files (copied into every user's home).", r.Source(), commit, read)
	if len(s.skipped) > 0 {
		text += " Not taken (fetch them from the repository if the hub needs them): " + strings.Join(s.skipped, "; ") + "."
	}
	lines := wrap(text, 72)
	if len(general) > 0 {
		lines = append(lines, notesDoc(general)...)
	}
	imgField := hf.body.get("image")
	imgField.doc = append(imgField.doc, lines...)

	res.Notes = append(res.Notes, fmt.Sprintf("image from %s at %s: %s converted; %d file(s) into image.files", r.Source(), commit, read, len(files.fields)))
	for _, sk := range s.skipped {
		res.Notes = append(res.Notes, "not taken: "+sk)
	}
	for _, field := range []string{"base", "conda", "apt", "postBuild", "start"} {
		for _, n := range s.notes[field] {
			res.Notes = append(res.Notes, "TODO(operator): "+n)
		}
	}
	for _, g := range general {
		if !slices.Contains(res.Notes, "TODO(operator): "+g) {
			res.Notes = append(res.Notes, "TODO(operator): "+g)
		}
	}
	return nil
}

// notesDoc writes notes as TODO(operator) comment lines.
func notesDoc(notes []string) []string {
	var out []string
	for _, n := range notes {
		lines := wrap("TODO(operator): "+n, 68)
		for i := 1; i < len(lines); i++ {
			lines[i] = "  " + lines[i]
		}
		out = append(out, lines...)
	}
	return out
}

func templatesOr(names []string) string {
	if len(names) == 0 {
		return "the schema"
	}
	return strings.Join(names, " & ")
}

func showJSON(x any) string {
	b, err := json.Marshal(x)
	if err != nil {
		return fmt.Sprint(x)
	}
	return string(b)
}
