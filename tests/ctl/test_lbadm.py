#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""lbadm and the control socket against a running lbd.

lbd runs on a net_pcap port that replays client flows forever
(infinite_rx), so the dataplane forwards all the time; every command and
error path of lbadm goes through the real socket, and so do hand-made bad
requests. After each hostile phase the test checks that lbd still answers,
that its configuration is intact and that the dataplane kept forwarding.

usage: test_lbadm.py BUILD_DIR
"""
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

import lbdctl
from lbdctl import check, failures, tcp_frame

BUILD = os.path.abspath(sys.argv[1])
LBADM = os.path.join(BUILD, "lbadm")

LB_MAC = lbdctl.LB_MAC
SRV = {"10.0.0.11": "02:00:00:00:00:11", "10.0.0.12": "02:00:00:00:00:12"}
VIP = "10.0.0.100"
VIP6 = "2001:db8::100"
N_FLOWS = 40

CONF = """
ports = ( { device = "net_pcap0"; address = "10.0.0.2/24"; address6 = "2001:db8::2/64";
            mac = "%s"; } );
services = (
  { protocol = "tcp"; vip = "10.0.0.100"; port = 80; scheduler = "wrr";
    real_servers = ( { address = "10.0.0.11"; weight = 3; mac = "%s"; },
                     { address = "10.0.0.12"; weight = 1; mac = "%s"; } ); },
  { protocol = "udp"; vip = "10.0.0.100"; port = 53; scheduler = "rr"; persistence = 300;
    netmask = "255.255.255.0";
    real_servers = ( { address = "10.0.0.11"; mac = "%s"; } ); }
);
dataplane = { mbufs = 4096; connections = 8192; };
control = { socket = "@DIR@/lbd.sock"; group = "nogroup"; };
""" % (LB_MAC, SRV["10.0.0.11"], SRV["10.0.0.12"], SRV["10.0.0.11"])

def flows():
    """A SYN then an ACK of each flow, replayed forever."""
    frames = [tcp_frame("192.0.2.%d" % (10 + i), 40000 + i, VIP, 80, 0x02)
              for i in range(N_FLOWS)]
    frames += [tcp_frame("192.0.2.%d" % (10 + i), 40000 + i, VIP, 80, 0x10)
               for i in range(N_FLOWS)]
    return frames


def lbadm(*args, **kw):
    return lbdctl.lbadm(BUILD, *args, **kw)


def counters(sock):
    import json
    rc, out, err = lbadm("--counters", "--json", sock=sock)
    assert rc == 0, err
    cores = json.loads(out)["cores"]
    total = {}
    for c in cores:
        for k, v in c.items():
            if isinstance(v, int):
                total[k] = total.get(k, 0) + v
    return total


# ---- raw protocol ----

MAGIC, VERSION = 0x4c424431, 6
T_INFO, T_SVC_LIST, T_SVC_ADD, T_SVC_EDIT, T_SVC_DEL, T_DEST_ADD = 1, 2, 3, 4, 5, 6
T_CONN_LIST = 13
EPROTO, EMSGSIZE, EINVAL, EBUSY, EPERM, EAFNOSUPPORT = 71, 90, 22, 16, 1, 97
REQ = struct.Struct("<IHHII")
RESP = struct.Struct("<IHHiIII")


def raw_conn(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s


def read_reply(s):
    hdr = b""
    while len(hdr) < RESP.size:
        b = s.recv(RESP.size - len(hdr))
        if not b:
            return None
        hdr += b
    magic, ver, _, status, length, rid, _ = RESP.unpack(hdr)
    body = b""
    while len(body) < length:
        b = s.recv(length - len(body))
        if not b:
            return None
        body += b
    return status, rid, body


def closed_by_peer(s, wait=10):
    s.settimeout(wait)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


# ---- the tests ----

EXPECT_LN = """IP Virtual Server version 1.2.1 (size=8192)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.0.0.100:80 wrr
  -> 10.0.0.11:80                 Route   3      {a1:<10} {i1:<10}
  -> 10.0.0.12:80                 Route   1      {a2:<10} {i2:<10}
UDP  10.0.0.100:53 rr persistent 300 mask 255.255.255.0
  -> 10.0.0.11:53                 Route   1      0          0         
