#!/usr/bin/env bash
# Starts or stops the nfs_kernel_vm stage's Debian 12 VM (image: build-image.sh) under qemu's software
# emulation (TCG: /dev/kvm exists on these machines but guests hang with it).
#   vm.sh start DIR   boot the cached disk with snapshot=on (the guest's writes go to a temporary
#                     file qemu deletes: every start is a fresh VM), wait until root logs in over SSH;
#                     stdout: PORT=... KEY=... BOOT_SECONDS=...
#   vm.sh stop DIR    power the VM off (kill after 20 s), remove DIR
# Network: qemu user networking with restrict=on: the guest (10.0.2.15) reaches nothing outside
# itself; its SSH port is forwarded to 127.0.0.1:PORT, the only way in. The serial console is
# logged to DIR/console.log.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cmd=${1:?usage: vm.sh start|stop DIR}
dir=${2:?usage: vm.sh start|stop DIR}
log() { echo "vm: $*" >&2; }

ssh_vm() {
	ssh -q -p "$(cat "$dir/port")" -i "$dir/id_ed25519" -o BatchMode=yes -o ConnectTimeout=5 \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null root@127.0.0.1 "$@"
}

case $cmd in
start)
	image=$("$here/build-image.sh")
	mkdir -p "$dir"
	install -m 0600 "$image/id_ed25519" "$dir/id_ed25519"
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	echo "$port" >"$dir/port"
	started=$SECONDS
	qemu-system-x86_64 -accel tcg -m 1024 -smp 2 -display none -daemonize \
		-pidfile "$dir/qemu.pid" -serial "file:$dir/console.log" -no-reboot \
		-kernel "$image/vmlinuz" -initrd "$image/initrd.img" \
		-append 'console=ttyS0 root=/dev/vda rw quiet net.ifnames=0' \
		-drive "file=$image/disk.img,format=raw,if=virtio,snapshot=on" \
		-nic "user,model=virtio-net-pci,restrict=on,hostfwd=tcp:127.0.0.1:$port-10.0.2.15:22"
	until ssh_vm true 2>/dev/null; do
		if ((SECONDS - started > 400)); then
			log "no SSH login after $((SECONDS - started)) s; console:"
			tail -n 30 "$dir/console.log" >&2
			exit 1
		fi
		kill -0 "$(cat "$dir/qemu.pid")" || { log "qemu exited"; tail -n 30 "$dir/console.log" >&2; exit 1; }
		sleep 2
	done
	log "booted: root logs in over SSH after $((SECONDS - started)) s (127.0.0.1:$port)"
	echo "PORT=$port KEY=$dir/id_ed25519 BOOT_SECONDS=$((SECONDS - started))"
	;;
stop)
	if [[ -f $dir/qemu.pid ]]; then
		pid=$(cat "$dir/qemu.pid")
		ssh_vm poweroff 2>/dev/null || true
		for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
		kill "$pid" 2>/dev/null || true
	fi
	rm -rf "$dir"
	;;
*)
	echo "usage: vm.sh start|stop DIR" >&2
	exit 2
	;;
esac
