package load

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime/metrics"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"
)

// The environment variables that raise (or lower) the evaluation limits.
const (
	// NodesEnv bounds the values (fields, list elements, scalars) of one
	// hub, counted before the hub is exported.
	NodesEnv = "PANGEO_GEN_MAX_HUB_NODES"
	// BytesEnv bounds the bytes of one hub's labels and scalars, counted
	// before the hub is exported.
	BytesEnv = "PANGEO_GEN_MAX_HUB_BYTES"
	// CPUEnv bounds the CPU time of the CUE evaluation of the federation,
	// in seconds (the process guard).
	CPUEnv = "PANGEO_GEN_MAX_EVAL_SECONDS"
	// MemoryEnv bounds the heap during the CUE evaluation, in bytes (the
	// process guard).
	MemoryEnv = "PANGEO_GEN_MAX_EVAL_BYTES"
)

// Limits bound the work and memory of loading a federation. CUE's
// evaluator cannot be interrupted (cuelang.org/go v0.17.1 has no
// cancellation), so two kinds of bound are used:
//
//   - Nodes and Bytes are counted while each hub is walked, lazily, before
//     it is exported: a hub whose value is larger fails with an error naming
//     it, in process and deterministically. This stops a small file whose
//     references double at each level before it becomes a huge values file.
//   - CPU and Memory are watched by a process-level guard while CUE
//     evaluates (a comprehension over 10^10 elements never returns): past
//     either, OnOverrun is called with an error naming the hub being
//     evaluated. The command line's OnOverrun prints it and exits 1, which
//     stops the evaluation; nothing has been written by then.
type Limits struct {
	Nodes  int64
	Bytes  int64
	CPU    time.Duration
	Memory int64
}

// The default limits: two orders of magnitude above the federation's
// largest hub (a few hundred values, a few KiB) and its load (a fraction of
// a second, some tens of MiB).
const (
	DefaultNodes  int64 = 100_000
	DefaultBytes  int64 = 64 << 20
	DefaultCPU          = 10 * time.Second
	DefaultMemory int64 = 4 << 30
)

// LimitsFromEnv are the limits in force: each environment variable that
// holds a positive number, else the default.
func LimitsFromEnv() Limits {
	return Limits{
		Nodes:  envInt(NodesEnv, DefaultNodes),
		Bytes:  envInt(BytesEnv, DefaultBytes),
		CPU:    time.Duration(envInt(CPUEnv, int64(DefaultCPU/time.Second))) * time.Second,
		Memory: envInt(MemoryEnv, DefaultMemory),
	}
}

func envInt(name string, def int64) int64 {
	if n, err := strconv.ParseInt(os.Getenv(name), 10, 64); err == nil && n > 0 {
		return n
	}
	return def
}

// OnOverrun, when set, arms the process-level guard of every Load: it is
// called (once, from the guard's goroutine) with an error naming the hub
// whose evaluation passed Limits.CPU or Limits.Memory, and must end the
// process, since the evaluation cannot be stopped otherwise. When nil, as
// in tests, there is no guard.
var OnOverrun func(err error)

// limitError is a hub (or the federation) that passed a limit.
type limitError struct {
	hub  string
	pos  token.Pos
	what string // "has more than 100000 values"
	env  string
}

func (e *limitError) Position() token.Pos         { return e.pos }
func (e *limitError) InputPositions() []token.Pos { return nil }
func (e *limitError) Error() string               { return errors.String(e) }
func (e *limitError) Path() []string {
	if e.hub == "" {
		return nil
	}
	return []string{"hubs", e.hub}
}
func (e *limitError) Msg() (string, []any) {
	subject := "the CUE evaluation of hubs/"
	if e.hub != "" {
		subject = "hub " + e.hub
	}
	return "%s %s, the limit: stopped (set %s to raise it)", []any{subject, e.what, e.env}
}

