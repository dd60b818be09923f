#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The LVS-DR lab: lbd, a client and real servers in network namespaces on one
# Ethernet segment (a Linux bridge). docs/lab.md draws it and shows how to use it.
#
# usage: tests/lab/lab.sh up BUILD_DIR [CONF]   raise the lab and start lbd
#        tests/lab/lab.sh down                  stop everything, remove everything
#        tests/lab/lab.sh exec NODE CMD...      run CMD in NODE's namespace
#                                               (NODE: cli, lb, sw, rs1, rs2, ...)
#        tests/lab/lab.sh status                what is up
#        tests/lab/lab.sh start BUILD_DIR [CONF] start lbd in a lab that is up
#        tests/lab/lab.sh stop [SIGNAL]         stop lbd (default INT), wait for it
#
# CONF is an lbd configuration in which @RUN@ stands for the lab's run folder
# (default: tests/lab/lbd.conf). Environment:
#   LAB          name prefix of the namespaces and interfaces (default lbl)
#   LAB_RUN      the run folder: configuration, logs, pid files, lbd's socket
#                (default /run/$LAB)
#   LAB_SERVERS  number of real servers, 1..9 (default 2)
#   LAB_LBD      0: `up` raises the network only; `start` runs lbd (default 1)
#   LAB_LB_DROP  1: the kernel of lbd's namespace never receives what arrives
#                on lbd's veth (a tc ingress drop; AF_PACKET still gets it), for
#                a configuration that gives that kernel an interface of its own
#                (default 0)
#   LAB_LB_QPAIRS  queue pairs of lbd's net_af_packet port (default 1; a port
#                with a host interface needs one besides the worker's: 2)
#   LAB_DIRECTORS  N > 0: the routed topology of the scale-out lab instead
#                (docs/scale-out.md): no lb node but N director nodes d1..dN
#                on the segment (their veths dropped at tc ingress, as with
#                LAB_LB_DROP=1, and nothing else: tests/lab/ecmp.py starts
#                lbd and BIRD in them); a router node r on the segment
#                ($NET.1) with the client behind it on 10.78.0.0/24; the real
#                servers' default route is the router. lbd is not started
#                here (LAB_LBD is ignored). Default 0.
#   LAB_VIP      the VIP the real servers hold on lo (default 10.77.0.100)
#
# Everything stays inside the lab's namespaces: nothing is added to the host's
# own network namespace, and `down` removes exactly what `up` made.
set -euo pipefail

LAB=${LAB:-lbl}
RUN=${LAB_RUN:-/run/$LAB}
N_RS=${LAB_SERVERS:-2}
START_LBD=${LAB_LBD:-1}
LB_DROP=${LAB_LB_DROP:-0}
LB_QPAIRS=${LAB_LB_QPAIRS:-1}
N_DIR=${LAB_DIRECTORS:-0}
here=$(cd "$(dirname "$0")" && pwd)

# The segment 10.77.0.0/24: every address and MAC of the lab.
NET=10.77.0
VIP=${LAB_VIP:-$NET.100}
LB_IP=$NET.2
LB_MAC=02:77:00:00:00:02
CLI_IP=$NET.10
CLI_MAC=02:77:00:00:00:0a
# The routed topology: the router on the segment, the client behind it.
R_IP=$NET.1
R_MAC=02:77:00:00:00:01
EDGE=10.78.0
dir_mac() { printf '02:77:00:00:00:%02x' $((20 + $1)); }
rs_ip() { echo "$NET.$((10 + $1))"; }
rs_mac() { printf '02:77:00:00:00:%02x' $((10 + $1)); }

ns() { echo "$LAB-$1"; }		# namespace of a node
nsx() { local n; n=$(ns "$1"); shift; ip netns exec "$n" "$@"; }

log() { echo "lab: $*"; }
has_ns() { ip netns list | awk '{print $1}' | grep -qx -- "$1"; }
die() { echo "lab: $*" >&2; exit 1; }

nodes() {
	local i
	if ((N_DIR > 0)); then
		echo sw r cli
		for ((i = 1; i <= N_DIR; i++)); do echo "d$i"; done
	else
		echo sw lb cli
	fi
	for ((i = 1; i <= N_RS; i++)); do echo "rs$i"; done
}

