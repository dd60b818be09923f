#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Reload under load: SIGHUP while real transfers cross lbd.

The lab (tests/lab/lab.sh, LAB=lbr, three nginx real servers). lbd starts
with file A (wrr: rs1 weight 3, rs2 weight 1; established 900 s). File B
gives rs1 weight 1 and rs2 weight 3, adds rs3 and sets established to 600 s.
Each test rewrites the file lbd reads and sends SIGHUP:

  under_load  30 rate-limited downloads (4 MiB at 512 KiB/s, from rs1 and rs2,
              which both files keep) start under A; a loop of short requests
              runs beside them; 100 reloads alternate B and A (rs3 added, then
              removed) while they run. Every download completes intact; no
              request fails but those a reload removing rs3 explains (one that
              was on rs3 at that moment, or one whose client port an earlier
              request left on rs3: IPVS drops a SYN that finds a deleted
              server's established entry); the workers' counters and the total
              connections never go backwards between two reloads; lbd's RSS
              does not grow; every reload logged "applied"; -Ln follows the
              file after the last one
  refused     under load too: a file with an error and one that changes
              dataplane.connections (beside a weight) change nothing: -Ln,
              the timeouts and the downloads as they were
  weights     the scheduler follows the file: 50 requests under B are exactly
              wrr's 1:3:1, 40 under A exactly 3:1, 40 under A with its weights
              swapped (nothing else changed) exactly 1:3

usage: reload.py BUILD_DIR [TEST...]     (default: every test, in order)
exit:  0 all passed, 1 a test failed, 77 skipped (needs root)
"""
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import harness
import host as H

HERE = os.path.dirname(os.path.abspath(__file__))
LAB = "lbr"
RUN = "/run/" + LAB
SERVERS = {"rs1": "10.77.0.11", "rs2": "10.77.0.12", "rs3": "10.77.0.13"}
Fail, check, log, nsx, lbadm = H.Fail, H.check, H.log, H.nsx, H.lbadm
H.LAB, H.RUN, H.SOCK = LAB, RUN, RUN + "/lbd.sock"
H.SERVERS = SERVERS
N_DOWNLOADS = 30
N_RELOADS = 100

HEAD = """
ports = ( { device = "net_af_packet0"; address = "10.77.0.2/24"; mac = "02:77:00:00:00:02"; } );
dataplane = { mbufs = 16384; connections = %d; };
control = { socket = "@RUN@/lbd.sock"; };
timeouts = { established = %d; };
"""
A = (HEAD % (65536, 900)) + """
services = ( { protocol = "tcp"; vip = "10.77.0.100"; port = 80; scheduler = "wrr";
  real_servers = ( { address = "10.77.0.11"; weight = 3; },
                   { address = "10.77.0.12"; weight = 1; } ); } );
"""
B = (HEAD % (65536, 600)) + """
services = ( { protocol = "tcp"; vip = "10.77.0.100"; port = 80; scheduler = "wrr";
  real_servers = ( { address = "10.77.0.11"; weight = 1; },
                   { address = "10.77.0.12"; weight = 3; },
                   { address = "10.77.0.13"; weight = 1; } ); } );
"""


def lab(*args, **env):
    """lab.sh with one queue pair on lbd's port (host.py's lab() gives two,
    the second for a kernel interface this lab has not)."""
    e = dict(os.environ, LAB=LAB, LAB_RUN=RUN, **env)
    return subprocess.run([os.path.join(HERE, "lab.sh"), *args], env=e,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def write_conf(text):
    tmp = RUN + "/lbd.conf.new"
    with open(tmp, "w") as f:
        f.write(text.replace("@RUN@", RUN))
    os.rename(tmp, RUN + "/lbd.conf")     # lbd never reads half a file


class Log:
    """lbd's log, read from where the last call stopped."""

    def __init__(self):
        self.f = open(RUN + "/lbd.log", errors="replace")
        self.f.seek(0, 2)

    def wait(self, pattern, secs=5):
        buf, t0 = "", time.monotonic()
        while time.monotonic() - t0 < secs:
            buf += self.f.read()
            if re.search(pattern, buf):
                return buf
            time.sleep(0.01)
        raise Fail("lbd.log: no %r within %.0f s:\n%s" % (pattern, secs, buf[-800:]))


def reload(text, lg, expect=r"reload: \S+ applied"):
    write_conf(text)
    os.kill(H.lbd_pid(), signal.SIGHUP)
    return lg.wait(expect)


