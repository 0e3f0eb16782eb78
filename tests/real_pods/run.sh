#!/usr/bin/env bash
# The real_pods stage: site.yml and playbooks/verify.yml (exec checks on) against a node whose
# pods really run (tests/cluster/real-pods.sh: kubelet, containerd, CoreDNS in a private
# network + mount namespace), with NFS volumes served by nfs-ganesha in the podman container
# rp-nfs-server and mounted by the node's FUSE NFSv3 client. Then: the order in which kubelet
# made the pods Ready, auth on by default (generated password) and the pods' non-root uid 999,
# 100 MB through a pod's NFS volume (read back by another NFS client and on the server's disk),
# a Redis with a given password, root_squash against the redis image's chown, then replication
# with Sentinel (namespace rp-repl, 3 pods): verify.yml's replication and failover checks, with
# the failover time, and scale.yml 3 -> 4 -> 3 (SENTINEL RESET). Always stops everything and
# checks nothing is left.
#
#   tests/real_pods/run.sh        env: RP_DIR (default <repo>/.real-pods), KEEP_STATE=1
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
rp=$repo/tests/cluster/real-pods.sh
export RP_DIR=${RP_DIR:-$repo/.real-pods}
export CONTAINERS_CONF=${CONTAINERS_CONF:-$repo/tests/podman/containers.conf}
export ANSIBLE_CONFIG=${ANSIBLE_CONFIG:-$repo/ansible.cfg} ANSIBLE_FORCE_COLOR=0 ANSIBLE_NOCOLOR=1
# A timestamp and duration for every task in the log.
export ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks
# shellcheck source-path=SCRIPTDIR source=nfs-server.sh
. "$here/nfs-server.sh"
server=$rp_nfs_server
ns=default sts=redis-sts
passed=0 failed=0
started=$SECONDS

say() { printf '[real_pods %4ds] %s\n' "$((SECONDS - started))" "$*"; }
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then
		say "ok: $what"
		passed=$((passed + 1))
	else
		say "FAILED: $what"
		failed=$((failed + 1))
	fi
}
kc() { "$rp" exec kubectl "$@"; }
ap() { "$rp" exec-net ansible-playbook -i "$here/inventory.yml" "$@"; }
jp() { # jp NAMESPACE|- OBJECT JSONPATH
	if [[ $1 == - ]]; then kc get "$2" -o "jsonpath=$3"; else kc -n "$1" get "$2" -o "jsonpath=$3"; fi
}
eventually() { # eventually TIMEOUT COMMAND...
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		((SECONDS < deadline)) || return 1
		sleep 1
	done
}
# said TEXT FILE: FILE contains TEXT (a regular expression), with the line breaks of Ansible's YAML output removed.
said() { tr -s ' \n' ' ' <"$2" | grep -qE -- "$1"; }
epoch() { [[ -n $1 ]] && date -d "$1" +%s; }

# --- peak memory: RSS of every process in the node's network namespace (control plane,
# kubelet, containerd and shims, CoreDNS, provisioner, FUSE daemons, Ansible, the NFS server
# container) plus the pods' processes (own namespaces, kubepods cgroups), sampled every 2 s.
sampler_pid=
sample_memory() {
	local netns=$1 out=$2 peak=0 total d f p
	while :; do
		total=0
		for d in /proc/[0-9]*; do
			[[ $(readlink "$d/ns/net" 2>/dev/null) == "$netns" ]] || continue
			f=$(awk '/^VmRSS:/ {print $2}' "$d/status" 2>/dev/null) && total=$((total + ${f:-0}))
		done
		if [[ -d /sys/fs/cgroup/memory/kubepods ]]; then
			while IFS= read -r p; do
				[[ $(readlink "/proc/$p/ns/net" 2>/dev/null) == "$netns" ]] && continue
				f=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null) && total=$((total + ${f:-0}))
			done < <(find /sys/fs/cgroup/memory/kubepods -name cgroup.procs -exec cat {} + 2>/dev/null)
		fi
		((total > peak)) && peak=$total && echo "$peak" >"$out"
		sleep 2
	done
}