"""


def parse_dests(out):
    return {m.group(1): (int(m.group(2)), int(m.group(3)))
            for m in re.finditer(r"^  -> (\S+)\s+Route\s+\d+\s+(\d+)\s+(\d+)\s*$", out, re.M)}


def test_listing(sock):
    time.sleep(1.5)
    rc, out, err = lbadm("-Ln", sock=sock)
    check(rc == 0, "-Ln exits 0")
    d = parse_dests(out)
    a1, i1 = d.get("10.0.0.11:80", (0, 0))
    a2, i2 = d.get("10.0.0.12:80", (0, 0))
    check(out == EXPECT_LN.format(a1=a1, i1=i1, a2=a2, i2=i2),
          "-Ln prints ipvsadm's table byte for byte\n" + out)
    check(a1 + i1 + a2 + i2 == N_FLOWS,
          "ActiveConn+InActConn over the servers = %d flows (got %d)" % (N_FLOWS, a1 + i1 + a2 + i2))
    check(a1 + i1 == 30 and a2 + i2 == 10, "wrr 3:1 over 40 flows: 30/10 (got %d/%d)"
          % (a1 + i1, a2 + i2))
    # the same through every way of naming the socket
    rc2, out2, _ = lbadm("--socket", sock, "-L", "-n")
    check(rc2 == 0 and out2.splitlines()[:4] == out.splitlines()[:4], "--socket PATH")
    rc3, out3, _ = lbadm("-l", "-n", env_sock=sock)
    check(rc3 == 0 and out3.splitlines()[:4] == out.splitlines()[:4], "$LBD_SOCKET")
    rc4, _, err4 = lbadm("-Ln", sock="/nonexistent/lbd.sock")
    check(rc4 != 0 and "Can't initialize ipvs" in err4, "no daemon: ipvsadm's message, non-zero")

    rc, out, err = lbadm("-lnc", sock=sock)
    lines = out.splitlines()
    check(rc == 0 and lines[0] == "IPVS connection entries" and
          lines[1] == "pro expire state       source             virtual            destination",
          "-lnc header")
    row = re.compile(r"^TCP (\d\d):(\d\d)  (ESTABLISHED|SYN_RECV) (192\.0\.2\.\d+:4\d{4}) +"
                     r"10\.0\.0\.100:80 +10\.0\.0\.1[12]:80$")
    rows = [l for l in lines[2:] if row.match(l)]
    check(len(rows) == N_FLOWS and len(lines) == N_FLOWS + 2,
          "-lnc lists every flow once (%d rows of %d lines)" % (len(rows), len(lines) - 2))
    for l in rows:
        m = row.match(l)
        secs = int(m.group(1)) * 60 + int(m.group(2))
        if not check(secs <= 900, "expire within the state's timeout: " + l):
            break
    rc, out, _ = lbadm("-lnc", "--lcore", sock=sock)
    check(rc == 0 and all(l.rstrip().endswith(" 1") for l in out.splitlines()[2:]) and
          out.splitlines()[1].endswith(" lcore"), "--lcore: the worker's lcore ends each row")
    rc, out, _ = lbadm("-L", "-n", "-t", "10.0.0.100:80", sock=sock)
    check(rc == 0 and out.startswith("Prot LocalAddress:Port Scheduler Flags\nTCP  10.0.0.100:80 wrr") is False
          and out.startswith("Prot LocalAddress:Port Scheduler Flags\n"
                             "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
                             "TCP  10.0.0.100:80 wrr\n") and "UDP" not in out,
          "-L -n -t: one service, no version line")
    rc, out, err = lbadm("-L", "-n", "-t", "10.0.0.100:81", sock=sock)
    check(rc == 1 and err == "No such service\n", "-L -t unknown: 'No such service', exit 1")
    rc, out, _ = lbadm("-L", "--timeout", sock=sock)
    check(rc == 0 and out == "Timeout (tcp tcpfin udp): 900 120 300\n", "--timeout")
    rc, out, _ = lbadm("--summary", sock=sock)
    m = re.search(r"^TCP  10\.0\.0\.100:80 +(\d+)", out, re.M)
    check(rc == 0 and m is not None and int(m.group(1)) == N_FLOWS,
          "--summary counts the service's %d entries" % N_FLOWS)
    time.sleep(4.5)   # two estimator samples
    rc, out, _ = lbadm("-Ln", "--rate", sock=sock)
    m = re.search(r"^TCP  10\.0\.0\.100:80 +(\d+) +(\d+)", out, re.M)
    check(rc == 0 and m is not None and int(m.group(2)) > 0, "--rate: InPPS > 0 under traffic")
    rc, out, _ = lbadm("-Ln", "--stats", sock=sock)
    m = re.search(r"^TCP  10\.0\.0\.100:80 +(\d+) +(\d+)", out, re.M)
    check(rc == 0 and m is not None and int(m.group(1)) == N_FLOWS and int(m.group(2)) > 1000,
          "--stats: Conns = %d, InPkts grows" % N_FLOWS)


def test_zero(sock):
    _, before, _ = lbadm("-Ln", "--stats", sock=sock)
    _, ln_before, _ = lbadm("-Ln", sock=sock)
    rc, _, err = lbadm("-Z", sock=sock)
    check(rc == 0, "-Z exits 0 " + err)
    _, after, _ = lbadm("-Ln", "--stats", "--exact", sock=sock)
    _, ln_after, _ = lbadm("-Ln", sock=sock)
    b = re.search(r"^TCP  10\.0\.0\.100:80 +(\d+)([KMGT]?) +(\d+)", before, re.M)
    a = re.search(r"^TCP  10\.0\.0\.100:80 +(\d+) +(\d+)", after, re.M)
    check(int(a.group(1)) == 0, "-Z: Conns back to 0")
    check(b.group(2) != "" or int(a.group(2)) < int(b.group(3)), "-Z: InPkts restarted")
    sb = sum(sum(v) for v in parse_dests(ln_before).values())
    sa = sum(sum(v) for v in parse_dests(ln_after).values())
    check(sb == sa == N_FLOWS + 0, "-Z leaves connection counts (%d, %d)" % (sb, sa))
    rc, _, err = lbadm("-Z", "-t", "10.0.0.100:80", sock=sock)
    check(rc == 0, "-Z -t one service")
    rc, _, err = lbadm("-Z", "-t", "10.0.0.100:8", sock=sock)
    check(rc == 255 and err == "No such service\n", "-Z unknown service: 'No such service'")


# (args, exit status, exact stderr) for ipvsadm's own messages
ERRORS = [
    (["-A", "-t", "10.0.0.100:80"], 255, "Service already exists\n"),
    (["-A", "-t", "10.0.0.100:90", "-s", "nosuch"], 255, "Scheduler not found\n"),
    (["-E", "-t", "10.0.0.100:91"], 255, "No such service\n"),
    (["-D", "-t", "10.0.0.100:91"], 255, "No such service\n"),
    (["-a", "-t", "10.0.0.100:91", "-r", "10.0.0.11"], 255, "Service not defined\n"),
    (["-a", "-t", "10.0.0.100:80", "-r", "10.0.0.11"], 255, "Destination already exists\n"),
    (["-e", "-t", "10.0.0.100:80", "-r", "10.0.0.99"], 255, "No such destination\n"),
    (["-d", "-t", "10.0.0.100:80", "-r", "10.0.0.99"], 255, "No such destination\n"),
    (["-A", "-t", "10.0.0.100:0"], 2, "Zero port specified for non-persistent service\n"),
    (["-A"], 2, "You need to supply the 'service-address' option for the 'add-service' command\n"),
    (["-a", "-t", "10.0.0.100:80"], 2,
     "You need to supply the 'real-server' option for the 'add-server' command\n"),
    (["-a", "-t", "10.0.0.100:80", "-r", "10.0.0.13", "-s", "rr"], 2,
     "Illegal 'scheduler' option with the 'add-server' command\n"),
    (["-A", "-D", "-t", "10.0.0.100:80"], 2, "multiple commands specified\n"),
    (["-A", "-t", "10.0.0.300:80"], 2, "illegal virtual server address[:port] specified\n"),
    (["-a", "-t", "10.0.0.100:80", "-r", "10.0.0.13", "-w", "65536"], 2,
     "illegal weight specified\n"),
    (["-a", "-t", "10.0.0.100:80", "-r", "10.0.0.13", "-w", "x"], 2,
     "illegal weight specified\n"),
    (["-a", "-t", "10.0.0.100:80", "-r", "10.0.0.13", "-x", "-1"], 2,
     "illegal u_threshold specified\n"),
    (["--set", "1", "2"], 2, "--set option requires 3 timeout values\n"),
    (["--set", "1", "x", "3"], 2, "invalid timeout value `x' specified\n"),
    (["-L", "-c", "--stats"], 2, "options conflicts in the list command\n"),
    (["-A", "-t", "10.0.0.100:92", "-p", "10", "-M", "255.0.x.0"], 2,
     "illegal virtual server persistent mask specified\n"),
]


def test_errors(sock):
    _, ln_before, _ = lbadm("-Ln", sock=sock)
    for args, status, msg in ERRORS:
        rc, out, err = lbadm(*args, sock=sock)
        check(rc == status and err == msg,
              "lbadm %s -> %d %r (got %d %r)" % (" ".join(args), status, msg, rc, err))
    rc, _, err = lbadm("-Q", sock=sock)
    check(rc == 2 and "Try `lbadm -h' or 'lbadm --help' for more information." in err,
          "unknown option: try-help line, exit 2")
    _, ln_after, _ = lbadm("-Ln", sock=sock)
    strip = lambda t: re.sub(r"Route   (\d+)\s+\d+\s+\d+", r"Route \1", t)
    check(strip(ln_before) == strip(ln_after), "refused commands changed nothing")


# ---- IPv6 services, as ipvsadm 1.31 takes and prints them ----

SVC6 = "[2001:db8::100]:80"
# -L's order is libipvs's, quirk included: the third 32-bit word of
# 2001:db8::aaaa:bbbb:cccc:dddd (0xaaaabbbb) minus 0 reads as a negative
# int, so it sorts before ::11 and ::12. It is longer than the 28-character
# column: ipvsadm does not cut IPv6, the rest of the line moves right.
EXPECT6_L = """Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  [2001:db8::100]:80 wlc persistent 300 mask 64
  -> [2001:db8::aaaa:bbbb:cccc:dddd]:80 Route   1      0          0         
  -> [2001:db8::11]:80            Route   1      0          0         
  -> [2001:db8::12]:80            Route   0      0          0         
