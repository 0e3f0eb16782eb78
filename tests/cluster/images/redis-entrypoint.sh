#!/bin/sh
# Entrypoint of the local Redis image (ours), with the behaviour of the official redis image's
# docker-entrypoint.sh that this collection's README relies on: options as first argument mean
# redis-server; started as root, it chowns what in its working directory (/data) is not owned
# by redis (uid 999) and then drops to redis; protected mode is off, as in the official image.
set -e
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
	set -- redis-server "$@"
fi
if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
	find . \! -user redis -exec chown redis '{}' +
	exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi
if [ "$(umask)" = 0022 ]; then
	umask 0077
fi
case "$1 $*" in
redis-server*--protected-mode*) ;;
redis-server*) set -- "$@" --protected-mode no ;;
esac
exec "$@"
