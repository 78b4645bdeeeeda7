// Package scaffold writes the CUE file of a new hub: a copy of an existing
// hub's shape (its embedded template and what must differ: name, domains,
// cluster, registry repository) or a commented starter for a provider, and
// optionally an image section taken from a repository's binder/ folder.
// The file is built as cue/ast and printed by cue/format; every value the
// operator has to replace carries a TODO(operator) comment.
package scaffold

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"

	"github.com/pangeo-data/pangeo-gen/internal/hubfile"
	loader "github.com/pangeo-data/pangeo-gen/internal/load"
)

// Providers are the clouds a starter hub can be made for; the first is
// the default.
var Providers = []string{"gcp", "aws", "azure"}

// Template is the federation template a starter hub embeds when
// hubs/templates.cue (or any file of the package) defines it.
const Template = "#PangeoHub"

// Options say which hub to make.
type Options struct {
	// Name is the new hub's name.
	Name string
	// From is the hub to copy; "" makes a starter hub.
	From string
	// Provider is the starter's cloud: gcp (default), aws or azure.
	Provider string
	// Image, when set, is a checkout the image section is read from.
	Image *Repo
	// Command is the command line that made the hub, quoted in the file.
	Command string
}

// Result is the new hub's file.
type Result struct {
	// Path is the file, relative to the root: hubs/<name>.cue.
	Path string
	// Data is its content: formatted CUE.
	Data []byte
	// Templates are the definitions the hub embeds, as written.
	Templates []string
	// Notes are what the operator should know: files of the image source
	// that were not taken, lines that were not converted, fields of the
	// source hub that were not copied.
	Notes []string
}

// New makes the file of a new hub; it writes nothing.
func New(e *hubfile.Env, o Options) (*Result, error) {
	if err := e.CheckName(o.Name); err != nil {
		return nil, err
	}
	if err := e.CheckFree(o.Name); err != nil {
		return nil, err
	}
	res := &Result{Path: loader.HubsDir + "/" + o.Name + ".cue"}
	var (
		hf   *hubfile.File
		base cue.Value
		err  error
	)
	if o.From != "" {
		hf, base, err = copyHub(e, o, res)
	} else {
		hf, base, err = starter(e, o, res)
	}
	if err != nil {
		return nil, err
	}
	if o.Image != nil {
		if err := imageFrom(e, hf, base, o, res); err != nil {
			return nil, err
		}
	}
	res.Data, err = hf.Bytes()
	if err != nil {
		return nil, fmt.Errorf("format %s: %w", res.Path, err)
	}
	return res, nil
}

// baseOf evaluates the hub the file would be with an empty body.
func baseOf(e *hubfile.Env, hf *hubfile.File) (cue.Value, error) {
	empty := &hubfile.File{Name: hf.Name, Imports: hf.Imports, Embeds: hf.Embeds, Body: &hubfile.Object{}}
	data, err := empty.Bytes()
	if err != nil {
		return cue.Value{}, err
	}
	base, err := e.Base(hf.Name, data)
	if err != nil {
		return cue.Value{}, fmt.Errorf("evaluate hubs: %s: %s & {}: %w", hf.Name, strings.Join(exprStrings(hf.Embeds), " & "), err)
	}
	return base, nil
}

func exprStrings(xs []ast.Expr) []string {
	var out []string
	for _, x := range xs {
		switch x := x.(type) {
		case *ast.Ident:
			out = append(out, x.Name)
		case *ast.SelectorExpr:
			if id, ok := x.X.(*ast.Ident); ok {
				sel, _, _ := ast.LabelName(x.Sel)
				out = append(out, id.Name+"."+sel)
			}
		}
	}
	return out
}

