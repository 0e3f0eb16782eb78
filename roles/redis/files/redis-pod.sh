#!/bin/sh
# The one start script of the Redis pods (role stateful.nfs_redis.redis, ConfigMap <name>-config):
#
#   sh redis-pod.sh redis [ARG...]   write the pod's redis.conf and exec redis-server (ARG: redis_extra_args)
#   sh redis-pod.sh sentinel         write sentinel.conf and exec redis-server --sentinel
#   sh redis-pod.sh prestop          preStop of the redis container: a primary hands over to a replica
#
# POSIX sh (dash, busybox sh); needs redis-server, redis-cli, getent, od, sed, awk, timeout.
# The host name is the pod name <sts>-<ordinal>. Input, from the StatefulSet: REDIS_ARCHITECTURE
# (standalone or replication), REDIS_HEADLESS_DOMAIN (<service>.<namespace>.svc.<cluster domain>),
# REDIS_SERVER_PORT, REDIS_RUN_DIR (a writable emptyDir), REDIS_PASSWORD (empty: no auth; redis-cli
# reads REDISCLI_AUTH) and, with Sentinel, REDIS_SENTINEL_PORT, REDIS_SENTINEL_MASTER_SET,
# REDIS_SENTINEL_QUORUM, REDIS_SENTINEL_DOWN_AFTER_MS, REDIS_SENTINEL_FAILOVER_TIMEOUT_MS.
# redis.conf beside this script is the base configuration rendered by the role.
set -eu
umask 077

mode=${1:?usage: redis-pod.sh redis|sentinel|prestop}
conf_dir=$(dirname "$0")
run_dir=${REDIS_RUN_DIR:?}
port=${REDIS_SERVER_PORT:?}
domain=${REDIS_HEADLESS_DOMAIN:?}
pod=$(hostname)
me=$pod.$domain
ordinal0=${pod%-*}-0.$domain
password=${REDIS_PASSWORD:-}
sentinel_port=${REDIS_SENTINEL_PORT:-}
master_set=${REDIS_SENTINEL_MASTER_SET:-mymaster}

log() {
  printf '%s redis-pod.sh %s (%s): %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$mode" "$pod" "$*" >&2
}

# A configuration string: double quotes around every byte written as \xHH, so that any password
# (quotes, backslashes, spaces) is read back by redis-server exactly as it is.
quote() {
  printf '"%s"' "$(printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n' | sed 's/../\\x&/g')"
}

# "host port" of the primary as the Sentinel of another pod names it; empty if none answers.
# The headless Service lists the pods that are not Ready too (publishNotReadyAddresses).
sentinel_primary() {
  own=$(getent ahosts "$me" | awk '{ print $1 }' | sort -u) || own=""
  for ip in $(getent ahosts "$domain" | awk '{ print $1 }' | sort -u); do
    if printf '%s\n' "$own" | grep -qxF "$ip"; then continue; fi
    answer=$(timeout 3 redis-cli -h "$ip" -p "$sentinel_port" sentinel get-master-addr-by-name "$master_set" 2>/dev/null \
      | awk 'NR == 1 { host = $0 } NR == 2 && host != "" && /^[0-9]+$/ { print host, $0 }') || continue
    if [ -n "$answer" ]; then
      printf '%s\n' "$answer"
      return 0
    fi
  done
}

# "host port" of the primary to follow: the Sentinels' answer, else ordinal 0.
find_primary() {
  if [ -n "$sentinel_port" ]; then
    found=$(sentinel_primary)
    if [ -n "$found" ]; then
      log "the Sentinels name the primary: $found"
      printf '%s\n' "$found"
      return 0
    fi
    log "no Sentinel of another pod answered: ordinal 0 is the primary"
  fi
  printf '%s %s\n' "$ordinal0" "$port"
}

start_redis() {
  conf=$run_dir/redis.conf
  cat "$conf_dir/redis.conf" >"$conf.new"
  {
    if [ -n "$password" ]; then
      printf 'requirepass %s\nmasterauth %s\n' "$(quote "$password")" "$(quote "$password")"
    fi
    if [ "${REDIS_ARCHITECTURE:?}" = replication ]; then
      printf 'replica-announce-ip %s\n' "$me"
      primary=$(find_primary)
      if [ "$primary" = "$me $port" ]; then
        log "starting as the primary"
      else
        log "starting as a replica of $primary"
        printf 'replicaof %s\n' "$primary"
      fi
    fi
  } >>"$conf.new"
  mv "$conf.new" "$conf"
  exec redis-server "$conf" "$@"
}

