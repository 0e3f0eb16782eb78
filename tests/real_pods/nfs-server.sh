#!/usr/bin/env bash
# Sourced by tests/real_pods/run.sh and scripts/demo: the NFS server of the real-pods node, an
# nfs-ganesha container (systemd) joined to the node's network namespace, so that it serves on
# the node's bridge address (10.244.0.1). Needs RP_DIR, RP_ANCHOR and RP_NFS_SERVER_IMAGE (from
# `tests/cluster/real-pods.sh start`) and CONTAINERS_CONF.
rp_nfs_server=rp-nfs-server

# rp_nfs_server_start: (re)create the container; the exports are RP_DIR/export and export-squash.
rp_nfs_server_start() {
	rp_nfs_server_remove
	podman run -d --name "$rp_nfs_server" --hostname "$rp_nfs_server" --network "ns:/proc/$RP_ANCHOR/ns/net" \
		--cap-add DAC_READ_SEARCH -v "$RP_DIR/export:/data/nfs" -v "$RP_DIR/export-squash:/data/nfs-squash" \
		--systemd=always "$RP_NFS_SERVER_IMAGE" /sbin/init >/dev/null
}

# rp_nfs_server_remove: remove the container (and its anonymous volumes), if it exists.
rp_nfs_server_remove() {
	podman rm -f -v -t 5 "$rp_nfs_server" >/dev/null 2>&1 || true
}
