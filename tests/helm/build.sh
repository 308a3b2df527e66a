#!/usr/bin/env bash
# Builds helm (v4, from this folder's go.mod and go.sum, Go module proxy only) and gathers the
# CRDs the chart's optional parts need, from the Go modules that ship them (KEDA's
# ScaledObject, the Prometheus Operator's PodMonitor and PrometheusRule), into the cache outside the clone:
#   ${TRIBUTARY_CACHE_DIR:-~/.cache/tributary}/helm-<go.sum hash>/{bin/helm,crds/*.yaml}
# and prints that folder. Built once per machine (concurrent callers wait on a lock); about
# two minutes on two cores.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${TRIBUTARY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tributary}
# Keyed by the contents of go.sum and this script only: however the script is called (run.sh
# with a relative path, the test harness with an absolute one) and wherever the clone is, one
# build serves them all.
home=$cache/helm-$(cat "$here/go.sum" "$here/build.sh" | sha256sum | cut -c1-16)
built() { [ -x "$home/bin/helm" ] && [ -d "$home/crds" ]; }
if built; then echo "$home"; exit 0; fi
mkdir -p "$home"
exec 9>"$home/.lock"
flock 9
if built; then echo "$home"; exit 0; fi
source "$here/../go-env.sh"
go_env "$here" "$home"
cd "$here"
rm -rf "$home/partial"
mkdir -p "$home/partial/bin" "$home/partial/crds"
go build -trimpath -ldflags "-s -w" -o "$home/partial/bin/helm" helm.sh/helm/v4/cmd/helm >&2
# module@version and the CRD files in its zip.
crds=(
  "github.com/kedacore/keda/v2@v2.21.0 config/crd/bases/keda.sh_scaledobjects.yaml"
  "github.com/prometheus-operator/prometheus-operator@v0.85.0 example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml"
)
for entry in "${crds[@]}"; do
  read -r module files <<<"$entry"
  dir=$(go mod download -json "$module" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  for file in $files; do cp "$dir/$file" "$home/partial/crds/"; done
done
rm -rf "$home/bin" "$home/crds" "$GOCACHE"
mv "$home/partial/bin" "$home/partial/crds" "$home/"
rm -rf "$home/partial"
echo "$home"
