#!/usr/bin/env bash
# Build the local cluster's binaries through the Go module proxy, or reuse cached ones.
# The cache lives outside the repo, keyed by a hash of everything that decides the
# binaries: ${STATEFUL_NFS_REDIS_CACHE:-~/.cache/stateful-nfs-redis}/cluster/<key>/bin.
# Progress goes to stderr; stdout is the bin directory alone.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
binaries=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok nfs-provisioner)
key=$(cd "$here" && cat build.sh tools/go.mod tools/go.sum tools/*/*.go | sha256sum | cut -c1-16)
cache=${STATEFUL_NFS_REDIS_CACHE:-$HOME/.cache/stateful-nfs-redis}/cluster/$key
bin=$cache/bin

complete() { local b; for b in "${binaries[@]}"; do [[ -x $bin/$b ]] || return 1; done; }

mkdir -p "$cache"
exec 9>"$cache/lock"
flock 9 # one build per key at a time; a second caller waits, then reuses
if complete; then
	echo "build: cache hit: $bin" >&2
	echo "$bin"
	exit 0
fi

command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null || { echo "build: go not found (looked in PATH and /usr/local/go/bin)" >&2; exit 1; }
echo "build: cache miss: building into $bin (cold: about 15 minutes on 2 cores)" >&2
start=$SECONDS
partial=$cache/bin.partial
rm -rf "$partial" "$bin"
mkdir -p "$partial"

# Stamp the Kubernetes version the way upstream's hack/lib/version.sh does, so the
# apiserver reports e.g. v1.36.3 instead of v0.0.0-master.
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
go build -trimpath -buildvcs=false -ldflags "${ldflags[*]}" -o "$partial/" \
	k8s.io/kubernetes/cmd/kube-apiserver \
	k8s.io/kubernetes/cmd/kube-controller-manager \
	k8s.io/kubernetes/cmd/kube-scheduler \
	sigs.k8s.io/kwok/cmd/kwok \
	./etcd \
	./nfs-provisioner

mv "$partial" "$bin"
complete || { echo "build: missing binaries in $bin" >&2; exit 1; }
echo "build: built $k8s_version binaries in $((SECONDS - start))s: $bin" >&2
echo "$bin"
