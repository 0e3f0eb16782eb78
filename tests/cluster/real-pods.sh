#!/usr/bin/env bash
# A Kubernetes node that really runs pods: the control plane of cluster.sh (no kwok nodes),
# containerd with runc, kubelet, CoreDNS and the NFS subdir provisioner process, all inside one
# private network + mount namespace, so that nothing listens outside it and no mount, route,
# iptables rule or sysctl of this machine changes. See README.md ("Real pods").
#
#   real-pods.sh start        start everything; stdout: export KUBECONFIG=... RP_ANCHOR=... lines
#   real-pods.sh stop         stop everything, remove RP_DIR (unless KEEP_STATE=1), leave nothing
#   real-pods.sh status       exit 0 if the node is Ready
#   real-pods.sh exec CMD...  run CMD inside the node's network and mount namespaces (kubectl, ...)
#   real-pods.sh exec-net CMD...  ... in its network namespace only (ansible-playbook, podman)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
RP_DIR=$(realpath -m "${RP_DIR:-$repo/.real-pods}")
NODE_NAME=${RP_NODE_NAME:-rp-node}
START_TIMEOUT=${START_TIMEOUT:-120}
KUBECTL=${KUBECTL:-kubectl}
BRIDGE=rp-br0
NODE_IP=10.244.0.1 # the bridge's address: node IP, pods' gateway, CoreDNS, the NFS server
POD_CIDR=10.244.0.0/24
MARKER=.stateful-nfs-redis-real-pods
# One node per machine: under cgroup v1 two kubelets share the host's kubepods cgroups and each
# removes the other's pods as orphans (they crash-loop with SandboxChanged). The file names the
# RP_DIR of the node that runs.
OWNER=/run/stateful-nfs-redis-real-pods.owner
# Empty mount points this script may create on the machine (bind-mounted over in the namespace).
HOST_MOUNT_POINTS=(/run/containerd /var/lib/cni /var/lib/kubelet)
# Kernel tunables kubelet insists on (protectKernelDefaults); the namespace sees these values
# through bind-mounted files, the machine keeps its own.
SYSCTLS=(vm/overcommit_memory=1 vm/panic_on_oom=0 kernel/panic=10 kernel/panic_on_oops=1
	kernel/keys/root_maxkeys=1000000 kernel/keys/root_maxbytes=25000000)

run=$RP_DIR/run
logs=$RP_DIR/logs
cluster_dir=$RP_DIR/cluster
kubeconfig=$cluster_dir/kubeconfig
sock=/run/containerd/containerd.sock # inside the namespace

