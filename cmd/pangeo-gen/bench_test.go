package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/pangeo-data/pangeo-gen/internal/release/releasetest"
	"github.com/pangeo-data/pangeo-gen/internal/resultcache"
	"github.com/pangeo-data/pangeo-gen/internal/shareddata"
)

// federationOf makes a repository with the real schema, templates and n
// hubs: the three of hubs/ when n is 3, else n hubs built from the
// #PangeoHub template, each with its own domains and cluster.
func federationOf(b testing.TB, n int) string {
	b.Helper()
	src := repoRoot(b)
	dir := b.TempDir()
	for _, d := range []string{"cue.mod", "schema"} {
		if err := copyDir(filepath.Join(src, d), filepath.Join(dir, d)); err != nil {
			b.Fatal(err)
		}
	}
	if n == 3 {
		if err := copyDir(filepath.Join(src, "hubs"), filepath.Join(dir, "hubs")); err != nil {
			b.Fatal(err)
		}
		return dir
	}
	os.MkdirAll(filepath.Join(dir, "hubs"), 0o755)
	for _, f := range []string{"hubs.cue", "templates.cue"} {
		data, err := os.ReadFile(filepath.Join(src, "hubs", f))
		if err != nil {
			b.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "hubs", f), data, 0o644)
	}
	addHubs(b, dir, n)
	return dir
}

