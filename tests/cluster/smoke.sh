#!/usr/bin/env bash
# End-to-end proof of the local cluster: start it, provision NFS-subdir volumes for a
# 2-replica StatefulSet, check ordered readiness and the headless Service; then the
# Kubernetes side of site.yml (nfs_provisioner.yml, redis.yml) and playbooks/verify.yml (exec
# checks off: kwok runs no containers) with an inventory of two k8s_api hosts, verify acting
# on one of them only; the day-2 playbooks scale.yml (2 -> 3 -> 2, --check, re-runs with
# changed=0, the kept PVC) and canary.yml (only the highest ordinal, then promote); stop, and
# check nothing is left running or listening.
#   Usage: tests/cluster/smoke.sh
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
export PATH=$repo/.venv/bin:$PATH ANSIBLE_CONFIG=${ANSIBLE_CONFIG:-$repo/ansible.cfg} ANSIBLE_NOCOLOR=1
CLUSTER_DIR=$(realpath -m "${CLUSTER_DIR:-$here/../../.cluster}")
export CLUSTER_DIR
export NFS_SERVER=${NFS_SERVER:-127.0.0.1} NFS_PATH=${NFS_PATH:-/data/nfs}
KUBECTL=${KUBECTL:-kubectl}
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
ns=smoke
passed=0 failed=0

check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then
		echo "ok: $what"
		passed=$((passed + 1))
	else
		echo "FAILED: $what"
		failed=$((failed + 1))
	fi
}
kc() { "$KUBECTL" "$@"; }
jp() { kc -n "$ns" get "$1" -o "jsonpath=$2"; }
# eventually TIMEOUT COMMAND...: poll until COMMAND succeeds.
eventually() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		((SECONDS < deadline)) || return 1
		sleep 0.5
	done
}

cleanup() {
	"$here/provisioner.sh" stop || true
	"$here/cluster.sh" stop || true
}
trap cleanup EXIT

# The volume directories of this stage's namespaces (smoke, smoke-verify) that an earlier run left
# when it stopped half-way: every run starts without them, or the checks that deleting the claims
# removed the directories would see the old ones.
rm -rf /persistentvolumes/smoke-data-* /persistentvolumes/smoke-verify-*
t0=$SECONDS
eval "$("$here/cluster.sh" start)"
echo "cluster start took $((SECONDS - t0))s"
kc get nodes -o wide
kc get ns
want=$(cd "$here/tools" && go list -m -f '{{.Version}}' k8s.io/kubernetes)
check "apiserver reports gitVersion $want" grep -q "\"gitVersion\": \"$want\"" <(kc get --raw /version)
"$here/provisioner.sh" start

kc apply -f - <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: nfs-client}
provisioner: k8s-sigs.io/nfs-subdir-external-provisioner
parameters: {archiveOnDelete: "false"}
reclaimPolicy: Delete
volumeBindingMode: Immediate
---
apiVersion: v1
kind: Namespace
metadata: {name: $ns}
---
apiVersion: v1
kind: Service
metadata: {name: redis-headless, namespace: $ns}
spec:
  clusterIP: None
  selector: {app: redis-sts}
  ports: [{name: redis, port: 6379}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: redis-sts, namespace: $ns}
spec:
  serviceName: redis-headless
  replicas: 2
  podManagementPolicy: OrderedReady
  selector: {matchLabels: {app: redis-sts}}
  template:
    metadata: {labels: {app: redis-sts}}
    spec:
      containers:
      - name: redis
        image: redis:7
        ports: [{name: redis, containerPort: 6379}]
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      storageClassName: nfs-client
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
EOF

all_ready() { [[ $(jp statefulset/redis-sts '{.status.readyReplicas}') == 2 ]]; }
check "StatefulSet has 2 ready replicas within 60s" eventually 60 all_ready
kc -n "$ns" get pvc,pods -o wide
kc get pv

