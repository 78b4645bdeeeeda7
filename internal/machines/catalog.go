// Package machines knows the capacity of the cloud VM types a hub's node
// pools are made of, estimates what Kubernetes leaves of it for pods, and
// checks that a hub's notebook and Dask worker requests fit the pools they
// are scheduled on.
package machines

import (
	"fmt"
	"math"
	"strings"
)

// Machine is a VM type's capacity.
type Machine struct {
	// CPU is the number of vCPUs.
	CPU int
	// Memory is the VM's memory in bytes.
	Memory int64
}

// Binary memory units.
const (
	MiB int64 = 1 << 20
	GiB int64 = 1 << 30
)

// Lookup finds a provider's ("gcp", "aws", "azure") machine type. Names are
// matched case-insensitively (Azure's are case-insensitive; GCP's and AWS's
// are lower case anyway).
func Lookup(provider, machineType string) (Machine, bool) {
	m, ok := catalog[strings.ToLower(provider)][strings.ToLower(machineType)]
	return m, ok
}

// catalog holds the known machine types by provider, then by lower-case name.
var catalog = buildCatalog()

// gib returns n GiB in bytes, rounded to a MiB as Compute Engine's memoryMb
// is: n may be fractional (an n1-highcpu-16's 14.4 GiB is 14746 MiB).
func gib(n float64) int64 { return int64(math.Round(n*1024)) * MiB }

func buildCatalog() map[string]map[string]Machine {
	c := map[string]map[string]Machine{"gcp": {}, "aws": {}, "azure": {}}
	add := func(provider, name string, cpu int, memGiB float64) {
		c[provider][strings.ToLower(name)] = Machine{CPU: cpu, Memory: gib(memGiB)}
	}

	// GCP. Compute Engine documents memory in "GB", but those are GiB: an
	// n1-standard-1's "3.75 GB" is 3840 MiB (the API's memoryMb), and the
	// node's capacity is reported accordingly. Every GCP figure here is GiB.
	gcp := func(family string, perVCPU float64, sizes ...int) {
		for _, n := range sizes {
			add("gcp", fmt.Sprintf("%s-%d", family, n), n, perVCPU*float64(n))
		}
	}
	gcp("e2-standard", 4, 2, 4, 8, 16, 32)
	gcp("e2-highmem", 8, 2, 4, 8, 16) // e2-highmem stops at 16 vCPUs
	gcp("e2-highcpu", 1, 2, 4, 8, 16, 32)
	gcp("n1-standard", 3.75, 1, 2, 4, 8, 16, 32, 64, 96)
	gcp("n1-highmem", 6.5, 2, 4, 8, 16, 32, 64, 96)
	gcp("n1-highcpu", 0.9, 2, 4, 8, 16, 32, 64, 96)
	gcp("n2-standard", 4, 2, 4, 8, 16, 32, 48, 64, 80, 96, 128)
	gcp("n2-highmem", 8, 2, 4, 8, 16, 32, 48, 64, 80, 96)
	add("gcp", "n2-highmem-128", 128, 864) // not 1024: the one exception
	gcp("n2-highcpu", 1, 2, 4, 8, 16, 32, 48, 64, 80, 96)
	gcp("n2d-standard", 4, 2, 4, 8, 16, 32, 48, 64, 80, 96, 128, 224)
	gcp("n2d-highmem", 8, 2, 4, 8, 16, 32, 48, 64, 80, 96)
	gcp("n2d-highcpu", 1, 2, 4, 8, 16, 32, 48, 64, 80, 96, 128, 224)
	gcp("c2-standard", 4, 4, 8, 16, 30, 60)
	gcp("t2d-standard", 4, 1, 2, 4, 8, 16, 32, 48, 60)

	// AWS, in GiB as EC2 documents it. A size's vCPUs follow its name:
	// large 2, xlarge 4, Nxlarge 4N; metal matches the largest size.
	aws := func(family string, perVCPU float64, sizes ...string) {
		for _, s := range sizes {
			n := awsVCPUs(s)
			add("aws", family+"."+s, n, perVCPU*float64(n))
		}
	}
	m5Sizes := []string{"large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"}
	i6Sizes := append(m5Sizes[:len(m5Sizes):len(m5Sizes)], "32xlarge")
	i7Sizes := append(m5Sizes[:len(m5Sizes):len(m5Sizes)], "48xlarge")
	c5Sizes := []string{"large", "xlarge", "2xlarge", "4xlarge", "9xlarge", "12xlarge", "18xlarge", "24xlarge"}
	for _, f := range []struct {
		family  string
		perVCPU float64
		sizes   []string
		metal   []string
	}{
		{"m5", 4, m5Sizes, []string{"metal"}},
		{"m6i", 4, i6Sizes, []string{"metal"}},
		{"m6a", 4, append(i6Sizes[:len(i6Sizes):len(i6Sizes)], "48xlarge"), []string{"metal"}},
		{"m7i", 4, i7Sizes, []string{"metal-24xl", "metal-48xl"}},
		{"r5", 8, m5Sizes, []string{"metal"}},
		{"r6i", 8, i6Sizes, []string{"metal"}},
		{"r7i", 8, i7Sizes, []string{"metal-24xl", "metal-48xl"}},
		{"c5", 2, c5Sizes, []string{"metal"}},
		{"c6i", 2, i6Sizes, []string{"metal"}},
		{"c7i", 2, i7Sizes, []string{"metal-24xl", "metal-48xl"}},
	} {
		aws(f.family, f.perVCPU, f.sizes...)
		for _, m := range f.metal {
			n := awsVCPUs(f.sizes[len(f.sizes)-1])
			if m == "metal-24xl" {
				n = 96
			}
			add("aws", f.family+"."+m, n, f.perVCPU*float64(n))
		}
	}
	// t3 is burstable: vCPUs do not follow the size name.
	add("aws", "t3.medium", 2, 4)
	add("aws", "t3.large", 2, 8)
	add("aws", "t3.xlarge", 4, 16)
	add("aws", "t3.2xlarge", 8, 32)

	// Azure, in GiB as Azure documents it.
	azure := func(series string, perVCPU float64, versions []string, sizes ...int) {
		for _, v := range versions {
			for _, n := range sizes {
				add("azure", fmt.Sprintf("Standard_%s%ds_%s", series, n, v), n, perVCPU*float64(n))
			}
		}
	}
	azure("D", 4, []string{"v3", "v4", "v5"}, 2, 4, 8, 16, 32, 48, 64)
	azure("D", 4, []string{"v5"}, 96)
	azure("E", 8, []string{"v3", "v4", "v5"}, 2, 4, 8, 16, 20, 32, 48)
	add("azure", "Standard_E64s_v3", 64, 432)
	add("azure", "Standard_E64s_v4", 64, 504)
	add("azure", "Standard_E64s_v5", 64, 512)
	add("azure", "Standard_E96s_v5", 96, 672)
	azure("F", 2, []string{"v2"}, 2, 4, 8, 16, 32, 48, 64, 72)
	return c
}