// addHubs writes n hubs hub000, hub001, ... built from the #PangeoHub
// template into the repository dir, each with its own domains and cluster.
func addHubs(b testing.TB, dir string, n int) {
	b.Helper()
	for i := range n {
		name := fmt.Sprintf("hub%03d", i)
		body := fmt.Sprintf(`package hubs

hubs: %[1]s: #PangeoHub & {
	title: "Hub %[2]d"
	environments: {
		staging: domain: "staging.%[1]s.pangeo.io"
		prod: domain:    "%[1]s.pangeo.io"
	}
	cloud: {
		provider: "gcp"
		project:  "pangeo-%[1]s"
		location: "us-central1-b"
		cluster:  "%[1]s"
		nodePools: {
			core: {machineType: "n2-standard-2", min: 1, max: 2}
			user: {machineType: "n2-highmem-8", max: 20}
			dask: {machineType: "n2-highmem-4", max: %[2]d + 10}
		}
	}
	image: repository: "us-central1-docker.pkg.dev/pangeo-%[1]s/hubs/notebook"
}
`, name, i)
		if err := os.WriteFile(filepath.Join(dir, "hubs", name+".cue"), []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// reportCPU starts counting the CPU time (user and system) of the process
// and of the children it waited for; the function it returns reports it per
// operation as cpu-ns/op, a figure that other work on the machine changes
// less than the wall time, and its system part as sys-ns/op (the kernel's
// work: creating files, for gen into an empty tree). Call it after the
// set-up: defer reportCPU(b)().
func reportCPU(b *testing.B) func() {
	return reportCPUExcept(b, nil)
}

// reportCPUExcept is reportCPU less the CPU time *excluded holds when it
// reports (what the benchmark spent with the timer stopped).
func reportCPUExcept(b *testing.B, excluded *cpuSpent) func() {
	start := cpuTime()
	return func() {
		spent := cpuTime().minus(start)
		if excluded != nil {
			spent = spent.minus(*excluded)
		}
		b.ReportMetric(float64(spent.user+spent.sys)/float64(b.N), "cpu-ns/op")
		b.ReportMetric(float64(spent.sys)/float64(b.N), "sys-ns/op")
	}
}

// cpuSpent is CPU time, user and system.
type cpuSpent struct{ user, sys time.Duration }

func (c cpuSpent) minus(d cpuSpent) cpuSpent { return cpuSpent{c.user - d.user, c.sys - d.sys} }

// cpuTime is the CPU time used by the process and its waited-for children.
func cpuTime() cpuSpent {
	var total cpuSpent
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if err := syscall.Getrusage(who, &ru); err == nil {
			total.user += time.Duration(ru.Utime.Nano())
			total.sys += time.Duration(ru.Stime.Nano())
		}
	}
	return total
}

func run(b *testing.B, args ...string) {
	b.Helper()
	if code := Main(args, io.Discard, io.Discard); code != 0 {
		b.Fatalf("pangeo-gen %v: exit %d", args, code)
	}
}

// BenchmarkGen writes the whole deployments/ and clusters/ trees into a
// fresh repository, some 1900 files and 900 folders: each run has a
// repository of its own, made untimed (its CPU left out too), and nothing
// is deleted while the benchmark runs. sys-ns/op measures the file system
// as much as gen: on an ext4 without a journal (the development VM's), the
// inode allocator passes over every inode deleted in the last minutes,
// reading the inode table for each (perf: __ext4_new_inode, find_inode_bit,
// recently_deleted, find_get_block_common, 30-40% of the samples), so that
// after a test run has removed its temporary folders, creating 1900 files
// costs 1-1.9 s of system time instead of the 0.2-0.3 s of a quiet disk.
// Deleting the last tree before each run, as this benchmark once did, made
// that the rule. BenchmarkGenEdited is the everyday gen.
func BenchmarkGen(b *testing.B) {
	for _, n := range []int{3, 100} {
		b.Run(fmt.Sprintf("hubs=%d", n), func(b *testing.B) {
			var setup cpuSpent
			defer reportCPUExcept(b, &setup)()
			for b.Loop() {
				b.StopTimer()
				before := cpuTime()
				dir := federationOf(b, n)
				spent := cpuTime().minus(before)
				setup.user += spent.user
				setup.sys += spent.sys
				b.StartTimer()
				run(b, "--root", dir, "gen")
			}
		})
	}
}

// BenchmarkGenEdited is gen on the generated tree of n hubs after one hub
// was edited (its title, so that its README changes), the edit undone and
// redone in turn: the gen before a pull request.
func BenchmarkGenEdited(b *testing.B) {
	for _, n := range []int{3, 100} {
		b.Run(fmt.Sprintf("hubs=%d", n), func(b *testing.B) {
			dir := federationOf(b, n)
			run(b, "--root", dir, "gen")
			file, orig, edited := titleEdit(b, dir, n)
			defer reportCPU(b)()
			editLoop(b, file, orig, edited, func() { run(b, "--root", dir, "gen") })
		})
	}
}

// editLoop runs do once per benchmark iteration, file holding edited and
// orig in turn (written with the timer stopped).
func editLoop(b *testing.B, file string, orig, edited []byte, do func()) {
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		body := orig
		if i%2 == 0 {
			body = edited
		}
		if err := os.WriteFile(file, body, 0o644); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		do()
	}
}

// titleField is the start of a hub's title.
var titleField = regexp.MustCompile(`title:(\s*)"`)

// titleEdit is the hub file of one hub of the federation of n hubs at dir
// (alpha, or hub000), its bytes, and its bytes with the hub's title
// edited.
func titleEdit(b *testing.B, dir string, n int) (file string, orig, edited []byte) {
	b.Helper()
	file = filepath.Join(dir, "hubs", "alpha.cue")
	if n != 3 {
		file = filepath.Join(dir, "hubs", "hub000.cue")
	}
	orig, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	edited = titleField.ReplaceAll(orig, []byte(`title:$1"Edited `))
	if bytes.Equal(edited, orig) {
		b.Fatal("no title to edit")
	}
	return file, orig, edited
}

// BenchmarkVet checks a current repository (every check, the up-to-date
// comparison of the generated tree included).
func BenchmarkVet(b *testing.B) {
	for _, n := range []int{3, 100} {
		b.Run(fmt.Sprintf("hubs=%d", n), func(b *testing.B) {
			dir := federationOf(b, n)
			run(b, "--root", dir, "gen")
			defer reportCPU(b)()
			for b.Loop() {
				run(b, "--root", dir, "vet")
			}
		})
	}
}

// BenchmarkVetChartsVendored is BenchmarkVet with the charts vendored
// (the stand-ins), so that vet also checks every hub-env's values against
// them (without them, that check costs next to nothing).
func BenchmarkVetChartsVendored(b *testing.B) {
	for _, n := range []int{3, 100} {
		b.Run(fmt.Sprintf("hubs=%d", n), func(b *testing.B) {
			dir := federationOf(b, n)
			run(b, "--root", dir, "gen")
			if err := releasetest.WriteVendor(filepath.Join(dir, "vendor", "charts"), "", ""); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				run(b, "--root", dir, "vet")
			}
		})
	}
}