for i in 0 1; do
	check "PVC data-redis-sts-$i is Bound" test "$(jp "pvc/data-redis-sts-$i" '{.status.phase}')" = Bound
	pv=$(jp "pvc/data-redis-sts-$i" '{.spec.volumeName}')
	dir=$ns-data-redis-sts-$i-$pv
	check "directory /persistentvolumes/$dir exists" test -d "/persistentvolumes/$dir"
	check "PV $pv points at $NFS_SERVER:$NFS_PATH/$dir" \
		test "$(kc get pv "$pv" -o 'jsonpath={.spec.nfs.server}:{.spec.nfs.path}')" = "$NFS_SERVER:$NFS_PATH/$dir"
done

ready0=$(jp pod/redis-sts-0 '{.status.conditions[?(@.type=="Ready")].lastTransitionTime}')
created0=$(jp pod/redis-sts-0 '{.metadata.creationTimestamp}')
created1=$(jp pod/redis-sts-1 '{.metadata.creationTimestamp}')
echo "redis-sts-0 created $created0, Ready $ready0; redis-sts-1 created $created1"
check "redis-sts-0 became Ready after the pod-ready delay" test "$(date -d "$ready0" +%s)" -gt "$(date -d "$created0" +%s)"
check "redis-sts-1 was created only after redis-sts-0 was Ready" test "$(date -d "$created1" +%s)" -ge "$(date -d "$ready0" +%s)"

hostnames() { [[ $(kc -n "$ns" get endpointslices -l kubernetes.io/service-name=redis-headless \
	-o 'jsonpath={range .items[*].endpoints[*]}{.hostname}{" "}{.conditions.ready}{"\n"}{end}' | sort | tr '\n' ,) == "redis-sts-0 true,redis-sts-1 true," ]]; }
check "EndpointSlice of redis-headless lists ready hostnames redis-sts-0 and redis-sts-1" eventually 30 hostnames
check "Endpoints of redis-headless list hostnames redis-sts-0 and redis-sts-1" test \
	"$(jp endpoints/redis-headless '{.subsets[*].addresses[*].hostname}' | tr ' ' '\n' | sort | tr '\n' ' ')" = "redis-sts-0 redis-sts-1 "

# Deleting the claims must remove their directories (archiveOnDelete: "false").
kc -n "$ns" delete statefulset redis-sts --wait=true >/dev/null
kc -n "$ns" delete pvc --all --wait=true >/dev/null
no_dirs() { ! compgen -G "/persistentvolumes/$ns-data-redis-sts-*" >/dev/null; }
check "deleting the PVCs removed their directories" eventually 30 no_dirs
kc delete namespace "$ns" --wait=false >/dev/null

