# SPDX-License-Identifier: BSD-3-Clause
"""lbd on the director nodes of lab.sh's routed topology (LAB_DIRECTORS),
shared by tests/lab/ecmp.py and tests/lab/pair.py: the lab itself, each
director's lbd (started with a configuration, stopped, killed), lbadm on
its socket, its entries for the client, and the client's downloads.

Director i is node di: its veth $LAB-di, address 10.77.0.(20+i), MAC
02:77:00:00:00:(20+i), control socket RUN/di.sock.
"""
import json
import os
import signal
import subprocess

import host as H
from harness import Fail, check

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT = "10.78.0.10"           # lab.sh: the client behind the router


class Directors:
    def __init__(self, lab, n, servers, vip):
        self.lab_name, self.run, self.vip = lab, "/run/" + lab, vip
        self.servers = servers
        self.rs_by_ip = {ip: name for name, ip in servers.items()}
        self.addr = {i: "10.77.0.%d" % (20 + i) for i in range(1, n + 1)}
        self.mac = {i: "02:77:00:00:00:%02x" % (20 + i) for i in range(1, n + 1)}
        self.procs = {}         # director -> Popen of its lbd
        self.stop_failures = []  # orderly stops that did not end with status 0
        self.build = self.lbadm_path = None
        self.phase = 0
        # host.py's helpers (namespaces, downloads) on this lab
        H.LAB, H.RUN, H.VIP, H.SERVERS = lab, self.run, vip, servers

    def set_build(self, build):
        self.build = build
        self.lbadm_path = H.LBADM = os.path.join(build, "lbadm")

    def lab(self, *args):
        e = dict(os.environ, LAB=self.lab_name, LAB_RUN=self.run,
                 LAB_DIRECTORS=str(len(self.addr)), LAB_SERVERS=str(len(self.servers)),
                 LAB_VIP=self.vip)
        return subprocess.run([os.path.join(HERE, "lab.sh"), *args], env=e,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def sock(self, i):
        return "%s/d%d.sock" % (self.run, i)

    def lbadm(self, i, *args, ok=True):
        p = subprocess.run([self.lbadm_path, "--socket", self.sock(i), *args],
                           capture_output=True, text=True, timeout=10)
        if ok and p.returncode != 0:
            raise Fail("d%d: lbadm %s: exit %d: %s" % (i, " ".join(args), p.returncode,
                                                        p.stderr.strip()))
        return p.stdout

    def start_lbd(self, i, conf_text):
        """Start director i's lbd with conf_text and wait until it answers."""
        conf = "%s/d%d.conf" % (self.run, i)
        with open(conf, "w") as f:
            f.write(conf_text)
        # Alternate the main lcore, so that the workers do not all sit on one
        # CPU (idle, they sleep: idle_sleep_us).
        lcores = ["-l", "0-1"] + (["--main-lcore", "1"] if i % 2 == 0 else [])
        p = subprocess.Popen(
            ["ip", "netns", "exec", H.nsname("d%d" % i), os.path.join(self.build, "lbd"),
             *lcores, "--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--file-prefix",
             "%s-d%d" % (self.lab_name, i), "--log-level=user1,info",
             "--vdev=net_af_packet0,iface=%s-d%d,qpairs=2" % (self.lab_name, i),
             "--", "-f", conf],
            stdout=open("%s/d%d.log" % (self.run, i), "a"), stderr=subprocess.STDOUT)
        self.procs[i] = p
        t = H.wait_for(lambda: p.poll() is not None or
                       self.lbadm(i, "-Ln", ok=False) != "", 20, 0.1)
        check(p.poll() is None, "d%d: lbd exited (%s/d%d.log)" % (i, self.run, i))
        check(t is not None, "d%d: lbd does not answer on %s" % (i, self.sock(i)))

    def kill_lbd(self, i, sig=signal.SIGKILL):
        """Signal director i's lbd and wait for it. An orderly stop (any signal
        but SIGKILL) must end with status 0: lbd exits 1 when it leaked mbufs."""
        p = self.procs.pop(i, None)
        if p is not None and p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            H.check(sig == signal.SIGKILL or p.returncode == 0,
                    "d%d's lbd exited with %s on signal %d (a leak or a crash: its log"
                    " says which)" % (i, p.returncode, sig))

    def stop_all(self):
        for i in list(self.procs):
            try:
                self.kill_lbd(i, signal.SIGINT)
            except H.Fail as e:
                H.log("FAIL stop         %s" % e)
                self.stop_failures.append("stop d%d" % i)

    def entries(self, i):
        """Director i's entries for the client's flows: {client port: (state,
        server, origin)}, origin "local" (this director made it) or "sync"."""
        if i not in self.procs:
            return {}
        try:
            conns = json.loads(self.lbadm(i, "-lnc", "--json", ok=False))["connections"]
        except (ValueError, KeyError):
            return {}
        return {c["client_port"]: (c["state"], self.rs_by_ip.get(c["server"], c["server"]),
                                   c["origin"])
                for c in conns if c["client"] == CLIENT and c["vip"] == self.vip and
                not c["template"]}

    def downloads(self, n=30):
        """n downloads from the client, each from a client port of its own,
        never used before in this run: {client port: H.Download}."""
        self.phase += 1
        base = 40000 + 100 * self.phase
        return {base + j: H.Download(base + j) for j in range(n)}


def finish(dl):
    """Every download's outcome: {port: None (intact) or the error}."""
    out = {}
    for port, d in dl.items():
        try:
            d.finish(60)
            out[port] = None
        except Fail as e:
            out[port] = str(e)
    return out


def all_intact(dl):
    bad = {p: e for p, e in finish(dl).items() if e}
    check(not bad, "%d of %d downloads broke: %s" % (len(bad), len(dl), "; ".join(
        "%d: %s" % kv for kv in sorted(bad.items())[:5])))
