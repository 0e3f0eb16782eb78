#!/bin/sh
# The one start script of the Redis pods (role stateful.nfs_redis.redis, ConfigMap <name>-config):
#
#   sh redis-pod.sh redis [ARG...]   write the pod's redis.conf and exec redis-server (ARG: redis_extra_args)
#   sh redis-pod.sh sentinel         write sentinel.conf and exec redis-server --sentinel
#   sh redis-pod.sh prestop          preStop of the redis container: a primary hands over to a replica
#                                    without losing an acknowledged write
#
# POSIX sh (dash, busybox sh); needs redis-server, redis-cli, getent, od, sed, awk, timeout.
# The host name is the pod name <sts>-<ordinal>. Input, from the StatefulSet: REDIS_ARCHITECTURE
# (standalone or replication), REDIS_HEADLESS_DOMAIN (<service>.<namespace>.svc.<cluster domain>),
# REDIS_SERVER_PORT, REDIS_RUN_DIR (a writable emptyDir), REDIS_PASSWORD (empty: no auth; redis-cli
# reads REDISCLI_AUTH) and, with Sentinel, REDIS_SENTINEL_PORT, REDIS_SENTINEL_MASTER_SET,
# REDIS_SENTINEL_QUORUM, REDIS_SENTINEL_DOWN_AFTER_MS, REDIS_SENTINEL_FAILOVER_TIMEOUT_MS.
# redis.conf beside this script is the base configuration rendered by the role.
#
# With Sentinel, which pod is the primary when a pod starts:
# - the primary the Sentinel of another pod names, if one answers;
# - else (every pod restarted: no Sentinel knows) the pods elect the one with the newest data set.
#   Every redis container records its replication offset on its volume (<dir>/redis-pod.state,
#   each second while it is a primary or a replica with its link up, with the number of pods it
#   saw). At start-up without a Sentinel answer, a pod serves a throwaway redis-server (no data,
#   no persistence) on its port that publishes its offset (key redis-pod:election), and reads the
#   other pods' until it has as many as it recorded pods (at most 120 s: with OrderedReady, the
#   next pod is created once this one is Ready, and the throwaway server answers the readiness
#   probe), or until it finds a real primary to follow. The highest offset wins (ties: the lowest
#   ordinal); the others wait until the winner serves as primary, then replicate it. The pod's own
#   Sentinel starts without a primary and adopts the one its redis-server follows.
set -eu
umask 077

