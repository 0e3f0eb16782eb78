#!/usr/bin/env bash
# A real local Kubernetes control plane for the tests: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, and kwok as the kubelet of fake nodes.
# No containers; everything listens on 127.0.0.1 only. See README.md.
#
#   cluster.sh build    build or reuse the cached binaries
#   cluster.sh start    start (building if needed); prints `export KUBECONFIG=...` on stdout
#   cluster.sh stop     stop everything; removes CLUSTER_DIR unless KEEP_STATE=1
#   cluster.sh status   exit 0 if healthy
# AUDIT_POLICY=FILE (optional): an audit policy; the apiserver writes CLUSTER_DIR/logs/audit.log.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CLUSTER_DIR=$(realpath -m "${CLUSTER_DIR:-$here/../../.cluster}")
APISERVER_PORT=${APISERVER_PORT:-6443}
ETCD_PORT=${ETCD_PORT:-12379}
ETCD_PEER_PORT=${ETCD_PEER_PORT:-12380}
CONTROLLER_MANAGER_PORT=${CONTROLLER_MANAGER_PORT:-10257}
SCHEDULER_PORT=${SCHEDULER_PORT:-10259}
KWOK_NODES=${KWOK_NODES:-2}
KWOK_POD_READY_DELAY=${KWOK_POD_READY_DELAY:-2s}
START_TIMEOUT=${START_TIMEOUT:-60}
KUBECTL=${KUBECTL:-kubectl}

SERVICE_CIDR=10.96.0.0/16 # allocation range only: nothing routes there
SERVICE_FIRST_IP=10.96.0.1
# Everything that may run for a CLUSTER_DIR; provisioner.sh adds "provisioner".
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok provisioner)
MARKER=.stateful-nfs-redis-cluster # only a directory holding it is ever removed

pki=$CLUSTER_DIR/pki
run=$CLUSTER_DIR/run
logs=$CLUSTER_DIR/logs
kubeconfig=$CLUSTER_DIR/kubeconfig