// awsVCPUs is the vCPU count of an EC2 size name: large 2, xlarge 4,
// Nxlarge 4N.
func awsVCPUs(size string) int {
	switch size {
	case "large":
		return 2
	case "xlarge":
		return 4
	}
	var n int
	if _, err := fmt.Sscanf(size, "%dxlarge", &n); err != nil {
		panic("machines: bad EC2 size " + size)
	}
	return 4 * n
}

// Allocatable is what Kubernetes leaves for pods on such a node, estimated
// with GKE's reservation formulas (GKE "Standard cluster architecture: node
// allocatable resources"):
//
//   - CPU: 6% of the first core, 1% of the next core (up to 2), 0.5% of the
//     next 2 cores (up to 4), 0.25% of every core above 4;
//   - memory: 25% of the first 4 GiB, 20% of the next 4 GiB (up to 8), 10% of
//     the next 8 GiB (up to 16), 6% of the next 112 GiB (up to 128), 2% of
//     the rest (255 MiB on machines with less than 1 GiB), plus the kubelet's
//     100 MiB hard eviction threshold.
//
// EKS and AKS reserve in the same order of magnitude: EKS's AMIs reserve CPU
// on the same curve and memory as 11 MiB per schedulable pod plus 255 MiB,
// with a 100 MiB eviction threshold (less than GKE on large nodes); AKS
// reserves CPU on a similar curve and memory either on GKE's curve with a
// 750 MiB eviction threshold (before Kubernetes 1.29) or as 20 MB per pod
// plus 50 MB, capped at 25%, with 100 MiB (1.29 and later). The figure is
// therefore an estimate, good for telling whether a request can fit at all;
// DaemonSet pods (log shippers, CNI, CSI drivers) take a further few hundred
// millicores and MiB on every node.
func Allocatable(m Machine) (milliCPU int64, memory int64) {
	return m.allocatableCPU(), m.allocatableMemory()
}

func (m Machine) allocatableCPU() int64 {
	// Reservation in tenths of a millicore: 0.25% of a core is 2.5m.
	cores := int64(m.CPU)
	var reserved int64
	for i := int64(1); i <= cores; i++ {
		switch {
		case i == 1:
			reserved += 600 // 6%
		case i == 2:
			reserved += 100 // 1%
		case i <= 4:
			reserved += 50 // 0.5%
		default:
			reserved += 25 // 0.25%
		}
	}
	alloc := (cores*10000 - reserved) / 10
	return max(alloc, 0)
}

func (m Machine) allocatableMemory() int64 {
	const eviction = 100 * MiB
	mem := m.Memory
	var reserved int64
	if mem < GiB {
		reserved = 255 * MiB
	}
	for _, t := range []struct {
		from, to, percent int64
	}{
		{0, 4 * GiB, 25},
		{4 * GiB, 8 * GiB, 20},
		{8 * GiB, 16 * GiB, 10},
		{16 * GiB, 128 * GiB, 6},
		{128 * GiB, math.MaxInt64, 2},
	} {
		if mem > t.from && mem >= GiB {
			reserved += (min(mem, t.to) - t.from) * t.percent / 100
		}
	}
	return max(mem-reserved-eviction, 0)
}