# A veth's kernel copy of what arrives goes (lbd's AF_PACKET socket still gets
# it): see LAB_LB_DROP in up.
tc_drop() {
	nsx "$1" tc qdisc add dev "$2" clsact
	nsx "$1" tc filter add dev "$2" ingress bpf da bytecode '1,6 0 0 2,'
}

# The router: on the segment as $R_IP, forwarding, spreading flows over equal
# next hops by their 5-tuple; the client on a link of its own behind it.
router() {
	local rdev="$LAB-r-cli"
	plug r "$R_MAC"
	ip -n "$(ns r)" addr add "$R_IP/24" dev "$LAB-r"
	nsx r sysctl -qw net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=1
	ip -n "$(ns r)" link add "$rdev" type veth peer name "$LAB-cli" netns "$(ns cli)"
	nsx r ethtool -K "$rdev" tx off tso off gso off gro off >/dev/null
	nsx cli ethtool -K "$LAB-cli" tx off tso off gso off gro off >/dev/null
	nsx cli ip link set "$LAB-cli" address "$CLI_MAC"
	ip -n "$(ns r)" addr add "$EDGE.1/24" dev "$rdev"
	ip -n "$(ns cli)" addr add "$EDGE.10/24" dev "$LAB-cli"
	ip -n "$(ns r)" link set "$rdev" up
	ip -n "$(ns cli)" link set "$LAB-cli" up
	ip -n "$(ns cli)" route add default via "$EDGE.1"
}

# A veth pair from the bridge to NODE: NODE's end is named $LAB-NODE, the
# bridge's end $LAB-NODE-b. No offloads on either end: frames that go through
# lbd must leave the kernel complete (checksummed, not coalesced by GRO, not
# waiting for segmentation), because lbd forwards them as they are.
plug() {
	local node=$1 mac=$2 dev="$LAB-$1" br="$LAB-$1-b"
	ip -n "$(ns sw)" link add "$br" type veth peer name "$dev" netns "$(ns "$node")"
	nsx "$node" ip link set "$dev" address "$mac"
	nsx sw ethtool -K "$br" tx off tso off gso off gro off >/dev/null
	nsx "$node" ethtool -K "$dev" tx off tso off gso off gro off >/dev/null
	ip -n "$(ns sw)" link set "$br" master "$LAB-br" up
	ip -n "$(ns "$node")" link set "$dev" up
}

quiet_ns() {
	# IPv4 only: no IPv6 link-local chatter on the segment.
	nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$(ns "$1")" link set lo up
}

real_server() {
	local i=$1 node="rs$1" ip mac dev="$LAB-rs$1" www="$RUN/rs$1"
	ip=$(rs_ip "$i")
	mac=$(rs_mac "$i")
	plug "$node" "$mac"
	ip -n "$(ns "$node")" addr add "$ip/24" dev "$dev"
	if ((N_DIR > 0)); then ip -n "$(ns "$node")" route add default via "$R_IP"; fi
	# DR: the server owns the VIP (on lo, so that it accepts frames for it) but
	# must never answer ARP for it, or clients would bypass the director:
	# arp_ignore=1 answers only for addresses on the asking interface,
	# arp_announce=2 never uses the VIP as the source of its own ARP requests.
	ip -n "$(ns "$node")" addr add "$VIP/32" dev lo
	nsx "$node" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
		"net.ipv4.conf.$dev.arp_ignore=1" "net.ipv4.conf.$dev.arp_announce=2"

	mkdir -p "$www/www/slow" "$www/tmp"
	printf 'Hello from %s (%s)\n' "$node" "$ip" >"$www/www/index.html"
	# Files for transfers: different bytes on every server.
	head -c 4194304 /dev/urandom >"$www/www/blob"
	cp "$www/www/blob" "$www/www/slow/blob"
	sha256sum "$www/www/blob" | cut -d' ' -f1 >"$www/blob.sha256"
	cat >"$www/nginx.conf" <<EOF
worker_processes 1;
pid $www/nginx.pid;
error_log $www/error.log;
events { worker_connections 4096; }
http {
	# Client address and port of every request: the e2e suite matches them
	# with lbd's connection entries.
	log_format lab '\$remote_addr \$remote_port \$connection "\$request" \$status';
	access_log $www/access.log lab;
	client_body_temp_path $www/tmp/body;
	proxy_temp_path $www/tmp/proxy;
	fastcgi_temp_path $www/tmp/fastcgi;
	uwsgi_temp_path $www/tmp/uwsgi;
	scgi_temp_path $www/tmp/scgi;
	keepalive_timeout 300;
	keepalive_requests 1000000;
	default_type text/plain;
	server {
		listen 80 backlog=4096;
		root $www/www;
		# Who answered, and the client address it saw (DR keeps it).
		add_header X-Server $node always;
		add_header X-Client \$remote_addr always;
		# Transfers that last: 512 KiB/s, 8 s for the blob.
		location /slow/ { limit_rate 512k; }
	}
}
EOF
	chmod -R a+rX "$www"
	nsx "$node" nginx -c "$www/nginx.conf"
}

