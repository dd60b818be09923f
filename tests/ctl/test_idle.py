#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Idle workers back off (dataplane.idle_sleep_us) and wake on the first frame.

lbd on a port that receives nothing (net_null, no-rx) is started twice: with
idle_sleep_us = 0 its worker polls without pause and uses a whole CPU; with
idle_sleep_us = 200 it uses a small share of one. Then lbd with the back-off
on a net_pcap port that replays a SYN flood forever: under load the worker
never sleeps (its rx rate is that of a worker without the back-off, within
noise) and every frame is accounted for.

usage: test_idle.py BUILD_DIR
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import lbdctl
from lbdctl import check, failures

CONF = """
ports = ( { device = "%s"; address = "10.0.0.2/24"; mac = "02:00:00:00:00:02"; } );
services = ( { protocol = "tcp"; vip = "10.0.0.100"; port = 80; scheduler = "rr";
  real_servers = ( { address = "10.0.0.11"; mac = "02:00:00:00:00:11"; } ); } );
dataplane = { mbufs = 8192; connections = 65536; idle_sleep_us = %d; };
control = { socket = "@DIR@/lbd.sock"; };
"""


def worker_cpu(pid):
    """CPU seconds of lbd's worker thread (DPDK 22.11 names it rte-worker-N)."""
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
            if not f.read().startswith("rte-worker"):
                continue
        with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    raise SystemExit("no worker thread in lbd %d" % pid)


def idle_share(build, sleep_us):
    d = tempfile.mkdtemp(prefix="lbd-idle-")
    path = os.path.join(d, "lbd.conf")
    with open(path, "w") as f:
        f.write((CONF % ("net_null0", sleep_us)).replace("@DIR@", d))
    prefix = "lbdidle%d" % os.getpid()
    p = subprocess.Popen([os.path.join(build, "lbd"), "-l", "0-1", "--no-huge", "--no-pci",
                          "--no-shconf", "--file-prefix", prefix, "--vdev=net_null0,no-rx=1",
                          "--", "-f", path], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            if os.path.exists(os.path.join(d, "lbd.sock")):
                break
            time.sleep(0.1)
        time.sleep(0.5)
        c0, t0 = worker_cpu(p.pid), time.monotonic()
        time.sleep(2)
        return (worker_cpu(p.pid) - c0) / (time.monotonic() - t0)
    finally:
        p.send_signal(signal.SIGINT)
        p.wait(20)
        shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree(lbdctl.dpdk_runtime_dir(prefix), ignore_errors=True)


def rx_rate(build, sleep_us):
    frames = [lbdctl.tcp_frame("192.0.2.%d" % (1 + i // 250), 1000 + i, "10.0.0.100", 80, 0x02)
              for i in range(2000)]
    lbd = lbdctl.Lbd(build, CONF % ("net_pcap0", sleep_us), frames)
    try:
        def rx():
            _, out, _ = lbd.lbadm("--counters", "--json")
            return sum(c["rx"] for c in json.loads(out)["cores"])
        time.sleep(0.5)
        a, t0 = rx(), time.monotonic()
        time.sleep(2)
        rate = (rx() - a) / (time.monotonic() - t0)
    finally:
        rc, _, counters = lbd.stop()
    return rate, rc, counters


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    build = os.path.abspath(sys.argv[1])
    busy = idle_share(build, 0)
    idle = idle_share(build, 200)
    check(busy > 0.8, "idle_sleep_us = 0: the idle worker polls without pause (%.0f%% of a"
          " CPU)" % (100 * busy))
    check(idle < 0.3, "idle_sleep_us = 200: the idle worker sleeps (%.0f%% of a CPU)"
          % (100 * idle))
    base, _, _ = rx_rate(build, 0)
    with_sleep, rc, counters = rx_rate(build, 200)
    check(with_sleep > 0.7 * base, "under load the back-off costs nothing: %.2f Mpps with it,"
          " %.2f Mpps without" % (with_sleep / 1e6, base / 1e6))
    check(rc == 0 and lbdctl.accounted(counters), "every frame accounted for at exit")
    print("%d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