def listed():
    return {m.group(1): int(m.group(2)) for m in
            re.finditer(r"-> ([\d.]+):\d+\s+Route\s+(\d+)", lbadm("-Ln"))}


def rss_kb():
    with open("/proc/%d/status" % H.lbd_pid()) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


class Requests(threading.Thread):
    """Short requests to the VIP, one after the other, each
    (t0, t1, server, error, client port)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = False
        self.done = []
        self.start()

    def one(self):
        s = H.ns_socket("cli", socket.AF_INET, socket.SOCK_STREAM)
        port = None
        try:
            s.settimeout(3)
            s.bind(("", 0))
            port = s.getsockname()[1]
            s.connect((H.VIP, 80))
            s.sendall(("GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                       % H.VIP).encode())
            st, hdr, _ = H.read_http(s)
            return hdr.get("x-server"), None if st == 200 else "status %d" % st, port
        except (OSError, Fail) as e:
            return None, "%s: %s" % (type(e).__name__, e), port
        finally:
            s.close()

    def run(self):
        while not self.stop:
            t0 = time.monotonic()
            server, err, port = self.one()
            self.done.append((t0, time.monotonic(), server, err, port))


def explained(reqs, removals):
    """The failed requests no reload explains. A request fails for a reload
    that removed rs3 while it ran, or because its client port is one an
    earlier request left on rs3 (or lost so): lbd's entry for that port
    still names the removed server, and IPVS drops a SYN that finds an
    established entry of a deleted server (expire_nodest_conn off)."""
    tainted, out = set(), []
    for t0, t1, server, err, port in reqs:
        if err is None:
            if server == "rs3":
                tainted.add(port)
            else:
                tainted.discard(port)
            continue
        if any(t0 <= b and a <= t1 for a, b in removals) or port in tainted:
            tainted.add(port)
            continue
        out.append((t0, t1, server, err, port))
    return out


def downloads():
    dls = [H.Download(port=41000 + i) for i in range(N_DOWNLOADS)]
    check(H.wait_for(lambda: all(d.got > 0 for d in dls), 10) is not None,
          "the downloads do not all start")
    return dls


def monotonic_counters(prev):
    """The counters now; Fail when one went back since prev."""
    c = H.counters()
    if prev is not None:
        for a, b in zip(prev["cores"], c["cores"]):
            for k in ("rx", "fwd", "tx"):
                check(b[k] >= a[k], "lcore %s: %s went back: %d -> %d" % (b["lcore"], k,
                                                                           a[k], b[k]))
        check(c["total"]["conns"] >= prev["total"]["conns"], "total conns went back")
    return c


def test_under_load():
    lg = Log()
    reload(A, lg)                    # whatever a test before left
    check(listed() == {"10.77.0.11": 3, "10.77.0.12": 1}, "file A: %s" % listed())
    dls = downloads()
    req = Requests()
    removals = []                    # when a reload took rs3 out (file A again)
    c = monotonic_counters(None)
    time.sleep(0.5)
    rss0 = rss_kb()
    t_start = time.monotonic()
    for i in range(N_RELOADS):
        to_a = i % 2 == 1
        t = time.monotonic()
        reload(A if to_a else B, lg)
        if to_a:
            removals.append((t, time.monotonic()))
        c = monotonic_counters(c)
        time.sleep(0.02)
    secs = time.monotonic() - t_start
    rss1 = rss_kb()
    crossed = sum(1 for d in dls if d.is_alive())
    check(crossed == N_DOWNLOADS, "only %d of %d downloads were still running after the %d"
          " reloads (%.1f s): the reloads must cross them" % (crossed, N_DOWNLOADS,
                                                             N_RELOADS, secs))
    for d in dls:
        d.finish(timeout=60)
    req.stop = True
    req.join(10)
    tmo = lbadm("-L", "--timeout").partition("Timeout (tcp tcpfin udp): ")[2]
    check(listed() == {"10.77.0.11": 3, "10.77.0.12": 1} and tmo.startswith("900 "),
          "after the last reload (A): %s, timeout %s" % (listed(), tmo.strip()))
    failed = [r for r in req.done if r[3] is not None]
    unexplained = explained(req.done, removals)
    on_rs3 = sum(1 for r in req.done if r[2] == "rs3")
    check(len(req.done) > 100 and on_rs3 > 0,
          "%d requests, %d on rs3: the loop must see rs3 come and go" % (len(req.done), on_rs3))
    check(not unexplained, "%d requests failed that no reload explains: %s"
          % (len(unexplained), unexplained[:3]))
    check(rss1 - rss0 < 1024, "lbd's RSS grew from %d to %d kB over %d reloads"
          % (rss0, rss1, N_RELOADS))
    servers = sorted({d.server for d in dls})
    check(set(servers) <= {"rs1", "rs2"}, "downloads from %s" % servers)
    return ("%d reloads in %.1f s crossed by %d downloads (all intact, from %s); %d requests,"
            " %d on rs3, %d failed (each explained by a reload removing rs3); RSS %d -> %d kB"
            % (N_RELOADS, secs, N_DOWNLOADS, "+".join(servers), len(req.done), on_rs3,
               len(failed), rss0, rss1))


def test_refused():
    lg = Log()
    reload(A, lg)
    dls = downloads()
    before, tmo0 = listed(), lbadm("-L", "--timeout")
    reload(A.replace("weight = 3", "weight = 7") + "\nbogus = 1;\n", lg,
           r"nothing changed")
    check(listed() == before, "a broken file changed -Ln: %s" % listed())
    out = reload(A.replace("weight = 3", "weight = 7").replace("connections = 65536",
                                                               "connections = 131072"),
                 lg, r"refused, nothing changed")
    check("dataplane.connections changed, which needs a restart" in out,
          "the restart-only key is not named:\n" + out)
    check(listed() == before and lbadm("-L", "--timeout") == tmo0,
          "a refused reload changed something: %s" % listed())
    for d in dls:
        d.finish(timeout=60)
    return "-Ln %s kept through a broken file and a restart-only change" % before


def shares(n):
    """Servers of n requests in a row, counted."""
    got = {}
    for _ in range(n):
        st, hdr, _ = H.http_get("cli", H.VIP, 80, "/", timeout=3)
        check(st == 200, "a request failed: status %d" % st)
        got[hdr.get("x-server")] = got.get(hdr.get("x-server"), 0) + 1
    return got


def test_weights():
    lg = Log()
    reload(B, lg)
    b = shares(50)
    check(b == {"rs1": 10, "rs2": 30, "rs3": 10}, "file B, wrr 1:3:1 over 50: %s" % b)
    reload(A, lg)
    a = shares(40)
    check(a == {"rs1": 30, "rs2": 10}, "file A, wrr 3:1 over 40: %s" % a)
    # the weights alone change: the scheduler must be rebuilt all the same
    reload(A.replace("weight = 3", "weight = X").replace("weight = 1", "weight = 3")
           .replace("weight = X", "weight = 1"), lg)
    w = shares(40)
    check(w == {"rs1": 10, "rs2": 30}, "A with its weights swapped, 1:3 over 40: %s" % w)
    return "the scheduler follows each reload: B %s, A %s, A swapped %s" % (b, a, w)


TESTS = [("under_load", test_under_load), ("refused", test_refused), ("weights", test_weights)]


def main():
    H.BUILD, names = harness.parse("reload", __doc__, TESTS, tools=("nginx", "ethtool"))
    H.LBADM = os.path.join(H.BUILD, "lbadm")
    # the lab's processes on CPU 0, lbd's worker alone on CPU 1 (as host.py)
    os.sched_setaffinity(0, {0})
    conf = RUN + ".start.conf"

    def up():
        with open(conf, "w") as f:
            f.write(A)
        p = lab("up", H.BUILD, conf, LAB_SERVERS="3")
        check(p.returncode == 0, "lab.sh up: exit %d:\n%s" % (p.returncode, p.stdout.strip()))
        nsx("cli", "sysctl", "-qw", "net.ipv4.tcp_rmem=" + H.CLI_RMEM)

    def on_fail(_name):
        try:
            with open(RUN + "/lbd.log", errors="replace") as f:
                log("     lbd.log: " + "\n     ".join(f.read().splitlines()[-12:]))
        except OSError:
            pass

    def down():
        p = lab("down")
        if p.returncode != 0:
            log("reload: lab.sh down: " + p.stdout)
        if os.path.exists(conf):
            os.unlink(conf)
    return harness.run("reload", TESTS, names, up, down, on_fail=on_fail)


if __name__ == "__main__":
    sys.exit(main())