sysctls_before=$(cat /proc/sys/vm/overcommit_memory /proc/sys/kernel/panic /proc/sys/kernel/panic_on_oops)
cleanup() {
	local rc=$?
	[[ -n $sampler_pid ]] && kill "$sampler_pid" 2>/dev/null
	if [[ ${KEEP_STATE:-0} != 1 ]]; then
		"$rp" stop || true
		rp_nfs_server_remove
	fi
	exit "$rc"
}
trap cleanup EXIT

# --- the node and the NFS server ----------------------------------------------------------
rp_nfs_server_remove
eval "$("$rp" start)"
say "node up: $(kc get node rp-node --no-headers -o wide | tr -s ' ')"
mem_file=$RP_DIR/peak-rss-kb
sample_memory "$(readlink "/proc/$RP_ANCHOR/ns/net")" "$mem_file" &
sampler_pid=$!
# The NFS server container joins the node's network namespace: it serves on 10.244.0.1.
rp_nfs_server_start
say "NFS server container $server started ($RP_NFS_SERVER_IMAGE)"

# --- 1. site.yml ----------------------------------------------------------------------------
say "converging site.yml"
check "ansible-playbook site.yml" ap "$repo/site.yml"
kc get nodes,pods,pvc -o wide -A
kc get pv
secret_label=$(jp "$ns" secret/redis-auth '{.metadata.labels.app\.kubernetes\.io/managed-by}' 2>/dev/null || true)
check "auth on by default: the role generated Secret redis-auth (managed-by ${secret_label:-none})" test "$secret_label" = stateful.nfs_redis
noauth0=$(kc -n "$ns" exec "$sts-0" -c redis -- env -u REDISCLI_AUTH redis-cli ping 2>&1 || true)
check "... $sts-0 refuses an unauthenticated PING ($noauth0)" grep -q NOAUTH <<<"$noauth0"
check "... and answers PONG with the generated password (REDISCLI_AUTH from the Secret)" \
	test "$(kc -n "$ns" exec "$sts-0" -c redis -- redis-cli ping)" = PONG
ids=$(kc -n "$ns" exec "$sts-0" -c redis -- id -u):$(kc -n "$ns" exec "$sts-0" -c redis -- id -g)
rootfs=$(kc -n "$ns" exec "$sts-0" -c redis -- touch /rp-rootfs 2>&1 || true)
say "in $sts-0: uid:gid $ids; a write to the root file system: $rootfs"
check "the redis container runs as uid 999, gid 999 (non-root by default)" test "$ids" = 999:999
check "... with a read-only root file system" grep -q 'Read-only file system' <<<"$rootfs"

# --- 2. ordered readiness, computed by kubelet --------------------------------------------
say "statefulset_ready: the order in which kubelet made the pods Ready"
ready_json=$("$rp" exec-net ansible localhost -i "$here/inventory.yml" -o -m stateful.nfs_redis.statefulset_ready \
	-a "name=$sts namespace=$ns timeout=60 kubeconfig=$KUBECONFIG" | sed -n 's/^localhost | SUCCESS => //p')
echo "$ready_json" | python3 -c 'import json,sys; r=json.load(sys.stdin); print({k: r.get(k) for k in ("ready", "ready_order", "order_enforced", "order_violations", "message")})'
check "statefulset_ready: ready, order enforced, ready_order [$sts-0, $sts-1], no violation" python3 -c '
import json, sys
r = json.loads(sys.argv[1])
sys.exit(not (r["ready"] and r["order_enforced"] and r["ready_order"] == [sys.argv[2] + "-0", sys.argv[2] + "-1"] and not r["order_violations"]))' "$ready_json" "$sts"
node_info=$(jp - node/rp-node '{.status.nodeInfo.kubeletVersion} {.status.nodeInfo.containerRuntimeVersion}')
check "node rp-node runs a real kubelet and containerd: $node_info" test "${node_info%% *}" = "$(cd "$repo/tests/cluster/tools" && PATH=$PATH:/usr/local/go/bin go list -m -f '{{.Version}}' k8s.io/kubernetes)"
check "both pods run on rp-node" test "$(kc -n "$ns" get pods -l app=$sts -o 'jsonpath={.items[*].spec.nodeName}')" = "rp-node rp-node"
started0=$(jp "$ns" "pod/$sts-0" '{.status.containerStatuses[0].state.running.startedAt}')
ready0=$(jp "$ns" "pod/$sts-0" '{.status.conditions[?(@.type=="Ready")].lastTransitionTime}')
created1=$(jp "$ns" "pod/$sts-1" '{.metadata.creationTimestamp}')
started1=$(jp "$ns" "pod/$sts-1" '{.status.containerStatuses[0].state.running.startedAt}')
ready1=$(jp "$ns" "pod/$sts-1" '{.status.conditions[?(@.type=="Ready")].lastTransitionTime}')
say "$sts-0: container started $started0, Ready $ready0; $sts-1: created $created1, started $started1, Ready $ready1"
check "$sts-0 became Ready only after its readiness probe's initial delay (5 s): kubelet probed it" \
	test $(($(epoch "$ready0") - $(epoch "$started0"))) -ge 5
