#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""VIP announcement: blackhole routes in a kernel table, and why they go.

lbd runs in a network namespace of its own (net_null port) with
announce = { table = 100; drain_seconds = 2; } and two services: VIP A with
a tcp check (alpha: down until its first success) against a listener of
this test on the namespace's loopback, VIP B without checks. What must be
in table 100, read with ip route:

  start      a route left there for A (as by a lbd that was killed) is gone,
             B is announced (proto static, type blackhole)
  quorum     the listener up: A announced; down: A withdrawn (its service has
             no quorum), B stays; back: A again
  admin      lbadm --withdraw B: gone, --announced says why; --announce B:
             back; --withdraw of a VIP no service has: exit 255 and why
  bird       BIRD in lbd's namespace (kernel protocol: learn, table 100) peers
             over BGP with BIRD in a router namespace: the router's FIB holds
             both VIPs via the director; --withdraw: the router's route goes,
             --announce: back (skipped without bird)
  watchdog   lbd's worker thread stopped (ptrace, the other threads run on):
             every VIP withdrawn within 2 s, "worker lcore 1 stalled";
             the worker released: announced again
  delete     lbadm -D of A's service: A's route goes
  sigterm    SIGTERM: the routes go at once, lbd goes on answering for
             drain_seconds, then exits with status 0

usage: test_announce.py BUILD_DIR     (root; 77 otherwise)
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

NS = "lbdann%d" % os.getpid()
TABLE = 100
LISTENER = r'''
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
while True:
    c, _ = s.accept(); c.close()
'''
PORT = 18090


def sh(*cmd, ok=True):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    if ok and p.returncode != 0:
        raise SystemExit("%s: %s" % (" ".join(cmd), p.stderr.strip()))
    return p


def routes():
    """{vip: route line} of table 100 in the namespace."""
    out = sh("ip", "-n", NS, "route", "show", "table", str(TABLE)).stdout
    return {line.split()[1]: line for line in out.splitlines() if line.startswith("blackhole")}


def wait(cond, secs):
    t0 = time.monotonic()
    while time.monotonic() - t0 < secs:
        if cond():
            return time.monotonic() - t0
        time.sleep(0.05)
    return None


