#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Scale-out in the lab: three directors behind an ECMP router, announced by BIRD.

The routed topology of tests/lab/lab.sh (LAB=lbx, LAB_DIRECTORS=3): a client
behind a router namespace running BIRD (BGP with every director, `merge
paths`, fib_multipath_hash_policy=1), one segment with three director
namespaces and four nginx real servers (the VIP on lo, default route via
the router). Each director runs lbd on its veth with a kernel interface (tap)
and BIRD in its namespace, peering with the router through lbd over that
interface (hold 3 s) and announcing what lbd puts in kernel table 100. lbd:
vip_arp "never", idle_sleep_us, the VIP's service mh with mh-port and
sloppy, rs1 to rs3 (rs4 runs but is not configured).

  spread     the router holds three next hops; 300 requests from the client
             are spread over the three directors (each one's Conns moved, the
             sum is 300)
  withdraw   30 downloads (4 MiB at 512 KiB/s, SHA-256 checked) in flight:
             lbadm --withdraw on d1; the router drops d1, d1's flows reappear
             on d2 and d3 with the same real server, every download completes
  comeback   30 downloads with d1 withdrawn, then lbadm --announce: flows move
             back to d1 (same real servers) and every download completes
  kill       30 downloads: kill -9 of d2's lbd; the router drops it at BGP
             hold expiry, its flows move, every download completes; d2 is
             started again and the router takes it back
  restart    30 downloads: d3's lbd killed and started again at once; every
             download completes
  add_server 30 downloads: rs4 added on every director (no download breaks:
             entries keep their server), then d1 withdrawn: the flows that
             move and whose mh server changed break, and only those; the
             figure is reported
  sync_withdraw, sync_kill, sync_add_server
             the directors again with wrr, no sloppy, and connection sync
             (a master and a backup on each kernel interface): -L --daemon
             as ipvsadm prints it; every download's entry reaches every
             director with the same server; a withdrawal, a kill -9, a new
             server then a withdrawal: 30 of 30 downloads intact each time
Timings (withdrawal or kill to the router's new route, to the last moved flow
seen on a new director) are printed on each test's line.

usage: ecmp.py BUILD_DIR [TEST...]   (default: every test, in order)
       ecmp.py BUILD_DIR up          raise the lab with everything started, leave it
       ecmp.py BUILD_DIR down        take it down
env:   ECMP_ROUTER=frr     FRR's zebra and bgpd on the router instead of BIRD
       ECMP_DIRECTOR=frr   FRR on the directors instead of BIRD
                           (docs/scale-out.md has both configurations)
exit:  0 all passed, 1 a test failed, 77 skipped (needs root, bird)
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

import harness
import host as H
from directors import Directors, all_intact, finish

HERE = os.path.dirname(os.path.abspath(__file__))
LAB = "lbx"
RUN = "/run/" + LAB
VIP = "10.99.0.100"
ROUTER = "10.77.0.1"
TABLE = 100
DIRS = {1: "10.77.0.21", 2: "10.77.0.22", 3: "10.77.0.23"}
SERVERS = {"rs1": "10.77.0.11", "rs2": "10.77.0.12", "rs3": "10.77.0.13",
           "rs4": "10.77.0.14"}
D = Directors(LAB, 3, SERVERS, VIP)
lbadm, lab, sock, entries, downloads = D.lbadm, D.lab, D.sock, D.entries, D.downloads
kill_lbd, lbd_procs = D.kill_lbd, D.procs
RS_BY_IP = {ip: name for name, ip in SERVERS.items()}
Fail, check, log, nsx = H.Fail, H.check, H.log, H.nsx