up() {
	local build=${1:?usage: lab.sh up BUILD_DIR [CONF]} conf=${2:-$here/lbd.conf} i n
	[ "$(id -u)" -eq 0 ] || die "needs root (namespaces, veths, bridge)"
	[ -x "$build/lbd" ] || die "no $build/lbd: build first (make)"
	(( N_RS >= 1 && N_RS <= 9 )) || die "LAB_SERVERS must be 1..9"
	(( N_DIR >= 0 && N_DIR <= 9 )) || die "LAB_DIRECTORS must be 0..9"
	for n in $(nodes); do
		if has_ns "$(ns "$n")"; then
			die "namespace $(ns "$n") exists: a lab '$LAB' is up (tests/lab/lab.sh down)"
		fi
	done
	build=$(cd "$build" && pwd)
	if [ -d "$RUN" ] && [ ! -e "$RUN/servers" ] && [ -n "$(ls -A "$RUN")" ]; then
		die "$RUN is not empty and not a lab's run folder: choose another LAB_RUN"
	fi
	# On any failure from here on, take down what was raised.
	trap 'if [ $? -ne 0 ]; then echo "lab: up failed, cleaning up" >&2; down; fi' EXIT

	rm -rf "$RUN"
	mkdir -p "$RUN"
	chmod 755 "$RUN"
	echo "$N_RS" >"$RUN/servers"
	echo "$N_DIR" >"$RUN/directors"

	for n in $(nodes); do
		ip netns add "$(ns "$n")"
		quiet_ns "$n"
	done
	# The segment: a bridge in its own namespace. No STP: ports forward at once.
	ip -n "$(ns sw)" link add "$LAB-br" type bridge stp_state 0 forward_delay 0
	ip -n "$(ns sw)" link set "$LAB-br" up

	if ((N_DIR > 0)); then
		router
		for ((i = 1; i <= N_DIR; i++)); do
			plug "d$i" "$(dir_mac "$i")"
			tc_drop "d$i" "$LAB-d$i"
		done
		START_LBD=0
	else
		lan_client_and_lb
	fi

	for ((i = 1; i <= N_RS; i++)); do real_server "$i"; done

	if [ "$START_LBD" = 1 ]; then start_lbd "$build" "$conf"; fi
	trap - EXIT
	if [ "$START_LBD" = 1 ]; then
		log "up: lbd pid $(cat "$RUN/lbd.pid"), socket $(cat "$RUN/socket"), $N_RS real servers"
	elif ((N_DIR > 0)); then
		log "up: a router, $N_DIR director nodes, $N_RS real servers"
	else
		log "up: $N_RS real servers, lbd not started (lab.sh start)"
	fi
}

