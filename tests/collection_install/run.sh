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
# From the files git tracks (and new ones it does not ignore), as in a fresh clone: the working
# tree may hold state of other tests (a cluster directory, mounts) that a clone does not have.
mkdir -p "$work/src"
(cd "$repo" && { git ls-files; git ls-files -o --exclude-standard; } | sort -u |
  while read -r f; do [[ -e $f ]] && echo "$f"; done | rsync -a --files-from=- ./ "$work/src/")
(cd "$work/src" && ansible-galaxy collection build --force --output-path "$work/dist" >/dev/null)
tarball=$(ls "$work"/dist/stateful-nfs_redis-*.tar.gz)
echo "$(basename "$tarball"): $(tar -tzf "$tarball" | wc -l) files"
if tar -tzf "$tarball" | grep -E '(^|/)(\.collections|\.venv|\.cluster|tests/output)(/|$)'; then
  echo "FAIL: the tarball contains development state (above)" >&2
  exit 1
fi

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