LBD_CONF = """
ports = ( { device = "net_af_packet0"; address = "%(ip)s/24"; mac = "%(mac)s";
            host = { ifname = "lbx-k%(i)d"; backend = "tap"; }; } );
vip_arp = "never";
announce = { table = %(table)d; drain_seconds = 2; };
services = (
  { protocol = "tcp"; vip = "%(vip)s"; port = 80; %(sched)s
    real_servers = ( %(servers)s ); }
);%(sync)s
dataplane = { mbufs = 8192; connections = 65536; idle_sleep_us = 200; };
control = { socket = "%(run)s/d%(i)d.sock"; };
"""

BIRD_DIRECTOR = """
router id %(ip)s;
ipv4 table vipt;
protocol device { scan time 1; }
protocol kernel vips { ipv4 { table vipt; import all; export none; };
  kernel table %(table)d; learn; scan time 1; }
protocol bgp uplink {
  local %(ip)s as %(asn)d; neighbor %(router)s as 65000;
  hold time 3; keepalive time 1; connect retry time 1; error wait time 1, 5;
  ipv4 { table vipt; import none;
    export where proto = "vips" && net ~ [ 10.99.0.0/24{32,32} ]; };
}
"""

BIRD_ROUTER = """
router id %(router)s;
protocol device { scan time 1; }
protocol kernel { ipv4 { import none; export all; }; merge paths yes limit 16; }
template bgp director {
  local %(router)s as 65000; hold time 3; keepalive time 1; connect retry time 1;
  # A director that failed may peer again after 1 s (BIRD's default: 60 s,
  # rising to 300 s for repeated failures).
  error wait time 1, 5;
  ipv4 { import where net ~ [ 10.99.0.0/24{32,32} ]; export none; };
}
""" + "".join("protocol bgp d%d from director { neighbor %s as %d; }\n" % (i, ip, 65000 + i)
              for i, ip in DIRS.items())

# The same router in FRR 8.4 (ECMP_ROUTER=frr): zebra and bgpd. FRR needs
# multipath-relax to merge paths from neighbours of different ASes, and
# route-maps both ways (ebgp-requires-policy).
FRR_ZEBRA = """
hostname r
"""
FRR_BGPD = """
hostname r
ip prefix-list VIPS seq 5 permit 10.99.0.0/24 ge 32
route-map FROM-DIRECTORS permit 10
 match ip address prefix-list VIPS
route-map DENY-ALL deny 10
router bgp 65000
 bgp router-id %(router)s
 bgp bestpath as-path multipath-relax
 neighbor DIRECTORS peer-group
 neighbor DIRECTORS timers 1 3
 neighbor DIRECTORS timers connect 1
""" + "".join(" neighbor %s remote-as %d\n neighbor %s peer-group DIRECTORS\n"
              % (ip, 65000 + i, ip) for i, ip in DIRS.items()) + """ address-family ipv4 unicast
  maximum-paths 16
  neighbor DIRECTORS route-map FROM-DIRECTORS in
  neighbor DIRECTORS route-map DENY-ALL out
 exit-address-family
"""

# A director's FRR (ECMP_DIRECTOR=frr): zebra imports table 100 into the
# RIB, bgpd announces the VIP while the RIB has a route to it (import check).
# Without graceful-restart-disable FRR offers graceful restart, and a router
# that helps keeps a dead director's routes for the restart time (120 s).
FRR_DIR_ZEBRA = """
hostname d%(i)d
ip import-table %(table)d
"""
FRR_DIR_BGPD = """
hostname d%(i)d
ip prefix-list VIPS seq 5 permit 10.99.0.0/24 ge 32
route-map VIPS-OUT permit 10
 match ip address prefix-list VIPS
route-map DENY-ALL deny 10
router bgp %(asn)d
 bgp router-id %(ip)s
 bgp graceful-restart-disable
 neighbor %(router)s remote-as 65000
 neighbor %(router)s timers 1 3
 neighbor %(router)s timers connect 1
 address-family ipv4 unicast
  network %(vip)s/32
  neighbor %(router)s route-map VIPS-OUT out
  neighbor %(router)s route-map DENY-ALL in
 exit-address-family
"""

birds = {}                              # node -> Popen of its bird


