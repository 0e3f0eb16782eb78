#!/usr/bin/env bash
# Run the NFS subdir provisioner (see provisioner/main.go) as a local process against the
# cluster of cluster.sh. It creates one directory per volume under /persistentvolumes and
# a PersistentVolume pointing at NFS_SERVER:NFS_PATH/<directory>; it mounts nothing.
#
#   provisioner.sh start|stop
#   env: NFS_SERVER (127.0.0.1), NFS_PATH (/data/nfs),
#        PROVISIONER_NAME (k8s-sigs.io/nfs-subdir-external-provisioner), CLUSTER_DIR,
#        START_TIMEOUT (60: seconds start waits for the controller to have started)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CLUSTER_DIR=$(realpath -m "${CLUSTER_DIR:-$here/../../.cluster}")
NFS_SERVER=${NFS_SERVER:-127.0.0.1}
NFS_PATH=${NFS_PATH:-/data/nfs}
PROVISIONER_NAME=${PROVISIONER_NAME:-k8s-sigs.io/nfs-subdir-external-provisioner}
VOLUMES_DIR=/persistentvolumes # hard-coded in the provisioner, as upstream
START_TIMEOUT=${START_TIMEOUT:-60}

pidfile=$CLUSTER_DIR/run/provisioner.pid
logfile=$CLUSTER_DIR/logs/provisioner.log

log() { echo "provisioner: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# shellcheck source-path=SCRIPTDIR source=pidfile.sh
. "$here/pidfile.sh"

# running: print the pid if our provisioner runs (the pid file of start, see pidfile.sh).
running() { pidfile_pid "$pidfile"; }

start() {
	local p bin deadline
	if p=$(running); then
		log "already running (pid $p)"
		return
	fi
	"$here/cluster.sh" status >/dev/null 2>&1 || die "the cluster in $CLUSTER_DIR is not healthy: run tests/cluster/cluster.sh start"
	bin=$("$here/build.sh")
	mkdir -p "$VOLUMES_DIR"
	KUBECONFIG=$CLUSTER_DIR/kubeconfig NFS_SERVER=$NFS_SERVER NFS_PATH=$NFS_PATH \
		PROVISIONER_NAME=$PROVISIONER_NAME ENABLE_LEADER_ELECTION=false \
		setsid "$bin/nfs-provisioner" >"$logfile" 2>&1 </dev/null &
	pidfile_write "$pidfile" $! || { tail -n 20 "$logfile" >&2; die "exited at start (log: $logfile)"; }
	# Ready: the controller logs this once its informers have synced (claims, volumes, classes).
	deadline=$((SECONDS + START_TIMEOUT))
	until grep -qF "Started provisioner controller" "$logfile"; do
		p=$(running) || { tail -n 20 "$logfile" >&2; die "exited at start (log: $logfile)"; }
		((SECONDS < deadline)) || die "not started after ${START_TIMEOUT}s (log: $logfile; stop: $0 stop)"
		sleep 0.2
	done
	p=$(running) || { tail -n 20 "$logfile" >&2; die "exited at start (log: $logfile)"; }
	log "running (pid $p) as $PROVISIONER_NAME for $NFS_SERVER:$NFS_PATH, volumes in $VOLUMES_DIR, log $logfile"
}

stop() {
	local p t
	if p=$(running); then
		kill -TERM "$p"
		for ((t = 0; t < 100; t++)); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$p" 2>/dev/null && kill -KILL "$p"
		log "stopped (pid $p)"
	fi
	rm -f "$pidfile"
}

case ${1:-} in
start) start ;;
stop) stop ;;
*)
	echo "usage: $0 start|stop" >&2
	exit 2
	;;
esac
