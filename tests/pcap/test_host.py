#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A port's kernel interface, on the real daemon, in a namespace of its own.

lbd runs on a net_pcap port with two queue pairs (one worker, and the host
path's TX queue) and a tap kernel interface, inside a fresh network
namespace so that the interface and what the kernel answers stay there. In
go an ARP request and a ping for the port's address, a TCP SYN to a closed
port of it, a datagram to the IPVS sync group, and a SYN to a VIP service.
What must come out: the kernel's own ARP reply, echo reply and RST on the
host path's queue (queue 1), complete (checksums right); the VIP's SYN
forwarded by the worker (queue 0); every frame accounted. The interface has
the port's MAC and address while lbd runs, and is gone when it stops, on
SIGTERM and on SIGKILL.

usage: test_host.py path/to/lbd
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import logging
import time

from scapy.all import (ARP, ICMP, IP, TCP, UDP, Ether, ICMPv6EchoReply, ICMPv6EchoRequest,
                       ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr, IPv6, Raw, rdpcap,
                       wrpcap)

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)   # an empty pcap is meant
LBD = sys.argv[1]
NS = "lbdhost%d" % os.getpid()
IFNAME = "lbdh%d" % (os.getpid() % 100000)
LB = "02:00:00:00:00:02"
CLI = "02:00:00:00:00:c1"
SRV = "02:00:00:00:00:11"
CONF = """
ports = ( { device = "net_pcap0"; address = "10.0.0.2/24"; address6 = "2001:db8::2/64";
            mac = "%s"; host = { ifname = "%s"; backend = "tap"; }; } );
services = ( { protocol = "tcp"; vip = "10.0.0.100"; port = 80; scheduler = "rr";
    real_servers = ( { address = "10.0.0.11"; mac = "%s"; } ); },
  { protocol = "tcp"; vip = "2001:db8::100"; port = 80; scheduler = "rr";
    real_servers = ( { address = "2001:db8::11"; mac = "%s"; } ); } );
dataplane = { mbufs = 4096; connections = 4096; };
control = { socket = "@DIR@/lbd.sock"; };
""" % (LB, IFNAME, SRV, SRV)

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)
    return cond


def frames():
    e = Ether(src=CLI, dst=LB)
    return [
        Ether(src=CLI, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=CLI, psrc="10.0.0.50",
                                                     pdst="10.0.0.2"),
        e / IP(src="10.0.0.50", dst="10.0.0.2") / ICMP(id=7, seq=1) / Raw(b"x" * 32),
        e / IP(src="10.0.0.50", dst="10.0.0.2") / TCP(sport=40000, dport=9, flags="S"),
        e / IP(src="10.0.0.50", dst="224.0.0.81") / UDP(sport=8848, dport=8848) / Raw(b"s"),
        e / IP(src="192.0.2.1", dst="10.0.0.100") / TCP(sport=1234, dport=80, flags="S"),
        # IPv6: the port's address is the kernel's (neighbour discovery,
        # echo, TCP), the VIP's solicitation and flows are lbd's
        Ether(src=CLI, dst="33:33:ff:00:00:02") /
        IPv6(src="2001:db8::50", dst="ff02::1:ff00:2", hlim=255) /
        ICMPv6ND_NS(tgt="2001:db8::2") / ICMPv6NDOptSrcLLAddr(lladdr=CLI),
        e / IPv6(src="2001:db8::50", dst="2001:db8::2") / ICMPv6EchoRequest(id=9, data=b"y" * 16),
        e / IPv6(src="2001:db8::50", dst="2001:db8::2") / TCP(sport=40001, dport=9, flags="S"),
        Ether(src=CLI, dst="33:33:ff:00:01:00") /
        IPv6(src="2001:db8::50", dst="ff02::1:ff00:100", hlim=255) /
        ICMPv6ND_NS(tgt="2001:db8::100") / ICMPv6NDOptSrcLLAddr(lladdr=CLI),
        e / IPv6(src="2001:db8::51", dst="2001:db8::100") / TCP(sport=1235, dport=80, flags="S"),
    ]


def ns(*cmd):
    return subprocess.run(["ip", "netns", "exec", NS, *cmd], capture_output=True, text=True)


def start(d):
    conf = os.path.join(d, "lbd.conf")
    with open(conf, "w") as f:
        f.write(CONF.replace("@DIR@", d))
    wrpcap(os.path.join(d, "in0.pcap"), frames())
    wrpcap(os.path.join(d, "in1.pcap"), [])
    vdev = "net_pcap0," + ",".join("rx_pcap=%s/in%d.pcap,tx_pcap=%s/out%d.pcap" % (d, q, d, q)
                                   for q in range(2))
    cmd = ["ip", "netns", "exec", NS, LBD, "-l", "0-1", "--no-huge", "--no-pci",
           "--file-prefix", NS, "--vdev=" + vdev, "--", "-f", conf]
    log = open(os.path.join(d, "lbd.log"), "w+")
    p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(100):
        if os.path.exists(os.path.join(d, "lbd.sock")) or p.poll() is not None:
            break
        time.sleep(0.1)
    return p, log


