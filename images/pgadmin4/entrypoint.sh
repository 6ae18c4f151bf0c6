#!/bin/sh
# Written against the legacy library: the shim turns these calls into agent commands.
set -eu
. /usr/local/lib/demiurge-functions.sh
vpn_loop &
map_http_service pgadmin4 5050 &
exec su-exec pgadmin /entrypoint.sh