# ---- the processes ----

def start_bird(node, text):
    conf = "%s/bird-%s.conf" % (RUN, node)
    with open(conf, "w") as f:
        f.write(text)
    birds[node] = subprocess.Popen(
        ["ip", "netns", "exec", H.nsname(node), "bird", "-f", "-c", conf,
         "-s", "%s/bird-%s.ctl" % (RUN, node), "-P", "%s/bird-%s.pid" % (RUN, node)],
        stdout=open("%s/bird-%s.log" % (RUN, node), "a"), stderr=subprocess.STDOUT)


def servers(i):
    """rs1, rs2 and rs3, in an order of director i's own: mh must give every
    director the same table whatever the order of its configuration."""
    rs = ['{ address = "%s"; weight = 1; }' % SERVERS[n] for n in ("rs1", "rs2", "rs3")]
    return ", ".join(rs[i - 1:] + rs[:i - 1])


def start_frr(node, confs):
    """zebra and bgpd in node's namespace, with confs {daemon: text}."""
    d = "%s/frr-%s" % (RUN, node)
    os.makedirs(d, exist_ok=True)
    shutil.chown(d, "frr", "frr")
    for name in ("zebra", "bgpd"):
        conf = "%s/%s.conf" % (d, name)
        with open(conf, "w") as f:
            f.write(confs[name])
        shutil.chown(conf, "frr", "frr")
        nsx(node, "/usr/lib/frr/" + name, "-d", "-f", conf, "-i", "%s/%s.pid" % (d, name),
            "-z", d + "/zserv.api", "--vty_socket", d, "--log", "file:%s/%s.log" % (d, name))
        if name == "zebra":
            check(H.wait_for(lambda: os.path.exists(d + "/zserv.api"), 10) is not None,
                  "%s: zebra did not start (%s/zebra.log)" % (node, d))


def start_router():
    v = {"router": ROUTER}
    if os.environ.get("ECMP_ROUTER", "bird") == "frr":
        start_frr("r", {"zebra": FRR_ZEBRA % v, "bgpd": FRR_BGPD % v})
    else:
        start_bird("r", BIRD_ROUTER % v)


def start_director_daemon(i):
    v = {"i": i, "ip": DIRS[i], "asn": 65000 + i, "router": ROUTER, "table": TABLE,
         "vip": VIP}
    if os.environ.get("ECMP_DIRECTOR", "bird") == "frr":
        start_frr("d%d" % i, {"zebra": FRR_DIR_ZEBRA % v, "bgpd": FRR_DIR_BGPD % v})
    else:
        start_bird("d%d" % i, BIRD_DIRECTOR % v)


MH = 'scheduler = "mh"; sched_flags = [ "mh-port" ]; sloppy = true;'
# With connection sync: a scheduler that does not hash, no sloppy; every
# director is master (its own syncid) and backup (syncid 0: every group's).
WRR = 'scheduler = "wrr";'
SYNC = """
sync = ( { state = "master"; interface = "lbx-k%(i)d"; syncid = %(i)d; },
         { state = "backup"; interface = "lbx-k%(i)d"; syncid = 0; } );
"""
MODE = {"sched": MH, "sync": ""}


def start_lbd(i):
    """Start director i's lbd (MODE: mh and sloppy, or wrr and sync)."""
    D.start_lbd(i, LBD_CONF % {"i": i, "ip": DIRS[i], "mac": D.mac[i], "vip": VIP,
                               "table": TABLE, "run": RUN, "servers": servers(i),
                               "sched": MODE["sched"], "sync": MODE["sync"] % {"i": i}})


def stop_all():
    D.stop_all()
    for p in birds.values():
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
    birds.clear()


# ---- what the router and the directors hold ----

