#!/usr/bin/env bash
# Test bed (issue 16, point 5): what OpenVPN 2.6 does with a `remote` name that resolves to several
# addresses when the first is dead, and what a server's SIGTERM with explicit-exit-notify tells clients.
# Everything runs in network namespaces this script creates and removes (root needed; nothing is added
# to the root namespace). Usage: sudo scripts/pool/openvpn-name-failover.sh   (about 2 minutes)
# Prints one line per case: case, what happened, seconds from client start (or from the server's
# SIGTERM) to "Initialization Sequence Completed", and the server the client ended on.
set -euo pipefail
for c in openvpn ip openssl getent; do command -v "$c" >/dev/null || { echo "missing $c (apt-get install -y openvpn iproute2 openssl)"; exit 1; }; done
ID=$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')
C=of-c-$ID S1=of-s1-$ID S2=of-s2-$ID
DIR=$(mktemp -d /tmp/openvpn-name-failover.XXXXXX)
NAME=gw.pool.test
cleanup() {
  for ns in $C $S1 $S2; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "/etc/netns/$ns"
  done
  rm -rf "$DIR"
}
trap cleanup EXIT

# --- PKI (EC P-256; KU and EKU as remote-cert-tls checks them, as gateway/vpn/pki.ts issues them) ---
cd "$DIR"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -days 2 \
  -subj /CN=bed-ca -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign,cRLSign 2>/dev/null
for who in server client; do
  eku=$([ $who = server ] && echo serverAuth || echo clientAuth)
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $who.key -out $who.csr -subj /CN=$who 2>/dev/null
  printf 'keyUsage=digitalSignature\nextendedKeyUsage=%s\n' $eku >$who.ext
  openssl x509 -req -in $who.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out $who.crt -days 2 -extfile $who.ext 2>/dev/null