# The client and lbd's port on the segment itself.
lan_client_and_lb() {
	plug cli "$CLI_MAC"
	ip -n "$(ns cli)" addr add "$CLI_IP/24" dev "$LAB-cli"

	# lbd's port: no address in the kernel. lbd owns it through an AF_PACKET
	# socket and answers ARP itself, for its own address and for the VIP.
	plug lb "$LB_MAC"
	# With a host interface lbd hands that kernel what is its own; the copy
	# the kernel would also get from the veth itself must go, or it would
	# answer ARP and TCP on the veth behind lbd's back. Packet sockets see a
	# frame before tc ingress, so lbd's AF_PACKET socket still gets it. The
	# filter is one cBPF instruction, "return 2", in direct-action mode: 2 is
	# TC_ACT_SHOT, drop (no tc action module needed).
	if [ "$LB_DROP" = 1 ]; then tc_drop lb "$LAB-lb"; fi
}

# Start lbd on the lab's port with CONF and wait until it answers: on its
# control socket, ARP and ping for the VIP and its address, the servers'
# MACs found.
start_lbd() {
	local build=$1 conf=$2 n i
	if [ -s "$RUN/lbd.pid" ] && kill -0 "$(cat "$RUN/lbd.pid")" 2>/dev/null; then
		die "lbd is running (pid $(cat "$RUN/lbd.pid")): lab.sh stop"
	fi
	sed "s|@RUN@|$RUN|g" "$conf" >"$RUN/lbd.conf"
	"$build/lbd" --check -f "$RUN/lbd.conf" >/dev/null
	ln -sf "$build/lbadm" "$RUN/lbadm"
	# --no-huge: plain memory; --no-shconf: no multi-process files; the
	# prefix keeps this process apart from any other DPDK process.
	# (ip netns exec execs lbd: $! is lbd's pid.)
	ip netns exec "$(ns lb)" "$build/lbd" -l 0-1 --no-huge -m 256 --no-pci --no-shconf --file-prefix "$LAB" \
		--log-level=user1,info --vdev="net_af_packet0,iface=$LAB-lb,qpairs=$LB_QPAIRS" \
		-- -f "$RUN/lbd.conf" >"$RUN/lbd.log" 2>&1 &
	echo $! >"$RUN/lbd.pid"

	local sock
	sock=$(sed -n 's/.*socket *= *"\([^"]*\)".*/\1/p' "$RUN/lbd.conf" | head -1)
	[ -n "$sock" ] || die "the configuration names no control socket"
	echo "$sock" >"$RUN/socket"
	for ((n = 0; n < 100; n++)); do
		kill -0 "$(cat "$RUN/lbd.pid")" 2>/dev/null || { cat "$RUN/lbd.log" >&2; die "lbd exited"; }
		"$build/lbadm" --socket "$sock" -Ln >/dev/null 2>&1 && break
		sleep 0.1
	done
	"$build/lbadm" --socket "$sock" -Ln >/dev/null || die "lbd does not answer on $sock"
	# lbd answers ARP and ping for the VIP and for its own address (with a
	# host interface, the kernel behind it answers for the address).
	nsx cli ping -c 1 -W 2 "$VIP" >/dev/null || die "no ping answer from the VIP $VIP"
	nsx cli ping -c 1 -W 2 "$LB_IP" >/dev/null || die "no ping answer from lbd's $LB_IP"
	# lbd resolves real servers configured without a MAC by ARP.
	local missing=1
	for ((n = 0; n < 50; n++)); do
		missing=0
		for ((i = 1; i <= N_RS; i++)); do
			grep -q "neighbour $(rs_ip "$i") is at" "$RUN/lbd.log" || missing=1
		done
		[ $missing -eq 0 ] && break
		sleep 0.1
	done
	[ $missing -eq 0 ] || log "some real servers are not resolved by ARP (configured MACs?)"
}

start() {
	local build=${1:?usage: lab.sh start BUILD_DIR [CONF]} conf=${2:-$here/lbd.conf}
	[ -s "$RUN/servers" ] && has_ns "$(ns lb)" || die "lab '$LAB' is not up (lab.sh up)"
	N_RS=$(cat "$RUN/servers")
	build=$(cd "$build" && pwd)
	start_lbd "$build" "$conf"
	log "started: lbd pid $(cat "$RUN/lbd.pid"), socket $(cat "$RUN/socket")"
}

