#!/usr/bin/env bash
# Regenerate go.mod's replace directives for Kubernetes' staging modules.
# k8s.io/kubernetes requires every staging module (k8s.io/api, client-go, ...) at
# v0.0.0 and replaces it with ./staging/src/...; as a dependency those replaces do
# not apply, so we map each one to its published tag v0.<minor>.<patch>.
# The list is read from k8s.io/kubernetes's own go.mod, never typed by hand.
# Usage: gen-replaces.sh [v1.36.3]   (run in tests/cluster/tools; then: go mod tidy)
set -euo pipefail
cd "$(dirname "$0")"
export GOPROXY=${GOPROXY_OVERRIDE:-https://proxy.golang.org}
k8s_version=${1:-$(go list -m -f '{{.Version}}' k8s.io/kubernetes)}
staging_version="v0.${k8s_version#v1.}"
gomod=$(go mod download -json "k8s.io/kubernetes@${k8s_version}" | sed -n 's/^\s*"GoMod": "\(.*\)",$/\1/p')
[[ -f "$gomod" ]] || { echo "gen-replaces: cannot find go.mod of k8s.io/kubernetes@${k8s_version}" >&2; exit 1; }
mapfile -t staging < <(sed -n 's#^\s*\(k8s\.io/[^ ]*\) => \./staging/src/.*#\1#p' "$gomod")
(( ${#staging[@]} > 0 )) || { echo "gen-replaces: no staging replaces found in $gomod" >&2; exit 1; }
# Drop the previous generated replaces (every replace in this module is one).
mapfile -t old < <(go mod edit -json | python3 -c 'import json,sys; [print(r["Old"]["Path"]) for r in json.load(sys.stdin).get("Replace") or []]')
for m in "${old[@]}"; do go mod edit -dropreplace="$m"; done
args=()
for m in "${staging[@]}"; do args+=("-replace=${m}=${m}@${staging_version}"); done
go mod edit -require="k8s.io/kubernetes@${k8s_version}" "${args[@]}"
echo "gen-replaces: ${#staging[@]} staging modules of k8s.io/kubernetes ${k8s_version} -> ${staging_version}"