def hops():
    """The router's next hops for the VIP (a set of addresses)."""
    p = nsx("r", "ip", "-j", "route", "show", VIP, ok=False)
    try:
        routes = json.loads(p.stdout or "[]")
    except ValueError:
        return set()
    out = set()
    for r in routes:
        if "gateway" in r:
            out.add(r["gateway"])
        for nh in r.get("nexthops", []):
            out.add(nh["gateway"])
    return out


class RouteWatch(threading.Thread):
    """The router's next hops for the VIP over time: `ip monitor route` wakes
    it, each change is kept with its time (time.monotonic())."""

    def __init__(self):
        super().__init__(daemon=True)
        self.changes = [(time.monotonic(), hops())]
        self.lock = threading.Lock()
        self.mon = subprocess.Popen(["ip", "-n", H.nsname("r"), "monitor", "route"],
                                    stdout=subprocess.PIPE, text=True)
        self.start()

    def run(self):
        for _line in self.mon.stdout:
            t = time.monotonic()
            h = hops()
            with self.lock:
                if h != self.changes[-1][1]:
                    self.changes.append((t, h))

    def first(self, since, cond):
        """Seconds from since to the first hop set after it meeting cond."""
        with self.lock:
            for t, h in self.changes:
                if t >= since and cond(h):
                    return t - since
        return None

    def close(self):
        self.mon.terminate()
        self.mon.wait()


def where(ports):
    """{port: {director: server}}: the live directors holding an entry of
    each of ports (a director a flow has left keeps its entry)."""
    out = {}
    for i in DIRS:
        for port, (_state, server, _origin) in entries(i).items():
            if port in ports:
                out.setdefault(port, {})[i] = server
    return out


def conns(i):
    m = re.search(r"^TCP\s+%s:80\s+(\d+)" % re.escape(VIP), lbadm(i, "-Ln", "--stats"), re.M)
    check(m is not None, "d%d: no service %s:80 in -Ln --stats" % (i, VIP))
    return int(m.group(1))


def wait_hops(want, secs=30):
    t = H.wait_for(lambda: hops() == want, secs, 0.1)
    check(t is not None, "the router's next hops for %s: %s, want %s"
          % (VIP, sorted(hops()), sorted(want)))
    return t


ALL = set(DIRS.values())


# ---- downloads ----

def settle(dl, secs=10):
    """Wait until every download's flow is in one director's table:
    {port: (director, server)}."""
    got = {}

    def ready():
        got.clear()
        got.update(where(set(dl)))
        return len(got) == len(dl)
    t = H.wait_for(ready, secs, 0.1)
    check(t is not None, "%d of %d downloads are in a director's table" % (len(got), len(dl)))
    many = {p: v for p, v in got.items() if len(v) != 1}
    check(not many, "flows in more than one director's table: %s" % many)
    return {p: next(iter(v.items())) for p, v in got.items()}


def settle_first(dl, secs=10):
    """With sync every director holds every flow: where each one started,
    {port: (director, server)}, from the entry its director made itself."""
    out = {}

    def ready():
        for i in DIRS:
            for p, (_state, server, origin) in entries(i).items():
                if p in dl and origin == "local":
                    out[p] = (i, server)
        return len(out) == len(dl)
    check(H.wait_for(ready, secs, 0.1) is not None,
          "%d of %d downloads found on their director" % (len(out), len(dl)))
    return out


def changed(before):
    """The flows of before now held by a director other than their first:
    {port: (old server, new director, new server)}."""
    moved = {}
    for p, held in where(set(before)).items():
        for d, server in held.items():
            if d != before[p][0]:
                moved[p] = (before[p][1], d, server)
    return moved


def wait_moved(before, gone, secs=15):
    """Wait until each flow that was on director `gone` is on another one;
    then every flow that changed director (the router's hash-threshold
    multipath also moves flows between the others): (seconds for those of
    `gone`, {port: (old server, new director, new server)})."""
    ports = {p for p, (i, _) in before.items() if i == gone}
    t0 = time.monotonic()
    t = H.wait_for(lambda: ports <= set(changed(before)), secs, 0.05)
    check(t is not None, "%d of the %d flows of d%d reappeared on another director"
          % (len(ports & set(changed(before))), len(ports), gone))
    t = time.monotonic() - t0
    time.sleep(0.3)             # the others: each flow sends an ACK every few ms
    return t, changed(before)


