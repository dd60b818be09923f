#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""DR forwarding through the real daemon on a net_pcap port.

Input frames are written with scapy; every output frame is checked: MACs, TTL,
valid IP and TCP checksums, untouched addresses, ports and payload, the exact
wrr 3:1 split over 400 flows, ARP and echo replies, ICMP errors, and that
nothing malformed or unsolicited is forwarded. The counters lbd logs at exit
must account for every frame it received, under the expected drop reasons.

usage: test_dr.py path/to/lbd
"""
import sys

from scapy.all import ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether, IPOption_RR, Raw

import lbdrun

CLIENT = "02:00:00:00:00:c1"
LB = "02:00:00:00:00:02"
SRV = {"10.0.0.11": "02:00:00:00:00:11", "10.0.0.12": "02:00:00:00:00:12"}
MAC2SRV = {v: k for k, v in SRV.items()}
VIP = "10.0.0.100"

CONF = """
ports = ( { device = "net_pcap0"; address = "10.0.0.2/24"; mac = "%s"; } );
services = (
  { protocol = "tcp"; vip = "10.0.0.100"; port = 80; scheduler = "wrr";
    real_servers = ( { address = "10.0.0.11"; weight = 3; mac = "%s"; },
                     { address = "10.0.0.12"; weight = 1; mac = "%s"; } ); },
  { protocol = "udp"; vip = "10.0.0.100"; port = 53; scheduler = "rr";
    real_servers = ( { address = "10.0.0.11"; mac = "%s"; } ); },
  { protocol = "tcp"; vip = "10.0.0.101"; port = 80; scheduler = "wlc";
    real_servers = ( { address = "10.0.0.12"; weight = 0; mac = "%s"; } ); },
  { protocol = "tcp"; vip = "10.0.0.102"; port = 80; scheduler = "rr";
    real_servers = ( { address = "10.0.0.14"; } ); }
);
dataplane = { mbufs = 8192; connections = 4096; };
control = { socket = "@DIR@/lbd.sock"; };
""" % (LB, SRV["10.0.0.11"], SRV["10.0.0.12"], SRV["10.0.0.11"], SRV["10.0.0.12"])


def eth():
    return Ether(src=CLIENT, dst=LB)


def raw(b):
    """A frame from raw bytes, for the malformed ones scapy would 'fix'."""
    return Ether(bytes(b))


def malformed():
    """(expected drop reason, frame) for each way a frame can be refused."""
    syn = eth() / IP(src="192.0.2.9", dst=VIP) / TCP(sport=999, dport=80, flags="S")
    out = []
    out.append(("short_frame", Raw(b"\x02\x00\x00\x00\x00\x02\x02\x00")))
    out.append(("ethertype", Ether(src=CLIENT, dst=LB, type=0x88cc) / Raw(b"\x02" + b"\0" * 60)))
    out.append(("vlan_nested", Ether(src=CLIENT, dst=LB) / Dot1Q(vlan=1) / Dot1Q(vlan=2) /
                IP(src="192.0.2.9", dst=VIP) / TCP(dport=80, flags="S")))
    b = bytearray(bytes(syn)); b[14] = 0x65
    out.append(("ip_version", raw(b)))
    b = bytearray(bytes(syn)); b[14] = 0x44
    out.append(("ip_ihl", raw(b)))
    out.append(("ip_options", eth() / IP(src="192.0.2.9", dst=VIP, options=[IPOption_RR()]) /
                TCP(dport=80, flags="S")))
    b = bytearray(bytes(syn)); b[16:18] = (12).to_bytes(2, "big")
    out.append(("ip_len_short", raw(b)))
    b = bytearray(bytes(syn)); b[16:18] = (1000).to_bytes(2, "big")
    out.append(("ip_len_trunc", raw(b)))
    b = bytearray(bytes(syn)); b[24] ^= 0xff
    out.append(("ip_csum", raw(b)))
    out.append(("ip_not_ours", eth() / IP(src="192.0.2.9", dst="10.0.0.77") /
                TCP(dport=80, flags="S")))
    out.append(("ip_fragment", eth() / IP(src="192.0.2.9", dst=VIP, flags="MF") /
                TCP(dport=80, flags="S")))
    out.append(("ip_proto", eth() / IP(src="192.0.2.9", dst=VIP, proto=47) / Raw(b"\0" * 8)))
    out.append(("l4_short", eth() / IP(src="192.0.2.9", dst=VIP, proto=6) / Raw(b"\0" * 10)))
    b = bytearray(bytes(syn)); b[14 + 20 + 12] = 0x40
    out.append(("tcp_doff", raw(b)))
    out.append(("no_service", eth() / IP(src="192.0.2.9", dst=VIP) / TCP(dport=81, flags="S")))
    out.append(("tcp_no_conn", eth() / IP(src="192.0.2.9", dst=VIP) /
                TCP(sport=998, dport=80, flags="A")))
    out.append(("tcp_no_conn", eth() / IP(src="192.0.2.9", dst=VIP) /
                TCP(sport=997, dport=80, flags="SR")))
    out.append(("icmp_unsupported", eth() / IP(src="192.0.2.9", dst=VIP) / ICMP(type=13)))
    out.append(("arp_not_ours", Ether(src=CLIENT, dst="ff:ff:ff:ff:ff:ff") /
                ARP(op=1, hwsrc=CLIENT, psrc="10.0.0.50", pdst="10.0.0.77")))
    return out


def main():
    lbd = sys.argv[1]
    frames, expect_drops = [], {}

    # ARP and ping, for a VIP and for the port's own address
    for target in (VIP, "10.0.0.2"):
        frames.append(Ether(src=CLIENT, dst="ff:ff:ff:ff:ff:ff") /
                      ARP(op=1, hwsrc=CLIENT, psrc="10.0.0.50", pdst=target))
        frames.append(eth() / IP(src="10.0.0.50", dst=target) / ICMP(id=7, seq=1) / Raw(b"ping"))
    # 400 TCP flows: SYN, then data
    flows = [("198.51.100.%d" % (1 + i // 200), 20000 + i) for i in range(400)]
    for src, sport in flows:
        frames.append(eth() / IP(src=src, dst=VIP, ttl=64) /
                      TCP(sport=sport, dport=80, flags="S", seq=1000))
    for src, sport in flows:
        frames.append(eth() / IP(src=src, dst=VIP, ttl=64) /
                      TCP(sport=sport, dport=80, flags="PA", seq=1001, ack=1) /
                      Raw(b"GET / HTTP/1.0\r\n\r\n"))
    # 50 UDP datagrams
    for i in range(50):
        frames.append(eth() / IP(src="203.0.113.5", dst=VIP) / UDP(sport=30000 + i, dport=53) /
                      Raw(b"q%d" % i))
    # refusals that answer: every server quiescent, TTL expiring
    frames.append(eth() / IP(src="192.0.2.8", dst="10.0.0.101") / TCP(sport=4000, dport=80, flags="S"))
    expect_drops["no_dest"] = 1
    frames.append(eth() / IP(src="192.0.2.8", dst=VIP, ttl=1) / TCP(sport=4001, dport=80, flags="S"))
    expect_drops["ttl_exceeded"] = 1
    # a server whose MAC lbd must resolve: its SYN waits (dropped, counted),
    # lbd asks who-has; an ARP reply from a server goes to the control plane
    frames.append(eth() / IP(src="192.0.2.8", dst="10.0.0.102") / TCP(sport=4002, dport=80, flags="S"))
    expect_drops["dest_unresolved"] = 1
    frames.append(Ether(src="02:00:00:00:00:14", dst=LB) /
                  ARP(op=2, hwsrc="02:00:00:00:00:14", psrc="10.0.0.14", hwdst=LB, pdst="10.0.0.2"))
    for reason, f in malformed():
        frames.append(f)
        expect_drops[reason] = expect_drops.get(reason, 0) + 1

    out, counters, log = lbdrun.run(lbd, CONF, frames)
    lbdrun.check_accounting(counters, len(frames))
    got = lbdrun.drops(counters)
    assert got == expect_drops, "drops: expected %s, got %s" % (expect_drops, got)

    assert counters["to_control"] == 1, counters
    assert "neighbour 10.0.0.14 is at 02:00:00:00:00:14" in log, "ARP reply not learned"

    arp_replies, echo_replies, icmp_errors, announces, fwd, who_has = [], [], [], [], [], []
    for f in out:
        if ARP in f and f[ARP].op == 2:
            arp_replies.append(f)
        elif ARP in f and f[ARP].op == 1 and f[ARP].psrc == f[ARP].pdst:
            announces.append(f)
        elif ARP in f and f[ARP].op == 1:
            who_has.append(f)
        elif ICMP in f and f[ICMP].type == 0:
            echo_replies.append(f)
        elif ICMP in f and f[IP].src in (VIP, "10.0.0.101", "10.0.0.2") and f[ICMP].type in (3, 11):
            icmp_errors.append(f)
        else:
            fwd.append(f)

    # ARP replies: from lbd, to the asker, with the asked address
    assert sorted(f[ARP].psrc for f in arp_replies) == sorted([VIP, "10.0.0.2"]), arp_replies
    for f in arp_replies:
        assert f[Ether].src == LB and f[Ether].dst == CLIENT
        assert f[ARP].hwsrc == LB and f[ARP].hwdst == CLIENT and f[ARP].pdst == "10.0.0.50"
    # echo replies with valid checksums
    assert sorted(f[IP].src for f in echo_replies) == sorted([VIP, "10.0.0.2"])
    for f in echo_replies:
        assert f[Ether].dst == CLIENT and f[IP].dst == "10.0.0.50" and f[Raw].load == b"ping"
        assert_checksums(f)
    # ICMP errors
    kinds = sorted((f[IP].src, f[ICMP].type, f[ICMP].code) for f in icmp_errors)
    assert kinds == [("10.0.0.101", 3, 3), ("10.0.0.2", 11, 0)], kinds
    for f in icmp_errors:
        assert_checksums(f)
    # the VIPs announced
    assert sorted(f[ARP].psrc for f in announces) == ["10.0.0.100", "10.0.0.101", "10.0.0.102"], \
        announces
    # who-has for the server without a MAC (retried each second), nothing else
    assert who_has, "no ARP request for 10.0.0.14"
    for f in who_has:
        assert (f[ARP].pdst, f[ARP].psrc, f[ARP].hwsrc, f[Ether].src, f[Ether].dst) == (
            "10.0.0.14", "10.0.0.2", LB, LB, "ff:ff:ff:ff:ff:ff"), f.summary()

    # forwarded: exactly the flows' frames, to one server per flow, L2 only
    assert len(fwd) == 800 + 50, "forwarded %d frames, expected 850" % len(fwd)
    server_of = {}
    sent = {(f[IP].src, f[IP].sport if TCP in f or UDP in f else 0, bytes(f[IP].payload)): f
            for f in frames if IP in f}
    for f in fwd:
        assert f[Ether].src == LB, f[Ether].src
        assert f[Ether].dst in MAC2SRV, f[Ether].dst
        assert f[IP].dst == VIP
        l4 = TCP if TCP in f else UDP
        key = (f[IP].src, f[IP].sport)
        if key in server_of:
            assert server_of[key] == f[Ether].dst, "flow %s moved" % (key,)
        server_of[key] = f[Ether].dst
        orig = sent[(f[IP].src, f[l4].sport, bytes(f[IP].payload))]
        assert f[IP].ttl == orig[IP].ttl - 1
        assert bytes(f[IP].payload) == bytes(orig[IP].payload)
        assert_checksums(f)
    tcp_split = {}
    for (src, sport), mac in server_of.items():
        if sport >= 20000 and sport < 30000:
            tcp_split[MAC2SRV[mac]] = tcp_split.get(MAC2SRV[mac], 0) + 1
    assert tcp_split == {"10.0.0.11": 300, "10.0.0.12": 100}, tcp_split
    udp_to = {MAC2SRV[f[Ether].dst] for f in fwd if UDP in f}
    assert udp_to == {"10.0.0.11"}, udp_to
    assert len(out) == (len(arp_replies) + len(echo_replies) + len(icmp_errors) +
                        len(announces) + len(who_has) + 850)
    print("ok: %d frames in, %d out, wrr split %s, drops %s" % (
        len(frames), len(out), tcp_split, sorted(got.items())))


def assert_checksums(f):
    ip = f[IP]
    c = IP(bytes(ip))
    want = c.chksum
    del c.chksum
    assert IP(bytes(c))[IP].chksum == want, "bad IP checksum"
    for l4 in (TCP, UDP, ICMP):
        if l4 in c:
            w = c[l4].chksum
            del c[l4].chksum
            assert IP(bytes(c))[l4].chksum == w, "bad %s checksum" % l4.__name__
            break


if __name__ == "__main__":
    main()