def iface_present():
    return ns("ip", "link", "show", IFNAME).returncode == 0


def wait_gone():
    for _ in range(50):
        if not iface_present():
            return True
        time.sleep(0.1)
    return False


def csum_ok(pkt):
    """Rebuild the packet with checksums recomputed: same bytes if they were right."""
    again = Ether(bytes(pkt))
    for layer in (IP, TCP, UDP, ICMP):
        if layer in again:
            del again[layer].chksum
    for layer in (ICMPv6EchoReply, ICMPv6ND_NA):
        if layer in again:
            del again[layer].cksum
    return bytes(Ether(bytes(again))) == bytes(pkt)


def main():
    if os.geteuid() != 0:
        print("skip: a kernel interface needs root")
        return 77
    if subprocess.run(["ip", "netns", "add", NS]).returncode != 0:
        print("skip: cannot create a network namespace")
        return 77
    d = tempfile.mkdtemp(prefix="lbd-host-")
    p = None
    try:
        p, log = start(d)
        time.sleep(2)
        link = ns("ip", "-o", "link", "show", IFNAME).stdout
        addr = ns("ip", "-o", "addr", "show", IFNAME).stdout
        check(LB in link and ",UP" in link, "the interface is up with the port's MAC: " + link.strip())
        check("inet 10.0.0.2/24" in addr and "inet6 2001:db8::2/64" in addr and
              "tentative" not in addr,
              "it has the port's addresses, IPv6's ready at once: " + addr.strip())
        p.send_signal(signal.SIGTERM)
        rc = p.wait(timeout=20)
        check(rc == 0, "lbd stops on SIGTERM with status 0 (%s)" % rc)
        check(wait_gone(), "the interface is gone after SIGTERM")
        log.seek(0)
        text = log.read()
        c = {m.group(1): int(m.group(2)) for m in re.finditer(r"counter (\S+) (\d+)", text)}
        drops = sum(v for k, v in c.items() if k.startswith("drop."))
        check(c.get("rx") == 10 and c.get("to_host") == 7 and c.get("fwd") == 2 and
              c.get("reply") == 1 and
              c["rx"] == c["fwd"] + c["reply"] + c["to_control"] + c["to_host"] + drops,
              "10 frames in: 7 to the kernel, 2 forwarded, 1 answered, all accounted: %s" %
              {k: v for k, v in c.items() if v})
        kernel = rdpcap(os.path.join(d, "out1.pcap"))
        worker = rdpcap(os.path.join(d, "out0.pcap"))
        arp = [k for k in kernel if ARP in k and k[ARP].op == 2 and k[ARP].psrc == "10.0.0.2"]
        echo = [k for k in kernel if ICMP in k and k[ICMP].type == 0 and k[IP].src == "10.0.0.2"]
        rst = [k for k in kernel if TCP in k and k[TCP].flags & 0x04 and k[TCP].dport == 40000]
        check(len(arp) == 1 and arp[0][ARP].hwsrc == LB, "the kernel's ARP reply leaves on queue 1")
        check(len(echo) == 1 and csum_ok(echo[0]), "its echo reply, checksums complete")
        check(len(rst) == 1 and csum_ok(rst[0]), "its RST to a closed port, checksums complete")
        na = [k for k in kernel if ICMPv6ND_NA in k and k[ICMPv6ND_NA].tgt == "2001:db8::2"]
        echo6 = [k for k in kernel if ICMPv6EchoReply in k and k[IPv6].src == "2001:db8::2"]
        rst6 = [k for k in kernel if IPv6 in k and TCP in k and k[TCP].flags & 0x04 and
                k[TCP].dport == 40001]
        check(len(na) == 1 and csum_ok(na[0]), "the kernel advertises its IPv6 address (queue 1)")
        check(len(echo6) == 1 and csum_ok(echo6[0]), "its IPv6 echo reply, checksum right")
        check(len(rst6) == 1 and csum_ok(rst6[0]), "its IPv6 RST to a closed port")
        vna = [w for w in worker if ICMPv6ND_NA in w and w[ICMPv6ND_NA].tgt == "2001:db8::100"
               and w[ICMPv6ND_NA].S == 1]
        check(len(vna) == 1 and not any(ICMPv6ND_NA in k and k[ICMPv6ND_NA].tgt ==
                                        "2001:db8::100" for k in kernel),
              "lbd, not the kernel, answers for the IPv6 VIP (queue 0)")
        fwd = [w for w in worker if TCP in w and w[Ether].dst == SRV and w[TCP].dport == 80]
        check(len(fwd) == 2, "the VIPs' SYNs are lbd's: forwarded on queue 0")
        check(not any(TCP in k and k[TCP].dport == 80 for k in kernel),
              "and the kernel never saw it")

        p, log = start(d)
        time.sleep(1.5)
        check(iface_present(), "started again: the interface is back")
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=20)
        check(wait_gone(), "the interface is gone after SIGKILL")
        p = None
    finally:
        if p is not None and p.poll() is None:
            p.kill()
            p.wait()
        subprocess.run(["ip", "netns", "del", NS])
        shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree("/var/run/dpdk/" + NS, ignore_errors=True)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
