#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""An active/backup pair: keepalived's VRRP moves the VIP, lbd's sync keeps
the connections.

The routed topology of tests/lab/lab.sh (LAB=lbp, LAB_DIRECTORS=2, three
nginx real servers): a client behind a router, two directors on the segment.
The VIP 10.77.0.100 is in the segment's subnet: the router reaches it by ARP,
as a client on the segment would. Each director runs lbd (wrr, no sloppy,
vip_arp "kernel", a sync master and backup on its kernel interface) and
keepalived's VRRP half from Debian, unmodified, with the VIP as
virtual_ipaddress on lbd's kernel interface (KEEPALIVED_CONF below: no
virtual_server, no notify script).

  master     d1 (priority 150) holds the VIP on its kernel interface: a
             broadcast ARP request for it is answered by d1 alone (with
             vip_arp "never" nobody answers); the router resolves it to d1;
             -L --daemon on d2
  takeover   30 downloads (4 MiB at 512 KiB/s, SHA-256 checked) through d1,
             each synced to d2; kill -9 of d1's lbd: d2's keepalived takes
             the VIP, lbd answers ARP and sends a gratuitous one, every
             download completes intact, ARP is answered by d2 alone; the
             time from the kill to d2
             holding the VIP, and to the router's neighbour entry moving,
             are reported
  comeback   30 downloads through d2; d1's lbd started again: keepalived
             there stays backup (nopreempt), and d1 holds every download's
             entry, synced from d2, within a few seconds

usage: pair.py BUILD_DIR [TEST...]   (default: every test, in order)
exit:  0 all passed, 1 a test failed, 77 skipped (needs root, keepalived)
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import harness
import host as H

HERE = os.path.dirname(os.path.abspath(__file__))
LAB = "lbp"
RUN = "/run/" + LAB
VIP = "10.77.0.100"
CLIENT = "10.78.0.10"
DIRS = {1: "10.77.0.21", 2: "10.77.0.22"}
MACS = {1: "02:77:00:00:00:15", 2: "02:77:00:00:00:16"}
SERVERS = {"rs1": "10.77.0.11", "rs2": "10.77.0.12", "rs3": "10.77.0.13"}
RS_BY_IP = {ip: name for name, ip in SERVERS.items()}
Fail, check, log, nsx = harness.Fail, harness.check, harness.log, H.nsx
H.LAB, H.RUN, H.VIP, H.SERVERS = LAB, RUN, VIP, SERVERS

LBD_CONF = """
ports = ( { device = "net_af_packet0"; address = "%(ip)s/24"; mac = "%(mac)s";
            host = { ifname = "lbp-k%(i)d"; backend = "tap"; }; } );
vip_arp = "kernel";
services = (
  { protocol = "tcp"; vip = "%(vip)s"; port = 80; scheduler = "wrr";
    real_servers = ( { address = "10.77.0.11"; }, { address = "10.77.0.12"; },
                     { address = "10.77.0.13"; } ); }
);
sync = ( { state = "master"; interface = "lbp-k%(i)d"; syncid = %(i)d; },
         { state = "backup"; interface = "lbp-k%(i)d"; syncid = 0; } );
dataplane = { mbufs = 8192; connections = 65536; idle_sleep_us = 200; };
control = { socket = "%(run)s/d%(i)d.sock"; };
"""

# keepalived.conf of a director: VRRP only. Both start BACKUP with nopreempt,
# so that a director coming back does not take the VIP again.
KEEPALIVED_CONF = """
global_defs {
  router_id lbp-d%(i)d
  vrrp_garp_master_delay 1
  vrrp_garp_master_repeat 3
}
vrrp_instance VI_1 {
  state BACKUP
  nopreempt
  interface lbp-k%(i)d
  virtual_router_id 51
  priority %(prio)d
  advert_int 1
  virtual_ipaddress {
    %(vip)s/32 dev lbp-k%(i)d
  }
}
"""

BUILD = LBADM = None
lbd_procs = {}
kas = {}


def sock(i):
    return "%s/d%d.sock" % (RUN, i)


def lbadm(i, *args, ok=True):
    p = subprocess.run([LBADM, "--socket", sock(i), *args], capture_output=True, text=True,
                       timeout=10)
    if ok and p.returncode != 0:
        raise Fail("d%d: lbadm %s: exit %d: %s" % (i, " ".join(args), p.returncode,
                                                    p.stderr.strip()))
    return p.stdout