done
openvpn --genkey tls-crypt ta.key
chmod 600 ./*.key

# --- namespaces: the client has one link to each server (10.251.1.0/24 and 10.251.2.0/24) ---
for ns in $C $S1 $S2; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
for i in 1 2; do
  s=$([ $i = 1 ] && echo $S1 || echo $S2)
  ip link add "c$i-$ID" type veth peer name "s$i-$ID"
  ip link set "c$i-$ID" netns $C; ip link set "s$i-$ID" netns "$s"
  ip -n $C addr add 10.251.$i.2/24 dev "c$i-$ID"; ip -n "$s" addr add 10.251.$i.1/24 dev "s$i-$ID"
  ip -n $C link set "c$i-$ID" up; ip -n "$s" link set "s$i-$ID" up
done
mkdir -p /etc/netns/$C
printf '127.0.0.1 localhost\n10.251.1.1 %s\n10.251.2.1 %s\n' $NAME $NAME >/etc/netns/$C/hosts
echo 'nameserver 127.0.0.1' >/etc/netns/$C/resolv.conf

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

resolve_case() {
  printf 'multi %s\n' "$1" >/etc/netns/$C/host.conf
  echo "resolve (host.conf multi $1): $(ip netns exec $C getent ahostsv4 $NAME | awk '$2 == "STREAM" { print $1 }' | tr '\n' ' ')"
}

server() { # ns proto exit-notify
  local ns=$1 proto=$2 notify=$3
  {
    echo "dev tun0"; echo "topology subnet"; echo "server 10.8.0.0 255.255.255.0"
    echo "proto $([ "$proto" = tcp ] && echo tcp-server || echo udp)"; echo "port 1194"
    echo "ca $DIR/ca.crt"; echo "cert $DIR/server.crt"; echo "key $DIR/server.key"; echo "dh none"
    echo "tls-crypt $DIR/ta.key"; echo "keepalive 10 60"; echo "verb 3"
    [ "$notify" != 0 ] && [ "$proto" = udp ] && echo "explicit-exit-notify $notify"
  } >"$DIR/server-$ns.conf"
  ip netns exec "$ns" openvpn --config "$DIR/server-$ns.conf" >"$DIR/server-$ns.log" 2>&1 &
  echo $!
}

client() { # proto extra-lines...
  local proto=$1; shift
  {
    echo "client"; echo "dev tun0"; echo "proto $([ "$proto" = tcp ] && echo tcp-client || echo udp)"
    for r in ${REMOTES:-$NAME}; do echo "remote $r 1194"; done; echo "nobind"; echo "connect-retry 1 1"; echo "remote-cert-tls server"
    echo "verify-x509-name server name"; echo "verb 3"
    for line in "$@"; do echo "$line"; done
    echo "ca $DIR/ca.crt"; echo "cert $DIR/client.crt"; echo "key $DIR/client.key"; echo "tls-crypt $DIR/ta.key"
  } >"$DIR/client.conf"
  : >"$DIR/client.log"
  ip netns exec $C openvpn --config "$DIR/client.conf" >"$DIR/client.log" 2>&1 &
  echo $!
}

# Waits for the n-th "Initialization Sequence Completed"; prints the server it reached, or "none".
wait_up() { # count timeout-seconds
  local end=$(( $(date +%s) + $2 ))
  while [ "$(date +%s)" -le $end ]; do
    if [ "$(grep -c 'Initialization Sequence Completed' "$DIR/client.log")" -ge "$1" ]; then
      grep -oE 'Peer Connection Initiated with \[AF_INET\]10\.251\.[12]\.1' "$DIR/client.log" | tail -1 | grep -oE '10\.251\.[12]\.1'
      return
    fi
    sleep 0.05
  done
  echo none
}

# Waits until each process is gone (they are not this shell's children: `wait` would return at once).
stop() { for pid in "$@"; do kill "$pid" 2>/dev/null || true; while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done; done; }

silence_s1() { # packets to 10.251.1.1 still reach S1's link, which drops them (no ICMP answer): a dead host
  ip -n $S1 addr del 10.251.1.1/24 dev "s1-$ID"
  ip -n $C neigh replace 10.251.1.1 lladdr "$(ip -n $S1 -j link show "s1-$ID" | grep -oE '"address":"[0-9a-f:]+"' | head -1 | cut -d'"' -f4)" dev "c1-$ID" nud permanent
}
revive_s1() { ip -n $C neigh del 10.251.1.1 dev "c1-$ID" 2>/dev/null || true; ip -n $S1 addr add 10.251.1.1/24 dev "s1-$ID"; }

dead_first() { # label proto how(refused|silent) timeout extra-client-lines...
  local label=$1 proto=$2 how=$3 limit=$4; shift 4
  [ "$how" = silent ] && silence_s1
  local s2; s2=$(server $S2 "$proto" 0); sleep 1
  local t0; t0=$(now); local c; c=$(client "$proto" "$@")
  local got; got=$(wait_up 1 "$limit")
  echo "$label: first address dead ($how), $proto: connected to ${got} after $(since "$t0") s"
  grep -E 'TCP/UDP: Preserving|Attempting to establish|TLS key negotiation failed|Connection timed out|Connection refused|SIGUSR1|Server poll timeout' "$DIR/client.log" | sed 's/^/    /' | head -8
  stop "$c" "$s2"; [ "$how" = silent ] && revive_s1; sleep 0.5
}

# CASES picks cases (default: all): resolve A..F (dead first address), G..L (a server's SIGTERM).
CASES=" ${CASES:-resolve A B C D E F G H I J K L} "
has() { [[ "$CASES" == *" $1 "* ]]; }
if has resolve; then resolve_case off; resolve_case on; fi
has A && dead_first A udp refused 150
has B && dead_first B udp silent 150
has C && dead_first C udp silent 60 'server-poll-timeout 5'
has D && dead_first D tcp refused 60
has E && dead_first E tcp silent 150
has F && dead_first F tcp silent 60 'server-poll-timeout 5'
exit_notify() { # label notify extra-client-lines...
  local label=$1 notify=$2; shift 2
  local s1 s2 c; s1=$(server $S1 udp "$notify"); s2=$(server $S2 udp "$notify"); sleep 1
  c=$(client udp "$@")
  local first; first=$(wait_up 1 30)
  local t0 victim; t0=$(now); victim=$([ "$first" = 10.251.1.1 ] && echo "$s1" || echo "$s2")
  kill "$victim"
  local got; got=$(wait_up 2 150)
  while kill -0 "$victim" 2>/dev/null; do sleep 0.05; done
  echo "    (the server exited $(since "$t0") s after its SIGTERM)"
  echo "$label: UDP, remotes ${REMOTES:-$NAME}, explicit-exit-notify $notify on the server, client lines [$*], SIGTERM to the server the client was on ($first): back on ${got} after $(since "$t0") s"
  grep -E 'SIGUSR1|Preserving|Server poll' "$DIR/client.log" | sed 's/^/    /' | head -6
  stop "$c" "$s1" "$s2"; sleep 0.5
}
has G && exit_notify G 1
has H && exit_notify H 2
has I && exit_notify I 1 'server-poll-timeout 5'
has J && exit_notify J 2 'server-poll-timeout 5'
has K && REMOTES="10.251.1.1 10.251.2.1" exit_notify K 1 'server-poll-timeout 5'
has L && REMOTES="10.251.1.1 10.251.2.1" exit_notify L 2 'server-poll-timeout 5'
true
