#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""IPv6 through the real daemon on a net_pcap port, IPv4 flows mixed in.

Neighbour discovery (answers for VIPs and the port's addresses, duplicate
address detection, solicitations for a server without a MAC, unsolicited
advertisements of the VIPs, learning from a server's advertisement), echo,
DR forwarding (wrr split, hop limit, untouched addresses, ports, payload and
checksums), persistence by /64, extension headers walked to TCP, atomic
fragments served and real ones refused, ICMPv6 errors lbd sends (port
unreachable, time exceeded, packet too big) and one it forwards to a flow's
server, and every IPv6 drop reason. lbd's exit counters must account for
every frame under exactly the expected reasons.

usage: test_ipv6.py path/to/lbd
"""
import sys

from scapy.all import (ARP, IP, TCP, UDP, Ether, ICMPv6DestUnreach, ICMPv6EchoReply,
                       ICMPv6EchoRequest, ICMPv6MLReport, ICMPv6ND_NA, ICMPv6ND_NS,
                       ICMPv6ND_RS, ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr,
                       ICMPv6PacketTooBig, ICMPv6TimeExceeded, IPv6, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, Raw)

import lbdrun

CLIENT = "02:00:00:00:00:c1"
LB = "02:00:00:00:00:02"
LB_LL = "fe80::ff:fe00:2"          # EUI-64 of 02:00:00:00:00:02
SRV = {"2001:db8::11": "02:00:00:00:00:11", "2001:db8::12": "02:00:00:00:00:12",
       "10.0.0.11": "02:00:00:00:00:11"}
MAC2SRV = {"02:00:00:00:00:11": "s11", "02:00:00:00:00:12": "s12"}
VIP = "2001:db8::100"
VIP4 = "10.0.0.100"
ME = "2001:db8::2"

CONF = """
ports = ( { device = "net_pcap0"; address = "10.0.0.2/24"; address6 = "2001:db8::2/64";
            mac = "%(lb)s"; } );
services = (
  { protocol = "tcp"; vip = "2001:db8::100"; port = 80; scheduler = "wrr";
    real_servers = ( { address = "2001:db8::11"; weight = 3; mac = "%(s11)s"; },
                     { address = "2001:db8::12"; weight = 1; mac = "%(s12)s"; } ); },
  { protocol = "udp"; vip = "2001:db8::100"; port = 53; scheduler = "rr";
    real_servers = ( { address = "2001:db8::11"; mac = "%(s11)s"; } ); },
  { protocol = "tcp"; vip = "2001:db8::101"; port = 80; scheduler = "wlc";
    real_servers = ( { address = "2001:db8::12"; weight = 0; mac = "%(s12)s"; } ); },
  { protocol = "tcp"; vip = "2001:db8::102"; port = 80; scheduler = "rr";
    real_servers = ( { address = "2001:db8::14"; } ); },
  { protocol = "tcp"; vip = "2001:db8::103"; port = 443; scheduler = "rr";
    persistence = 300; netmask = "64";
    real_servers = ( { address = "2001:db8::11"; mac = "%(s11)s"; },
                     { address = "2001:db8::12"; mac = "%(s12)s"; } ); },
  { protocol = "tcp"; vip = "10.0.0.100"; port = 80; scheduler = "rr";
    real_servers = ( { address = "10.0.0.11"; mac = "%(s11)s"; } ); }
);
dataplane = { mbufs = 8192; connections = 4096; };
control = { socket = "@DIR@/lbd.sock"; };
""" % {"lb": LB, "s11": SRV["2001:db8::11"], "s12": SRV["2001:db8::12"]}


def eth(dst=LB):
    return Ether(src=CLIENT, dst=dst)


def raw(b):
    return Ether(bytes(b))


def sol_node(addr):
    """addr's solicited-node group and its MAC."""
    import ipaddress
    low = ipaddress.IPv6Address(addr).packed[13:]
    group = ipaddress.IPv6Address(b"\xff\x02" + b"\0" * 9 + b"\x01\xff" + low)
    return str(group), "33:33:ff:%02x:%02x:%02x" % tuple(low)


def ns(target, src="2001:db8::50", hlim=255, sll=CLIENT, dad=False):
    group, mac = sol_node(target)
    f = eth(mac) / IPv6(src="::" if dad else src, dst=group, hlim=hlim) / ICMPv6ND_NS(tgt=target)
    if sll is not None:
        f = f / ICMPv6NDOptSrcLLAddr(lladdr=sll)
    return f


def syn6(src, sport, dst=VIP, dport=80, **kw):
    return eth() / IPv6(src=src, dst=dst, **kw) / TCP(sport=sport, dport=dport, flags="S", seq=1000)


def refused():
    """(expected drop reason, frame) for each IPv6 refusal."""
    out = []
    s = syn6("2001:db8:9::9", 999)
    b = bytearray(bytes(s)); b[14] = 0x45            # version 4 under ethertype 86dd
    out.append(("ip_version", raw(b)))
    out.append(("short_frame", raw(bytes(s)[:50])))
    b = bytearray(bytes(s)); b[18:20] = (0).to_bytes(2, "big")
    out.append(("ip_len_short", raw(b)))
    b = bytearray(bytes(s)); b[18:20] = (400).to_bytes(2, "big")
    out.append(("ip_len_trunc", raw(b)))
    for src in ("ff02::1", "::1", "::ffff:192.0.2.1", "::"):
        out.append(("ip_martian", syn6(src, 999)))
    out.append(("ip6_ext_order", eth() / IPv6(src="2001:db8:9::9", dst=VIP) / IPv6ExtHdrDestOpt() /
                IPv6ExtHdrHopByHop() / TCP(dport=80, flags="S")))
    f = IPv6ExtHdrDestOpt()
    for _ in range(8):
        f = f / IPv6ExtHdrDestOpt()
    out.append(("ip6_ext_order", eth() / IPv6(src="2001:db8:9::9", dst=VIP) / f /
                TCP(dport=80, flags="S")))
    b = bytearray(bytes(eth() / IPv6(src="2001:db8:9::9", dst=VIP, nh=60, plen=4) / Raw(b"\x06\x00\0\0")))
    out.append(("ip6_ext_short", raw(b)))
    out.append(("ip6_routing", eth() / IPv6(src="2001:db8:9::9", dst=VIP) /
                IPv6ExtHdrRouting(addresses=["2001:db8::77"], segleft=1) / TCP(dport=80, flags="S")))
    out.append(("ip_fragment", eth() / IPv6(src="2001:db8:9::9", dst=VIP) /
                IPv6ExtHdrFragment(m=1, id=7) / TCP(dport=80, flags="S")))
    out.append(("ip_fragment", eth() / IPv6(src="2001:db8:9::9", dst=VIP) /
                IPv6ExtHdrFragment(offset=3, id=7, nh=6) / Raw(b"\0" * 16)))
    out.append(("l4_short", eth() / IPv6(src="2001:db8:9::9", dst=VIP, nh=6) / Raw(b"\0" * 10)))
    out.append(("no_service", syn6("2001:db8:9::9", 999, dport=81)))
    out.append(("tcp_no_conn", eth() / IPv6(src="2001:db8:9::9", dst=VIP) /
                TCP(sport=998, dport=80, flags="A")))
    out.append(("ip_not_ours", syn6("2001:db8:9::9", 999, dst="2001:db8::77")))
    out.append(("ip_not_ours", eth("33:33:00:00:00:16") / IPv6(src="fe80::9", dst="ff02::16") /
                ICMPv6MLReport()))
    out.append(("ip_proto", eth() / IPv6(src="2001:db8:9::9", dst=VIP, nh=47) / Raw(b"\0" * 8)))
    out.append(("icmp_unsupported", eth() / IPv6(src="2001:db8:9::9", dst=VIP) / ICMPv6ND_RS()))
    # neighbour discovery
    out.append(("nd_malformed", ns(VIP, hlim=64)))
    out.append(("nd_malformed", ns(VIP, dad=True)))          # DAD with a source LLA
    b = bytearray(bytes(ns(VIP))); b[-7] = 0               # option length 0
    f = raw(b)
    del f[ICMPv6ND_NS].cksum
    out.append(("nd_malformed", Ether(bytes(f))))
    b = bytearray(bytes(ns(VIP))); b[14 + 40 + 2] ^= 0xff  # checksum
    out.append(("icmp6_csum", raw(b)))
    out.append(("nd_not_ours", ns("2001:db8::77")))
    out.append(("nd_not_ours", eth() / IPv6(src="2001:db8::99", dst=ME, hlim=255) /
                ICMPv6ND_NA(tgt="2001:db8::99", R=0, S=1, O=1)))
    b = bytearray(bytes(eth() / IPv6(src="2001:db8::50", dst=VIP) / ICMPv6EchoRequest(id=1)))
    b[14 + 40 + 2] ^= 0x55
    out.append(("icmp6_csum", raw(b)))
    # errors about flows lbd does not know, or behind a fragment
    inner = IPv6(src=VIP, dst="2001:db8:f::1") / TCP(sport=80, dport=55555, flags="A")
    out.append(("icmp_no_conn", eth() / IPv6(src="2001:db8::fe", dst=VIP) /
                ICMPv6PacketTooBig(mtu=1400) / inner))
    inner = IPv6(src=VIP, dst="2001:db8:a::1") / IPv6ExtHdrFragment(m=1) / TCP(sport=80, dport=40000)
    out.append(("icmp_no_conn", eth() / IPv6(src="2001:db8::fe", dst=VIP) /
                ICMPv6PacketTooBig(mtu=1400) / inner))
    return out


def main():
    lbd = sys.argv[1]
    frames, expect_drops = [], {}

    # ND and echo for the VIP, the port's address and its link-local one
    for target in (VIP, ME, LB_LL):
        frames.append(ns(target))
        frames.append(eth() / IPv6(src="2001:db8::50", dst=target) /
                      ICMPv6EchoRequest(id=7, seq=1, data=b"ping6"))
    frames.append(ns(VIP, sll=None, dad=True))              # DAD: to all nodes
    # 400 TCP flows over 2 /48s (wrr 3:1), then data
    flows = [("2001:db8:%x::%x" % (1 + i // 200, 1 + i), 20000 + i) for i in range(400)]
    for src, sport in flows:
        frames.append(syn6(src, sport, hlim=64))
    for src, sport in flows:
        frames.append(eth() / IPv6(src=src, dst=VIP, hlim=64) /
                      TCP(sport=sport, dport=80, flags="PA", seq=1001, ack=1) /
                      Raw(b"GET / HTTP/1.0\r\n\r\n"))
    # 50 UDP datagrams
    for i in range(50):
        frames.append(eth() / IPv6(src="2001:db8:5::5", dst=VIP) / UDP(sport=30000 + i, dport=53) /
                      Raw(b"q%d" % i))
    # extension headers walked to TCP; an atomic fragment is a whole packet
    ext = [IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt(),
           IPv6ExtHdrRouting(addresses=[], segleft=0),
           IPv6ExtHdrFragment(offset=0, m=0, id=9)]
    for i, e in enumerate(ext):
        frames.append(eth() / IPv6(src="2001:db8:e::%d" % (i + 1), dst=VIP) / e /
                      TCP(sport=41000 + i, dport=80, flags="S"))
    # persistence by /64: 20 clients of one /64 share a server, 20 /64s spread
    for i in range(20):
        frames.append(syn6("2001:db8:aa:1::%x" % (i + 1), 42000 + i, dst="2001:db8::103", dport=443))
    for i in range(20):
        frames.append(syn6("2001:db8:bb:%x::1" % (i + 1), 43000, dst="2001:db8::103", dport=443))
    # IPv4 beside it
    for i in range(100):
        frames.append(eth() / IP(src="198.51.100.7", dst=VIP4) / TCP(sport=50000 + i, dport=80,
                                                                     flags="S"))
    # refusals that answer
    frames.append(syn6("2001:db8:9::8", 4000, dst="2001:db8::101"))
    expect_drops["no_dest"] = 1
    frames.append(syn6("2001:db8:9::8", 4001, hlim=1))
    expect_drops["ttl_exceeded"] = 1
    big = eth() / IPv6(src="2001:db8:9::8", dst=VIP) / TCP(sport=4003, dport=80, flags="S") / \
        Raw(b"x" * 1460)
    frames.append(big)
    expect_drops["pkt_too_big"] = 1
    # a Packet Too Big from a router about a flow VIP -> client: to its server
    c0, p0 = flows[0]
    frames.append(eth() / IPv6(src="2001:db8::fe", dst=VIP) / ICMPv6PacketTooBig(mtu=1280) /
                  IPv6(src=VIP, dst=c0) / TCP(sport=80, dport=p0, flags="A") / Raw(b"y" * 40))
    # a server without a MAC: its SYN waits, lbd solicits it; its NA is learned
    frames.append(syn6("2001:db8:9::8", 4002, dst="2001:db8::102"))
    expect_drops["dest_unresolved"] = 1
    frames.append(Ether(src="02:00:00:00:00:14", dst=LB) /
                  IPv6(src="2001:db8::14", dst=ME, hlim=255) /
                  ICMPv6ND_NA(tgt="2001:db8::14", R=0, S=1, O=1) /
                  ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:00:14"))
    for reason, f in refused():
        frames.append(f)
        expect_drops[reason] = expect_drops.get(reason, 0) + 1

    out, counters, log = lbdrun.run(lbd, CONF, frames)
    lbdrun.check_accounting(counters, len(frames))
    got = lbdrun.drops(counters)
    assert got == expect_drops, "drops: expected %s, got %s" % (expect_drops, got)
    assert counters["to_control"] == 1, counters
    assert "neighbour 2001:db8::14 is at 02:00:00:00:00:14" in log, "NA not learned:\n" + log

    na, echo, errors, solicit, fwd, fwd4, arp = [], [], [], [], [], [], []
    for f in out:
        if ICMPv6ND_NA in f:
            na.append(f)
        elif ICMPv6ND_NS in f:
            solicit.append(f)
        elif ICMPv6EchoReply in f:
            echo.append(f)
        elif IPv6 in f and f[Ether].dst == CLIENT and (
                ICMPv6DestUnreach in f or ICMPv6TimeExceeded in f or ICMPv6PacketTooBig in f):
            errors.append(f)
        elif IP in f:
            fwd4.append(f)
        elif ARP in f:
            arp.append(f)
        else:
            fwd.append(f)

    # advertisements: the port's MAC, override, never router; solicited
    # answers to the asker, DAD's answer and the VIPs' announcements (not
    # solicited) to all nodes
    for f in na:
        n = f[ICMPv6ND_NA]
        assert f[Ether].src == LB and f[IPv6].src == n.tgt and f[IPv6].hlim == 255, f.show(dump=True)
        assert n.R == 0 and n.O == 1, f.show(dump=True)
        assert f[ICMPv6NDOptDstLLAddr].lladdr == LB
        if n.S:
            assert f[Ether].dst == CLIENT and f[IPv6].dst == "2001:db8::50", f.show(dump=True)
        else:
            assert f[Ether].dst == "33:33:00:00:00:01" and f[IPv6].dst == "ff02::1"
        assert_checksums(f)
    solicited = sorted(f[ICMPv6ND_NA].tgt for f in na if f[ICMPv6ND_NA].S)
    assert solicited == sorted([VIP, ME, LB_LL]), solicited
    unsolicited = sorted(f[ICMPv6ND_NA].tgt for f in na if not f[ICMPv6ND_NA].S)
    assert unsolicited == sorted([VIP, VIP, "2001:db8::101", "2001:db8::102",
                                  "2001:db8::103"]), unsolicited
    # echo replies
    assert sorted(f[IPv6].src for f in echo) == sorted([VIP, ME, LB_LL]), echo
    for f in echo:
        assert f[Ether].dst == CLIENT and f[IPv6].dst == "2001:db8::50"
        assert f[ICMPv6EchoReply].id == 7 and f[ICMPv6EchoReply].data == b"ping6"
        assert_checksums(f)
    # solicitations for the server without a MAC, to its group, from the port
    assert solicit, "no neighbour solicitation for 2001:db8::14"
    group, gmac = sol_node("2001:db8::14")
    for f in solicit:
        assert (f[ICMPv6ND_NS].tgt, f[IPv6].src, f[IPv6].dst, f[IPv6].hlim, f[Ether].dst,
                f[Ether].src, f[ICMPv6NDOptSrcLLAddr].lladdr) == (
            "2001:db8::14", ME, group, 255, gmac, LB, LB), f.show(dump=True)
        assert_checksums(f)
    # ICMPv6 errors lbd sent, from the VIP, quoting the packet
    kinds = sorted((f[IPv6].src, f[IPv6].nh, type(f[IPv6].payload).__name__) for f in errors)
    assert kinds == sorted([("2001:db8::101", 58, "ICMPv6DestUnreach"),
                            (VIP, 58, "ICMPv6TimeExceeded"),
                            (VIP, 58, "ICMPv6PacketTooBig")]), kinds
    for f in errors:
        assert f[IPv6].dst == "2001:db8:9::8"
        assert_checksums(f)
        if ICMPv6PacketTooBig in f:
            assert f[ICMPv6PacketTooBig].mtu == 1500
            assert len(f[IPv6]) <= 1280, len(f[IPv6])
        if ICMPv6DestUnreach in f:
            assert f[ICMPv6DestUnreach].code == 4

    # forwarded IPv6: L2 and the hop limit only
    n_fwd = 800 + 50 + len(ext) + 40 + 1
    assert len(fwd) == n_fwd, "forwarded %d IPv6 frames, expected %d" % (len(fwd), n_fwd)
    built = [Ether(bytes(f)) for f in frames]
    sent = {(f[IPv6].src, f[IPv6].dst, bytes(f[IPv6].payload)): f for f in built if IPv6 in f}
    server_of, persist = {}, {}
    for f in fwd:
        assert f[Ether].src == LB and f[Ether].dst in MAC2SRV, f.summary()
        orig = sent.get((f[IPv6].src, f[IPv6].dst, bytes(f[IPv6].payload)))
        assert orig is not None, "forwarded a frame nobody sent: " + f.summary()
        # only L2 and the hop limit change: extension headers, ports,
        # payload and checksums as the client sent them
        assert f[IPv6].hlim == orig[IPv6].hlim - 1, (f[IPv6].hlim, orig[IPv6].hlim)
        assert (f[IPv6].tc, f[IPv6].fl, f[IPv6].plen) == (orig[IPv6].tc, orig[IPv6].fl,
                                                          orig[IPv6].plen)
        assert_checksums(f)
        if ICMPv6PacketTooBig in f:
            continue
        l4 = TCP if TCP in f else UDP
        key = (f[IPv6].src, f[l4].sport)
        if f[IPv6].dst == "2001:db8::103":
            net = "one64" if f[IPv6].src.startswith("2001:db8:aa:1:") else f[IPv6].src
            persist.setdefault(net, set()).add(f[Ether].dst)
        if key in server_of:
            assert server_of[key] == f[Ether].dst, "flow %s moved" % (key,)
        server_of[key] = f[Ether].dst
    tcp_split = {}
    for (src, sport), mac in server_of.items():
        if 20000 <= sport < 30000:
            tcp_split[MAC2SRV[mac]] = tcp_split.get(MAC2SRV[mac], 0) + 1
    assert tcp_split == {"s11": 300, "s12": 100}, tcp_split
    ptb = [f for f in fwd if ICMPv6PacketTooBig in f]
    assert len(ptb) == 1 and ptb[0][Ether].dst == server_of[(c0, p0)], ptb
    one64 = persist["one64"]
    assert len(one64) == 1, "one /64, several servers: %s" % one64
    spread = set().union(*(v for k, v in persist.items() if k != "one64"))
    assert spread == {"02:00:00:00:00:11", "02:00:00:00:00:12"}, spread
    # IPv4 flows still go their way, its VIP announced by ARP
    assert len(fwd4) == 100 and all(f[Ether].dst == SRV["10.0.0.11"] for f in fwd4)
    assert [f[ARP].psrc for f in arp] == [VIP4], arp
    print("ok: %d frames in, %d out, wrr split %s, drops %s" % (
        len(frames), len(out), tcp_split, sorted(got.items())))


def assert_checksums(f):
    """f's upper-layer checksum is what scapy computes afresh."""
    c = IPv6(bytes(f[IPv6]))
    for l4 in (TCP, UDP, ICMPv6EchoReply, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6DestUnreach,
               ICMPv6TimeExceeded, ICMPv6PacketTooBig):
        if l4 in c:
            field = "chksum" if l4 in (TCP, UDP) else "cksum"
            w = getattr(c[l4], field)
            delattr(c[l4], field)
            assert getattr(IPv6(bytes(c))[l4], field) == w, "bad %s checksum" % l4.__name__
            return
    raise AssertionError("no checksum to check in " + f.summary())


if __name__ == "__main__":
    main()
