#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Writes the golden files of tests/test_ipvsfmt.c from ipvsadm 1.31's printf
formats (as quoted in docs/cli.md), applied with Python's % operator to the
same data the C test builds. It shares no code with control/lbadm/ipvsfmt.c: two
independent renderings of the reference that must agree byte for byte.
The IPv6 connection rows (conns6*.txt) take ipvsadm's own road: a line of
/proc/net/ip_vs_conn as the kernel writes it, read back and printed as
ipvsadm's print_conn does.
Run it only when a fixture is added; the files it writes are committed.
"""
import os
import struct
import socket

here = os.path.dirname(os.path.abspath(__file__))


def is6(a):
    return ':' in a


def words(a):
    """The address as host-order 32-bit words, libipvs's comparison units."""
    if is6(a):
        return struct.unpack('!4I', socket.inet_pton(socket.AF_INET6, a))
    return struct.unpack('!I', socket.inet_aton(a))


def addrport(a, port):
    """ipvsadm's addrport_to_anyname with -n: IPv6 compressed by inet_ntop, in
    brackets."""
    if is6(a):
        return '[%s]:%d' % (socket.inet_ntop(socket.AF_INET6,
                                             socket.inet_pton(socket.AF_INET6, a)), port)
    return '%s:%d' % (a, port)


