#!/usr/bin/env bash
# Offline tests of the Kubernetes side (roles nfs_provisioner and redis, playbooks render,
# verify and teardown). No cluster and no network: the only socket is a loopback tripwire.
#
#   tests/k8s_offline/run.sh            # all tests
#   tests/k8s_offline/run.sh render     # the tests whose name contains "render"
#
# Prints one line per test (PASS/FAIL name) and exits non-zero if any failed. Logs of failed
# tests are printed; all logs stay in $K8S_OFFLINE_LOGS (default: a temporary directory).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo_root"

venv="${VENV:-$repo_root/.venv}"
if [[ ! -x "$venv/bin/ansible-playbook" ]]; then
  echo "FAIL setup: $venv/bin/ansible-playbook not found (run scripts/setup, or set VENV)" >&2
  exit 2
fi
export PATH="$venv/bin:$PATH"
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_RETRY_FILES_ENABLED=0
# Nothing from the caller's environment may point the Kubernetes client anywhere.
while read -r var; do unset "$var"; done < <(env | sed -n 's/^\(K8S_AUTH_[A-Z_]*\)=.*/\1/p')
unset KUBECONFIG

logs="${K8S_OFFLINE_LOGS:-$(mktemp -d -t k8s-offline.XXXXXX)}"
mkdir -p "$logs"

# The tripwire: a loopback listener that logs every connection (tests_invalid_input.yml).
tripwire_pid=""
cleanup() {
  if [[ -n "$tripwire_pid" ]]; then kill "$tripwire_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT
python3 tests/k8s_offline/tripwire.py "$logs/tripwire.port" "$logs/tripwire.log" &
tripwire_pid=$!
for _ in $(seq 50); do [[ -s "$logs/tripwire.port" ]] && break; sleep 0.1; done
if [[ ! -s "$logs/tripwire.port" ]]; then
  echo "FAIL setup: the tripwire did not start" >&2
  exit 2
fi
tripwire_port="$(cat "$logs/tripwire.port")"

filter="${1:-}"
# Test files run side by side, K8S_OFFLINE_JOBS at a time (default: one per core): each is a
# mostly single-threaded ansible-playbook.
jobs="${K8S_OFFLINE_JOBS:-$(nproc)}"
names=()
for test in tests/k8s_offline/tests_*.yml; do
  name="$(basename "$test" .yml)"
  if [[ -n "$filter" && "$name" != *"$filter"* ]]; then continue; fi
  names+=("$name")
done
# The longest first (it starts ~26 ansible-playbook runs of its own), so the others fill the gaps.
order=()
for name in "${names[@]}"; do if [[ $name == tests_invalid_input ]]; then order+=("$name"); fi; done
for name in "${names[@]}"; do if [[ $name != tests_invalid_input ]]; then order+=("$name"); fi; done

# run_one NAME: run the test into its log; its exit code and seconds into NAME.rc.
run_one() {
  local name=$1 start=$SECONDS rc=0
  ansible-playbook -i inventories/test "tests/k8s_offline/$name.yml" \
    -e "tripwire_port=$tripwire_port" -e "tripwire_log=$logs/tripwire.log" \
    >"$logs/$name.log" 2>&1 || rc=$?
  echo "$rc $((SECONDS - start))" >"$logs/$name.rc"
}

# Not a bare `wait`: the tripwire is a background job too, and never ends.
pids=()
for name in "${order[@]}"; do
  while (($(jobs -rp | grep -cvx "$tripwire_pid") >= jobs)); do sleep 0.5; done
  run_one "$name" &
  pids+=($!)
done
wait "${pids[@]}"

failed=0
passed=0
for name in "${names[@]}"; do
  read -r rc secs <"$logs/$name.rc"
  if ((rc == 0)); then
    echo "PASS $name ($secs s)"
    passed=$((passed + 1))
  else
    echo "FAIL $name ($secs s, log: $logs/$name.log)"
    sed -n '/FAILED!\|ERROR\|FAIL /,+25p' "$logs/$name.log" | head -80 | sed 's/^/    /'
    failed=$((failed + 1))
  fi
done

echo "$passed passed, $failed failed (logs in $logs)"
[[ $failed -eq 0 && $passed -gt 0 ]]