log() { echo "real-pods: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# shellcheck source-path=SCRIPTDIR source=pidfile.sh
. "$here/pidfile.sh"

# pid NAME: the pid of a running component of this RP_DIR (its pid file, see pidfile.sh).
pid() { pidfile_pid "$run/$1.pid"; }
anchor() { pid anchor; }
ns() { nsenter -t "$(anchor)" -n -m --wd="$PWD" -- "$@"; }
kc() { ns "$KUBECTL" --kubeconfig="$kubeconfig" "$@"; }

# launch NAME COMMAND...: start a component in the namespace, in its own session, and record
# its pid and start time at once (nsenter without --pid, setsid and env exec in place).
launch() {
	local name=$1 a
	shift
	a=$(anchor)
	nsenter -t "$a" -n -m -- setsid env "RP_DIR=$RP_DIR" "$@" >"$logs/$name.log" 2>&1 </dev/null &
	pidfile_write "$run/$name.pid" $! || die "$name exited at once (log: $logs/$name.log)"
}

wait_for() { # wait_for WHAT COMPONENT COMMAND...
	local what=$1 name=$2 deadline=$((SECONDS + START_TIMEOUT))
	shift 2
	until "$@" >/dev/null 2>&1; do
		if ! pid "$name" >/dev/null; then
			tail -n 30 "$logs/$name.log" >&2 || true
			die "$name exited while waiting for $what (log: $logs/$name.log; clean up: $0 stop)"
		fi
		((SECONDS < deadline)) || die "timed out after ${START_TIMEOUT}s waiting for $what (clean up: $0 stop)"
		sleep 0.5
	done
}

node_ready() {
	[[ $(kc get node "$NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}') == True ]]
}

# --- configuration files --------------------------------------------------------------

write_configs() {
	local pki=$cluster_dir/pki
	# kubelet's identity: system:node:<name> in system:nodes (the Node authorizer's subject).
	openssl ecparam -name prime256v1 -genkey -noout -out "$RP_DIR/kubelet-pki/client.key"
	openssl req -new -key "$RP_DIR/kubelet-pki/client.key" -subj "/O=system:nodes/CN=system:node:$NODE_NAME" |
		openssl x509 -req -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 30 \
			-extfile <(printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=clientAuth") \
			-out "$RP_DIR/kubelet-pki/client.crt" 2>/dev/null
	cat >"$RP_DIR/kubelet.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {server: "https://127.0.0.1:${APISERVER_PORT:-6443}", certificate-authority: "$pki/ca.crt"}
users:
- name: $NODE_NAME
  user: {client-certificate: "$RP_DIR/kubelet-pki/client.crt", client-key: "$RP_DIR/kubelet-pki/client.key"}
contexts:
- name: local
  context: {cluster: local, user: $NODE_NAME}
current-context: local
EOF
	chmod 600 "$RP_DIR/kubelet.kubeconfig"

	cat >"$RP_DIR/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# This machine has cgroup v1 (hybrid): allowed explicitly, kubelet is not patched.
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupsPerQOS: true
enforceNodeAllocatable: [pods]
failSwapOn: false
containerRuntimeEndpoint: unix://$sock
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
# Only clients with a certificate of the cluster CA (the apiserver's kubelet client) get in.
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: "$pki/ca.crt"}
authorization: {mode: AlwaysAllow}
clusterDomain: cluster.local
clusterDNS: [$NODE_IP]
resolvConf: "$RP_DIR/resolv.conf"
# Refuse to start rather than change the machine's kernel tunables (see SYSCTLS).
protectKernelDefaults: true
podLogsDir: /var/log/pods
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
registerNode: true
EOF
	# Pods get only the cluster's search domains; nothing is ever forwarded off the machine.
	echo "# real-pods: no upstream resolvers" >"$RP_DIR/resolv.conf"

	cat >"$RP_DIR/containerd.toml" <<EOF
version = 2
root = "$RP_DIR/containerd/root"
state = "/run/containerd"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$sock"
[ttrpc]
  address = ""
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$RP_DIR/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  # No process here has CAP_SYS_RESOURCE: runc cannot lower oom_score_adj below ours.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "/usr/bin/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$RP_DIR/cni/net.d"
EOF

	mkdir -p "$RP_DIR/cni/net.d"
	cat >"$RP_DIR/cni/net.d/10-real-pods.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "real-pods",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$POD_CIDR", "rangeStart": "10.244.0.10", "gateway": "$NODE_IP"}]],
        "routes": [{"dst": "$POD_CIDR"}]
      }
    }
  ]
}
EOF

	# CoreDNS: the cluster zone from the API; every other name is NXDOMAIN (never forwarded).
	cat >"$RP_DIR/Corefile" <<EOF
cluster.local:53 in-addr.arpa:53 {
    bind $NODE_IP
    errors
    log
    ready 127.0.0.1:8181
    kubernetes cluster.local in-addr.arpa {
        kubeconfig $kubeconfig local
        pods insecure
    }
}
.:53 {
    bind $NODE_IP
    log
    template ANY ANY {
        rcode NXDOMAIN
    }
}
EOF
}

# --- the namespace ---------------------------------------------------------------------

own_namespace() { [[ $(readlink "/proc/$1/ns/net" 2>/dev/null) != "$(readlink /proc/self/ns/net)" ]]; }

