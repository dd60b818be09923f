#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""lbadm against the real ipvsadm 1.31, byte for byte, on lbd's live state.

lbd runs on a net_pcap port with services of every kind lbadm has to print
(TCP and UDP, rr wrr wlc sh mh and their flags, persistence with and without
a netmask, a port-zero service, thresholds, weight 0, several servers each).
A finite pcap of client flows leaves connection entries and persistence
templates behind. Then each listing is run twice: by ipvsadm, with
tests/ipvsadm/shim.c preloaded so that its IPVS requests and its
/proc/net/ip_vs_conn are answered from lbd's control socket, and by lbadm.
Their stdout, stderr and exit status must be the same.

It does so twice over:
  1. an IPv4-only lbd, every listing on both of ipvsadm's interfaces to
     IPVS: generic netlink (LBD_SHIM_IPVS=netlink) and the old socket
     options (LBD_SHIM_IPVS=sockopt), which carry IPv4 only;
  2. an lbd with IPv6 services beside the IPv4 ones (long addresses that
     push columns, persistence with netmasks 64 and 128, a port-zero
     service, IPv6 client flows) and a running sync daemon, every listing
     again and the IPv6 ones, over netlink, the one interface with IPv6.

Counters, rates (a new estimate every 2 s) and expiry seconds move while the
two run: a pair that differs is run again, up to RETRIES times, and must
agree once; the comparison itself is never loosened.

usage: compare.py BUILD_DIR SHIM_SO    (exit 77 when ipvsadm is unavailable)
"""
import difflib
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ctl"))
import lbdctl  # noqa: E402
from lbdctl import tcp_frame, udp_frame, pcapfile  # noqa: E402

BUILD = os.path.abspath(sys.argv[1])
SHIM = os.path.abspath(sys.argv[2])
LBADM = os.path.join(BUILD, "lbadm")
RETRIES = 6
SYN, ACK = 0x02, 0x10

MAC = {"10.0.0.11": "02:00:00:00:00:11", "10.0.0.12": "02:00:00:00:00:12",
       "10.0.0.13": "02:00:00:00:00:13",
       "2001:db8::11": "02:00:00:00:06:11", "2001:db8::12": "02:00:00:00:06:12",
       "2001:db8::13": "02:00:00:00:06:13",
       "2001:db8:aaaa:bbbb:cccc:dddd:eeee:11": "02:00:00:00:06:21",
       "2001:db8:aaaa:bbbb:cccc:dddd:eeee:12": "02:00:00:00:06:22"}

VIP6_LONG = "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1"
RS6_LONG = ("2001:db8:aaaa:bbbb:cccc:dddd:eeee:11", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:12")


def rs(addr, extra=""):
    return '{ address = "%s"; mac = "%s"; %s}' % (addr, MAC[addr], extra)


SERVICES4 = """
  { protocol = "tcp"; vip = "10.0.0.100"; port = 80; scheduler = "wrr";
    real_servers = ( %(a11w3)s, %(a12)s, %(a13w0)s ); },
  { protocol = "tcp"; vip = "10.0.0.100"; port = 443; scheduler = "sh";
    sched_flags = [ "sh-fallback", "sh-port" ]; persistence = 360;
    netmask = "255.255.255.0";
    real_servers = ( %(a11x)s, %(a12)s ); },
  { protocol = "tcp"; vip = "10.0.0.100"; port = 8080; scheduler = "wlc";
    real_servers = ( %(a12x)s, %(a11)s, %(a13)s ); },
  { protocol = "tcp"; vip = "10.0.0.101"; port = 80; scheduler = "mh";
    sched_flags = [ "mh-port" ];
    real_servers = ( %(a11)s, %(a12w2)s ); },
  { protocol = "tcp"; vip = "10.0.0.102"; port = 0; scheduler = "rr"; persistence = 600;
    real_servers = ( %(a11)s, %(a12)s ); },
  { protocol = "tcp"; vip = "192.168.7.1"; port = 8443; scheduler = "rr";
    real_servers = ( %(a13)s ); },
  { protocol = "udp"; vip = "10.0.0.100"; port = 53; scheduler = "rr"; persistence = 300;
    real_servers = ( %(a11)s, %(a12)s ); },
  { protocol = "udp"; vip = "10.0.0.100"; port = 5353; scheduler = "wlc"; persistence = 120;
    netmask = "255.255.0.0";
    real_servers = ( %(a13)s, %(a12w0)s ); }