check "$sts-1 was created only after $sts-0 was Ready (OrderedReady)" test "$(epoch "$created1")" -ge "$(epoch "$ready0")"
check "$sts-1 became Ready after $sts-0" test "$(epoch "$ready1")" -ge "$(epoch "$ready0")"

# --- 3. the pod's /data goes over NFS ------------------------------------------------------
pv1=$(jp "$ns" "pvc/redis-pvc-$sts-1" '{.spec.volumeName}')
dir1=$(basename "$(jp - "pv/$pv1" '{.spec.nfs.path}')")
data_mount=$(kc -n "$ns" exec "$sts-1" -c redis -- sh -c 'grep " /data " /proc/mounts')
say "$sts-1's /data, as the pod sees it: $data_mount"
check "$sts-1's /data is a FUSE NFS mount of 10.244.0.1:/data/nfs/$dir1" grep -q "^10.244.0.1:/data/nfs/$dir1 /data fuse.nfs " <<<"$data_mount"
say "writing 100 MiB of random data to $sts-1:/data over NFS, then reading it back"
# The root file system is read-only (no /tmp): the data goes from /dev/urandom straight to /data.
tp_write=$(kc -n "$ns" exec "$sts-1" -c redis -- sh -c 'dd if=/dev/urandom of=/data/rp-100m bs=1M count=100 conv=fsync 2>&1 | tail -n 1')
want=$(kc -n "$ns" exec "$sts-1" -c redis -- sha256sum /data/rp-100m | cut -d' ' -f1)
tp_read=$(kc -n "$ns" exec "$sts-1" -c redis -- sh -c 'dd if=/data/rp-100m of=/dev/null bs=1M 2>&1 | tail -n 1')
say "throughput: write+fsync (from /dev/urandom): $tp_write"
say "throughput: read back:   $tp_read"
check "the pod wrote 100 MiB (104857600 bytes on the server's disk)" \
	test "$(podman exec "$server" stat -c %s "/data/nfs/$dir1/rp-100m")" = 104857600
check "another NFS client (libnfs nfs-cat, NFSv3) reads the bytes the pod reads (sha256 $want)" \
	test "$("$rp" exec sh -c "nfs-cat nfs://10.244.0.1/data/nfs/$dir1/rp-100m | sha256sum" | cut -d' ' -f1)" = "$want"
check "the file is on the NFS server's disk (podman exec $server sha256sum /data/nfs/$dir1/rp-100m)" \
	test "$(podman exec "$server" sha256sum "/data/nfs/$dir1/rp-100m" | cut -d' ' -f1)" = "$want"
kc -n "$ns" exec "$sts-1" -c redis -- rm -f /data/rp-100m
say "FUSE NFS mounts on the node: $("$rp" exec grep -c ' fuse.nfs ' /proc/self/mountinfo)"

