package machines

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
)

func TestLookup(t *testing.T) {
	for _, tt := range []struct {
		provider, machineType string
		cpu                   int
		memory                int64
	}{
		{"gcp", "n1-standard-1", 1, 3840 * MiB}, // "3.75 GB" is 3840 MiB
		{"gcp", "n1-standard-4", 4, 15 * GiB},
		{"gcp", "n1-standard-96", 96, 360 * GiB},
		{"gcp", "n1-highmem-8", 8, 52 * GiB},
		{"gcp", "n1-highcpu-2", 2, 1843 * MiB}, // 1.8 GB: memoryMb 1843
		{"gcp", "n1-highcpu-16", 16, 14746 * MiB},
		{"gcp", "n2-standard-2", 2, 8 * GiB},
		{"gcp", "n2-highmem-4", 4, 32 * GiB},
		{"gcp", "n2-highmem-8", 8, 64 * GiB},
		{"gcp", "n2-highmem-128", 128, 864 * GiB},
		{"gcp", "n2-highcpu-96", 96, 96 * GiB},
		{"gcp", "n2d-standard-224", 224, 896 * GiB},
		{"gcp", "e2-standard-32", 32, 128 * GiB},
		{"gcp", "e2-highmem-16", 16, 128 * GiB},
		{"gcp", "e2-highcpu-8", 8, 8 * GiB},
		{"gcp", "c2-standard-30", 30, 120 * GiB},
		{"gcp", "t2d-standard-60", 60, 240 * GiB},
		{"aws", "m5.large", 2, 8 * GiB},
		{"aws", "m5.24xlarge", 96, 384 * GiB},
		{"aws", "m5.metal", 96, 384 * GiB},
		{"aws", "m6i.32xlarge", 128, 512 * GiB},
		{"aws", "m6a.48xlarge", 192, 768 * GiB},
		{"aws", "m7i.metal-24xl", 96, 384 * GiB},
		{"aws", "m7i.metal-48xl", 192, 768 * GiB},
		{"aws", "r5.xlarge", 4, 32 * GiB},
		{"aws", "r5.2xlarge", 8, 64 * GiB},
		{"aws", "r6i.metal", 128, 1024 * GiB},
		{"aws", "r7i.48xlarge", 192, 1536 * GiB},
		{"aws", "c5.9xlarge", 36, 72 * GiB},
		{"aws", "c5.18xlarge", 72, 144 * GiB},
		{"aws", "c6i.4xlarge", 16, 32 * GiB},
		{"aws", "c7i.large", 2, 4 * GiB},
		{"aws", "t3.medium", 2, 4 * GiB},
		{"aws", "t3.2xlarge", 8, 32 * GiB},
		{"azure", "Standard_D2s_v3", 2, 8 * GiB},
		{"azure", "Standard_D64s_v5", 64, 256 * GiB},
		{"azure", "Standard_E4s_v3", 4, 32 * GiB},
		{"azure", "Standard_E8s_v3", 8, 64 * GiB},
		{"azure", "Standard_E20s_v4", 20, 160 * GiB},
		{"azure", "Standard_E64s_v3", 64, 432 * GiB},
		{"azure", "Standard_E64s_v4", 64, 504 * GiB},
		{"azure", "Standard_E64s_v5", 64, 512 * GiB},
		{"azure", "standard_e8s_v5", 8, 64 * GiB}, // Azure names are case-insensitive
		{"azure", "Standard_F72s_v2", 72, 144 * GiB},
	} {
		t.Run(tt.provider+"/"+tt.machineType, func(t *testing.T) {
			m, ok := Lookup(tt.provider, tt.machineType)
			if !ok {
				t.Fatalf("Lookup(%q, %q): not found", tt.provider, tt.machineType)
			}
			if m.CPU != tt.cpu || m.Memory != tt.memory {
				t.Errorf("Lookup(%q, %q) = %d vCPU, %d MiB; want %d vCPU, %d MiB",
					tt.provider, tt.machineType, m.CPU, m.Memory/MiB, tt.cpu, tt.memory/MiB)
			}
		})
	}
}

