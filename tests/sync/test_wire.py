#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""lbd's IPVS sync messages against an encoder and decoder of this file's
own, written from the kernel's layouts (struct ip_vs_sync_mesg, ip_vs_sync_v4,
ip_vs_sync_v6, ip_vs_sync_mesg_v0, ip_vs_sync_conn_v0 in ip_vs_sync.c) and
its receive rules (ip_vs_process_message, ip_vs_proc_sync_conn):

  encode      records lbd packs are the bytes this encoder makes, datagram by
              datagram, split at the same sync_maxlen and 255 records
  decode      what this encoder makes (version 1 with and without options,
              templates, version 0 with and without sequence data) lbd reads
              back field for field
  malformed   every way a datagram or record can be wrong: lbd takes what
              the kernel would take and counts the rest under the reason
              stated here, case by case
  random      random and bit-flipped datagrams: lbd never fails, and agrees
              with this decoder on what it takes and drops

usage: test_wire.py SYNC_WIRE_TOOL
"""
import json
import random
import socket
import struct
import subprocess
import sys

TOOL = None
TCP, UDP = 6, 17
F_DROUTE, F_NOOUTPUT, F_INACTIVE, F_TEMPLATE = 0x3, 0x80, 0x100, 0x1000
F_SEQ_MASK, F_HASHED = 0x600, 0x40


def rec(caddr="192.0.2.1", cport=40000, vaddr="10.0.0.100", vport=80, daddr="10.0.0.11",
        dport=80, proto=TCP, state=1, flags=F_DROUTE | F_NOOUTPUT, timeout=900, fwmark=0):
    return dict(caddr=caddr, cport=cport, vaddr=vaddr, vport=vport, daddr=daddr,
                dport=dport, proto=proto, state=state, flags=flags, timeout=timeout,
                fwmark=fwmark)


# ---- this file's encoder ----

def v4_record(r, options=b"", size=None, version=0, rtype=0):
    """struct ip_vs_sync_v4 (36 bytes) and options; padded to 4 bytes."""
    length = 36 + len(options) if size is None else size
    body = struct.pack(">BBHIHHHHII4s4s4s", rtype, r["proto"], version << 12 | length,
                       r["flags"], r["state"], r["cport"], r["vport"], r["dport"],
                       r["fwmark"], r["timeout"], socket.inet_aton(r["caddr"]),
                       socket.inet_aton(r["vaddr"]), socket.inet_aton(r["daddr"])) + options
    return body + b"\0" * (-len(body) % 4)


def v6_record(r):
    """struct ip_vs_sync_v6: the same 24 bytes, then three 16-byte addresses."""
    return struct.pack(">BBHIHHHHII", 1, r["proto"], 72, r["flags"], r["state"], r["cport"],
                       r["vport"], r["dport"], r["fwmark"], r["timeout"]) + bytes(48)


def v1_message(records, syncid=0, n=None, reserved=0, version=1, spare=0, size=None):
    body = b"".join(records)
    n = len(records) if n is None else n
    total = 8 + len(body) if size is None else size
    return struct.pack(">BBHBbH", reserved, syncid, total, n, version, spare) + body


def v0_record(r, seq=None):
    flags = r["flags"] | (0x200 if seq is not None else 0)
    b = struct.pack(">BBHHH4s4s4sHH", 0, r["proto"], r["cport"], r["vport"], r["dport"],
                    socket.inet_aton(r["caddr"]), socket.inet_aton(r["vaddr"]),
                    socket.inet_aton(r["daddr"]), flags, r["state"])
    return b + (seq if seq is not None else b"")


def v0_message(records, syncid=0, n=None, size=None):
    body = b"".join(records)
    n = len(records) if n is None else n
    return struct.pack(">BBH", n, syncid, 4 + len(body) if size is None else size) + body


def encode(records, syncid, maxlen):
    """What the kernel's master sends for these records: full datagrams."""
    out, cur = [], []
    for r in records:
        if 8 + 36 * (len(cur) + 1) > maxlen or len(cur) == 255:
            out.append(v1_message([v4_record(x) for x in cur], syncid))
            cur = []
        cur.append(r)
    if cur:
        out.append(v1_message([v4_record(x) for x in cur], syncid))
    return out


# ---- this file's decoder: the kernel's rules ----