"""
EXPECT6_S = """-A -t [2001:db8::100]:80 -s wlc -p 300 -M 64
-a -t [2001:db8::100]:80 -r [2001:db8::aaaa:bbbb:cccc:dddd]:80 -g -w 1
-a -t [2001:db8::100]:80 -r [2001:db8::11]:80 -g -w 1
-a -t [2001:db8::100]:80 -r [2001:db8::12]:80 -g -w 0
"""

# (args, exit status, exact stderr): bad IPv6 input, ipvsadm's messages
ERRORS6 = [
    (["-A", "-t", "[2001:db8::100]"], 2, "illegal virtual server address[:port] specified\n"),
    (["-A", "-t", "[2001:db8::100]:"], 2, "illegal virtual server address[:port] specified\n"),
    (["-A", "-t", "[2001:db8::100:80"], 2, "illegal virtual server address[:port] specified\n"),
    (["-A", "-t", "2001:db8::100]:80"], 2, "illegal virtual server address[:port] specified\n"),
    (["-A", "-t", "[2001:db8::zz]:80"], 2, "illegal virtual server address[:port] specified\n"),
    (["-A", "-t", "[2001:db8::100]:65536"], 2,
     "illegal virtual server address[:port] specified\n"),
    # without brackets the whole is an address, 2001:db8::100:81, with no port
    (["-A", "-t", "2001:db8::100:81"], 2, "Zero port specified for non-persistent service\n"),
    (["-A", "-t", "[2001:db8::100]:81", "-p", "-M", "129"], 2,
     "illegal ipv6 netmask specified\n"),
    (["-A", "-t", "[2001:db8::100]:81", "-p", "-M", "0"], 2, "illegal ipv6 netmask specified\n"),
    (["-A", "-t", "[2001:db8::100]:81", "-p", "-M", "255.255.255.0"], 2,
     "illegal ipv6 netmask specified\n"),
    (["-a", "-t", SVC6, "-r", "[2001:db8::13]"], 2,
     "illegal real server address[:port] specified\n"),
    (["-a", "-t", SVC6, "-r", "10.0.0.11"], 2,
     "Different address family is allowed only for tunneling servers\n"),
    (["-e", "-t", SVC6, "-r", "10.0.0.11:80", "-w", "3"], 2,
     "Different address family is allowed only for tunneling servers\n"),
    (["-a", "-t", "10.0.0.100:80", "-r", "[2001:db8::11]:80"], 2,
     "Different address family is allowed only for tunneling servers\n"),
    (["-a", "-t", "10.0.0.100:80", "-r", "2001:db8::11"], 2,
     "Different address family is allowed only for tunneling servers\n"),
    # a tunnel may cross families in ipvsadm: lbd refuses the tunnel itself
    (["-a", "-t", SVC6, "-r", "10.0.0.11", "-i"], 255,
     "lbd forwards by direct routing only (-g)\n"),
    (["-L", "-6"], 2, "-6 used before -f\n\n"),
    (["-A", "-f", "1", "-6"], 2, "lbd has no fwmark services: use -t or -u\n"),
    (["-L", "-n", "-f", "1", "-6"], 1, "No such service\n"),
    (["-A", "-t", SVC6], 255, "Service already exists\n"),
    (["-a", "-t", SVC6, "-r", "[2001:db8::11]:80"], 255, "Destination already exists\n"),
    (["-a", "-t", SVC6, "-r", "[2001:db9::11]:80"], 255,
     "Real server is on no subnet of lbd's ports\n"),
    (["-a", "-t", "[2001:db8::101]:80", "-r", "[2001:db8::11]:80"], 255,
     "Service not defined\n"),
    (["-d", "-t", SVC6, "-r", "2001:db8::99"], 255, "No such destination\n"),
    (["-L", "-n", "-t", "[2001:db8::101]:80"], 1, "No such service\n"),
    (["-D", "-t", "[2001:db8::100]:81"], 255, "No such service\n"),
    (["--withdraw", "2001:db8::100"], 2, "lbd announces IPv4 VIPs only: `2001:db8::100'\n"),
]


def one6(*extra, sock):
    """lbadm -L -n -t [2001:db8::100]:80 with extra options."""
    return lbadm("-L", "-n", "-t", SVC6, *extra, sock=sock)


def test_ipv6(sock):
    steps = [
        ["-A", "-t", SVC6, "-s", "rr"],
        ["-a", "-t", SVC6, "-r", "[2001:db8::11]:80"],
        ["-a", "-t", SVC6, "-r", "2001:db8::12", "-w", "2"],     # no port: the service's
        ["-a", "-t", SVC6, "-r", "[2001:db8::aaaa:bbbb:cccc:dddd]:80"],
        ["-E", "-t", SVC6, "-s", "wlc", "-p", "300", "-M", "64"],
        ["-e", "-t", SVC6, "-r", "[2001:db8::12]:80", "-w", "0"],
    ]
    for args in steps:
        rc, _, err = lbadm(*args, sock=sock)
        check(rc == 0 and err == "", "IPv6: lbadm %s (%d %r)" % (" ".join(args), rc, err))
    rc, out, _ = one6(sock=sock)
    check(rc == 0 and out == EXPECT6_L, "IPv6: -L -n -t %s as ipvsadm prints it\n%s" % (SVC6, out))

    # a service name past the 33-character column: IPv6 is not cut
    long6 = "[2001:db8::1111:2222:3333:4444]:53"
    rc, _, err = lbadm("-A", "-u", long6, "-s", "sh", "-p", sock=sock)
    check(rc == 0 and err == "", "IPv6: -A -u %s -s sh -p %s" % (long6, err))
    rc, out, _ = lbadm("-Ln", sock=sock)
    check(rc == 0 and out.endswith(EXPECT6_L.split("\n", 2)[2] +
                                   "UDP  %s sh persistent 360\n" % long6) and
          out.index("UDP  10.0.0.100:53") < out.index("TCP  [2001:db8::100]:80"),
          "IPv6: -Ln lists the IPv6 services after every IPv4 one, TCP before UDP\n" + out)
    rc, out, _ = lbadm("-Ln", "--stats", sock=sock)
    check(rc == 0 and out.endswith("%-33s" % ("UDP  " + long6) + "%9d" * 5 % (0, 0, 0, 0, 0) +
                                   "\n"), "IPv6: --stats, a long service name\n" + out)
    rc, _, err = lbadm("-D", "-u", long6, sock=sock)
    check(rc == 0 and err == "", "IPv6: -D -u " + long6)

    # the other listings, from ipvsadm's printf formats: the long server
    # pushes every column (the counters are 0 here, no IPv6 traffic yet)
    svc, wide = "TCP  [2001:db8::100]:80", "[2001:db8::aaaa:bbbb:cccc:dddd]:80"
    stats_svc = "%-33s" % svc + "%9d" * 5 % (0, 0, 0, 0, 0) + "\n"
    for extra, svc_line, dest_line in [
            (["--stats"], stats_svc, "  -> %-28s" % wide + "%9d" * 5 % (0, 0, 0, 0, 0) + "\n"),
            (["--rate"], stats_svc, "  -> %-28s %8u %8u %8u" % (wide, 0, 0, 0) +
             "%9d" * 2 % (0, 0) + "\n"),
            (["--stats", "--exact"], stats_svc,
             "  -> %-28s" % wide + "%9d" * 5 % (0, 0, 0, 0, 0) + "\n"),
            (["--thresholds"], None, "  -> %-28s %-10u %-10u %-10u %-10u\n" % (wide, 0, 0, 0, 0)),
            (["--persistent-conn"], None,
             "  -> %-28s %-9u %-11u %-10u %-10u\n" % (wide, 1, 0, 0, 0)),
            (["--tun-info"], None, "  -> %-28s %-7s %-13s %-6d %-10u %-10u\n" % (
                wide, "Route", "n/a", 1, 0, 0))]:
        rc, out, _ = one6(*extra, sock=sock)
        check(rc == 0 and dest_line in out and (svc_line is None or svc_line in out),
              "IPv6: -L -n %s\n%s" % (" ".join(extra), out))

    # names, as ipvsadm resolves them (reverse lookup, else the address)
    try:
        name = socket.gethostbyaddr("2001:db8::100")[0]
    except OSError:
        name = "2001:db8::100"
    rc, out, _ = lbadm("-L", "-t", SVC6, sock=sock)
    check(rc == 0 and "\nTCP  [%s]:http wlc persistent 300 mask 64\n" % name in out,
          "IPv6: -L without -n: [name]:service\n" + out)

    rc, out, _ = lbadm("-L", "--json", sock=sock)
    try:
        svc = [x for x in json.loads(out)["services"] if x["vip"] == "2001:db8::100"][0]
        ok = (svc["port"] == 80 and svc["netmask"] == "64" and svc["persistence"] == 300 and
              sorted(d["address"] for d in svc["real_servers"]) ==
              ["2001:db8::11", "2001:db8::12", "2001:db8::aaaa:bbbb:cccc:dddd"])
    except (ValueError, KeyError, IndexError):
        ok = False
    check(rc == 0 and ok, "IPv6: -L --json has the service and its servers\n" + out)

    rc, out, _ = lbadm("--health", "-t", SVC6, sock=sock)
    check(rc == 0 and re.search(r"^TCP  \[2001:db8::100\]:80 +\S", out, re.M) and
          re.search(r"^  -> \[2001:db8::11\]:80 +none +UP .* not checked$", out, re.M) and
          "  -> [2001:db8::aaaa:bbbb:cccc:dddd]:80 none  UP" in out,
          "IPv6: --health shows [addr]:port\n" + out)
    rc, out, _ = lbadm("--health", "--json", "-t", SVC6, sock=sock)
    try:
        h = json.loads(out)["services"][0]
        ok = h["vip"] == "2001:db8::100" and h["sorry_server"] is None and \
            sorted(d["address"] for d in h["servers"])[0] == "2001:db8::11"
    except (ValueError, KeyError, IndexError):
        ok = False
    check(rc == 0 and ok, "IPv6: --health --json\n" + out)
    rc, out, _ = lbadm("--summary", sock=sock)
    check(rc == 0 and re.search(r"^TCP  \[2001:db8::100\]:80 +0 ", out, re.M),
          "IPv6: --summary lists the service\n" + out)
    rc, _, err = lbadm("-Z", "-t", SVC6, sock=sock)
    check(rc == 0 and err == "", "IPv6: -Z -t " + SVC6)

    _, before, _ = lbadm("-S", "-n", sock=sock)
    for args, status, msg in ERRORS6:
        rc, out, err = lbadm(*args, sock=sock)
        check(rc == status and err == msg,
              "IPv6: lbadm %s -> %d %r (got %d %r)" % (" ".join(args), status, msg, rc, err))
    # lbadm refuses the other family itself, as ipvsadm; lbd does too
    s6 = raw_conn(sock)
    req = svc_key(6, AF_INET6, 80, socket.inet_pton(AF_INET6, VIP6)) + struct.pack(
        "<16sHHB3xIIIIII", socket.inet_aton("10.0.0.11"), 80, 0, AF_INET, 1, 0, 0, 0, 0, 0) + \
        bytes(80)
    s6.sendall(REQ.pack(MAGIC, VERSION, T_DEST_ADD, len(req), 61) + req)
    r = read_reply(s6)
    s6.close()
    check(len(req) == BODY[T_DEST_ADD] and r is not None and r[0] == EAFNOSUPPORT,
          "IPv6: lbd refuses an IPv4 server of an IPv6 service (status %s)" % (r and r[0]))
    _, after, _ = lbadm("-S", "-n", sock=sock)
    check(after == before, "IPv6: the refused commands changed nothing")

    # -S and -R: the rule lines, and back
    rc, saved, _ = lbadm("-S", "-n", sock=sock)
    rules6 = "".join(l + "\n" for l in saved.splitlines() if "[2001:db8::100]" in l)
    check(rc == 0 and rules6 == EXPECT6_S, "IPv6: -S -n\n" + rules6)
    rc, _, err = lbadm("-D", "-t", SVC6, sock=sock)
    _, out, _ = lbadm("-Ln", sock=sock)
    check(rc == 0 and "2001:db8" not in out, "IPv6: -D removes the service " + err)
    rc, _, err = lbadm("-R", stdin=rules6, sock=sock)
    _, again, _ = lbadm("-S", "-n", sock=sock)
    check(rc == 0 and err == "" and again == saved, "IPv6: -R of -S's lines restores it\n" + again)
    rc, out, _ = one6(sock=sock)
    check(out == EXPECT6_L, "IPv6: and -L lists it as before")

    # a server out, then the service
    rc, _, err = lbadm("-d", "-t", SVC6, "-r", "[2001:db8::aaaa:bbbb:cccc:dddd]:80", sock=sock)
    _, out, _ = one6(sock=sock)
    check(rc == 0 and "aaaa" not in out and "[2001:db8::11]:80" in out, "IPv6: -d " + err)
    rc, _, err = lbadm("-D", "-t", SVC6, sock=sock)
    _, out, _ = lbadm("-Ln", sock=sock)
    check(rc == 0 and "2001:db8" not in out, "IPv6: -D " + err)


def test_sync_daemon(sock):
    """--start-daemon, --stop-daemon, -L --daemon as ipvsadm's, on lo."""
    rc, out, err = lbadm("-L", "--daemon", sock=sock)
    check(rc == 0 and out == "", "-L --daemon with no daemon prints nothing (%d %r)" % (rc, out))
    rc, out, err = lbadm("--start-daemon", "master", "--mcast-interface", "lo", "--syncid", "7",
                         sock=sock)
    check(rc == 0, "--start-daemon master on lo: %d %r" % (rc, err))
    rc, out, err = lbadm("--start-daemon", "backup", "--mcast-interface", "lo", "--syncid", "0",
                         "--mcast-port", "8850", "--mcast-group", "224.0.0.90", sock=sock)
    check(rc == 0, "--start-daemon backup on lo: %d %r" % (rc, err))
    rc, out, _ = lbadm("-L", "--daemon", sock=sock)
    want = ("master sync daemon (mcast=lo, syncid=7, maxlen=1472, group=224.0.0.81, port=8848,"
            " ttl=1)\nbackup sync daemon (mcast=lo, syncid=0, maxlen=1472, group=224.0.0.90,"
            " port=8850, ttl=1)\n")
    check(rc == 0 and out == want, "-L --daemon: %r, want %r" % (out, want))
    rc, out, _ = lbadm("-L", "--daemon", "--json", sock=sock)
    try:
        j = json.loads(out)
        ok = j["master"]["syncid"] == 7 and j["backup"]["port"] == 8850 and \
            j["received"]["drop"]["short"] == 0
    except (ValueError, KeyError, TypeError):
        ok = False
    check(rc == 0 and ok, "-L --daemon --json: %r" % out)
    for args, status, msg in [
            (("--start-daemon", "master", "--mcast-interface", "lo"), 255,
             "Daemon has already run"),
            (("--start-daemon", "chief", "--mcast-interface", "lo"), 2,
             "illegal start-daemon parameter specified"),
            (("--start-daemon", "backup"), 2, "--start-daemon needs --mcast-interface"),
            (("--start-daemon", "master", "--mcast-interface", "lo", "--syncid", "256"), 2,
             "illegal syncid specified"),
            (("--start-daemon", "master", "--mcast-interface", "lo", "--mcast-group",
              "10.0.0.1"), 2, "illegal IPv4 mcast-group specified"),
            (("-L", "--mcast-ttl", "3"), 2, "--sync-maxlen, --mcast-group, --mcast-port and "
             "--mcast-ttl go with --start-daemon"),
            (("--stop-daemon", "master"), 0, ""),
            (("--stop-daemon", "master"), 255, "No daemon is running"),
            (("--start-daemon", "master", "--mcast-interface", "nosuch0"), 255,
             "No such interface in lbd's network namespace"),
            (("--start-daemon", "master", "--mcast-interface", "lo", "--sync-maxlen", "20"), 255,
             "Invalid operation.  Possibly wrong module version, address not unicast, ..."),
            (("--stop-daemon", "backup"), 0, "")]:
        rc, out, err = lbadm(*args, sock=sock)
        err = err.strip()
        check(rc == status and err == msg, "lbadm %s -> %d %r (got %d %r)"
              % (" ".join(args), status, msg, rc, err))
    rc, out, _ = lbadm("-L", "--daemon", sock=sock)
    check(rc == 0 and out == "", "both stopped: -L --daemon prints nothing (%r)" % out)


