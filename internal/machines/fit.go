package machines

import (
	"cmp"
	"errors"
	"fmt"
	"github.com/pangeo-data/pangeo-gen/gen"
	"math"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
)

// Problem is one request that does not fit.
type Problem struct {
	// Path is the CUE path of the offending value inside the hub, such as
	// "notebook.memory.guarantee",
	// "environments.prod.notebook.profiles[2].cpu.guarantee",
	// "dask.worker.memoryGiB.max" or "cloud.nodePools.user.machineType".
	Path string
	// Message says what does not fit where, with the numbers.
	Message string
}

// String is "path: message".
func (p Problem) String() string { return p.Path + ": " + p.Message }

// Fit checks that a hub's requests fit the allocatable capacity (see
// Allocatable) of the node pool they are scheduled on, in every environment
// of hub.EnvNames:
//
//   - the notebook's cpu and memory guarantees, and every profile's, on the
//     user pool;
//   - the Dask worker on the dask pool: with dask-gateway the largest worker
//     a user may ask for (worker.cores.max cores, worker.memoryGiB.max GiB),
//     with dask-kubernetes worker.cores and worker.memory.
//
// It also checks that every memory guarantee is at most its limit (CUE
// checks that for cpu, but cannot compare quantities). A pool's explicit
// cpu and memory override the catalog's figures; a machine type the catalog
// does not know, on a pool that does not set both, is a problem at
// cloud.nodePools.<pool>.machineType and nothing is checked against it.
//
// A problem is reported at the environment's path when the environment
// overrides the value (environments.prod.notebook...), else at the hub's,
// each path once; problems are sorted by path (numbers in list indexes
// compare as numbers).
func Fit(h *hub.Hub) []Problem {
	f := fitter{h: h, seen: map[string]Problem{}}
	user := f.pool("user", h.Cloud.NodePools.User)
	dask := f.pool("dask", h.Cloud.NodePools.Dask)
	for _, env := range hub.EnvNames {
		eh := h.ForEnv(env)
		var o *hub.NotebookOverride
		if e, ok := h.Environments[env]; ok {
			o = e.Notebook
		}
		prefix := func(overridden bool) string {
			if overridden {
				return "environments." + env + ".notebook"
			}
			return "notebook"
		}
		cpuAt := prefix(o != nil && o.CPU != nil) + ".cpu"
		memAt := prefix(o != nil && o.Memory != nil) + ".memory"
		f.cpu(user, "notebook", cpuAt, eh.Notebook.CPU)
		f.memory(user, "notebook", memAt, eh.Notebook.Memory)
		profAt := prefix(o != nil && o.Profiles != nil) + ".profiles"
		for i, p := range eh.Notebook.Profiles {
			what := fmt.Sprintf("profile %q", p.Slug)
			at := fmt.Sprintf("%s[%d]", profAt, i)
			f.cpu(user, what, at+".cpu", p.CPU)
			f.memory(user, what, at+".memory", p.Memory)
		}
		f.dask(dask, eh.Dask)
	}
	out := make([]Problem, 0, len(f.seen))
	for _, p := range f.seen {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Problem) int {
		return cmp.Or(comparePaths(a.Path, b.Path), strings.Compare(a.Message, b.Message))
	})
	return out
}

// capacity is a pool's machine as Fit checks against it.
type capacity struct {
	pool     string // user or dask
	machine  string // machine type name
	m        Machine
	milliCPU int64 // allocatable
	memory   int64 // allocatable
}

type fitter struct {
	h    *hub.Hub
	seen map[string]Problem
}

func (f *fitter) report(path, format string, args ...any) {
	if _, ok := f.seen[path]; !ok {
		f.seen[path] = Problem{Path: path, Message: fmt.Sprintf(format, args...)}
	}
}

// UnknownMachineError is PoolMachine's error for a machine type the
// catalog does not know, on a pool that does not give both cpu and memory.
type UnknownMachineError struct {
	Provider, MachineType string
}

func (e *UnknownMachineError) Error() string {
	return fmt.Sprintf("unknown %s machine type %s", e.Provider, e.MachineType)
}

// PoolMachine is the machine of a node pool on a provider: the catalog's
// figures for its machine type, the pool's explicit cpu and memory
// overriding them. A machine type the catalog does not know, on a pool
// that does not set both, is an *UnknownMachineError; a memory that is not a
// quantity is an error too.
func PoolMachine(provider string, p hub.NodePool) (Machine, error) {
	m, known := Lookup(provider, p.MachineType)
	if p.CPU > 0 {
		m.CPU = p.CPU
	}
	if p.Memory != "" {
		q, err := resource.ParseQuantity(p.Memory)
		if err != nil {
			return Machine{}, fmt.Errorf("pool memory %q is not a quantity: %w", p.Memory, err)
		}
		m.Memory = q.Value()
	}
	if !known && (p.CPU <= 0 || p.Memory == "") {
		return Machine{}, &UnknownMachineError{Provider: provider, MachineType: p.MachineType}
	}
	return m, nil
}

