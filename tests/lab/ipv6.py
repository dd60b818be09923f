#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The dual-stack lab: IPv6 and IPv4 clients through lbd, at the same time.

The lab (tests/lab/lab.sh, LAB=lb6, two nginx real servers) with IPv6 added
by this script: the client 2001:db8::10/64, the servers 2001:db8::11 and ::12
on their veths, the IPv6 VIP 2001:db8::100/128 on their lo beside the IPv4
one, nginx listening on both families. lbd (tests/lab/ipv6.conf) has
address6 2001:db8::2/64 on its port, [2001:db8::100]:80 wrr 3:1 and
10.77.0.100:80 wrr 1:3 over the same servers, none with a MAC.

  neighbours    lbd solicited each IPv6 server itself (NS to its
                solicited-node group) and learned it from the server's NA;
                the client resolves the VIP by NS and only lbd answers: the
                servers see the solicitation and stay silent; lbd answers
                ping to the VIP
  forward       one IPv6 request: every frame of it reaches the server as
                the client sent it but for the Ethernet header (lbd -> the
                server) and the hop limit, one lower; the answers never
                cross lbd's port
  distribution  200 IPv6 requests on new connections: wrr 3:1 to within one
                request, each answer from the server lbd's entry names, the
                client's IPv6 address seen by the server
  states        an IPv6 download: ESTABLISHED in lbadm -lnc (the ipvsadm
                listing, [addr]:port, and JSON) during it, FIN_WAIT after
  drain         an IPv6 download, then lbadm -e ... -w 0 on its server: 40
                new IPv6 connections all go to the other server, the download
                completes byte for byte from its own server, the IPv4
                service's weights are untouched
  mixed         an IPv6 and an IPv4 download, and IPv4 and IPv6 request loops
                running together all along them: every request answered,
                each family's shares those of its own service, each answer
                from the server lbd's entry of that family names

After the lab is down: lbd stopped in order on SIGINT, its counters account
for every frame, no neighbour discovery frame was malformed or badly summed,
no packet waited for an unresolved server.

usage: ipv6.py BUILD_DIR [TEST...]     (default: every test, in order)
env:   IPV6_CONF  another configuration for lbd (to watch the lab fail on a
                  broken one; it must keep ipv6.conf's addresses)
exit:  0 all passed, 1 a test failed, 77 skipped (needs root)
"""
import hashlib
import json
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time

import harness
import host as H

HERE = os.path.dirname(os.path.abspath(__file__))
LAB = "lb6"
RUN = "/run/" + LAB
Fail, check, log, nsx = H.Fail, H.check, H.log, H.nsx
H.LAB, H.RUN, H.SOCK = LAB, RUN, RUN + "/lbd.sock"

LB_MAC = "02:77:00:00:00:02"
LB_IP6 = "2001:db8::2"
MACS = {"cli": "02:77:00:00:00:0a", "rs1": "02:77:00:00:00:0b", "rs2": "02:77:00:00:00:0c"}
# Each family: its VIP, the client's address, the servers' addresses and
# the weights of its service in ipv6.conf.
V6 = {"name": "IPv6", "af": socket.AF_INET6, "vip": "2001:db8::100", "cli": "2001:db8::10",
      "servers": {"rs1": "2001:db8::11", "rs2": "2001:db8::12"},
      "weights": {"rs1": 3, "rs2": 1}}
V4 = {"name": "IPv4", "af": socket.AF_INET, "vip": "10.77.0.100", "cli": "10.77.0.10",
      "servers": {"rs1": "10.77.0.11", "rs2": "10.77.0.12"},
      "weights": {"rs1": 1, "rs2": 3}}
H.SERVERS = V4["servers"]
BLOB = 4194304                          # bytes of /slow/blob (lab.sh): 8 s at 512 KiB/s
FIN_WAIT = 6                            # ipv6.conf
# The drops that mean the IPv6 path went wrong in this lab, whatever else
# the segment carried (the kernels' MLD reports are ip_not_ours, their
# solicitations of each other nd_not_ours: expected).
BAD_DROPS = ("nd_malformed", "icmp6_csum", "dest_unresolved", "no_dest", "dest_removed",
             "ip6_ext_short", "ip6_ext_order", "ip_len_trunc", "l4_short", "pkt_too_big",
             "ttl_exceeded", "to_control_full")

# The client's loops and downloads of the test running: after_each stops
# what a failed test left behind.
LIVE = []

# What the lab's first moments held on lbd's port: lbd's solicitations of
# the servers and their advertisements (captured in up, read by neighbours).
START_FRAMES = []


def lab(*args, **env):
    """lab.sh with the kernel of lbd's namespace cut off its veth (it has
    neither IPv4 nor IPv6 there, so this is only a guard) and lbd started
    by this script, once the IPv6 side is up."""
    e = dict(os.environ, LAB=LAB, LAB_RUN=RUN, LAB_LBD="0", LAB_LB_DROP="1", **env)
    return subprocess.run([os.path.join(HERE, "lab.sh"), *args], env=e,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def lab_ok(*args):
    p = lab(*args)
    check(p.returncode == 0, "lab.sh %s: exit %d:\n%s" % (args[0], p.returncode,
                                                          p.stdout.strip()))
    return p


def lbadm(*args):
    p = subprocess.run([H.LBADM, "--socket", H.SOCK, *args], capture_output=True, text=True,
                       timeout=10)
    if p.returncode != 0:
        raise Fail("lbadm %s: exit %d: %s" % (" ".join(args), p.returncode, p.stderr.strip()))
    return p.stdout


def svc_arg(fam):
    return "[%s]:80" % fam["vip"] if fam["af"] == socket.AF_INET6 else fam["vip"] + ":80"


def rs_arg(fam, name):
    ip = fam["servers"][name]
    return "[%s]:80" % ip if fam["af"] == socket.AF_INET6 else ip + ":80"


def weights(fam):
    """The weights lbadm -Ln prints for the family's service, by server."""
    out = lbadm("-Ln", "-t", svc_arg(fam))
    by_ip = {v: k for k, v in fam["servers"].items()}
    got = {}
    for m in re.finditer(r"->\s+(\S+)\s+Route\s+(\d+)", out):
        ip = m.group(1).rsplit(":", 1)[0].strip("[]")
        got[by_ip.get(ip, ip)] = int(m.group(2))
    return got