// budget counts the values of one hub as it is walked.
type budget struct {
	limits       Limits
	nodes, bytes int64
	// json is the hub's JSON as cue.Value.MarshalJSON writes it, built
	// by the walk from the values it reaches anyway (the fields of the
	// export, in the order Fields gives them, which MarshalJSON follows):
	// exporting the hub again costs as much as the walk. ok is cleared
	// where the walk cannot tell what MarshalJSON would write (a
	// required field, a value of no concrete kind): loadHubs exports the
	// hub itself then.
	json []byte
	ok   bool
	enc  *json.Encoder
	buf  bytes.Buffer
}

// errBudget ends a walk that passed the budget.
var errBudget = fmt.Errorf("budget")

// walk visits v and everything beneath it (every field, definitions and
// hidden ones too, as validation does), stopping as soon as a limit is
// passed. Each value is evaluated only when it is reached, so a walk that
// stops early has done work in proportion to the limit, not to the value.
// With export set, v is a value of the hub's JSON, which walk appends to
// b.json.
func (b *budget) walk(v cue.Value, export bool) error {
	b.nodes++
	if b.nodes > b.limits.Nodes {
		return errBudget
	}
	switch v.IncompleteKind() {
	case cue.StructKind:
		it, err := v.Fields(cue.All())
		if err != nil {
			b.ok = false
			return nil // reported by validation
		}
		if export {
			b.concrete(v, cue.StructKind)
			b.json = append(b.json, '{')
		}
		first := true
		for it.Next() {
			sel := it.Selector()
			b.bytes += int64(len(sel.String()))
			field := export && sel.LabelType() == cue.StringLabel
			if field && sel.ConstraintType() != 0 {
				// An optional field is not exported; MarshalJSON
				// fails on a required one.
				b.ok = b.ok && sel.ConstraintType() == cue.OptionalConstraint
				field = false
			}
			if field {
				if !first {
					b.json = append(b.json, ',')
				}
				first = false
				b.appendString(sel.Unquoted())
				b.json = append(b.json, ':')
			}
			if err := b.walk(it.Value(), field); err != nil {
				return err
			}
		}
		if export {
			b.json = append(b.json, '}')
		}
	case cue.ListKind:
		it, err := v.List()
		if err != nil {
			b.ok = false
			return nil
		}
		if export {
			b.concrete(v, cue.ListKind)
			b.json = append(b.json, '[')
		}
		for i := 0; it.Next(); i++ {
			if export && i > 0 {
				b.json = append(b.json, ',')
			}
			if err := b.walk(it.Value(), export); err != nil {
				return err
			}
		}
		if export {
			b.json = append(b.json, ']')
		}
	case cue.StringKind:
		s, err := v.String()
		if err == nil {
			b.bytes += int64(len(s))
		}
		if export {
			if err != nil {
				b.ok = false
			} else {
				b.appendString(s)
			}
		}
	case cue.BytesKind:
		if s, err := v.Bytes(); err == nil {
			b.bytes += int64(len(s))
		}
		if export {
			b.appendJSON(v)
		}
	default:
		b.bytes += 8
		if export {
			b.appendJSON(v)
		}
	}
	if b.bytes > b.limits.Bytes {
		return errBudget
	}
	return nil
}

// concrete clears b.ok unless v (its default, as MarshalJSON takes it)
// is a concrete value of kind k: MarshalJSON fails on a disjunction
// without a default, say, where Fields and List would not.
func (b *budget) concrete(v cue.Value, k cue.Kind) {
	if d, _ := v.Default(); d.Kind() != k {
		b.ok = false
	}
}

// appendString appends s as MarshalJSON writes a string: encoding/json's
// encoding without HTML escapes.
func (b *budget) appendString(s string) {
	if b.enc == nil {
		b.enc = json.NewEncoder(&b.buf)
		b.enc.SetEscapeHTML(false)
	}
	b.buf.Reset()
	if err := b.enc.Encode(s); err != nil {
		b.ok = false
		return
	}
	b.json = append(b.json, bytes.TrimSuffix(b.buf.Bytes(), []byte("\n"))...)
}