def test_edits(sock):
    steps = [
        (["-A", "-t", "10.0.0.100:8080", "-s", "rr"], ""),
        (["-a", "-t", "10.0.0.100:8080", "-r", "10.0.0.12", "-g", "-w", "2"], ""),
        (["-a", "-t", "10.0.0.100:8080", "-r", "10.0.0.11:8080", "-w", "5", "-x", "100", "-y", "50"], ""),
        (["-E", "-t", "10.0.0.100:8080", "-s", "wlc", "-p", "60"], ""),
        (["-e", "-t", "10.0.0.100:8080", "-r", "10.0.0.12", "-w", "0"], ""),
    ]
    for args, _ in steps:
        rc, _, err = lbadm(*args, sock=sock)
        check(rc == 0 and err == "", "lbadm " + " ".join(args))
    rc, out, _ = lbadm("-L", "-n", "-t", "10.0.0.100:8080", sock=sock)
    check(out == "Prot LocalAddress:Port Scheduler Flags\n"
                 "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
                 "TCP  10.0.0.100:8080 wlc persistent 60\n"
                 "  -> 10.0.0.11:8080               Route   5      0          0         \n"
                 "  -> 10.0.0.12:8080               Route   0      0          0         \n",
          "edits show in -L -t\n" + out)
    rc, out, _ = lbadm("-L", "-n", "-t", "10.0.0.100:8080", "--thresholds", sock=sock)
    check("  -> 10.0.0.11:8080               100        50         0          0         \n" in out,
          "--thresholds shows -x/-y")
    rc, _, _ = lbadm("-d", "-t", "10.0.0.100:8080", "-r", "10.0.0.12", sock=sock)
    rc2, _, _ = lbadm("-D", "-t", "10.0.0.100:8080", sock=sock)
    rc3, out, _ = lbadm("-Ln", sock=sock)
    check(rc == 0 and rc2 == 0 and "8080" not in out, "-d and -D remove")
    rc, _, _ = lbadm("--set", "800", "0", "200", sock=sock)
    _, out, _ = lbadm("-L", "--timeout", sock=sock)
    check(rc == 0 and out == "Timeout (tcp tcpfin udp): 800 120 200\n", "--set, 0 = unchanged")
    lbadm("--set", "900", "120", "300", sock=sock)


