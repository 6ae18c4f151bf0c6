#!/bin/sh
# Written against the legacy library: the shim turns these calls into agent commands.
set -eu
. /usr/local/lib/demiurge-functions.sh
. /usr/local/lib/demiurge-oauth2-login.sh
vpn_loop &
map_http_service pgadmin4 5050 &
# pgAdmin signs users in through the gateway (OpenID Connect) when the image asks for it (oauth2-login.sh).
configure_oauth2_login
if [ -f /pgadmin4/config_local.py ]; then chown pgadmin /pgadmin4/config_local.py; fi
exec su-exec pgadmin /entrypoint.sh
