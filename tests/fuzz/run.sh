#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Build lbd's fuzzers with clang (libFuzzer, AddressSanitizer,
# UndefinedBehaviorSanitizer) and run each for SECONDS over its seed corpus
# (tests/fuzz/seeds/TARGET) and what earlier runs found (BUILD_DIR/fuzz/TARGET):
#   core    the packet core, bursts of frames (fuzz_core.c)
#   ctl     the control socket's requests, on lbd's real socket (fuzz_ctl.c)
#   config  the configuration loaders, lbd's and keepalived's (fuzz_config.c)
#   lbadm   lbadm's command line (fuzz_lbadm.c)
#
#   run.sh BUILD_DIR SECONDS [TARGET...]     (default: every target)
#
# Sources are compiled once into BUILD_DIR/fuzz/obj and linked into each
# target; any failure (a crash, a leak, a sanitizer report) exits non-zero.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$1/fuzz
secs=${2:-60}
shift 2 || shift $#
targets=${*:-core ctl config lbadm}
mkdir -p "$out/obj"

cflags="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
	-fno-omit-frame-pointer -march=native -std=gnu11 -D_GNU_SOURCE -I$top
	-DLB_VERSION=\"fuzz\" -DLBD_FUZZ_CONF_DEFAULT=\"$top/tests/core/core.conf\"
	$(pkg-config --cflags libdpdk libmnl openssl libsystemd)"
libs="$(pkg-config --libs libdpdk libmnl openssl libsystemd) -lconfig -lpthread"

# obj SRC [EXTRA_CFLAGS]: its object, compiled again only when SRC or a
# header of the tree is newer (headers are few: any change rebuilds all).
newest_h=$(find "$top/control" "$top/dataplane" -name '*.h' -newer "$out/obj/.stamp" \
	2>/dev/null | head -1 || true)
[ -e "$out/obj/.stamp" ] || newest_h=all
[ "$0" -nt "$out/obj/.stamp" ] && newest_h=all	# this script's flags changed
obj() {
	o="$out/obj/$(echo "$1" | tr / _).o"
	if [ -n "$newest_h" ] || [ ! -e "$o" ] || [ "$top/$1" -nt "$o" ]; then
		# shellcheck disable=SC2086
		clang $cflags ${2:-} -c "$top/$1" -o "$o"
	fi
	echo "$o"
}

config_c="control/config.c control/config_check.c control/config_service.c"
core_src="dataplane/tcp_state.c dataplane/sched.c dataplane/counters.c dataplane/pkt.c dataplane/nd.c
	dataplane/conn.c dataplane/core.c dataplane/worker.c
	control/check.c $config_c control/limits.c control/model.c
	control/model_admin.c control/model_health.c control/model_reload.c"
# everything lbd links but its main and daemon
ctl_src="$core_src control/announce.c control/ctl.c control/health.c
	control/health_http.c control/host.c control/lbadm/client.c control/metrics.c
	control/neigh.c control/notify.c control/obs.c control/port.c control/promfmt.c
	control/reload.c control/sync.c control/sync_wire.c control/telemetry.c
	control/vipown.c"
config_src="control/check.c $config_c control/limits.c dataplane/tcp_state.c
	dataplane/sched.c control/keepalived/checker.c control/keepalived/convert.c
	control/keepalived/emit.c control/keepalived/msg.c control/keepalived/read.c
	control/keepalived/server.c control/keepalived/value.c"
lbadm_src="control/lbadm/client.c control/check.c control/lbadm/healthfmt.c control/lbadm/ipvsfmt.c
	control/sync_wire.c dataplane/tcp_state.c dataplane/sched.c dataplane/counters.c
	$config_c control/limits.c"

build() {
	t=$1
	case $t in
	core) srcs=$core_src ;;
	ctl) srcs=$ctl_src ;;
	config) srcs=$config_src ;;
	lbadm) srcs=$lbadm_src ;;
	*) echo "run.sh: unknown target $t" >&2; exit 2 ;;
	esac
	objs=""
	for s in $srcs; do objs="$objs $(obj "$s")"; done
	# lbadm's main renamed, its exit() a jump back to the fuzzer, no DNS
	[ "$t" = lbadm ] && objs="$objs $(obj control/lbadm/lbadm.c \
		'-Dmain=lbadm_main -Dexit=lb_fuzz_exit -Dgethostbyname=lb_fuzz_gethostbyname')
		$(obj control/lbadm/parse.c '-Dexit=lb_fuzz_exit -Dgethostbyname=lb_fuzz_gethostbyname')"
	objs="$objs $(obj "tests/fuzz/fuzz_$t.c")"
	case $t in core|ctl) objs="$objs $(obj tests/fuzz/fuzz_model.c)" ;; esac
	# shellcheck disable=SC2086
	clang -fsanitize=fuzzer,address,undefined $objs $libs -o "$out/fuzz_$t"
}

for t in $targets; do build "$t"; done
touch "$out/obj/.stamp"

for t in $targets; do
	mkdir -p "$out/$t"
	# DPDK's own allocations are not the targets': the packet core checks its
	# mbufs itself; lbadm leaves on exit() (a jump here), as a process would.
	case $t in
	core) leaks=0 extra= ;;
	lbadm) leaks=0 extra=-close_fd_mask=3 ;;	# lbadm's messages, not libFuzzer's
	*) leaks=1 extra= ;;
	esac
	echo "== fuzz_$t, $secs s"
	ASAN_OPTIONS=detect_leaks=$leaks LSAN_OPTIONS=suppressions="$top/tests/fuzz/lsan.supp" \
		"$out/fuzz_$t" -max_total_time="$secs" -max_len=4096 \
		-detect_leaks=$leaks -print_final_stats=1 -artifact_prefix="$out/$t-" $extra \
		"$out/$t" "$top/tests/fuzz/seeds/$t"
done
