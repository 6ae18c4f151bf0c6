# shellcheck shell=sh
# demiurge-functions.sh: the LEGACY container bootstrap, rewritten from docs/legacy-protocol.md.
#
# This is the compatibility reference the end-to-end tests run against the gateway. It must behave on the
# wire exactly like the library that existing images source, defects included (no TLS verification, no
# back-off, JSON built by string concatenation, no timeout on the vpn-config fetch or the watchdog).
# Do not "fix" it: the gateway has to serve it unchanged.
#
# API (after `. demiurge-functions.sh`):
#   extract_settings              decode $SETTINGS (base64 JSON) into user_id, frontend_fqdn, ganymede_fqdn,
#                                 gateway_fqdn, token, project_id, user_container_id, vpn_secret
#   vpn_loop                      forever: fetch https://$gateway_fqdn/collab/vpn-config, write the files in the
#                                 current directory, run openvpn in the background, watch it with ping
#   map_http_service NAME PORT    forever: register the service every 15 s (run it with `&`)
#   watchdog                      one watchdog event with `system` built from uptime/lscpu/free/df/ping/lspci
#
# The only deviations from the legacy text, none visible on the wire:
#   - JSON is piped to jq with `printf '%s\n'` instead of `echo`: dash's echo expands the `\n` escapes
#     inside the PEM strings (bash's does not), which would make the JSON unparsable under /bin/sh.
#   - The intervals can be shortened by env vars for fast tests; the defaults are the legacy values:
#     LEGACY_SLEEP (15, after a watchdog), LEGACY_RETRY_SLEEP (10, after an empty vpn-config body),
#     LEGACY_SERVICE_SLEEP (15, between service registrations).
# A missing command (pciutils is often absent) yields an empty string, as the legacy shell did.

LEGACY_SLEEP="${LEGACY_SLEEP:-15}"
LEGACY_RETRY_SLEEP="${LEGACY_RETRY_SLEEP:-10}"
LEGACY_SERVICE_SLEEP="${LEGACY_SERVICE_SLEEP:-15}"

extract_settings() {
  user_id=$(echo "$SETTINGS" | base64 -d | jq -r '.user_id // empty')
  frontend_fqdn=$(echo "$SETTINGS" | base64 -d | jq -r '.frontend_fqdn // empty')
  ganymede_fqdn=$(echo "$SETTINGS" | base64 -d | jq -r '.ganymede_fqdn // empty')
  gateway_fqdn=$(echo "$SETTINGS" | base64 -d | jq -r '.gateway_fqdn // empty')
  token=$(echo "$SETTINGS" | base64 -d | jq -r '.token // empty')
  project_id=$(echo "$SETTINGS" | base64 -d | jq -r '.project_id // empty')
  user_container_id=$(echo "$SETTINGS" | base64 -d | jq -r '.user_container_id // empty')
  vpn_secret=$(echo "$SETTINGS" | base64 -d | jq -r '.vpn_secret // empty')
}

vpn_loop() {
  while true; do
    vpn_config=$(curl -k -X GET -H "Authorization: $token" "https://$gateway_fqdn/collab/vpn-config")
    if [ -z "$vpn_config" ]; then
      echo "Gateway Down ?"
      sleep "$LEGACY_RETRY_SLEEP"
      continue
    fi

    for certificate in $(printf '%s\n' "$vpn_config" | jq -r '.certificates | keys[]'); do
      printf '%s\n' "$vpn_config" | jq -r --arg name "$certificate" '.certificates[$name]' > "$certificate"
    done

    gateway_host=${gateway_fqdn%%:*}
    printf '%s\n' "$vpn_config" | jq -r '.config' | sed "s/GATEWAY_FQDN/$gateway_host/g" > client.ovpn

    vpn_password=${vpn_secret:-$token}
    if [ -n "$vpn_password" ]; then
      printf '%s\n%s\n' "$user_container_id" "$vpn_password" > vpn-credentials
      echo "auth-user-pass $(pwd)/vpn-credentials" >> client.ovpn
      echo "auth-nocache" >> client.ovpn
    fi

    openvpn --config client.ovpn &

    # `ping -c 3` with no answer lingers ~10 s after its third packet: a tunnel that is not up by then
    # gets killed and the config fetched again (about 12 s per failed attempt).
    while true; do
      if ! pgrep openvpn > /dev/null || ! ping -c 3 172.16.0.1 > /dev/null; then
        pkill openvpn
        break
      fi
      watchdog
      sleep "$LEGACY_SLEEP"
    done
  done
}

map_http_service() {
  while true; do
    curl --max-time 2 -X POST -H "Authorization: $token" -H "Content-Type: application/json" \
      -d '{"event":{"type":"user-container:map-http-service","port":'"$2"',"name":"'"$1"'"},"project_id":"'"$project_id"'"}' \
      http://172.16.0.1/collab/event
    sleep "$LEGACY_SERVICE_SLEEP"
  done
}

watchdog() {
  cpu_usage=$(uptime | awk -F 'load average: ' '{print $2}')
  cpu_count=$(lscpu | grep '^CPU(s):' | awk '{print $2}')
  cpu_threads_per_core=$(lscpu | grep '^Thread(s) per core:' | awk '{print $4}')
  cpu_model=$(lscpu | grep '^Model name:' | sed 's/^Model name: *//')
  memory_free=$(free -m | awk '/^Mem:/ {print $4}')
  memory_total=$(free -m | awk '/^Mem:/ {print $2}')
  disk_size=$(df -h / | awk 'NR == 2 {print $2}')
  disk_usage=$(df -h / | awk 'NR == 2 {printf "%.2f%%", $5}')
  ping_time=$(ping -c 3 172.16.0.1 | tail -1 | awk '{print $4 " " $5}')
  graphic_cards=$(lspci | grep -Ei 'vga|3d')

  system='{"cpu":{"usage":"'"$cpu_usage"'","count":"'"$cpu_count"'","threads_per_core":"'"$cpu_threads_per_core"'","model":"'"$cpu_model"'"},"memory":{"free":'"$memory_free"',"total":'"$memory_total"'},"disk":{"size":"'"$disk_size"'","usage":"'"$disk_usage"'"},"network":{"ping_time":"'"$ping_time"'"},"graphic":{"cards":"'"$graphic_cards"'"}}'

  curl -X POST -H "Authorization: $token" -H "Content-Type: application/json" \
    -d '{"event":{"type":"user-container:watchdog","system":'"$system"'},"project_id":"'"$project_id"'"}' \
    http://172.16.0.1/collab/event
}