// copyHub makes a hub like an existing one: the same embedded templates,
// then the required fields the templates do not give the same value
// (title, owners, contact, auth, from the source), new domains, the
// source's cloud with a new cluster, and a new image repository.
func copyHub(e *hubfile.Env, o Options, res *Result) (*hubfile.File, cue.Value, error) {
	src := e.Hub(o.From)
	if !src.Exists() {
		return nil, cue.Value{}, fmt.Errorf("--from: %w", &loader.UnknownHubError{Name: o.From, Hubs: e.HubNames()})
	}
	rel := loader.HubsDir + "/" + o.From + ".cue"
	data, err := os.ReadFile(filepath.Join(e.Root, filepath.FromSlash(rel)))
	if err != nil {
		return nil, cue.Value{}, fmt.Errorf("hub %s: %w", o.From, err)
	}
	sh, err := readSource(rel, data, o.From)
	if err != nil {
		return nil, cue.Value{}, err
	}
	hf := &hubfile.File{Name: o.Name, Imports: sh.imports, Embeds: sh.embeds, Body: &hubfile.Object{}}
	res.Templates = sh.names
	base, err := baseOf(e, hf)
	if err != nil {
		return nil, cue.Value{}, err
	}
	body := hf.Body

	// state copies a required field from the source unless the templates
	// already give it that value.
	state := func(label, doc string) error {
		v := hubfile.Lookup(src, label)
		b := hubfile.Lookup(base, label)
		if d, ok := hubfile.Concrete(b); ok && hubfile.SameData(d, v) {
			return nil
		}
		x, err := hubfile.FromValue(v, b)
		if err != nil {
			return err
		}
		f := body.Set(label, x)
		f.Doc = hubfile.Wrap(doc, 72)
		f.Section = len(body.Fields) > 1
		return nil
	}
	if err := state("title", fmt.Sprintf("TODO(operator): %s's one-line name, shown in its README (this is %s's).", o.Name, o.From)); err != nil {
		return nil, cue.Value{}, err
	}
	if err := state("owners", fmt.Sprintf("TODO(operator): the GitHub users who answer for %s (these are %s's).", o.Name, o.From)); err != nil {
		return nil, cue.Value{}, err
	}
	if err := state("contact", fmt.Sprintf("TODO(operator): the operators' e-mail, also the Let's Encrypt contact (%s's).", o.From)); err != nil {
		return nil, cue.Value{}, err
	}
	environments(e, body, o.Name)

	// The cloud: the source's, with a cluster of the hub's own.
	cloudV := hubfile.Lookup(src, "cloud")
	provider, err := hubfile.Lookup(cloudV, "provider").String()
	if err != nil {
		return nil, cue.Value{}, fmt.Errorf("hub %s: cloud.provider: %w", o.From, err)
	}
	baseCloud := hubfile.Lookup(base, "cloud").Unify(e.Encode(map[string]string{"provider": provider}))
	x, err := hubfile.FromValue(cloudV, baseCloud)
	if err != nil {
		return nil, cue.Value{}, err
	}
	cloud := x.(*hubfile.Object)
	if cloud.Get("provider") == nil {
		cloud.Fields = append([]*hubfile.Field{{Label: "provider", Value: provider}}, cloud.Fields...)
	}
	for _, f := range cloud.Fields {
		switch f.Label {
		case "provider":
		case "cluster":
			f.Value = o.Name
			f.Line = fmt.Sprintf("TODO(operator): %s's cluster", o.Name)
		case "nodePools":
			f.Doc = hubfile.Wrap(fmt.Sprintf("TODO(operator): size %s's node pools (these are %s's).", o.Name, o.From), 72)
			inlinePools(f.Value)
		default:
			f.Line = fmt.Sprintf("TODO(operator): %s's; change it if %s runs elsewhere", o.From, o.Name)
		}
	}
	if cloud.Get("cluster") == nil {
		cloud.Set("cluster", o.Name).Line = fmt.Sprintf("TODO(operator): %s's cluster", o.Name)
	}
	cf := body.Set("cloud", cloud)
	cf.Section = true
	cf.Doc = hubfile.Wrap(fmt.Sprintf("Where %s runs: %s's cloud with a cluster of its own.", o.Name, o.From), 72)

	// The image: a repository of the hub's own (or the source's prebuilt
	// image, used as is).
	img := body.Obj("image")
	body.Get("image").Section = true
	if pre, err := hubfile.Lookup(src, "image.prebuilt").String(); err == nil && o.Image == nil {
		img.Set("prebuilt", pre).Line = fmt.Sprintf("TODO(operator): %s's image, used as is", o.From)
	} else {
		repo := ""
		if r, err := hubfile.Lookup(src, "image.repository").String(); err == nil {
			repo = deriveRepository(r, o.From, o.Name)
		}
		if repo == "" || !e.Valid("#Repository", repo) {
			repo = starterRepository(e, provider, o.Name, cloud)
		}
		img.Set("repository", repo).Line = "TODO(operator): the registry repository the image is pushed to"
	}
	if err := state("auth", fmt.Sprintf("TODO(operator): who may log in to %s (%s's login).", o.Name, o.From)); err != nil {
		return nil, cue.Value{}, err
	}

	// What the source states beyond that is its own.
	whole := map[string]bool{"cloud": true}
	for _, f := range body.Fields {
		if _, ok := f.Value.(*hubfile.Object); !ok || f.Label == "auth" {
			whole[f.Label] = true
		}
	}
	skipped := notCopied(sh.fields, leafPaths(body, "", nil), whole)
	doc := fmt.Sprintf("%s: TODO(operator): say what the hub is for. Made by `%s`", o.Name, o.Command)
	if len(sh.names) > 0 {
		doc += fmt.Sprintf(": like %s, it embeds %s and states only what must differ from %s.", o.From, strings.Join(sh.names, " & "), o.From)
	} else {
		doc += fmt.Sprintf(": %s embeds no template, so %s states every required field (%s's values where they may be shared).", o.From, o.Name, o.From)
	}
	doc += " Each TODO(operator) marks a value to fill in."
	if len(skipped) > 0 {
		doc += fmt.Sprintf(" Not copied from %s (its own; copy what %s shares): %s.", o.From, o.Name, strings.Join(skipped, ", "))
		res.Notes = append(res.Notes, fmt.Sprintf("not copied from %s (its own settings): %s", o.From, strings.Join(skipped, ", ")))
	}
	if len(sh.ignored) > 0 {
		doc += fmt.Sprintf(" %s also embeds %s: not copied.", o.From, strings.Join(sh.ignored, ", "))
		res.Notes = append(res.Notes, fmt.Sprintf("%s also embeds %s: not copied", o.From, strings.Join(sh.ignored, ", ")))
	}
	hf.Doc = hubfile.Wrap(doc, 76)
	return hf, base, nil
}