def listener():
    return subprocess.Popen(["ip", "netns", "exec", NS, "/usr/bin/python3", "-c", LISTENER,
                             str(PORT)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


BIRD_DIRECTOR = """
router id 10.99.0.1;
ipv4 table vipt;
protocol device {}
protocol kernel vipsrc { ipv4 { table vipt; import all; export none; }; kernel table %d; learn;
  scan time 1; }
protocol bgp uplink { local 10.99.0.1 as 65001; neighbor 10.99.0.2 as 65000;
  hold time 3; keepalive time 1; connect retry time 1;
  ipv4 { table vipt; import none; export where proto = "vipsrc"; }; }
""" % TABLE
BIRD_ROUTER = """
router id 10.99.0.2;
protocol device {}
protocol kernel { ipv4 { import none; export all; }; merge paths yes limit 16; }
protocol bgp d1 { local 10.99.0.2 as 65000; neighbor 10.99.0.1 as 65001;
  hold time 3; keepalive time 1; connect retry time 1;
  ipv4 { import where net ~ [ 10.0.0.0/24{32,32} ]; export none; }; }
"""
NSR = NS + "r"


def router_route(vip):
    """The router's route to vip (its main table), or ''."""
    return sh("ip", "-n", NSR, "route", "show", vip, ok=False).stdout.strip()


def bird_stage(d, lbadm, birds):
    sh("ip", "netns", "add", NSR)
    sh("ip", "-n", NS, "link", "add", "lbdann-d", "type", "veth", "peer", "name", "lbdann-r",
       "netns", NSR)
    sh("ip", "-n", NS, "addr", "add", "10.99.0.1/30", "dev", "lbdann-d")
    sh("ip", "-n", NSR, "addr", "add", "10.99.0.2/30", "dev", "lbdann-r")
    sh("ip", "-n", NS, "link", "set", "lbdann-d", "up")
    sh("ip", "-n", NSR, "link", "set", "lbdann-r", "up")
    for ns, name, text in ((NS, "director", BIRD_DIRECTOR), (NSR, "router", BIRD_ROUTER)):
        conf = os.path.join(d, "bird-%s.conf" % name)
        with open(conf, "w") as f:
            f.write(text)
        birds.append(subprocess.Popen(
            ["ip", "netns", "exec", ns, "bird", "-f", "-c", conf, "-s",
             os.path.join(d, "bird-%s.ctl" % name), "-P", os.path.join(d, "bird-%s.pid" % name)],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT))
    t = wait(lambda: "via 10.99.0.1" in router_route("10.0.0.100") and
             "via 10.99.0.1" in router_route("10.0.0.101"), 30)
    check(t is not None, "bird: the router holds both VIPs via the director (%.1f s): %r"
          % (t or 0, router_route("10.0.0.101")))
    lbadm("--withdraw", "10.0.0.101")
    t = wait(lambda: router_route("10.0.0.101") == "", 5)
    check(t is not None and "via" in router_route("10.0.0.100"),
          "bird: --withdraw: the router's route goes in %.1f s, the other stays" % (t or 0))
    lbadm("--announce", "10.0.0.101")
    t = wait(lambda: "via 10.99.0.1" in router_route("10.0.0.101"), 5)
    check(t is not None, "bird: --announce: the router's route is back in %.1f s" % (t or 0))


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    if os.geteuid() != 0:
        print("announce: skipped, needs root (a network namespace)")
        return 77
    build = os.path.abspath(sys.argv[1])
    d = tempfile.mkdtemp(prefix="lbd-ann-")
    conf = os.path.join(d, "lbd.conf")
    with open(conf, "w") as f:
        f.write("""
ports = ( { device = "net_null0"; address = "10.0.0.2/24"; mac = "02:00:00:00:00:02"; } );
announce = { table = %d; drain_seconds = 2; };
services = (
  { protocol = "tcp"; vip = "10.0.0.100"; port = 80;
    check = { type = "tcp"; connect_ip = "127.0.0.1"; connect_port = %d; delay_loop = 0.2;
              connect_timeout = 0.5; retry = 0; alpha = true; };
    real_servers = ( { address = "10.0.0.11"; mac = "02:00:00:00:00:11"; } ); },
  { protocol = "tcp"; vip = "10.0.0.101"; port = 80;
    real_servers = ( { address = "10.0.0.12"; mac = "02:00:00:00:00:12"; } ); } );
dataplane = { mbufs = 4096; connections = 4096; };
control = { socket = "%s/lbd.sock"; };
""" % (TABLE, PORT, d))
    sock = os.path.join(d, "lbd.sock")
    prefix = "lbdann%d" % os.getpid()
    lbd = lst = None
    birds = []
    try:
        sh("ip", "netns", "add", NS)
        sh("ip", "-n", NS, "link", "set", "lo", "up")
        # start: a route for A left behind must go
        sh("ip", "-n", NS, "route", "add", "blackhole", "10.0.0.100/32", "table", str(TABLE))
        log = open(os.path.join(d, "lbd.log"), "w+")
        lbd = subprocess.Popen(["ip", "netns", "exec", NS, os.path.join(build, "lbd"),
                                "-l", "0-1", "--no-huge", "--no-pci", "--no-shconf",
                                "--file-prefix", prefix, "--vdev=net_null0,no-rx=1", "--",
                                "-f", conf], stdout=log, stderr=subprocess.STDOUT)
        check(wait(lambda: os.path.exists(sock), 10) is not None, "lbd answers")

        def lbadm(*a):
            return lbdctl.lbadm(build, *a, sock=sock)

        def announced():
            return {v["vip"]: v for v in json.loads(lbadm("--announced", "--json")[1])["vips"]}
        check(wait(lambda: "10.0.0.101" in routes(), 3) is not None and
              "10.0.0.100" not in routes(),
              "start: B announced, the stale route of A gone: %s" % routes())
        r = routes().get("10.0.0.101", "")
        check("proto static" in r, "the route is proto static (BIRD learns it): %r" % r)

        # quorum
        lst = listener()
        t = wait(lambda: "10.0.0.100" in routes(), 3)
        check(t is not None, "A's check passes: A announced (%.2f s)" % (t or 0))
        lst.kill()
        lst.wait()
        t = wait(lambda: "10.0.0.100" not in routes(), 3)
        check(t is not None and "10.0.0.101" in routes(),
              "A's check fails: A withdrawn (%.2f s), B stays" % (t or 0))
        a = announced()["10.0.0.100"]
        check(not a["announced"] and a["reason"] == "no service has its quorum",
              "--announced says why: %s" % a)
        lst = listener()
        check(wait(lambda: "10.0.0.100" in routes(), 3) is not None, "A back with its quorum")

        # admin
        rc, _, err = lbadm("--withdraw", "10.0.0.101")
        check(rc == 0 and "10.0.0.101" not in routes(), "--withdraw B: its route is gone")
        a = announced()["10.0.0.101"]
        check(a["reason"] == "withdrawn by lbadm" and not a["admin"], "--announced: %s" % a)
        rc, _, err = lbadm("--announce", "10.0.0.101")
        check(rc == 0 and "10.0.0.101" in routes(), "--announce B: back")
        rc, _, err = lbadm("--withdraw", "10.0.0.99")
        check(rc == 255 and "No service has this virtual IP" in err,
              "--withdraw of a VIP no service has: exit %d, %s" % (rc, err.strip()))
        _, text, _ = lbadm("--announced")
        check("10.0.0.100" in text and "announced" in text, "--announced as text:\n" + text)

        if shutil.which("bird"):
            bird_stage(d, lambda *a: lbadm(*a), birds)
        else:
            print("skip bird: not installed (make deps installs bird2)")

        # watchdog
        with lbdctl.WorkerStopped(lbd.pid):     # raises when it cannot
            t = wait(lambda: routes() == {}, 3)
            check(t is not None and t < 2.5, "a stalled worker withdraws every VIP (%.2f s)"
                  % (t or 0))
            a = announced()["10.0.0.101"]
            check(a["reason"].startswith("worker lcore") and "stalled" in a["reason"],
                  "--announced: %s" % a)
            # the control plane does not wait for the stalled worker: a change
            # is published (its old snapshot freed later)
            t0 = time.monotonic()
            rc, _, err = lbadm("-e", "-t", "10.0.0.101:80", "-r", "10.0.0.12", "-w", "3")
            check(rc == 0 and time.monotonic() - t0 < 1,
                  "lbadm -e while the worker is stopped: done in %.2f s (%s)"
                  % (time.monotonic() - t0, err.strip()))
        check(wait(lambda: len(routes()) == 2, 3) is not None, "the worker back: both again")

        # delete
        rc, _, _ = lbadm("-D", "-t", "10.0.0.100:80")
        check(rc == 0 and wait(lambda: "10.0.0.100" not in routes(), 2) is not None,
              "lbadm -D: A's route goes")

        # SIGTERM: drain
        lbd.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        check(wait(lambda: routes() == {}, 1) is not None, "SIGTERM: the routes go at once")
        time.sleep(1)
        rc, _, _ = lbadm("-Ln")
        check(rc == 0 and lbd.poll() is None, "during the drain lbd still runs and answers")
        try:
            rc = lbd.wait(10)
        except subprocess.TimeoutExpired:
            rc = "hung"
        took = time.monotonic() - t0
        check(rc == 0 and 1.8 <= took <= 4, "lbd exits with 0 after drain_seconds (%s, %.1f s)"
              % (rc, took))
        lbd = None
        log.seek(0)
        text = log.read()
        check("announce: 10.0.0.100 withdrawn: no service has its quorum" in text and
              "announce: 10.0.0.101 announced" in text, "every change is logged")
    finally:
        if lbd is not None and lbd.poll() is None:
            lbd.kill()
            lbd.wait()
        if lst is not None:
            lst.kill()
            lst.wait()
        for b in birds:
            b.kill()
            b.wait()
        sh("ip", "netns", "del", NSR, ok=False)
        sh("ip", "netns", "del", NS, ok=False)
        shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree(lbdctl.dpdk_runtime_dir(prefix), ignore_errors=True)
    print("%d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
