#!/usr/bin/env bash
# Build kubectl from the same k8s.io/kubernetes module version as the local control plane
# (tests/cluster/tools/go.mod), or reuse the cached binary. The module here (go.mod, go.sum)
# has the same k8s.io/kubernetes version, the same staging replaces and, where both graphs
# share a module, the same version, so a warm Go build cache compiles only kubectl's own
# packages. Cache: ${STATEFUL_NFS_REDIS_CACHE:-~/.cache/stateful-nfs-redis}/benchmarks/kubectl-<key>/kubectl,
# <key> = sha256 of this script, go.mod and go.sum. stdout: the binary's path; progress on stderr.
#
# go.mod was made with: the replace lines of tests/cluster/tools/go.mod (tools/gen-replaces.sh
# output), `require k8s.io/kubernetes <same version>`, `tool k8s.io/kubernetes/cmd/kubectl`,
# the tools module's versions required for every shared module, then `go mod tidy`.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tools=$here/../../tests/cluster/tools
key=$(cd "$here" && cat build.sh go.mod go.sum | sha256sum | cut -c1-16)
cache=${STATEFUL_NFS_REDIS_CACHE:-$HOME/.cache/stateful-nfs-redis}/benchmarks/kubectl-$key
bin=$cache/kubectl

command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null || { echo "kubectl build: go not found (looked in PATH and /usr/local/go/bin)" >&2; exit 1; }

# Same Kubernetes as the control plane, or the benchmark would compare the wrong kubectl.
ours=$(cd "$here" && go mod edit -json | python3 -c 'import json,sys; print(next(r["Version"] for r in json.load(sys.stdin)["Require"] if r["Path"] == "k8s.io/kubernetes"))')
theirs=$(cd "$tools" && go mod edit -json | python3 -c 'import json,sys; print(next(r["Version"] for r in json.load(sys.stdin)["Require"] if r["Path"] == "k8s.io/kubernetes"))')
replaces() { (cd "$1" && go mod edit -json | python3 -c 'import json,sys; [print(r["Old"]["Path"], r["New"]["Path"], r["New"].get("Version", "")) for r in json.load(sys.stdin).get("Replace") or []]' | sort); }
if [[ $ours != "$theirs" ]] || ! diff <(replaces "$here") <(replaces "$tools") >/dev/null; then
	echo "kubectl build: benchmarks/kubectl/go.mod (k8s.io/kubernetes $ours) does not match tests/cluster/tools/go.mod ($theirs) or its replaces; regenerate it as the header of this script says" >&2
	exit 1
fi

mkdir -p "$cache"
exec 9>"$cache/lock"
flock 9
if [[ -x $bin ]]; then
	echo "kubectl build: cache hit: $bin" >&2
	echo "$bin"
	exit 0
fi

echo "kubectl build: cache miss: building kubectl $ours into $cache (warm Go cache: about 1 minute, 1.6 GB)" >&2
start=$SECONDS
cd "$here"
build_date=$(go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' k8s.io/kubernetes)
version=${ours#v}
major=${version%%.*}
minor=${version#*.}
minor=${minor%%.*}
# Stamped like tests/cluster/build.sh stamps the control plane: `kubectl version` says v1.36.3.
ldflags=(-s -w)
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	ldflags+=(-X "$pkg.gitVersion=$ours" -X "$pkg.gitMajor=$major" -X "$pkg.gitMinor=$minor"
		-X "$pkg.gitTreeState=clean" -X "$pkg.gitCommit=" -X "$pkg.buildDate=$build_date")
done
nice -n 5 go build -trimpath -buildvcs=false -ldflags "${ldflags[*]}" -o "$bin.partial" k8s.io/kubernetes/cmd/kubectl
mv "$bin.partial" "$bin"
echo "kubectl build: built kubectl $ours in $((SECONDS - start))s: $bin" >&2
echo "$bin"
