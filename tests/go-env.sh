# Sourced by the Go build scripts under tests/ (kubernetes/, helm/): `go_env <folder with go.mod>
# <build home>` puts a Go on PATH and sets the module cache and build flags. A missing Go is
# fetched from the module proxy (golang.org/toolchain, the version go.mod names) into the cache;
# an old one fetches the toolchain go.mod asks for itself (GOTOOLCHAIN=auto).
go_env() {
  local module=$1 home=$2
  cache=${TRIBUTARY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tributary}
  export PATH=$PATH:/usr/local/go/bin
  if ! command -v go >/dev/null; then
    local toolchain goroot
    toolchain=$(sed -n 's/^go \([0-9.]*\)$/go\1/p' "$module/go.mod")
    goroot=$cache/$toolchain
    if [ ! -x "$goroot/bin/go" ]; then
      echo "fetching $toolchain from the Go module proxy" >&2
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
}
