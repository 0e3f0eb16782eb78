#!/usr/bin/env bash
# What Galaxy and Automation Hub run on upload: galaxy-importer on the built tarball, offline
# (tests/packaging/galaxy-importer.cfg), with no dependency installed. Fails on any importer
# error, and unless the module's documentation (with its connection options, from our own doc
# fragment), every role's argument spec and every plugin's documentation were imported.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tools=${TOOLS_VENV:-$("$repo/tests/core_matrix/venv.sh" --check "$repo/tests/packaging/requirements-tools.txt")}
export PATH="$tools/bin:$PATH"
unset ANSIBLE_CONFIG ANSIBLE_COLLECTIONS_PATH ANSIBLE_COLLECTIONS_PATHS
work=$(mktemp -d -t galaxy-import.XXXXXX)
trap 'rm -rf "$work"' EXIT

tarball=$("$repo/tests/packaging/build-tarball.sh" "$work/dist")
if ! tar -xzOf "$tarball" MANIFEST.json | python -c 'import json, sys; sys.exit(not json.load(sys.stdin)["collection_info"]["repository"])'; then
  # galaxy-importer refuses a collection without a repository URL, and this one has no public
  # home yet (galaxy.yml says so): import a copy that names a reserved, unresolvable one.
  echo "NOTE: galaxy.yml has no repository URL; Galaxy requires one. Importing with https://example.invalid/ instead."
  mkdir "$work/src"
  tar -xzf "$tarball" -C "$work/src"
  python - "$work/src/MANIFEST.json" <<'PY'
import json, sys
path = sys.argv[1]
data = json.load(open(path))
data["collection_info"]["repository"] = "https://example.invalid/stateful/nfs_redis"
json.dump(data, open(path, "w"), indent=4)
PY
  # ansible-galaxy and galaxy-importer want the members without a leading ./
  (cd "$work/src" && tar -czf "$tarball" -- *)
fi

cd "$work"
start=$SECONDS
rc=0
GALAXY_IMPORTER_CONFIG=$repo/tests/packaging/galaxy-importer.cfg python -m galaxy_importer.main "$tarball" >importer.log 2>&1 || rc=$?
cat importer.log
echo "galaxy-importer: exit $rc in $((SECONDS - start)) s"
((rc == 0)) || { echo "FAIL: galaxy-importer refused the collection" >&2; exit 1; }
grep -E '^ERROR' importer.log && { echo "FAIL: galaxy-importer reported errors (above)" >&2; exit 1; }
python - importer_result.json <<'PY'
import json, sys

result = json.load(open(sys.argv[1]))
contents = result["docs_blob"]["contents"]
problems = []
plugins = [c for c in contents if c["content_type"] in ("module", "filter", "test")]
for c in plugins:
    doc = (c.get("doc_strings") or {}).get("doc") or {}
    if not doc.get("short_description"):
        problems.append("%s %s: no documentation imported" % (c["content_type"], c["content_name"]))
module = [c for c in contents if c["content_type"] == "module" and c["content_name"] == "statefulset_ready"]
options = ((module[0].get("doc_strings") or {}).get("doc") or {}).get("options", []) if module else []
# galaxy-importer lists the options as [{name: ..., ...}].
options = [o["name"] for o in options] if isinstance(options, list) else list(options)
for name in ("name", "namespace", "timeout", "host", "kubeconfig", "api_key"):
    if name not in options:
        problems.append("statefulset_ready: option %s missing from the imported documentation" % name)
roles = [c for c in contents if c["content_type"] == "role"]
described = {c["name"] for c in result["contents"] if c["content_type"] == "role" and c.get("description")}
for c in roles:
    if not (c.get("readme_html") and c["content_name"] in described):
        problems.append("role %s: no README or description imported" % c["content_name"])
if result.get("requires_ansible") is None:
    problems.append("requires_ansible not imported")
print("imported: %d plugins with documentation, module options %d, %d roles, requires_ansible %s, "
      "dependencies %s" % (len(plugins), len(options), len(roles), result.get("requires_ansible"),
                           result["metadata"]["dependencies"]))
for p in problems:
    print("FAIL: " + p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
warnings=$(grep -c '^WARNING' importer.log || true)
echo "galaxy-importer: 0 errors, $warnings warnings"
