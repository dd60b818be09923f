#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Two workers, each on its own queue pair of one port.

net_pcap gives one queue per pcap file, so queue 0 and queue 1 each carry 200
flows. Each worker runs its own wrr rotation over its share (nothing on the
packet path is shared), so each sends 150/50 and the total is exactly 300/100;
every flow stays on its server; both queues transmit; counters account for
all 800 frames.

usage: test_workers.py path/to/lbd
"""
import sys

from scapy.all import IP, TCP, Ether, Raw

import lbdrun

LB = "02:00:00:00:00:02"
SRV = {"02:00:00:00:00:11": "10.0.0.11", "02:00:00:00:00:12": "10.0.0.12"}
CONF = """
ports = ( { device = "net_pcap0"; address = "10.0.0.2/24"; mac = "%s"; } );
services = ( { protocol = "tcp"; vip = "10.0.0.100"; port = 80; scheduler = "wrr";
    real_servers = ( { address = "10.0.0.11"; weight = 3; mac = "02:00:00:00:00:11"; },
                     { address = "10.0.0.12"; weight = 1; mac = "02:00:00:00:00:12"; } ); } );
dataplane = { mbufs = 8192; connections = 4096; };
control = { socket = "@DIR@/lbd.sock"; };
""" % LB


def flows(q):
    fl = [("198.51.100.%d" % (q + 1), 20000 + i) for i in range(200)]
    e = Ether(src="02:00:00:00:00:c1", dst=LB)
    return ([e / IP(src=s, dst="10.0.0.100") / TCP(sport=p, dport=80, flags="S") for s, p in fl] +
            [e / IP(src=s, dst="10.0.0.100") / TCP(sport=p, dport=80, flags="PA") / Raw(b"x")
             for s, p in fl])


def main():
    queues = [flows(0), flows(1)]
    # three lcores on this machine's two CPUs: the main one sleeps most of the time
    out, counters, log = lbdrun.run(sys.argv[1], CONF, None, queues=queues,
                                    lcores=("--lcores", "0@0,1@1,2@0"))
    assert "2 worker(s)" in log, log
    lbdrun.check_accounting(counters, 800)
    assert counters["fwd"] == 800, counters
    server_of, split = {}, {}
    for f in out:
        if TCP not in f:
            continue
        key = (f[IP].src, f[TCP].sport)
        assert server_of.setdefault(key, f[Ether].dst) == f[Ether].dst, "flow moved"
    for (src, _), mac in server_of.items():
        split[(src, SRV[mac])] = split.get((src, SRV[mac]), 0) + 1
    want = {("198.51.100.1", "10.0.0.11"): 150, ("198.51.100.1", "10.0.0.12"): 50,
            ("198.51.100.2", "10.0.0.11"): 150, ("198.51.100.2", "10.0.0.12"): 50}
    assert split == want, split
    print("ok: 2 workers, split per worker %s" % split)


if __name__ == "__main__":
    main()
