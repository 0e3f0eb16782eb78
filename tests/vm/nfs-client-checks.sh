#!/usr/bin/env bash
# Run on the nfs_kernel_vm stage's VM (root) by molecule/nfs_kernel_vm/verify.yml, after the converge.
# Plays the NFS clients with the VM's own kernel NFS client and prints one KEY=VALUE line per
# result; verify.yml asserts on them. Nothing here decides pass or fail.
#   self-mounts over the VM's address 10.0.2.15 (a listed client): NFSv3 and NFSv4.2 read/write,
#     root_squash on /srv/nfs/archive;
#   a mount over 127.0.0.1 (no export lists it): refused by the server;
#   firewall: network namespaces c1 (10.9.1.2, a listed client) and c2 (10.9.2.2, not listed),
#     linked to the VM by veth pairs; port 2049 probed before and after `ufw enable`.
set -u
m=$(mktemp -d)
out() { printf '%s=%s\n' "$1" "$2"; }
write() { echo "$2" >"$1"; }

# NFSv3 over the VM's address: write through the mount, read it on the server's disk.
mkdir -p "$m/v3" "$m/v4" "$m/squash" "$m/refused"
mount -t nfs -o vers=3,proto=tcp 10.0.2.15:/data/nfs "$m/v3"; out v3_mount_rc $?
write "$m/v3/from-v3-client" written-over-nfsv3; out v3_write_rc $?
umount "$m/v3"
out v3_server_reads "$(cat /data/nfs/from-v3-client)"
out v3_server_owner "$(stat -c %U:%G /data/nfs/from-v3-client)"

# NFSv4.2: written on the server's disk, read through the mount.
echo written-on-the-server >/data/nfs/from-server
mount -t nfs -o vers=4.2 10.0.2.15:/data/nfs "$m/v4"; out v4_mount_rc $?
out v4_client_reads "$(cat "$m/v4/from-server")"
out v4_nfsvers "$(awk -v d="$m/v4" '$2 == d {print $4}' /proc/mounts | tr ',' '\n' | grep '^vers=')"
umount "$m/v4"

# root_squash: root's file on /srv/nfs/archive belongs to nobody; root cannot chown it.
mount -t nfs -o vers=4.2 10.0.2.15:/srv/nfs/archive "$m/squash"; out squash_mount_rc $?
write "$m/squash/by-root" written-by-root; out squash_write_rc $?
chown root:root "$m/squash/by-root" 2>/dev/null; out squash_chown_rc $?
umount "$m/squash"
out squash_server_owner "$(stat -c %U:%G /srv/nfs/archive/by-root)"

# Not in the allow-list: 127.0.0.1 (the mount's source address is 127.0.0.1).
err=$(mount -t nfs -o vers=4.2,retry=0 127.0.0.1:/data/nfs "$m/refused" 2>&1); out refused_mount_rc $?
out refused_mount_error "$(echo "$err" | tr '\n' ' ')"
mountpoint -q "$m/refused" && umount "$m/refused"

# Firewall: two clients in network namespaces of the VM.
# c1 is 10.9.1.2 (the VM is 10.9.1.1 on that link), c2 is 10.9.2.2 (VM: 10.9.2.1).
for i in 1 2; do
	ip netns add "c$i"
	ip link add "vc$i" type veth peer name eth0 netns "c$i"
	ip addr add "10.9.$i.1/24" dev "vc$i"
	ip link set "vc$i" up
	ip -n "c$i" link set eth0 up
	ip -n "c$i" addr add "10.9.$i.2/24" dev eth0
done
probe() { ip netns exec "c$1" timeout 5 bash -c "exec 3<>/dev/tcp/10.9.$1.1/2049" 2>/dev/null; echo $?; }
out fw_off_listed_connect_rc "$(probe 1)"
out fw_off_unlisted_connect_rc "$(probe 2)"
# Keep SSH open, then enable ufw (default: deny incoming).
ufw allow in on eth0 to any port 22 proto tcp >/dev/null
ufw --force enable >/dev/null; out ufw_enable_rc $?
out fw_on_listed_connect_rc "$(probe 1)"
out fw_on_unlisted_connect_rc "$(probe 2)"
ip netns exec c1 sh -c 'mount -t nfs -o vers=4.2 10.9.1.1:/data/nfs /mnt &&
	echo written-through-the-firewall >/mnt/from-c1 && umount /mnt'; out fw_on_listed_mount_rc $?
out fw_on_listed_server_reads "$(cat /data/nfs/from-c1 2>/dev/null)"
exit 0
