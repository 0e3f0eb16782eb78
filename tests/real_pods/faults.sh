#!/usr/bin/env bash
# The fault phase of the real_pods stage (called by tests/real_pods/run.sh on the node it started,
# after the replication phase): faults on the replication + Sentinel Redis of namespace rp-repl
# (3 pods) while a writer pod writes, and the lost-writes checker after each. Per scenario: the
# writer (tests/real_pods/writer.sh) writes unique keys, SET + WAIT 1 on one connection, finding
# the primary through Sentinel; the fault; "recovered" = every pod Ready, every Sentinel names the
# same primary, which says ROLE master, and every other pod is its replica with the link up; the
# writer writes a few seconds more and stops; "settled" = every replica at the primary's offset;
# then every pod's keys are read and tests/real_pods/lostwrites.py computes the figures (JSON, one
# line per scenario in $RP_DIR/faults.jsonl, copied to tests/output/data-safety.jsonl). Gates on
# lost writes fail the phase; durations are reported.
#
#   tests/real_pods/faults.sh [SCENARIO...]   env: RP_DIR (a running node), FAULTS_NS (rp-repl),
#                                             FAULTS_SCENARIOS (when no argument), FAULTS_CODE
#   scenarios (all, in this order, by default): graceful stale sigkill forcedelete freeze rollconfig
#   sigkill_minrep freeze_minrep (rollconfig turns redis_min_replicas_to_write on for the last two)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
rp=$repo/tests/cluster/real-pods.sh
export RP_DIR=${RP_DIR:-$repo/.real-pods}
# shellcheck disable=SC1091
. "$RP_DIR/images.env"
ns=${FAULTS_NS:-rp-repl}
sts=redis-sts
pods=("$sts-0" "$sts-1" "$sts-2")
domain=redis-svc.$ns.svc.cluster.local
results=$RP_DIR/faults.jsonl
# The code under test, as the table names it (FAULTS_CODE: e.g. "before the fix").
code=${FAULTS_CODE:-$(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet HEAD -- roles || echo +changes)}
out=$RP_DIR/faults
mkdir -p "$out" "$repo/tests/output"
failed=0
started=$SECONDS

