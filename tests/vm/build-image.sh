#!/usr/bin/env bash
# Builds the nfs_kernel stage's test host, a Debian 12 virtual machine, without any registry, or
# reuses the cached one. Everything comes from Debian's packages:
#   rootfs   mmdebstrap minbase of bookworm with systemd, the Debian kernel (linux-image-amd64),
#            openssh-server and python3; nfs-kernel-server, ufw and python3-apt (which Ansible's apt
#            module installs itself) are NOT installed: their .debs (and their dependencies) wait
#            in a local apt repository (file:/var/local/debs), so that the nfs_server role
#            installs them itself with apt, and the VM needs no network.
#   disk     `mke2fs -d rootfs` (ext4, sparse raw file): no loop device, no root mount
#   kernel   /boot/vmlinuz-* and /boot/initrd.img-* copied out of the rootfs, for qemu -kernel
#   ssh key  an ed25519 key made for the tests; its public half is root's authorized key
# Cache: ${STATEFUL_NFS_REDIS_CACHE:-~/.cache/stateful-nfs-redis}/vm/<key>, key = this script and
# guest-setup.sh (the guest's configuration).
# stdout: the cache directory (vmlinuz, initrd.img, disk.img, id_ed25519).
set -euo pipefail

cache_root=${STATEFUL_NFS_REDIS_CACHE:-$HOME/.cache/stateful-nfs-redis}/vm
here=$(cd "$(dirname "$0")" && pwd)
key=$(cat "$0" "$here/guest-setup.sh" | sha256sum | cut -c1-16)
out=$cache_root/$key
log() { echo "vm build-image: $*" >&2; }
mkdir -p "$cache_root"
exec 9>"$cache_root/lock"
flock 9
if [[ -f $out/done ]]; then
	log "cache hit: $out"
	echo "$out"
	exit 0
fi

started=$SECONDS
work=$(mktemp -d "$cache_root/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
packages=systemd-sysv,udev,kmod,linux-image-amd64,initramfs-tools,openssh-server,python3,iproute2,netbase
# The packages the role installs, downloaded with their dependencies into a local repository.
repo_packages=(nfs-kernel-server ufw python3-apt)
ssh-keygen -q -t ed25519 -N '' -C stateful-nfs-redis-vm-test -f "$work/id_ed25519"

# Hooks run in a shell of mmdebstrap's, where "$1" is the root directory.
# shellcheck disable=SC2016
mmdebstrap --quiet --variant=minbase --include="$packages" --skip=cleanup/apt/lists \
	--customize-hook='rm -f "$1"/var/cache/apt/archives/*.deb' \
	--customize-hook="chroot \"\$1\" apt-get install -qq --download-only -y ${repo_packages[*]}" \
	--customize-hook='mkdir -p "$1"/var/local/debs && mv "$1"/var/cache/apt/archives/*.deb "$1"/var/local/debs/' \
	--customize-hook="'$here/guest-setup.sh' \"\$1\" '$work/id_ed25519.pub'" \
	bookworm "$work/rootfs"
log "rootfs: $(du -sm "$work/rootfs" | cut -f1) MB after $((SECONDS - started)) s"

mke2fs -q -t ext4 -L root -d "$work/rootfs" "$work/disk.img" 3G
cp "$work"/rootfs/boot/vmlinuz-* "$work/vmlinuz"
cp "$work"/rootfs/boot/initrd.img-* "$work/initrd.img"
rm -rf "$out"
mkdir -p "$out"
mv "$work/disk.img" "$work/vmlinuz" "$work/initrd.img" "$work/id_ed25519" "$work/id_ed25519.pub" "$out/"
touch "$out/done"
# Older keys' images are dead weight (about 1 GB each).
find "$cache_root" -mindepth 1 -maxdepth 1 -type d ! -name "$key" ! -name 'build.*' -exec rm -rf {} +
log "built $out in $((SECONDS - started)) s"
echo "$out"