""" % dict(a11=rs("10.0.0.11"), a12=rs("10.0.0.12"), a13=rs("10.0.0.13"),
           a11w3=rs("10.0.0.11", "weight = 3; "), a13w0=rs("10.0.0.13", "weight = 0; "),
           a12w2=rs("10.0.0.12", "weight = 2; "), a12w0=rs("10.0.0.12", "weight = 0; "),
           a11x=rs("10.0.0.11", "upper_threshold = 100; lower_threshold = 50; "),
           a12x=rs("10.0.0.12", "upper_threshold = 7; "))

# The same kinds of service in IPv6, and an address of eight full groups
# (VIP and servers) that is wider than ipvsadm's columns.
SERVICES6 = """
  { protocol = "tcp"; vip = "2001:db8::100"; port = 80; scheduler = "rr";
    real_servers = ( %(b11)s, %(b12)s, %(b13w0)s ); },
  { protocol = "tcp"; vip = "2001:db8::100"; port = 443; scheduler = "sh";
    sched_flags = [ "sh-fallback", "sh-port" ]; persistence = 360; netmask = "64";
    real_servers = ( %(b11x)s, %(b12)s ); },
  { protocol = "tcp"; vip = "2001:db8::100"; port = 8080; scheduler = "wrr";
    real_servers = ( %(b12w5)s, %(b11)s, %(b13w2)s ); },
  { protocol = "tcp"; vip = "%(vlong)s"; port = 8443; scheduler = "mh";
    sched_flags = [ "mh-fallback", "mh-port" ];
    real_servers = ( %(l11)s, %(l12w3)s ); },
  { protocol = "tcp"; vip = "2001:db8::102"; port = 0; scheduler = "rr"; persistence = 600;
    netmask = "128";
    real_servers = ( %(b11)s, %(b12)s ); },
  { protocol = "udp"; vip = "2001:db8::100"; port = 53; scheduler = "rr"; persistence = 300;
    netmask = "128";
    real_servers = ( %(b11)s, %(b12)s ); },
  { protocol = "udp"; vip = "2001:db8::100"; port = 5353; scheduler = "wlc"; persistence = 120;
    netmask = "64";
    real_servers = ( %(b13x)s, %(b12w0)s, %(l11)s ); }
""" % dict(b11=rs("2001:db8::11"), b12=rs("2001:db8::12"),
           b13w0=rs("2001:db8::13", "weight = 0; "), b12w0=rs("2001:db8::12", "weight = 0; "),
           b12w5=rs("2001:db8::12", "weight = 5; "), b13w2=rs("2001:db8::13", "weight = 2; "),
           b11x=rs("2001:db8::11", "upper_threshold = 100; lower_threshold = 50; "),
           b13x=rs("2001:db8::13", "upper_threshold = 7; "),
           l11=rs(RS6_LONG[0]), l12w3=rs(RS6_LONG[1], "weight = 3; "), vlong=VIP6_LONG)

CONF_TEMPLATE = """
ports = ( { device = "net_pcap0"; address = "10.0.0.2/24"; %(address6)s mac = "%(lb)s"; } );
services = ( %(services)s );
%(sync)s
dataplane = { mbufs = 4096; connections = 8192; };
control = { socket = "@DIR@/lbd.sock"; };
"""

CONF4 = CONF_TEMPLATE % dict(lb=lbdctl.LB_MAC, address6="", services=SERVICES4, sync="")
# 2001:db8::/32 on the port: the long addresses are on-link too. A backup
# sync daemon on lo, which hears nothing, for -L --daemon.
CONF6 = CONF_TEMPLATE % dict(
    lb=lbdctl.LB_MAC, address6='address6 = "2001:db8::2/32";',
    services=SERVICES4 + "," + SERVICES6,
    sync='sync = ( { state = "backup"; interface = "lo"; syncid = 7; } );')


# ---- IPv6 client frames (tests/lib/pcapfile.py builds IPv4 only) ----

ETH_IPV6 = 0x86DD
_IPV6 = struct.Struct("!IHBB16s16s")


def ip6(addr):
    return socket.inet_pton(socket.AF_INET6, addr)


def ipv6(src, dst, nh, payload, hlim=64):
    """An IPv6 packet, no extension headers."""
    return _IPV6.pack(6 << 28, len(payload), nh, hlim, ip6(src), ip6(dst)) + payload


def _csum6(src, dst, nh, data):
    """The TCP/UDP checksum over IPv6's pseudo-header (RFC 8200 8.1)."""
    pseudo = ip6(src) + ip6(dst) + struct.pack("!IxxxB", len(data), nh)
    return pcapfile.csum(pseudo + data)