def moves(moved, before, gone):
    n = sum(1 for p in moved if before[p][0] != gone)
    return "%d flows moved (%d between the others)" % (len(moved), n)


def same_server(moved):
    bad = {p: v for p, v in moved.items() if v[0] != v[2]}
    check(not bad, "moved flows changed real server (mh tables differ?): %s" % bad)


def pick(before, among):
    """The director of among carrying most flows."""
    n = {i: sum(1 for v in before.values() if v[0] == i) for i in among}
    return max(n, key=n.get)


def ms(t):
    return "%.0f ms" % (t * 1000) if t is not None else "never"


# ---- the tests ----

def test_spread():
    wait_hops(ALL)
    c0 = {i: conns(i) for i in DIRS}
    for n in range(300):
        status, hdr, _ = H.http_get("cli", VIP, 80, "/")
        check(status == 200, "request %d: status %d" % (n, status))
    c = {i: conns(i) - c0[i] for i in DIRS}
    check(all(v > 0 for v in c.values()), "a director got no connection: %s" % c)
    check(sum(c.values()) == 300, "the directors counted %d connections, want 300: %s"
          % (sum(c.values()), c))
    return "300 requests: " + ", ".join("d%d %d" % kv for kv in sorted(c.items()))


def test_withdraw():
    dl = downloads()
    before = settle(dl)
    i = pick(before, DIRS)
    n = sum(1 for v in before.values() if v[0] == i)
    t0 = time.monotonic()
    lbadm(i, "--withdraw", VIP)
    t_move, moved = wait_moved(before, i)
    t_route = WATCH.first(t0, lambda h: DIRS[i] not in h)
    check(t_route is not None, "the router kept d%d for %s" % (i, VIP))
    same_server(moved)
    all_intact(dl)
    check(hops() == ALL - {DIRS[i]}, "after --withdraw the router holds %s" % sorted(hops()))
    return ("d%d withdrawn with %d of %d flows: router %s, its flows moved %s, %s; all "
            "intact" % (i, n, len(dl), ms(t_route), ms(t_move), moves(moved, before, i)))


def test_comeback():
    (i,) = [i for i, ip in DIRS.items() if ip not in hops()]
    dl = downloads()
    before = settle(dl)
    check(all(v[0] != i for v in before.values()), "a flow went to the withdrawn d%d" % i)
    t0 = time.monotonic()
    lbadm(i, "--announce", VIP)
    wait_hops(ALL, 10)
    t_route = WATCH.first(t0, lambda h: DIRS[i] in h)
    # The flows the router now sends to d%d: new entries there, through mh.
    t = H.wait_for(lambda: any(v[1] == i for v in changed(before).values()), 5, 0.05)
    check(t is not None, "no flow moved back to d%d" % i)
    time.sleep(0.3)
    moved = changed(before)
    same_server(moved)
    all_intact(dl)
    return ("d%d announced: router %s; %d flows moved, %d of them to d%d; all intact"
            % (i, ms(t_route), len(moved), sum(1 for v in moved.values() if v[1] == i), i))


def test_kill():
    dl = downloads()
    before = settle(dl)
    i = pick(before, [2, 3, 1])
    n = sum(1 for v in before.values() if v[0] == i)
    t0 = time.monotonic()
    kill_lbd(i)
    t_move, moved = wait_moved(before, i, 20)
    t_route = WATCH.first(t0, lambda h: DIRS[i] not in h)
    check(t_route is not None, "the router kept d%d" % i)
    same_server(moved)
    all_intact(dl)
    t1 = time.monotonic()
    start_lbd(i)
    wait_hops(ALL, 20)
    t_back = time.monotonic() - t1
    return ("kill -9 of d%d with %d flows: router %s, its flows moved %s, %s; all intact; "
            "started again, back in the router after %.1f s"
            % (i, n, ms(t_route), ms(t_move), moves(moved, before, i), t_back))


