#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the fuzzer's seed corpus: valid frames of every kind lbd handles.

Each seed is: one byte (frame count - 1 and rx port in its low bits), one byte
(seconds to advance), then the frames' bytes, split evenly.
"""
import os

from scapy.all import (ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether, ICMPv6EchoRequest, ICMPv6ND_NA,
                       ICMPv6ND_NS, ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr,
                       ICMPv6PacketTooBig, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                       IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, Raw)

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "core")
os.makedirs(here, exist_ok=True)
E = Ether(src="02:00:00:00:00:c1", dst="02:00:00:00:00:02")
VIP = "10.0.0.100"
VIP6 = "2001:db8::100"
C6 = "2001:db8:1::1"
seeds = {
    "syn": [E / IP(src="192.0.2.1", dst=VIP) / TCP(sport=1, dport=80, flags="S")],
    "syn_ack_fin": [E / IP(src="192.0.2.1", dst=VIP) / TCP(sport=2, dport=80, flags=f)
                    for f in ("S", "A", "FA", "R")],
    "udp": [E / IP(src="192.0.2.1", dst=VIP) / UDP(sport=3, dport=53) / Raw(b"x")],
    "vlan": [Ether(src="02:00:00:00:00:c1", dst="02:00:00:00:00:02") / Dot1Q(vlan=5) /
             IP(src="192.0.2.1", dst=VIP) / TCP(sport=4, dport=80, flags="S")],
    "arp": [Ether(src="02:00:00:00:00:c1", dst="ff:ff:ff:ff:ff:ff") /
            ARP(op=1, hwsrc="02:00:00:00:00:c1", psrc="10.0.0.50", pdst=VIP)],
    "arp_reply": [Ether(src="02:00:00:00:00:11", dst="02:00:00:00:00:02") /
                  ARP(op=2, hwsrc="02:00:00:00:00:11", psrc="10.0.0.14", pdst="10.0.0.2")],
    "echo": [E / IP(src="192.0.2.1", dst=VIP) / ICMP() / Raw(b"ping")],
    "icmp_err": [E / IP(src="192.0.2.1", dst=VIP) / ICMP(type=3, code=3) /
                 IP(src=VIP, dst="192.0.2.1") / TCP(sport=80, dport=1)],
    "quiescent": [E / IP(src="192.0.2.1", dst="10.0.0.101") / TCP(sport=5, dport=80, flags="S")],
    "ttl1": [E / IP(src="192.0.2.1", dst=VIP, ttl=1) / TCP(sport=6, dport=80, flags="S")],
    "two_armed": [E / IP(src="192.0.2.1", dst="10.0.0.103") / TCP(sport=7, dport=80, flags="S")],
    # IPv6: each header shape the parser walks, ND, ICMPv6
    "syn6": [E / IPv6(src=C6, dst=VIP6) / TCP(sport=8, dport=80, flags=f) for f in ("S", "A", "FA")],
    "udp6": [E / IPv6(src=C6, dst=VIP6) / UDP(sport=9, dport=53) / Raw(b"x")],
    "ext6": [E / IPv6(src=C6, dst=VIP6) / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() /
             IPv6ExtHdrRouting(addresses=[], segleft=0) / TCP(sport=10, dport=80, flags="S")],
    "routing6": [E / IPv6(src=C6, dst=VIP6) / IPv6ExtHdrRouting(addresses=["2001:db8::7"],
                                                                 segleft=1) / TCP(dport=80)],
    "frag6": [E / IPv6(src=C6, dst=VIP6) / IPv6ExtHdrFragment(m=1, id=1) / TCP(dport=80),
              E / IPv6(src=C6, dst=VIP6) / IPv6ExtHdrFragment(offset=0, m=0, id=2) /
              TCP(sport=11, dport=80, flags="S")],
    "ns6": [Ether(src="02:00:00:00:00:c1", dst="33:33:ff:00:01:00") /
            IPv6(src=C6, dst="ff02::1:ff00:100", hlim=255) / ICMPv6ND_NS(tgt=VIP6) /
            ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:c1")],
    "dad6": [Ether(src="02:00:00:00:00:c1", dst="33:33:ff:00:01:00") /
             IPv6(src="::", dst="ff02::1:ff00:100", hlim=255) / ICMPv6ND_NS(tgt=VIP6)],
    "na6": [Ether(src="02:00:00:00:00:11", dst="02:00:00:00:00:02") /
            IPv6(src="2001:db8::11", dst="2001:db8::2", hlim=255) /
            ICMPv6ND_NA(tgt="2001:db8::11", S=1, O=1) /
            ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:00:11")],
    "echo6": [E / IPv6(src=C6, dst=VIP6) / ICMPv6EchoRequest(id=1, data=b"ping")],
    "ptb6": [E / IPv6(src=C6, dst=VIP6) / TCP(sport=12, dport=80, flags="S"),
             E / IPv6(src="2001:db8::fe", dst=VIP6) / ICMPv6PacketTooBig(mtu=1280) /
             IPv6(src=VIP6, dst=C6) / TCP(sport=80, dport=12)],
    "persist6": [E / IPv6(src=C6, dst="2001:db8::105") / TCP(sport=13, dport=80, flags="S")],
}
for name, frames in seeds.items():
    body = [bytes(f) for f in frames]
    size = max(len(b) for b in body)
    blob = b"".join(b.ljust(size, b"\0") for b in body)
    with open(os.path.join(here, name), "wb") as f:
        f.write(bytes([len(frames) - 1, 1]) + blob)
print("wrote %d seeds to %s" % (len(seeds), here))
