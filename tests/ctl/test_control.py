#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The control plane keeps its promises, shown on the real daemon.

Each phase is a defect that unit tests on hand-built inputs did not show: it
needs the real lbd, two workers, a table of a million entries or the real
socket. lbd runs on net_pcap ports that replay client frames; what it sends
is read back from its TX pcap after it stops.

  limits      an lc service of 1024 real servers schedules; the 1025th server,
              the 1025th service and the 4097th server in all are refused
              with a clear message, and lbd carries on
  paging      two workers, a 1M-entry table, a few flows on each: -lnc and
              --summary list every entry -Ln counts
  neighbours  a server that had a MAC in the file, deleted and added back
              without one, is ARPed, learned and forwarded to
  fairness    a client that pipelines 128 listings does not hold the main
              loop: another client's requests are answered within ms
  groups      admin rights follow the peer's own groups, not the user database
  edit        a refused service edit changes nothing
  port zero   a port-zero service's entries list the client's port
  icmp        with two workers, an ICMP error about a flow reaches the worker
              of its address pair, not the flow's: it is forwarded all the same

usage: test_control.py BUILD_DIR
"""
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

import lbdctl
from lbdctl import check, failures, tcp_frame
import pcapfile

BUILD = os.path.abspath(sys.argv[1])
LB_MAC = lbdctl.LB_MAC


def lbadm(sock, *args, **kw):
    return lbdctl.lbadm(BUILD, *args, sock=sock, **kw)


class Director:
    """lbd on one net_pcap port, one RX pcap per queue (one worker each),
    its TX written to files read back after stop()."""

    def __init__(self, conf_text, queues, infinite=True):
        self.dir = tempfile.mkdtemp(prefix="lbd-control-")
        os.chmod(self.dir, 0o755)    # unprivileged clients reach the socket
        self.sock = os.path.join(self.dir, "lbd.sock")
        conf = os.path.join(self.dir, "lbd.conf")
        with open(conf, "w") as f:
            f.write(conf_text.replace("@DIR@", self.dir))
        args, self.outs = [], []
        for q, frames in enumerate(queues):
            inp, out = (os.path.join(self.dir, "%s%d.pcap" % (n, q)) for n in ("in", "out"))
            pcapfile.write_pcap(inp, frames)
            args.append("rx_pcap=%s,tx_pcap=%s" % (inp, out))
            self.outs.append(out)
        vdev = "net_pcap0," + ",".join(args) + (",infinite_rx=1" if infinite else "")
        # one more lcore than queues; on two CPUs the main one shares
        lcores = ",".join(["0@0"] + ["%d@%d" % (i + 1, (i + 1) % 2) for i in range(len(queues))])
        self.prefix = "lbdcontrol%d" % os.getpid()
        cmd = [os.path.join(BUILD, "lbd"), "--lcores", lcores, "--no-huge", "--no-pci",
               "--file-prefix", self.prefix, "--vdev=" + vdev,
               "--", "-f", conf]
        self.log = open(os.path.join(self.dir, "lbd.log"), "w+")
        self.p = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(300):
            if os.path.exists(self.sock) or self.p.poll() is not None:
                break
            time.sleep(0.1)
        if not os.path.exists(self.sock):
            self.log.seek(0)
            self.p.kill()
            raise SystemExit("lbd did not come up:\n" + self.log.read())

    def alive(self):
        return self.p.poll() is None

    def stop(self):
        """SIGINT; returns (status, log, frames sent)."""
        self.p.send_signal(signal.SIGINT)
        try:
            rc = self.p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            rc = "hung"
        self.log.seek(0)
        text = self.log.read()
        sent = []
        for out in self.outs:
            sent += read_pcap(out)
        shutil.rmtree(self.dir, ignore_errors=True)
        shutil.rmtree(os.path.join("/var/run/dpdk", self.prefix), ignore_errors=True)
        m = re.search(r"counter mbufs_in_use (\d+)", text)
        if rc != "hung":
            check(m is not None and m.group(1) == "0", "lbd's mbufs all back in the pool at"
                  " exit (%s in use)" % (m and m.group(1)))
        return rc, text, sent


def read_pcap(path):
    frames = []
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return frames
    off = 24
    while off + 16 <= len(data):
        n = struct.unpack_from("<IIII", data, off)[2]
        frames.append(data[off + 16:off + 16 + n])
        off += 16 + n
    return frames


def counters(sock):
    rc, out, err = lbadm(sock, "--counters", "--json")
    total = {}
    if rc != 0:
        return total
    for c in json.loads(out)["cores"]:
        for k, v in c.items():
            if isinstance(v, int):
                total[k] = total.get(k, 0) + v
            elif isinstance(v, dict):
                for k2, v2 in v.items():
                    total[k + "." + k2] = total.get(k + "." + k2, 0) + v2
    return total


def arp_reply(sip, smac, tip):
    """An ARP reply from a real server to the director."""
    body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 2, pcapfile.mac(smac),
                       socket.inet_aton(sip), pcapfile.mac(LB_MAC), socket.inet_aton(tip))
    return pcapfile.pad(pcapfile.ether(LB_MAC, smac, body, ethertype=0x0806))


def mac_of(i):
    return "02:00:00:%02x:%02x:%02x" % (i >> 16 & 0xff, i >> 8 & 0xff, i & 0xff)


# ---- the daemon with many servers, a 1M table, and the hosts ----

LC_VIP = "10.0.0.100"
B_VIP = "10.0.0.101"      # tcp 8080: no server at start
A_VIP = "10.0.0.102"      # tcp 80: 10.0.0.250, with a MAC in the file
Z_VIP = "10.0.0.103"      # tcp 0: port-zero, persistent
RS = "10.0.0.250"
RS_MAC_LEARNED = "02:00:00:00:aa:bb"


def lc_servers():
    """1024 servers, 10.1.x.y, with MACs."""
    return ",\n".join('{ address = "10.1.%d.%d"; mac = "%s"; }' % (i // 250, i % 250 + 1,
                                                                  mac_of(0x10000 + i))
                      for i in range(1024))


CONF = """
ports = ( { device = "net_pcap0"; address = "10.0.0.2/8"; mac = "%s"; } );
services = (
  { protocol = "tcp"; vip = "%s"; port = 80; scheduler = "lc"; real_servers = ( %s ); },
  { protocol = "tcp"; vip = "%s"; port = 8080; scheduler = "rr"; },
  { protocol = "tcp"; vip = "%s"; port = 80; scheduler = "rr";
    real_servers = ( { address = "%s"; mac = "02:00:00:00:00:fa"; } ); },
  { protocol = "tcp"; vip = "%s"; port = 0; scheduler = "rr"; persistence = 60;
    real_servers = ( { address = "10.0.0.11"; mac = "02:00:00:00:00:11"; } ); }
);
dataplane = { mbufs = 8192; connections = 1048576; };
control = { socket = "@DIR@/lbd.sock"; group = "nogroup"; admin_group = "adm"; };
""" % (LB_MAC, LC_VIP, lc_servers(), B_VIP, A_VIP, RS, Z_VIP)


def hosts_frames():
    frames = [tcp_frame("192.0.2.%d" % (1 + i), 30000 + i, LC_VIP, 80, 0x02) for i in range(20)]
    frames += [tcp_frame("192.0.2.%d" % (100 + i), 31000 + i, B_VIP, 8080, 0x02) for i in range(5)]
    frames += [arp_reply(RS, RS_MAC_LEARNED, "10.0.0.2")]
    frames += [tcp_frame("198.51.100.7", 32000, Z_VIP, 443, 0x02)]
    return frames


def test_limits(d):
    time.sleep(1)
    c = counters(d.sock)
    check(d.alive() and c.get("fwd", 0) > 0,
          "an lc service of 1024 servers schedules SYNs (fwd %d)" % c.get("fwd", 0))
    rc, out, err = lbadm(d.sock, "-a", "-t", LC_VIP + ":80", "-r", "10.2.0.1")
    check(rc == 255 and "Too many real servers" in err and "1024" in err,
          "the 1025th server of a service is refused: %d %r" % (rc, err))
    rc, out, _ = lbadm(d.sock, "-Ln", "-t", LC_VIP + ":80")
    check(len(re.findall(r"^  -> \S+ +Route", out, re.M)) == 1024,
          "and the service still has its 1024")
    # services: 4 in the file, 1020 more reach the limit, one more is refused
    script = "".join("-A -t 10.50.%d.%d:80 -s rr\n" % (i // 250, i % 250 + 1) for i in range(1020))
    rc, out, err = lbadm(d.sock, "-R", stdin=script)
    check(rc == 0, "1024 services in all: " + err[-200:])
    rc, out, err = lbadm(d.sock, "-A", "-t", "10.60.0.1:80")
    check(rc == 255 and "Too many services" in err and "1024" in err,
          "the 1025th service is refused: %d %r" % (rc, err))
    # servers in all: 1024 + 1 + 1 in the file; fill three services to 1024
    # and one more, the 4097th, is refused
    lines = []
    for s in range(3):
        for i in range(1024 if s < 2 else 1022):
            lines.append("-a -t 10.50.0.%d:80 -r 10.%d.%d.%d\n" % (s + 1, 3 + s, i // 250,
                                                                    i % 250 + 1))
    rc, out, err = lbadm(d.sock, "-R", stdin="".join(lines))
    check(rc == 0, "4096 real servers in all: " + err[-200:])
    rc, out, err = lbadm(d.sock, "-a", "-t", "10.50.0.4:80", "-r", "10.9.0.1")
    check(rc == 255 and "Too many real servers" in err and "4096" in err,
          "the 4097th server is refused: %d %r" % (rc, err))
    rc, out, _ = lbadm(d.sock, "-Ln")
    check(rc == 0 and len(re.findall(r"^  -> \S+ +Route", out, re.M)) == 4096 and d.alive(),
          "lbd lists its 4096 and lives")
    # back to the four services of the file
    script = "".join("-D -t 10.50.%d.%d:80\n" % (i // 250, i % 250 + 1) for i in range(1020))
    rc, out, err = lbadm(d.sock, "-R", stdin=script)
    check(rc == 0, "and deletes them again")


def test_neighbours(d):
    """Deleted with its MAC from the file, added back without one."""
    rc, _, err = lbadm(d.sock, "-d", "-t", A_VIP + ":80", "-r", RS)
    check(rc == 0, "delete " + RS + err)
    time.sleep(0.3)   # no entry holds it: its id is free again
    rc, _, err = lbadm(d.sock, "-a", "-t", B_VIP + ":8080", "-r", RS)
    check(rc == 0, "add it to another service, without a MAC " + err)
    time.sleep(2.5)   # an ARP request, the replayed reply, SYNs
    c = counters(d.sock)
    return c


def check_neighbours(sent):
    arp_for_rs = [f for f in sent if f[12:14] == b"\x08\x06" and f[20:22] == b"\x00\x01" and
                  f[38:42] == socket.inet_aton(RS)]
    check(len(arp_for_rs) > 0, "lbd ARPs for the re-added server (%d requests)" % len(arp_for_rs))
    learned = pcapfile.mac(RS_MAC_LEARNED)
    to_rs = [f for f in sent if f[0:6] == learned and f[12:14] == b"\x08\x00" and
             f[30:34] == socket.inet_aton(B_VIP)]
    check(len(to_rs) > 0, "and forwards to the MAC it learned (%d frames)" % len(to_rs))


def test_port_zero(d):
    rc, out, _ = lbadm(d.sock, "-lnc")
    rows = [l.split() for l in out.splitlines()[2:] if Z_VIP in l]
    conn = [r for r in rows if r[3].endswith(":32000")]
    tmpl = [r for r in rows if r[3].endswith(":0")]
    check(len(conn) == 1 and conn[0][4] == Z_VIP + ":443" and conn[0][5] == "10.0.0.11:443",
          "a port-zero service's entry lists the client's port: %s" % conn)
    check(len(tmpl) == 1 and tmpl[0][5] == "10.0.0.11:0", "and its template port 0: %s" % tmpl)


MAGIC, VERSION = 0x4c424431, 6
T_INFO, T_SVC_EDIT, T_CONN_LIST = 1, 4, 13
REQ = struct.Struct("<IHHII")
RESP = struct.Struct("<IHHiIII")


def read_reply(s):
    def need(n):
        b = b""
        while len(b) < n:
            x = s.recv(n - len(b))
            if not x:
                raise EOFError
            b += x
        return b
    magic, ver, _, status, length, rid, _ = RESP.unpack(need(RESP.size))
    return status, rid, need(length)


def test_fairness():
    """Batches of 128 pipelined pages of a 1M-entry table against INFO round
    trips from another client. A main loop that served a batch at once would
    stall ~1 ms per page, once per batch; taking turns, none waits a page."""
    d = Director(FAIR_CONF, [[tcp_frame("192.0.2.1", 1, "10.0.0.100", 80, 0x02)]],
                 infinite=False)
    try:
        greedy = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        greedy.connect(d.sock)
        greedy.settimeout(30)
        other = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        other.connect(d.sock)
        other.settimeout(10)
        rc, _, _ = lbadm(d.sock, "-Z")    # the control loop's figure from here
        cursor = struct.pack("<IIII", 0, 0, 0, 0)
        batch = b"".join(REQ.pack(MAGIC, VERSION, T_CONN_LIST, len(cursor), i) + cursor
                         for i in range(128))
        lat, got = [], 0
        for _ in range(8):
            greedy.sendall(batch)
            pending = 128
            t_end = time.monotonic() + 0.15
            while time.monotonic() < t_end:
                t0 = time.monotonic()
                other.sendall(REQ.pack(MAGIC, VERSION, T_INFO, 0, 7))
                read_reply(other)
                lat.append(time.monotonic() - t0)
            try:
                while pending > 0:
                    read_reply(greedy)
                    pending -= 1
                    got += 1
            except (EOFError, socket.timeout):
                break
        greedy.close()
        other.close()
        rc, out, _ = lbadm(d.sock, "--counters", "--json")
        loop_ns = json.loads(out)["control"]["loop_max_ns"] if rc == 0 else 1e12
    finally:
        d.stop()
    check(got == 8 * 128, "the greedy client gets its %d pages (%d)" % (8 * 128, got))
    # The client's round trips also wait for the scheduler (this process and
    # lbd's main thread share a CPU); lbd's own figure, its main thread's CPU
    # time per loop iteration, does not.
    slow = [x for x in lat if x > 0.010]
    check(loop_ns < 10e6 and len(lat) > 100,
          "the control loop's longest iteration: %.2f ms of CPU (another client's %d "
          "requests meanwhile: %d over 10 ms, slowest %.1f ms)" %
          (loop_ns / 1e6, len(lat), len(slow), max(lat) * 1000))


def test_groups(d):
    # nobody's entry in the user database lists no adm: the process's groups count
    nobody = (65534, 65534)
    rc, _, err = lbadm(d.sock, "-A", "-t", "10.70.0.1:80", user=nobody)
    check(rc == 255 and "Permission denied" in err, "nobody may not change: " + err.strip())
    cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--groups=4",
           os.path.join(BUILD, "lbadm"), "-A", "-t", "10.70.0.1:80"]
    r = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, LBD_SOCKET=d.sock))
    check(r.returncode == 0, "nobody holding adm (not in /etc/group) may: " + r.stderr.strip())
    rc, _, _ = lbadm(d.sock, "-D", "-t", "10.70.0.1:80")


def test_edit(d):
    """A service edit with flags an add refuses: refused, nothing changes."""
    rc, before, _ = lbadm(d.sock, "-Ln")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(d.sock)
    s.settimeout(10)
    # lb_api_svc: key (proto, af, port, pad, 16-byte address), sched, flags..., stats
    body = struct.pack("<BBH4x16s16sIIIIII", socket.IPPROTO_TCP, socket.AF_INET, 80,
                       socket.inet_aton(A_VIP), b"rr", 0x4, 0, 0, 0xffffffff, 0, 0) + b"\0" * 80
    assert len(body) == 144
    s.sendall(REQ.pack(MAGIC, VERSION, T_SVC_EDIT, len(body), 9) + body)
    status, _, _ = read_reply(s)
    s.close()
    check(status == 22, "SVC_EDIT with flag 0x4: EINVAL (%d)" % status)
    rc, after, _ = lbadm(d.sock, "-Ln")
    check(after == before, "-Ln unchanged")
    rc, _, err = lbadm(d.sock, "-E", "-t", A_VIP + ":80", "-s", "wrr")
    rc2, out, _ = lbadm(d.sock, "-Ln", "-t", A_VIP + ":80")
    check(rc == 0 and "wrr" in out, "and the next edit publishes: " + err)


FAIR_CONF = """
ports = ( { device = "net_pcap0"; address = "10.0.0.2/24"; mac = "%s"; } );
services = ( { protocol = "tcp"; vip = "10.0.0.100"; port = 80; scheduler = "rr";
    real_servers = ( { address = "10.0.0.11"; mac = "02:00:00:00:00:11"; } ); } );