def largenum(i, exact=False):
    if exact:
        n = len('%d' % i)
        return '%*d' % (9 if n <= 8 else n + 1, i)
    if i < 100000000:
        return '%9d' % i
    if i < 1000000000:
        return '%8dK' % (i // 1000)
    if i < 100000000000:
        return '%8dM' % (i // 1000000)
    if i < 100000000000000:
        return '%8dG' % (i // 1000000000)
    return '%8dT' % (i // 1000000000000)


def stats(k):
    # The C test fills stats the same way: base k, five counters, five rates.
    return dict(conns=k, inpkts=k * 10 + 1, outpkts=0, inbytes=k * 1000 + 7, outbytes=0,
                cps=k % 1000, inpps=k % 100000, outpps=0, inbps=k * 8, outbps=0)


# Services in the blob's (unsorted) order; the C test has the same table.
SERVICES = [
    dict(proto='UDP', vip='10.0.0.100', port=53, sched='rr', persistent=360,
         netmask='255.255.255.0', flags='', k=99999999,
         dests=[dict(addr='10.0.1.12', port=53, w=2, ut=0, lt=0, act=0, inact=17,
                     pers=3, k=100000000)]),
    dict(proto='TCP', vip='10.0.0.100', port=80, sched='wlc', persistent=0,
         netmask='255.255.255.255', flags='', k=999999999,
         dests=[dict(addr='10.0.1.12', port=80, w=1, ut=100, lt=50, act=3, inact=1,
                     pers=0, k=1000000000),
                dict(addr='10.0.1.11', port=80, w=3, ut=0, lt=0, act=12, inact=4,
                     pers=0, k=99999999999),
                dict(addr='10.0.1.2', port=80, w=0, ut=0, lt=0, act=0, inact=0,
                     pers=0, k=100000000000)]),
    dict(proto='TCP', vip='192.168.7.1', port=443, sched='mh', persistent=1800,
         netmask='255.255.0.0', flags='mh-fallback,mh-port', k=100000000000000,
         dests=[dict(addr='192.168.8.10', port=443, w=65535, ut=0, lt=0, act=4294967295,
                     inact=0, pers=0, k=0)]),
]


# IPv6 services, with an IPv4 one among them: ipvsadm lists every IPv4
# service first (libipvs compares the family before the protocol). Long
# addresses push the columns; fd00::/8 sorts before 2001: (the subtraction
# quirk, word by word).
SERVICES6 = [
    dict(proto='UDP', vip='2001:db8::100', port=53, sched='rr', persistent=360,
         netmask=64, flags='', k=99999999,
         dests=[dict(addr='2001:db8::12', port=53, w=2, ut=0, lt=0, act=0, inact=17,
                     pers=3, k=100000000)]),
    dict(proto='TCP', vip='2001:db8::100', port=80, sched='wlc', persistent=0,
         netmask=128, flags='', k=999999999,
         dests=[dict(addr='2001:db8::12', port=80, w=1, ut=100, lt=50, act=3, inact=1,
                     pers=0, k=1000000000),
                dict(addr='2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff', port=80, w=3, ut=0, lt=0,
                     act=12, inact=4, pers=0, k=99999999999),
                dict(addr='fd00::1', port=80, w=0, ut=0, lt=0, act=0, inact=0,
                     pers=0, k=100000000000),
                dict(addr='2001:db8::11', port=80, w=5, ut=7, lt=2, act=1, inact=2,
                     pers=9, k=42)]),
    dict(proto='TCP', vip='10.0.0.100', port=80, sched='wrr', persistent=0,
         netmask='255.255.255.255', flags='', k=7,
         dests=[dict(addr='10.0.1.11', port=80, w=1, ut=0, lt=0, act=0, inact=0,
                     pers=0, k=0)]),
    dict(proto='TCP', vip='fd00:1:2:3:4:5:6:7', port=443, sched='mh', persistent=1800,
         netmask=128, flags='mh-fallback,mh-port', k=100000000000000,
         dests=[dict(addr='fd00:1:2:3:4:5:6:8', port=443, w=65535, ut=0, lt=0,
                     act=4294967295, inact=0, pers=0, k=0)]),
    dict(proto='TCP', vip='2001:db8:1234:5678:9abc:def0:1234:5678', port=8080, sched='sh',
         persistent=300, netmask=48, flags='', k=123456789,
         dests=[dict(addr='2001:db8:1234:5678:9abc:def0:1234:9999', port=8080, w=1, ut=0,
                     lt=0, act=0, inact=0, pers=1, k=5)]),
]


def cmp_int(a, b):
    r = (a - b) & 0xffffffff
    return r - (1 << 32) if r >= 1 << 31 else r


def cmp_addr(a, b):
    for x, y in zip(words(a), words(b)):
        r = cmp_int(x, y)
        if r:
            return r
    return 0


def sort_key_services(svcs):
    import functools

    def c(x, y):
        r = (10 if is6(x['vip']) else 2) - (10 if is6(y['vip']) else 2)
        if r:
            return r
        r = (6 if x['proto'] == 'TCP' else 17) - (6 if y['proto'] == 'TCP' else 17)
        if r:
            return r
        r = cmp_addr(x['vip'], y['vip'])
        if r:
            return r
        return x['port'] - y['port']
    return sorted(svcs, key=functools.cmp_to_key(c))


def sort_dests(ds):
    import functools

    def c(x, y):
        r = cmp_addr(x['addr'], y['addr'])
        if r:
            return r
        return x['port'] - y['port']
    return sorted(ds, key=functools.cmp_to_key(c))


def mask_text(s):
    """What follows -M / mask: IPv4's dotted mask, IPv6's prefix length; None
    for the whole address."""
    if is6(s['vip']):
        return None if s['netmask'] == 128 else '%i' % s['netmask']
    return None if s['netmask'] == '255.255.255.255' else s['netmask']


def listing(fmt, version=True, only=None, services=SERVICES):
    out = []
    if version and 'rule' not in fmt:
        # the IPVS version lbd implements (LB_API_IPVS_VERSION), not lbd's own
        out.append('IP Virtual Server version 1.2.1 (size=1048576)\n')
    if 'stats' in fmt:
        out.append('%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n' % (
            'Prot LocalAddress:Port', 'Conns', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes'))
    elif 'rate' in fmt:
        out.append('%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n' % (
            'Prot LocalAddress:Port', 'CPS', 'InPPS', 'OutPPS', 'InBPS', 'OutBPS'))
    elif 'thresholds' in fmt:
        out.append('%-33s %-10s %-10s %-10s %-10s\n  -> RemoteAddress:Port\n' % (
            'Prot LocalAddress:Port', 'Uthreshold', 'Lthreshold', 'ActiveConn', 'InActConn'))
    elif 'persistent' in fmt:
        out.append('%-33s %-9s %-11s %-10s %-10s\n  -> RemoteAddress:Port\n' % (
            'Prot LocalAddress:Port', 'Weight', 'PersistConn', 'ActiveConn', 'InActConn'))
    elif 'tun' in fmt:
        out.append('Prot LocalAddress:Port Scheduler Flags\n'
                   '  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn'
                   ' InActConn\n')
    elif 'rule' not in fmt:
        out.append('Prot LocalAddress:Port Scheduler Flags\n'
                   '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n')
    exact = 'exact' in fmt
    if only is not None:
        svcs = [services[only]]
    elif 'nosort' in fmt:
        svcs = services     # --nosort: lbd's order, the blob's
    else:
        svcs = sort_key_services(services)
    for s in svcs:
        vname = addrport(s['vip'], s['port'])
        if 'rule' in fmt:
            name = '%s %s' % ('-t' if s['proto'] == 'TCP' else '-u', vname)
            line = '-A %s -s %s' % (name, s['sched'])
            if s['persistent']:
                line += ' -p %d' % s['persistent']
                if mask_text(s) is not None:
                    line += ' -M %s' % mask_text(s)
            if s['flags']:
                line += ' -b ' + s['flags']
        else:
            # "%-4s %s", cut to 33 for IPv4 only
            name = '%-4s %s' % (s['proto'], vname)
            if not is6(s['vip']):
                name = name[:33]
            st = stats(s['k'])
            if 'stats' in fmt:
                line = '%-33s' % name + ''.join(largenum(st[x], exact) for x in
                                                ('conns', 'inpkts', 'outpkts', 'inbytes', 'outbytes'))
            elif 'rate' in fmt:
                line = '%-33s' % name + ''.join(largenum(st[x], exact) for x in
                                                ('cps', 'inpps', 'outpps', 'inbps', 'outbps'))
            else:
                line = '%s %s' % (name, s['sched'])
                if s['flags']:
                    line += ' (%s)' % s['flags']
                if s['persistent']:
                    line += ' persistent %d' % s['persistent']
                    if mask_text(s) is not None:
                        line += ' mask %s' % mask_text(s)
        out.append(line + '\n')
        for d in s['dests'] if 'nosort' in fmt else sort_dests(s['dests']):
            dname = addrport(d['addr'], d['port'])
            st = stats(d['k'])
            if 'rule' in fmt:
                out.append('-a %s -r %s %s -w %d\n' % (name, dname, '-g', d['w']))
                continue
            if not is6(d['addr']):
                dname = dname[:28]
            if 'stats' in fmt:
                out.append('  -> %-28s' % dname + ''.join(largenum(st[x], exact) for x in
                           ('conns', 'inpkts', 'outpkts', 'inbytes', 'outbytes')) + '\n')
            elif 'rate' in fmt:
                out.append('  -> %-28s %8u %8u %8u' % (dname, st['cps'], st['inpps'], st['outpps'])
                           + largenum(st['inbps'], exact) + largenum(st['outbps'], exact) + '\n')
            elif 'thresholds' in fmt:
                out.append('  -> %-28s %-10u %-10u %-10u %-10u\n' % (dname, d['ut'], d['lt'],
                                                                    d['act'], d['inact']))
            elif 'persistent' in fmt:
                out.append('  -> %-28s %-9u %-11u %-10u %-10u\n' % (dname, d['w'], d['pers'],
                                                                   d['act'], d['inact']))
            elif 'tun' in fmt:
                out.append('  -> %-28s %-7s %-13s %-6d %-10u %-10u\n' % (
                    dname, 'Route', 'n/a', d['w'], d['act'], d['inact']))
            else:
                out.append('  -> %-28s %-7s %-6d %-10u %-10u\n' % (dname, 'Route', d['w'],
                                                                  d['act'], d['inact']))
    return ''.join(out)


# Connections: proto, state name, expire, client, cport, vip, vport, server, sport, lcore
CONNS = [
    ('TCP', 'ESTABLISHED', 900, '192.0.2.1', 51234, '10.0.0.100', 80, '10.0.1.11', 80, 1),
    ('TCP', 'SYN_RECV', 59, '198.51.100.200', 1, '10.0.0.100', 80, '10.0.1.12', 80, 2),
    ('TCP', 'FIN_WAIT', 3725, '192.0.2.1', 65535, '10.0.0.100', 80, '10.0.1.11', 80, 1),
    ('TCP', 'NONE', 0, '192.0.2.0', 0, '10.0.0.100', 80, '10.0.1.11', 80, 1),
    ('TCP', 'ASSURED', 359999, '192.0.2.0', 0, '10.0.0.100', 80, '10.0.1.11', 80, 2),
    ('UDP', 'UDP', 300, '203.0.113.9', 5353, '10.0.0.100', 53, '10.0.1.12', 53, 2),
    # templates show their template state, whatever their protocol
    ('UDP', 'NONE', 360, '203.0.113.0', 0, '10.0.0.100', 53, '10.0.1.12', 53, 2),
    ('UDP', 'ASSURED', 1, '198.51.100.0', 0, '10.0.0.100', 53, '10.0.1.12', 53, 1),
]


def conns(lcore=False, persistent=False):
    out = ['IPVS connection entries\n']
    if persistent:
        # the persistence-engine columns; lbd's entries have no engine data,
        # so their rows are the usual ones
        out.append('pro expire %-11s %-18s %-18s %-18s %-16s %s\n' % (
            'state', 'source', 'virtual', 'destination', 'pe name', 'pe_data'))
    elif lcore:
        out.append('pro expire %-11s %-18s %-18s %-18s %s\n' % ('state', 'source', 'virtual',
                                                              'destination', 'lcore'))
    else:
        out.append('pro expire %-11s %-18s %-18s %s\n' % ('state', 'source', 'virtual',
                                                        'destination'))
    for (p, st, exp, c, cp, v, vp, d, dp, lc) in CONNS:
        e = '%02d:%02d' % (exp // 60, exp % 60)
        cn, vn, dn = '%s:%d' % (c, cp), '%s:%d' % (v, vp), '%s:%d' % (d, dp)
        if lcore:
            out.append('%-3s %-6s %-11s %-18s %-18s %-18s %u\n' % (p, e, st, cn, vn, dn, lc))
        else:
            out.append('%-3s %-6s %-11s %-18s %-18s %s\n' % (p, e, st, cn, vn, dn))
    return ''.join(out)


# IPv6 entries, two IPv4 ones among them (lbd lists both families in one
# table): same columns as CONNS.
CONNS6 = [
    ('TCP', 'ESTABLISHED', 900, '2001:db8:ffff::1', 51234, '2001:db8::100', 80,
     '2001:db8::11', 80, 1),
    ('TCP', 'SYN_RECV', 59, '2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff', 65535, '2001:db8::100',
     80, '2001:db8::12', 80, 2),
    ('TCP', 'ESTABLISHED', 900, '192.0.2.1', 51234, '10.0.0.100', 80, '10.0.1.11', 80, 1),
    ('TCP', 'FIN_WAIT', 3725, 'fe80::1', 1, 'fd00:1:2:3:4:5:6:7', 443, 'fd00:1:2:3:4:5:6:8',
     443, 1),
    ('TCP', 'NONE', 0, '2001:db8:ffff::', 0, '2001:db8::100', 80, '2001:db8::11', 80, 1),
    ('TCP', 'ESTABLISHED', 12, '::ffff:192.0.2.1', 4000, '2001:db8::100', 80, '2001:db8::11',
     80, 2),
    ('UDP', 'UDP', 300, '2001:db8:1::9', 5353, '2001:db8::100', 53, '2001:db8::12', 53, 2),
    ('UDP', 'ASSURED', 1, '2001:db8:1::', 0, '2001:db8::100', 53, '2001:db8::12', 53, 1),
    ('UDP', 'UDP', 299, '203.0.113.9', 5353, '10.0.0.100', 53, '10.0.1.12', 53, 2),
]


def proc_conn_line(p, st, exp, c, cp, v, vp, d, dp):
    """A line of /proc/net/ip_vs_conn as the kernel writes it
    (ip_vs_conn_seq_show): IPv6 as %pI6, eight 4-digit groups, IPv4 as %08X,
    ports as %04X."""
    def a(x):
        if is6(x):
            return ':'.join('%04x' % w for w in
                            struct.unpack('!8H', socket.inet_pton(socket.AF_INET6, x)))
        return '%08X' % words(x)[0]
    return '%-3s %s %04X %s %04X %s %04X %-11s %7u\n' % (p, a(c), cp, a(v), vp, a(d), dp,
                                                       st, exp)


def ipvsadm_conn_row(line):
    """ipvsadm's print_conn of that line with -n: each address read back with
    inet_pton (hex for IPv4), then printed by addrport_to_anyname."""
    p, c, cp, v, vp, d, dp, st, exp = line.split()[:9]

    def back(x, port):
        port = int(port, 16)
        try:
            return addrport(socket.inet_ntop(socket.AF_INET6,
                                             socket.inet_pton(socket.AF_INET6, x)), port)
        except OSError:
            return addrport(socket.inet_ntoa(struct.pack('!I', int(x, 16))), port)
    exp = int(exp)
    return (p, '%02d:%02d' % (exp // 60, exp % 60), st, back(c, cp), back(v, vp),
            back(d, dp))


def conns6(lcore=False, persistent=False):
    out = ['IPVS connection entries\n']
    if persistent:
        out.append('pro expire %-11s %-18s %-18s %-18s %-16s %s\n' % (
            'state', 'source', 'virtual', 'destination', 'pe name', 'pe_data'))
    elif lcore:
        out.append('pro expire %-11s %-18s %-18s %-18s %s\n' % ('state', 'source', 'virtual',
                                                              'destination', 'lcore'))
    else:
        out.append('pro expire %-11s %-18s %-18s %s\n' % ('state', 'source', 'virtual',
                                                        'destination'))
    for (p, st, exp, c, cp, v, vp, d, dp, lc) in CONNS6:
        row = ipvsadm_conn_row(proc_conn_line(p, st, exp, c, cp, v, vp, d, dp))
        if lcore:
            out.append('%-3s %-6s %-11s %-18s %-18s %-18s %u\n' % (row + (lc,)))
        else:
            out.append('%-3s %-6s %-11s %-18s %-18s %s\n' % row)
    return ''.join(out)


FILES = {
    'list.txt': listing(set()),
    'list_stats.txt': listing({'stats'}),
    'list_stats_exact.txt': listing({'stats', 'exact'}),
    'list_rate.txt': listing({'rate'}),
    'list_rate_exact.txt': listing({'rate', 'exact'}),
    'list_thresholds.txt': listing({'thresholds'}),
    'list_persistent_conn.txt': listing({'persistent'}),
    'list_tun_info.txt': listing({'tun'}),
    'list_one_service.txt': listing(set(), version=False, only=1),
    'save.txt': listing({'rule'}),
    'conns.txt': conns(),
    'conns_lcore.txt': conns(lcore=True),
    'conns_persistent_conn.txt': conns(persistent=True),
    'timeout.txt': 'Timeout (tcp tcpfin udp): %d %d %d\n' % (900, 120, 300),
    'list6.txt': listing(set(), services=SERVICES6),
    'list6_stats.txt': listing({'stats'}, services=SERVICES6),
    'list6_stats_exact.txt': listing({'stats', 'exact'}, services=SERVICES6),
    'list6_rate.txt': listing({'rate'}, services=SERVICES6),
    'list6_rate_exact.txt': listing({'rate', 'exact'}, services=SERVICES6),
    'list6_thresholds.txt': listing({'thresholds'}, services=SERVICES6),
    'list6_persistent_conn.txt': listing({'persistent'}, services=SERVICES6),
    'list6_tun_info.txt': listing({'tun'}, services=SERVICES6),
    'list6_one_service.txt': listing(set(), version=False, only=1, services=SERVICES6),
    'list6_nosort.txt': listing({'nosort'}, services=SERVICES6),
    'save6.txt': listing({'rule'}, services=SERVICES6),
    'conns6.txt': conns6(),
    'conns6_lcore.txt': conns6(lcore=True),
    'conns6_persistent_conn.txt': conns6(persistent=True),
}

for name, text in FILES.items():
    with open(os.path.join(here, name), 'w') as f:
        f.write(text)
    print('wrote', name)
