#!/usr/bin/env bash
# Installs the Debian packages the tests need, only when something is missing (idempotent).
# Used by .ci/run and by `npm test` (pretest). Needs root for apt-get; otherwise says what to install.
set -euo pipefail
# command -> package
declare -A NEED=(
  [redis-server]=redis-server [redis-sentinel]=redis-sentinel [redis-cli]=redis-tools [openvpn]=openvpn
  [ip]=iproute2 [chromium]=chromium [jq]=jq [curl]=curl
  [haproxy]=haproxy [ping]=iputils-ping [pgrep]=procps [unshare]=util-linux [openssl]=openssl
  [nft]=nftables [nginx]=nginx-light [caddy]=caddy [docker-compose]=docker-compose
)
missing=()
for cmd in "${!NEED[@]}"; do command -v "$cmd" >/dev/null 2>&1 || missing+=("${NEED[$cmd]}"); done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing system packages: ${missing[*]} -- install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing system packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
