#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A SYN flood against the lab's VIP, with each defence off and on.

The lab (tests/lab/lab.sh, LAB=lbf, two nginx real servers). hping3 --flood
-S --rand-source runs from the client's namespace at the VIP. First a
calibration run measures the rate the flood creates entries at (R per second).
Then lbd restarts with a table sized for a tenth of what the flood creates
within the SYN_RECV timeout (R x syn_recv / 10). Each test floods for
FLOOD_SECS while a legitimate client makes one request after another, and
reports the share that succeeded:

  undefended   every defence off: the table is full most of the time
  drop_entry   drop_entry = 1: half-open entries are freed past the threshold;
               the success rate must be well above the undefended one
  drop_packet  drop_packet = 1: past the threshold, new connections are dropped
               at IPVS's rate (reported, not required to beat undefended)
  after        (checked after every flood) 30 downloads started before the
               flood all complete intact; within the SYN_RECV timeout of the
               flood's end, the table is back to its baseline; every frame lbd
               received is accounted for, exactly (rx = fwd + reply +
               to_control + to_host + drops, per lcore, once traffic stops);
               the pool's mbufs in use are back to their baseline

usage: flood.py BUILD_DIR [TEST...]     (default: every test, in order)
env:   FLOOD_SECS  seconds of each flood (default 30)
exit:  0 all passed, 1 a test failed, 77 skipped (needs root)
"""
import os
import subprocess
import sys
import threading
import time

import harness
import host as H

HERE = os.path.dirname(os.path.abspath(__file__))
LAB = "lbf"
RUN = "/run/" + LAB
SERVERS = {"rs1": "10.77.0.11", "rs2": "10.77.0.12"}
Fail, check, log, nsx, lbadm = H.Fail, H.check, H.log, H.nsx, H.lbadm
H.LAB, H.RUN, H.SOCK = LAB, RUN, RUN + "/lbd.sock"
H.SERVERS = SERVERS
FLOOD_SECS = int(os.environ.get("FLOOD_SECS", "30"))
SYN_RECV = 10                   # the lab's syn_recv timeout, seconds
N_DOWNLOADS = 30
TABLE = None                    # sized by the calibration

CONF = """
ports = ( { device = "net_af_packet0"; address = "10.77.0.2/24"; mac = "02:77:00:00:00:02"; } );
dataplane = { mbufs = 16384; connections = %d; %s };
control = { socket = "@RUN@/lbd.sock"; };
timeouts = { syn_recv = %d; };
services = ( { protocol = "tcp"; vip = "10.77.0.100"; port = 80; scheduler = "wrr";
  real_servers = ( { address = "10.77.0.11"; weight = 1; },
                   { address = "10.77.0.12"; weight = 1; } ); } );
"""


def lab(*args, **env):
    e = dict(os.environ, LAB=LAB, LAB_RUN=RUN, **env)
    return subprocess.run([os.path.join(HERE, "lab.sh"), *args], env=e,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def start(connections, defense=""):
    if H.lbd_running():
        p = lab("stop")
        check(p.returncode == 0, "lab.sh stop: " + p.stdout)
    path = RUN + "/flood.conf.in"
    with open(path, "w") as f:
        f.write(CONF % (connections, defense, SYN_RECV))
    p = lab("start", H.BUILD, path)
    check(p.returncode == 0 and H.lbd_running(), "lab.sh start: " + p.stdout)


def totals(c=None):
    c = c or H.counters()
    t = {"rx": 0, "fwd": 0, "created": 0, "entries": 0, "evicted": 0, "syn_recv": 0}
    for k in c["cores"]:
        t["syn_recv"] += k["states"]["SYN_RECV"]
        t["rx"] += k["rx"]
        t["fwd"] += k["fwd"]
        t["entries"] += k["conns"]
        t["evicted"] += k["conn_evicted"]
    t["created"] = c["total"]["conns"]
    return t


def accounted(c):
    for k in c["cores"]:
        out = k["fwd"] + k["reply"] + k["to_control"] + k["to_host"] + sum(k["drops"].values())
        if k["rx"] != out:
            return "lcore %d: rx %d, outcomes %d" % (k["lcore"], k["rx"], out)
    return None


def mbufs_in_use(c=None):
    c = c or H.counters()
    return sum(p["in_use"] for p in c["pools"])


class Flood:
    def __init__(self):
        self.p = subprocess.Popen(["ip", "netns", "exec", "%s-cli" % LAB, "nice", "-n", "5",
                                   "hping3", "--flood", "-q", "-S", "-p", "80",
                                   "--rand-source", H.VIP],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self):
        self.p.terminate()
        try:
            self.p.wait(5)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


class Requests(threading.Thread):
    """A new request from the client every 0.2 s, each in a thread of its
    own and given 0.9 s: less than the client's first SYN retransmission
    (1 s), so that each request is one attempt. Requests start at a steady
    pace whatever becomes of them, so the share answered is the chance a new
    connection gets through at a random moment of the flood."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = False
        self.ok = self.failed = 0
        self.lock = threading.Lock()
        self.threads = []
        self.start()

    def one(self):
        try:
            st, _, _ = H.http_get("cli", H.VIP, 80, "/", timeout=0.9)
            good = st == 200
        except (OSError, Fail):
            good = False
        with self.lock:
            if good:
                self.ok += 1
            else:
                self.failed += 1

    def run(self):
        while not self.stop:
            t = threading.Thread(target=self.one, daemon=True)
            t.start()
            self.threads.append(t)
            time.sleep(0.2)

    def finish(self):
        self.stop = True
        self.join(5)
        for t in self.threads:
            t.join(3)

    def rate(self):
        n = self.ok + self.failed
        return self.ok / n if n else 0.0