def test_restart():
    wait_hops(ALL)
    dl = downloads()
    before = settle(dl)
    i = pick(before, [3, 1, 2])
    n = sum(1 for v in before.values() if v[0] == i)
    t0 = time.monotonic()
    kill_lbd(i)
    start_lbd(i)
    t_up = time.monotonic() - t0
    all_intact(dl)
    wait_hops(ALL, 20)
    gone = WATCH.first(t0, lambda h: DIRS[i] not in h)
    back = WATCH.first(t0 + (gone or 0), lambda h: DIRS[i] in h) if gone is not None else None
    return ("d%d (%d flows) killed and started again: answering after %.1f s; router %s; "
            "all intact" % (i, n, t_up,
                            "kept it" if gone is None else
                            "dropped it at %s, back at %s" % (ms(gone), ms(gone + back))))


def test_add_server():
    wait_hops(ALL)
    dl = downloads()
    before = settle(dl)
    for i in DIRS:
        lbadm(i, "-a", "-t", VIP + ":80", "-r", SERVERS["rs4"] + ":80", "-g", "-w", "1")
    time.sleep(1)
    early = {p: d.error for p, d in dl.items() if d.error is not None}
    check(not early, "downloads broke when rs4 was added: %s" % early)
    i = pick(before, DIRS)
    lbadm(i, "--withdraw", VIP)
    t_move, moved = wait_moved(before, i)
    changed = {p for p, v in moved.items() if v[0] != v[2]}
    res = finish(dl)
    broke = {p for p, e in res.items() if e}
    check(broke == changed, "broken downloads %s, want exactly the moved flows whose server "
          "changed %s" % (sorted(broke), sorted(changed)))
    lbadm(i, "--announce", VIP)
    return ("rs4 added: 0 of %d broke; then d%d withdrawn: %s, %d of them to another "
            "server (rs4): %d of %d downloads broke"
            % (len(dl), i, moves(moved, before, i), len(changed), len(broke), len(dl)))


def sync_mode():
    """Every director again with wrr and connection sync (once)."""
    if MODE["sync"]:
        return
    for i in DIRS:
        kill_lbd(i, signal.SIGINT)
    MODE.update(sched=WRR, sync=SYNC)
    for i in DIRS:
        start_lbd(i)
        out = lbadm(i, "-L", "--daemon")
        want = ("master sync daemon (mcast=lbx-k%d, syncid=%d, maxlen=1472, group=224.0.0.81,"
                " port=8848, ttl=1)\nbackup sync daemon (mcast=lbx-k%d, syncid=0, maxlen=1472,"
                " group=224.0.0.81, port=8848, ttl=1)\n" % (i, i, i))
        check(out == want, "d%d: -L --daemon: %r, want %r" % (i, out, want))
    wait_hops(ALL, 30)


def synced(dl, before):
    """Wait until every download's entry is on every live director (its own
    and the others' synced copies), with the same server: how long it took."""
    def done():
        held = where(set(dl))
        return all(len(held.get(p, {})) == len(lbd_procs) and
                   set(held[p].values()) == {before[p][1]} for p in dl)
    t = H.wait_for(done, 10, 0.05)
    check(t is not None, "the downloads' entries did not reach every director: %s"
          % {p: v for p, v in where(set(dl)).items() if len(v) != len(lbd_procs)})
    return t


def sync_downloads():
    """In sync mode, 30 downloads, each entry on every director: (downloads,
    where each started, seconds until synced everywhere, the director
    carrying most, how many it carries)."""
    sync_mode()
    wait_hops(ALL)
    dl = downloads()
    before = settle_first(dl)
    t_sync = synced(dl, before)
    i = pick(before, DIRS)
    return dl, before, t_sync, i, sum(1 for v in before.values() if v[0] == i)