// environments writes the hub's two domains, placeholders unique in the
// federation.
func environments(e *hubfile.Env, body *hubfile.Object, name string) {
	used := e.Domains()
	staging, prod := "", ""
	for n := 1; ; n++ {
		label := name
		if n > 1 {
			label = fmt.Sprintf("%s-%d", name, n)
		}
		staging, prod = "staging."+label+".example.org", label+".example.org"
		if !used[staging] && !used[prod] {
			break
		}
	}
	envs := &hubfile.Object{}
	s := envs.Obj("staging")
	s.Short = true
	s.Set("domain", staging)
	p := envs.Obj("prod")
	p.Short = true
	p.Set("domain", prod)
	f := body.Set("environments", envs)
	f.Section = len(body.Fields) > 1
	f.Doc = hubfile.Wrap(fmt.Sprintf("TODO(operator): %s's domains (unique across the federation), pointed at the proxy's load balancer.", name), 72)
}

// inlinePools writes each node pool on one line, as the hubs do.
func inlinePools(v any) {
	pools, ok := v.(*hubfile.Object)
	if !ok {
		return
	}
	for _, f := range pools.Fields {
		if o, ok := f.Value.(*hubfile.Object); ok {
			o.Short = false
			f.Value = &hubfile.Inline{Object: o}
		}
	}
}

// deriveRepository makes the new hub's repository from the source's: the
// source hub's name replaced where it is a whole word of the reference,
// else the source's with -<name> appended.
func deriveRepository(src, from, name string) string {
	var b strings.Builder
	word := strings.Builder{}
	replaced := false
	flush := func() {
		if word.String() == from {
			b.WriteString(name)
			replaced = true
		} else {
			b.WriteString(word.String())
		}
		word.Reset()
	}
	for _, r := range src {
		if strings.ContainsRune("/._:-", r) {
			flush()
			b.WriteRune(r)
			continue
		}
		word.WriteRune(r)
	}
	flush()
	if replaced {
		return b.String()
	}
	return src + "-" + name
}
