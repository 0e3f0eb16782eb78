#!/usr/bin/env bash
# Build the real-pods stage's images without any registry, or reuse cached ones:
#   pause       OCI tar for containerd: the static pause program of build-node.sh, one layer
#   redis       OCI tar for containerd: Debian 12 (mmdebstrap minbase) with redis-server and an
#               entrypoint that behaves like the official redis image's (images/redis-entrypoint.sh)
#   nfs-server  podman image: the Molecule systemd image's packages plus nfs-ganesha,
#               nfs-ganesha-vfs and rpcbind (the NFS server container joins the node's private
#               network namespace, which has no route to Debian's mirror)
# Each has its own cache key. Usage: build-images.sh NODE_BIN_DIR (stdout of build-node.sh).
# stdout: PAUSE_TAR=..., PAUSE_IMAGE=..., REDIS_TAR=..., REDIS_IMAGE=..., NFS_SERVER_IMAGE=...
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
node_bin=${1:?usage: build-images.sh NODE_BIN_DIR}
cache=${STATEFUL_NFS_REDIS_CACHE:-$HOME/.cache/stateful-nfs-redis}/images
export CONTAINERS_CONF=${CONTAINERS_CONF:-$here/../podman/containers.conf}
mkdir -p "$cache"
exec 9>"$cache/lock"
flock 9

pause_image=localhost/rp-pause:local
redis_image=localhost/rp-redis:7.0-bookworm
redis_packages=redis-server,redis-tools
server_packages=python3,systemd,systemd-sysv,iproute2,procps,sudo,dbus,netbase,ca-certificates,nfs-ganesha,nfs-ganesha-vfs,rpcbind
log() { echo "build-images: $*" >&2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# pause
pause_key=$(cat "$node_bin/pause" "$here/images/oci-image.py" | sha256sum | cut -c1-16)
pause_tar=$cache/pause-$pause_key.tar
if [[ -f $pause_tar ]]; then
	log "pause: cache hit: $pause_tar"
else
	python3 "$here/images/oci-image.py" --file "$(readlink -f "$node_bin/pause"):/pause" --name "$pause_image" \
		--entrypoint '["/pause"]' --out "$pause_tar"
	log "pause: built $pause_tar"
fi

# redis
redis_key=$(printf '%s\n' "$redis_packages" | cat - "$0" "$here/images/redis-entrypoint.sh" "$here/images/oci-image.py" | sha256sum | cut -c1-16)
redis_tar=$cache/redis-$redis_key.tar
if [[ -f $redis_tar ]]; then
	log "redis: cache hit: $redis_tar"
else
	start=$SECONDS
	# User redis gets uid/gid 999 before redis-tools' postinst would pick one (as in the
	# official image; minbase has no groupadd yet at that point, hence the plain lines). Hooks run in mmdebstrap's shell, where "$1" is the root directory.
	# shellcheck disable=SC2016
	mmdebstrap --quiet --variant=minbase --include="$redis_packages" \
		--essential-hook='echo "redis:x:999:999::/var/lib/redis:/usr/sbin/nologin" >>"$1/etc/passwd" && echo "redis:x:999:" >>"$1/etc/group"' \
		--customize-hook="install -m 0755 '$here/images/redis-entrypoint.sh' \"\$1/usr/local/bin/docker-entrypoint.sh\"" \
		--customize-hook='mkdir -p "$1/data" && chown 999:999 "$1/data" && rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/*' \
		bookworm "$work/redis-rootfs.tar"
	python3 "$here/images/oci-image.py" --rootfs "$work/redis-rootfs.tar" --name "$redis_image" \
		--entrypoint '["docker-entrypoint.sh"]' --cmd '["redis-server"]' --workdir /data --out "$redis_tar"
	log "redis: built $redis_tar in $((SECONDS - start)) s"
fi

# NFS server (podman)
server_key=$(printf '%s\n' "$server_packages" | cat - "$0" | sha256sum | cut -c1-12)
server_image=localhost/rp-nfs-server:$server_key
if podman image exists "$server_image"; then
	log "nfs-server: cache hit: $server_image"
else
	start=$SECONDS
	# shellcheck disable=SC2016
	mmdebstrap --quiet --variant=minbase --include="$server_packages" \
		--customize-hook='rm -f "$1"/etc/machine-id; touch "$1"/etc/machine-id' \
		bookworm "$work/server-rootfs.tar"
	podman import --change 'CMD ["/sbin/init"]' --change 'STOPSIGNAL SIGRTMIN+3' \
		"$work/server-rootfs.tar" "$server_image" >/dev/null
	log "nfs-server: built $server_image in $((SECONDS - start)) s"
fi

rm -f "$cache"/pause-*.tar.partial "$cache"/redis-*.tar.partial
echo "PAUSE_TAR=$pause_tar"
echo "PAUSE_IMAGE=$pause_image"
echo "REDIS_TAR=$redis_tar"
echo "REDIS_IMAGE=$redis_image"
echo "NFS_SERVER_IMAGE=$server_image"
