# SPDX-License-Identifier: BSD-3-Clause
"""Ethernet/IPv4/TCP/UDP frames and classic pcap files, with struct only.

The control-plane tests (tests/ctl) and the benchmarks (tests/bench) feed lbd
through net_pcap ports from pcap files they write themselves, without scapy
(the benchmarks write up to a million frames and more, for which scapy is
much slower). This is the one place where they build frames and write pcaps.
Frames are built inside out:

    ether(dst_mac, src_mac, ipv4(src, dst, TCP, tcp(src, dst, sport, dport, SYN)))

Addresses are strings ("10.0.0.1", "02:00:00:00:00:01") or already packed
bytes (4 and 6 of them), which saves the conversion in loops of many frames.
Every field not given has a fixed value, so the same call writes the same
bytes. write_pcap() writes a pcap of such frames (microsecond timestamps, all
zero; link type Ethernet).
"""
import socket
import struct

ETH_IPV4 = 0x0800
TCP = 6
UDP = 17
# TCP flags
FIN, SYN, RST, PSH, ACK, URG = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
# IPv4 flags and fragment offset field: don't fragment
DF = 0x4000
ETH_MIN = 60            # the shortest Ethernet frame, without its FCS

LINKTYPE_ETHERNET = 1
_PCAP_HEADER = struct.Struct("<IHHiIII")
_PCAP_RECORD = struct.Struct("<IIII")
_IPV4 = struct.Struct("!BBHHHBBH4s4s")
_TCP = struct.Struct("!HHIIBBHHH")
_UDP = struct.Struct("!HHHH")


def csum(data):
    """The Internet checksum (RFC 1071) of data, odd lengths padded with 0."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def mac(addr):
    """6 bytes of a MAC given as "xx:xx:xx:xx:xx:xx" (bytes are returned as is)."""
    if isinstance(addr, (bytes, bytearray)):
        return bytes(addr)
    return bytes(int(x, 16) for x in addr.split(":"))


def ip4(addr):
    """4 bytes of an IPv4 address given as "a.b.c.d" (bytes are returned as is)."""
    if isinstance(addr, (bytes, bytearray)):
        return bytes(addr)
    return socket.inet_aton(addr)


def ether(dst, src, payload, ethertype=ETH_IPV4):
    """An Ethernet II frame (no FCS): dst and src MACs, ethertype, payload."""
    return mac(dst) + mac(src) + struct.pack("!H", ethertype) + payload


def ipv4(src, dst, proto, payload, ident=0, frag=0, ttl=64, tos=0):
    """An IPv4 packet with a 20-byte header, its checksum filled in; frag is
    the whole flags and fragment offset field (DF for don't fragment)."""
    hdr = _IPV4.pack(0x45, tos, 20 + len(payload), ident, frag, ttl, proto, 0,
                     ip4(src), ip4(dst))
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + payload


def _pseudo(src, dst, proto, length):
    return ip4(src) + ip4(dst) + struct.pack("!BBH", 0, proto, length)


def tcp(src, dst, sport, dport, flags, seq=0, ack=0, window=65535, payload=b"",
        checksum=True):
    """A TCP segment with a 20-byte header. src and dst (the IPv4 addresses)
    are for the checksum over the pseudo-header; checksum=False leaves it 0."""
    seg = _TCP.pack(sport, dport, seq, ack, 5 << 4, flags, window, 0, 0) + payload
    if checksum:
        c = csum(_pseudo(src, dst, TCP, len(seg)) + seg)
        seg = seg[:16] + struct.pack("!H", c) + seg[18:]
    return seg


def udp(src, dst, sport, dport, payload=b"", checksum=True):
    """A UDP datagram. src and dst (the IPv4 addresses) are for the checksum
    over the pseudo-header; checksum=False leaves it 0 (none)."""
    dgram = _UDP.pack(sport, dport, 8 + len(payload), 0) + payload
    if checksum:
        c = csum(_pseudo(src, dst, UDP, len(dgram)) + dgram)
        dgram = dgram[:6] + struct.pack("!H", c) + dgram[8:]
    return dgram


def pad(frame, size=ETH_MIN):
    """frame followed by zeros up to size bytes (Ethernet's minimum by default)."""
    return frame + bytes(size - len(frame)) if len(frame) < size else frame


def write_pcap(path, frames, snaplen=65535, linktype=LINKTYPE_ETHERNET):
    """Write the frames (any iterable of bytes) to a classic pcap file at path,
    every timestamp 0; returns how many there were."""
    n = 0
    with open(path, "wb") as f:
        f.write(_PCAP_HEADER.pack(0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype))
        chunk = []
        for fr in frames:
            chunk.append(_PCAP_RECORD.pack(0, 0, len(fr), len(fr)))
            chunk.append(fr)
            if len(chunk) >= 1 << 17:
                f.write(b"".join(chunk))
                n += len(chunk) // 2
                chunk = []
        f.write(b"".join(chunk))
        n += len(chunk) // 2
    return n