def decode(d, syncid=0):
    """(records taken, {drop reason: count}) for datagram d."""
    taken, drop = [], {}

    def count(why):
        drop[why] = drop.get(why, 0) + 1

    def check(r):
        if r["flags"] & F_TEMPLATE:
            return True
        if r["proto"] not in (TCP, UDP):
            count("proto")
            return False
        if r["state"] >= (11 if r["proto"] == TCP else 1):
            count("state")
            return False
        return True

    if len(d) < 4:
        count("short")
        return taken, drop
    if struct.unpack(">H", d[2:4])[0] != len(d):
        count("size")
        return taken, drop
    if syncid and d[1] != syncid:
        count("syncid")
        return taken, drop
    if len(d) >= 8 and d[5] == 1 and d[0] == 0 and d[6:8] == b"\0\0":
        off = 8
        for _ in range(d[4]):
            if len(d) - off < 36:
                count("truncated")
                break
            vs = struct.unpack(">H", d[off + 2:off + 4])[0]
            size = vs & 0xfff
            if size > len(d) - off:
                count("truncated")
                break
            if vs >> 12:
                count("rec_version")
                break
            if size < 36:
                count("malformed")
                break
            body = d[off:off + size]
            if body[0] & 1:
                if size < 72:
                    count("malformed")
                    break
                count("ipv6")
                off = min(off + ((size + 3) & ~3), len(d))
                continue
            if body[0]:
                count("malformed")
                break
            p, seen, bad, skip = 36, set(), False, False
            while p < size:
                if size - p < 2 or body[p + 1] == 0 or size - p - 2 < body[p + 1]:
                    bad = True
                    break
                t, ln = body[p] & ~0x40, body[p + 1]
                if t in (1, 2, 3):
                    if t in seen or (t == 1 and ln != 24) or (t == 2 and ln > 255) or \
                            (t == 3 and ln > 16):
                        bad = True
                        break
                    seen.add(t)
                elif not body[p] & 0x40:
                    skip = True
                    break
                p += 2 + ln
            if bad:
                count("malformed")
                break
            if skip:
                count("option")
            else:
                (_, proto, _, flags, state, cport, vport, dport, fwmark, timeout,
                 ca, va, da) = struct.unpack(">BBHIHHHHII4s4s4s", body[:36])
                r = dict(version=1, proto=proto, flags=flags, state=state, cport=cport,
                         vport=vport, dport=dport, fwmark=fwmark, timeout=timeout,
                         caddr=socket.inet_ntoa(ca), vaddr=socket.inet_ntoa(va),
                         daddr=socket.inet_ntoa(da))
                if check(r):
                    taken.append(r)
            off = min(off + ((size + 3) & ~3), len(d))
    else:
        off = 4
        for _ in range(d[0]):
            if len(d) - off < 24:
                count("truncated")
                break
            (_, proto, cport, vport, dport, ca, va, da, flags, state) = struct.unpack(
                ">BBHHH4s4s4sHH", d[off:off + 24])
            off += 24
            if flags & F_SEQ_MASK:
                if len(d) - off < 24:
                    count("truncated")
                    break
                off += 24
            r = dict(version=0, proto=proto, flags=flags & ~F_HASHED, state=state,
                     cport=cport, vport=vport, dport=dport, fwmark=0, timeout=0,
                     caddr=socket.inet_ntoa(ca), vaddr=socket.inet_ntoa(va),
                     daddr=socket.inet_ntoa(da))
            if check(r):
                taken.append(r)
    return taken, drop


# ---- lbd's ----

