#!/bin/sh
# As the official haproxy image's entrypoint: options alone mean haproxy with them, and haproxy
# runs master-worker (-W) in the foreground (-db).
set -e
if [ "${1#-}" != "$1" ]; then
  set -- haproxy "$@"
fi
if [ "$1" = haproxy ]; then
  shift
  set -- haproxy -W -db "$@"
fi
exec "$@"
