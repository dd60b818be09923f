#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpora of the control-socket, configuration and lbadm
fuzzers (tests/fuzz/fuzz_{ctl,config,lbadm}.c): valid inputs of each kind,
from which the fuzzer mutates.

ctl: requests as lb_api.h frames them (a 16-byte header: magic, version,
type, body length, id; then the body), one or several per input.
config: a selector byte (0: lbd's file, 1: keepalived.conf), then the file.
lbadm: NUL-separated command-line arguments.
"""
import os
import socket
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
MAGIC, VERSION = 0x4c424431, 6
(INFO, SVC_LIST, SVC_ADD, SVC_EDIT, SVC_DEL, DEST_ADD, DEST_EDIT, DEST_DEL, CLEAR, ZERO,
 TIMEOUT_GET, TIMEOUT_SET, CONN_LIST, COUNTERS, SYSCTL_GET, SYSCTL_SET, HEALTH,
 ANNOUNCE_LIST, ANNOUNCE_SET, SYNC_GET, SYNC_START, SYNC_STOP) = range(1, 23)


def req(t, body=b"", rid=1):
    return struct.pack("<IHHII", MAGIC, VERSION, t, len(body), rid) + body


AF_INET, AF_INET6 = 2, 10


def ip(s):
    """An address as lb_api.h carries it: 16 bytes, IPv4 in the first 4."""
    if ":" in s:
        return socket.inet_pton(socket.AF_INET6, s)
    return socket.inet_aton(s) + b"\0" * 12


def af(s):
    return AF_INET6 if ":" in s else AF_INET


def key(proto, vip, port):
    # proto, af, port, 4 bytes of padding, the address: 24 bytes
    return struct.pack("<BBH4x", proto, af(vip) if proto else 0, port) + ip(vip)


def svc(proto, vip, port, sched=b"wrr", flags=0, timeout=0, netmask=None):
    if netmask is None:
        nm = 128 if ":" in vip else 0xffffffff
    else:
        nm = netmask if isinstance(netmask, int) else struct.unpack("<I", socket.inet_aton(netmask))[0]
    out = (key(proto, vip, port) + sched.ljust(16, b"\0") +
           struct.pack("<IIIIII", 0, flags, timeout, nm, 0, 0) + b"\0" * 80)
    assert len(out) == 144
    return out


def dest(addr, port, weight=1):
    out = ip(addr) + struct.pack("<HHB3xIIIIII", port, 0, af(addr), weight, 0, 0, 0, 0, 0) + \
        b"\0" * 80
    assert len(out) == 128
    return out


def write(target, seeds):
    d = os.path.join(HERE, "seeds", target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    print("wrote %d seeds to %s" % (len(seeds), d))


ALL = key(0, "0.0.0.0", 0)
ctl = {
    "info": req(INFO),
    "list": req(SVC_LIST, ALL),
    "list_one": req(SVC_LIST, key(6, "10.0.0.100", 80)),
    "counters": req(COUNTERS),
    "conns": req(CONN_LIST, struct.pack("<IIII", 0, 0, 0, 0)),
    "timeouts": req(TIMEOUT_GET) + req(TIMEOUT_SET, struct.pack("<III", 900, 120, 300), 2),
    "sysctl": req(SYSCTL_GET) + req(SYSCTL_SET, struct.pack("<8i", 1, -1, -1, 1, -1, -1, -1, 50), 2),
    "health": req(HEALTH, ALL),
    "announce": req(ANNOUNCE_LIST) + req(ANNOUNCE_SET, ip("10.0.0.100")[:4] + struct.pack("<I", 0),
                                         2),
    "sync": req(SYNC_GET) + req(SYNC_STOP, struct.pack("<II", 0, 0) + b"\0" * 36, 2),
    "svc_add": req(SVC_ADD, svc(6, "10.9.0.1", 80)) +
               req(DEST_ADD, key(6, "10.9.0.1", 80) + dest("10.0.0.11", 80, 2), 2) +
               req(DEST_EDIT, key(6, "10.9.0.1", 80) + dest("10.0.0.11", 80, 5), 3) +
               req(DEST_DEL, key(6, "10.9.0.1", 80) + dest("10.0.0.11", 80), 4) +
               req(SVC_DEL, key(6, "10.9.0.1", 80), 5),
    "svc_edit": req(SVC_EDIT, svc(6, "10.0.0.100", 80, b"mh")),
    "svc6": req(SVC_ADD, svc(6, "2001:db8:9::1", 80, b"sh", 1, 300, 64)) +
            req(DEST_ADD, key(6, "2001:db8:9::1", 80) + dest("2001:db8::11", 80, 2), 2) +
            req(DEST_ADD, key(6, "2001:db8:9::1", 80) + dest("10.0.0.11", 80, 2), 3) +
            req(SVC_LIST, key(6, "2001:db8:9::1", 80), 4) +
            req(DEST_DEL, key(6, "2001:db8:9::1", 80) + dest("2001:db8::11", 80), 5) +
            req(SVC_DEL, key(6, "2001:db8:9::1", 80), 6),
    "zero": req(ZERO, ALL),
    "pipelined": b"".join(req(t, b"", i) for i, t in enumerate((INFO, COUNTERS, SYSCTL_GET), 1)),
    "bad_magic": struct.pack("<IHHII", 0x12345678, VERSION, INFO, 0, 1),
    "short_body": req(SVC_LIST, b"\0\0"),
}

with open(os.path.join(TOP, "tests", "core", "core.conf"), "rb") as f:
    core_conf = f.read()
with open(os.path.join(TOP, "conf", "lbd.conf"), "rb") as f:
    ref_conf = f.read()
kconf = os.path.join(TOP, "tests", "keepalived")
config = {
    "core": b"\0" + core_conf,
    "reference": b"\0" + ref_conf,
    "small": b"\0" + b'ports = ( { device = "net_null0"; address = "10.0.0.2/24"; } );\n'
                     b'services = ( { protocol = "tcp"; vip = "10.0.0.100"; port = 80;\n'
                     b'  real_servers = ( { address = "10.0.0.11"; weight = 2; } ); } );\n'
                     b'metrics = { listen = "127.0.0.1:9111"; };\n'
                     b'dataplane = { drop_entry = 1; defense_threshold = 80; };\n',
    "ipv6": b"\0" + b'ports = ( { device = "net_null0"; address = "10.0.0.2/24";\n'
                    b'  address6 = "2001:db8::2/64"; } );\n'
                    b'services = ( { protocol = "tcp"; vip = "2001:db8::100"; port = 443;\n'
                    b'  persistence = 300; netmask = "64"; sorry_server = "2001:db8::19";\n'
                    b'  real_servers = ( { address = "2001:db8::11"; } ); } );\n',
}
for root, _, files in os.walk(kconf):
    for name in sorted(files):
        if name.endswith(".conf") and len(config) < 12:
            with open(os.path.join(root, name), "rb") as f:
                config["keepalived_" + name[:-5]] = b"\1" + f.read()

lbadm = {name: b"\0".join(a.encode() for a in args) for name, args in {
    "list": ["-Ln"],
    "stats": ["-L", "-n", "--stats", "--exact"],
    "add": ["-A", "-t", "10.0.0.100:80", "-s", "wrr", "-p", "300", "-M", "255.255.255.0"],
    "dest": ["-a", "-t", "10.0.0.100:80", "-r", "10.0.0.11:80", "-g", "-w", "3", "-x", "100",
             "-y", "50"],
    "edit": ["-E", "-u", "10.0.0.100:53", "-s", "sh", "-b", "sh-port,sh-fallback"],
    "conns": ["-lnc", "--json"],
    "timeout": ["--set", "900", "120", "300"],
    "sysctl": ["--sysctl", "drop_entry=1"],
    "daemon": ["--start-daemon", "master", "--mcast-interface", "lo", "--syncid", "7",
               "--sync-maxlen", "1400", "--mcast-group", "224.0.0.81", "--mcast-port", "8848"],
    "health": ["--health", "-t", "10.0.0.100:80", "--json"],
    "announce": ["--withdraw", "10.0.0.100"],
    "restore": ["-R"],
    "zero": ["-Z", "-t", "10.0.0.100:80"],
    "add6": ["-A", "-t", "[2001:db8::100]:80", "-s", "sh", "-p", "300", "-M", "64"],
    "dest6": ["-a", "-t", "[2001:db8::100]:80", "-r", "[2001:db8::11]:80", "-w", "2"],
    "list6": ["-Ln", "-t", "[2001:db8::100]:80", "--stats"],
}.items()}

write("ctl", ctl)
write("config", config)
write("lbadm", lbadm)