def test_sysctl(sock):
    rc, out, _ = lbadm("--sysctl", sock=sock)
    check(rc == 0 and out == "secure_tcp = 0\nsloppy_tcp = 0\nexpire_nodest_conn = 0\n"
          "drop_entry = 0\ndrop_packet = 0\nam_droprate = 10\nstateless_mh = 0\n"
          "defense_threshold = 90\n", "--sysctl lists IPVS's switches and the defences")
    rc, _, err = lbadm("--sysctl", "secure_tcp=1", sock=sock)
    _, out, _ = lbadm("--sysctl", "--json", sock=sock)
    check(rc == 0 and out == '{"secure_tcp":1,"sloppy_tcp":0,"expire_nodest_conn":0,'
          '"drop_entry":0,"drop_packet":0,"am_droprate":10,"stateless_mh":0,'
          '"defense_threshold":90}\n',
          "--sysctl secure_tcp=1 switches the table at run time " + err)
    for arg, ok in (("drop_entry=3", True), ("drop_entry=4", False), ("am_droprate=0", False),
                    ("defense_threshold=101", False), ("defense_threshold=50", True),
                    ("drop_packet=x", False), ("drop_packet=", False), ("drop_entry", False)):
        rc, _, err = lbadm("--sysctl", arg, sock=sock)
        check((rc == 0) == ok and (ok or rc == 2), "--sysctl %s: exit %d %s" % (arg, rc,
                                                                          err.strip()))
    _, out, _ = lbadm("--sysctl", sock=sock)
    check("drop_entry = 3\n" in out and "defense_threshold = 50\n" in out,
          "--sysctl drop_entry=3 defense_threshold=50 listed")
    lbadm("--sysctl", "drop_entry=0", sock=sock)
    lbadm("--sysctl", "defense_threshold=90", sock=sock)
    rc, _, err = lbadm("--sysctl", "secure_tcp=2", sock=sock)
    check(rc == 2 and "illegal value" in err, "--sysctl with a bad value: usage error")
    rc, _, err = lbadm("--sysctl", "nosuch=1", sock=sock)
    check(rc == 2 and "unknown sysctl" in err, "--sysctl with a bad name: usage error")
    rc, _, err = lbadm("--sysctl", "secure_tcp=0", sock=sock, user=(65534, 65534))
    check(rc == 255 and err == "Permission denied (you must be root)\n",
          "--sysctl from the listing group is refused")
    rc, _, _ = lbadm("--sysctl", "secure_tcp=0", sock=sock)
    _, out, _ = lbadm("--sysctl", sock=sock)
    check(rc == 0 and out.startswith("secure_tcp = 0\n"), "--sysctl secure_tcp=0 switches back")