func TestLookupUnknown(t *testing.T) {
	for _, tt := range []struct{ provider, machineType string }{
		{"gcp", "n2-highmem-3"},
		{"gcp", "e2-highmem-32"}, // e2-highmem stops at 16
		{"gcp", "m5.large"},      // an AWS type on GCP
		{"aws", "c5.8xlarge"},    // c5 jumps from 4xlarge to 9xlarge
		{"aws", "t3.nano"},
		{"azure", "Standard_E4s_v2"},
		{"openstack", "m1.large"},
		{"gcp", ""},
	} {
		if m, ok := Lookup(tt.provider, tt.machineType); ok {
			t.Errorf("Lookup(%q, %q) = %+v, want not found", tt.provider, tt.machineType, m)
		}
	}
}

func TestAllocatable(t *testing.T) {
	for _, tt := range []struct {
		name     string
		m        Machine
		milliCPU int64
		memory   int64 // bytes, exact by the formula
		approx   float64
	}{
		// GKE's documented examples: an n1-standard-1 leaves 940m and
		// about 2.7 GiB, an n1-standard-4 3920m and about 12.4 GiB
		// (15 GiB - 1 - 0.8 - 0.7 - 100 MiB eviction).
		{"n1-standard-1", Machine{1, 3840 * MiB}, 940, 3840*MiB - 960*MiB - 100*MiB, 2.71},
		{"n1-standard-4", Machine{4, 15 * GiB}, 3920, 15*GiB - GiB - 4*GiB/5 - 7*GiB/10 - 100*MiB, 12.40},
		{"n2-standard-2", Machine{2, 8 * GiB}, 1930, 8*GiB - GiB - 4*GiB/5 - 100*MiB, 6.10},
		// 32 GiB: 1 + 0.8 + 0.8 + 0.96 GiB reserved.
		{"n2-highmem-4", Machine{4, 32 * GiB}, 3920, 32*GiB - GiB - 4*GiB/5 - 8*GiB/10 - 16*GiB*6/100 - 100*MiB, 28.34},
		{"n2-highmem-8", Machine{8, 64 * GiB}, 7910, 64*GiB - GiB - 4*GiB/5 - 8*GiB/10 - 48*GiB*6/100 - 100*MiB, 58.42},
		// Above 128 GiB, 2%; CPU above 4 cores, 2.5m each.
		{"n2-highmem-32", Machine{32, 256 * GiB}, 32000 - 80 - 28*25/10, 256*GiB - GiB - 4*GiB/5 - 8*GiB/10 - 112*GiB*6/100 - 128*GiB*2/100 - 100*MiB, 244.02},
		{"odd cores", Machine{5, 20 * GiB}, 4917, 20*GiB - GiB - 4*GiB/5 - 8*GiB/10 - 4*GiB*6/100 - 100*MiB, 17.06},
		{"below 1 GiB", Machine{1, 600 * MiB}, 940, 600*MiB - 255*MiB - 100*MiB, 0.24},
		{"nothing", Machine{}, 0, 0, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cpu, mem := Allocatable(tt.m)
			if cpu != tt.milliCPU || mem != tt.memory {
				t.Errorf("Allocatable(%+v) = %dm, %d; want %dm, %d", tt.m, cpu, mem, tt.milliCPU, tt.memory)
			}
			if got := float64(mem) / float64(GiB); got < tt.approx-0.01 || got > tt.approx+0.01 {
				t.Errorf("Allocatable(%+v) memory = %.3f GiB, want about %.2f", tt.m, got, tt.approx)
			}
		})
	}
}