make_namespace() {
	local a mp kv key value
	setsid env "RP_DIR=$RP_DIR" unshare --net --mount --propagation slave --fork --kill-child sleep infinity \
		</dev/null >/dev/null 2>&1 &
	a=$!
	pidfile_write "$run/anchor.pid" "$a" || die "the namespace anchor (unshare) exited at once"
	wait_for "the namespace anchor" anchor own_namespace "$a"
	log "namespace anchor pid $a (net $(readlink "/proc/$a/ns/net"), mnt $(readlink "/proc/$a/ns/mnt"))"

	for mp in "${HOST_MOUNT_POINTS[@]}"; do
		if [[ ! -e $mp ]]; then
			mkdir -p "$mp"
			echo "$mp" >>"$RP_DIR/created-mount-points"
		fi
	done
	mkdir -p "$RP_DIR"/{containerd/run,containerd/root,cni/lib,kubelet,var-log,sysctl} /persistentvolumes
	ns mount --bind "$RP_DIR/containerd/run" /run/containerd
	ns mount --bind "$RP_DIR/cni/lib" /var/lib/cni
	# kubelet's root (hard-coded paths such as device-plugins/ live there too), rshared so
	# that volume mounts reach the containers.
	ns mount --bind "$RP_DIR/kubelet" /var/lib/kubelet
	ns mount --make-rshared /var/lib/kubelet
	# /var/log/pods and /var/log/containers, written by kubelet whatever its root dir.
	ns mount --bind "$RP_DIR/var-log" /var/log
	# Where the provisioner process writes: the directory the NFS server exports.
	ns mount --bind "$RP_DIR/export" /persistentvolumes
	# The node's NFS mount helper: the FUSE NFSv3 client.
	ns mount --bind "$(readlink -f "$node_bin/mount-nfs")" /sbin/mount.nfs
	if [[ -e /sbin/mount.nfs4 && $(readlink -f /sbin/mount.nfs4) != "$(readlink -f /sbin/mount.nfs)" ]]; then
		ns mount --bind "$(readlink -f "$node_bin/mount-nfs")" /sbin/mount.nfs4
	fi
	for kv in "${SYSCTLS[@]}"; do
		key=${kv%%=*} value=${kv#*=}
		if [[ $(cat "/proc/sys/$key") != "$value" ]]; then
			echo "$value" >"$RP_DIR/sysctl/${key//\//.}"
			ns mount --bind "$RP_DIR/sysctl/${key//\//.}" "/proc/sys/$key"
		fi
	done

	ns ip link set lo up
	ns ip link add "$BRIDGE" type bridge
	ns ip addr add "$NODE_IP/24" dev "$BRIDGE"
	ns ip link set "$BRIDGE" up
}

# --- commands ----------------------------------------------------------------------------

# claim_machine: record this RP_DIR as the machine's one node, or fail naming the one that runs.
claim_machine() {
	local other
	exec {lock}>"$OWNER.lock"
	flock "$lock"
	other=$(cat "$OWNER" 2>/dev/null) || other=
	if [[ -n $other && $other != "$RP_DIR" ]] && pidfile_pid "$other/run/anchor.pid" >/dev/null; then
		die "another real-pods node runs from $other; two kubelets on one machine remove each other's pods (cgroup v1): stop it first (RP_DIR=$other $0 stop)"
	fi
	echo "$RP_DIR" >"$OWNER"
	exec {lock}>&-
}

cmd_start() {
	local line key value started=$SECONDS
	[[ $(id -u) == 0 ]] || die "needs root (namespaces, mounts, containerd)"
	if anchor >/dev/null && node_ready 2>/dev/null; then
		log "already running ($RP_DIR)"
		print_env
		return
	fi
	if anchor >/dev/null || [[ -f $RP_DIR/$MARKER ]]; then
		log "found a previous run in $RP_DIR: stopping it first"
		cmd_stop
	fi
	claim_machine
	command -v "$KUBECTL" >/dev/null || die "kubectl not found (set KUBECTL=/path/to/kubectl)"
	for line in containerd runc ctr /usr/lib/cni/bridge /usr/lib/cni/host-local /sbin/mount.nfs; do
		command -v "$line" >/dev/null || [[ -x $line ]] || die "$line is missing: run scripts/setup"
	done
	"$here/build.sh" >/dev/null
	node_bin=$("$here/build-node.sh")
	while IFS='=' read -r key value; do
		case $key in PAUSE_TAR | PAUSE_IMAGE | REDIS_TAR | REDIS_IMAGE | NFS_SERVER_IMAGE) printf -v "$key" '%s' "$value" ;; esac
	done < <("$here/build-images.sh" "$node_bin")

	mkdir -p "$RP_DIR" "$run" "$logs" "$RP_DIR/kubelet-pki" "$RP_DIR/export" "$RP_DIR/export-squash"
	touch "$RP_DIR/$MARKER"
	make_namespace

	log "starting the control plane (cluster.sh, no kwok nodes) in the namespace"
	ns env "CLUSTER_DIR=$cluster_dir" KWOK_NODES=0 "START_TIMEOUT=$START_TIMEOUT" "$here/cluster.sh" start >/dev/null

	write_configs
	log "starting containerd"
	launch containerd containerd --config "$RP_DIR/containerd.toml"
	wait_for "containerd" containerd ns ctr --address "$sock" version
	ns ctr --address "$sock" -n k8s.io images import "$PAUSE_TAR" >&2
	ns ctr --address "$sock" -n k8s.io images import "$REDIS_TAR" >&2

	log "starting CoreDNS on $NODE_IP:53"
	launch coredns "$node_bin/coredns" -conf "$RP_DIR/Corefile"
	wait_for "CoreDNS /ready" coredns ns curl -fs http://127.0.0.1:8181/ready

	log "starting kubelet ($NODE_NAME, $NODE_IP)"
	launch kubelet env "MOUNT_NFS_LOG_DIR=$logs/mount-nfs" "$node_bin/kubelet" \
		--config="$RP_DIR/kubelet.yaml" --kubeconfig="$RP_DIR/kubelet.kubeconfig" \
		--root-dir=/var/lib/kubelet --cert-dir="$RP_DIR/kubelet-pki" \
		--hostname-override="$NODE_NAME" --node-ip="$NODE_IP" --v=1
	wait_for "node $NODE_NAME Ready" kubelet node_ready

	log "starting the NFS provisioner process (NFS_SERVER=$NODE_IP, NFS_PATH=/data/nfs)"
	ns env "CLUSTER_DIR=$cluster_dir" KWOK_NODES=0 "NFS_SERVER=$NODE_IP" NFS_PATH=/data/nfs "$here/provisioner.sh" start
	log "ready in $((SECONDS - started))s: $(kc get node "$NODE_NAME" --no-headers -o wide | tr -s ' ')"
	echo "RP_NFS_SERVER_IMAGE=$NFS_SERVER_IMAGE" >"$RP_DIR/images.env"
	echo "RP_REDIS_IMAGE=$REDIS_IMAGE" >>"$RP_DIR/images.env"
	print_env
}