log() { echo "cluster: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
kc() { "$KUBECTL" --kubeconfig="$kubeconfig" "$@"; }
unhealthy=""
# shellcheck source-path=SCRIPTDIR source=pidfile.sh
. "$here/pidfile.sh"

# pid NAME: print the pid of a running component of this CLUSTER_DIR (its pid file, see pidfile.sh).
pid() { pidfile_pid "$run/$1.pid"; }

# launch NAME BINARY ARGS...: start a component in its own session, logging to logs/NAME.log,
# and record its pid and start time at once.
launch() {
	local name=$1
	shift
	setsid "$@" >"$logs/$name.log" 2>&1 </dev/null &
	pidfile_write "$run/$name.pid" $! || die "$name exited at once (log: $logs/$name.log)"
}

# wait_for WHAT COMPONENT COMMAND...: poll COMMAND until it succeeds; fail fast if COMPONENT died.
wait_for() {
	local what=$1 name=$2 deadline=$((SECONDS + START_TIMEOUT))
	shift 2
	until "$@" >/dev/null 2>&1; do
		if ! pid "$name" >/dev/null; then
			tail -n 20 "$logs/$name.log" >&2 || true
			die "$name exited while waiting for $what (log: $logs/$name.log; clean up: $0 stop)"
		fi
		((SECONDS < deadline)) || die "timed out after ${START_TIMEOUT}s waiting for $what (log: $logs/$name.log; clean up: $0 stop)"
		sleep 0.5
	done
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- PKI and kubeconfigs -------------------------------------------------------------

# cert NAME SUBJECT EXTENSIONS: an EC key and a certificate signed by the cluster CA.
cert() {
	openssl ecparam -name prime256v1 -genkey -noout -out "$pki/$1.key"
	openssl req -new -key "$pki/$1.key" -subj "$2" |
		openssl x509 -req -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 365 \
			-extfile <(printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" "$3") \
			-out "$pki/$1.crt" 2>/dev/null
}

# write_kubeconfig FILE CERT_NAME: a kubeconfig for the apiserver with embedded credentials.
write_kubeconfig() {
	cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 "$pki/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $(base64 -w0 "$pki/$2.crt")
    client-key-data: $(base64 -w0 "$pki/$2.key")
contexts:
- name: local
  context: {cluster: local, user: $2}
current-context: local
EOF
	chmod 600 "$1"
}

make_pki() {
	if [[ -f $pki/ca.crt ]]; then
		# State kept from before the apiserver had a kubelet client certificate.
		[[ -f $pki/apiserver-kubelet-client.crt ]] ||
			cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "extendedKeyUsage=clientAuth"
		return
	fi
	log "creating PKI in $pki"
	mkdir -p "$pki"
	openssl ecparam -name prime256v1 -genkey -noout -out "$pki/ca.key"
	openssl req -x509 -new -key "$pki/ca.key" -subj "/CN=stateful-nfs-redis-test-ca" -days 365 \
		-addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" -out "$pki/ca.crt"
	cert apiserver "/CN=kube-apiserver" "extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:$SERVICE_FIRST_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
	cert admin "/O=system:masters/CN=kubernetes-admin" "extendedKeyUsage=clientAuth"
	# The apiserver's identity towards kubelets (exec, logs); only real kubelets ask for it.
	cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "extendedKeyUsage=clientAuth"
	cert controller-manager "/CN=system:kube-controller-manager" "extendedKeyUsage=clientAuth"
	cert scheduler "/CN=system:kube-scheduler" "extendedKeyUsage=clientAuth"
	openssl ecparam -name prime256v1 -genkey -noout -out "$pki/sa.key"
	openssl ec -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
	write_kubeconfig "$kubeconfig" admin
	write_kubeconfig "$CLUSTER_DIR/controller-manager.kubeconfig" controller-manager
	write_kubeconfig "$CLUSTER_DIR/scheduler.kubeconfig" scheduler
}

# --- health ---------------------------------------------------------------------------

etcd_healthy() { curl -fs "http://127.0.0.1:$ETCD_PORT/health" | grep -q '"health":"true"'; }
apiserver_ready() {
	curl -fs --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
		"https://127.0.0.1:$APISERVER_PORT/readyz" | grep -qx ok
}
secure_healthz() { curl -fsk "https://127.0.0.1:$1/healthz" | grep -qx ok; }
nodes_ready() {
	local ready
	ready=$(kc get nodes -l type=kwok 2>/dev/null \
		-o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c True || true)
	((ready >= KWOK_NODES))
}
default_sa_exists() { kc -n default get serviceaccount default >/dev/null 2>&1; }

# healthy: all components run and answer; on failure, $unhealthy says why.
healthy() {
	local c
	for c in etcd kube-apiserver kube-controller-manager kube-scheduler kwok; do
		pid "$c" >/dev/null || { unhealthy="$c is not running"; return 1; }
	done
	etcd_healthy || { unhealthy="etcd /health is not ok"; return 1; }
	apiserver_ready || { unhealthy="kube-apiserver /readyz is not ok"; return 1; }
	secure_healthz "$CONTROLLER_MANAGER_PORT" || { unhealthy="kube-controller-manager /healthz is not ok"; return 1; }
	secure_healthz "$SCHEDULER_PORT" || { unhealthy="kube-scheduler /healthz is not ok"; return 1; }
	nodes_ready || { unhealthy="fewer than $KWOK_NODES kwok nodes are Ready"; return 1; }
	default_sa_exists || { unhealthy="ServiceAccount default/default is missing"; return 1; }
}

# --- commands -------------------------------------------------------------------------

# delay_ms: KWOK_POD_READY_DELAY (2s, 500ms or 2 meaning seconds) in milliseconds.
delay_ms() {
	[[ $KWOK_POD_READY_DELAY =~ ^([0-9]+)(ms|s)?$ ]] ||
		die "KWOK_POD_READY_DELAY must be like 2s, 500ms or 2 (seconds), got '$KWOK_POD_READY_DELAY'"
	if [[ ${BASH_REMATCH[2]} == ms ]]; then
		echo "${BASH_REMATCH[1]}"
	else
		echo "$((BASH_REMATCH[1] * 1000))"
	fi
}

fake_nodes() {
	local i
	for ((i = 0; i < KWOK_NODES; i++)); do
		cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels:
    type: kwok
    kubernetes.io/arch: amd64
    kubernetes.io/os: linux
    kubernetes.io/hostname: kwok-node-$i
status:
  allocatable: {cpu: "8", memory: 32Gi, pods: "110"}
  capacity: {cpu: "8", memory: 32Gi, pods: "110"}
EOF
	done
}

cmd_build() {
	local bin
	bin=$("$here/build.sh")
	echo "bin: $bin"
}

cmd_start() {
	local c p bin delay started=$SECONDS
	if healthy; then
		log "already running and healthy ($CLUSTER_DIR)"
		echo "export KUBECONFIG=$kubeconfig"
		return
	fi
	for c in "${COMPONENTS[@]}"; do
		if pid "$c" >/dev/null; then
			log "found processes of an unhealthy cluster in $CLUSTER_DIR: stopping them first"
			cmd_stop
			break
		fi
	done
	for p in "$APISERVER_PORT" "$ETCD_PORT" "$ETCD_PEER_PORT" "$CONTROLLER_MANAGER_PORT" "$SCHEDULER_PORT"; do
		port_in_use "$p" && die "127.0.0.1:$p is already in use (another cluster? see: ss -ltnp 'sport = :$p')"
	done
	command -v "$KUBECTL" >/dev/null || die "kubectl not found (set KUBECTL=/path/to/kubectl)"
	delay=$(delay_ms)
	bin=$("$here/build.sh")

	mkdir -p "$CLUSTER_DIR" "$run" "$logs"
	touch "$CLUSTER_DIR/$MARKER"
	make_pki
	sed "s/POD_READY_DELAY_MS/$delay/" "$here/kwok-stages.yaml" >"$CLUSTER_DIR/kwok-stages.yaml"

	log "starting etcd on 127.0.0.1:$ETCD_PORT"
	launch etcd "$bin/etcd" --name=local --data-dir="$CLUSTER_DIR/etcd" \
		--listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
		--listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
		--initial-cluster="local=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync --log-level=warn
	wait_for "etcd health" etcd etcd_healthy

	log "starting kube-apiserver on 127.0.0.1:$APISERVER_PORT"
	launch kube-apiserver "$bin/kube-apiserver" \
		--bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT" \
		--etcd-servers="http://127.0.0.1:$ETCD_PORT" \
		--tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
		--client-ca-file="$pki/ca.crt" --authorization-mode=Node,RBAC --allow-privileged=true \
		--service-cluster-ip-range="$SERVICE_CIDR" \
		--service-account-issuer=https://kubernetes.default.svc.cluster.local \
		--service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
		--kubelet-preferred-address-types=InternalIP,Hostname \
		--kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" --kubelet-client-key="$pki/apiserver-kubelet-client.key" \
		${AUDIT_POLICY:+"--audit-policy-file=$AUDIT_POLICY" "--audit-log-path=$logs/audit.log"} \
		--profiling=false
	wait_for "kube-apiserver /readyz" kube-apiserver apiserver_ready

	log "starting kube-controller-manager, kube-scheduler, kwok"
	launch kube-controller-manager "$bin/kube-controller-manager" \
		--kubeconfig="$CLUSTER_DIR/controller-manager.kubeconfig" \
		--authentication-kubeconfig="$CLUSTER_DIR/controller-manager.kubeconfig" \
		--authorization-kubeconfig="$CLUSTER_DIR/controller-manager.kubeconfig" \
		--bind-address=127.0.0.1 --secure-port="$CONTROLLER_MANAGER_PORT" --cert-dir="$pki/controller-manager-serving" \
		--leader-elect=false --use-service-account-credentials=true \
		--service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
		--cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
		--service-cluster-ip-range="$SERVICE_CIDR" --profiling=false
	launch kube-scheduler "$bin/kube-scheduler" \
		--kubeconfig="$CLUSTER_DIR/scheduler.kubeconfig" \
		--authentication-kubeconfig="$CLUSTER_DIR/scheduler.kubeconfig" \
		--authorization-kubeconfig="$CLUSTER_DIR/scheduler.kubeconfig" \
		--bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" --cert-dir="$pki/scheduler-serving" \
		--leader-elect=false --profiling=false
	launch kwok "$bin/kwok" --kubeconfig="$kubeconfig" --config="$CLUSTER_DIR/kwok-stages.yaml" \
		--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake --node-ip=127.0.0.1

	# KWOK_NODES=0: a cluster for real kubelets only (tests/cluster/real-pods.sh).
	((KWOK_NODES == 0)) || fake_nodes | kc apply -f - >/dev/null
	wait_for "kube-controller-manager /healthz" kube-controller-manager secure_healthz "$CONTROLLER_MANAGER_PORT"
	wait_for "kube-scheduler /healthz" kube-scheduler secure_healthz "$SCHEDULER_PORT"
	wait_for "$KWOK_NODES Ready kwok nodes" kwok nodes_ready
	wait_for "ServiceAccount default/default" kube-controller-manager default_sa_exists
	log "ready in $((SECONDS - started))s: $KWOK_NODES kwok nodes, logs in $logs"
	echo "export KUBECONFIG=$kubeconfig"
}

any_alive() {
	local p
	for p in "$@"; do kill -0 "$p" 2>/dev/null && return 0; done
	return 1
}

# stop_group NAME...: SIGTERM these components together, wait up to 10s, then SIGKILL.
stop_group() {
	local c p t pids=() names=()
	for c in "$@"; do
		if p=$(pid "$c"); then
			kill -TERM "$p"
			pids+=("$p")
			names+=("$c")
		fi
		rm -f "$run/$c.pid"
	done
	((${#pids[@]})) || return 0
	for ((t = 0; t < 100; t++)); do
		any_alive "${pids[@]}" || break
		sleep 0.1
	done
	for p in "${pids[@]}"; do
		if kill -0 "$p" 2>/dev/null; then
			log "pid $p ignored SIGTERM for 10s: killing it"
			kill -KILL "$p"
		fi
	done
	log "stopped ${names[*]}"
}

cmd_stop() {
	# Clients first, then the apiserver, then its storage.
	stop_group provisioner kwok kube-scheduler kube-controller-manager
	stop_group kube-apiserver
	stop_group etcd
	if [[ ${KEEP_STATE:-0} == 1 ]]; then
		log "state kept in $CLUSTER_DIR"
	elif [[ -f $CLUSTER_DIR/$MARKER ]]; then
		rm -rf "$CLUSTER_DIR"
		log "removed $CLUSTER_DIR"
	fi
}

cmd_status() {
	local c p
	for c in "${COMPONENTS[@]}"; do
		if p=$(pid "$c"); then
			log "$c: running (pid $p)"
		else
			log "$c: not running"
		fi
	done
	if healthy; then
		log "healthy: KUBECONFIG=$kubeconfig"
	else
		log "not healthy: $unhealthy"
		return 1
	fi
}

case ${1:-} in
build) cmd_build ;;
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
*)
	echo "usage: $0 build|start|stop|status" >&2
	exit 2
	;;
esac