dataplane = { mbufs = 8192; connections = 1048576; };
control = { socket = "@DIR@/lbd.sock"; };
""" % LB_MAC


# ---- two workers, a 1M table ----

PAGING_CONF = """
ports = ( { device = "net_pcap0"; address = "10.0.0.2/24"; mac = "%s"; } );
services = ( { protocol = "tcp"; vip = "10.0.0.100"; port = 80; scheduler = "rr";
    real_servers = ( { address = "10.0.0.11"; mac = "02:00:00:00:00:11"; } ); } );
dataplane = { mbufs = 8192; connections = 1048576; };
control = { socket = "@DIR@/lbd.sock"; };
""" % LB_MAC


def test_paging():
    queues = [[tcp_frame("192.0.2.%d" % (1 + q), 40000 + i, "10.0.0.100", 80, flags)
               for flags in (0x02, 0x10) for i in range(3)] for q in range(2)]
    d = Director(PAGING_CONF, queues, infinite=False)
    try:
        time.sleep(1.5)
        rc, out, _ = lbadm(d.sock, "-Ln")
        m = re.search(r"Route\s+1\s+(\d+)\s+(\d+)", out)
        active = int(m.group(1)) if m else -1
        rc, out, _ = lbadm(d.sock, "-lnc")
        rows = [l for l in out.splitlines()[2:] if "ESTABLISHED" in l]
        check(active == 6 and len(rows) == 6,
              "two workers, 1M entries: -Ln counts %d, -lnc lists %d" % (active, len(rows)))
        rc, out, _ = lbadm(d.sock, "--summary")
        m = re.search(r"^TCP  10\.0\.0\.100:80 +(\d+)", out, re.M)
        check(m is not None and int(m.group(1)) == 6, "--summary counts 6: " + out)
    finally:
        d.stop()


def icmp_frag_needed(client, vip, cport, vport):
    """The client's router says: VIP:vport -> client:cport needs fragments."""
    inner = pcapfile.ipv4(vip, client, pcapfile.TCP,
                          struct.pack("!HHI", vport, cport, 0))
    icmp = struct.pack("!BBHHH", 3, 4, 0, 0, 1400) + inner
    icmp = icmp[:2] + struct.pack("!H", pcapfile.csum(icmp)) + icmp[4:]
    return pcapfile.ether(LB_MAC, lbdctl.CLIENT_MAC, pcapfile.ipv4(client, vip, 1, icmp))


