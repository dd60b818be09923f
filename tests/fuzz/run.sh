#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Build the packet-core fuzzer with clang (libFuzzer, AddressSanitizer,
# UndefinedBehaviorSanitizer) and run it for SECONDS over the seed corpus.
#   run.sh BUILD_DIR SECONDS
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$1/fuzz
secs=${2:-60}
mkdir -p "$out/corpus"
clang -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer -march=native -std=gnu11 -D_GNU_SOURCE -I"$top" \
	-DLBD_FUZZ_CONF_DEFAULT="\"$top/tests/core/core.conf\"" \
	$(pkg-config --cflags libdpdk) \
	"$top/tests/fuzz/fuzz_core.c" "$top/control/check.c" "$top/control/config.c" "$top/control/limits.c" "$top/control/model.c" \
	"$top"/dataplane/tcp_state.c "$top"/dataplane/sched.c "$top"/dataplane/counters.c \
	"$top"/dataplane/pkt.c "$top"/dataplane/conn.c "$top"/dataplane/core.c \
	"$top"/dataplane/worker.c \
	$(pkg-config --libs libdpdk) -lconfig -o "$out/fuzz_core"
# DPDK's own allocations are not the target's: leaks are checked as mbufs.
ASAN_OPTIONS=detect_leaks=0 "$out/fuzz_core" -max_total_time="$secs" -max_len=2048 \
	-print_final_stats=1 "$out/corpus" "$top/tests/fuzz/seeds"