start_sentinel() {
  primary=$(find_primary)
  # Sentinel resolves the names in its configuration when it starts: wait for the pod's DNS record.
  tries=0
  until getent hosts "${primary% *}" >/dev/null; do
    tries=$((tries + 1))
    if [ "$tries" -ge 120 ]; then
      log "${primary% *} does not resolve after 120 s"
      exit 1
    fi
    sleep 1
  done
  conf=$run_dir/sentinel.conf
  {
    printf 'port %s\ndir %s\nprotected-mode no\n' "$sentinel_port" "$run_dir"
    printf 'sentinel resolve-hostnames yes\nsentinel announce-hostnames yes\n'
    printf 'sentinel announce-ip %s\nsentinel announce-port %s\n' "$me" "$sentinel_port"
    if [ -n "$password" ]; then
      printf 'requirepass %s\n' "$(quote "$password")"
    fi
    printf 'sentinel monitor %s %s %s\n' "$master_set" "$primary" "${REDIS_SENTINEL_QUORUM:?}"
    if [ -n "$password" ]; then
      printf 'sentinel auth-pass %s %s\n' "$master_set" "$(quote "$password")"
    fi
    printf 'sentinel down-after-milliseconds %s %s\n' "$master_set" "${REDIS_SENTINEL_DOWN_AFTER_MS:?}"
    printf 'sentinel failover-timeout %s %s\n' "$master_set" "${REDIS_SENTINEL_FAILOVER_TIMEOUT_MS:?}"
    printf 'sentinel parallel-syncs %s 1\n' "$master_set"
  } >"$conf"
  log "Sentinel monitors $primary"
  exec redis-server "$conf" --sentinel
}

# preStop of the redis container: if this pod is the primary, ask the Sentinel of another pod to
# fail over (this pod's own Sentinel is stopping too; a Sentinel that does not know a good replica
# yet answers NOGOODSLAVE, so ask again) and wait until the Sentinels name another primary and the
# failover is over (the other replicas follow it), at most 20 s. Never fails: the pod stops either way.
prestop() {
  if [ -z "$sentinel_port" ]; then exit 0; fi
  role=$(timeout 3 redis-cli -p "$port" role 2>/dev/null | head -n 1) || role=""
  if [ "$role" != master ]; then exit 0; fi
  own=$(getent ahosts "$me" | awk '{ print $1 }' | sort -u) || own=""
  start=$(date +%s)
  asked=""
  while [ $(($(date +%s) - start)) -lt 20 ]; do
    if [ -z "$asked" ]; then
      for ip in $(getent ahosts "$domain" | awk '{ print $1 }' | sort -u); do
        if printf '%s\n' "$own" | grep -qxF "$ip"; then continue; fi
        reply=$(timeout 3 redis-cli -h "$ip" -p "$sentinel_port" sentinel failover "$master_set" 2>&1) || reply="no answer"
        log "SENTINEL FAILOVER asked of $ip: $reply"
        case $reply in OK | *INPROG*) asked=$ip; break ;; esac
      done
    else
      # Done when the Sentinel names another primary and has reconfigured the other replicas.
      now=$(sentinel_primary)
      flags=$(timeout 3 redis-cli -h "$asked" -p "$sentinel_port" sentinel master "$master_set" 2>/dev/null \
        | awk 'previous == "flags" { print } { previous = $0 }') || flags=""
      if [ -n "$now" ] && [ "$now" != "$me $port" ] && [ -n "$flags" ] && [ "${flags#*failover_in_progress}" = "$flags" ]; then
        log "$now is the primary after $(($(date +%s) - start)) s"
        exit 0
      fi
    fi
    sleep 0.5
  done
  log "no other primary after 20 s; stopping anyway"
}

case $mode in
  redis) shift; start_redis "$@" ;;
  sentinel) start_sentinel ;;
  prestop) prestop ;;
  *) log "unknown mode (redis, sentinel or prestop)"; exit 2 ;;
esac