// pool resolves a pool's machine, or reports why it cannot and returns nil.
func (f *fitter) pool(name string, p hub.NodePool) *capacity {
	at := "cloud.nodePools." + name
	m, err := PoolMachine(f.h.Cloud.Provider, p)
	var unknown *UnknownMachineError
	switch {
	case errors.As(err, &unknown):
		f.report(at+".machineType", "%v: set cpu and memory on the pool", err)
		return nil
	case err != nil:
		f.report(at+".memory", "%v", err)
		return nil
	}
	c := &capacity{pool: name, machine: p.MachineType, m: m}
	c.milliCPU, c.memory = Allocatable(m)
	return c
}

// cpu checks a cpu guarantee, at is the path of its #CPU.
func (f *fitter) cpu(c *capacity, what, at string, cpu hub.CPU) {
	if c == nil {
		return
	}
	f.fitCPU(c, what+" cpu guarantee", at+".guarantee", cpu.Guarantee)
}

// memory checks a memory guarantee and that it is at most the limit; at is
// the path of its #Memory.
func (f *fitter) memory(c *capacity, what, at string, mem hub.Memory) {
	g, gerr := resource.ParseQuantity(mem.Guarantee)
	if gerr != nil {
		f.report(at+".guarantee", "%s memory guarantee %q is not a quantity: %v", what, mem.Guarantee, gerr)
	}
	l, lerr := resource.ParseQuantity(mem.Limit)
	if lerr != nil {
		f.report(at+".limit", "%s memory limit %q is not a quantity: %v", what, mem.Limit, lerr)
	}
	if gerr == nil && lerr == nil && l.Cmp(g) < 0 {
		f.report(at+".limit", "%s memory limit %s is below its guarantee %s", what, mem.Limit, mem.Guarantee)
	}
	if gerr == nil && c != nil {
		f.fitMemory(c, what+" memory guarantee "+mem.Guarantee, at+".guarantee", g.Value())
	}
}

// dask checks the largest Dask worker against the dask pool.
func (f *fitter) dask(c *capacity, d hub.Dask) {
	if c == nil {
		return
	}
	switch {
	case d.Gateway != nil:
		w := d.Gateway.Worker
		// The gateway requests a fraction of what a user asks for (see
		// gen.GatewayCoresRequest); the largest request must fit.
		f.fitCPU(c, "dask worker cores max "+formatNumber(w.Cores.Max)+", requesting", "dask.worker.cores.max", w.Cores.Max*gen.GatewayCoresRequest)
		f.fitMemory(c, "dask worker memoryGiB max "+formatNumber(w.MemoryGiB.Max)+" GiB, requesting "+formatNumber(w.MemoryGiB.Max*gen.GatewayMemoryRequest)+" GiB,",
			"dask.worker.memoryGiB.max", int64(math.Ceil(w.MemoryGiB.Max*gen.GatewayMemoryRequest*float64(GiB))))
	case d.Kubernetes != nil:
		w := d.Kubernetes.Worker
		f.fitCPU(c, "dask worker cores", "dask.worker.cores", w.Cores)
		q, err := resource.ParseQuantity(w.Memory)
		if err != nil {
			f.report("dask.worker.memory", "dask worker memory %q is not a quantity: %v", w.Memory, err)
			return
		}
		f.fitMemory(c, "dask worker memory "+w.Memory, "dask.worker.memory", q.Value())
	}
}

// fitCPU reports cores that exceed the pool's allocatable CPU; what names
// the request ("notebook cpu guarantee").
func (f *fitter) fitCPU(c *capacity, what, path string, cores float64) {
	milli := int64(math.Ceil(cores*1000 - 1e-6))
	if milli <= c.milliCPU {
		return
	}
	f.report(path, "%s %s does not fit %s (%d vCPU, about %s allocatable) of the %s pool",
		what, formatNumber(cores), c.machine, c.m.CPU, formatNumber(float64(c.milliCPU)/1000), c.pool)
}

// fitMemory reports bytes that exceed the pool's allocatable memory; what
// names and shows the request ("notebook memory guarantee 40G").
func (f *fitter) fitMemory(c *capacity, what, path string, bytes int64) {
	if bytes <= c.memory {
		return
	}
	f.report(path, "%s does not fit %s (%s GiB, about %.1f GiB allocatable) of the %s pool",
		what, c.machine, formatNumber(float64(c.m.Memory)/float64(GiB)), float64(c.memory)/float64(GiB), c.pool)
}

// formatNumber prints at most two decimals and no trailing zeros: 4, 3.75,
// 3.92.
func formatNumber(x float64) string {
	return strconv.FormatFloat(math.Round(x*100)/100, 'f', -1, 64)
}

// comparePaths orders CUE paths as strings, except that runs of digits
// compare as numbers, so profiles[2] sorts before profiles[10].
func comparePaths(a, b string) int {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, _ := strconv.Atoi(a[:da])
			nb, _ := strconv.Atoi(b[:db])
			if c := cmp.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func digitRun(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}
