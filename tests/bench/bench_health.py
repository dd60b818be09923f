#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The health checker's cost: 2,000 real servers, a tcp check each every second.

lbd runs on a net_null port with two services of 1,000 real servers each,
every one checked (type "tcp", delay_loop 1, warmup 1) against one local
listener (connect_ip 127.0.0.1) that accepts and closes. After a warm-up, two
readings of lbadm --health --json SECONDS apart give the checker thread's CPU
time (its own clock, CLOCK_THREAD_CPUTIME_ID) per second of wall time, the
attempts per second, and how late attempts started after their time (the
jitter of its schedule). Prints one JSON object on its last line.

usage: bench_health.py BUILD_DIR [SECONDS]
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

SERVERS = 2000
PER_SVC = 1000


def listener():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(4096)

    def run():
        while True:
            try:
                c, _ = s.accept()
            except OSError:
                return
            c.close()
    threading.Thread(target=run, daemon=True).start()
    return s


def conf(d, port):
    svcs = []
    for k in range(SERVERS // PER_SVC):
        rs = ",\n".join('      { address = "10.%d.%d.%d"; }' % (k + 1, (i + 1) // 250, (i + 1) % 250 + 1)
                        for i in range(PER_SVC))
        svcs.append("""  { protocol = "tcp"; vip = "10.%d.255.100"; port = 80;
    check = { type = "tcp"; delay_loop = 1; connect_timeout = 1; warmup = 1;
              connect_ip = "127.0.0.1"; connect_port = %d; };
    real_servers = (
%s ); }""" % (k + 1, port, rs))
    ports = ",\n".join('  { device = "net_null%d"; address = "10.%d.0.1/16"; }' % (k, k + 1)
                       for k in range(SERVERS // PER_SVC))
    vdevs = ", ".join('"--vdev=net_null%d,no-rx=1"' % k for k in range(SERVERS // PER_SVC))
    return """eal = [ "-l", "0-1", "--no-huge", "-m", "256", "--no-shconf", "--no-pci",
        "--file-prefix", "lbdbhc", %s ];
ports = (
%s );
services = (
%s );
dataplane = { mbufs = 4096; connections = 4096; };
control = { socket = "%s/lbd.sock"; };
""" % (vdevs, ports, ",\n".join(svcs), d)


def health(build, sock):
    p = subprocess.run([os.path.join(build, "lbadm"), "--socket", sock, "--health", "--json"],
                       capture_output=True, text=True, timeout=10)
    if p.returncode != 0:
        raise RuntimeError("lbadm --health: " + p.stderr.strip())
    return json.loads(p.stdout)


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    build = os.path.abspath(sys.argv[1])
    secs = float(sys.argv[2]) if len(sys.argv) > 2 else 20
    d = tempfile.mkdtemp(prefix="lbd-bench-health-")
    ls = listener()
    lbd = None
    try:
        path = os.path.join(d, "lbd.conf")
        with open(path, "w") as f:
            f.write(conf(d, ls.getsockname()[1]))
        log = open(os.path.join(d, "lbd.log"), "w")
        lbd = subprocess.Popen([os.path.join(build, "lbd"), "-f", path], stdout=log,
                               stderr=subprocess.STDOUT)
        sock = os.path.join(d, "lbd.sock")
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.1)
        time.sleep(5)                   # warm-up: every check started and spread
        subprocess.run([os.path.join(build, "lbadm"), "--socket", sock, "-Z"], check=True)
        a = health(build, sock)
        t0 = time.monotonic()
        time.sleep(secs)
        b = health(build, sock)
        wall = time.monotonic() - t0
        ca, cb = a["checker"], b["checker"]
        attempts = cb["attempts"] - ca["attempts"]
        servers = [x for s in b["services"] for x in s["servers"]]
        res = {
            "servers": len(servers),
            "up": sum(1 for x in servers if x["state"] == "up"),
            "checks_per_s": attempts / wall,
            "cpu_share": (cb["cpu_ns"] - ca["cpu_ns"]) / 1e9 / wall,
            "late_mean_us": cb["late_sum_us"] / max(cb["late_attempts"], 1),
            "late_max_us": cb["late_max_us"],
            "latency_mean_us": sum(x["latency_us"] for x in servers) / max(len(servers), 1),
            "seconds": wall,
        }
        print("%d servers (%d up): %.0f checks/s, checker CPU %.1f%% of a core, started late"
              " by %.0f us on average, %.1f ms at most; connect latency %.0f us"
              % (res["servers"], res["up"], res["checks_per_s"], 100 * res["cpu_share"],
                 res["late_mean_us"], res["late_max_us"] / 1000, res["latency_mean_us"]))
        print(json.dumps(res))
        return 0 if res["up"] == SERVERS and res["checks_per_s"] > 0.9 * SERVERS else 1
    finally:
        if lbd is not None:
            lbd.send_signal(signal.SIGINT)
            try:
                lbd.wait(20)
            except subprocess.TimeoutExpired:
                lbd.kill()
                lbd.wait()
        ls.close()
        shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree("/var/run/dpdk/lbdbhc", ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