print_env() {
	echo "export KUBECONFIG=$kubeconfig"
	echo "export RP_ANCHOR=$(anchor)"
	echo "export RP_NODE_IP=$NODE_IP"
	sed 's/^/export /' "$RP_DIR/images.env" 2>/dev/null || true
}

# ns_pids: every process in the node's mount namespace, except the anchor and its sleep.
ns_pids() {
	local a mnt d
	a=$(anchor) || return 0
	mnt=$(readlink "/proc/$a/ns/mnt")
	for d in /proc/[0-9]*; do
		[[ ${d#/proc/} == "$a" || ${d#/proc/} == "$$" ]] && continue
		[[ $(awk '/^PPid:/ {print $2}' "$d/status" 2>/dev/null) == "$a" ]] && continue
		[[ $(readlink "$d/ns/mnt" 2>/dev/null) == "$mnt" ]] && echo "${d#/proc/}"
	done
	return 0
}

# pod_pids: every process in the pods' cgroups (containers have namespaces of their own).
pod_pids() {
	local f
	[[ -d /sys/fs/cgroup/memory/kubepods ]] || return 0
	while IFS= read -r f; do cat "$f"; done < <(find /sys/fs/cgroup/memory/kubepods -name cgroup.procs)
}

# terminate PID...: SIGTERM, up to 10 s, then SIGKILL.
terminate() {
	local p t alive
	(($#)) || return 0
	kill -TERM "$@" 2>/dev/null || true
	for ((t = 0; t < 100; t++)); do
		alive=0
		for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
		((alive)) || return 0
		sleep 0.1
	done
	log "killing what ignored SIGTERM for 10 s: $*"
	kill -KILL "$@" 2>/dev/null || true
}

cmd_stop() {
	local p a mp d c pids names
	if a=$(anchor); then
		if p=$(pid kubelet); then terminate "$p" && log "stopped kubelet"; fi
		mapfile -t pids < <(pod_pids)
		terminate "${pids[@]}"
		((${#pids[@]} == 0)) || log "stopped ${#pids[@]} container processes"
		ns env "CLUSTER_DIR=$cluster_dir" "$here/provisioner.sh" stop || true
		for c in coredns containerd; do
			if p=$(pid "$c"); then terminate "$p" && log "stopped $c"; fi
		done
		ns env "CLUSTER_DIR=$cluster_dir" KEEP_STATE=1 "$here/cluster.sh" stop || true
		# What is left in the namespace: containerd shims, FUSE NFS daemons.
		mapfile -t pids < <(ns_pids)
		names=
		if ((${#pids[@]})); then
			names=$(ps -o comm= -p "$(IFS=,; echo "${pids[*]}")" | sort | uniq -c | awk '{printf "%s%s x%s", sep, $2, $1; sep=", "}') || true
		fi
		terminate "${pids[@]}"
		((${#pids[@]} == 0)) || log "stopped the ${#pids[@]} processes left in the namespace: $names"
		# The namespace, and with it every mount, veth and netns made inside it, goes with its
		# anchor. unshare ignores SIGTERM while it waits for its child: end the child (sleep).
		mapfile -t pids < <(pgrep -P "$a")
		terminate "${pids[@]}" "$a"
		log "stopped the namespace anchor (pid $a)"
	fi
	rm -f "$run/anchor.pid"
	if [[ $(cat "$OWNER" 2>/dev/null) == "$RP_DIR" ]]; then rm -f "$OWNER"; fi
	# Cgroups kubelet made (cgroupsPerQOS) in every v1 hierarchy, deepest first, when empty.
	for d in /sys/fs/cgroup/*/kubepods; do
		if [[ -d $d ]]; then find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
	done
	if [[ -f $RP_DIR/created-mount-points ]]; then
		while IFS= read -r mp; do rmdir "$mp" 2>/dev/null || true; done <"$RP_DIR/created-mount-points"
	fi
	if [[ ${KEEP_STATE:-0} == 1 ]]; then
		log "state kept in $RP_DIR"
	elif [[ -f $RP_DIR/$MARKER ]]; then
		rm -rf "$RP_DIR"
		log "removed $RP_DIR"
	fi
}

cmd_status() {
	anchor >/dev/null || { log "not running"; return 1; }
	node_ready || { log "node $NODE_NAME is not Ready"; return 1; }
	log "node $NODE_NAME Ready; KUBECONFIG=$kubeconfig (inside the namespace: $0 exec ...)"
}

case ${1:-} in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
exec)
	shift
	anchor >/dev/null || die "not running"
	ns env "KUBECONFIG=$kubeconfig" "$@"
	;;
exec-net)
	# The node's network namespace with this machine's mounts: for podman, whose storage must
	# never be mounted from inside the node's mount namespace (a second overlay mount of a
	# running container's upper dir corrupts what the container sees).
	shift
	anchor >/dev/null || die "not running"
	nsenter -t "$(anchor)" -n -- env "KUBECONFIG=$kubeconfig" "$@"
	;;
*)
	echo "usage: $0 start|stop|status|exec CMD...|exec-net CMD..." >&2
	exit 2
	;;
esac