// BenchmarkVetPlacement is BenchmarkVet with the real jupyterhub and
// dask-gateway charts vendored, so that the placement check also renders
// every hub-env and checks the charts' own pods (with the stand-ins, which
// have no templates, it checks the user and Dask pods only, as
// BenchmarkVetChartsVendored measures). The result cache is off (TestMain),
// so every run renders every hub-env: a first vet, as a CI job without a
// cache runs it. Skipped without ../shared.
func BenchmarkVetPlacement(b *testing.B) {
	needUpstreamCharts(b)
	for _, n := range []int{3, 100} {
		b.Run(fmt.Sprintf("hubs=%d", n), func(b *testing.B) {
			dir := upstreamFederationOf(b, n)
			defer reportCPU(b)()
			for b.Loop() {
				run(b, "--root", dir, "vet")
			}
		})
	}
}

// BenchmarkVetPlacementCached is BenchmarkVetPlacement with the result
// cache, filled by a vet before the timer: "unchanged" is vet again, every
// hub-env read from the cache; "edited" is vet after one hub's title was
// edited to a title never seen before (and gen run, untimed), so that
// that hub's two envs are rendered and the others read.
func BenchmarkVetPlacementCached(b *testing.B) {
	needUpstreamCharts(b)
	for _, n := range []int{3, 100} {
		for _, edit := range []bool{false, true} {
			name := fmt.Sprintf("hubs=%d/unchanged", n)
			if edit {
				name = fmt.Sprintf("hubs=%d/edited", n)
			}
			b.Run(name, func(b *testing.B) {
				dir := upstreamFederationOf(b, n)
				b.Setenv(resultcache.EnvDir, b.TempDir())
				run(b, "--root", dir, "vet")
				file, orig, _ := titleEdit(b, dir, n)
				defer reportCPU(b)()
				for i := 0; b.Loop(); i++ {
					if edit {
						b.StopTimer()
						edited := titleField.ReplaceAll(orig, []byte(fmt.Sprintf(`title:$1"Edit %d `, i)))
						if err := os.WriteFile(file, edited, 0o644); err != nil {
							b.Fatal(err)
						}
						run(b, "--root", dir, "gen")
						b.StartTimer()
					}
					run(b, "--root", dir, "vet")
				}
			})
		}
	}
}

// needUpstreamCharts skips b without the real charts of ../shared.
func needUpstreamCharts(b *testing.B) {
	b.Helper()
	for _, name := range []string{releasetest.JupyterHub, releasetest.DaskGateway} {
		if dir, ok := shareddata.Locate(releasetest.UpstreamDir(name)); !ok {
			shareddata.Missing(b, dir)
		}
	}
}