def test_save_restore(sock):
    rc, saved, _ = lbadm("-S", "-n", sock=sock)
    check(rc == 0 and saved == "-A -t 10.0.0.100:80 -s wrr\n"
                               "-a -t 10.0.0.100:80 -r 10.0.0.11:80 -g -w 3\n"
                               "-a -t 10.0.0.100:80 -r 10.0.0.12:80 -g -w 1\n"
                               "-A -u 10.0.0.100:53 -s rr -p 300 -M 255.255.255.0\n"
                               "-a -u 10.0.0.100:53 -r 10.0.0.11:53 -g -w 1\n",
          "-S -n prints the rules as commands\n" + saved)
    rc, _, _ = lbadm("-C", sock=sock)
    _, out, _ = lbadm("-Ln", sock=sock)
    check(rc == 0 and out.count("\n") == 3, "-C leaves no service")
    rc, _, err = lbadm("-R", stdin="# saved rules\n\nipvsadm " + saved.replace("\n", "\n", 1),
                       sock=sock)
    check(rc == 0 and err == "", "-R reads -S output (comments, blank lines, leading ipvsadm) " + err)
    _, again, _ = lbadm("-S", "-n", sock=sock)
    check(again == saved, "-S after -C and -R: the same rules")
    rc, _, err = lbadm("-R", stdin="-A -t 10.0.0.100:80 -s wrr\n", sock=sock)
    check(rc != 0 and err == "Service already exists\n", "-R reports a failing line")


def test_ipvsadm_script(sock):
    """A script written for ipvsadm, run unchanged with lbadm installed as ipvsadm."""
    d = tempfile.mkdtemp(prefix="lbd-ipvsadm-")
    os.symlink(LBADM, os.path.join(d, "ipvsadm"))
    script = r"""
set -e
ipvsadm -A -t 10.0.0.100:443 -s wlc -p 120
ipvsadm -a -t 10.0.0.100:443 -r 10.0.0.11:443 -g -w 1
ipvsadm -a -t 10.0.0.100:443 -r 10.0.0.12:443 -g -w 1
n=$(ipvsadm -Ln | grep -c -- '-> 10.0.0.1[12]:443')
[ "$n" = 2 ]
ipvsadm -lnc | grep -q ESTABLISHED
ipvsadm -Ln --stats | awk '$1 == "TCP" && $2 == "10.0.0.100:80" { found = 1 } END { exit !found }'
ipvsadm -S -n > "$D/rules"
ipvsadm -C
ipvsadm -R < "$D/rules"
ipvsadm -S -n | cmp - "$D/rules"
ipvsadm -D -t 10.0.0.100:443
echo done
"""
    env = dict(os.environ, PATH=d + ":" + os.environ["PATH"], LBD_SOCKET=sock, D=d)
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=60)
    check(r.returncode == 0 and r.stdout.strip() == "done",
          "an ipvsadm script runs unchanged: " + r.stderr.strip())
    shutil.rmtree(d, ignore_errors=True)