def tcp6_frame(src, sport, dst, dport, flags):
    """A TCP segment (no payload) from the client to the director, over IPv6."""
    seg = pcapfile.tcp(None, None, sport, dport, flags, seq=1000, checksum=False)
    seg = seg[:16] + struct.pack("!H", _csum6(src, dst, pcapfile.TCP, seg)) + seg[18:]
    return pcapfile.ether(lbdctl.LB_MAC, lbdctl.CLIENT_MAC, ipv6(src, dst, pcapfile.TCP, seg),
                          ethertype=ETH_IPV6)


def udp6_frame(src, sport, dst, dport, payload=b"hello"):
    """A UDP datagram from the client to the director, over IPv6 (whose
    checksum is never 0: 0xffff stands for it)."""
    dgram = pcapfile.udp(None, None, sport, dport, payload, checksum=False)
    c = _csum6(src, dst, pcapfile.UDP, dgram) or 0xFFFF
    dgram = dgram[:6] + struct.pack("!H", c) + dgram[8:]
    return pcapfile.ether(lbdctl.LB_MAC, lbdctl.CLIENT_MAC,
                          ipv6(src, dst, pcapfile.UDP, dgram), ethertype=ETH_IPV6)


def flows():
    """Half-open and established TCP flows, UDP datagrams, clients sharing a
    /24 (persistence templates of 443), a port-zero service reached on
    several ports."""
    f = []
    for i in range(12):
        c = "192.0.2.%d" % (10 + i)
        f.append(tcp_frame(c, 40000 + i, "10.0.0.100", 80, SYN))
        if i % 3:
            f.append(tcp_frame(c, 40000 + i, "10.0.0.100", 80, ACK))
    for i in range(5):
        c = "198.51.100.%d" % (1 + i)
        f.append(tcp_frame(c, 41000 + i, "10.0.0.100", 443, SYN))
        if i != 2:
            f.append(tcp_frame(c, 41000 + i, "10.0.0.100", 443, ACK))
    for i in range(4):
        f.append(tcp_frame("203.0.113.%d" % (20 + i), 42000 + i, "10.0.0.100", 8080, SYN))
        f.append(tcp_frame("192.0.2.%d" % (60 + i), 43000 + i, "10.0.0.101", 80, SYN))
        f.append(tcp_frame("192.0.2.%d" % (60 + i), 43000 + i, "10.0.0.101", 80, ACK))
    for port in (22, 3306, 5432):
        f.append(tcp_frame("198.51.100.77", 44000 + port, "10.0.0.102", port, SYN))
        f.append(tcp_frame("198.51.100.77", 44000 + port, "10.0.0.102", port, ACK))
    f.append(tcp_frame("192.0.2.99", 45000, "192.168.7.1", 8443, SYN))
    for i in range(6):
        f.append(udp_frame("203.0.113.%d" % (1 + i), 5000 + i, "10.0.0.100", 53))
        f.append(udp_frame("10.9.%d.1" % i, 6000 + i, "10.0.0.100", 5353))
    return f


