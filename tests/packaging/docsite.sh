#!/usr/bin/env bash
# The collection's documentation site, as docs.ansible.com builds it: antsibull-docs lints the
# collection's docs (docs/docsite/links.yml, extra-docs.yml, every plugin's and role's
# documentation), then writes the site (module, filters, tests, roles from their argument specs,
# the guides of extra-docs.yml) and Sphinx builds it, offline: no intersphinx inventory is
# fetched. Every Sphinx warning fails the stage, except a reference to a page outside this
# collection (docs.ansible.com or another collection), which only intersphinx can resolve.
#
#   tests/packaging/docsite.sh [OUTDIR]   # keeps the HTML in OUTDIR/build/html
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tools=${TOOLS_VENV:-$("$repo/tests/core_matrix/venv.sh" --check "$repo/tests/packaging/requirements-tools.txt")}
export PATH="$tools/bin:$PATH"
unset ANSIBLE_CONFIG ANSIBLE_COLLECTIONS_PATHS
work=$(mktemp -d -t docsite.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"

tarball=$("$repo/tests/packaging/build-tarball.sh" "$work/dist")
ansible-galaxy collection install --no-deps -p "$work/collections" "$tarball" >/dev/null
# The dependencies, as on docs.ansible.com (the linter checks references into them): .venv's.
for c in kubernetes/core ansible/posix; do
  mkdir -p "$work/collections/ansible_collections/${c%/*}"
  ln -s "$("$repo/.venv/bin/python" -c 'import ansible_collections, sys; print(list(ansible_collections.__path__)[0])')/$c" \
    "$work/collections/ansible_collections/$c"
done
export ANSIBLE_COLLECTIONS_PATH=$work/collections

echo "== antsibull-docs lint-collection-docs"
antsibull-docs lint-collection-docs --plugin-docs "$work/collections/ansible_collections/stateful/nfs_redis"

echo "== antsibull-docs sphinx-init and build"
site=${1:-$work/site}
rm -rf "$site"
mkdir -p "$(dirname "$site")" && mkdir -m 700 "$site"
antsibull-docs sphinx-init --use-current --squash-hierarchy --fail-on-error --dest-dir "$site" stateful.nfs_redis >/dev/null
printf '\n# Offline: no intersphinx inventory is fetched.\nintersphinx_mapping = {}\n' >>"$site/conf.py"
mkdir -p "$site/rst" && chmod og-w "$site/rst"
antsibull-docs --config-file "$site/antsibull-docs.cfg" collection --cleanup everything --fail-on-error \
  --use-current --squash-hierarchy --dest-dir "$site/rst" stateful.nfs_redis
sphinx-build -M html "$site/rst" "$site/build" -c "$site" -q -w "$work/warnings.log" || true
[[ -f $site/build/html/index.html ]] || { echo "FAIL: Sphinx wrote no site" >&2; exit 1; }
external="undefined label: '(ansible_configuration_settings|common_return_values|ansible_collections\.(ansible\.builtin|kubernetes\.core)\.)"
ours=$(grep -vE "$external" "$work/warnings.log" | grep -c . || true)
theirs=$(grep -cE "$external" "$work/warnings.log" || true)
grep -vE "$external" "$work/warnings.log" || true
pages=$(find "$site/build/html" -name '*.html' | wc -l)
echo "docsite: $pages HTML pages; $ours warnings of ours, $theirs references to pages outside the collection (resolved by intersphinx on docs.ansible.com)"
for page in statefulset_ready_module redis_role nfs_server_role k8s_quantity_filter module_available_test docsite/guide_statefulset_ready; do
  [[ -f $site/build/html/$page.html ]] || { echo "FAIL: no page $page" >&2; exit 1; }
done
((ours == 0)) || { echo "FAIL: Sphinx warnings of ours (above)" >&2; exit 1; }
