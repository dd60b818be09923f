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
import shutil
import subprocess
import sys
import time

import harness
import host as H
from directors import Directors, all_intact

LAB = "lbp"
RUN = "/run/" + LAB
VIP = "10.77.0.100"
SERVERS = {"rs1": "10.77.0.11", "rs2": "10.77.0.12", "rs3": "10.77.0.13"}
D = Directors(LAB, 2, SERVERS, VIP)
DIRS, MACS = D.addr, D.mac
lbadm, lab, lbd_procs, downloads = D.lbadm, D.lab, D.procs, D.downloads
check, nsx = harness.check, H.nsx

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

kas = {}


def start_lbd(i):
    D.start_lbd(i, LBD_CONF % {"i": i, "ip": DIRS[i], "mac": MACS[i], "vip": VIP, "run": RUN})


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
    return {p: e[1:] for p, e in D.entries(i).items()}


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
    D.kill_lbd(1)
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
    all_intact(dl)
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
    all_intact(dl)
    return ("d1 started again: backup, every download's entry synced to it %.1f s after "
            "its start; 30 of 30 intact" % t)


TESTS = [("master", test_master), ("takeover", test_takeover), ("comeback", test_comeback)]


def up():
    p = lab("up", D.build)
    check(p.returncode == 0, "the lab did not come up:\n" + p.stdout)
    nsx("cli", "sysctl", "-qw", "net.ipv4.tcp_rmem=" + H.CLI_RMEM,
        "net.ipv4.ip_local_port_range=50000 60999")
    for i in DIRS:
        start_lbd(i)
    for i in DIRS:
        start_keepalived(i)


def down():
    D.stop_all()
    for p in kas.values():
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
    lab("down")


def main():
    build, names = harness.parse("pair", __doc__, TESTS, tools=("nginx", "ethtool", "tc"))
    D.set_build(build)
    if shutil.which("keepalived") is None:
        print("pair: skipped, keepalived is not installed (make deps installs it)")
        return 77
    return harness.run("pair", TESTS, names, up, down, final=lambda: D.stop_failures)


if __name__ == "__main__":
    sys.exit(main())