def flows6():
    """The same kinds of flow in IPv6: clients sharing a /64 (templates of
    443 and 5353), full-length client addresses, the port-zero service on
    several ports, the long VIP."""
    f = []
    for i in range(9):
        c = "2001:db8:c0::%x" % (0x10 + i)
        f.append(tcp6_frame(c, 40000 + i, "2001:db8::100", 80, SYN))
        if i % 3:
            f.append(tcp6_frame(c, 40000 + i, "2001:db8::100", 80, ACK))
    for i in range(4):
        c = "2001:db8:c1:0:ffff:ffff:ffff:%x" % (0xff00 + i)
        f.append(tcp6_frame(c, 41000 + i, "2001:db8::100", 443, SYN))
        if i != 1:
            f.append(tcp6_frame(c, 41000 + i, "2001:db8::100", 443, ACK))
    for i in range(3):
        f.append(tcp6_frame("2001:db8:c2::%d" % (1 + i), 42000 + i, "2001:db8::100", 8080,
                            SYN))
        c = "2001:db8:c3:aaaa:bbbb:cccc:dddd:%x" % (0xe000 + i)
        f.append(tcp6_frame(c, 65000 + i, VIP6_LONG, 8443, SYN))
        f.append(tcp6_frame(c, 65000 + i, VIP6_LONG, 8443, ACK))
    for port in (22, 3306):
        f.append(tcp6_frame("2001:db8:c4::77", 44000 + port, "2001:db8::102", port, SYN))
        f.append(tcp6_frame("2001:db8:c4::77", 44000 + port, "2001:db8::102", port, ACK))
    for i in range(4):
        f.append(udp6_frame("2001:db8:c5::%d" % (1 + i), 5000 + i, "2001:db8::100", 53))
        f.append(udp6_frame("2001:db8:c6:%d::1" % i, 6000 + i, "2001:db8::100", 5353))
    return f


# every listing ipvsadm has, and the lbadm fixes each one covers
LISTINGS = [
    ["-Ln"],
    ["-L", "-n", "--stats"],
    ["-L", "-n", "--rate"],
    ["-L", "-n", "--stats", "--exact"],
    ["-L", "-n", "--rate", "--exact"],
    ["-L", "-n", "--thresholds"],
    ["-L", "-n", "--persistent-conn"],
    ["-L", "-n", "--tun-info"],
    ["-L", "-n", "--nosort"],
    ["-lnc"],
    ["-L", "-n", "-c", "--persistent-conn"],
    ["-S", "-n"],
    ["-L", "-n", "-t", "10.0.0.100:80"],
    ["-L", "-n", "-t", "10.0.0.100:443"],
    ["-L", "-n", "-t", "10.0.0.102:0"],
    ["-L", "-n", "-t", "10.0.0.100:443", "--stats"],
    ["-L", "-n", "-t", "10.0.0.100:443", "--persistent-conn"],
    ["-L", "-n", "-u", "10.0.0.100:53"],
    ["-L", "-n", "-u", "10.0.0.100:5353", "--thresholds"],
    ["-L", "-n", "-t", "10.0.0.100:81"],
    ["-L", "--timeout"],
    ["-L", "--daemon"],
    ["-L", "-n", "-f", "1"],
    ["-L", "-n", "-f", "4294967295"],
    # which listing options go together, and which one wins
    ["-L", "-n", "-c", "--tun-info"],
    ["-L", "-n", "--tun-info", "--stats"],
    ["-L", "-n", "--tun-info", "--persistent-conn"],
    ["-L", "-n", "-t", "10.0.0.100:443", "--tun-info"],
    ["-L", "--timeout", "--tun-info"],
    ["-L", "-n", "-c", "-t", "10.0.0.100:80"],
    ["-L", "-n", "--sort"],
    ["-L", "-n", "-c", "--stats"],
    ["-L", "-n", "-c", "--thresholds"],
    ["-L", "--timeout", "--persistent-conn"],
    ["-L", "--daemon", "--persistent-conn"],
    ["-S", "-n", "--tun-info"],
    ["-L", "-n", "-f", "0"],
    ["-L", "-n", "-f", "4294967296"],
]

