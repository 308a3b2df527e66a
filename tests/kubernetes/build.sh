#!/usr/bin/env bash
# Builds the Kubernetes API server and etcd the operator's tests run against, from this
# folder's go.mod and go.sum (Go module proxy only), into the cache outside the clone:
#   ${TRIBUTARY_CACHE_DIR:-~/.cache/tributary}/kubernetes-<go.sum hash>/bin
# and prints that folder. Built once per machine (concurrent callers wait on a lock); a cold
# build takes 5-8 minutes on two cores (plus a minute to fetch Go where it is missing, see
# ../go-env.sh). kubernetes' go.mod replaces its staging modules with local paths, so the
# module here requires k8s.io/kubernetes and replaces each staging module by its published
# version; the `tool` lines name the two programs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${TRIBUTARY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tributary}
home=$cache/kubernetes-$(sha256sum "$here/go.sum" | cut -c1-16)
bin=$home/bin
built() { [ -x "$bin/kube-apiserver" ] && [ -x "$bin/etcd" ]; }
if built; then echo "$bin"; exit 0; fi
mkdir -p "$home"
exec 9>"$home/.lock"
flock 9
if built; then echo "$bin"; exit 0; fi
source "$here/../go-env.sh"
go_env "$here" "$home"
cd "$here"
version=$(go list -m -f '{{.Version}}' k8s.io/kubernetes)
minor=$(echo "$version" | cut -d. -f2)
flags="-s -w"
for package in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  flags="$flags -X $package.gitVersion=$version -X $package.gitMajor=1 -X $package.gitMinor=$minor"
done
rm -rf "$home/partial"
mkdir -p "$home/partial"
go build -trimpath -ldflags "$flags" -o "$home/partial/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver >&2
go build -trimpath -ldflags "$flags" -o "$home/partial/etcd" go.etcd.io/etcd/server/v3 >&2
rm -rf "$bin" "$GOCACHE"
mv "$home/partial" "$bin"
echo "$bin"