# --- site.yml's Kubernetes side and playbooks/verify.yml --------------------------------------
inventory=$here/verify/inventory.yml
ap() { ansible-playbook -i "$inventory" "$@"; }
out=$CLUSTER_DIR/logs
# The role applies a StorageClass of the same name (its parameters cannot be changed in place).
kc delete storageclass nfs-client >/dev/null
# logged NAME COMMAND...: run COMMAND into $out/NAME.log; on failure print the log's end.
logged() {
	local name=$1
	shift
	"$@" >"$out/$name.log" 2>&1 || { tail -n 40 "$out/$name.log"; return 1; }
}
converge() {
	ANSIBLE_STDOUT_CALLBACK=ansible.builtin.json ap "$repo/playbooks/nfs_provisioner.yml" "$repo/playbooks/redis.yml" \
		>"$out/converge.json" 2>"$out/converge.stderr" || { tail -n 40 "$out/converge.stderr" "$out/converge.json"; return 1; }
}
check "nfs_provisioner.yml and redis.yml converge, two k8s_api hosts" converge
# Every Kubernetes play runs once per cluster (run_once): the hosts any task of the two playbooks'
# plays ran on (check_inventory's localhost play aside), and the Secrets the role manages.
ran_on=$(python3 -c '
import json, sys
text, docs, i = open(sys.argv[1]).read(), [], 0
while text[i:].strip():  # one JSON document per playbook
    doc, i = json.JSONDecoder().raw_decode(text, i + len(text[i:]) - len(text[i:].lstrip()))
    docs.append(doc)
plays = [p for d in docs for p in d["plays"]]
print(",".join(sorted({h for p in plays for t in p["tasks"] for h in t["hosts"] if h != "localhost"})) or "none")' "$out/converge.json" 2>&1)
check "... every task ran on one host alone ($ran_on): one password generated, one Secret applied, one apply of each object" \
	test "$ran_on" = smoke-api-a
secrets=$(kc -n smoke-verify get secrets -l app.kubernetes.io/managed-by=stateful.nfs_redis -o 'jsonpath={range .items[*]}{.metadata.name}{" "}{end}')
check "... one managed Secret in smoke-verify: $secrets" test "$secrets" = "redis-auth "
verify() {
	ANSIBLE_STDOUT_CALLBACK=ansible.builtin.json ap "$repo/playbooks/verify.yml" -e verify_exec_checks=false -e verify_timeout=120 -e verify_report_file="$out/verify-report.json" \
		>"$out/verify.json" 2>"$out/verify.stderr" || { tail -n 40 "$out/verify.stderr" "$out/verify.json"; return 1; }
}
check "playbooks/verify.yml -e verify_exec_checks=false, two k8s_api hosts" verify
# What verify.yml's play did, from its JSON output: its number of tasks, the hosts any of them
# ran on, how many hosts deleted pod 0, its final message, and the result of each check.
mapfile -t did < <(python3 - "$out/verify.json" <<'EOF'
import json, sys
try:
    plays = json.load(open(sys.argv[1]))["plays"]
except (OSError, ValueError, KeyError):
    plays = []
tasks = [t for p in plays if p["play"]["name"] == "Verify the StatefulSet experiments of the tutorial" for t in p["tasks"]]
results = lambda prefix: [r for t in tasks if t["task"]["name"].startswith(prefix) for r in t["hosts"].values()]
print(len(tasks))
print(",".join(sorted({h for t in tasks for h in t["hosts"]})) or "none")
print(sum(bool(r.get("changed")) for r in results("Delete pod 0")))
print(" / ".join(r.get("msg", "") for r in results("Fail if any check failed")) or "none")
print("; ".join(m.split(" -- ")[0] for r in results("Report every check") for m in r.get("msg", [])) or "none")
EOF
)
echo "verify.yml: ${did[4]}"
counts=$(python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(r["passed"], r["failed"], r["skipped"])' "$out/verify-report.json" 2>&1)
check "verify.yml's report (verify_report_file): 4 passed, 0 failed, 3 skipped: $counts (${did[3]})" test "$counts" = "4 0 3"
check "verify.yml acted once with two k8s_api hosts: its ${did[0]} tasks ran on ${did[1]} alone" test "${did[1]}" = smoke-api-a
check "verify.yml deleted pod 0 once" test "${did[2]}" = 1

# --- Day 2: playbooks/scale.yml and playbooks/canary.yml on verify's StatefulSet (2 pods) -------
vns=smoke-verify
vjp() { kc -n "$vns" get "$1" -o "jsonpath=$2"; }
# day2 NAME ARGS...: ansible-playbook ARGS into $out/NAME.log (both k8s_api hosts: the playbooks act once).
day2() {
	local name=$1
	shift
	logged "$name" ap "$@"
}
# said TEXT LOG: LOG contains TEXT (a regular expression), with the line breaks of the YAML output removed.
said() { tr -s ' \n' ' ' <"$2" | grep -qE -- "$1"; }
# changed_total LOG: the sum of changed= over the PLAY RECAP lines of LOG.
changed_total() { awk '/^[^ ]+ +: ok=/ { for (i = 1; i <= NF; i++) if ($i ~ /^changed=/) { split($i, a, "="); n += a[2] } } END { print n + 0 }' "$1"; }
pods_of() { kc -n "$vns" get pods -l app=redis-sts -o 'jsonpath={range .items[*]}{.metadata.name}{" "}{end}'; }
check "scale.yml --check -e redis_replicas=3 runs" day2 scale-check "$repo/playbooks/scale.yml" --check --diff -e redis_replicas=3
check_diff() { (($(changed_total "$out/scale-check.log") > 0)) && grep -qE '^[-+] +"?replicas"?: [23],?$' "$out/scale-check.log"; }
check "... reports a change (changed=$(changed_total "$out/scale-check.log")) and --diff shows spec.replicas 2 -> 3" check_diff
check "... and changes nothing: spec.replicas 2, pods redis-sts-0 redis-sts-1" \
	test "$(vjp statefulset/redis-sts '{.spec.replicas}') $(pods_of)" = "2 redis-sts-0 redis-sts-1 "
check "scale.yml -e redis_replicas=3 (up, ordered wait)" day2 scale-up "$repo/playbooks/scale.yml" -e redis_replicas=3
check "... 3 Ready replicas and PVC redis-pvc-redis-sts-2 Bound" \
	test "$(vjp statefulset/redis-sts '{.status.readyReplicas}') $(vjp pvc/redis-pvc-redis-sts-2 '{.status.phase}')" = "3 Bound"
created_after_ready() { ! [[ $(vjp pod/redis-sts-2 '{.metadata.creationTimestamp}') < $(vjp pod/redis-sts-1 '{.status.conditions[?(@.type=="Ready")].lastTransitionTime}') ]]; }
check "... redis-sts-2 was created only after redis-sts-1 was Ready" created_after_ready
check "scale.yml -e redis_replicas=3 again" day2 scale-up-again "$repo/playbooks/scale.yml" -e redis_replicas=3
check "... changed=0 (changed=$(changed_total "$out/scale-up-again.log"))" test "$(changed_total "$out/scale-up-again.log")" = 0
check "scale.yml -e redis_replicas=2 (down)" day2 scale-down "$repo/playbooks/scale.yml" -e redis_replicas=2
check "... pods redis-sts-0 redis-sts-1 only, and PVC redis-pvc-redis-sts-2 kept (whenScaled Retain)" \
	test "$(pods_of)$(vjp pvc/redis-pvc-redis-sts-2 '{.status.phase}')" = "redis-sts-0 redis-sts-1 Bound"
check "... and the run says so: LEFT 1 PVC(s) ... redis-pvc-redis-sts-2" \
	said 'LEFT 1 PVC\(s\) that no pod uses after this scale-down .*redis-pvc-redis-sts-2' "$out/scale-down.log"
check "scale.yml -e redis_replicas=2 again" day2 scale-down-again "$repo/playbooks/scale.yml" -e redis_replicas=2
check "... changed=0 (changed=$(changed_total "$out/scale-down-again.log"))" test "$(changed_total "$out/scale-down-again.log")" = 0
refused() { ! ap "$repo/playbooks/scale.yml" -e redis_replicas=2 -e redis_architecture=replication -e redis_sentinel_enabled=true >"$out/scale-refused.log" 2>&1 &&
	grep -q "redis_sentinel_enabled" "$out/scale-refused.log" && [[ $(vjp statefulset/redis-sts '{.spec.replicas}') == 2 ]]; }
check "scale.yml refuses Sentinel with 2 replicas (the role's rule) and changes nothing" refused
rev() { vjp "pod/$1" '{.metadata.labels.controller-revision-hash}'; }
# canary.yml refuses -e redis_update_partition (it outranks the canary's partition and would roll every pod)
# before anything is applied: the StatefulSet's template generation stays as it was.
generation_before=$(vjp statefulset/redis-sts '{.metadata.generation}')
override_refused() { ! ap "$repo/playbooks/canary.yml" -e redis_image=registry.invalid/redis:canary -e redis_update_partition=0 \
	>"$out/canary-override.log" 2>&1 && [[ $(vjp statefulset/redis-sts '{.metadata.generation}') == "$generation_before" ]]; }
check "canary.yml -e redis_update_partition=0 is refused and changes nothing (generation $generation_before)" override_refused
check "canary.yml -e redis_image=registry.invalid/redis:canary (partition = replicas - 1)" \
	day2 canary "$repo/playbooks/canary.yml" -e redis_image=registry.invalid/redis:canary
update_rev=$(vjp statefulset/redis-sts '{.status.updateRevision}')
image() { vjp "pod/$1" '{.spec.containers[?(@.name=="redis")].image}'; }
canary_only() {
	[[ $(vjp statefulset/redis-sts '{.spec.updateStrategy.rollingUpdate.partition}') == 1 && $(rev redis-sts-1) == "$update_rev" &&
		$(image redis-sts-1) == registry.invalid/redis:canary && $(rev redis-sts-0) != "$update_rev" && $(image redis-sts-0) != *canary ]]
}
check "... partition 1; only redis-sts-1 runs the new revision $update_rev ($(image redis-sts-1)), redis-sts-0 keeps $(rev redis-sts-0) ($(image redis-sts-0))" canary_only
check "... and the run reports the canary's revision" said "Canary redis-sts-1 runs revision $update_rev" "$out/canary.log"
check "canary.yml -e canary_promote=true" day2 promote "$repo/playbooks/canary.yml" -e redis_image=registry.invalid/redis:canary -e canary_promote=true
check "... partition 0, both pods on $update_rev, currentRevision too" test \
	"$(vjp statefulset/redis-sts '{.spec.updateStrategy.rollingUpdate.partition} {.status.currentRevision}') $(rev redis-sts-0) $(rev redis-sts-1)" \
	= "0 $update_rev $update_rev $update_rev"
kc -n smoke-verify delete statefulset redis-sts --wait=true >/dev/null
kc -n smoke-verify delete pvc --all --wait=true >/dev/null
no_verify_dirs() { ! compgen -G "/persistentvolumes/smoke-verify-*" >/dev/null; }
check "deleting verify's PVCs removed their directories" eventually 30 no_verify_dirs

bin=$("$here/build.sh" 2>/dev/null)
# Other clusters may run the same binaries: ours are those that name CLUSTER_DIR.
leftovers() {
	local d
	for d in /proc/[0-9]*; do
		[[ $(readlink "$d/exe" 2>/dev/null) == "$bin"/* ]] || continue
		cat "$d/cmdline" "$d/environ" 2>/dev/null | tr '\0' '\n' | grep -qF -- "$CLUSTER_DIR" && echo "${d#/proc/}"
	done
	return 0
}
check "the 6 processes of the cluster are found before stop" test "$(leftovers | wc -l)" -eq 6

t0=$SECONDS
"$here/cluster.sh" stop
echo "cluster stop took $((SECONDS - t0))s"
trap - EXIT
check "no process of the cluster is left" test -z "$(leftovers)"
ports="${APISERVER_PORT:-6443}|${ETCD_PORT:-12379}|${ETCD_PEER_PORT:-12380}|${CONTROLLER_MANAGER_PORT:-10257}|${SCHEDULER_PORT:-10259}"
listening() { ss -Hltn | awk '{print $4}' | grep -E "^127\.0\.0\.1:($ports)\$" || true; }
check "no cluster port is left listening" test -z "$(listening)"
check "CLUSTER_DIR was removed" test ! -e "$CLUSTER_DIR"

echo "smoke: $passed passed, $failed failed"
((failed == 0))
