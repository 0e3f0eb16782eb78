#!/usr/bin/env bash
# Execution environments: ansible-builder introspect, on the built tarball installed beside the
# kubernetes.core it depends on (.venv's), must list this collection's Python requirements
# (requirements.txt) and system requirements (bindep.txt), each from stateful.nfs_redis; and
# docs/execution-environment.yml, the example for ansible-navigator and AAP users, must be a
# definition ansible-builder accepts (ansible-builder create writes its build context; nothing is
# built or pulled).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tools=${TOOLS_VENV:-$("$repo/tests/core_matrix/venv.sh" --check "$repo/tests/packaging/requirements-tools.txt")}
k8s_core=$("$repo/.venv/bin/python" -c 'import ansible_collections.kubernetes.core as c; print(list(c.__path__)[0])')
export PATH="$tools/bin:$PATH"
unset ANSIBLE_CONFIG ANSIBLE_COLLECTIONS_PATH ANSIBLE_COLLECTIONS_PATHS
work=$(mktemp -d -t ee-introspect.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"

tarball=$("$repo/tests/packaging/build-tarball.sh" "$work/dist")
ansible-galaxy collection install --no-deps -p "$work/collections" "$tarball" >/dev/null
mkdir -p "$work/collections/ansible_collections/kubernetes"
ln -s "$k8s_core" "$work/collections/ansible_collections/kubernetes/core"

ansible-builder introspect --sanitize "$work/collections" >introspect.yml 2>introspect.err ||
  { cat introspect.err; echo "FAIL: ansible-builder introspect" >&2; exit 1; }
cat introspect.yml
python - introspect.yml "$repo/requirements.txt" "$repo/bindep.txt" <<'PY'
import sys

import yaml

data = yaml.safe_load(open(sys.argv[1]).read())
ours = " # from collection stateful.nfs_redis"
problems = []
for kind, path in (("python", sys.argv[2]), ("system", sys.argv[3])):
    listed = {" ".join(line.split()) for line in data.get(kind) or []}
    wanted = [line.strip() for line in open(path) if line.strip() and not line.startswith("#")]
    for req in wanted:
        if " ".join((req + ours).split()) not in listed:
            problems.append("%s requirement %r of %s is not listed as ours" % (kind, req, path))
    print("%s: %d of ours listed, %d in all" % (kind, len(wanted), len(listed)))
if not any("from collection kubernetes.core" in line for line in data.get("python") or []):
    problems.append("kubernetes.core's requirements are missing: the dependency was not introspected")
for p in problems:
    print("FAIL: " + p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY

ansible-builder create -f "$repo/docs/execution-environment.yml" --context "$work/context" >create.log 2>&1 ||
  { cat create.log; echo "FAIL: ansible-builder does not accept docs/execution-environment.yml" >&2; exit 1; }
echo "docs/execution-environment.yml: ansible-builder create wrote $(find "$work/context" -type f | wc -l) files"
