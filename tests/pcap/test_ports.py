#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Two ports: clients on one, real servers on the other.

Port 0 (10.0.0.2/24) takes the clients' frames for the VIP; the real servers
sit on port 1's subnet (10.1.0.0/24), so forwarded frames leave on port 1 with
port 1's MAC as source, while ARP and echo replies leave where their request
came in. The input mixes them frame by frame, so each RX burst holds frames
for both ports: one TX burst per port, each in arrival order. Every frame must
come out on the right port, once, in order, and the counters account for all.

usage: test_ports.py path/to/lbd
"""
import sys

from scapy.all import ARP, ICMP, IP, TCP, Ether, Raw

import lbdrun

CLIENT = "02:00:00:00:00:c1"
LB0, LB1 = "02:00:00:00:00:02", "02:00:00:00:01:02"
SRV = {"10.1.0.11": "02:00:00:00:01:11", "10.1.0.12": "02:00:00:00:01:12"}
MAC2SRV = {v: k for k, v in SRV.items()}
VIP = "10.0.0.100"
FLOWS = 60

CONF = """
ports = ( { device = "net_pcap0"; address = "10.0.0.2/24"; mac = "%s"; },
          { device = "net_pcap1"; address = "10.1.0.2/24"; mac = "%s"; } );
services = ( { protocol = "tcp"; vip = "10.0.0.100"; port = 80; scheduler = "rr";
    real_servers = ( { address = "10.1.0.11"; mac = "%s"; },
                     { address = "10.1.0.12"; mac = "%s"; } ); } );
dataplane = { mbufs = 8192; connections = 4096; };
control = { socket = "@DIR@/lbd.sock"; };
""" % (LB0, LB1, SRV["10.1.0.11"], SRV["10.1.0.12"])


def frames():
    """(frames, what each should become): 'fwd' flow i seq n, 'arp' i, 'echo' i."""
    e = Ether(src=CLIENT, dst=LB0)
    out, want = [], []
    for n, flags in enumerate(("S", "A", "PA")):
        for i in range(FLOWS):
            out.append(e / IP(src="198.51.100.1", dst=VIP) /
                       TCP(sport=20000 + i, dport=80, flags=flags, seq=1 + n) / Raw(b"%d" % n))
            want.append(("fwd", i, n))
            if i % 3 == 0:
                out.append(Ether(src=CLIENT, dst="ff:ff:ff:ff:ff:ff") /
                           ARP(op=1, hwsrc=CLIENT, psrc="10.0.0.9", pdst="10.0.0.2"))
                want.append(("arp", i, n))
            elif i % 3 == 1:
                out.append(e / IP(src="10.0.0.9", dst="10.0.0.2") / ICMP(id=i, seq=n))
                want.append(("echo", i, n))
    return out, want


def main():
    inp, want = frames()
    (out0, out1), counters, _ = lbdrun.run_ports(sys.argv[1], CONF, [[inp], [[]]])
    lbdrun.check_accounting(counters, len(inp))
    assert not lbdrun.drops(counters), lbdrun.drops(counters)
    fwd = [w for w in want if w[0] == "fwd"]
    replies = [w for w in want if w[0] != "fwd"]
    assert counters["fwd"] == len(fwd) and counters["reply"] == len(replies), counters
    # port 1: every forwarded frame, in order, from port 1's MAC to its server
    assert len(out1) == len(fwd), "port 1 sent %d, want %d" % (len(out1), len(fwd))
    server_of = {}
    for f, (_, i, n) in zip(out1, fwd):
        assert TCP in f and f[TCP].sport == 20000 + i and f[TCP].seq == 1 + n, f.summary()
        assert f[Ether].src == LB1 and f[Ether].dst in MAC2SRV, f.summary()
        assert server_of.setdefault(i, f[Ether].dst) == f[Ether].dst, "flow %d moved" % i
    split = sorted(list(server_of.values()).count(m) for m in MAC2SRV)
    assert split == [FLOWS // 2, FLOWS // 2], split
    # port 0: the replies, in order, from port 0's MAC; nothing forwarded
    # there; and the control plane's gratuitous ARP for the VIP, on its port
    garp = [f for f in out0 if ARP in f and f[ARP].psrc == f[ARP].pdst == VIP]
    assert garp, "no gratuitous ARP for the VIP on port 0"
    out0 = [f for f in out0 if f not in garp]
    assert len(out0) == len(replies), "port 0 sent %d, want %d" % (len(out0), len(replies))
    for f, (kind, i, n) in zip(out0, replies):
        assert f[Ether].src == LB0 and f[Ether].dst == CLIENT, f.summary()
        if kind == "arp":
            assert ARP in f and f[ARP].op == 2 and f[ARP].psrc == "10.0.0.2", f.summary()
        else:
            assert ICMP in f and f[ICMP].type == 0 and (f[ICMP].id, f[ICMP].seq) == (i, n), \
                f.summary()
    print("ok: %d forwarded on port 1, %d replies on port 0, in order" % (len(fwd),
                                                                          len(replies)))


if __name__ == "__main__":
    main()