# --- 4. playbooks/verify.yml with its exec checks ------------------------------------------
say "playbooks/verify.yml -e verify_exec_checks=true"
verify_standalone() { ap "$repo/playbooks/verify.yml" -e verify_exec_checks=true -e verify_timeout=180 | tee "$RP_DIR/verify.log"; }
check "ansible-playbook playbooks/verify.yml -e verify_exec_checks=true" verify_standalone
check "... standalone: 7 checks, none skipped" grep -q 'All checks passed (7 PASS, 0 SKIP)' "$RP_DIR/verify.log"
pv0=$(jp "$ns" "pvc/redis-pvc-$sts-0" '{.spec.volumeName}')
dir0=$(basename "$(jp - "pv/$pv0" '{.spec.nfs.path}')")
say "Redis's files of $sts-0 on the server's disk: $(podman exec "$server" ls -lnR "/data/nfs/$dir0" | grep -v '^total' | tr -s ' ' | tr '\n' ';')"
# Append-only file on by default (Redis 7: appendonlydir/), RDB snapshots as configured.
saved() { podman exec "$server" sh -c "ls /data/nfs/$dir0 | grep -qE '^(appendonlydir|appendonly.aof|dump.rdb)\$' && test -z \"\$(find /data/nfs/$dir0 -mindepth 1 ! -uid 999)\""; }
check "$sts-0 saved its data set to the export (append-only file or dump.rdb on the server, every file owned by uid 999)" saved
say "DNS, answered by the node's CoreDNS: $(grep -E 'redis-sts-[01]\.redis-svc' "$RP_DIR/logs/coredns.log" | head -n 2 | tr -s ' ' | tr '\n' ';')"
say "from inside $sts-1: $(kc -n "$ns" exec "$sts-1" -c redis -- getent hosts "$sts-0.redis-svc.$ns.svc.cluster.local")"
check "a name outside the cluster is NXDOMAIN (nothing is forwarded)" \
	eval "! kc -n $ns exec $sts-1 -c redis -- getent hosts deb.debian.org"

# --- 5. a password from a Secret ----------------------------------------------------------
say "redis role with a password (namespace rp-auth)"
check "ansible-playbook playbooks/redis.yml with redis_password (namespace rp-auth)" \
	ap "$repo/playbooks/redis.yml" -e @"$here/auth-vars.yml"
noauth=$(kc -n rp-auth exec rp-auth-0 -c redis -- env -u REDISCLI_AUTH redis-cli ping 2>&1 || true)
say "unauthenticated PING: $noauth"
check "Redis refuses an unauthenticated command (NOAUTH)" grep -q NOAUTH <<<"$noauth"
check "with the password of the Secret (REDISCLI_AUTH) PING answers PONG" \
	test "$(kc -n rp-auth exec rp-auth-0 -c redis -- redis-cli ping)" = PONG

# --- 6. root_squash and the redis image ---------------------------------------------------
say "root_squash export /data/nfs-squash: the redis image as root, and as uid 999"
install -d -m 0777 "$RP_DIR/export-squash/vol"
for who in root user; do
	security='{}'
	[[ $who == user ]] && security='{"runAsUser": 999, "runAsGroup": 999, "runAsNonRoot": true, "fsGroup": 999}'
	kc apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: rp-squash-$who, namespace: $ns}
spec:
  restartPolicy: Never
  securityContext: $security
  containers:
  - name: redis
    image: $RP_REDIS_IMAGE
    imagePullPolicy: Never
    readinessProbe:
      exec: {command: [sh, -c, "redis-cli ping | grep -q PONG"]}
      periodSeconds: 2
    volumeMounts: [{name: data, mountPath: /data}]
  volumes:
  - name: data
    nfs: {server: 10.244.0.1, path: /data/nfs-squash/vol}
