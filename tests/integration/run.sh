#!/usr/bin/env bash
# Integration tests of stateful.nfs_redis.statefulset_ready on a real local control plane
# (tests/cluster). Starts its own cluster, runs every tests_*.yml through ansible-playbook,
# prints one PASS/FAIL line per test and `integration: N passed, N failed`, and always
# stops the cluster on exit. See README.md.
#
#   tests/integration/run.sh [tests_x.yml ...]     (default: all tests_*.yml)
#
# env: CLUSTER_DIR (default /tmp/sr-it-<pid>), APISERVER_PORT ETCD_PORT ETCD_PEER_PORT
# CONTROLLER_MANAGER_PORT SCHEDULER_PORT (defaults 16443 22379 22380 20257 20259, never the
# cluster's own defaults; if unset and taken, shifted by +100 until all five are free),
# KWOK_POD_READY_DELAY (2s), IT_LOG_DIR (default $CLUSTER_DIR.logs, kept).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cluster=$repo/tests/cluster

export CLUSTER_DIR=${CLUSTER_DIR:-/tmp/sr-it-$$}
export KWOK_POD_READY_DELAY=${KWOK_POD_READY_DELAY:-2s}
export KEEP_STATE=0
IT_LOG_DIR=${IT_LOG_DIR:-$CLUSTER_DIR.logs}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Ports: the environment's if set, else ours (not cluster.sh's defaults), shifted while taken.
pick_ports() {
	local vars=(APISERVER_PORT ETCD_PORT ETCD_PEER_PORT CONTROLLER_MANAGER_PORT SCHEDULER_PORT)
	local defaults=(16443 22379 22380 20257 20259) shift_by=0 i busy
	for ((try = 0; try < 20; try++)); do
		busy=0
		for i in "${!vars[@]}"; do
			[[ -n ${!vars[i]:-} ]] && continue
			port_in_use $((defaults[i] + shift_by)) && busy=1
		done
		((busy == 0)) && break
		shift_by=$((shift_by + 100))
	done
	for i in "${!vars[@]}"; do
		export "${vars[i]}=${!vars[i]:-$((defaults[i] + shift_by))}"
	done
}
pick_ports

stop_cluster() {
	local rc=$?
	"$cluster/cluster.sh" stop >>"$IT_LOG_DIR/cluster.log" 2>&1 || echo "integration: WARNING: cluster.sh stop failed (see $IT_LOG_DIR/cluster.log)" >&2
	# volume directories a failed test left (our namespaces are sr-it-*; only this run's)
	find /persistentvolumes -maxdepth 1 -name 'sr-it-*' -newer "$IT_LOG_DIR/.start" -exec rm -rf {} + 2>/dev/null || true
	exit "$rc"
}

mkdir -p "$IT_LOG_DIR"
touch "$IT_LOG_DIR/.start"
echo "integration: cluster in $CLUSTER_DIR, apiserver 127.0.0.1:$APISERVER_PORT, logs in $IT_LOG_DIR" >&2
trap stop_cluster EXIT
trap 'exit 130' INT TERM

# shellcheck disable=SC1091
. "$repo/.venv/bin/activate"
start=$SECONDS
eval "$("$cluster/cluster.sh" start 2>>"$IT_LOG_DIR/cluster.log")"
"$cluster/provisioner.sh" start 2>>"$IT_LOG_DIR/cluster.log"
echo "integration: cluster and provisioner up in $((SECONDS - start))s" >&2

if (($# > 0)); then
	tests=("$@")
else
	mapfile -t tests < <(cd "$here" && ls tests_*.yml)
fi

cd "$repo" # ansible.cfg: the collection resolves through .collections
export ANSIBLE_CALLBACK_RESULT_FORMAT=json # one line per result: FIGURE lines are greppable
passed=0 failed=0

# run_test NAME: run one playbook into its log; print nothing (report does).
run_test() {
	local t0=$SECONDS rc=0
	ansible-playbook -i localhost, "tests/integration/$1.yml" >"$IT_LOG_DIR/$1.log" 2>&1 || rc=$?
	echo "$rc $((SECONDS - t0))" >"$IT_LOG_DIR/$1.rc"
}

# report NAME: PASS/FAIL line, the failure's first lines and the test's FIGURE lines.
report() {
	local rc secs log=$IT_LOG_DIR/$1.log
	read -r rc secs <"$IT_LOG_DIR/$1.rc"
	if ((rc == 0)); then
		passed=$((passed + 1))
		echo "PASS $1 (${secs}s)"
	else
		failed=$((failed + 1))
		echo "FAIL $1 (${secs}s): log $log"
		grep -E -A6 '^fatal|\[ERROR\]' "$log" | head -n 20 | sed 's/^/    /' >&2 || true
		# a failed gated test may leave the nodes cordoned: reopen them for the next test
		python "$here/files/probe.py" uncordon 0 >/dev/null 2>&1 || true
	fi
	grep -o '"msg": "FIGURE [^"]*' "$log" | sed 's/^"msg": "FIGURE /    figure: /' >&2 || true
}

names=()
for t in "${tests[@]}"; do
	t=$(basename "$t")
	names+=("${t%.yml}")
done

# The two stuck-rollout tests mostly wait for their timeouts and need no node change: run
# them side by side first. The others cordon/uncordon the nodes: one at a time.
pair=()
rest=()
for n in "${names[@]}"; do
	case $n in
	tests_stuck_pvc | tests_image_pull) pair+=("$n") ;;
	*) rest+=("$n") ;;
	esac
done
for n in "${pair[@]}"; do run_test "$n" & done
wait
for n in "${pair[@]}"; do report "$n"; done
for n in "${rest[@]}"; do
	run_test "$n"
	report "$n"
done

echo "integration: $passed passed, $failed failed"
((failed == 0))