# Stop lbd with SIGNAL and wait for it to be gone (KILL after 10 s).
stop() {
	local sig=${1:-INT} n
	signal_pid "$RUN/lbd.pid" "$sig"
	if [ ${#pids_to_reap[@]} -gt 0 ]; then reap 10; fi
	# A clean stop logs the mbufs that did not come back: any is a leak.
	n=$(sed -n 's/.*counter mbufs_in_use \([0-9]*\).*/\1/p' "$RUN/lbd.log" 2>/dev/null | tail -1)
	if [ -n "$n" ] && [ "$n" != 0 ]; then
		echo "lab: lbd stopped with $n mbufs never returned to its pool (a leak)" >&2
		return 1
	fi
	return 0
}

# Signal the process whose pid is in FILE (SIG), then, in reap, wait up to
# SECONDS for it and KILL it if it is still there.
pids_to_reap=()
signal_pid() {
	local file=$1 sig=$2 pid
	[ -s "$file" ] || return 0
	pid=$(cat "$file")
	rm -f "$file"
	kill -0 "$pid" 2>/dev/null || return 0
	kill "-$sig" "$pid" 2>/dev/null || true
	pids_to_reap+=("$pid")
}

reap() {
	local secs=$1 pid i
	for ((i = 0; i < secs * 10; i++)); do
		for pid in "${pids_to_reap[@]}"; do
			kill -0 "$pid" 2>/dev/null && break
			pid=
		done
		[ -z "${pid:-}" ] && break
		sleep 0.1
	done
	for pid in "${pids_to_reap[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
	done
	pids_to_reap=()
}

down() {
	local n i pid
	[ -s "$RUN/servers" ] && N_RS=$(cat "$RUN/servers")
	[ -s "$RUN/directors" ] && N_DIR=$(cat "$RUN/directors")
	# lbd logs its counters when it stops on SIGINT.
	signal_pid "$RUN/lbd.pid" INT
	for ((i = 1; i <= N_RS; i++)); do signal_pid "$RUN/rs$i/nginx.pid" TERM; done
	if [ ${#pids_to_reap[@]} -gt 0 ]; then reap 10; fi
	# Whatever else still runs inside a lab namespace (a client left behind
	# by an interrupted test), by its pid.
	for n in $(nodes); do
		has_ns "$(ns "$n")" || continue
		for pid in $(ip netns pids "$(ns "$n")" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null || true
		done
	done
	# Deleting a namespace deletes its veth ends, and with them their peers.
	for n in $(nodes); do
		if has_ns "$(ns "$n")"; then ip netns del "$(ns "$n")"; fi
	done
	# DPDK's run-time folder of this lab's prefix, and the servers' files;
	# the logs stay in the run folder for reading.
	rm -rf "/var/run/dpdk/$LAB"
	for ((i = 1; i <= N_DIR; i++)); do rm -rf "/var/run/dpdk/$LAB-d$i"; done
	for ((i = 1; i <= N_RS; i++)); do rm -rf "$RUN/rs$i/www" "$RUN/rs$i/tmp"; done
	return 0
}

status() {
	local n
	[ -s "$RUN/servers" ] && N_RS=$(cat "$RUN/servers")
	[ -s "$RUN/directors" ] && N_DIR=$(cat "$RUN/directors")
	for n in $(nodes); do
		if has_ns "$(ns "$n")"; then
			echo "namespace $(ns "$n"):"
			ip -n "$(ns "$n")" -br addr | sed 's/^/  /'
		fi
	done
	if [ -s "$RUN/lbd.pid" ] && kill -0 "$(cat "$RUN/lbd.pid")" 2>/dev/null; then
		echo "lbd: pid $(cat "$RUN/lbd.pid"), socket $(cat "$RUN/socket"), log $RUN/lbd.log"
	else
		echo "lbd: not running"
	fi
}

cmd=${1:-}
shift || true
case $cmd in
up) up "$@" ;;
down) down ;;
exec)
	[ $# -ge 2 ] || die "usage: lab.sh exec NODE CMD..."
	node=$1
	shift
	exec ip netns exec "$(ns "$node")" "$@"
	;;
status) status ;;
start) start "$@" ;;
stop) stop "$@" ;;
*) sed -n '4,30p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