EOF
done
root_failed() { [[ $(jp "$ns" pod/rp-squash-root '{.status.phase}') == Failed ]]; }
check "as root (the image's default) the pod fails" eventually 90 root_failed
squash_log=$(kc -n "$ns" logs rp-squash-root 2>&1 || true)
say "its log: $squash_log"
check "... because the entrypoint's chown of /data is refused: Operation not permitted" grep -q "chown: changing ownership of '.': Operation not permitted" <<<"$squash_log"
user_ready() { [[ $(jp "$ns" pod/rp-squash-user '{.status.conditions[?(@.type=="Ready")].status}') == True ]]; }
check "as uid 999 (runAsUser, the README's way out) the pod is Ready" eventually 90 user_ready
saved=$(kc -n "$ns" exec rp-squash-user -- sh -c 'redis-cli SET k v && redis-cli SAVE' | tr '\n' ' ')
check "... and Redis can write its data set there (SET, SAVE: $saved)" test "$saved" = "OK OK "
say "on the server: $(podman exec "$server" ls -ln /data/nfs-squash/vol | tail -n +2 | tr -s ' ' | tr '\n' ';')"
check "dump.rdb on the squashed export is owned by 999:999" \
	test "$(podman exec "$server" stat -c %u:%g /data/nfs-squash/vol/dump.rdb)" = 999:999
gid=$(kc -n "$ns" exec rp-squash-user -- stat -c %g /data)
check "fsGroup 999 did not change the NFS volume's group (kubelet manages no NFS ownership): gid $gid" test "$gid" = 0

# --- 7. replication with Sentinel ----------------------------------------------------------
rns="rp-repl"
rv=(-e @"$here/repl-vars.yml")
say "replication + Sentinel, 3 pods (namespace $rns): redis.yml, verify.yml, scale.yml 3 -> 4 -> 3"
t0=$SECONDS
check "ansible-playbook playbooks/redis.yml with redis_architecture=replication redis_sentinel_enabled=true redis_replicas=3" \
	ap "$repo/playbooks/redis.yml" "${rv[@]}"
say "converged in $((SECONDS - t0)) s"
kc -n "$rns" get pods,pvc -o wide
secret_before=$(jp "$rns" secret/redis-auth '{.metadata.resourceVersion} {.data.password}' | sha256sum)
t0=$SECONDS
verify_repl() { ap "$repo/playbooks/verify.yml" "${rv[@]}" -e verify_exec_checks=true -e verify_timeout=180 | tee "$RP_DIR/verify-repl.log"; }
check "ansible-playbook playbooks/verify.yml (replication + Sentinel, exec checks)" verify_repl
say "verify.yml took $((SECONDS - t0)) s"
check "... 11 checks, none skipped" grep -q 'All checks passed (11 PASS, 0 SKIP)' "$RP_DIR/verify-repl.log"
# Check 10's message: "... named <host> (<pod>) after <seconds> s, which says role:master".
failover=$(tr -s ' \n' ' ' <"$RP_DIR/verify-repl.log" | grep -oE 'after [0-9.]+ s, which says' | cut -d' ' -f2 | head -n 1)
say "failover: the primary's pod deleted -> Sentinel names another primary after ${failover:-?} s"
check "the failover took less than 30 s (${failover:-?} s; down-after-milliseconds 5000, and the primary's preStop asks for it)" \
	python3 -c 'import sys; sys.exit(not (sys.argv[1] and float(sys.argv[1]) < 30))' "${failover:-}"
t0=$SECONDS
uids() { kc -n "$rns" get pods -l app=redis-sts -o 'jsonpath={range .items[*]}{.metadata.name}={.metadata.uid} {end}'; }
uids_before=$(uids)
check "ansible-playbook playbooks/scale.yml -e redis_replicas=4" ap "$repo/playbooks/scale.yml" "${rv[@]}" -e redis_replicas=4
# The Sentinel quorum is a fixed number, not derived from the replica count: a scale changes
# nothing in the pod template, so the pods that were there run on (same uids).
kept_pods() { [[ $(uids) == "$uids_before"* ]]; }
check "the scale-up restarted none of redis-sts-0..2 (same pod uids)" kept_pods
# The primary can still be on the highest ordinal after earlier failovers: scale.yml must then
# refuse to remove it.
primary() { kc -n "$rns" exec redis-sts-0 -c sentinel -- redis-cli -p 26379 SENTINEL get-master-addr-by-name mymaster | head -n 1; }
p4=$(primary)
say "after the scale-up Sentinel names the primary $p4"
if [[ $p4 == redis-sts-3.* ]]; then
	refused3() { ! ap "$repo/playbooks/scale.yml" "${rv[@]}" -e redis_replicas=3 >"$RP_DIR/scale-refused.log" 2>&1 &&
		said 'The current primary is redis-sts-3, which a scale-down to 3 pods would remove' "$RP_DIR/scale-refused.log"; }
	check "the primary is redis-sts-3: scale.yml -e redis_replicas=3 refuses to remove it" refused3
	kc -n "$rns" exec redis-sts-0 -c sentinel -- redis-cli -p 26379 SENTINEL FAILOVER mymaster
	moved() { [[ $(primary) != redis-sts-3.* ]]; }
	check "after SENTINEL FAILOVER (what the refusal says to do) the primary is another pod" eventually 60 moved
