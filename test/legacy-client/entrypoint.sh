#!/bin/sh
# A legacy image's entrypoint (the ubuntu terminal image's, with its service made configurable so tests can
# point it at their own small server): source the library, register the service in the background, run
# the VPN loop in the foreground. Needs SETTINGS; SERVICE_NAME and SERVICE_PORT default to terminal/7681.
# The files (keys, vpn-credentials) land in the working directory: /tmp, private to the container.
. "$(dirname "$0")/demiurge-functions.sh"

cd /tmp || exit 1
extract_settings
map_http_service "${SERVICE_NAME:-terminal}" "${SERVICE_PORT:-7681}" &
vpn_loop
