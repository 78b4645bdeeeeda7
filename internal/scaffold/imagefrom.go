package scaffold

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"cuelang.org/go/cue"

	"github.com/pangeo-data/pangeo-gen/internal/binder"
	"github.com/pangeo-data/pangeo-gen/internal/hubfile"
)

// imageFrom fills the hub's image section from the repository: every field
// the templates do not fix to another value; a field they fix is left out
// with a TODO(operator) comment saying what the repository wanted.
func imageFrom(e *hubfile.Env, hf *hubfile.File, base cue.Value, o Options, res *Result) error {
	r := o.Image
	s, err := binder.Read(e, r.Dir, r.Source())
	if err != nil {
		return err
	}
	if b, ok := hubfile.Concrete(hubfile.Lookup(base, "dask.backend")); ok {
		if backend, _ := b.String(); backend == "gateway" {
			if v, ok := hubfile.Concrete(hubfile.Lookup(base, "chart.daskGateway.version")); ok {
				version, _ := v.String()
				var n1, n2 []string
				s.Conda.Dependencies, n1 = binder.PinGateway(s.Conda.Dependencies, version, "=")
				s.Conda.Pip, n2 = binder.PinGateway(s.Conda.Pip, version, "==")
				s.Note("conda", append(n1, n2...)...)
			}
		}
	}

	img := hf.Body.Obj("image")
	img.Remove("prebuilt")
	baseImg := hubfile.Lookup(base, "image")
	var general []string
	// put states the value at path (under image) unless the templates
	// give it the same value; a value they refuse becomes a note.
	put := func(obj *hubfile.Object, path []string, x any, from string) *hubfile.Field {
		if d, ok := hubfile.Concrete(hubfile.LookupSels(baseImg, path)); ok {
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
		if err := baseImg.Unify(e.Encode(nested)).Validate(); err != nil {
			what := "image." + strings.Join(path, ".")
			msg := fmt.Sprintf("%s: %s wants %s, but ", from, what, hubfile.ShowJSON(x))
			if d, ok := hubfile.Concrete(hubfile.LookupSels(baseImg, path)); ok {
				dj, _ := d.MarshalJSON()
				msg += fmt.Sprintf("%s fixes it to %s", templatesOr(res.Templates), dj)
			} else {
				msg += "the schema or templates refuse it"
			}
			msg += ": not set; change the value, the template, or stop embedding it"
			general = append(general, msg)
			return nil
		}
		return obj.Set(path[len(path)-1], x)
	}
	doc := func(f *hubfile.Field, field string) {
		if f != nil && len(s.Notes[field]) > 0 {
			f.Doc = append(f.Doc, notesDoc(s.Notes[field])...)
		} else {
			general = append(general, s.Notes[field]...)
		}
	}
	cfgFile := func(name string) string {
		if s.Folder == "" {
			return name
		}
		return s.Folder + "/" + name
	}

	if s.Base != "" {
		doc(put(img, []string{"base"}, s.Base, cfgFile("Dockerfile")), "base")
	} else {
		general = append(general, s.Notes["base"]...)
	}
	conda := &hubfile.Object{}
	if len(s.Conda.Channels) > 0 {
		put(conda, []string{"conda", "channels"}, s.Conda.Channels, cfgFile("environment.yml"))
	}
	if len(s.Conda.Dependencies) > 0 {
		put(conda, []string{"conda", "dependencies"}, s.Conda.Dependencies, cfgFile("environment.yml"))
	}
	if len(s.Conda.Pip) > 0 {
		put(conda, []string{"conda", "pip"}, s.Conda.Pip, cfgFile("environment.yml"))
	}
	if len(conda.Fields) > 0 {
		doc(img.Set("conda", conda), "conda")
	} else {
		general = append(general, s.Notes["conda"]...)
	}
	if len(s.Apt) > 0 {
		doc(put(img, []string{"apt"}, s.Apt, cfgFile("apt.txt")), "apt")
	} else {
		general = append(general, s.Notes["apt"]...)
	}
	if len(s.PostBuild) > 0 {
		doc(put(img, []string{"postBuild"}, s.PostBuild, cfgFile("postBuild")), "postBuild")
	} else {
		general = append(general, s.Notes["postBuild"]...)
	}
	start := &hubfile.Object{}
	for _, k := range slices.Sorted(maps.Keys(s.Start)) {
		put(start, []string{"start", k}, s.Start[k], cfgFile("start"))
	}
	if len(start.Fields) > 0 {
		doc(img.Set("start", start), "start")
	} else {
		general = append(general, s.Notes["start"]...)
	}
	if len(s.StartCommands) > 0 {
		doc(put(img, []string{"startCommands"}, s.StartCommands, cfgFile("start")), "start")
	}
	if s.Workspace != nil {
		img.Set("workspace", hubfile.Data(s.Workspace))
	}
	files := &hubfile.Object{}
	for _, rel := range slices.Sorted(maps.Keys(s.Files)) {
		f := put(files, []string{"files", rel}, s.Files[rel], rel)
		if f != nil && rel == s.Readme {
			f.Doc = hubfile.Wrap(fmt.Sprintf("TODO(operator): adapt this README from %s to the hub.", r.Source()), 64)
		}
	}
	if len(files.Fields) > 0 {
		img.Set("files", files)
	}
	general = append(general, s.Notes[""]...)

	commit := r.Commit
	if len(commit) > 12 {
		commit = commit[:12]
	}
	read := "no repo2docker configuration"
	if len(s.Read) > 0 {
		read = strings.Join(s.Read, ", ")
	}
	text := fmt.Sprintf("The image starts from %s (commit %s), taken with --image-from: %s became the fields below, its other files image.files (copied into every user's home).", r.Source(), commit, read)
	if len(s.Skipped) > 0 {
		text += " Not taken (fetch them from the repository if the hub needs them): " + strings.Join(s.Skipped, "; ") + "."
	}
	lines := hubfile.Wrap(text, 72)
	if len(general) > 0 {
		lines = append(lines, notesDoc(general)...)
	}
	imgField := hf.Body.Get("image")
	imgField.Doc = append(imgField.Doc, lines...)

	res.Notes = append(res.Notes, fmt.Sprintf("image from %s at %s: %s converted; %d file(s) into image.files", r.Source(), commit, read, len(files.Fields)))
	for _, sk := range s.Skipped {
		res.Notes = append(res.Notes, "not taken: "+sk)
	}
	for _, field := range []string{"base", "conda", "apt", "postBuild", "start"} {
		for _, n := range s.Notes[field] {
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
		lines := hubfile.Wrap("TODO(operator): "+n, 68)
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
