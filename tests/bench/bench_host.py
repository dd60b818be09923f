#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The host path's own throughput: frames per second to and from the kernel.

lbd runs in a network namespace of its own on a net_pcap port that replays
ICMP echo requests to the port's address forever (infinite_rx), with a tap
kernel interface. Every request is the kernel's: the worker steers it to the
host ring, the host thread writes it to the tap, the kernel answers, the host
thread reads the reply and sends it on the port's host queue. Rates come
from lbd's own counters (to_kernel, from_kernel, host_full), read twice,
SECONDS apart, after a warm-up; the worker's forwarding of VIP traffic is
measured apart by make bench.

usage: bench_host.py BUILD_DIR [SECONDS]   (root)
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import pcapfile  # noqa: E402

LB, CLI = "02:00:00:00:00:02", "02:00:00:00:00:c1"
CONF = """
ports = ( { device = "net_pcap0"; address = "10.0.0.2/24"; mac = "%s";
            host = { ifname = "lbdbh0"; backend = "tap"; }; } );
dataplane = { mbufs = 8192; connections = 4096; };
control = { socket = "@DIR@/lbd.sock"; };
""" % LB


def echo(i):
    import struct
    icmp = struct.pack("!BBHHH", 8, 0, 0, 0x4242, i & 0xffff) + b"x" * 56
    icmp = icmp[:2] + struct.pack("!H", pcapfile.csum(icmp)) + icmp[4:]
    return pcapfile.ether(LB, CLI, pcapfile.ipv4("10.0.0.%d" % (50 + i % 100), "10.0.0.2", 1,
                                                  icmp, ident=i))


def counters(build, sock):
    out = subprocess.run([os.path.join(build, "lbadm"), "--counters", "--json"],
                         capture_output=True, text=True, env=dict(os.environ, LBD_SOCKET=sock))
    j = json.loads(out.stdout)
    if os.environ.get("BENCH_HOST_DEBUG"):
        print(out.stdout)
    h = j["host"][0]
    full = sum(c["drops"]["host_full"] for c in j["cores"])
    return time.monotonic(), h["to_kernel"], h["from_kernel"], full, h["to_kernel_dropped"]


def main():
    build = os.path.abspath(sys.argv[1])
    secs = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
    ns = "lbdbench%d" % os.getpid()
    d = tempfile.mkdtemp(prefix="lbd-bhost-")
    subprocess.run(["ip", "netns", "add", ns], check=True)
    p = None
    try:
        with open(os.path.join(d, "lbd.conf"), "w") as f:
            f.write(CONF.replace("@DIR@", d))
        pcapfile.write_pcap(os.path.join(d, "in0.pcap"), [echo(i) for i in range(1000)])
        # both queues replay: net_pcap 22.11's infinite_rx leaks a burst of
        # mbufs on every poll of an empty file
        pcapfile.write_pcap(os.path.join(d, "in1.pcap"), [echo(i) for i in range(1000, 2000)])
        vdev = ("net_pcap0,rx_pcap=%s/in0.pcap,tx_pcap=/dev/null,rx_pcap=%s/in1.pcap,"
                "tx_pcap=/dev/null,infinite_rx=1" % (d, d))
        log = open(os.path.join(d, "lbd.log"), "w+")
        p = subprocess.Popen(["ip", "netns", "exec", ns, os.path.join(build, "lbd"), "-l", "0-1",
                              "--no-huge", "--no-pci", "--file-prefix", ns, "--vdev=" + vdev,
                              "--", "-f", os.path.join(d, "lbd.conf")],
                             stdout=log, stderr=subprocess.STDOUT)
        sock = os.path.join(d, "lbd.sock")
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.1)
        if not os.path.exists(sock):
            log.seek(0)
            raise SystemExit("lbd did not come up:\n" + log.read())
        # the clients' MACs, as ARP would have them: the kernel answers at once
        for i in range(100):
            subprocess.run(["ip", "-n", ns, "neigh", "replace", "10.0.0.%d" % (50 + i),
                            "lladdr", CLI, "dev", "lbdbh0", "nud", "permanent"], check=True)
        time.sleep(2)
        t0, k0, f0, h0, kd0 = counters(build, sock)
        time.sleep(secs)
        t1, k1, f1, h1, kd1 = counters(build, sock)
        dt = t1 - t0
        print(json.dumps({"to_kernel_pps": round((k1 - k0) / dt), "from_kernel_pps":
                          round((f1 - f0) / dt), "host_full_pps": round((h1 - h0) / dt),
                          "to_kernel_dropped_pps": round((kd1 - kd0) / dt), "seconds": round(dt, 2)}))
    finally:
        if p is not None:
            p.send_signal(signal.SIGINT)
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        subprocess.run(["ip", "netns", "del", ns])
        shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree("/var/run/dpdk/" + ns, ignore_errors=True)


if __name__ == "__main__":
    main()
