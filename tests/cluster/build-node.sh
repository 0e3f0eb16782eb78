#!/usr/bin/env bash
# Build the real-pods node's binaries through the Go module proxy, or reuse cached ones:
#   kubelet    k8s.io/kubernetes/cmd/kubelet from tools/ (the control plane's module and version)
#   coredns    github.com/coredns/coredns, its own module graph in coredns/
#   mount-nfs  the FUSE NFSv3 client installed as the node's mount.nfs (node/mount-nfs)
#   pause      the sandbox image's only program (node/pause)
# Each tool has its own cache key (the inputs that decide it), so changing one rebuilds only
# that one: ${STATEFUL_NFS_REDIS_CACHE:-~/.cache/stateful-nfs-redis}/node/<tool>-<key>/<tool>.
# Progress goes to stderr; stdout is a directory of symlinks to the four binaries.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${STATEFUL_NFS_REDIS_CACHE:-$HOME/.cache/stateful-nfs-redis}/node
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null || { echo "build-node: go not found (looked in PATH and /usr/local/go/bin)" >&2; exit 1; }
mkdir -p "$cache"

# key RECIPE FILE...: 16 hex digits of the sha256 of a recipe string and files.
key() {
	local recipe=$1
	shift
	{ echo "$recipe"; cat "$@"; } | sha256sum | cut -c1-16
}

# build TOOL KEY DIR PACKAGE [ENV...]: go build PACKAGE in DIR into the tool's cache dir.
build() {
	local tool=$1 k=$2 dir=$3 pkg=$4 out start
	shift 4
	out=$cache/$tool-$k
	mkdir -p "$out"
	exec 9>"$out/lock"
	flock 9
	if [[ -x $out/$tool ]]; then
		echo "build-node: $tool: cache hit: $out" >&2
	else
		echo "build-node: $tool: cache miss: building into $out" >&2
		start=$SECONDS
		(cd "$dir" && env "$@" go build -trimpath -buildvcs=false -ldflags "${ldflags[*]}" -o "$out/$tool.partial" "$pkg")
		mv "$out/$tool.partial" "$out/$tool"
		echo "build-node: $tool: built in $((SECONDS - start)) s" >&2
	fi
	exec 9>&-
	paths+=("$out/$tool")
}

paths=()

# kubelet: the same module and version stamping as build.sh (hack/lib/version.sh's -X flags).
# Kept in step by hand, not shared: build.sh's own text is part of the control plane's cache key
# (a hash of build.sh, tools/go.mod, tools/go.sum, tools/*/*.go), so moving this code out of it
# would change that key and rebuild the control plane (10-25 min) on every machine.
cd "$here/tools"
k8s_version=$(go list -m -f '{{.Version}}' k8s.io/kubernetes)
build_date=$(go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' k8s.io/kubernetes)
version=${k8s_version#v}
major=${version%%.*}
minor=${version#*.}
minor=${minor%%.*}
ldflags=(-s -w)
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	ldflags+=(-X "$pkg.gitVersion=$k8s_version" -X "$pkg.gitMajor=$major" -X "$pkg.gitMinor=$minor"
		-X "$pkg.gitTreeState=clean" -X "$pkg.gitCommit=" -X "$pkg.buildDate=$build_date")
done
build kubelet "$(key "kubelet ${ldflags[*]} $(go env GOVERSION)" go.mod go.sum)" "$here/tools" k8s.io/kubernetes/cmd/kubelet

ldflags=(-s -w)
build coredns "$(cd "$here/coredns" && key "coredns $(go env GOVERSION)" go.mod go.sum)" "$here/coredns" github.com/coredns/coredns
build mount-nfs "$(cd "$here/node" && key "mount-nfs $(go env GOVERSION)" go.mod go.sum mount-nfs/*.go)" "$here/node" ./mount-nfs CGO_ENABLED=0
build pause "$(cd "$here/node" && key "pause $(go env GOVERSION)" go.mod pause/*.go)" "$here/node" ./pause CGO_ENABLED=0

# One directory naming this exact set of binaries.
set_key=$(printf '%s\n' "${paths[@]}" | sha256sum | cut -c1-16)
bin=$cache/bin-$set_key
if [[ ! -d $bin ]]; then
	mkdir -p "$bin.partial"
	for p in "${paths[@]}"; do ln -sfn "$p" "$bin.partial/$(basename "$p")"; done
	mv -T "$bin.partial" "$bin"
fi
echo "$bin"
