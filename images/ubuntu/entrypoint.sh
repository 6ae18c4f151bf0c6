#!/bin/sh
# The agent keeps the VPN up, registers the terminal and sends the watchdog; ttyd serves the terminal.
set -eu
/usr/local/bin/demiurge-agent run --service terminal:7681:primary:project &
exec ttyd --port 7681 --writable bash -l