// appendJSON appends the JSON of v, a value that is neither a struct nor
// a list to the walk, as MarshalJSON writes it (a number, a bool, null,
// bytes; a default struct or list of a disjunction whole).
func (b *budget) appendJSON(v cue.Value) {
	data, err := v.MarshalJSON()
	if err != nil {
		b.ok = false
		return
	}
	b.json = append(b.json, data...)
}

// checkSize walks the hub name and fails when it passes the limits. It
// returns the hub's JSON as v.MarshalJSON() would (nil when the walk
// could not tell: export it then).
func (l Limits) checkSize(name string, v cue.Value, pos token.Pos) ([]byte, error) {
	b := &budget{limits: l, ok: true}
	if b.walk(v, true) == nil {
		if !b.ok {
			return nil, nil
		}
		return b.json, nil
	}
	if b.nodes > l.Nodes {
		return nil, &limitError{hub: name, pos: pos, what: fmt.Sprintf("has more than %d values", l.Nodes), env: NodesEnv}
	}
	return nil, &limitError{hub: name, pos: pos, what: fmt.Sprintf("has more than %d bytes of labels and values", l.Bytes), env: BytesEnv}
}

// guard is the process-level watch over one Load's evaluation.
type guard struct {
	limits Limits
	// blame names the hubs whose evaluation does not end, for an overrun
	// while CUE evaluates the whole package (no hub is known then).
	blame func() []string
	hub   atomic.Pointer[string]
	// lanes, while the hubs are evaluated in groups side by side, are
	// where each group's evaluation is (nil otherwise).
	lanes  atomic.Pointer[[]*lane]
	labels map[string]token.Pos
	done   chan struct{}
	once   sync.Once
}

// startGuard arms the guard when OnOverrun is set; stop disarms it.
func startGuard(l Limits, labels map[string]token.Pos, blame func() []string) *guard {
	g := &guard{limits: l, labels: labels, blame: blame, done: make(chan struct{})}
	g.enter("")
	if OnOverrun == nil {
		return g
	}
	onOverrun := OnOverrun
	start := cpuTime()
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			select {
			case <-g.done:
				return
			case <-tick.C:
			}
			if used := cpuTime() - start; used > l.CPU {
				onOverrun(g.overrun(fmt.Sprintf("took more than %s of CPU time", l.CPU), CPUEnv))
				return
			}
			metrics.Read(sample)
			if sample[0].Value.Kind() == metrics.KindUint64 && int64(sample[0].Value.Uint64()) > l.Memory {
				onOverrun(g.overrun(fmt.Sprintf("used more than %d bytes of memory", l.Memory), MemoryEnv))
				return
			}
		}
	}()
	return g
}

// tracker is told which hub (or, "", the federation) is being
// evaluated, for the guard's message: the guard itself, or one group's
// lane of it.
type tracker interface{ enter(name string) }

// enter records that the hub name (or, "", the federation) is being
// evaluated, for the guard's message.
func (g *guard) enter(name string) { g.hub.Store(&name) }

// lane is where the evaluation of one group of hubs is, among groups
// evaluated side by side. Its point is placed in the order one evaluation
// of the whole federation passes the same points (loadHubs: the package,
// each hub's validation, the whole hubs: struct, each hub's export), so
// that the guard names what that one evaluation would have been stuck
// at: the earliest point of the groups still running.
type lane struct {
	rank map[string]int // each hub's place in the federation's order
	// phase is 0 before the group's first hub, 1 while its hubs are
	// validated, 2 after (written by the group's goroutine alone).
	phase int
	at    atomic.Pointer[lanePoint]
}

// lanePoint is a lane's hub ("" for the package or the whole hubs:
// struct) and its place in the one evaluation's order; done once the
// group's evaluation has ended.
type lanePoint struct {
	name string
	key  int
	done bool
}