def test_unprivileged(sock):
    nobody = (65534, 65534)      # in the socket's group (control.group = "nogroup")
    rc, out, err = lbadm("-Ln", sock=sock, user=nobody)
    check(rc == 0 and "TCP  10.0.0.100:80 wrr" in out, "the socket's group may list")
    rc, out, err = lbadm("-lnc", sock=sock, user=nobody)
    check(rc == 0 and out.count("\n") == N_FLOWS + 2, "the socket's group may list connections")
    rc, out, err = lbadm("-A", "-t", "10.0.0.100:444", sock=sock, user=nobody)
    check(rc == 255 and err == "Permission denied (you must be root)\n",
          "a change from the group is refused: %d %r" % (rc, err))
    rc, out, err = lbadm("-Z", sock=sock, user=nobody)
    check(rc == 255 and "Permission denied" in err, "-Z from the group is refused")
    _, out, _ = lbadm("-Ln", sock=sock)
    check(":444" not in out, "nothing changed")
    st = os.stat(sock)
    check((st.st_mode & 0o777) == 0o660 and st.st_gid == 65534,
          "socket mode 0660, group = control.group")
    rc, out, err = lbadm("-Ln", sock=sock, user=(65534, 1))   # neither owner nor group
    check(rc == 2 and "Can't initialize ipvs" in err and "Permission denied" in err,
          "a user outside the group cannot connect")


def test_bad_requests(sock, lbd):
    fwd0 = counters(sock)["fwd"]
    # garbage: bad magic -> EPROTO, then closed
    s = raw_conn(sock)
    s.sendall(os.urandom(64))
    r = read_reply(s)
    check(r is not None and r[0] == EPROTO and closed_by_peer(s), "garbage: EPROTO, closed")
    s.close()
    # oversized
    s = raw_conn(sock)
    s.sendall(REQ.pack(MAGIC, VERSION, T_SVC_ADD, 1 << 20, 7))
    r = read_reply(s)
    check(r is not None and r[0] == EMSGSIZE and r[1] == 7 and closed_by_peer(s),
          "oversized body: EMSGSIZE, closed")
    s.close()
    # wrong version
    s = raw_conn(sock)
    s.sendall(REQ.pack(MAGIC, 99, T_INFO, 0, 8))
    r = read_reply(s)
    check(r is not None and r[0] == EPROTO, "wrong version: EPROTO")
    s.close()
    # unknown type and wrong body sizes: EINVAL, the connection stays usable
    s = raw_conn(sock)
    s.sendall(REQ.pack(MAGIC, VERSION, 999, 0, 1))
    r1 = read_reply(s)
    s.sendall(REQ.pack(MAGIC, VERSION, T_SVC_ADD, 3, 2) + b"abc")
    r2 = read_reply(s)
    s.sendall(REQ.pack(MAGIC, VERSION, T_INFO, 0, 3))
    r3 = read_reply(s)
    check(r1 and r1[0] == EINVAL and r2 and r2[0] == EINVAL and r2[1] == 2 and
          r3 and r3[0] == 0 and len(r3[2]) > 0,
          "unknown type and short body: EINVAL, then the same connection still works")
    # a service with nonsense fields (proto 99, unterminated scheduler name)
    body = svc_key(99, AF_INET, 80, socket.inet_aton(VIP)) + b"A" * 16 + bytes(BODY[3] - 40)
    hdr_len = len(body)
    s.sendall(REQ.pack(MAGIC, VERSION, T_SVC_ADD, hdr_len, 4) + body)
    r4 = read_reply(s)
    check(r4 is not None and r4[0] != 0, "nonsense service: refused (status %s)" % (r4 and r4[0]))
    # connection listing with a cursor beyond every worker
    s.sendall(REQ.pack(MAGIC, VERSION, T_CONN_LIST, 16, 5) + struct.pack("<IIII", 1000, 1 << 31, 1 << 31, 0))
    r5 = read_reply(s)
    check(r5 is not None and (r5[0] != 0 or struct.unpack_from("<IIIIII", r5[2])[4] == 0),
          "cursor past the end: error or empty page")
    s.close()
    # pipelined requests in one write
    s = raw_conn(sock)
    s.sendall(b"".join(REQ.pack(MAGIC, VERSION, T_INFO, 0, i) for i in range(10)))
    ids = [read_reply(s)[1] for _ in range(10)]
    check(ids == list(range(10)), "pipelined requests: replies in order")
    s.close()
    # truncated: half a header then hang up; and half a header then silence
    s = raw_conn(sock)
    s.sendall(REQ.pack(MAGIC, VERSION, T_INFO, 0, 1)[:7])
    s.close()
    s = raw_conn(sock)
    s.sendall(REQ.pack(MAGIC, VERSION, T_INFO, 0, 1)[:7])
    t0 = time.monotonic()
    gone = closed_by_peer(s, wait=15)
    check(gone and time.monotonic() - t0 < 12, "a client stalled mid-request is dropped "
          "(after %.1f s)" % (time.monotonic() - t0))
    s.close()
    # too many clients: the one over the limit hears EBUSY; the others are served
    held = [raw_conn(sock) for _ in range(16)]
    extra = raw_conn(sock)
    r = read_reply(extra)
    check(r is not None and r[0] == EBUSY, "client over the limit: EBUSY")
    extra.close()
    for h in held:
        h.close()
    time.sleep(0.3)
    rc, out, _ = lbadm("-Ln", sock=sock)
    check(rc == 0 and "TCP  10.0.0.100:80 wrr" in out, "served again once they left")
    check(lbd.alive(), "lbd survived every bad request")
    fwd1 = counters(sock)["fwd"]
    check(fwd1 > fwd0, "the dataplane kept forwarding meanwhile (%d -> %d)" % (fwd0, fwd1))


# body sizes of control/lb_api.h (version 6), by request type
BODY = {1: 0, 2: 24, 3: 144, 4: 144, 5: 24, 6: 152, 7: 152, 8: 152, 9: 0, 10: 24, 11: 0,
        12: 12, 13: 16, 14: 0, 15: 0, 16: 32}
AF_INET, AF_INET6 = socket.AF_INET, socket.AF_INET6


def svc_key(proto, af, port, addr):
    """struct lb_api_svc_key: proto, af, port, 4 bytes of padding, union lb_ip."""
    return struct.pack("<BBH4x16s", proto, af, port, addr)