// upstreamFederationOf is federationOf n hubs, generated, with the real
// charts vendored.
func upstreamFederationOf(b *testing.B, n int) string {
	b.Helper()
	dir := federationOf(b, n)
	run(b, "--root", dir, "gen")
	if err := releasetest.Upstream.WriteVendor(filepath.Join(dir, "vendor", "charts"), "", ""); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkVetAndGen is the pre-PR routine the target is set for: a hub
// was edited (its title, so its README changes), then gen and vet run on
// the committed tree of n hubs.
func BenchmarkVetAndGen(b *testing.B) {
	for _, n := range []int{3, 100} {
		b.Run(fmt.Sprintf("hubs=%d", n), func(b *testing.B) {
			dir := federationOf(b, n)
			run(b, "--root", dir, "gen")
			file, orig, edited := titleEdit(b, dir, n)
			editLoop(b, file, orig, edited, func() {
				run(b, "--root", dir, "gen")
				run(b, "--root", dir, "vet")
			})
		})
	}
}

// BenchmarkVetAndGenFresh is gen into an empty deployments/ (every file
// and folder created) followed by vet: on a slow disk it is bound by file
// creation, not by pangeo-gen's own work.
func BenchmarkVetAndGenFresh(b *testing.B) {
	for _, n := range []int{3, 100} {
		b.Run(fmt.Sprintf("hubs=%d", n), func(b *testing.B) {
			dir := federationOf(b, n)
			for b.Loop() {
				b.StopTimer()
				os.RemoveAll(filepath.Join(dir, "deployments"))
				b.StartTimer()
				run(b, "--root", dir, "gen")
				run(b, "--root", dir, "vet")
			}
		})
	}
}

// BenchmarkCIPlan decides the affected hubs between two commits of a git
// repository of n hubs, the second editing one hub's title, checked out:
// both revisions are taken out with git archive, loaded and generated, and
// compared; format=json prints the list, format=config the continuation
// config a CI job runs (the checked-out federation taken from the head).
func BenchmarkCIPlan(b *testing.B) {
	if _, err := exec.LookPath("git"); err != nil {
		b.Skip("needs git")
	}
	for _, format := range []string{"json", "config"} {
		for _, n := range []int{3, 100} {
			b.Run(fmt.Sprintf("hubs=%d/format=%s", n, format), func(b *testing.B) {
				dir := federationOf(b, n)
				git := func(args ...string) {
					cmd := exec.Command("git", append([]string{"-c", "user.email=t@e", "-c", "user.name=t"}, args...)...)
					cmd.Dir = dir
					if out, err := cmd.CombinedOutput(); err != nil {
						b.Fatalf("git %v: %v\n%s", args, err, out)
					}
				}
				git("init", "-q")
				git("add", "-A")
				git("commit", "-q", "-m", "first")
				git("tag", "base")
				file, _, edited := titleEdit(b, dir, n)
				if err := os.WriteFile(file, edited, 0o644); err != nil {
					b.Fatal(err)
				}
				git("commit", "-q", "-a", "-m", "second")
				defer reportCPU(b)()
				for b.Loop() {
					run(b, "--root", dir, "ci", "plan", "--format", format, "--base", "base", "--head", "HEAD")
				}
			})
		}
	}
}

// BenchmarkRenderFederation renders one hub-env, charlie's staging, with
// the real charts (the test umbrella, --chart DIR) and placeholder
// secrets, the whole command in process, in the federation of the three
// hubs and in one of 100 (the three and 97 generated hubs): render loads
// the hub alone, so the two should cost the same.
func BenchmarkRenderFederation(b *testing.B) {
	shareddata.Path(b, releasetest.UpstreamDir(releasetest.JupyterHub))
	shareddata.Path(b, releasetest.UpstreamDir(releasetest.DaskGateway))
	for _, n := range []int{3, 100} {
		b.Run(fmt.Sprintf("hubs=%d", n), func(b *testing.B) {
			dir := federationOf(b, 3)
			addHubs(b, dir, n-3)
			run(b, "--root", dir, "gen")
			chart := filepath.Join(b.TempDir(), "chart")
			if err := releasetest.Upstream.WriteUmbrella(chart, dir); err != nil {
				b.Fatal(err)
			}
			defer reportCPU(b)()
			for b.Loop() {
				run(b, "--root", dir, "render", "charlie", "--chart", chart, "--placeholder-secrets")
			}
		})
	}
}
