#!/bin/sh
# mmdebstrap customize hook of build-image.sh, run on the build machine: configures the guest's
# root file system "$1" (root's authorized key "$2"). The guest has one network interface
# (qemu user networking, no route out of it) with the fixed address 10.0.2.15.
set -eu
root=$1
pubkey=$2

# A local apt repository with the role's packages: the only apt source of the guest.
(
	cd "$root/var/local/debs"
	for deb in *.deb; do
		dpkg-deb -f "$deb"
		printf 'Filename: ./%s\nSize: %s\nSHA256: %s\n\n' "$deb" "$(stat -c %s "$deb")" \
			"$(sha256sum "$deb" | cut -d' ' -f1)"
	done >Packages
)
echo 'deb [trusted=yes] file:/var/local/debs ./' >"$root/etc/apt/sources.list"
rm -f "$root"/etc/apt/sources.list.d/*
rm -rf "$root"/var/lib/apt/lists/*
chroot "$root" apt-get -qq update

echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' >"$root/etc/fstab"
echo nfs-vm >"$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 nfs-vm\n' >"$root/etc/hosts"
rm -f "$root/etc/resolv.conf"
: >"$root/etc/resolv.conf"

cat >"$root/etc/systemd/network/10-eth0.network" <<'NET'
[Match]
Name=eth0
[Network]
Address=10.0.2.15/24
Gateway=10.0.2.2
LinkLocalAddressing=no
NET
chroot "$root" systemctl enable -q systemd-networkd.service ssh.service
# Nothing waits for "network online" beyond the address being set.
chroot "$root" systemctl mask -q systemd-networkd-wait-online.service

# Boot time under emulation: nothing that runs at boot unasked (apt's timers would also hold the
# dpkg lock the role needs), and a small initramfs with only the modules that mount the root
# file system (the default one has every driver: 36 MB to unpack).
chroot "$root" systemctl mask -q e2scrub_reap.service apt-daily.timer apt-daily-upgrade.timer
echo MODULES=list >"$root/etc/initramfs-tools/conf.d/stateful-test.conf"
printf '%s\n' virtio_pci virtio_blk ext4 >>"$root/etc/initramfs-tools/modules"
chroot "$root" update-initramfs -u -k all >/dev/null
# qemu boots the kernel and initramfs copied out of the image: the guest's own initramfs is never
# used, so the packages the role installs (nfs-common has initramfs hooks) need not rebuild it
# (minutes under emulation). dpkg need not fsync a disk that is thrown away after the run.
sed -i 's/^update_initramfs=.*/update_initramfs=no/' "$root/etc/initramfs-tools/update-initramfs.conf"
echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/stateful-test"

install -d -m 0700 "$root/root/.ssh"
install -m 0600 "$pubkey" "$root/root/.ssh/authorized_keys"
# Fast logins under emulation: no reverse DNS look-ups.
echo 'UseDNS no' >"$root/etc/ssh/sshd_config.d/stateful-test.conf"