def lab(*args):
    e = dict(os.environ, LAB=LAB, LAB_RUN=RUN, LAB_DIRECTORS=str(len(DIRS)),
             LAB_SERVERS=str(len(SERVERS)), LAB_VIP=VIP)
    return subprocess.run([os.path.join(HERE, "lab.sh"), *args], env=e,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def start_lbd(i):
    conf = "%s/d%d.conf" % (RUN, i)
    with open(conf, "w") as f:
        f.write(LBD_CONF % {"i": i, "ip": DIRS[i], "mac": MACS[i], "vip": VIP, "run": RUN})
    lcores = ["-l", "0-1"] + (["--main-lcore", "1"] if i % 2 == 0 else [])
    p = subprocess.Popen(
        ["ip", "netns", "exec", H.nsname("d%d" % i), os.path.join(BUILD, "lbd"), *lcores,
         "--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--file-prefix",
         "%s-d%d" % (LAB, i), "--log-level=user1,info",
         "--vdev=net_af_packet0,iface=%s-d%d,qpairs=2" % (LAB, i), "--", "-f", conf],
        stdout=open("%s/d%d.log" % (RUN, i), "a"), stderr=subprocess.STDOUT)
    lbd_procs[i] = p
    t = H.wait_for(lambda: p.poll() is not None or lbadm(i, "-Ln", ok=False) != "", 20, 0.1)
    check(p.poll() is None and t is not None, "d%d: lbd did not start (%s/d%d.log)"
          % (i, RUN, i))


def start_keepalived(i):
    conf = "%s/keepalived-d%d.conf" % (RUN, i)
    with open(conf, "w") as f:
        f.write(KEEPALIVED_CONF % {"i": i, "vip": VIP, "prio": 150 if i == 1 else 100})
    kas[i] = subprocess.Popen(
        ["ip", "netns", "exec", H.nsname("d%d" % i), "keepalived", "-n", "-l", "-D", "-P",
         "-f", conf, "-p", "%s/keepalived-d%d.pid" % (RUN, i),
         "-r", "%s/keepalived-vrrp-d%d.pid" % (RUN, i)],
        stdout=open("%s/keepalived-d%d.log" % (RUN, i), "a"), stderr=subprocess.STDOUT)


def holds_vip(i):
    p = nsx("d%d" % i, "ip", "-j", "addr", "show", "dev", "lbp-k%d" % i, ok=False)
    try:
        return any(a.get("local") == VIP for d in json.loads(p.stdout or "[]")
                   for a in d.get("addr_info", []))
    except ValueError:
        return False


ARP_PROBE = """
from scapy.all import Ether, ARP, srp, conf
conf.verb = 0
ans, _ = srp(Ether(dst="ff:ff:ff:ff:ff:ff") / ARP(pdst="%s", psrc="10.77.0.1"),
             iface="lbp-r", timeout=1, multi=True)
print(" ".join(sorted({r[ARP].hwsrc for _, r in ans})))
""" % VIP


def arp_answers():
    """The MACs answering a broadcast ARP request for the VIP on the segment."""
    return nsx("r", "/usr/bin/python3", "-c", ARP_PROBE).stdout.split()


def router_mac():
    """The router's neighbour entry for the VIP: the MAC it sends to."""
    p = nsx("r", "ip", "-j", "neigh", "show", VIP, ok=False)
    try:
        n = json.loads(p.stdout or "[]")
    except ValueError:
        return None
    return n[0].get("lladdr") if n else None


def entries(i):
    """{client port: (server, origin)} of director i's entries for the client."""
    try:
        conns = json.loads(lbadm(i, "-lnc", "--json", ok=False))["connections"]
    except (ValueError, KeyError):
        return {}
    return {c["client_port"]: (RS_BY_IP.get(c["server"], c["server"]), c["origin"])
            for c in conns if c["client"] == CLIENT and not c["template"]}


PHASE = [0]


def downloads():
    PHASE[0] += 1
    base = 40000 + 100 * PHASE[0]
    return {base + j: H.Download(base + j) for j in range(30)}


def on_both(dl, a, b):
    """Wait until every download is a local entry on a and a synced one on b."""
    def done():
        ea, eb = entries(a), entries(b)
        return all(ea.get(p, (None, ""))[1] == "local" and eb.get(p, (None, ""))[1] == "sync"
                   and ea[p][0] == eb[p][0] for p in dl)
    t0 = time.monotonic()
    t = H.wait_for(done, 15, 0.1)
    check(t is not None, "the downloads are not local on d%d and synced on d%d" % (a, b))
    return time.monotonic() - t0


def intact(dl):
    bad = {}
    for p, d in dl.items():
        try:
            d.finish(60)
        except Fail as e:
            bad[p] = str(e)
    check(not bad, "%d of %d downloads broke: %s" % (len(bad), len(dl),
                                                   list(bad.items())[:3]))


def test_master():
    t = H.wait_for(lambda: holds_vip(1), 15, 0.1)
    check(t is not None and not holds_vip(2), "d1 holds the VIP, d2 does not (%s %s)"
          % (holds_vip(1), holds_vip(2)))
    # who answers ARP for the VIP: d1's lbd alone (d2 does not hold it)
    got = arp_answers()
    check(got == [MACS[1]], "ARP for the VIP answered by %s, want d1 alone" % got)
    nsx("r", "ip", "neigh", "flush", "dev", "lbp-r")
    H.ping("cli", VIP, count=1)
    check(router_mac() == MACS[1], "the router resolves the VIP to d1 (%s)" % router_mac())
    out = lbadm(2, "-L", "--daemon")
    check(out.startswith("master sync daemon (mcast=lbp-k2, syncid=2,") and
          "backup sync daemon (mcast=lbp-k2, syncid=0," in out, "d2 -L --daemon: %r" % out)
    return "d1 is VRRP master and owns the VIP; the router resolves it to d1"


def test_takeover():
    dl = downloads()
    t_sync = on_both(dl, 1, 2)
    t0 = time.monotonic()
    lbd_procs.pop(1).kill()
    t_vip = H.wait_for(lambda: holds_vip(2), 15, 0.05)
    check(t_vip is not None, "d2 did not take the VIP")
    t_mac = H.wait_for(lambda: router_mac() == MACS[2], 10, 0.05)
    check(t_mac is not None, "the router still sends to %s" % router_mac())
    t_mac = time.monotonic() - t0
    # lbd sees the new address within its 100 ms poll
    got = []
    check(H.wait_for(lambda: got.__setitem__(slice(None), arp_answers()) or got == [MACS[2]],
                     5, 0.1) is not None,
          "after the takeover ARP for the VIP answered by %s, want d2" % got)
    intact(dl)
    return ("synced to d2 in %.2f s; kill -9 of d1: d2 holds the VIP after %.1f s, the "
            "router sends to it after %.1f s; 30 of 30 downloads intact"
            % (t_sync, t_vip, t_mac))


def test_comeback():
    check(holds_vip(2), "d2 holds the VIP")
    dl = downloads()
    H.wait_for(lambda: all(p in entries(2) for p in dl), 10, 0.1)
    t0 = time.monotonic()
    start_lbd(1)
    t = on_both(dl, 2, 1)
    t = time.monotonic() - t0
    check(holds_vip(2) and not holds_vip(1), "d2 stays master (nopreempt)")
    intact(dl)
    return ("d1 started again: backup, every download's entry synced to it %.1f s after "
            "its start; 30 of 30 intact" % t)


TESTS = [("master", test_master), ("takeover", test_takeover), ("comeback", test_comeback)]


def up():
    p = lab("up", BUILD)
    check(p.returncode == 0, "the lab did not come up:\n" + p.stdout)
    nsx("cli", "sysctl", "-qw", "net.ipv4.tcp_rmem=" + H.CLI_RMEM,
        "net.ipv4.ip_local_port_range=50000 60999")
    for i in DIRS:
        start_lbd(i)
    for i in DIRS:
        start_keepalived(i)


def down():
    for p in list(lbd_procs.values()) + list(kas.values()):
        if p.poll() is None:
            p.send_signal(signal.SIGINT if p in lbd_procs.values() else signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
    lab("down")


def main():
    global BUILD, LBADM
    BUILD, names = harness.parse("pair", __doc__, TESTS, tools=("nginx", "ethtool", "tc"))
    LBADM = H.LBADM = os.path.join(BUILD, "lbadm")
    if shutil.which("keepalived") is None:
        print("pair: skipped, keepalived is not installed (make deps installs it)")
        return 77
    return harness.run("pair", TESTS, names, up, down)


if __name__ == "__main__":
    sys.exit(main())