def test_icmp_other_worker():
    """net_pcap has no RSS: queue 0 carries the flow, queue 1 its ICMP error."""
    client, vip = "192.0.2.77", "10.0.0.100"
    queues = [[tcp_frame(client, 45000, vip, 80, 0x02)],
              [icmp_frag_needed(client, vip, 45000, 80)]]
    d = Director(PAGING_CONF, queues)
    try:
        time.sleep(1.5)
    finally:
        rc, log, sent = d.stop()
    icmp_out = [f for f in sent if f[0:6] == pcapfile.mac("02:00:00:00:00:11") and
                f[12:14] == b"\x08\x00" and f[23] == 1]
    m = re.search(r"counter drop.icmp_no_conn (\d+)", log)
    no_conn = int(m.group(1)) if m else -1
    check(len(icmp_out) > 0 and len(icmp_out) > no_conn,
          "an ICMP error on the other worker reaches the flow's server "
          "(%d forwarded, %d dropped as icmp_no_conn)" % (len(icmp_out), no_conn))


def main():
    if os.geteuid() != 0:
        print("needs root (setpriv, group rights)")
        return 77
    test_paging()
    test_icmp_other_worker()
    test_fairness()
    d = Director(CONF, [hosts_frames()])
    try:
        test_limits(d)
        test_port_zero(d)
        test_groups(d)
        test_edit(d)
        test_neighbours(d)
    finally:
        rc, log, sent = d.stop()
    check(rc == 0, "lbd exits 0 (%s)" % rc)
    check_neighbours(sent)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
