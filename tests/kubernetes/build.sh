#!/usr/bin/env bash
# Builds the Kubernetes API server and etcd the operator's tests run against, from this
# folder's go.mod and go.sum (Go module proxy only), into the cache outside the clone:
#   ${TRIBUTARY_CACHE_DIR:-~/.cache/tributary}/kubernetes-<go.sum hash>/bin
# and prints that folder. Built once per machine (concurrent callers wait on a lock); a cold
# build takes 5-8 minutes on two cores (plus a minute to fetch Go where it is missing). kubernetes' go.mod replaces its staging modules with
# local paths, so the module here requires k8s.io/kubernetes and replaces each staging module
# by its published version; the `tool` lines name the two programs. A missing Go is fetched
# from the module proxy (golang.org/toolchain); an old one fetches the toolchain go.mod asks
# for itself (GOTOOLCHAIN=auto).
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
export PATH=$PATH:/usr/local/go/bin
if ! command -v go >/dev/null; then
  # No Go on this machine: the toolchain go.mod names, from the module proxy.
  toolchain=$(sed -n 's/^go \([0-9.]*\)$/go\1/p' "$here/go.mod")
  goroot=$cache/$toolchain
  if [ ! -x "$goroot/bin/go" ]; then
    echo "build.sh: fetching $toolchain from the Go module proxy" >&2
    curl -fsSL -o "$home/toolchain.zip" \
      "https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-$toolchain.linux-amd64.zip"
    rm -rf "$home/toolchain" && mkdir -p "$home/toolchain"
    (cd "$home/toolchain" && unzip -q ../toolchain.zip)
    rm -rf "$goroot" && mv "$home/toolchain/golang.org/toolchain@v0.0.1-$toolchain.linux-amd64" "$goroot"
    rm -rf "$home/toolchain" "$home/toolchain.zip"
  fi
  export PATH=$goroot/bin:$PATH
fi
export GOMODCACHE=${GOMODCACHE:-$cache/gomod} GOCACHE=$home/gocache GOTOOLCHAIN=auto CGO_ENABLED=0
export GOFLAGS="-buildvcs=false -mod=readonly"
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
