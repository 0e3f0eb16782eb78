#!/usr/bin/env bash
# Builds the collection tarball from the files git tracks (and new ones it does not ignore), as
# in a fresh clone, into OUTDIR, and prints its path:
#
#   tests/packaging/build-tarball.sh OUTDIR
#
# The working tree may hold state of other tests (a cluster directory, mounts) that a clone does
# not have; galaxy.yml's build_ignore keeps developer-only content out.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=${1:?usage: build-tarball.sh OUTDIR}
mkdir -p "$out"
src=$(mktemp -d -t collection-src.XXXXXX)
trap 'rm -rf "$src"' EXIT
(cd "$repo" && { git ls-files; git ls-files -o --exclude-standard; } | sort -u |
  while read -r f; do [[ -e $f ]] && echo "$f"; done | rsync -a --files-from=- ./ "$src/")
(cd "$src" && ansible-galaxy collection build --force --output-path "$out" >/dev/null)
ls "$out"/stateful-nfs_redis-*.tar.gz
