#!/bin/sh
# The writer of the lost-writes checker (tests/real_pods/faults.sh): runs in a pod of the redis
# image, finds the primary as a Sentinel-aware client does, and writes unique keys until the file
# /tmp/stop exists. Each write is SET <run>:<i> <i> then WAIT 1 <ms> on ONE connection, so the
# WAIT counts the replicas that have this very SET. One line per write on stdout:
#
#   <unix time of the reply, ns> <i> <host> <reply to SET> <reply to WAIT>
#
# (replies with spaces squeezed; a timeout or a refused connection leaves them empty or error
# text). After every reply that is not OK, the primary is looked up again: the first Sentinel
# that answers names it, and it must say ROLE master (the Redis client guidelines).
# Env: RUN (key prefix), SENTINELS (host names), REDIS_PORT, SENTINEL_PORT, MASTER_SET,
# WAIT_MS, REDISCLI_AUTH (the password, read by redis-cli).
set -u
host=""

discover() {
	host=""
	for s in $SENTINELS; do
		h=$(timeout 1 redis-cli --no-auth-warning -h "$s" -p "$SENTINEL_PORT" sentinel get-master-addr-by-name "$MASTER_SET" 2>/dev/null | head -n 1)
		[ -n "$h" ] || continue
		role=$(timeout 1 redis-cli --no-auth-warning -h "$h" -p "$REDIS_PORT" role 2>/dev/null | head -n 1)
		if [ "$role" = master ]; then
			host=$h
			echo "# $(date +%s%N) primary $h (Sentinel $s)"
			return 0
		fi
	done
	echo "# $(date +%s%N) no primary"
	sleep 0.1
}

i=0
while [ ! -e /tmp/stop ]; do
	[ -n "$host" ] || discover
	[ -n "$host" ] || continue
	i=$((i + 1))
	out=$(printf 'SET %s:%s %s\nWAIT 1 %s\n' "$RUN" "$i" "$i" "$WAIT_MS" |
		timeout 2 redis-cli --no-auth-warning -h "$host" -p "$REDIS_PORT" 2>&1 | tr -s ' \n' '  ')
	echo "$(date +%s%N) $i $host $out"
	case $out in OK\ *) ;; *) host="" ;; esac
done
echo "# $(date +%s%N) stopped after $i writes"
sleep 100000
