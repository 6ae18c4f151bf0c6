#!/bin/sh
# The agent (root: OpenVPN needs NET_ADMIN) registers n8n; n8n runs as the image's node user.
set -eu
/usr/local/bin/demiurge-agent run --service n8n:5678:primary:project &
exec su-exec node /docker-entrypoint.sh
