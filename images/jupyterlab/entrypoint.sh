#!/bin/sh
# The agent (root: OpenVPN needs NET_ADMIN) registers JupyterLab; Jupyter runs as jovyan.
# Jupyter's own token is off: the gateway authenticates every browser (access level "project").
set -eu
/usr/local/bin/demiurge-agent run --service jupyterlab:8888:primary:project &
exec setpriv --reuid=jovyan --regid=jovyan --init-groups --reset-env \
  jupyter lab --ip=0.0.0.0 --port=8888 --no-browser \
  --ServerApp.token= --ServerApp.password= --ServerApp.trust_xheaders=True --ServerApp.allow_remote_access=True
