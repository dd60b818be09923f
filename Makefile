# SPDX-License-Identifier: BSD-3-Clause
#
# The front door: nobody needs to know meson to build, test or try lbd.
#   make        build into build/
#   make deps   install every Debian 12 package the build and the tests need
#   make test   deps + build + every test suite, then the unit, pcap and
#               control-socket suites again under ASan and UBSan
#   make demo   deps + build + lbd on its virtual lab
#   make fuzz   every fuzzer (packet core, control socket, configuration,
#               lbadm's command line), FUZZ_SECONDS each
#   make bench  the benchmark suite: one table, docs/benchmarks.md and its plots
#   make install  binaries, the systemd unit, the reference configuration and
#               the docs under PREFIX (/usr/local), DESTDIR respected

BUILD ?= build
PREFIX ?= /usr/local
MESON_OPTS ?= --prefix=$(PREFIX)

# Build: compiler, meson, DPDK, libconfig, cmocka.
DEPS_BUILD = gcc make pkg-config meson ninja-build libdpdk-dev dpdk-dev dpdk \
	libconfig-dev libcmocka-dev libssl-dev libmnl-dev libsystemd-dev
# Tests and the lab: packet crafting and capture, real peers, namespaces, the
# fuzzer (clang with its sanitizer runtimes), diagrams and plots, and the real
# ipvsadm that lbadm's output is compared with, BIRD for the VIP announcement.
DEPS_TEST = python3 python3-scapy tshark iproute2 ethtool procps psmisc \
	curl wrk hping3 iperf3 nginx-light clang libclang-rt-14-dev graphviz gnuplot-nox iputils-ping linux-perf \
	ipvsadm bird2 keepalived prometheus

.PHONY: all deps test demo fuzz bench install clean

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS)

# Idempotent: installs only when something is missing, after refreshing the index.
deps:
	@missing=$$(for p in $(DEPS_BUILD) $(DEPS_TEST); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' \
			|| echo $$p; done); \
	if [ -z "$$missing" ]; then echo "deps: all installed"; exit 0; fi; \
	echo "deps: installing$$(echo $$missing | sed 's/^/ /')"; \
	if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi; \
	$$SUDO apt-get update && \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y --no-install-recommends $$missing

# make test runs every suite, then the unit, pcap and control-socket suites
# again on a second build with AddressSanitizer and UndefinedBehaviorSanitizer
# (DPDK takes them with --no-huge, which every test uses). The fuzzers are
# always built with both. Leaks are errors: LeakSanitizer runs at each exit.
SAN_BUILD ?= build-asan
SAN_ENV = ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	LB_SANITIZED=1

test: deps all $(SAN_BUILD)/build.ninja
	meson test -C $(BUILD) --print-errorlogs --num-processes 1
	ninja -C $(SAN_BUILD)
	$(SAN_ENV) meson test -C $(SAN_BUILD) --print-errorlogs --num-processes 1 \
		--suite unit --suite pcap --suite ctl

$(SAN_BUILD)/build.ninja:
	meson setup $(SAN_BUILD) $(MESON_OPTS) -Db_sanitize=address,undefined -Db_lundef=false

demo: deps all
	tests/demo.sh $(BUILD)

# Every fuzzer, each for FUZZ_SECONDS (default: an hour); FUZZ_TARGETS picks
# some (core ctl config lbadm).
FUZZ_SECONDS ?= 3600
fuzz: all
	tests/fuzz/run.sh $(BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The benchmark suite: prints one table and rewrites docs/benchmarks.md and its
# plots (docs/img/bench-*.svg); under 10 minutes. BENCH_LOCK=FILE holds
# flock(FILE) around each measurement, to keep builds sharing the CPUs away.
bench: deps all
	tests/bench/run.py $(BUILD)

# The configuration goes to /etc/lbd (lbd's default path) only when none is
# there: an upgrade never overwrites an operator's file.
install: all
	DESTDIR="$(DESTDIR)" meson install -C $(BUILD) --no-rebuild --quiet
	@if [ ! -e "$(DESTDIR)/etc/lbd/lbd.conf" ]; then \
		install -D -m 0644 conf/lbd.conf "$(DESTDIR)/etc/lbd/lbd.conf" && \
		echo "install: $(DESTDIR)/etc/lbd/lbd.conf (the reference configuration)"; \
	else echo "install: $(DESTDIR)/etc/lbd/lbd.conf kept"; fi

clean:
	rm -rf $(BUILD) $(SAN_BUILD)
