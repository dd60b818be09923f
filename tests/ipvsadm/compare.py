#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""lbadm against the real ipvsadm 1.31, byte for byte, on lbd's live state.

lbd runs on a net_pcap port with services of every kind lbadm has to print
(TCP and UDP, rr wrr wlc sh mh and their flags, persistence with and without
a netmask, a port-zero service, thresholds, weight 0, several servers each).
A finite pcap of client flows leaves connection entries and persistence
templates behind. Then each listing is run twice: by ipvsadm, with
tests/ipvsadm/shim.c preloaded so that its IPVS sockopts and its
/proc/net/ip_vs_conn are answered from lbd's control socket, and by lbadm.
Their stdout, stderr and exit status must be the same.

Counters, rates (a new estimate every 2 s) and expiry seconds move while the
two run: a pair that differs is run again, up to RETRIES times, and must
agree once; the comparison itself is never loosened.

usage: compare.py BUILD_DIR SHIM_SO    (exit 77 when ipvsadm is unavailable)
"""
import difflib
import os
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ctl"))
import lbdctl  # noqa: E402
from lbdctl import tcp_frame, udp_frame  # noqa: E402

BUILD = os.path.abspath(sys.argv[1])
SHIM = os.path.abspath(sys.argv[2])
LBADM = os.path.join(BUILD, "lbadm")
RETRIES = 6
SYN, ACK = 0x02, 0x10

MAC = {"10.0.0.11": "02:00:00:00:00:11", "10.0.0.12": "02:00:00:00:00:12",
       "10.0.0.13": "02:00:00:00:00:13"}


def rs(addr, extra=""):
    return '{ address = "%s"; mac = "%s"; %s}' % (addr, MAC[addr], extra)


CONF = """
ports = ( { device = "net_pcap0"; address = "10.0.0.2/24"; mac = "%(lb)s"; } );
services = (
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
);
dataplane = { mbufs = 4096; connections = 8192; };
control = { socket = "@DIR@/lbd.sock"; };
""" % dict(lb=lbdctl.LB_MAC,
           a11=rs("10.0.0.11"), a12=rs("10.0.0.12"), a13=rs("10.0.0.13"),
           a11w3=rs("10.0.0.11", "weight = 3; "), a13w0=rs("10.0.0.13", "weight = 0; "),
           a12w2=rs("10.0.0.12", "weight = 2; "), a12w0=rs("10.0.0.12", "weight = 0; "),
           a11x=rs("10.0.0.11", "upper_threshold = 100; lower_threshold = 50; "),
           a12x=rs("10.0.0.12", "upper_threshold = 7; "))


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


def run(cmd, sock, preload=None):
    env = dict(os.environ, LBD_SOCKET=sock)
    env.pop("LD_PRELOAD", None)
    if preload:
        env["LD_PRELOAD"] = preload
    # bytes, not text: a stray byte must show as a difference, not as an error
    r = subprocess.run(cmd, capture_output=True, env=env, timeout=60)
    return r.returncode, r.stdout, r.stderr


def diff(a, b, what):
    a = a.decode(errors="backslashreplace")
    b = b.decode(errors="backslashreplace")
    return "".join(difflib.unified_diff(a.splitlines(True), b.splitlines(True),
                                        "ipvsadm " + what, "lbadm " + what))


def compare(ipvsadm, sock, args):
    """(ok, runs it took, ipvsadm's result, the last pair's differences)"""
    for attempt in range(1, RETRIES + 1):
        want = run([ipvsadm, *args], sock, preload=SHIM)
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


def main():
    ipvsadm = find_ipvsadm() or install_ipvsadm()
    if ipvsadm is None:
        print("SKIP: ipvsadm is not installed and cannot be installed here")
        sys.exit(77)
    failures = 0
    lbd = lbdctl.Lbd(BUILD, CONF, flows(), infinite=False)
    try:
        time.sleep(2.5)     # the pcap replayed, one estimator sample taken
        # the shim really answers: ipvsadm sees lbd, not the host's IPVS
        rc, out, err = run([ipvsadm, "-Ln"], lbd.sock, preload=SHIM)
        if rc != 0 or b"10.0.0.100:443" not in out:
            print("FAIL ipvsadm under the shim does not list lbd: %d %r" % (rc, err))
            failures += 1
        # the traffic left every kind of entry: half-open, established, UDP,
        # and TCP and UDP templates (source port 0), one of them assured
        rc, out, _ = run([LBADM, "-lnc"], lbd.sock)
        rows = [line.decode().split() for line in out.splitlines()[2:]]
        kinds = {r[2] for r in rows} | {r[0] + " template" for r in rows
                                        if r[3].endswith(":0")}
        need = {"ESTABLISHED", "SYN_RECV", "UDP", "ASSURED", "TCP template", "UDP template"}
        if not need <= kinds:
            print("FAIL the traffic left too few kinds of entry: %s" % sorted(kinds))
            failures += 1
        for args in LISTINGS:
            ok, runs, want, why = compare(ipvsadm, lbd.sock, args)
            what = " ".join(args)
            if ok:
                print("ok   %s (exit %d, %d lines%s)" % (
                    what, want[0], want[1].count(b"\n"),
                    ", agreed on run %d" % runs if runs > 1 else ""))
            else:
                failures += 1
                print("FAIL %s\n%s" % (what, why))
    finally:
        rc, log, _ = lbd.stop()
    if rc != 0:
        print("FAIL lbd exited with %s\n%s" % (rc, log[-2000:]))
        failures += 1
    if failures:
        print("\n%d comparison(s) failed" % failures)
        sys.exit(1)
    print("\nipvsadm and lbadm agree on every listing")


if __name__ == "__main__":
    main()
