#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A memif peer that goes away while lbd's worker polls must not crash lbd.

lbd runs with one net_memif port (role server). Its peer is DPDK's testpmd
(role client, txonly), sending UDP datagrams to a VIP that lbd forwards back
out of the same port. ROUNDS times, the peer starts, traffic flows through
lbd (its rx and fwd counters move), and the peer is killed: with SIGKILL
(no goodbye, the socket just closes) or SIGINT (testpmd's own orderly
stop), alternately. After each, lbd must still run, log the link down, and
answer lbadm. A last peer then shows that lbd polls the port again once the
link is back up. lbd stops with status 0 and every mbuf back in its pool.

usage: test_memif.py BUILD_DIR     (root; 77 otherwise or without testpmd)
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import lbdctl
from lbdctl import check, failures

ROUNDS = 12
CONF = """
ports = ( { device = "net_memif0"; address = "198.19.0.1/15"; mac = "02:00:00:00:00:02"; } );
services = ( { protocol = "udp"; vip = "198.18.0.2"; port = 9; scheduler = "rr";
  real_servers = ( { address = "198.19.0.11"; mac = "02:00:00:00:00:11"; } ); } );
dataplane = { mbufs = 8192; connections = 4096; };
control = { socket = "%s/lbd.sock"; };
"""


def counters(sock):
    rc, out, _ = lbdctl.lbadm(BUILD, "--counters", "--json", sock=sock)
    if rc != 0:
        return None
    c = json.loads(out)
    return {k: sum(core[k] for core in c["cores"]) for k in ("rx", "fwd", "tx")}


def peer(tmp, n):
    """testpmd on the other end of the memif socket, sending all along."""
    log = open(os.path.join(tmp, "testpmd-%d.log" % n), "w")
    return subprocess.Popen(
        ["dpdk-testpmd", "-l", "0-1", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
         "--file-prefix", "memifpeer%d" % os.getpid(),
         "--vdev=net_memif0,role=client,socket=%s/memif.sock" % tmp, "--",
         "--total-num-mbufs=8192", "--forward-mode=txonly", "--txpkts=64", "--tx-ip=198.18.0.1,198.18.0.2",
         "--tx-udp=9,9", "--eth-peer=0,02:00:00:00:00:02", "--stats-period=1",
         "--nb-cores=1"],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)


def wait_for(cond, secs):
    t0 = time.monotonic()
    while time.monotonic() - t0 < secs:
        v = cond()
        if v:
            return v
        time.sleep(0.1)
    return None


def main():
    global BUILD
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    if os.geteuid() != 0:
        print("memif: skipped, needs root")
        return 77
    if shutil.which("dpdk-testpmd") is None:
        print("memif: skipped, dpdk-testpmd is missing (package dpdk)")
        return 77
    BUILD = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="lbd-memif-")
    sock = os.path.join(tmp, "lbd.sock")
    with open(os.path.join(tmp, "lbd.conf"), "w") as f:
        f.write(CONF % tmp)
    prefix = "lbdmemif%d" % os.getpid()
    log = open(os.path.join(tmp, "lbd.log"), "w+")
    lbd = subprocess.Popen(
        [os.path.join(BUILD, "lbd"), "-l", "0-1", "--no-huge", "-m", "256", "--no-pci",
         "--no-shconf", "--file-prefix", prefix,
         "--vdev=net_memif0,role=server,socket=%s/memif.sock" % tmp, "--",
         "-f", os.path.join(tmp, "lbd.conf")], stdout=log, stderr=subprocess.STDOUT)
    p = None
    try:
        check(wait_for(lambda: os.path.exists(sock), 10) is not None, "lbd is up")
        for n in range(ROUNDS):
            before = counters(sock)
            p = peer(tmp, n)
            moved = wait_for(lambda: (counters(sock) or before)["fwd"] > before["fwd"] + 1000,
                             15)
            if not check(moved is not None, "round %d: traffic through lbd from the peer" % n):
                break
            time.sleep(0.3)
            sig = signal.SIGKILL if n % 2 == 0 else signal.SIGINT
            p.send_signal(sig)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            p = None
            time.sleep(0.5)
            if not check(lbd.poll() is None and counters(sock) is not None,
                         "round %d: the peer gone (%s), lbd runs and answers" % (
                             n, "SIGKILL" if sig == signal.SIGKILL else "SIGINT")):
                break
        log.seek(0)
        text = log.read()
        downs = len(re.findall(r"port 0: link down", text))
        check(downs >= ROUNDS // 2, "lbd saw the link go down (%d times in %d rounds)"
              % (downs, ROUNDS))
        # the link back: polled again
        before = counters(sock)
        p = peer(tmp, ROUNDS)
        check(wait_for(lambda: (counters(sock) or before)["fwd"] > before["fwd"] + 1000, 15)
              is not None, "a new peer: lbd polls the port again")
        p.send_signal(signal.SIGINT)
        p.wait(10)
        p = None
    finally:
        if p is not None:
            p.kill()
            p.wait()
        lbd.send_signal(signal.SIGINT)
        try:
            rc = lbd.wait(20)
        except subprocess.TimeoutExpired:
            lbd.kill()
            rc = "hung"
        log.seek(0)
        text = log.read()
        m = re.search(r"counter mbufs_in_use (\d+)", text)
        check(rc == 0, "lbd exit status 0 (%s)" % rc)
        check(m is not None and m.group(1) == "0", "every mbuf back in the pool at exit (%s)"
              % (m and m.group(1)))
        if failures:
            print(text[-3000:])
        shutil.rmtree(tmp, ignore_errors=True)
        for pre in (prefix, "memifpeer%d" % os.getpid()):
            shutil.rmtree(lbdctl.dpdk_runtime_dir(pre), ignore_errors=True)
    print("memif: %s" % ("FAIL (%d)" % len(failures) if failures else "OK"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
