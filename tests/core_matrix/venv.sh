#!/usr/bin/env bash
# Prints the path of a cached virtualenv built from a pinned requirements file, building it on
# a cache miss:
#
#   tests/core_matrix/venv.sh tests/core_matrix/requirements-2.16.txt
#
# The venv lives in ${STATEFUL_NFS_REDIS_CACHE:-~/.cache/stateful-nfs-redis}/venvs/<name>-<key>,
# the key being the sha256 of the requirements file, so changing a pin builds a new venv and
# worktrees share the old one. A venv of an ansible-core minor (requirements-2.X.txt) also gets
# the pinned requirements of ansible-test's sanity tests and units (what `ansible-test
# --requirements` would install), then our pins again (they win), so that the core_matrix stage
# installs nothing. --check prints the path only if the venv is built.
set -euo pipefail
check=false
if [[ ${1:-} == --check ]]; then check=true; shift; fi
req=${1:?usage: venv.sh [--check] REQUIREMENTS_FILE}
[[ -f $req ]] || { echo "venv.sh: no such file: $req" >&2; exit 2; }
cache=${STATEFUL_NFS_REDIS_CACHE:-$HOME/.cache/stateful-nfs-redis}/venvs
name=$(basename "$req" .txt)
key=$(sha256sum "$req" | cut -c1-16)
venv=$cache/${name#requirements-}-$key
if [[ -f $venv/.complete ]]; then echo "$venv"; exit 0; fi
if $check; then
  echo "venv.sh: $venv is not built (run scripts/setup)" >&2
  exit 1
fi
mkdir -p "$cache"
exec 9>"$venv.lock"
flock 9
if [[ ! -f $venv/.complete ]]; then
  echo "venv.sh: building $venv from $req" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip >&2
  "$venv/bin/pip" install -q -r "$req" >&2
  if [[ $name == requirements-2.* ]]; then
    at=$("$venv/bin/python" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')
    for r in "$at"/_data/requirements/sanity.*.txt "$at"/_data/requirements/units.txt; do
      "$venv/bin/pip" install -q -r "$r" >&2
    done
    # Those pin older PyYAML, urllib3, ...: our pins win (the sanity import test runs in a venv
    # of its own anyway).
    "$venv/bin/pip" install -q -r "$req" >&2
  fi
  touch "$venv/.complete"
fi
echo "$venv"