// testHub is a GCP hub that fits: 4 vCPU / 32 GiB nodes for users and
// workers, a notebook of 1 core and 4G, two profiles, gateway workers of at
// most 2 cores and 16 GiB.
func testHub() *hub.Hub {
	h := &hub.Hub{
		Name: "test",
		Environments: map[string]hub.Env{
			"staging": {Domain: "staging.test.pangeo.io"},
			"prod":    {Domain: "test.pangeo.io"},
		},
		Cloud: hub.Cloud{
			Provider: "gcp",
			NodePools: hub.NodePools{
				Core: hub.NodePool{MachineType: "n2-standard-2", Min: 1, Max: 2},
				User: hub.NodePool{MachineType: "n2-highmem-4", Max: 10},
				Dask: hub.NodePool{MachineType: "n2-highmem-4", Max: 100, Spot: true},
			},
		},
		Notebook: hub.Notebook{
			CPU:    hub.CPU{Guarantee: 1, Limit: 2},
			Memory: hub.Memory{Guarantee: "4G", Limit: "8G"},
			Profiles: []hub.Profile{
				{Slug: "small", CPU: hub.CPU{Guarantee: 1, Limit: 2}, Memory: hub.Memory{Guarantee: "4G", Limit: "8G"}},
				{Slug: "large", CPU: hub.CPU{Guarantee: 3.9, Limit: 4}, Memory: hub.Memory{Guarantee: "28Gi", Limit: "30Gi"}},
			},
		},
		Dask: hub.Dask{Backend: hub.BackendGateway, Gateway: &hub.GatewayDask{}},
	}
	w := &h.Dask.Gateway.Worker
	w.Cores = hub.Range{Min: 1, Max: 2, Default: 1}
	w.MemoryGiB = hub.Range{Min: 1, Max: 16, Default: 8}
	return h
}