def lbd_decode(datagrams, syncid=0):
    p = subprocess.run([TOOL, "decode", str(syncid)], input="".join(d.hex() + "\n"
                       for d in datagrams), capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError("decode: exit %d: %s" % (p.returncode, p.stderr))
    out = [json.loads(line) for line in p.stdout.splitlines()]
    assert len(out) == len(datagrams), "%d answers for %d datagrams" % (len(out),
                                                                        len(datagrams))
    return out


def lbd_encode(records, syncid, maxlen):
    lines = "".join("%(caddr)s %(cport)d %(vaddr)s %(vport)d %(daddr)s %(dport)d %(proto)d "
                    "%(state)d %(flags)d %(timeout)d %(fwmark)d\n" % r for r in records)
    p = subprocess.run([TOOL, "encode", str(syncid), str(maxlen)], input=lines,
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError("encode: exit %d: %s" % (p.returncode, p.stderr))
    return [bytes.fromhex(x) for x in p.stdout.split()]


def same(d, got, syncid=0, what=""):
    want_conns, want_drop = decode(d, syncid)
    assert got["conns"] == want_conns, "%s: lbd took %s, want %s" % (what, got["conns"],
                                                                     want_conns)
    assert got["drop"] == want_drop, "%s: lbd dropped %s, want %s" % (what, got["drop"],
                                                                      want_drop)


# ---- the tests ----

def many(n, seed=1):
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        tmpl = rnd.random() < 0.1
        proto = rnd.choice((TCP, UDP))
        out.append(rec(caddr="198.51.%d.%d" % (i >> 8 & 255, i & 255),
                       cport=0 if tmpl else rnd.randrange(1024, 65536),
                       vaddr="10.0.0.%d" % rnd.randrange(1, 255), vport=rnd.choice((80, 443, 53)),
                       daddr="10.0.1.%d" % rnd.randrange(1, 255), dport=rnd.choice((80, 8080)),
                       proto=proto, state=rnd.randrange(2) if tmpl else
                       (rnd.randrange(11) if proto == TCP else 0),
                       flags=F_DROUTE | F_NOOUTPUT | (F_TEMPLATE if tmpl else 0) |
                       (F_INACTIVE if rnd.random() < 0.3 else 0),
                       timeout=rnd.choice((900, 120, 60, 300, 10, 0x7fffffff)),
                       fwmark=rnd.choice((0, 0, 7, 0xffffffff))))
    return out


def test_encode():
    recs = many(700)
    for syncid, maxlen in ((0, 1472), (7, 1472), (255, 44), (1, 9000), (3, 65507)):
        got = lbd_encode(recs, syncid, maxlen)
        want = encode(recs, syncid, maxlen)
        assert len(got) == len(want), "maxlen %d: %d datagrams, want %d" % (
            maxlen, len(got), len(want))
        for i, (g, w) in enumerate(zip(got, want)):
            assert g == w, "maxlen %d, datagram %d differs at byte %d" % (
                maxlen, i, next(j for j in range(min(len(g), len(w))) if g[j] != w[j])
                if len(g) == len(w) else -1)
        back = [c for d in got for c in decode(d, syncid)[0]]
        assert [{k: v for k, v in c.items() if k != "version"} for c in back] == recs
    # 1472 bytes: 40 records a datagram, as the kernel's default sync_maxlen
    assert len(encode(recs[:40], 0, 1472)) == 1
    assert len(lbd_encode(recs[:41], 0, 1472)) == 2
    return "700 records, 5 sync_maxlen: byte for byte"


def test_decode():
    recs = many(60, seed=2)
    seq = bytes(range(24))
    cases = [
        ("v1", v1_message([v4_record(r) for r in recs[:30]])),
        ("v1 syncid", v1_message([v4_record(r) for r in recs[30:40]], syncid=9)),
        ("v1 seq option", v1_message([v4_record(recs[0], b"\x01\x18" + seq)])),
        ("v1 pe options", v1_message([v4_record(recs[1], b"\x03\x03sip\x02\x05abcde")])),
        ("v1 skippable option", v1_message([v4_record(recs[2], b"\x45\x02ab")])),
        ("v0", v0_message([v0_record(r) for r in recs[40:50]])),
        ("v0 seq", v0_message([v0_record(recs[50], seq), v0_record(recs[51])])),
        ("v0 hashed flag", v0_message([v0_record(dict(recs[52], flags=0x43))])),
        ("template", v1_message([v4_record(rec(cport=0, state=1,
                                                flags=F_DROUTE | F_TEMPLATE))])),
        ("template any state", v1_message([v4_record(rec(state=77, flags=F_TEMPLATE))])),
    ]
    got = lbd_decode([d for _, d in cases], 0)
    got[1] = lbd_decode([cases[1][1]], 9)[0]
    for (what, d), g in zip(cases, got):
        same(d, g, 9 if what == "v1 syncid" else 0, what)
        assert not g["drop"], "%s: dropped %s" % (what, g["drop"])
        assert g["msgs"] == 1
    assert len(got[0]["conns"]) == 30 and got[0]["conns"][5]["caddr"] == recs[5]["caddr"]
    assert got[0]["conns"][5]["timeout"] == recs[5]["timeout"]
    assert all(c["version"] == 0 and c["timeout"] == 0 for c in got[5]["conns"])
    assert len(got[6]["conns"]) == 2 and got[6]["conns"][1]["cport"] == recs[51]["cport"]
    assert got[7]["conns"][0]["flags"] == 0x03
    return "%d datagrams: v1, options, templates, v0" % len(cases)


def test_malformed():
    r = rec()
    ok = v4_record(r)
    cases = [
        # (what, datagram, syncid, records taken, {reason: count})
        ("empty", b"", 0, 0, {"short": 1}),
        ("3 bytes", b"\0\0\0", 0, 0, {"short": 1}),
        ("size too big", v1_message([ok], size=100), 0, 0, {"size": 1}),
        ("size too small", v1_message([ok], size=8), 0, 0, {"size": 1}),
        ("other syncid", v1_message([ok], syncid=3), 4, 0, {"syncid": 1}),
        ("count past the end", v1_message([ok], n=2), 0, 1, {"truncated": 1}),
        ("record past the end", v1_message([ok[:-4]], n=1), 0, 0, {"truncated": 1}),
        ("record length past the end", v1_message([v4_record(r, size=80)]), 0, 0,
         {"truncated": 1}),
        ("record version 1", v1_message([v4_record(r, version=1), ok]), 0, 0,
         {"rec_version": 1}),
        ("record length 20", v1_message([v4_record(r, size=20), ok]), 0, 0,
         {"malformed": 1}),
        ("record type 2", v1_message([v4_record(r, rtype=2), ok]), 0, 0, {"malformed": 1}),
        ("option of length 0", v1_message([v4_record(r, b"\x01\x00\0\0"), ok]), 0, 0,
         {"malformed": 1}),
        ("option past the record", v1_message([v4_record(r, b"\x02\x09abc"), ok]), 0, 0,
         {"malformed": 1}),
        ("seq option of 20", v1_message([v4_record(r, b"\x01\x14" + bytes(20)), ok]), 0, 0,
         {"malformed": 1}),
        ("seq option twice", v1_message([v4_record(r, (b"\x01\x18" + bytes(24)) * 2), ok]),
         0, 0, {"malformed": 1}),
        ("pe name of 17", v1_message([v4_record(r, b"\x03\x11" + bytes(17)), ok]), 0, 0,
         {"malformed": 1}),
        ("one byte of option", v1_message([v4_record(r, b"\x01"), ok]), 0, 0,
         {"malformed": 1}),
        ("mandatory unknown option", v1_message([v4_record(r, b"\x05\x02ab"), ok]), 0, 1,
         {"option": 1}),
        ("ipv6 record", v1_message([v6_record(r), ok]), 0, 1, {"ipv6": 1}),
        ("short ipv6 record", v1_message([v4_record(r, size=40, rtype=1), ok]), 0, 0,
         {"malformed": 1}),
        ("sctp", v1_message([v4_record(rec(proto=132)), ok]), 0, 1, {"proto": 1}),
        ("tcp state 11", v1_message([v4_record(rec(state=11)), ok]), 0, 1, {"state": 1}),
        ("udp state 1", v1_message([v4_record(rec(proto=UDP, state=1)), ok]), 0, 1,
         {"state": 1}),
        ("v0 record past the end", v0_message([v0_record(r)[:20]], n=1), 0, 0,
         {"truncated": 1}),
        ("v0 seq past the end", v0_message([v0_record(r, bytes(10))]), 0, 0,
         {"truncated": 1}),
        ("v0 bad state", v0_message([v0_record(rec(state=12)), v0_record(r)]), 0, 1,
         {"state": 1}),
        ("v1 with reserved 1 is v0", v1_message([ok], reserved=1), 0, None, None),
        ("v1 with spare set is v0", v1_message([ok], spare=1), 0, None, None),
    ]
    got = [lbd_decode([d], sid)[0] for _, d, sid, _, _ in cases]
    for (what, d, sid, n, drop), g in zip(cases, got):
        same(d, g, sid, what)
        if n is not None:
            assert len(g["conns"]) == n, "%s: %d records taken, want %d" % (
                what, len(g["conns"]), n)
            assert g["drop"] == drop, "%s: drops %s, want %s" % (what, g["drop"], drop)
    return "%d cases, each counted under its reason" % len(cases)


def test_random():
    rnd = random.Random(5)
    base = [v1_message([v4_record(r) for r in many(5, seed=s)]) for s in range(20)]
    base += [v0_message([v0_record(r) for r in many(5, seed=s)]) for s in range(20, 30)]
    ds = []
    for _ in range(3000):
        d = bytearray(rnd.choice(base))
        for _ in range(rnd.randrange(1, 6)):
            d[rnd.randrange(len(d))] ^= 1 << rnd.randrange(8)
        if rnd.random() < 0.5:          # keep the size right, to reach the records
            d[2:4] = struct.pack(">H", len(d))
        if rnd.random() < 0.2:
            d = d[:rnd.randrange(len(d) + 1)]
            if len(d) >= 4:
                d[2:4] = struct.pack(">H", len(d))
        ds.append(bytes(d))
    ds += [bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 300))) for _ in range(1000)]
    got = lbd_decode(ds)
    for i, (d, g) in enumerate(zip(ds, got)):
        same(d, g, 0, "datagram %d (%s)" % (i, d.hex()))
    taken = sum(len(g["conns"]) for g in got)
    return "%d datagrams, %d records taken, the rest counted alike" % (len(ds), taken)


TESTS = [("encode", test_encode), ("decode", test_decode), ("malformed", test_malformed),
         ("random", test_random)]


def main():
    global TOOL
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    TOOL = sys.argv[1]
    failed = 0
    for name, fn in TESTS:
        try:
            print("ok   %-10s %s" % (name, fn()), flush=True)
        except AssertionError as e:
            print("FAIL %-10s %s" % (name, e), flush=True)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