mode=${1:?usage: redis-pod.sh redis|sentinel|prestop}
conf_dir=$(dirname "$0")
run_dir=${REDIS_RUN_DIR:?}
port=${REDIS_SERVER_PORT:?}
domain=${REDIS_HEADLESS_DOMAIN:?}
pod=$(hostname)
me=$pod.$domain
ordinal=${pod##*-}
ordinal0=${pod%-*}-0.$domain
password=${REDIS_PASSWORD:-}
sentinel_port=${REDIS_SENTINEL_PORT:-}
master_set=${REDIS_SENTINEL_MASTER_SET:-mymaster}
data_dir=$(awk '$1 == "dir" { print $2 }' "$conf_dir/redis.conf")
state=$data_dir/redis-pod.state
election_key=redis-pod:election

log() {
  printf '%s redis-pod.sh %s (%s): %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$mode" "$pod" "$*" >&2
}

# A configuration string: double quotes around every byte written as \xHH, so that any password
# (quotes, backslashes, spaces) is read back by redis-server exactly as it is.
quote() {
  printf '"%s"' "$(printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n' | sed 's/../\\x&/g')"
}

# INFO replication field NAME of the redis-server at HOST ("" if it does not answer).
info_field() { # info_field HOST NAME
  timeout 3 redis-cli -h "$1" -p "$port" info replication 2>/dev/null | tr -d '\r' | sed -n "s/^$2://p"
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

# Every second: "<offset> <replication id> <pods seen>" into the state file while this redis-server
# is a replica whose link is up (its data set is its primary's), or a primary whose offset is
# not below the one recorded in another replication history (a primary started from its files
# begins a new history at offset 0: its record stays until the new history passes it).
record_state() {
  last=""
  while sleep 1; do
    info=$(timeout 3 redis-cli -p "$port" info replication 2>/dev/null | tr -d '\r') || continue
    recorded=$(cat "$state" 2>/dev/null) || recorded=""
    line=$(printf '%s\n' "$info" | awk -F: -v recorded="$recorded" '
      /^role:/ { role = $2 } /^master_link_status:/ { link = $2 }
      /^master_replid:/ { id = $2 } /^master_repl_offset:/ { offset = $2 }
      END {
        split(recorded, r, " ")
        if (role == "slave" && link == "up") print offset, id
        else if (role == "master" && (recorded == "" || r[2] == id || offset + 0 >= r[1] + 0)) print offset, id
      }')
    [ -n "$line" ] || continue
    pods=$(getent ahosts "$domain" | awk '{ print $1 }' | sort -u | wc -l)
    line="$line $pods"
    if [ "$line" != "$last" ] && printf '%s\n' "$line" >"$state.new" && mv "$state.new" "$state"; then
      last=$line
    fi
  done
}

# The election (see the header). Prints "host port" of the primary to follow ("$me $port": this pod).
elect() {
  offset=-1 expected=1
  if [ -r "$state" ]; then
    read -r offset _ expected <"$state" || true
  fi
  case $offset in '' | *[!0-9-]*) offset=-1 ;; esac
  case $expected in '' | *[!0-9]*) expected=1 ;; esac
  log "no Sentinel of another pod answered: electing the newest data set (mine: offset $offset; waiting for $expected pod(s))"
  {
    printf 'port %s\nprotected-mode no\ndir %s\nsave ""\nappendonly no\ndaemonize yes\n' "$port" "$run_dir"
    printf 'pidfile %s/election.pid\nlogfile ""\n' "$run_dir"
    awk '$1 == "bind"' "$conf_dir/redis.conf"
    if [ -n "$password" ]; then printf 'requirepass %s\n' "$(quote "$password")"; fi
  } >"$run_dir/election.conf"
  redis-server "$run_dir/election.conf" >/dev/null
  until timeout 2 redis-cli -p "$port" set "$election_key" "$offset $ordinal" >/dev/null 2>&1; do sleep 0.2; done
  deadline=$(($(date +%s) + 120))
  winner=""
  while [ -z "$winner" ]; do
    best_offset=$offset best_ordinal=$ordinal best=$me seen=1 leader=""
    n=$(getent ahosts "$domain" | awk '{ print $1 }' | sort -u | wc -l)
    [ "$n" -ge "$expected" ] || n=$expected
    k=0
    while [ "$k" -lt "$n" ]; do
      peer=${pod%-*}-$k.$domain
      k=$((k + 1))
      [ "$peer" != "$me" ] || continue
      vote=$(timeout 2 redis-cli -h "$peer" -p "$port" get "$election_key" 2>/dev/null) || continue
      if [ -z "$vote" ]; then
        # A real redis-server: a primary is followed at once; a replica counts as seen.
        role=$(timeout 2 redis-cli -h "$peer" -p "$port" role 2>/dev/null | head -n 1) || role=""
        case $role in
          master) leader=$peer ;;
          slave) seen=$((seen + 1)) ;;
        esac
        continue
      fi
      seen=$((seen + 1))
      vote_offset=${vote% *} vote_ordinal=${vote#* }
      if [ "$vote_offset" -gt "$best_offset" ] || { [ "$vote_offset" -eq "$best_offset" ] && [ "$vote_ordinal" -lt "$best_ordinal" ]; }; then
        best_offset=$vote_offset best_ordinal=$vote_ordinal best=$peer
      fi
    done
    if [ -n "$leader" ]; then
      log "$leader already serves as the primary: following it"
      winner=$leader
    elif [ "$seen" -ge "$expected" ] || [ "$(date +%s)" -ge "$deadline" ]; then
      log "$seen of $expected pod(s) seen: $best has the newest data set (offset $best_offset)"
      winner=$best
    else
      sleep 1
    fi
  done
  # A loser waits (at most 120 s more) until the winner serves as the real primary, so that it
  # never syncs from a throwaway server.
  if [ "$winner" != "$me" ]; then
    deadline=$(($(date +%s) + 120))
    until [ "$(timeout 2 redis-cli -h "$winner" -p "$port" role 2>/dev/null | head -n 1)" = master ] &&
      [ -z "$(timeout 2 redis-cli -h "$winner" -p "$port" get "$election_key" 2>/dev/null)" ]; do
      [ "$(date +%s)" -lt "$deadline" ] || break
      sleep 0.5
    done
  fi
  timeout 5 redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  while timeout 1 redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.2; done
  printf '%s %s\n' "$winner" "$port"
}

