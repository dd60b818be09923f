#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""1M connections through the real daemon: listing them, and their mass expiry.

lbd reads N SYNs of distinct clients from a net_pcap port (one worker), so its
table holds N live SYN_RECV entries; then
  1. `lbadm -lnc` lists them all: wall time, lines, lbd's resident memory
     before and at its peak during the listing, and the worker's longest
     loop iteration meanwhile (lbd's loop_max_ns counter, restarted by -Z);
  2. all N entries expire in the same second (short syn_recv timeout): the
     worker's longest loop iteration while the wheel drains them, and how long
     the draining took.
Prints one line per figure; docs/benchmarks.md quotes them.

usage: bench_listing.py BUILD_DIR [N]   (N default 1048576)
"""
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "lib"))
import pcapfile  # noqa: E402
from bench_ports import runtime_dir  # noqa: E402

BUILD = os.path.abspath(sys.argv[1])
N = int(sys.argv[2]) if len(sys.argv) > 2 else 1 << 20
LBD = os.path.join(BUILD, "lbd")
LBADM = os.path.join(BUILD, "lbadm")
SYN_RECV = 40        # seconds: long enough to list, short enough to wait for
LB_MAC = "02:00:00:00:00:02"
CLIENT_MAC = "02:00:00:00:00:c1"

CONF = """
ports = ( { device = "net_pcap0"; address = "10.0.0.2/24"; mac = "02:00:00:00:00:02"; } );
services = ( { protocol = "tcp"; vip = "10.0.0.100"; port = 80; scheduler = "rr";
  real_servers = ( { address = "10.0.0.11"; mac = "02:00:00:00:00:11"; },
                   { address = "10.0.0.12"; mac = "02:00:00:00:00:12"; } ); } );
timeouts = { syn_recv = %d; };
dataplane = { mbufs = 8192; connections = %d; };
control = { socket = "@DIR@/lbd.sock"; };
""" % (SYN_RECV, N + N // 8)


def syns(n):
    """n SYNs from distinct (client, port); IPv4 checksums right, TCP's left 0
    (lbd forwards without checking L4 checksums)."""
    lb, client = pcapfile.mac(LB_MAC), pcapfile.mac(CLIENT_MAC)
    vip = pcapfile.ip4("10.0.0.100")
    for i in range(n):
        src = struct.pack("!I", 0x0b000000 + (i >> 4))          # 11.x.y.z
        yield pcapfile.ether(lb, client, pcapfile.ipv4(src, vip, pcapfile.TCP, pcapfile.tcp(
            src, vip, 1024 + (i & 15), 80, pcapfile.SYN, seq=i, checksum=False)))


def lbadm(sock, *args, out=subprocess.PIPE):
    r = subprocess.run([LBADM, "--socket", sock, *args], stdout=out, stderr=subprocess.PIPE,
                       text=True, timeout=120)
    if r.returncode != 0:
        raise SystemExit("lbadm %s: %s" % (" ".join(args), r.stderr))
    return r.stdout


def core_counters(sock):
    return json.loads(lbadm(sock, "--counters", "--json"))["cores"][0]


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    # This script, lbadm and their helpers stay on core 0 (lbd's control
    # core); core 1 is left to the worker, as isolcpus would on a real box.
    os.sched_setaffinity(0, {0})
    d = tempfile.mkdtemp(prefix="lbd-bench-list-")
    sock = os.path.join(d, "lbd.sock")
    conf = os.path.join(d, "lbd.conf")
    with open(conf, "w") as f:
        f.write(CONF.replace("@DIR@", d))
    pcap = os.path.join(d, "syn.pcap")
    t0 = time.monotonic()
    pcapfile.write_pcap(pcap, syns(N))
    print("# wrote %d SYNs in %.1f s" % (N, time.monotonic() - t0), flush=True)
    prefix = "lbdlist%d" % os.getpid()
    cmd = [LBD, "-l", "0-1", "--no-huge", "-m", "1536", "--no-pci",
           "--file-prefix", prefix,
           "--vdev=net_pcap0,rx_pcap=%s,tx_pcap=/dev/null" % pcap, "--", "-f", conf]
    log = open(os.path.join(d, "lbd.log"), "w+")
    p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(600):
            if os.path.exists(sock):
                try:
                    if core_counters(sock)["conns"] >= N:
                        break
                except SystemExit:
                    pass
            if p.poll() is not None:
                log.seek(0)
                raise SystemExit("lbd exited:\n" + log.read())
            time.sleep(0.1)
        c = core_counters(sock)
        if c["conns"] < N:
            raise SystemExit("only %d entries after 60 s" % c["conns"])
        loaded = time.monotonic()
        print("entries %d" % c["conns"])

        # 0. a baseline: the worker's longest iteration with nothing going on
        lbadm(sock, "-Z")
        time.sleep(5.0)
        print("idle_5s_worker_loop_max_us %.1f" % (core_counters(sock)["loop_max_ns"] / 1000))

        # 1. the listing
        lbadm(sock, "-Z")
        time.sleep(0.2)
        rss0 = rss_kb(p.pid)
        peak = [rss0]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                peak[0] = max(peak[0], rss_kb(p.pid))
                time.sleep(0.005)
        th = threading.Thread(target=sample)
        th.start()
        out = os.path.join(d, "lnc.txt")
        with open(out, "w") as f:
            t = time.monotonic()
            lbadm(sock, "-lnc", out=f)
            took = time.monotonic() - t
        stop.set()
        th.join()
        lines = sum(1 for _ in open(out))
        c = core_counters(sock)
        print("list_lines %d" % (lines - 2))
        print("list_seconds %.2f" % took)
        print("list_rss_before_kb %d" % rss0)
        print("list_rss_peak_kb %d" % peak[0])
        print("list_worker_loop_max_us %.1f" % (c["loop_max_ns"] / 1000))
        if lines - 2 != N:
            raise SystemExit("listed %d of %d entries" % (lines - 2, N))

        # 2. the mass expiry
        lbadm(sock, "-Z")
        first_gone = None
        while True:
            c = core_counters(sock)
            if first_gone is None and c["conns"] < N:
                first_gone = time.monotonic()
            if c["conns"] == 0:
                break
            if time.monotonic() - loaded > SYN_RECV + 60:
                raise SystemExit("entries still live: %d" % c["conns"])
            time.sleep(0.02)
        drained = time.monotonic() - first_gone
        print("expire_entries %d" % N)
        print("expire_drain_seconds %.2f" % drained)
        print("expire_worker_loop_max_us %.1f" % (core_counters(sock)["loop_max_ns"] / 1000))
    finally:
        p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
        shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree(runtime_dir(prefix), ignore_errors=True)


if __name__ == "__main__":
    main()