say() { printf '[faults %4ds] %s\n' "$((SECONDS - started))" "$*"; }
kc() { "$rp" exec kubectl -n "$ns" "$@"; }
now() { date +%s.%N; }
since() { python3 -c 'import sys; print("%.1f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$1" "$2"; }
# in POD CMD...: a command in the sentinel container of POD (redis-cli reads the password from
# REDISCLI_AUTH; redis of the same pod is localhost:6379, its Sentinel localhost:26379).
on_pod() { local p=$1; shift; kc exec "$p" -c sentinel -- "$@"; }

# The primary the Sentinel of POD names ("" if none), as a pod name.
named_by() { on_pod "$1" redis-cli -p 26379 sentinel get-master-addr-by-name mymaster 2>/dev/null | head -n 1 | cut -d. -f1; }
primary() { local p n; for p in "${pods[@]}"; do n=$(named_by "$p" || true); [[ -n $n ]] && { echo "$n"; return; }; done; }

# One line per pod: <pod> <ready> <named primary> <role> <master_host> <link> <offset>.
pod_states() {
	local p ready
	for p in "${pods[@]}"; do
		ready=$(kc get pod "$p" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)
		# shellcheck disable=SC2016
		printf '%s %s %s\n' "$p" "${ready:-none}" "$(on_pod "$p" sh -c '
			n=$(redis-cli -p 26379 sentinel get-master-addr-by-name mymaster 2>/dev/null | head -n 1)
			redis-cli -p 6379 info replication 2>/dev/null | tr -d "\r" | awk -F: -v n="${n%%.*}" "
				/^role:/ { r = \$2 } /^master_host:/ { h = \$2 } /^master_link_status:/ { l = \$2 }
				/^master_repl_offset:/ { o = \$2 } /^slave_repl_offset:/ { s = \$2 }
				END { sub(/\\..*/, \"\", h); print (n == \"\" ? \"-\" : n), (r == \"\" ? \"-\" : r), (h == \"\" ? \"-\" : h), (l == \"\" ? \"-\" : l), (r == \"slave\" ? s : o) }"' 2>/dev/null || echo '- - - - -')"
	done
}
# recovered [offsets]: every pod Ready, one primary named by all Sentinels that says master, every
# other pod its replica with the link up (with "offsets": at the primary's offset).
recovered() {
	local states
	states=$(pod_states)
	awk -v offsets="${1:-}" '
		{ ready[$1] = $2; named[$3]++; role[$1] = $4; host[$1] = $5; link[$1] = $6; off[$1] = $7; n++ }
		END {
			if (length(named) != 1) exit 1
			for (p in named) primary = p
			if (primary == "-" || role[primary] != "master") exit 1
			for (p in ready) {
				if (ready[p] != "True") exit 1
				if (p == primary) continue
				if (role[p] != "slave" || host[p] != primary || link[p] != "up") exit 1
				if (offsets != "" && off[p] != off[primary]) exit 1
			}
		}' <<<"$states"
}
wait_for() { # wait_for SECONDS COMMAND...
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS < deadline)) || return 1
		sleep 0.5
	done
}

# The host pid of the redis-server of POD (its container's cgroup, from the node side).
redis_pid() {
	local cid dir p
	cid=$(kc get pod "$1" -o 'jsonpath={.status.containerStatuses[?(@.name=="redis")].containerID}')
	cid=${cid#containerd://}
	dir=$(find /sys/fs/cgroup/pids/kubepods -type d -name "$cid" | head -n 1)
	while read -r p; do
		[[ $(cat "/proc/$p/comm" 2>/dev/null) == redis-server ]] && { echo "$p"; return; }
	done <"$dir/cgroup.procs"
	return 1
}

# --- the writer -----------------------------------------------------------------------------
run_id=
writer_start() { # writer_start SCENARIO
	run_id=w$(date +%s)$1
	kc delete pod rp-writer --grace-period=0 --force --ignore-not-found >/dev/null 2>&1
	kc create configmap rp-writer --from-file=writer.sh="$here/writer.sh" --dry-run=client -o yaml | kc apply -f - >/dev/null
	kc apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: rp-writer}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 0
  containers:
  - name: writer
    image: $RP_REDIS_IMAGE
    imagePullPolicy: Never
    command: [sh, /writer/writer.sh]
    env:
    - {name: RUN, value: $run_id}
    - {name: SENTINELS, value: "${pods[*]/%/.$domain}"}
    - {name: REDIS_PORT, value: "6379"}
    - {name: SENTINEL_PORT, value: "26379"}
    - {name: MASTER_SET, value: mymaster}
    - {name: WAIT_MS, value: "1000"}
    - name: REDISCLI_AUTH
      valueFrom: {secretKeyRef: {name: redis-auth, key: password}}
    volumeMounts: [{name: writer, mountPath: /writer}]
  volumes:
  - name: writer
    configMap: {name: rp-writer}
EOF
	wait_for 60 writing
}
writing() { [[ $(kc logs rp-writer 2>/dev/null | grep -c ' OK ') -ge 20 ]]; }
writer_stop() { # writer_stop: the log in $out/$run_id.log
	kc exec rp-writer -- touch /tmp/stop
	wait_for 30 eval 'kc logs rp-writer 2>/dev/null | grep -q "stopped after"'
	kc logs rp-writer >"$out/$run_id.log"
	kc delete pod rp-writer --grace-period=0 --force >/dev/null 2>&1
	say "writer: $(grep -c ' OK ' "$out/$run_id.log") writes acknowledged, $(grep -vc '^#' "$out/$run_id.log") sent"
}

# check SCENARIO GATE FAULT_AT RECOVERED_AT [EXTRA_JSON]: read every pod's keys, compute, gate.
check() {
	local scenario=$1 gate=$2 fault_at=$3 recovered_at=$4 extra=${5:-"{}"} p keys=() result
	extra=$(python3 -c 'import json, sys; d = json.loads(sys.argv[1]); d["code"] = sys.argv[2]; print(json.dumps(d))' "$extra" "$code")
	wait_for 60 recovered offsets || say "WARNING: the replicas did not reach the primary's offset in 60 s"
	for p in "${pods[@]}"; do
		on_pod "$p" redis-cli -p 6379 --scan --pattern "$run_id:*" >"$out/$run_id.$p.keys"
		keys+=(--keys "$p=$out/$run_id.$p.keys")
	done
	result=$(python3 "$here/lostwrites.py" figures --log "$out/$run_id.log" --run "$run_id" "${keys[@]}" \
		--scenario "$scenario" --gate "$gate" --fault-at "$fault_at" --recovered-at "$recovered_at" \
		--extra "$extra")
	echo "$result" >>"$results"
	say "$scenario: $(python3 -c '
import json, sys
r = json.loads(sys.argv[1])
print("acknowledged %(acknowledged)s, lost %(lost)s, WAIT-confirmed %(wait_confirmed)s, WAIT-confirmed lost %(wait_confirmed_lost)s, longest gap %(gap)s s, recovery %(recovery_seconds)s s, lost by pod %(lost_by_pod)s" % dict(r, gap=(r["longest_gap"] or {}).get("seconds")))' "$result")"
	if python3 -c 'import json, sys; sys.exit(not json.loads(sys.argv[1])["gate_held"])' "$result"; then
		say "ok: $scenario: gate '$gate' held"
	else
		say "FAILED: $scenario: gate '$gate' (lost: no acknowledged write lost; confirmed: no WAIT-confirmed write lost)"
		failed=$((failed + 1))
	fi
}

# --- scenarios ------------------------------------------------------------------------------

# The primary's pod deleted (graceful: preStop, SIGTERM) while the writer writes.
scenario_graceful() {
	local p fault_at recovered_at
	wait_for 120 recovered
	writer_start graceful
	sleep 3
	p=$(primary)
	say "graceful: deleting the primary's pod $p under writes"
	fault_at=$(now)
	kc delete pod "$p" --wait=false >/dev/null
	wait_for 180 recovered || say "WARNING: not recovered after 180 s"
	recovered_at=$(now)
	say "graceful: recovered after $(since "$fault_at" "$recovered_at") s; the primary is $(primary)"
	sleep 3
	writer_stop
	check "primary pod deleted (graceful)" lost "$fault_at" "$recovered_at"
}

# promoted OLD: a Sentinel of another pod than OLD names another primary ($q).
q=
promoted() {
	local o
	for o in "${pods[@]}"; do [[ $o != "$1" ]] && break; done
	q=$(named_by "$o" || true)
	[[ -n $q && $q != "$1" ]]
}

# A stale primary: the primary frozen (SIGSTOP from the node) until Sentinel promotes another
# pod, writes confirmed by WAIT 1 on the new primary, then every pod force-deleted at once.
# The frozen pod is made ordinal 0 first: the pod a cold start used to trust.
scenario_stale() {
	local p pid fault_at recovered_at tries=0
	wait_for 120 recovered
	while [[ $(primary) != "$sts-0" ]] && ((tries++ < 6)); do
		on_pod "$sts-1" redis-cli -p 26379 sentinel failover mymaster >/dev/null || true
		sleep 1
		wait_for 60 recovered || true
	done
	p=$(primary)
	writer_start stale
	sleep 2
	pid=$(redis_pid "$p")
	say "stale: freezing redis-server of the primary $p (host pid $pid) under writes"
	fault_at=$(now)
	kill -STOP "$pid"
	wait_for 60 promoted "$p" || say "WARNING: no other primary after 60 s"
	say "stale: Sentinel promoted $q after $(since "$fault_at" "$(now)") s; writing on it for 6 s"
	sleep 6
	writer_stop
	say "stale: force-deleting every pod at once"
	kc delete pod "${pods[@]}" --grace-period=0 --force --wait=false >/dev/null 2>&1
	kill -CONT "$pid" 2>/dev/null || true
	sleep 2
	wait_for 300 recovered || say "WARNING: not recovered after 300 s"
	recovered_at=$(now)
	say "stale: every pod back after $(since "$fault_at" "$recovered_at") s; the primary is $(primary)"
	check "stale primary (frozen, promoted, every pod force-deleted)" confirmed "$fault_at" "$recovered_at" \
		"{\"frozen\": \"$p\", \"promoted\": \"$q\"}"
}

# fault_on_primary NAME DESCRIPTION GATE ACTION: the writer, ACTION on the primary's pod (its name in
# $1 of ACTION), recovery, the checker.
fault_on_primary() {
	local name=$1 description=$2 gate=$3 action=$4 p fault_at recovered_at
	wait_for 120 recovered
	writer_start "$name"
	sleep 3
	p=$(primary)
	say "$name: $description ($p) under writes"
	fault_at=$(now)
	"$action" "$p"
	wait_for 240 recovered || say "WARNING: not recovered after 240 s"
	recovered_at=$(now)
	say "$name: recovered after $(since "$fault_at" "$recovered_at") s; the primary is $(primary) (was $p)"
	sleep 3
	writer_stop
	check "$description" "$gate" "$fault_at" "$recovered_at" "{\"faulted\": \"$p\"}"
}
kill_redis() { kill -KILL "$(redis_pid "$1")"; }
force_delete() { kc delete pod "$1" --grace-period=0 --force --wait=false >/dev/null 2>&1; }
# Frozen until Sentinel promoted another pod and 3 s more, then resumed: it must rejoin as a replica.
freeze_resume() {
	local pid
	pid=$(redis_pid "$1")
	kill -STOP "$pid"
	wait_for 60 promoted "$1" || say "WARNING: no other primary after 60 s"
	sleep 3
	kill -CONT "$pid"
}
scenario_sigkill() { fault_on_primary sigkill "primary's redis-server SIGKILLed" confirmed kill_redis; }
scenario_forcedelete() { fault_on_primary forcedelete "primary's pod force-deleted" confirmed force_delete; }
scenario_freeze() { fault_on_primary freeze "primary frozen past down-after, then resumed" confirmed freeze_resume; }

# A configuration change rolled through playbooks/redis.yml under writes (every pod restarted, the
# primary's with a hand-over): redis_min_replicas_to_write 1 (max lag 5 s), kept for the scenarios
# named *_minrep, which measure its trade-off in the crash and freeze scenarios.
scenario_rollconfig() {
	local fault_at recovered_at
	wait_for 120 recovered
	writer_start rollconfig
	sleep 2
	say "rollconfig: playbooks/redis.yml -e redis_min_replicas_to_write=1 under writes (a rolling update of the 3 pods)"
	fault_at=$(now)
	if ! "$rp" exec-net ansible-playbook -i "$here/inventory.yml" "$repo/playbooks/redis.yml" -e @"$here/repl-vars.yml" \
		-e redis_min_replicas_to_write=1 -e redis_min_replicas_max_lag=5 >"$out/rollconfig.log" 2>&1; then
		say "FAILED: playbooks/redis.yml (log: $out/rollconfig.log)"
		tail -n 30 "$out/rollconfig.log"
		failed=$((failed + 1))
	fi
	wait_for 240 recovered || say "WARNING: not recovered after 240 s"
	recovered_at=$(now)
	say "rollconfig: rolled and recovered after $(since "$fault_at" "$recovered_at") s; min-replicas-to-write on the primary: \
$(on_pod "$(primary)" redis-cli -p 6379 config get min-replicas-to-write | tail -n 1)"
	sleep 3
	writer_stop
	check "configuration change rolled through redis.yml (min-replicas-to-write 1)" lost "$fault_at" "$recovered_at"
}
scenario_sigkill_minrep() { fault_on_primary sigkill_minrep "primary's redis-server SIGKILLed (min-replicas-to-write 1)" confirmed kill_redis; }
scenario_freeze_minrep() { fault_on_primary freeze_minrep "primary frozen past down-after, then resumed (min-replicas-to-write 1)" confirmed freeze_resume; }

: >"$results"
scenarios=("$@")
((${#scenarios[@]})) || read -r -a scenarios <<<"${FAULTS_SCENARIOS:-graceful stale sigkill forcedelete freeze rollconfig sigkill_minrep freeze_minrep}"
for s in "${scenarios[@]}"; do
	"scenario_$s"
done
cp "$results" "$repo/tests/output/data-safety.jsonl"
# The table of docs/data-safety.md: this run's figures, its date and machine.
note="Run of $(date -u '+%Y-%m-%d %H:%M') UTC ($code), $(nproc) cores, \
$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r), \
$(on_pod "$sts-0" redis-server --version | grep -oE 'v=[0-9.]+' | sed 's/v=/Redis /'), NFS volumes (nfs-ganesha, FUSE NFSv3 client); \
3 pods, down-after 5000 ms; phase time $((SECONDS - started)) s."
python3 "$here/lostwrites.py" table "$results" --update "$repo/docs/data-safety.md" --note "$note"
say "faults: ${#scenarios[@]} scenarios in $((SECONDS - started)) s, $failed gate(s) failed"
((failed == 0))