# the IPv6 services one by one, names instead of numbers, and the errors
LISTINGS6 = [
    ["-L"],
    ["-S"],
    ["-L", "-n", "-t", "[2001:db8::100]:80"],
    ["-L", "-n", "-t", "[2001:db8::100]:443"],
    ["-L", "-n", "-t", "[2001:db8::100]:443", "--stats"],
    ["-L", "-n", "-t", "[2001:db8::100]:443", "--rate", "--exact"],
    ["-L", "-n", "-t", "[2001:db8::100]:443", "--persistent-conn"],
    ["-L", "-n", "-t", "[2001:db8::100]:443", "--tun-info"],
    ["-L", "-n", "-t", "[2001:db8::100]:8080", "--thresholds"],
    ["-L", "-n", "-t", "[2001:db8::102]:0"],
    ["-L", "-n", "-t", "[%s]:8443" % VIP6_LONG],
    ["-L", "-n", "-t", "[%s]:8443" % VIP6_LONG, "--stats", "--exact"],
    ["-L", "-n", "-u", "[2001:db8::100]:53"],
    ["-L", "-n", "-u", "[2001:db8::100]:5353", "--thresholds"],
    ["-L", "-n", "-u", "[2001:db8::100]:5353", "--persistent-conn"],
    ["-L", "-t", "[2001:db8::100]:80"],
    ["-L", "-n", "-c", "-t", "[2001:db8::100]:80"],
    # services that do not exist: another port, protocol, address, family
    ["-L", "-n", "-t", "[2001:db8::100]:81"],
    ["-L", "-n", "-u", "[2001:db8::100]:80"],
    ["-L", "-n", "-t", "[2001:db8::999]:80"],
    ["-L", "-n", "-t", "[::ffff:10.0.0.100]:80"],
    ["-L", "-n", "-t", "[%s]:8444" % VIP6_LONG],
    ["-L", "-n", "-f", "1", "-6"],
]


def find_ipvsadm():
    for p in (shutil.which("ipvsadm"), "/usr/sbin/ipvsadm", "/sbin/ipvsadm"):
        if p and os.access(p, os.X_OK):
            return p
    return None


