#!/usr/bin/env bash
# Builds the Debian 12 systemd image that Molecule runs, without any registry:
# mmdebstrap from Debian's mirror, then `podman import`. Skips the build when an image
# with the same recipe hash exists.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$here/containers.conf}
image=${STATEFUL_IMAGE:-localhost/stateful-debian12-systemd}
packages=python3,systemd,systemd-sysv,iproute2,procps,sudo,dbus,netbase,ca-certificates
key=$(printf '%s\n' "$packages" "$(sha256sum "$0")" | sha256sum | cut -c1-12)

if podman image exists "$image:$key"; then
  echo "image $image:$key present (cache hit)"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$SECONDS
# The hook runs in a shell of mmdebstrap's, where "$1" is the root directory.
# shellcheck disable=SC2016
mmdebstrap --quiet --variant=minbase --include="$packages" \
  --customize-hook='rm -f "$1"/etc/machine-id; touch "$1"/etc/machine-id' \
  bookworm "$work/rootfs.tar"
podman import --change 'CMD ["/sbin/init"]' --change 'STOPSIGNAL SIGRTMIN+3' \
  "$work/rootfs.tar" "$image:$key" >/dev/null
podman tag "$image:$key" "$image:latest"
echo "image $image:$key built in $((SECONDS - start)) s"
