#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Scripted flows through the real daemon end in every state a DR entry can
reach, and `lbadm -lnc` shows each one as ipvsadm would: state, expire within
the state's timeout, client, VIP and server. `lbadm -Ln` counts them under
ActiveConn / InActConn. Run twice: with IPVS's normal table and with
secure_tcp (where a SYN leads to SYNACK instead of SYN_RECV).

usage: test_states.py BUILD_DIR
"""
import os
import re
import sys
import time

import lbdctl
from lbdctl import check, tcp_frame, udp_frame

BUILD = os.path.abspath(sys.argv[1])
VIP = "10.0.0.100"
SYN, FIN, RST, ACK = 0x02, 0x01, 0x04, 0x10

# timeouts shortened to values no two states share, so the expire column
# tells which timeout each entry got
TIMEOUTS = dict(established=901, syn_recv=61, fin_wait=121, time_wait=122, close=11,
                synack=123, none=3, udp=301)

CONF = """
ports = ( { device = "net_pcap0"; address = "10.0.0.2/24"; mac = "02:00:00:00:00:02"; } );
services = (
  { protocol = "tcp"; vip = "10.0.0.100"; port = 80; scheduler = "rr";
    real_servers = ( { address = "10.0.0.11"; mac = "02:00:00:00:00:11"; } ); },
  { protocol = "udp"; vip = "10.0.0.100"; port = 53; scheduler = "rr";
    real_servers = ( { address = "10.0.0.11"; mac = "02:00:00:00:00:11"; } ); },
  { protocol = "tcp"; vip = "10.0.0.101"; port = 80; scheduler = "rr"; persistence = 600;
    netmask = "255.255.255.0";
    real_servers = ( { address = "10.0.0.12"; mac = "02:00:00:00:00:12"; } ); }
);
timeouts = { %s };
dataplane = { mbufs = 4096; connections = 4096; secure_tcp = %s; };
control = { socket = "@DIR@/lbd.sock"; };
"""

# client, flags of each segment in order, the state the entry must end in
# (normal table, secure table)
FLOWS = [
    ("192.0.2.1", [SYN], "SYN_RECV", "SYNACK"),
    ("192.0.2.2", [SYN, ACK], "ESTABLISHED", "ESTABLISHED"),
    ("192.0.2.3", [SYN, ACK, ACK | 0x08], "ESTABLISHED", "ESTABLISHED"),
    ("192.0.2.4", [SYN, ACK, FIN | ACK], "FIN_WAIT", "FIN_WAIT"),
    ("192.0.2.5", [SYN, ACK, FIN | ACK, ACK], "FIN_WAIT", "FIN_WAIT"),
    ("192.0.2.6", [SYN, FIN], "TIME_WAIT", "TIME_WAIT"),
    # IPVS keeps SYN_RECV on a RST (its table), SYNACK does not
    ("192.0.2.7", [SYN, RST], "SYN_RECV", "CLOSE"),
    ("192.0.2.8", [SYN, ACK, RST | ACK], "CLOSE", "CLOSE"),
    ("192.0.2.9", [SYN, ACK, 0x00], "CLOSE", "CLOSE"),
    ("192.0.2.10", [SYN, SYN], "SYN_RECV", "SYNACK"),
]
ACTIVE = {"SYN_RECV", "ESTABLISHED", "SYNACK", "SYN_SENT"}


def state_timeout(state):
    return TIMEOUTS[{"SYN_RECV": "syn_recv", "ESTABLISHED": "established",
                     "FIN_WAIT": "fin_wait", "TIME_WAIT": "time_wait", "CLOSE": "close",
                     "SYNACK": "synack", "NONE": "none", "UDP": "udp",
                     "ASSURED": "none"}[state]]


def run(secure):
    label = "secure_tcp" if secure else "normal"
    frames = []
    for i, (client, segs, _, _) in enumerate(FLOWS):
        frames += [tcp_frame(client, 30000 + i, VIP, 80, f) for f in segs]
    frames.append(udp_frame("192.0.2.50", 5353, VIP, 53))
    # persistence: two clients of one /24, one of them established
    frames += [tcp_frame("198.51.100.1", 1000, "10.0.0.101", 80, SYN),
               tcp_frame("198.51.100.1", 1000, "10.0.0.101", 80, ACK),
               tcp_frame("198.51.100.2", 1001, "10.0.0.101", 80, SYN)]
    conf = CONF % ("; ".join("%s = %d" % kv for kv in TIMEOUTS.items()) + ";",
                   "true" if secure else "false")
    lbd = lbdctl.Lbd(BUILD, conf, frames, infinite=False)
    try:
        time.sleep(1.0)
        rc, out, err = lbd.lbadm("-lnc")
        t_list = time.monotonic()
        check(rc == 0, "%s: -lnc %s" % (label, err))
        rows = out.splitlines()[2:]
        got = {}
        row = re.compile(r"^(TCP|UDP) (\d\d):(\d\d)  (\S+) +(\S+) +(\S+) +(\S+)$")
        for line in rows:
            m = row.match(line)
            if not check(m is not None, "%s: a row in ipvsadm's format: %r" % (label, line)):
                continue
            expire = int(m.group(2)) * 60 + int(m.group(3))
            got[(m.group(5), m.group(6))] = (m.group(1), m.group(4), expire, m.group(7))
        for i, (client, segs, normal, sec) in enumerate(FLOWS):
            want = sec if secure else normal
            e = got.get(("%s:%d" % (client, 30000 + i), VIP + ":80"))
            if check(e is not None, "%s: flow %s listed" % (label, client)):
                t = state_timeout(want)
                check(e[1] == want and t - 3 <= e[2] <= t and e[3] == "10.0.0.11:80",
                      "%s: %s after %s -> %s, expire %d of %d s (got %s %d)"
                      % (label, client, "/".join("%#x" % f for f in segs), want, e[2], t,
                         e[1], e[2]))
        e = got.get(("192.0.2.50:5353", VIP + ":53"))
        check(e is not None and e[0] == "UDP" and e[1] == "UDP" and
              TIMEOUTS["udp"] - 3 <= e[2] <= TIMEOUTS["udp"], "%s: UDP entry, udp timeout" % label)
        tmpl = got.get(("198.51.100.0:0", "10.0.0.101:80"))
        check(tmpl is not None and tmpl[1] == "ASSURED" and tmpl[3] == "10.0.0.12:80" and
              600 - 3 <= tmpl[2] <= 600,
              "%s: persistence template: port 0, ASSURED once established, 600 s (%s)"
              % (label, tmpl))
        check(len(got) == len(FLOWS) + 1 + 3, "%s: nothing else listed (%d rows)" % (label, len(got)))

        # ActiveConn / InActConn as -Ln shows them
        rc, out, _ = lbd.lbadm("-Ln")
        m = re.search(r"^  -> 10\.0\.0\.11:80 +Route +\d+ +(\d+) +(\d+)", out, re.M)
        want_a = sum(1 for f in FLOWS if (f[3] if secure else f[2]) in ACTIVE)
        check(m is not None and int(m.group(1)) == want_a and
              int(m.group(2)) == len(FLOWS) - want_a,
              "%s: ActiveConn %d, InActConn %d (got %s)" % (label, want_a, len(FLOWS) - want_a,
                                                           m and m.groups()))
        m = re.search(r"^  -> 10\.0\.0\.12:80 +(\d+) +(\d+) +(\d+) +(\d+)", lbd.lbadm(
            "-Ln", "--persistent-conn")[1], re.M)
        check(m is not None and m.groups()[1:] == ("1", "2", "0"),
              "%s: --persistent-conn: 1 template, 2 active, 0 inactive (got %s)"
              % (label, m and m.groups()))
        # the summary sees the same states
        rc, out, _ = lbd.lbadm("--summary", "--json")
        import json
        s = {(x["vip"], x["port"]): x for x in json.loads(out)["services"]}[(VIP, 80)]
        for st in ("SYN_RECV", "SYNACK", "ESTABLISHED", "FIN_WAIT", "TIME_WAIT", "CLOSE"):
            n = sum(1 for f in FLOWS if (f[3] if secure else f[2]) == st)
            check(s["states"][st] == n, "%s: --summary %s = %d (got %d)"
                  % (label, st, n, s["states"][st]))
        # CLOSE (11 s) runs out first: wait for it and look again
        time.sleep(max(0.0, TIMEOUTS["close"] + 2 - (time.monotonic() - t_list)))
        rc, out, _ = lbd.lbadm("-lnc")
        check(" CLOSE " not in out and "ESTABLISHED" in out,
              "%s: CLOSE entries gone after close's timeout, others stay" % label)
        rc, out, _ = lbd.lbadm("-Ln")
        m = re.search(r"^  -> 10\.0\.0\.11:80 +Route +\d+ +(\d+) +(\d+)", out, re.M)
        n_close = sum(1 for f in FLOWS if (f[3] if secure else f[2]) == "CLOSE")
        check(m is not None and int(m.group(2)) == len(FLOWS) - want_a - n_close,
              "%s: InActConn drops by the %d expired entries" % (label, n_close))
    finally:
        rc, log, counters = lbd.stop()
    check(rc == 0, "%s: lbd exits 0" % label)
    check(lbdctl.accounted(counters) and counters["fwd"] == len(frames),
          "%s: every frame forwarded (%s of %d)" % (label, counters.get("fwd"), len(frames)))


def main():
    run(secure=False)
    run(secure=True)
    if lbdctl.failures:
        print("\n%d check(s) failed" % len(lbdctl.failures))
        sys.exit(1)
    print("\nall checks passed")


if __name__ == "__main__":
    main()
