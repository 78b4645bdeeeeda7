#!/usr/bin/env bash
# bench-render.sh: the whole-process cost of `pangeo-gen render` against
# `helm template` on the same chart and values, median of paired runs.
#
#   scripts/bench-render.sh [-n RUNS] [-H HUB] [-e ENV] [-c CHART_DIR] [-f HUBS]
#
# It builds helm from the module proxy at the version go.mod uses
# (helm.sh/helm/v3) and pangeo-gen from this checkout, then runs
#   pangeo-gen render HUB --env ENV --chart CHART_DIR --placeholder-secrets
#   helm template HUB-ENV CHART_DIR --namespace HUB-ENV --kube-version 1.33.0 --include-crds \
#     -f deployments/HUB/config/common.yaml -f deployments/HUB/config/ENV.yaml \
#     -f SECRETS --set-string jupyterhub.singleuser.image.name=... --set-string ...tag=...
# (the layers render merges, in its order: SECRETS is the hub's secret stub
# with every CHANGEME filled as --placeholder-secrets fills it, 64 hex digits
# or placeholder- and 32 hex digits) RUNS times each, alternately, the one
# first and then the other first, and prints the median wall time, CPU time
# and peak RSS (GNU time) of each, and the ratios pangeo-gen / helm (the CPU
# time tells more than the wall time on a machine other work shares).
#
# CHART_DIR defaults to deployments/chart with the real jupyterhub and
# dask-gateway charts of ../shared/upstream/charts (PANGEO_GEN_SHARED for
# another shared folder) in its charts/, so that both render offline.
# -f HUBS renders in a copy of the repository with HUBS hubs: the three and
# HUBS-3 generated from the #PangeoHub template (as the Go benchmarks do).
# Needs go, GNU time (/usr/bin/time; apt-get install time) and python3 for
# the statistics. BENCH_BIN=DIR keeps the built binaries there.
set -euo pipefail

runs=21 hub=charlie env=staging chart= hubs=3
while getopts n:H:e:c:f: opt; do
	case $opt in
	n) runs=$OPTARG ;;
	H) hub=$OPTARG ;;
	e) env=$OPTARG ;;
	c) chart=$(cd "$OPTARG" && pwd) ;;
	f) hubs=$OPTARG ;;
	*) sed -n '2,9p' "$0" >&2; exit 2 ;;
	esac
done
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ -x /usr/bin/time ] || { echo "bench-render: needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=${BENCH_BIN:-$work/bin}
mkdir -p "$bin"

helm_version=$(go list -m -f '{{.Version}}' helm.sh/helm/v3)
# go install leaves helm's own version string unset (it says v3.22): the
# module version the binary was built from is in its build information.
installed=$(go version -m "$bin/helm" 2>/dev/null | awk '$1 == "mod" && $2 == "helm.sh/helm/v3" {print $3}' || true)
if [ "$installed" != "$helm_version" ]; then
	echo "bench-render: go install helm.sh/helm/v3/cmd/helm@$helm_version" >&2
	(cd "$work" && GOBIN=$bin GOFLAGS= go install "helm.sh/helm/v3/cmd/helm@$helm_version")
fi
# The same binary shows a higher peak RSS run from the file the linker (or
# go install) has just written than from a copy of it (pangeo-gen 90.8
# against 79.2 MiB, helm 83 against 60 MiB: the pages the run maps of the
# binary, as the page cache holds a file the linker wrote): measure a copy
# of each, made the same way.
go build -o "$work/pangeo-gen" ./cmd/pangeo-gen
cp "$work/pangeo-gen" "$bin/pangeo-gen.tmp" && mv "$bin/pangeo-gen.tmp" "$bin/pangeo-gen"
cp "$bin/helm" "$work/helm"

repo=$root
if [ "$hubs" != 3 ]; then
	repo=$work/repo
	mkdir -p "$repo"
	cp -r cue.mod schema hubs "$repo/"
	for ((i = 0; i < hubs - 3; i++)); do
		name=$(printf 'hub%03d' "$i")
		cat > "$repo/hubs/$name.cue" <<CUE
package hubs

hubs: $name: #PangeoHub & {
	title: "Hub $i"
	environments: {
		staging: domain: "staging.$name.pangeo.io"
		prod: domain:    "$name.pangeo.io"
	}
	cloud: {
		provider: "gcp"
		project:  "pangeo-$name"
		location: "us-central1-b"
		cluster:  "$name"
		nodePools: {
			core: {machineType: "n2-standard-2", min: 1, max: 2}
			user: {machineType: "n2-highmem-8", max: 20}
			dask: {machineType: "n2-highmem-4", max: $((i + 10))}
		}
	}
	image: repository: "us-central1-docker.pkg.dev/pangeo-$name/hubs/notebook"
}
CUE
	done
	"$bin/pangeo-gen" --root "$repo" gen > /dev/null