def template(t, rnd):
    """A plausible body of type t, which the fuzzer then mutates."""
    af = rnd.choice([AF_INET, AF_INET6, 0, 255])
    addr = rnd.choice([socket.inet_aton(VIP), socket.inet_pton(AF_INET6, VIP6), bytes(16),
                       b"\xff" * 16, rnd.getrandbits(128).to_bytes(16, "little")])
    key = svc_key(rnd.choice([6, 17, 0, 255]), af, rnd.choice([80, 0, 65535]), addr)
    if t in (3, 4):
        sched = rnd.choice([b"rr", b"wlc", b"mh", b"sh", b"nosuch", b"A" * 16])
        return key + sched.ljust(16, b"\0")[:16] + struct.pack(
            "<IIIIII", rnd.getrandbits(2), rnd.getrandbits(1), rnd.choice([0, 300, 1 << 31]),
            rnd.choice([0xffffffff, 0x00ffffff, 0, 64, 128, 129]), rnd.getrandbits(32),
            0) + bytes(80)
    if t in (6, 7, 8):
        raddr = rnd.choice([socket.inet_aton("10.0.0.11"),
                            socket.inet_pton(AF_INET6, "2001:db8::11"),
                            rnd.getrandbits(128).to_bytes(16, "little")])
        return key + struct.pack("<16sHHB3xIIIIII", raddr, rnd.choice([80, 0]),
                                 rnd.getrandbits(2), rnd.choice([af, AF_INET, AF_INET6, 0]),
                                 rnd.choice([1, 0, 65535, 65536, 1 << 31]),
                                 rnd.getrandbits(32), rnd.getrandbits(32), 0, 0, 0) + bytes(80)
    if t == 13:
        return struct.pack("<IIII", rnd.getrandbits(2), rnd.choice([0, 100, 1 << 31]),
                           rnd.choice([0, 1, 1 << 31]), rnd.getrandbits(32))
    if t == 16:
        return struct.pack("<8i", *(rnd.choice([-1, 0, 1, 2, -2 ** 31]) for _ in range(8)))
    return bytes(rnd.getrandbits(8) for _ in range(BODY[t]))


def test_fuzz_requests(sock, lbd):
    """2,000 well-framed requests with mutated bodies: every one answered, the
    connection kept, lbd alive and still listing."""
    import random
    rnd = random.Random(20261124)
    s = raw_conn(sock)
    answered = statuses = 0
    seen = set()
    for i in range(2000):
        t = rnd.choice(sorted(BODY))
        if t == 9 and rnd.random() < 0.9:
            continue    # CLEAR: rarely, or nothing stays to poke at
        body = bytearray(template(t, rnd))
        for _ in range(rnd.choice([0, 0, 1, 2, 4])):
            if body:
                body[rnd.randrange(len(body))] = rnd.getrandbits(8)
        s.sendall(REQ.pack(MAGIC, VERSION, t, len(body), i) + bytes(body))
        r = read_reply(s)
        if r is None:
            break
        answered += r[1] == i
        statuses += r[0] >= 0
        seen.add(r[0])
    s.close()
    check(answered == statuses and answered > 1500,
          "fuzzed requests: every one answered in order, connection kept (%d, statuses %s)"
          % (answered, sorted(seen)))
    check(lbd.alive(), "lbd survived the fuzzed requests")
    rc, out, err = lbadm("-Ln", sock=sock)
    check(rc == 0 and out.startswith("IP Virtual Server version"), "and still lists: " + err)
    rc, out, err = lbadm("-lnc", sock=sock)
    check(rc == 0, "and still lists connections: " + err)


def test_fuzz_cli(sock):
    """400 random command lines from ipvsadm's vocabulary: every one ends with
    an exit status of its own (0, 1, 2 or 255), never a signal or a hang."""
    import random
    rnd = random.Random(1124)
    words = ["-A", "-E", "-D", "-C", "-L", "-l", "-Z", "-a", "-e", "-d", "-S", "-R", "-n",
             "-c", "-t", "-u", "-f", "-s", "-p", "-M", "-r", "-g", "-m", "-i", "-w", "-x", "-y",
             "--set", "--stats", "--rate", "--exact", "--thresholds", "--persistent-conn",
             "--timeout", "--json", "--summary", "--lcore", "--counters", "--sysctl",
             "--nosort", "-lnc", "-Ln", "-Lnc", "10.0.0.100:80", "10.0.0.100:", ":80",
             "10.0.0.100:99999", "1.2.3.4", "256.1.1.1", "wlc", "mh", "x" * 300, "-1", "0",
             "65536", "4294967296", "255.255.255.0", "--", "-", "", "secure_tcp=1",
             "-w3", "-tx", "--weight=2", "--socket"]
    bad = []
    for i in range(400):
        args = [rnd.choice(words) for _ in range(rnd.randint(1, 7))]
        if "--socket" in args:
            args = [a for a in args if a != "--socket"]
        try:
            rc, out, err = lbadm(*args, sock=sock, stdin="")
        except subprocess.TimeoutExpired:
            bad.append((args, "hang"))
            continue
        if rc not in (0, 1, 2, 255):
            bad.append((args, rc, err[-200:]))
    check(not bad, "400 random command lines: only lbadm's exit statuses %s" % bad[:3])
    rc, out, _ = lbadm("-Ln", sock=sock)
    check(rc == 0, "lbd still answers after them")


def test_concurrent(sock):
    errs = []

    def lister(cmd):
        for _ in range(15):
            rc, out, err = lbadm(*cmd, sock=sock)
            if rc != 0 or not out.startswith(("IP Virtual Server", "IPVS connection entries")):
                errs.append((cmd, rc, err))

    def editor():
        for i in range(15):
            for args in (["-A", "-t", "10.0.0.100:%d" % (9000 + i)],
                         ["-a", "-t", "10.0.0.100:%d" % (9000 + i), "-r", "10.0.0.11"],
                         ["-D", "-t", "10.0.0.100:%d" % (9000 + i)]):
                rc, _, err = lbadm(*args, sock=sock)
                if rc != 0:
                    errs.append((args, rc, err))

    threads = [threading.Thread(target=lister, args=(c,))
               for c in (["-Ln"], ["-lnc"], ["-Ln", "--stats"], ["-lnc"], ["-Ln", "--rate"])]
    threads.append(threading.Thread(target=editor))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(not errs, "6 concurrent clients (listings and edits): no error %s" % errs[:3])
    _, out, _ = lbadm("-Ln", sock=sock)
    check(":90" not in out, "every concurrent add was matched by its delete")


def main():
    lbd = lbdctl.Lbd(BUILD, CONF, flows())
    sock = lbd.sock
    try:
        test_listing(sock)
        test_zero(sock)
        test_errors(sock)
        test_edits(sock)
        test_ipv6(sock)
        test_sync_daemon(sock)
        test_sysctl(sock)
        test_save_restore(sock)
        test_ipvsadm_script(sock)
        test_unprivileged(sock)
        test_bad_requests(sock, lbd)
        test_concurrent(sock)
        test_fuzz_requests(sock, lbd)
        test_fuzz_cli(sock)
    finally:
        rc, log, c = lbd.stop()
    check(rc == 0, "lbd stops on SIGINT with status 0 (got %s)" % rc)
    # lbd logs its final counters at exit, when nothing moves any more
    check(lbdctl.accounted(c), "counters account for every frame received")
    if failures:
        print("\n%d check(s) failed" % len(failures))
        print(log[-3000:])
        sys.exit(1)
    print("\nall checks passed")


if __name__ == "__main__":
    main()