# "host port" of the primary to follow: the Sentinels' answer, else the election (with Sentinel)
# or ordinal 0 (replication without Sentinel).
find_primary() {
  if [ -n "$sentinel_port" ]; then
    found=$(sentinel_primary)
    if [ -n "$found" ]; then
      log "the Sentinels name the primary: $found"
      printf '%s\n' "$found"
      return 0
    fi
    elect
    return 0
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
  if [ -n "$sentinel_port" ]; then
    record_state </dev/null >/dev/null 2>&1 &
  fi
  exec redis-server "$conf" "$@"
}

# With no Sentinel answer, the Sentinel starts monitoring nothing (so that the pod gets Ready while
# its redis-server is in the election) and adopts, in the background, the primary its own
# redis-server serves as or follows once it is a real one.
adopt_primary() {
  while sleep 1; do
    [ -z "$(timeout 2 redis-cli -p "$port" get "$election_key" 2>/dev/null)" ] || continue
    role=$(timeout 2 redis-cli -p "$port" role 2>/dev/null | head -n 1) || continue
    case $role in
      master) host=$me ;;
      slave) host=$(info_field 127.0.0.1 master_host) ;;
      *) continue ;;
    esac
    [ -n "$host" ] || continue
    # Another Sentinel may have learnt the primary meanwhile: its answer comes first.
    found=$(sentinel_primary)
    if [ -n "$found" ]; then host=${found% *}; fi
    timeout 3 redis-cli -p "$sentinel_port" sentinel monitor "$master_set" "$host" "$port" "${REDIS_SENTINEL_QUORUM:?}" >/dev/null || continue
    if [ -n "$password" ]; then
      # -x: the password from stdin, not on a command line.
      printf '%s' "$password" | timeout 3 redis-cli -x -p "$sentinel_port" sentinel set "$master_set" auth-pass >/dev/null
    fi
    timeout 3 redis-cli -p "$sentinel_port" sentinel set "$master_set" down-after-milliseconds "${REDIS_SENTINEL_DOWN_AFTER_MS:?}" \
      failover-timeout "${REDIS_SENTINEL_FAILOVER_TIMEOUT_MS:?}" parallel-syncs 1 >/dev/null
    log "Sentinel monitors $host $port (adopted from its redis-server)"
    return 0
  done
}

start_sentinel() {
  primary=$(sentinel_primary)
  if [ -n "$primary" ]; then
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
  fi
  conf=$run_dir/sentinel.conf
  {
    printf 'port %s\ndir %s\nprotected-mode no\n' "$sentinel_port" "$run_dir"
    printf 'sentinel resolve-hostnames yes\nsentinel announce-hostnames yes\n'
    printf 'sentinel announce-ip %s\nsentinel announce-port %s\n' "$me" "$sentinel_port"
    if [ -n "$password" ]; then
      printf 'requirepass %s\n' "$(quote "$password")"
    fi
    if [ -n "$primary" ]; then
      printf 'sentinel monitor %s %s %s\n' "$master_set" "$primary" "${REDIS_SENTINEL_QUORUM:?}"
      if [ -n "$password" ]; then
        printf 'sentinel auth-pass %s %s\n' "$master_set" "$(quote "$password")"
      fi
      printf 'sentinel down-after-milliseconds %s %s\n' "$master_set" "${REDIS_SENTINEL_DOWN_AFTER_MS:?}"
      printf 'sentinel failover-timeout %s %s\n' "$master_set" "${REDIS_SENTINEL_FAILOVER_TIMEOUT_MS:?}"
      printf 'sentinel parallel-syncs %s 1\n' "$master_set"
    fi
  } >"$conf"
  if [ -n "$primary" ]; then
    log "the Sentinels name the primary: Sentinel monitors $primary"
  else
    log "no Sentinel of another pod answered: Sentinel starts without a primary and adopts its redis-server's"
    adopt_primary </dev/null &
  fi
  exec redis-server "$conf" --sentinel
}

