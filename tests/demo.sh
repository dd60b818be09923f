#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# make demo: lbd as an LVS-DR director between a real client and real web
# servers, in a lab of network namespaces (tests/lab/lab.sh, docs/lab.md).
# usage: tests/demo.sh [BUILD_DIR]     (as root)
set -euo pipefail
build_arg=${1:-build}
build=$build_arg
here=$(cd "$(dirname "$0")" && pwd)
lab=$here/lab/lab.sh
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null; then exec sudo "$0" "$@"; fi
	echo "demo: needs root (network namespaces)" >&2
	exit 1
fi
build=$(cd "$build" && pwd)
export LAB=lbl LAB_RUN=/run/lbl
export LBD_SOCKET=$LAB_RUN/lbd.sock
VIP=10.77.0.100

lbadm() { "$build/lbadm" "$@"; }
cli() { "$lab" exec cli "$@"; }
say() { printf '%s\n' "$@"; }
step() { printf '\n== %s\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@" | sed 's/^/  /'; }

downloads=()
cleanup() {
	local pid
	for pid in "${downloads[@]}"; do kill "$pid" 2>/dev/null || true; done
	"$lab" down >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step "1. The lab"
say "One Ethernet segment (a Linux bridge), four network namespaces on it:" \
    "  client  10.77.0.10" \
    "  lbd     10.77.0.2, and the virtual IP (VIP) $VIP:80" \
    "  rs1     10.77.0.11  nginx, weight 2" \
    "  rs2     10.77.0.12  nginx, weight 1" \
    "lbd runs on DPDK's net_af_packet device, bound to its own veth: the kernel" \
    "never sees its traffic, lbd answers ARP and forwards by itself."
"$lab" up "$build" "$here/lab/lbd.conf"

step "2. Who owns the VIP?"
say "Every real server holds the VIP on its loopback, so that it accepts packets" \
    "sent to it, but keeps quiet about it on the wire (arp_ignore=1, arp_announce=2):"
show ip -n lbl-rs1 -br addr show lo
say "So when the client asks who has $VIP, only lbd answers, with its own MAC:"
cli ping -c 1 -W 2 $VIP >/dev/null
show ip -n lbl-cli neigh show $VIP

step "3. Ten requests to the VIP"
say "Each is a new TCP connection: lbd picks a server (wrr, 2:1), rewrites the" \
    "frame's destination MAC to that server's and sends it on, unchanged above" \
    "Ethernet. The server sees the packet addressed to the VIP, from the client."
for i in $(seq 1 10); do
	out=$(cli curl -s -m 5 -D - -o /dev/null -w '%{http_code}' http://$VIP/ | tr -d '\r')
	srv=$(sed -n 's/^X-Server: //p' <<<"$out")
	seen=$(sed -n 's/^X-Client: //p' <<<"$out")
	printf '  request %2d: answered by %s, which saw the client as %s\n' "$i" "$srv" "$seen"
done

step "4. Direct return"
say "The answers went from the servers straight to the client: lbd saw only the" \
    "client's half of each connection. InPkts counts it, OutPkts stays 0:"
show lbadm -Ln --stats

step "5. Live connections"
say "Two slow downloads (4 MiB at 512 KiB/s each), left running:"
for i in 1 2; do
	cli curl -s -m 60 -o /dev/null \
		-w "  download $i: %{http_code}, %{size_download} bytes from %header{x-server}\n" \
		http://$VIP/slow/blob &
	downloads+=($!)
done
sleep 1
say "lbd tracks every connection with the TCP state machine IPVS uses for DR" \
    "(it sees one direction only). ActiveConn counts open and half-open ones; the finished" \
    "requests of step 3 are InActConn, in FIN_WAIT until their timeout:"
show lbadm -Ln
show lbadm -lnc

step "6. Draining a server"
say "Weight 0 (as ipvsadm -e ... -w 0): rs1 gets no new connection, but the" \
    "connections it has keep going to it, so nothing is cut."
show lbadm -e -t $VIP:80 -r 10.77.0.11 -w 0
for i in 1 2 3 4; do
	printf '  request %d: %s' "$i" "$(cli curl -s -m 5 http://$VIP/)"
	echo
done
say "rs1: weight 0, yet its download is still an active connection:"
show lbadm -Ln
say "The downloads finish where they started:"
for pid in "${downloads[@]}"; do wait "$pid" || echo "  a download failed (curl exit $?)"; done
downloads=()
show lbadm -e -t $VIP:80 -r 10.77.0.11 -w 2

step "7. What lbd's worker did with every frame it received"
say "Forwarded to a server, replied to itself (ARP, ping), handed to the" \
    "control plane (ARP replies for its neighbour table), or dropped for a named reason:"
printf '$ lbadm --counters   (the lines that are not zero)\n'
lbadm --counters | awk 'NR == 1 || $NF != 0' | sed 's/^/  /'

step "8. Teardown"
"$lab" down
say "lbd stopped on SIGINT; its last words:"
grep -E 'counter (rx|fwd|reply|to_control) ' "$LAB_RUN/lbd.log" | sed 's/^USER1: /  /'
say "" "The lab: docs/lab.md. Raise it by hand: tests/lab/lab.sh up $build_arg"
