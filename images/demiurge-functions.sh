# shellcheck shell=sh
# demiurge-functions.sh: the legacy bootstrap library's function names, implemented by the agent.
# Entrypoints written for the legacy library source this file and run unchanged:
#   . /usr/local/lib/demiurge-functions.sh
#   vpn_loop &
#   map_http_service terminal 7681 &
# POSIX sh only (dash, busybox ash). The agent does the work: verified TLS, back-off, typed stats.

DEMIURGE_AGENT="${DEMIURGE_AGENT:-/usr/local/bin/demiurge-agent}"

# extract_settings FIELD: prints one SETTINGS field.
# extract_settings: sets USER_ID FRONTEND_FQDN GANYMEDE_FQDN GATEWAY_FQDN TOKEN PROJECT_ID
# USER_CONTAINER_ID VPN_SECRET from SETTINGS. Bad SETTINGS: one line on stderr, status 2.
extract_settings() {
  if [ "$#" -gt 0 ]; then
    "$DEMIURGE_AGENT" settings "$1"
    return
  fi
  USER_ID=$("$DEMIURGE_AGENT" settings user_id) || return
  FRONTEND_FQDN=$("$DEMIURGE_AGENT" settings frontend_fqdn) || return
  GANYMEDE_FQDN=$("$DEMIURGE_AGENT" settings ganymede_fqdn) || return
  GATEWAY_FQDN=$("$DEMIURGE_AGENT" settings gateway_fqdn) || return
  TOKEN=$("$DEMIURGE_AGENT" settings token) || return
  PROJECT_ID=$("$DEMIURGE_AGENT" settings project_id) || return
  USER_CONTAINER_ID=$("$DEMIURGE_AGENT" settings user_container_id) || return
  VPN_SECRET=$("$DEMIURGE_AGENT" settings vpn_secret) || return
  export USER_ID FRONTEND_FQDN GANYMEDE_FQDN GATEWAY_FQDN TOKEN PROJECT_ID USER_CONTAINER_ID VPN_SECRET
}

# vpn_loop: keeps the VPN up and sends the watchdog every 15 s, forever (the agent's `vpn-loop`).
vpn_loop() {
  "$DEMIURGE_AGENT" vpn-loop
}

# map_http_service NAME PORT: registers the service now and every 15 s, forever, like the legacy
# function (also while the VPN is down: a failed registration is retried at the next round).
map_http_service() {
  if [ "$#" -ne 2 ]; then
    echo "usage: map_http_service NAME PORT" >&2
    return 2
  fi
  while :; do
    # `|| status=$?` keeps a failed round from ending the loop under the caller's `set -e`.
    status=0
    "$DEMIURGE_AGENT" map "$1" "$2" || status=$?
    if [ "$status" -eq 2 ]; then return 2; fi # bad name, port or settings: retrying cannot help
    sleep "${DEMIURGE_MAP_INTERVAL:-15}"
  done
}

# watchdog: sends one watchdog with the container's stats.
watchdog() {
  "$DEMIURGE_AGENT" watchdog
}
