package scaffold

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"

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
func (e *Env) New(o Options) (*Result, error) {
	if err := e.CheckName(o.Name); err != nil {
		return nil, err
	}
	if err := e.CheckFree(o.Name); err != nil {
		return nil, err
	}
	res := &Result{Path: loader.HubsDir + "/" + o.Name + ".cue"}
	var (
		hf   *hubFile
		base cue.Value
		err  error
	)
	if o.From != "" {
		hf, base, err = e.copyHub(o, res)
	} else {
		hf, base, err = e.starter(o, res)
	}
	if err != nil {
		return nil, err
	}
	if o.Image != nil {
		if err := e.imageFrom(hf, base, o, res); err != nil {
			return nil, err
		}
	}
	res.Data, err = hf.bytes()
	if err != nil {
		return nil, fmt.Errorf("format %s: %w", res.Path, err)
	}
	return res, nil
}

// baseOf evaluates the hub the file would be with an empty body.
func (e *Env) baseOf(hf *hubFile) (cue.Value, error) {
	empty := &hubFile{name: hf.name, imports: hf.imports, embeds: hf.embeds, body: &object{}}
	data, err := empty.bytes()
	if err != nil {
		return cue.Value{}, err
	}
	base, err := e.base(hf.name, data)
	if err != nil {
		return cue.Value{}, fmt.Errorf("evaluate hubs: %s: %s & {}: %w", hf.name, strings.Join(exprStrings(hf.embeds), " & "), err)
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
func (e *Env) copyHub(o Options, res *Result) (*hubFile, cue.Value, error) {
	src := e.hub(o.From)
	if !src.Exists() {
		return nil, cue.Value{}, fmt.Errorf("--from: %w", &loader.UnknownHubError{Name: o.From, Hubs: e.hubNames()})
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
	hf := &hubFile{name: o.Name, imports: sh.imports, embeds: sh.embeds, body: &object{}}
	res.Templates = sh.names
	base, err := e.baseOf(hf)
	if err != nil {
		return nil, cue.Value{}, err
	}
	body := hf.body

	// state copies a required field from the source unless the templates
	// already give it that value.
	state := func(label, doc string) error {
		v := lookup(src, label)
		b := lookup(base, label)
		if d, ok := concrete(b); ok && sameData(d, v) {
			return nil
		}
		x, err := fromValue(v, b)
		if err != nil {
			return err
		}
		f := body.set(label, x)
		f.doc = wrap(doc, 72)
		f.section = len(body.fields) > 1
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
	e.environments(body, o.Name)

	// The cloud: the source's, with a cluster of the hub's own.
	cloudV := lookup(src, "cloud")
	provider, err := lookup(cloudV, "provider").String()
	if err != nil {
		return nil, cue.Value{}, fmt.Errorf("hub %s: cloud.provider: %w", o.From, err)
	}
	baseCloud := lookup(base, "cloud").Unify(e.ctx.Encode(map[string]string{"provider": provider}))
	x, err := fromValue(cloudV, baseCloud)
	if err != nil {
		return nil, cue.Value{}, err
	}
	cloud := x.(*object)
	if cloud.get("provider") == nil {
		cloud.fields = append([]*field{{label: "provider", value: provider}}, cloud.fields...)
	}
	for _, f := range cloud.fields {
		switch f.label {
		case "provider":
		case "cluster":
			f.value = o.Name
			f.line = fmt.Sprintf("TODO(operator): %s's cluster", o.Name)
		case "nodePools":
			f.doc = wrap(fmt.Sprintf("TODO(operator): size %s's node pools (these are %s's).", o.Name, o.From), 72)
			inlinePools(f.value)
		default:
			f.line = fmt.Sprintf("TODO(operator): %s's; change it if %s runs elsewhere", o.From, o.Name)
		}
	}
	if cloud.get("cluster") == nil {
		cloud.set("cluster", o.Name).line = fmt.Sprintf("TODO(operator): %s's cluster", o.Name)
	}
	cf := body.set("cloud", cloud)
	cf.section = true
	cf.doc = wrap(fmt.Sprintf("Where %s runs: %s's cloud with a cluster of its own.", o.Name, o.From), 72)

	// The image: a repository of the hub's own (or the source's prebuilt
	// image, used as is).
	img := body.obj("image")
	body.get("image").section = true
	if pre, err := lookup(src, "image.prebuilt").String(); err == nil && o.Image == nil {
		img.set("prebuilt", pre).line = fmt.Sprintf("TODO(operator): %s's image, used as is", o.From)
	} else {
		repo := ""
		if r, err := lookup(src, "image.repository").String(); err == nil {
			repo = deriveRepository(r, o.From, o.Name)
		}
		if repo == "" || !e.valid("#Repository", repo) {
			repo = e.starterRepository(provider, o.Name, cloud)
		}
		img.set("repository", repo).line = "TODO(operator): the registry repository the image is pushed to"
	}
	if err := state("auth", fmt.Sprintf("TODO(operator): who may log in to %s (%s's login).", o.Name, o.From)); err != nil {
		return nil, cue.Value{}, err
	}

	// What the source states beyond that is its own.
	whole := map[string]bool{"cloud": true}
	for _, f := range body.fields {
		if _, ok := f.value.(*object); !ok || f.label == "auth" {
			whole[f.label] = true
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
	hf.doc = wrap(doc, 76)
	return hf, base, nil
}

// environments writes the hub's two domains, placeholders unique in the
// federation.
func (e *Env) environments(body *object, name string) {
	used := e.domains()
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
	envs := &object{}
	s := envs.obj("staging")
	s.short = true
	s.set("domain", staging)
	p := envs.obj("prod")
	p.short = true
	p.set("domain", prod)
	f := body.set("environments", envs)
	f.section = len(body.fields) > 1
	f.doc = wrap(fmt.Sprintf("TODO(operator): %s's domains (unique across the federation), pointed at the proxy's load balancer.", name), 72)
}

// inlinePools writes each node pool on one line, as the hubs do.
func inlinePools(v any) {
	pools, ok := v.(*object)
	if !ok {
		return
	}
	for _, f := range pools.fields {
		if o, ok := f.value.(*object); ok {
			o.short = false
			f.value = &inline{o}
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