def install_ipvsadm():
    """As `make deps` would; only root can, and only where apt-get is."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return None
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", "ipvsadm"]
    if subprocess.run(cmd, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True)
        subprocess.run(cmd, env=env, capture_output=True)
    return find_ipvsadm()


def run(cmd, sock, api=None):
    """(exit status, stdout, stderr); api: ipvsadm under the shim, answered
    over that interface ("netlink", "sockopt"), else no shim at all."""
    env = dict(os.environ, LBD_SOCKET=sock)
    for k in ("LD_PRELOAD", "LBD_SHIM_IPVS"):
        env.pop(k, None)
    if api:
        env["LD_PRELOAD"] = SHIM
        env["LBD_SHIM_IPVS"] = api
    # bytes, not text: a stray byte must show as a difference, not as an error
    r = subprocess.run(cmd, capture_output=True, env=env, timeout=60)
    return r.returncode, r.stdout, r.stderr


def diff(a, b, what, names=("ipvsadm", "lbadm")):
    a = a.decode(errors="backslashreplace")
    b = b.decode(errors="backslashreplace")
    return "".join(difflib.unified_diff(a.splitlines(True), b.splitlines(True),
                                        "%s %s" % (names[0], what), "%s %s" % (names[1], what)))


def compare(ipvsadm, sock, args, api):
    """(ok, runs it took, ipvsadm's result, the last pair's differences)"""
    for attempt in range(1, RETRIES + 1):
        want = run([ipvsadm, *args], sock, api)
        got = run([LBADM, *args], sock)
        if want == got:
            return True, attempt, want, ""
        time.sleep(0.3)
    out = []
    if want[0] != got[0]:
        out.append("exit status: ipvsadm %d, lbadm %d\n" % (want[0], got[0]))
    if want[1] != got[1]:
        out.append(diff(want[1], got[1], "stdout"))
    if want[2] != got[2]:
        out.append(diff(want[2], got[2], "stderr"))
    return False, RETRIES, want, "".join(out)


def entry_kinds(sock, af):
    """The kinds of connection entry lbadm -lnc shows for one family:
    states, and "TCP template" / "UDP template" for source port 0."""
    rc, out, _ = run([LBADM, "-lnc"], sock)
    rows = [line.decode().split() for line in out.splitlines()[2:]]
    rows = [r for r in rows if len(r) >= 4 and (r[3].startswith("[") == (af == 6))]
    return {r[2] for r in rows} | {r[0] + " template" for r in rows if r[3].endswith(":0")}


NEED_KINDS = {"ESTABLISHED", "SYN_RECV", "UDP", "ASSURED", "TCP template", "UDP template"}


PROC_HEADER = ("Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName "
               "PEData\n")
PROC_ADDR = {4: re.compile(r"[0-9A-F]{8}$"), 6: re.compile(r"([0-9a-f]{4}:){7}[0-9a-f]{4}$")}
PROC_PORT = re.compile(r"[0-9A-F]{4}$")


def proc_conn_format(sock, need6):
    """/proc/net/ip_vs_conn as the shim writes it, line for line in the
    kernel's format (ip_vs_conn_seq_show: %08X or %pI6, %04X ports, the
    state in 11 columns, the expiry in 7). ipvsadm reads the addresses with
    inet_pton, which takes other spellings as well: the comparison alone
    would not see them."""
    rc, out, err = run([shutil.which("cat") or "/bin/cat", "/proc/net/ip_vs_conn"], sock,
                       "netlink")
    lines = out.decode(errors="backslashreplace").splitlines(True)
    if rc != 0 or not lines or lines[0] != PROC_HEADER:
        print("FAIL the shim's /proc/net/ip_vs_conn: exit %d, %r, %r" % (rc, lines[:1], err))
        return 1
    bad, count = [], {4: 0, 6: 0}
    for line in lines[1:]:
        f = line.split()
        fam = 6 if len(f) == 9 and ":" in f[1] else 4
        if (len(f) == 9 and f[0] in ("TCP", "UDP") and f[8].isdigit() and
                all(PROC_ADDR[fam].match(a) for a in f[1:6:2]) and
                all(PROC_PORT.match(p) for p in f[2:7:2]) and
                line == "%-3s %s %s %s %s %s %s %-11s %7s\n" % tuple(f)):
            count[fam] += 1
        else:
            bad.append(line)
    if bad or count[4] == 0 or (need6 and count[6] == 0):
        print("FAIL the shim's /proc/net/ip_vs_conn: %d IPv4 and %d IPv6 lines, not in the"
              " kernel's format:\n%s" % (count[4], count[6], "".join(bad[:5])))
        return 1
    print("ok   the shim's /proc/net/ip_vs_conn is in the kernel's format (%d IPv4, %d IPv6"
          " entries)" % (count[4], count[6]))
    return 0


def sockopt_ipv4_only(ipvsadm, sock):
    """The old interface carries IPv4 only (ip_vs_ctl.c counts and lists no
    other service there): over it, ipvsadm lists the IPv4 services of a
    mixed table as it does over netlink, and none of the IPv6 ones."""
    for attempt in range(1, RETRIES + 1):
        rc, out, err = run([ipvsadm, "-Ln"], sock, "netlink")
        want, v6 = [], False
        for line in out.decode().splitlines(True):
            if line.startswith(("TCP  ", "UDP  ")):
                v6 = line[5] == "["
            elif not line.startswith("  -> "):
                v6 = False
            if not (v6 and line.startswith(("TCP  ", "UDP  ", "  -> "))):
                want.append(line)
        got = run([ipvsadm, "-Ln"], sock, "sockopt")
        if rc == 0 and got == (0, "".join(want).encode(), b""):
            print("ok   [sockopt] -Ln of the mixed table: its IPv4 services, as over netlink")
            return 0
        time.sleep(0.3)
    print("FAIL [sockopt] -Ln of the mixed table is not its IPv4 part over netlink\n%s" %
          diff("".join(want).encode(), got[1], "-Ln",
               ("ipvsadm (netlink, IPv4 part)", "ipvsadm (sockopt)")))
    return 1


def shim_answers(ipvsadm, sock, api, needle):
    """ipvsadm under the shim lists lbd (needle in its -Ln), not the host."""
    rc, out, err = run([ipvsadm, "-Ln"], sock, api)
    if rc != 0 or needle.encode() not in out:
        print("FAIL ipvsadm under the shim (%s) does not list lbd: %d %r" % (api, rc, err))
        return 1
    print("ok   ipvsadm under the shim (%s) lists lbd's %s" % (api, needle))
    return 0


def pass_listings(ipvsadm, sock, listings, api):
    failures = 0
    for args in listings:
        ok, runs, want, why = compare(ipvsadm, sock, args, api)
        what = "[%s] %s" % (api, " ".join(args))
        if ok:
            print("ok   %s (exit %d, %d lines%s)" % (
                what, want[0], want[1].count(b"\n"),
                ", agreed on run %d" % runs if runs > 1 else ""))
        else:
            failures += 1
            print("FAIL %s\n%s" % (what, why))
    return failures


def with_lbd(conf, frames, body):
    """body(lbd) on a fresh lbd; its failures, and lbd's own at exit."""
    failures = 0
    lbd = lbdctl.Lbd(BUILD, conf, frames, infinite=False)
    try:
        time.sleep(2.5)     # the pcap replayed, one estimator sample taken
        failures += body(lbd)
    finally:
        rc, log, _ = lbd.stop()
    if rc != 0:
        print("FAIL lbd exited with %s\n%s" % (rc, log[-2000:]))
        failures += 1
    return failures