def conns(fam):
    """lbd's entries of the family's service, by client port."""
    return {c["client_port"]: c for c in json.loads(lbadm("-lnc", "--json"))["connections"]
            if c["client"] == fam["cli"] and c["vip"] == fam["vip"] and c["vport"] == 80}


def listing_row(fam, port):
    """The entry's row in the plain lbadm -lnc listing, as ipvsadm prints it."""
    want = ("[%s]:%d" if fam["af"] == socket.AF_INET6 else "%s:%d") % (fam["cli"], port)
    for line in lbadm("-lnc").splitlines():
        row = line.split()
        if len(row) >= 6 and row[3] == want:
            return row
    return None


def blob_sha(name):
    with open("%s/%s/blob.sha256" % (RUN, name)) as f:
        return f.read().strip()


# ---- HTTP from the client's namespace ----

def read_head(s):
    """(status, headers, what followed them) of an HTTP answer on s."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(4096)
        if not chunk:
            raise Fail("connection closed before the response headers (%d bytes)" % len(buf))
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    hdr = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        hdr[k.strip().lower()] = v.strip()
    return int(lines[0].split()[1]), hdr, rest


def request(s, fam, path):
    host = "[%s]" % fam["vip"] if fam["af"] == socket.AF_INET6 else fam["vip"]
    s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
               % (path, host)).encode())


def get(s, fam):
    """One request on the new socket s (in the client's namespace):
    (the server that answered, the client's port). The page, the server's
    header and the client address it saw must agree."""
    s.settimeout(5)
    s.connect((fam["vip"], 80))
    port = s.getsockname()[1]
    request(s, fam, "/")
    st, hdr, body = read_head(s)
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        body += chunk
    name = hdr.get("x-server")
    check(st == 200, "%s request: status %d" % (fam["name"], st))
    check(name in fam["servers"], "%s answer from an unknown server %r" % (fam["name"], name))
    check(body.decode() == "Hello from %s (%s)\n" % (name, V4["servers"][name]),
          "page %r from %s" % (body, name))
    check(hdr.get("x-client") == fam["cli"], "%s saw the %s client as %r"
          % (name, fam["name"], hdr.get("x-client")))
    return name, port


def get_one(fam):
    s = H.ns_socket("cli", fam["af"], socket.SOCK_STREAM)
    try:
        return get(s, fam)
    finally:
        s.close()


def check_entries(fam, answered):
    """answered: {client port: server}. lbd's entry for each of these
    connections (closing, not yet expired) names the server that answered."""
    entries = conns(fam)
    wrong = {}
    for port, name in answered.items():
        c = entries.get(port)
        if c is None or c["server"] != fam["servers"][name]:
            wrong[port] = (name, c and c["server"])
    check(not wrong, "%d of %d %s connections answered by a server other than lbd's "
          "entry names (port: (answered, entry)): %s"
          % (len(wrong), len(answered), fam["name"], dict(list(wrong.items())[:5])))


def check_shares(fam, got, n):
    """wrr gives each server its weight's share of any n new connections in a
    row, to within one."""
    total = sum(fam["weights"].values())
    for name, w in fam["weights"].items():
        want = n * w / total
        check(abs(got.get(name, 0) - want) <= 1,
              "%s: %s answered %d of %d, wrr %s wants %.1f" % (
                  fam["name"], name, got.get(name, 0), n,
                  ":".join(str(fam["weights"][k]) for k in sorted(fam["weights"])), want))


# The client ports of the request loops: each request of the run has its
# own, so that no connection meets the entry an earlier one left in lbd
# (FIN_WAIT for fin_wait seconds), which would decide its server instead of
# the scheduler. The kernel's own choice comes back to a port after some
# 14,000 connections to the VIP, which a loop running for seconds reaches.
PORTS = iter(range(20000, 32768))
PORTS_LOCK = threading.Lock()


def next_port():
    with PORTS_LOCK:
        return next(PORTS)


class Loop(threading.Thread):
    """Requests of one family one after the other, each on a new connection
    from a port of its own, from the client's namespace, until told to stop
    (or n are done), at most one every pace seconds: .answered {client port:
    server}, .errors."""

    def __init__(self, fam, n=None, pace=0):
        super().__init__(daemon=True)
        self.fam, self.n, self.pace = fam, n, pace
        self.answered, self.errors = {}, []
        self.stopping = False
        LIVE.append(self)
        self.start()

    def run(self):
        H.enter_netns("/run/netns/%s-cli" % LAB)
        while not self.stopping and (self.n is None or len(self.answered) < self.n):
            t0 = time.monotonic()
            s = socket.socket(self.fam["af"], socket.SOCK_STREAM)
            try:
                s.bind(("", next_port()))
                name, port = get(s, self.fam)
                check(port not in self.answered, "client port %d used twice" % port)
                self.answered[port] = name
            except (Fail, OSError) as e:
                self.errors.append("%s: %s" % (type(e).__name__, e))
                if len(self.errors) >= 5:
                    return
            finally:
                s.close()
            time.sleep(max(0, self.pace - (time.monotonic() - t0)))

    def stop(self):
        self.stopping = True
        self.join(15)
        check(not self.is_alive(), "the %s request loop is stuck" % self.fam["name"])
        check(not self.errors, "%s: %d requests failed: %s" % (
            self.fam["name"], len(self.errors), self.errors[:3]))

    def counts(self):
        got = {}
        for name in self.answered.values():
            got[name] = got.get(name, 0) + 1
        return got


class Download(threading.Thread):
    """The client's download of /slow/blob through the family's VIP (8 s at
    the servers' rate, the client's small receive buffer keeping it on the
    wire): .server, .port, .got bytes so far; finish() checks it whole."""

    def __init__(self, fam):
        super().__init__(daemon=True)
        self.fam = fam
        self.s = H.ns_socket("cli", fam["af"], socket.SOCK_STREAM)
        self.s.settimeout(10)
        self.s.connect((fam["vip"], 80))
        self.port = self.s.getsockname()[1]
        request(self.s, fam, "/slow/blob")
        st, hdr, self.first = read_head(self.s)
        check(st == 200, "%s download: status %d" % (fam["name"], st))
        self.server = hdr.get("x-server")
        check(self.server in fam["servers"], "%s download from an unknown server %r"
              % (fam["name"], self.server))
        self.size = int(hdr["content-length"])
        self.got = len(self.first)
        self.error, self.sha, self.ended = None, None, None
        LIVE.append(self)
        self.start()

    def run(self):
        h = hashlib.sha256(self.first)
        try:
            while self.got < self.size:
                chunk = self.s.recv(65536)
                if not chunk:
                    raise Fail("closed after %d of %d bytes" % (self.got, self.size))
                h.update(chunk)
                self.got += len(chunk)
            self.sha = h.hexdigest()
        except Exception as e:          # reported by finish()
            self.error = e
        finally:
            self.s.close()              # the client's FIN: lbd's entry to FIN_WAIT
            self.ended = time.monotonic()

    def stop(self):
        """Cut it short (after a failed test)."""
        try:
            self.s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.join(5)

    def finish(self, timeout=30):
        self.join(timeout)
        what = "%s download from %s" % (self.fam["name"], self.server)
        check(not self.is_alive(), "%s stuck at %d of %d bytes" % (what, self.got, self.size))
        check(self.error is None, "%s: %s" % (what, self.error))
        check(self.size == BLOB and self.got == BLOB, "%s: %d of %d bytes"
              % (what, self.got, BLOB))
        check(self.sha == blob_sha(self.server),
              "%s: the bytes differ from the server's file" % what)

    def entry(self):
        return conns(self.fam).get(self.port)


def started(*dls):
    """Each download is on the wire: bytes coming, lbd's entry ESTABLISHED
    and naming the server that answered."""
    check(H.wait_for(lambda: all(d.got > 65536 for d in dls), 5) is not None,
          "the downloads do not start: %s" % [d.got for d in dls])
    for d in dls:
        c = d.entry()
        check(c is not None and c["state"] == "ESTABLISHED"
              and c["server"] == d.fam["servers"][d.server],
              "%s download answered by %s, lbd's entry: %s" % (d.fam["name"], d.server, c))


# ---- frames on the bridge ----

def ip6_of(frame):
    """(next header, hop limit, source, destination, L4 offset) of an
    IPv6 frame (no VLAN, no extension headers), None otherwise."""
    if len(frame) < 54 or frame[12:14] != b"\x86\xdd":
        return None
    return (frame[20], frame[21], socket.inet_ntop(socket.AF_INET6, frame[22:38]),
            socket.inet_ntop(socket.AF_INET6, frame[38:54]), 54)


def nd_of(frame):
    """(type 135/136, target, NA flags, link-layer option's MAC or None, hop
    limit, src, dst) of a neighbour discovery frame, None otherwise."""
    ip = ip6_of(frame)
    if ip is None or ip[0] != 58 or len(frame) < 78 or frame[54] not in (135, 136):
        return None
    lla = None
    if len(frame) >= 86 and frame[78] in (1, 2) and frame[79] == 1:
        lla = ":".join("%02x" % b for b in frame[80:86])
    return (frame[54], socket.inet_ntop(socket.AF_INET6, frame[62:78]), frame[58], lla,
            ip[1], ip[2], ip[3])


def mac_of(b):
    return ":".join("%02x" % x for x in b)


def tcp6_of(frame):
    """(src, sport, dst, dport) of an IPv6 TCP frame, None otherwise."""
    ip = ip6_of(frame)
    if ip is None or ip[0] != 6 or len(frame) < 74:
        return None
    sport, dport = struct.unpack("!HH", frame[54:58])
    return ip[2], sport, ip[3], dport


def captures(*devs):
    """Captures on the bridge's ends of the lab's veths (namespace sw)."""
    return {d: H.Capture("sw", "%s-%s-b" % (LAB, d)) for d in devs}


def stop_all(caps):
    return {d: c.stop() for d, c in caps.items()}


# ---- the tests ----

def test_neighbours():
    # lbd's own solicitations of the servers, and their answers, from start
    with open(RUN + "/lbd.log", errors="replace") as f:
        text = f.read()
    for name in ("rs1", "rs2"):
        ip = V6["servers"][name]
        # (lbd writes MACs in capitals, as rte_ether_format_addr does)
        check("neighbour %s is at %s" % (ip, MACS[name]) in text.lower(),
              "lbd did not learn %s at %s:\n%s" % (ip, MACS[name], text[-1500:]))
        group = "ff02::1:ff00:%s" % ip.rsplit(":", 1)[1]
        ns = [f for t, f in START_FRAMES if t != 4 and nd_of(f) is not None
              and nd_of(f)[:2] == (135, ip)]
        check(ns, "no NS from lbd for %s on its port" % ip)
        nd = nd_of(ns[0])
        check(mac_of(ns[0][0:6]) == "33:33:ff:00:00:%s" % ip.rsplit(":", 1)[1].zfill(2)
              and mac_of(ns[0][6:12]) == LB_MAC and nd[3] == LB_MAC and nd[4] == 255
              and nd[5] == LB_IP6 and nd[6] == group,
              "lbd's NS for %s: %s -> %s, %s -> %s, hop limit %d, source option %s"
              % (ip, mac_of(ns[0][6:12]), mac_of(ns[0][0:6]), nd[5], nd[6], nd[4], nd[3]))
        na = [f for t, f in START_FRAMES if t == 4 and nd_of(f) is not None
              and nd_of(f)[:2] == (136, ip)]
        check(na and nd_of(na[0])[3] == MACS[name] and nd_of(na[0])[6] == LB_IP6
              and mac_of(na[0][0:6]) == LB_MAC,
              "no NA from %s to lbd with its MAC: %s" % (name, [nd_of(f) for f in na]))

    # the client resolves the VIP: lbd answers, the servers stay silent
    nsx("cli", "ip", "-6", "neigh", "flush", "dev", LAB + "-cli", ok=False)
    caps = captures("cli", "lb", "rs1", "rs2")
    p = nsx("cli", "ping", "-6", "-n", "-c", "2", "-i", "0.2", "-W", "2", V6["vip"], ok=False)
    frames = stop_all(caps)
    m = re.search(r"(\d+) received", p.stdout)
    check(m is not None and int(m.group(1)) == 2, "ping to the VIP %s: %s"
          % (V6["vip"], p.stdout.strip()))
    out = nsx("cli", "ip", "-6", "neigh", "show", V6["vip"], "dev", LAB + "-cli").stdout
    check("lladdr " + LB_MAC in out, "the client's neighbour entry for the VIP: %r" % out)
    sol = [f for t, f in frames["cli"] if t != 4 and nd_of(f) is not None
           and nd_of(f)[:2] == (135, V6["vip"])]
    check(sol, "the client sent no NS for the VIP")
    adv = [nd_of(f) for t, f in frames["lb"] if t != 4 and nd_of(f) is not None
           and nd_of(f)[:2] == (136, V6["vip"])]
    check(adv and adv[0][3] == LB_MAC and adv[0][2] & 0x40 and adv[0][6] == V6["cli"],
          "lbd's NA for the VIP: %s" % adv)
    for name in ("rs1", "rs2"):
        heard = [f for t, f in frames[name] if t == 4 and nd_of(f) is not None
                 and nd_of(f)[:2] == (135, V6["vip"])]
        said = [f for t, f in frames[name] if t != 4 and nd_of(f) is not None
                and nd_of(f)[:2] == (136, V6["vip"])]
        check(heard, "the client's NS for the VIP did not reach %s" % name)
        check(not said, "%s advertised the VIP itself (%d NA): clients would bypass lbd"
              % (name, len(said)))
    return ("lbd solicited %s and %s (to their solicited-node groups, from %s) and learned "
            "them from their NA; the client's NS for %s answered by lbd alone (%d NA, "
            "solicited, %s), seen and left unanswered by both servers; 2 pings answered"
            % (V6["servers"]["rs1"], V6["servers"]["rs2"], LB_IP6, V6["vip"], len(adv),
               LB_MAC))


def test_forward():
    caps = captures("cli", "lb", "rs1", "rs2")
    try:
        name, port = get_one(V6)
    finally:
        frames = stop_all(caps)
    check_entries(V6, {port: name})
    other = "rs2" if name == "rs1" else "rs1"
    flow = (V6["cli"], port, V6["vip"], 80)
    reply = (V6["vip"], 80, V6["cli"], port)
    sent = [f for t, f in frames["cli"] if t != 4 and tcp6_of(f) == flow]
    got = [f for t, f in frames[name] if t == 4 and tcp6_of(f) == flow]
    check(len(sent) >= 4, "%d frames of the client's flow on its port" % len(sent))
    check(len(got) == len(sent), "the client sent %d frames of the flow, %s received %d"
          % (len(sent), name, len(got)))
    for a, b in zip(sent, got):
        check(mac_of(b[0:6]) == MACS[name] and mac_of(b[6:12]) == LB_MAC,
              "a frame to %s went %s -> %s" % (name, mac_of(b[6:12]), mac_of(b[0:6])))
        check(b[21] == a[21] - 1, "hop limit %d from the client, %d at %s" % (a[21], b[21], name))
        check(b[12:21] + b[22:] == a[12:21] + a[22:],
              "a frame to %s differs from the client's beyond L2 and the hop limit" % name)
    check(not [f for t, f in frames[other] if t == 4 and tcp6_of(f) == flow],
          "frames of the flow also reached %s" % other)
    answers = [f for t, f in frames[name] if t != 4 and tcp6_of(f) == reply]
    through_lb = [f for _, f in frames["lb"] if tcp6_of(f) == reply]
    check(answers, "%s sent no answer" % name)
    check(not through_lb, "%d of %s's answers crossed lbd's port" % (len(through_lb), name))
    return ("%d frames client -> %s via lbd: only L2 (lbd -> %s) and the hop limit (%d -> %d) "
            "changed; %d answers straight to the client, none through lbd"
            % (len(sent), name, MACS[name], sent[0][21], got[0][21], len(answers)))


def test_distribution():
    n = 200
    loop = Loop(V6, n)
    loop.join(60)
    loop.stop()
    check_entries(V6, loop.answered)
    got = loop.counts()
    check_shares(V6, got, n)
    return "wrr 3:1, %d IPv6 connections: %s, each from the server of its entry" % (
        n, ", ".join("%s %d" % (k, got.get(k, 0)) for k in sorted(V6["weights"])))


def test_states():
    d = Download(V6)
    started(d)
    row = listing_row(V6, d.port)
    want = ["[%s]:%d" % (V6["cli"], d.port), "[%s]:80" % V6["vip"],
            "[%s]:80" % V6["servers"][d.server]]
    check(row is not None and row[0] == "TCP" and row[2] == "ESTABLISHED" and row[3:6] == want,
          "lbadm -lnc during the download: %s, want TCP .. ESTABLISHED %s" % (row, want))
    d.finish()
    t0 = d.ended
    seen = None
    while time.monotonic() - t0 < 3:
        row = listing_row(V6, d.port)
        if row is not None and row[2] == "FIN_WAIT":
            seen = time.monotonic() - t0
            break
        time.sleep(0.05)
    check(seen is not None and row[3:6] == want,
          "lbadm -lnc after the download: %s, want FIN_WAIT %s" % (row, want))
    c = d.entry()
    check(c is not None and c["state"] == "FIN_WAIT" and c["server"] == V6["servers"][d.server],
          "lbadm -lnc --json after the download: %s" % c)
    return ("%s: ESTABLISHED during the download from %s (intact), FIN_WAIT %.2f s after "
            "the client's close" % (" ".join(want), d.server, seen))


def test_drain():
    d = Download(V6)
    started(d)
    name = d.server
    other = "rs2" if name == "rs1" else "rs1"
    v4_before = weights(V4)
    try:
        lbadm("-e", "-t", svc_arg(V6), "-r", rs_arg(V6, name), "-w", "0")
        at_drain, t_drain = d.got, time.monotonic()
        check(at_drain < BLOB // 2, "the download was %d bytes in at -w 0" % at_drain)
        check(weights(V6) == dict(V6["weights"], **{name: 0}),
              "lbadm -Ln after -w 0: %s" % weights(V6))
        check(weights(V4) == v4_before, "the IPv4 service's weights moved: %s -> %s"
              % (v4_before, weights(V4)))
        n = 40
        loop = Loop(V6, n)
        loop.join(30)
        loop.stop()
        check_entries(V6, loop.answered)
        got = loop.counts()
        check(got.get(other) == n, "after draining %s: %s" % (name, got))
        check(d.is_alive() and d.got < BLOB, "the download ended before the new connections"
              " were done")
        c = d.entry()
        check(c is not None and c["state"] == "ESTABLISHED"
              and c["server"] == V6["servers"][name],
              "the download's entry after the drain: %s" % c)
        d.finish()
        after = d.ended - t_drain
        check(after >= 3, "the download ended %.1f s after -w 0: it did not cross the "
              "drain on the wire" % after)
    finally:
        lbadm("-e", "-t", svc_arg(V6), "-r", rs_arg(V6, name), "-w", str(V6["weights"][name]))
    return ("download from %s (%d of %d bytes in at -w 0, %.1f s more): complete from %s, "
            "sha256 of its file; %d new IPv6 connections all to %s; IPv4 weights %s unchanged"
            % (name, at_drain, BLOB, after, name, n, other, v4_before))


def test_mixed():
    d6, d4 = Download(V6), Download(V4)
    started(d6, d4)
    # paced: the downloads and lbd's worker keep a CPU of this machine's two
    l6, l4 = Loop(V6, pace=0.01), Loop(V4, pace=0.01)
    checked = {V6["name"]: set(), V4["name"]: set()}

    def check_new():
        """The answers since the last look against lbd's entries, while
        these are there (fin_wait after each close)."""
        for fam, loop in ((V6, l6), (V4, l4)):
            new = {p: n for p, n in list(loop.answered.items())
                   if p not in checked[fam["name"]]}
            check_entries(fam, new)
            checked[fam["name"]].update(new)
    try:
        while d6.is_alive() or d4.is_alive():
            check_new()
            time.sleep(0.5)
        d6.finish()
        d4.finish()
    finally:
        l6.stop()
        l4.stop()
    check_new()
    for fam, loop in ((V6, l6), (V4, l4)):
        check(len(loop.answered) >= 100, "%s: only %d requests beside the downloads"
              % (fam["name"], len(loop.answered)))
        check_shares(fam, loop.counts(), len(loop.answered))
    c6, c4 = l6.counts(), l4.counts()
    return ("beside an IPv6 download from %s and an IPv4 one from %s (both intact): %d IPv6 "
            "requests (rs1 %d, rs2 %d; wrr 3:1) and %d IPv4 (rs1 %d, rs2 %d; wrr 1:3), "
            "all answered, each by the server of its entry"
            % (d6.server, d4.server, len(l6.answered), c6.get("rs1", 0), c6.get("rs2", 0),
               len(l4.answered), c4.get("rs1", 0), c4.get("rs2", 0)))


TESTS = [("neighbours", test_neighbours), ("forward", test_forward),
         ("distribution", test_distribution), ("states", test_states),
         ("drain", test_drain), ("mixed", test_mixed)]


# ---- the lab's IPv6 side ----

def ipv6_node(node, addr):
    """IPv6 on NODE's veth (lab.sh turned it off everywhere): no duplicate
    address detection (its probes and its wait would race the tests), no
    router solicitations or autoconfiguration (there is no router), then
    ADDR/64 on the veth."""
    dev = "%s-%s" % (LAB, node)
    conf = []
    for k in ("all", "default", "lo", dev):
        conf += ["net.ipv6.conf.%s.accept_dad=0" % k, "net.ipv6.conf.%s.accept_ra=0" % k,
                 "net.ipv6.conf.%s.autoconf=0" % k]
    nsx(node, "sysctl", "-qw", *conf)
    nsx(node, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=0",
        "net.ipv6.conf.default.disable_ipv6=0", "net.ipv6.conf.lo.disable_ipv6=0",
        "net.ipv6.conf.%s.disable_ipv6=0" % dev)
    nsx(node, "ip", "-6", "addr", "add", addr + "/64", "dev", dev, "nodad")


def ipv6_server(name):
    """A server on both families: its address, the IPv6 VIP on lo (a /128:
    the kernel answers solicitations only for addresses of the interface
    asked, so it never answers for the VIP on its veth, no arp_ignore
    needed), nginx listening on [::]:80 too."""
    ipv6_node(name, V6["servers"][name])
    nsx(name, "ip", "-6", "addr", "add", V6["vip"] + "/128", "dev", "lo", "nodad")
    conf = "%s/%s/nginx.conf" % (RUN, name)
    with open(conf) as f:
        text = f.read()
    check("listen 80 backlog=4096;" in text, "lab.sh's nginx.conf has no 'listen 80'")
    with open(conf, "w") as f:
        f.write(text.replace("listen 80 backlog=4096;",
                             "listen 80 backlog=4096;\n\t\tlisten [::]:80 backlog=4096;"))
    with open("%s/%s/nginx.pid" % (RUN, name)) as f:
        os.kill(int(f.read()), 1)       # SIGHUP: nginx opens the new listener

    def listening():
        s = H.ns_socket(name, socket.AF_INET6, socket.SOCK_STREAM)
        try:
            s.settimeout(1)
            return s.connect_ex((V6["servers"][name], 80)) == 0
        finally:
            s.close()
    check(H.wait_for(listening, 5, 0.1) is not None, "nginx on %s: no [::]:80" % name)


def main():
    H.BUILD, names = harness.parse("ipv6", __doc__, TESTS,
                                   tools=("nginx", "ethtool", "ping", "tc"))
    H.LBADM = os.path.join(H.BUILD, "lbadm")
    conf = os.environ.get("IPV6_CONF") or os.path.join(HERE, "ipv6.conf")

    def up():
        lab_ok("up", H.BUILD)
        ipv6_node("cli", V6["cli"])
        for name in ("rs1", "rs2"):
            ipv6_server(name)
        # A small window: a rate-limited download is on the wire all along
        # (its ACKs through lbd), never sitting whole in the client's buffer.
        # tcp_rmem is IPv4's and IPv6's alike.
        nsx("cli", "sysctl", "-qw", "net.ipv4.tcp_rmem=" + H.CLI_RMEM)
        cap = H.Capture("sw", LAB + "-lb-b")
        try:
            lab_ok("start", H.BUILD, conf)
            with open(RUN + "/lbd.log", errors="replace") as f:
                pos = 0
                text = ""

                def learned():
                    nonlocal pos, text
                    f.seek(pos)
                    text += f.read()
                    pos = f.tell()
                    return all("neighbour %s is at" % ip in text
                               for ip in V6["servers"].values())
                H.wait_for(learned, 5)
        finally:
            START_FRAMES[:] = cap.stop()

    def on_fail(_name):
        try:
            with open(RUN + "/lbd.log", errors="replace") as f:
                log("     lbd.log: " + "\n     ".join(f.read().splitlines()[-12:]))
            c = json.loads(lbadm("--counters", "--json"))["cores"]
            log("     drops: %s" % {k: v for x in c for k, v in x["drops"].items() if v})
        except (OSError, Fail, ValueError, KeyError, subprocess.SubprocessError):
            pass

    def after_each():
        for t in LIVE:
            if t.is_alive():
                if isinstance(t, Loop):
                    t.stopping = True
                    t.join(15)
                else:
                    t.stop()
        LIVE.clear()

    def down():
        p = lab("down")
        if p.returncode != 0:
            log("ipv6: lab.sh down: " + p.stdout)

    def at_exit():
        try:
            log("ok   %-12s         %s" % ("exit", counters_at_exit()))
            return []
        except (Fail, OSError, KeyError) as e:
            log("FAIL %-12s         %s" % ("exit", e))
            return ["exit"]
    return harness.run("ipv6", TESTS, names, up, down, on_fail=on_fail,
                       after_each=after_each, final=at_exit)


def counters_at_exit():
    """lbd stopped in order on SIGINT; the counters it logged account for
    every frame, and none of the drops that mean a broken IPv6 path."""
    with open(RUN + "/lbd.log") as f:
        text = f.read()
    check("lbd: stopping" in text, "lbd did not stop in order:\n" + text[-2000:])
    c = {m.group(1): int(m.group(2)) for m in re.finditer(r"counter (\S+) (\d+)", text)}
    drops = {k[5:]: v for k, v in c.items() if k.startswith("drop.") and v}
    out = c["fwd"] + c["reply"] + c["to_control"] + c.get("to_host", 0) + sum(drops.values())
    check(c["rx"] == out, "at exit rx %d, outcomes %d" % (c["rx"], out))
    check(c.get("mbufs_in_use") == 0, "at exit %s mbufs not back in the pool"
          % c.get("mbufs_in_use"))
    bad = {k: v for k, v in drops.items() if k in BAD_DROPS}
    check(not bad, "drops of a broken path: %s" % bad)
    return "rx %d = fwd %d + reply %d + to_control %d + drops %s" % (
        c["rx"], c["fwd"], c["reply"], c["to_control"], drops or "none")


if __name__ == "__main__":
    sys.exit(main())
