#!/usr/bin/env bash
# The collection as a user gets it: build the tarball, install it into a temporary collections
# path (no clone, no .collections link, no ansible.cfg of ours), and run the installed playbooks
# from an empty directory with an inventory of the test's own (loopback addresses only):
#   - stateful.nfs_redis.render writes the objects and they match what the clone renders;
#   - site, verify and teardown parse (--syntax-check) and list their tasks;
#   - ansible-doc renders the module's documentation.
# Nothing is contacted: render needs no cluster, and the other playbooks are not run.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
venv=${VENV:-$repo/.venv}
export PATH="$venv/bin:$PATH"
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_RETRY_FILES_ENABLED=0
# Nothing of the clone's configuration may help: no ansible.cfg, no .collections link.
unset ANSIBLE_CONFIG ANSIBLE_COLLECTIONS_PATH ANSIBLE_COLLECTIONS_PATHS
while read -r var; do unset "$var"; done < <(env | sed -n 's/^\(K8S_AUTH_[A-Z_]*\)=.*/\1/p')
unset KUBECONFIG

work=$(mktemp -d -t collection-install.XXXXXX)
trap 'rm -rf "$work"' EXIT
# Run from outside the clone, so that its ansible.cfg is not read either.
cd "$work"
step() { printf '== collection_install: %s\n' "$*"; }

step "build the tarball"
tarball=$("$repo/tests/packaging/build-tarball.sh" "$work/dist")
echo "$(basename "$tarball"): $(tar -tzf "$tarball" | wc -l) files"
if tar -tzf "$tarball" | grep -E '^(\.[^/]+|tests|molecule|scripts|benchmarks|changelogs/fragments)(/|$)'; then
  echo "FAIL: the tarball contains development content (above)" >&2
  exit 1
fi

# Next to what each current Ansible package bundles: ansible-galaxy resolves our dependencies
# against the bundled collections (--offline: Galaxy is not asked). .venv's ansible package, and
# the wheels of newer ones scripts/setup keeps (they need Python 3.12, so only their collections).
bundles=("$venv/lib/python3.11/site-packages")
for wheel in "${ANSIBLE_WHEELS:-$HOME/.cache/stateful-nfs-redis/ansible-wheels}"/ansible-*.whl; do
  [[ -f $wheel ]] && bundles+=("$wheel")
done
for bundle in "${bundles[@]}"; do
  dir=$work/bundle-$(basename "$bundle" .whl)
  mkdir -p "$dir/ansible_collections"
  for c in kubernetes/core ansible/posix community/general; do
    if [[ $bundle == *.whl ]]; then
      (cd "$dir" && unzip -q "$bundle" "ansible_collections/$c/*")
    else
      mkdir -p "$dir/ansible_collections/${c%/*}" && ln -s "$bundle/ansible_collections/$c" "$dir/ansible_collections/$c"
    fi
  done
  name=$(basename "$bundle" .whl)
  [[ $bundle == *.whl ]] || name="$("$venv/bin/python" -c 'import importlib.metadata as m; print("ansible-" + m.version("ansible"))') (.venv)"
  step "install next to the collections $name bundles"
  ansible-galaxy collection install --offline -p "$dir" "$tarball" >"$dir.log" 2>&1 ||
    { cat "$dir.log"; echo "FAIL: the tarball does not install next to $name" >&2; exit 1; }
  ANSIBLE_COLLECTIONS_PATH=$dir ansible-galaxy collection list -p "$dir" 2>/dev/null |
    awk -v d="# $dir/ansible_collections" '/^# / {on = ($0 == d)} on && /^(stateful\.nfs_redis|kubernetes\.core|ansible\.posix|community\.general) / {printf "%s %s  ", $1, $2} END {print ""}'
done

step "install it into $work/collections"
# The dependencies (kubernetes.core, ...) come from PyPI's ansible package in the venv, as they
# would come from Galaxy for a user: --no-deps, since Galaxy is not reachable here.
ansible-galaxy collection install --no-deps -p "$work/collections" "$tarball" >/dev/null
export ANSIBLE_COLLECTIONS_PATH="$work/collections"
installed=$(ansible-galaxy collection list stateful.nfs_redis 2>/dev/null | awk '/^stateful.nfs_redis/ {print $2}')
[[ -n $installed ]] || { echo "FAIL: stateful.nfs_redis is not listed after the install" >&2; exit 1; }
echo "installed stateful.nfs_redis $installed in $work/collections"

# A user's directory: an inventory and nothing else.
mkdir -p "$work/user"
cp -r "$repo/inventories/test" "$work/user/inventory"
cd "$work/user"
py=$venv/bin/python

step "ansible-playbook stateful.nfs_redis.render (from the installed collection)"
ansible-playbook -i inventory -e "ansible_python_interpreter=$py" stateful.nfs_redis.render -e render_dir=rendered >"$work/render.log" 2>&1 ||
  { tail -40 "$work/render.log"; echo "FAIL: render from the installed collection" >&2; exit 1; }
n=$(find rendered -name '[0-9][0-9]-*.yaml' | wc -l)
((n > 0)) || { echo "FAIL: render wrote no objects" >&2; exit 1; }

step "the installed render equals the clone's render"
(cd "$repo" && ANSIBLE_CONFIG=$repo/ansible.cfg ANSIBLE_COLLECTIONS_PATH=$repo/.collections \
  ansible-playbook -i inventories/test playbooks/render.yml -e "render_dir=$work/clone-rendered" >"$work/clone.log" 2>&1) ||
  { tail -40 "$work/clone.log"; echo "FAIL: render from the clone" >&2; exit 1; }
diff -r "$work/clone-rendered" rendered || { echo "FAIL: the installed collection renders other objects than the clone" >&2; exit 1; }
echo "$n objects, identical to the clone's"

for playbook in site verify teardown; do
  step "ansible-playbook stateful.nfs_redis.$playbook --syntax-check and --list-tasks"
  ansible-playbook -i inventory "stateful.nfs_redis.$playbook" --syntax-check >/dev/null
  tasks=$(ansible-playbook -i inventory "stateful.nfs_redis.$playbook" --list-tasks | grep -c 'TAGS: \[')
  echo "$playbook: $tasks tasks"
done

step "ansible-doc stateful.nfs_redis.statefulset_ready"
ansible-doc stateful.nfs_redis.statefulset_ready | grep -q 'Wait' ||
  { echo "FAIL: ansible-doc does not render the module" >&2; exit 1; }
for role in nfs_server nfs_client nfs_provisioner redis shared; do
  ansible-doc -t role "stateful.nfs_redis.$role" >/dev/null
done
echo "module and role documentation render"
echo "1 passed, 0 failed"
