# shellcheck shell=sh
# oauth2-login.sh: pgAdmin's login through the gateway's OpenID Connect provider, sourced by the entrypoint.
# configure_oauth2_login: when DEMIURGE_OIDC_REDIRECT_PATHS is set (the Dockerfile bakes the registry's
# paths; empty turns it off), registers the pgadmin4 service as a client with the agent, tried every 5 s
# while the VPN comes up, at most DEMIURGE_OIDC_TRIES times (60: 5 minutes), and writes pgAdmin's OAUTH2
# settings to PGADMIN_CONFIG_LOCAL (mode 600). The client's secret goes from the agent's stdout into that
# file only. Without a client (or a config), pgAdmin keeps its own login, and a line on stderr says so.
# Always returns 0: pgAdmin starts either way.
configure_oauth2_login() {
  [ -n "${DEMIURGE_OIDC_REDIRECT_PATHS:-}" ] || return 0
  config="${PGADMIN_CONFIG_LOCAL:-/pgadmin4/config_local.py}"
  writer="${DEMIURGE_OAUTH2_WRITER:-/usr/local/lib/pgadmin-oauth2-config.py}"
  client_json=$(mktemp)
  tries=0
  # shellcheck disable=SC2086 # the paths are separate words on purpose
  until (umask 077 && "$DEMIURGE_AGENT" oidc-client pgadmin4 5050 $DEMIURGE_OIDC_REDIRECT_PATHS > "$client_json"); do
    tries=$((tries + 1))
    if [ "$tries" -ge "${DEMIURGE_OIDC_TRIES:-60}" ]; then
      echo "demiurge: no OpenID Connect client from the gateway; pgAdmin keeps its own login" >&2
      rm -f "$client_json"
      return 0
    fi
    sleep 5
  done
  status=0
  (umask 077 && python3 "$writer" < "$client_json" > "$config") || status=$?
  rm -f "$client_json"
  if [ "$status" -ne 0 ]; then
    rm -f "$config" # never a half-written configuration
    echo "demiurge: pgAdmin's OAUTH2 configuration could not be written; pgAdmin keeps its own login" >&2
  fi
  return 0
}
