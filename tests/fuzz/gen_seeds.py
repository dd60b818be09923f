#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the fuzzer's seed corpus: valid frames of every kind lbd handles.

Each seed is: one byte (frame count - 1 and rx port in its low bits), one byte
(seconds to advance), then the frames' bytes, split evenly.
"""
import os

from scapy.all import ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether, Raw

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "core")
os.makedirs(here, exist_ok=True)
E = Ether(src="02:00:00:00:00:c1", dst="02:00:00:00:00:02")
VIP = "10.0.0.100"
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
}
for name, frames in seeds.items():
    body = [bytes(f) for f in frames]
    size = max(len(b) for b in body)
    blob = b"".join(b.ljust(size, b"\0") for b in body)
    with open(os.path.join(here, name), "wb") as f:
        f.write(bytes([len(frames) - 1, 1]) + blob)
print("wrote %d seeds to %s" % (len(seeds), here))