def calibrate():
    """Entries per second the flood creates, on a table too big to fill."""
    start(1 << 20)
    t0 = totals()
    f = Flood()
    time.sleep(3)
    t1 = totals()
    f.stop()
    rate = (t1["created"] - t0["created"]) / 3.0
    check(rate > 1000, "the flood created %.0f entries per second" % rate)
    return rate


def run_flood(name, defense):
    """Flood with DEFENSE (dataplane keys); checks what every flood must
    leave intact; returns (success rate, requests, details)."""
    start(TABLE, defense)
    c0 = H.counters()
    base_syn, base_mbufs = totals(c0)["syn_recv"], mbufs_in_use(c0)
    dls = [H.Download(port=42000 + i) for i in range(N_DOWNLOADS)]
    check(H.wait_for(lambda: all(d.got > 0 for d in dls), 10) is not None,
          "the downloads do not all start")
    req = Requests()
    f = Flood()
    peak = full = samples = 0
    t_end = time.monotonic() + FLOOD_SECS
    while time.monotonic() < t_end:
        n = totals()["entries"]
        peak = max(peak, n)
        full += n >= TABLE - 64
        samples += 1
        time.sleep(0.25)
    f.stop()
    req.finish()
    t_flood_end = time.monotonic()
    for d in dls:
        d.finish(timeout=60)
    left = SYN_RECV + 2 - (time.monotonic() - t_flood_end)
    # the flood's entries are all SYN_RECV: they go within the timeout
    back = H.wait_for(lambda: totals()["syn_recv"] <= base_syn, max(left, 0.5), step=0.2)
    check(back is not None, "%s: %d SYN_RECV entries %d s after the flood (baseline %d)"
          % (name, totals()["syn_recv"], SYN_RECV + 2, base_syn))
    back_s = time.monotonic() - t_flood_end
    time.sleep(1)       # the last frames through
    c1 = H.counters()
    bad = accounted(c1)
    check(bad is None, "%s: frames unaccounted for: %s" % (name, bad))
    check(mbufs_in_use(c1) == base_mbufs, "%s: %d mbufs in use after the flood, %d before"
          % (name, mbufs_in_use(c1), base_mbufs))
    t = totals(c1)
    conn_full = sum(k["drops"]["conn_full"] for k in c1["cores"])
    dropped = sum(k["drops"]["drop_packet"] for k in c1["cores"])
    detail = ("%d requests, %.1f%% answered; table %d, peak %d entries, full in %d%% of"
              " samples; conn_full %d,"
              " evicted %d, drop_packet %d; rx %d accounted; back to baseline %.1f s after"
              % (req.ok + req.failed, 100 * req.rate(), TABLE, peak, 100 * full // samples,
                 conn_full, t["evicted"],
                 dropped, t["rx"], back_s))
    return req.rate(), req.ok + req.failed, detail


results = {}


def test_undefended():
    rate, n, detail = run_flood("undefended", "")
    check(n > 20, "only %d requests in %d s" % (n, FLOOD_SECS))
    results["undefended"] = rate
    return detail


def test_drop_entry():
    rate, n, detail = run_flood("drop_entry", "drop_entry = 1; defense_threshold = 90;")
    results["drop_entry"] = rate
    base = results.get("undefended")
    if base is not None:
        check(rate >= 0.9 and rate >= base + 0.3,
              "drop_entry: %.1f%% answered, undefended %.1f%%: not well above"
              % (100 * rate, 100 * base))
    return detail


def test_drop_packet():
    rate, n, detail = run_flood("drop_packet", "drop_packet = 1; defense_threshold = 90;")
    results["drop_packet"] = rate
    return detail


TESTS = [("undefended", test_undefended), ("drop_entry", test_drop_entry),
         ("drop_packet", test_drop_packet)]


def main():
    global TABLE
    H.BUILD, names = harness.parse("flood", __doc__, TESTS,
                                   tools=("nginx", "ethtool", "hping3"))
    H.LBADM = os.path.join(H.BUILD, "lbadm")
    conf = RUN + ".start.conf"

    def up():
        global TABLE
        with open(conf, "w") as f:
            f.write(CONF % (65536, "", SYN_RECV))
        p = lab("up", H.BUILD, conf)
        check(p.returncode == 0, "lab.sh up: exit %d:\n%s" % (p.returncode, p.stdout.strip()))
        nsx("cli", "sysctl", "-qw", "net.ipv4.tcp_rmem=" + H.CLI_RMEM)
        rate = calibrate()
        TABLE = max(1024, int(rate * SYN_RECV / 10))
        log("     calibration: the flood creates %.0f entries/s; table %d (a tenth of"
            " %d s of it)" % (rate, TABLE, SYN_RECV))

    def on_fail(_name):
        try:
            with open(RUN + "/lbd.log", errors="replace") as f:
                log("     lbd.log: " + "\n     ".join(f.read().splitlines()[-8:]))
        except OSError:
            pass

    def down():
        p = lab("down")
        if p.returncode != 0:
            log("flood: lab.sh down: " + p.stdout)
        if os.path.exists(conf):
            os.unlink(conf)

    def final():
        if results:
            log("     answered during the flood: " + ", ".join(
                "%s %.1f%%" % (k, 100 * v) for k, v in results.items()))
        return []
    return harness.run("flood", TESTS, names, up, down, on_fail=on_fail, final=final)


if __name__ == "__main__":
    sys.exit(main())