fi
scale_down() { ap "$repo/playbooks/scale.yml" "${rv[@]}" -e redis_replicas=3 | tee "$RP_DIR/scale-down.log"; }
check "ansible-playbook playbooks/scale.yml -e redis_replicas=3 (SENTINEL RESET in each remaining Sentinel)" scale_down
say "scale 3 -> 4 -> 3 took $((SECONDS - t0)) s"
check "... it left PVC redis-pvc-redis-sts-3 and said so" said 'LEFT 1 PVC\(s\) that no pod uses after this scale-down .*redis-pvc-redis-sts-3' "$RP_DIR/scale-down.log"
sentinel_view() { # the primary, replicas and other Sentinels as the Sentinel of pod $1 sees them
	kc -n "$rns" exec "redis-sts-$1" -c sentinel -- redis-cli -p 26379 SENTINEL master mymaster |
		awk 'NR % 2 { k = $0; next } k == "name" || k == "ip" || k == "num-slaves" || k == "num-other-sentinels" { printf "%s=%s ", k, $0 }'
}
views=$(for i in 0 1 2; do sentinel_view "$i"; echo; done)
say "Sentinels after the scale-down: $(tr '\n' ';' <<<"$views")"
check "... every Sentinel knows 2 replicas and 2 other Sentinels, and all name the same primary" \
	test "$(awk '{print $2, $3, $4}' <<<"$views" | sort -u | wc -l) $(grep -c 'num-slaves=2 num-other-sentinels=2' <<<"$views")" = "1 3"
check "the generated password did not change over the re-runs (Secret $rns/redis-auth, same resourceVersion and data)" \
	test "$(jp "$rns" secret/redis-auth '{.metadata.resourceVersion} {.data.password}' | sha256sum)" = "$secret_before"

# --- 8. stop, and nothing is left ---------------------------------------------------------
kill "$sampler_pid" 2>/dev/null || true
sampler_pid=
peak=$(cat "$mem_file" 2>/dev/null || echo 0)
say "peak RSS of the stage's processes (node namespace + pods, sampled every 2 s): $((peak / 1024)) MiB"
if [[ ${KEEP_STATE:-0} == 1 ]]; then
	say "KEEP_STATE=1: left running; stop with: $rp stop; podman rm -f $server"
	trap - EXIT
else
	t0=$SECONDS
	"$rp" stop
	podman rm -f -t 5 "$server" >/dev/null
	trap - EXIT
	say "stopped in $((SECONDS - t0)) s"
	leftovers() {
		local d
		for d in /proc/[0-9]*; do
			{ tr '\0' '\n' <"$d/environ"; } 2>/dev/null | grep -qxF "RP_DIR=$RP_DIR" && echo "${d#/proc/}"
		done
		return 0
	}
	check "no process of the node is left" test -z "$(leftovers)"
	check "no mount of $RP_DIR is left on this machine" eval "! grep -qF '$RP_DIR' /proc/self/mountinfo"
	check "no kubepods cgroup is left" eval "! compgen -G '/sys/fs/cgroup/*/kubepods' >/dev/null"
	check "container $server is gone" eval "! podman container exists $server"
	check "RP_DIR was removed" test ! -e "$RP_DIR"
	check "the machine's vm.overcommit_memory, kernel.panic, kernel.panic_on_oops are unchanged" \
		test "$(cat /proc/sys/vm/overcommit_memory /proc/sys/kernel/panic /proc/sys/kernel/panic_on_oops)" = "$sysctls_before"
fi
say "real_pods: $passed passed, $failed failed"
((failed == 0))