func TestFit(t *testing.T) {
	for _, tt := range []struct {
		name   string
		modify func(h *hub.Hub)
		want   []Problem
	}{
		{
			name:   "fits",
			modify: func(*hub.Hub) {},
		},
		{
			name: "notebook too big",
			modify: func(h *hub.Hub) {
				h.Notebook.CPU = hub.CPU{Guarantee: 4, Limit: 4}
				h.Notebook.Memory = hub.Memory{Guarantee: "40G", Limit: "48G"}
			},
			want: []Problem{
				{"notebook.cpu.guarantee", "notebook cpu guarantee 4 does not fit n2-highmem-4 (4 vCPU, about 3.92 allocatable) of the user pool"},
				{"notebook.memory.guarantee", "notebook memory guarantee 40G does not fit n2-highmem-4 (32 GiB, about 28.3 GiB allocatable) of the user pool"},
			},
		},
		{
			name: "memory guarantee above limit",
			modify: func(h *hub.Hub) {
				h.Notebook.Memory = hub.Memory{Guarantee: "8Gi", Limit: "8G"}
			},
			want: []Problem{
				{"notebook.memory.limit", "notebook memory limit 8G is below its guarantee 8Gi"},
			},
		},
		{
			name: "profile too big in prod override only",
			modify: func(h *hub.Hub) {
				profiles := []hub.Profile{
					h.Notebook.Profiles[0],
					h.Notebook.Profiles[1],
					{Slug: "huge", CPU: hub.CPU{Guarantee: 8, Limit: 8}, Memory: hub.Memory{Guarantee: "30Gi", Limit: "32Gi"}},
				}
				prod := h.Environments["prod"]
				prod.Notebook = &hub.NotebookOverride{Profiles: &profiles}
				h.Environments["prod"] = prod
			},
			want: []Problem{
				{"environments.prod.notebook.profiles[2].cpu.guarantee", `profile "huge" cpu guarantee 8 does not fit n2-highmem-4 (4 vCPU, about 3.92 allocatable) of the user pool`},
				{"environments.prod.notebook.profiles[2].memory.guarantee", `profile "huge" memory guarantee 30Gi does not fit n2-highmem-4 (32 GiB, about 28.3 GiB allocatable) of the user pool`},
			},
		},
		{
			name: "staging overrides notebook memory, hub-level profile too big",
			modify: func(h *hub.Hub) {
				h.Notebook.Profiles[1].Memory = hub.Memory{Guarantee: "29Gi", Limit: "30Gi"}
				staging := h.Environments["staging"]
				staging.Notebook = &hub.NotebookOverride{Memory: &hub.Memory{Guarantee: "31Gi", Limit: "31Gi"}}
				h.Environments["staging"] = staging
			},
			want: []Problem{
				{"environments.staging.notebook.memory.guarantee", "notebook memory guarantee 31Gi does not fit n2-highmem-4 (32 GiB, about 28.3 GiB allocatable) of the user pool"},
				// Reported once although both environments have it.
				{"notebook.profiles[1].memory.guarantee", `profile "large" memory guarantee 29Gi does not fit n2-highmem-4 (32 GiB, about 28.3 GiB allocatable) of the user pool`},
			},
		},
		{
			name: "dask worker max too big",
			modify: func(h *hub.Hub) {
				h.Dask.Gateway.Worker.Cores.Max = 8
				h.Dask.Gateway.Worker.MemoryGiB.Max = 30
			},
			want: []Problem{
				{"dask.worker.cores.max", "dask worker cores max 8, requesting 7.04 does not fit n2-highmem-4 (4 vCPU, about 3.92 allocatable) of the dask pool"},
				{"dask.worker.memoryGiB.max", "dask worker memoryGiB max 30 GiB, requesting 28.5 GiB, does not fit n2-highmem-4 (32 GiB, about 28.3 GiB allocatable) of the dask pool"},
			},
		},
		{
			name: "dask-kubernetes worker too big",
			modify: func(h *hub.Hub) {
				h.Cloud.Provider = "aws"
				h.Cloud.NodePools.User.MachineType = "r5.2xlarge"
				h.Cloud.NodePools.Dask.MachineType = "m5.large"
				h.Dask = hub.Dask{Backend: hub.BackendKubernetes, Kubernetes: &hub.KubernetesDask{}}
				h.Dask.Kubernetes.Worker.Cores = 2
				h.Dask.Kubernetes.Worker.Memory = "7G"
			},
			want: []Problem{
				{"dask.worker.cores", "dask worker cores 2 does not fit m5.large (2 vCPU, about 1.93 allocatable) of the dask pool"},
				{"dask.worker.memory", "dask worker memory 7G does not fit m5.large (8 GiB, about 6.1 GiB allocatable) of the dask pool"},
			},
		},
		{
			name: "unknown machine type",
			modify: func(h *hub.Hub) {
				h.Cloud.NodePools.User.MachineType = "n4-highmem-8"
				h.Cloud.NodePools.Dask.CPU = 16 // memory missing
				h.Cloud.NodePools.Dask.MachineType = "c3-standard-22"
			},
			want: []Problem{
				{"cloud.nodePools.dask.machineType", "unknown gcp machine type c3-standard-22: set cpu and memory on the pool"},
				{"cloud.nodePools.user.machineType", "unknown gcp machine type n4-highmem-8: set cpu and memory on the pool"},
			},
		},
		{
			name: "unknown machine type with explicit cpu and memory fits",
			modify: func(h *hub.Hub) {
				h.Cloud.NodePools.User = hub.NodePool{MachineType: "n4-highmem-8", CPU: 8, Memory: "64Gi", Max: 10}
				h.Notebook.Profiles[1].CPU = hub.CPU{Guarantee: 7, Limit: 8}
				h.Notebook.Profiles[1].Memory = hub.Memory{Guarantee: "50Gi", Limit: "60Gi"}
			},
		},
		{
			name: "explicit memory overrides the catalog",
			modify: func(h *hub.Hub) {
				h.Cloud.NodePools.Dask.Memory = "16Gi"
			},
			want: []Problem{
				{"dask.worker.memoryGiB.max", "dask worker memoryGiB max 16 GiB, requesting 15.2 GiB, does not fit n2-highmem-4 (16 GiB, about 13.3 GiB allocatable) of the dask pool"},
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := testHub()
			tt.modify(h)
			got := Fit(h)
			if len(got) == 0 && len(tt.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Fit:\n got %s\nwant %s", format(got), format(tt.want))
			}
		})
	}
}

func format(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("\n\t" + p.String())
	}
	return b.String()
}

func TestComparePaths(t *testing.T) {
	paths := []string{
		"notebook.profiles[10].cpu.guarantee",
		"cloud.nodePools.user.machineType",
		"notebook.profiles[2].memory.guarantee",
		"environments.prod.notebook.cpu.guarantee",
		"notebook.profiles[2].cpu.guarantee",
		"dask.worker.cores.max",
	}
	want := []string{
		"cloud.nodePools.user.machineType",
		"dask.worker.cores.max",
		"environments.prod.notebook.cpu.guarantee",
		"notebook.profiles[2].cpu.guarantee",
		"notebook.profiles[2].memory.guarantee",
		"notebook.profiles[10].cpu.guarantee",
	}
	slices.SortFunc(paths, comparePaths)
	if !slices.Equal(paths, want) {
		t.Errorf("sorted paths = %q, want %q", paths, want)
	}
}