func (l *lane) enter(name string) {
	n := len(l.rank)
	key := 0 // the package
	switch {
	case name != "" && l.phase < 2:
		l.phase = 1
		key = 1 + l.rank[name]
	case name == "" && l.phase > 0:
		l.phase = 2
		key = 1 + n
	case name != "":
		key = 2 + n + l.rank[name]
	}
	l.at.Store(&lanePoint{name: name, key: key})
}

// end records that the group's evaluation has ended.
func (l *lane) end() { l.at.Store(&lanePoint{done: true}) }

// split starts a lane for each group of hubs (order is every hub of the
// groups, in the federation's order); join ends them.
func (g *guard) split(order []string, groups int) []*lane {
	rank := make(map[string]int, len(order))
	for i, name := range order {
		rank[name] = i
	}
	lanes := make([]*lane, groups)
	for i := range lanes {
		lanes[i] = &lane{rank: rank}
		lanes[i].enter("")
	}
	g.lanes.Store(&lanes)
	return lanes
}

func (g *guard) join() { g.lanes.Store(nil) }

// current is the hub being evaluated ("" for the federation): with lanes,
// the earliest point of those whose group is still running.
func (g *guard) current() string {
	if lanes := g.lanes.Load(); lanes != nil {
		var first *lanePoint
		for _, l := range *lanes {
			if p := l.at.Load(); !p.done && (first == nil || p.key < first.key) {
				first = p
			}
		}
		if first != nil {
			return first.name
		}
	}
	return *g.hub.Load()
}

func (g *guard) stop() { g.once.Do(func() { close(g.done) }) }

func (g *guard) overrun(what, env string) error {
	name := g.current()
	if name == "" && g.blame != nil {
		if names := g.blame(); len(names) > 0 {
			var errs errors.Error
			for _, n := range names {
				errs = errors.Append(errs, &limitError{hub: n, pos: g.labels[n], what: what, env: env})
			}
			return errs
		}
	}
	return &limitError{hub: name, pos: g.labels[name], what: what, env: env}
}

// blameTime bounds the search for the hubs to blame.
const blameTime = 3 * time.Second

// blamer returns the guard's blame for inst: it evaluates, each in a
// context of its own and all at once, the package's shared files (those
// declaring no hub) with the files of one hub, and names the hubs whose
// evaluation has not ended within blameTime. The evaluations that do not
// end keep running: blame is only called when the process is about to
// exit. When every hub is slow the shared files are to blame: nil.
func blamer(inst *build.Instance, sources map[string][]decl, root string) func() []string {
	return func() []string {
		byFile := hubsByFile(sources)
		var shared []*ast.File
		for _, f := range inst.Files {
			if rel, err := filepath.Rel(root, f.Filename); err == nil && byFile[filepath.ToSlash(rel)] == nil {
				shared = append(shared, f)
			}
		}
		names := slices.Sorted(maps.Keys(sources))
		if len(names) == 1 {
			return names
		}
		done := make(chan string, len(names))
		for _, name := range names {
			files := slices.Clone(shared)
			for _, f := range inst.Files {
				if rel, err := filepath.Rel(root, f.Filename); err == nil && slices.Contains(byFile[filepath.ToSlash(rel)], name) {
					files = append(files, f)
				}
			}
			sub := *inst
			sub.Files = files
			go func() {
				cuecontext.New().BuildInstance(&sub)
				done <- name
			}()
		}
		finished := map[string]bool{}
		timeout := time.After(blameTime)
	wait:
		for range names {
			select {
			case n := <-done:
				finished[n] = true
			case <-timeout:
				break wait
			}
		}
		var slow []string
		for _, n := range names {
			if !finished[n] {
				slow = append(slow, n)
			}
		}
		if len(slow) == len(names) && len(names) > 1 {
			return nil
		}
		return slow
	}
}

// hubsByFile are the hubs each file declares (sources inverted), by the
// file's path relative to the root.
func hubsByFile(sources map[string][]decl) map[string][]string {
	byFile := map[string][]string{}
	for name, ds := range sources {
		for _, d := range ds {
			byFile[d.file] = append(byFile[d.file], name)
		}
	}
	return byFile
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