# preStop of the redis container. If this pod is the primary, hand over without losing an
# acknowledged write (at most about 25 s, within the default terminationGracePeriodSeconds of 30):
# 1. CLIENT PAUSE WRITE (60 s; it is never lifted: redis-server stops under it): from now on this
#    pod acknowledges no write; clients' writes wait, then time out or fail over;
# 2. wait until every replica that is online has this pod's replication offset (at most 5 s);
# 3. SENTINEL FAILOVER, asked of the Sentinel of another pod (this pod's own Sentinel is stopping
#    too; a Sentinel that does not know a good replica yet answers NOGOODSLAVE, so ask again),
#    and wait until the Sentinels name another primary and the failover is over (the other
#    replicas follow it), at most 20 s.
# Never fails: the pod stops either way.
prestop() {
  if [ -z "$sentinel_port" ]; then exit 0; fi
  role=$(timeout 3 redis-cli -p "$port" role 2>/dev/null | head -n 1) || role=""
  if [ "$role" != master ]; then exit 0; fi
  # The throwaway server of the start-up election is no primary.
  if [ -n "$(timeout 3 redis-cli -p "$port" get "$election_key" 2>/dev/null)" ]; then exit 0; fi
  start=$(date +%s)
  reply=$(timeout 3 redis-cli -p "$port" client pause 60000 write 2>&1) || reply="no answer"
  log "CLIENT PAUSE 60000 WRITE: $reply"
  while :; do
    info=$(timeout 3 redis-cli -p "$port" info replication 2>/dev/null | tr -d '\r') || info=""
    target=$(printf '%s\n' "$info" | sed -n 's/^master_repl_offset://p')
    behind="" caught=0
    for replica in $(printf '%s\n' "$info" | sed -n 's/^slave[0-9]*:ip=\([^,]*\),port=\([0-9]*\),state=online.*/\1:\2/p'); do
      have=$(timeout 2 redis-cli -h "${replica%:*}" -p "${replica##*:}" info replication 2>/dev/null | tr -d '\r' | sed -n 's/^slave_repl_offset://p')
      if [ -n "$target" ] && [ -n "$have" ] && [ "$have" -ge "$target" ]; then
        caught=$((caught + 1))
      else
        behind="$behind ${replica%:*}(${have:-?})"
      fi
    done
    if [ "$caught" -gt 0 ] && [ -z "$behind" ]; then
      log "$caught replica(s) at offset $target after $(($(date +%s) - start)) s"
      break
    fi
    if [ $(($(date +%s) - start)) -ge 5 ]; then
      log "after 5 s, $caught replica(s) at offset ${target:-?}, behind:${behind:- none}; failing over anyway"
      break
    fi
    sleep 0.1
  done
  own=$(getent ahosts "$me" | awk '{ print $1 }' | sort -u) || own=""
  asked=""
  while [ $(($(date +%s) - start)) -lt 25 ]; do
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
    sleep 0.2
  done
  log "no other primary after 25 s; stopping anyway"
}

case $mode in
  redis) shift; start_redis "$@" ;;
  sentinel) start_sentinel ;;
  prestop) prestop ;;
  *) log "unknown mode (redis, sentinel or prestop)"; exit 2 ;;
esac