def main():
    ipvsadm = find_ipvsadm() or install_ipvsadm()
    if ipvsadm is None:
        print("SKIP: ipvsadm is not installed and cannot be installed here")
        sys.exit(77)

    def ipv4_only(lbd):
        f = 0
        for api in ("netlink", "sockopt"):
            f += shim_answers(ipvsadm, lbd.sock, api, "10.0.0.100:443")
        # the traffic left every kind of entry: half-open, established, UDP,
        # and TCP and UDP templates (source port 0), one of them assured
        kinds = entry_kinds(lbd.sock, 4)
        if not NEED_KINDS <= kinds:
            print("FAIL the traffic left too few kinds of entry: %s" % sorted(kinds))
            f += 1
        f += proc_conn_format(lbd.sock, False)
        for api in ("netlink", "sockopt"):
            f += pass_listings(ipvsadm, lbd.sock, LISTINGS, api)
        return f

    def with_ipv6(lbd):
        f = shim_answers(ipvsadm, lbd.sock, "netlink", "[2001:db8::100]:443")
        # the same kinds of entry from the IPv6 flows
        kinds = entry_kinds(lbd.sock, 6)
        if not NEED_KINDS <= kinds:
            print("FAIL the IPv6 traffic left too few kinds of entry: %s" % sorted(kinds))
            f += 1
        f += proc_conn_format(lbd.sock, True)
        f += sockopt_ipv4_only(ipvsadm, lbd.sock)
        return f + pass_listings(ipvsadm, lbd.sock, LISTINGS + LISTINGS6, "netlink")

    failures = with_lbd(CONF4, flows(), ipv4_only)
    failures += with_lbd(CONF6, flows() + flows6(), with_ipv6)
    failures += len(lbdctl.failures)
    if failures:
        print("\n%d comparison(s) failed" % failures)
        sys.exit(1)
    print("\nipvsadm and lbadm agree on every listing")


if __name__ == "__main__":
    main()