fi

if [ -z "$chart" ]; then
	shared=${PANGEO_GEN_SHARED:-$root/../shared}
	chart=$work/chart
	cp -r deployments/chart "$chart"
	mkdir -p "$chart/charts"
	cp -r "$shared/upstream/charts/jupyterhub-4.4.0" "$chart/charts/jupyterhub"
	cp -r "$shared/upstream/charts/dask-gateway-2026.3.0" "$chart/charts/dask-gateway"
fi

dep=$repo/deployments/$hub
release=$hub-$env
# The secret stub with placeholders in the shape --placeholder-secrets
# gives (the values themselves are render's own, derived from hub, env and
# key; their length and form are what matter to Helm).
sed -E -e "s/'CHANGEME: openssl rand -hex 32[^']*'/'0000000000000000$(printf 'ab%.0s' {1..24})'/" \
	-e "s/'CHANGEME[^']*'/'placeholder-$(printf 'cd%.0s' {1..16})'/" \
	"$dep/secrets/$env.yaml" > "$work/secrets.yaml"
ref=$("$bin/pangeo-gen" --root "$repo" image ref "$hub")
pg=("$bin/pangeo-gen" --root "$repo" render "$hub" --env "$env" --chart "$chart" --placeholder-secrets)
helm=("$work/helm" template "$release" "$chart" --namespace "$release" --kube-version 1.33.0 --include-crds
	-f "$dep/config/common.yaml" -f "$dep/config/$env.yaml" -f "$work/secrets.yaml"
	--set-string "jupyterhub.singleuser.image.name=${ref%:*}" --set-string "jupyterhub.singleuser.image.tag=${ref##*:}")

# One run of each first: both must work, and the page cache is warm.
"${pg[@]}" > "$work/pg.yaml"
"${helm[@]}" > "$work/helm.yaml"
echo "bench-render: pangeo-gen: $(grep -c '^kind:' "$work/pg.yaml") objects (the Namespace included); helm: $(grep -c '^kind:' "$work/helm.yaml") (its hooks included)" >&2

# one NAME CMD...: one run, appending "NAME start end peak_kb user sys" to
# the samples: the wall time from bash's microsecond clock, the peak RSS
# and the CPU time from GNU time.
one() {
	local name=$1 start end
	shift
	start=$EPOCHREALTIME
	/usr/bin/time -o "$work/time" -f '%M %U %S' "$@" > /dev/null 2> "$work/stderr" || { cat "$work/stderr" >&2; exit 1; }
	end=$EPOCHREALTIME
	echo "$name $start $end $(cat "$work/time")" >> "$work/samples"
}
: > "$work/samples"
for ((i = 0; i < runs; i++)); do
	if ((i % 2 == 0)); then
		one pangeo-gen "${pg[@]}"
		one helm "${helm[@]}"
	else
		one helm "${helm[@]}"
		one pangeo-gen "${pg[@]}"
	fi
done

python3 - "$work/samples" "$hubs" "$runs" <<'PY'
import statistics, sys
samples, hubs, runs = sys.argv[1], sys.argv[2], sys.argv[3]
wall, rss, cpu = ({"pangeo-gen": [], "helm": []} for _ in range(3))
for line in open(samples):
    name, start, end, kb, user, system = line.split()
    wall[name].append(float(end) - float(start))
    rss[name].append(int(kb))
    cpu[name].append(float(user) + float(system))
med = statistics.median
pairs = [p / h for p, h in zip(wall["pangeo-gen"], wall["helm"])]
print(f"{runs} paired runs, federation of {hubs} hubs")
for name in ("pangeo-gen", "helm"):
    print(f"{name:>10}: median wall {med(wall[name]):.3f} s, CPU (user+sys) {med(cpu[name]):.2f} s, peak RSS {med(rss[name]) / 1024:.1f} MiB")
print(f"     ratio: wall {med(wall['pangeo-gen']) / med(wall['helm']):.2f}x (median of paired ratios {med(pairs):.2f}x), "
      f"CPU {med(cpu['pangeo-gen']) / med(cpu['helm']):.2f}x, peak RSS {med(rss['pangeo-gen']) / med(rss['helm']):.2f}x")
PY
