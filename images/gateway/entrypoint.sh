#!/bin/sh
# The image's production default: no embedded store. REDIS_URL must name the shared Redis.
set -eu
if [ -z "${REDIS_URL:-}" ]; then
  echo "gateway: REDIS_URL must be set to a redis:// or rediss:// URL (the image runs no embedded store)" >&2
  exit 2
fi
exec "$@"