def test_sync_withdraw():
    dl, _, t_sync, i, n = sync_downloads()
    lbadm(i, "--withdraw", VIP)
    wait_hops(ALL - {DIRS[i]}, 10)
    all_intact(dl)
    st = json.loads(lbadm(i, "-L", "--daemon", "--json"))
    check(st["sent"]["msgs"] > 0 and st["sent"]["errors"] == 0, "d%d sent %s" % (i, st["sent"]))
    lbadm(i, "--announce", VIP)
    return ("wrr + sync: every entry on all three directors %.2f s after the downloads "
            "started; d%d (%d flows) withdrawn: all 30 intact" % (t_sync, i, n))


def test_sync_kill():
    dl, _, _, i, n = sync_downloads()
    t0 = time.monotonic()
    kill_lbd(i)
    all_intact(dl)
    t_route = WATCH.first(t0, lambda h: DIRS[i] not in h)
    start_lbd(i)
    wait_hops(ALL, 20)
    return ("wrr + sync: kill -9 of d%d (%d flows): router %s; all 30 intact; started again"
            % (i, n, ms(t_route)))


def test_sync_add_server():
    dl, _, _, i, _ = sync_downloads()
    for d in DIRS:
        lbadm(d, "-a", "-t", VIP + ":80", "-r", SERVERS["rs4"] + ":80", "-g", "-w", "1")
    time.sleep(1)
    lbadm(i, "--withdraw", VIP)
    wait_hops(ALL - {DIRS[i]}, 10)
    all_intact(dl)
    lbadm(i, "--announce", VIP)
    return "rs4 added, then d%d withdrawn: 0 of 30 downloads broke" % i


TESTS = [("spread", test_spread), ("withdraw", test_withdraw), ("comeback", test_comeback),
         ("kill", test_kill), ("restart", test_restart), ("add_server", test_add_server),
         ("sync_withdraw", test_sync_withdraw), ("sync_kill", test_sync_kill),
         ("sync_add_server", test_sync_add_server)]
WATCH = None


def up():
    global WATCH
    p = lab("up", D.build)
    check(p.returncode == 0, "the lab did not come up:\n" + p.stdout)
    # Small receive buffers: a rate-limited download stays on the wire.
    nsx("cli", "sysctl", "-qw", "net.ipv4.tcp_rmem=" + H.CLI_RMEM,
        "net.ipv4.ip_local_port_range=50000 60999")     # the downloads' ports are below
    start_router()
    for i, ip in DIRS.items():
        start_lbd(i)
        start_director_daemon(i)
    WATCH = RouteWatch()
    t = wait_hops(ALL, 30)
    log("ecmp: three directors in the router's route after %.1f s" % t)


def down():
    stop_all()
    p = lab("down")
    if p.returncode != 0:
        log("ecmp: lab.sh down: " + p.stdout)


def main():
    build, names = harness.parse("ecmp", __doc__, TESTS, tools=("nginx", "ethtool", "tc"),
                                 commands=("up", "down"))
    D.set_build(build)
    if shutil.which("bird") is None:
        print("ecmp: skipped, bird is not installed (make deps installs bird2)")
        return 77
    if names == ["down"]:
        lab("down")
        return 0
    if names == ["up"]:
        try:
            up()
        except Fail as e:
            log("ecmp: %s" % e)
            down()
            return 1
        WATCH.close()
        log("ecmp: up; lbadm --socket %s/dN.sock, birdc -s %s/bird-NODE.ctl; "
            "ecmp.py %s down" % (RUN, RUN, sys.argv[1]))
        return 0

    def down_all():
        if WATCH is not None:
            WATCH.close()
        down()
    return harness.run("ecmp", TESTS, names, up, down_all, final=lambda: D.stop_failures)


if __name__ == "__main__":
    sys.exit(main())
