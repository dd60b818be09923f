# SPDX-License-Identifier: BSD-3-Clause
"""Shared by the control-plane tests: frames and pcaps written by hand (no
scapy), a running lbd on a net_pcap port, lbadm as a subprocess, checks."""
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

LB_MAC = "02:00:00:00:00:02"
CLIENT_MAC = "02:00:00:00:00:c1"

failures = []


def check(cond, what):
    if cond:
        print("ok   " + what)
    else:
        print("FAIL " + what)
        failures.append(what)
    return cond


# ---- frames and pcaps ----

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def ip_frame(src, dst, proto, l4):
    sa, da = socket.inet_aton(src), socket.inet_aton(dst)
    ph = sa + da + struct.pack("!BBH", 0, proto, len(l4))
    off = 16 if proto == 6 else 6
    l4 = l4[:off] + struct.pack("!H", csum(ph + l4)) + l4[off + 2:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0, 64, proto, 0, sa, da)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return mac(LB_MAC) + mac(CLIENT_MAC) + b"\x08\x00" + ip + l4


def tcp_frame(src, sport, dst, dport, flags):
    return ip_frame(src, dst, 6,
                    struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, 5 << 4, flags, 65535, 0, 0))


def udp_frame(src, sport, dst, dport, payload=b"hello"):
    return ip_frame(src, dst, 17, struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload)


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for fr in frames:
            f.write(struct.pack("<IIII", 0, 0, len(fr), len(fr)) + fr)


# ---- lbd and lbadm ----

class Lbd:
    """lbd on net_pcap0 reading frames (over and over when infinite), run in a
    fresh directory that @DIR@ in conf_text names."""

    def __init__(self, build, conf_text, frames, infinite=True):
        self.build = build
        self.dir = tempfile.mkdtemp(prefix="lbd-ctl-")
        os.chmod(self.dir, 0o755)    # an unprivileged client must reach the socket
        self.sock = os.path.join(self.dir, "lbd.sock")
        conf = os.path.join(self.dir, "lbd.conf")
        with open(conf, "w") as f:
            f.write(conf_text.replace("@DIR@", self.dir))
        inp = os.path.join(self.dir, "in.pcap")
        write_pcap(inp, frames)
        vdev = "net_pcap0,rx_pcap=%s,tx_pcap=/dev/null" % inp
        if infinite:
            vdev += ",infinite_rx=1"
        cmd = [os.path.join(build, "lbd"), "-l", "0-1", "--no-huge", "--no-pci",
               "--file-prefix", "lbdctl%d" % os.getpid(), "--vdev=" + vdev, "--", "-f", conf]
        self.log = open(os.path.join(self.dir, "lbd.log"), "w+")
        self.p = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(100):
            if os.path.exists(self.sock) or self.p.poll() is not None:
                break
            time.sleep(0.1)
        if not os.path.exists(self.sock):
            self.log.seek(0)
            raise SystemExit("lbd did not come up:\n" + self.log.read())

    def alive(self):
        return self.p.poll() is None

    def lbadm(self, *args, **kw):
        return lbadm(self.build, *args, sock=self.sock, **kw)

    def stop(self):
        """SIGINT; returns (exit status, log, counters it logged at exit)."""
        self.p.send_signal(signal.SIGINT)
        try:
            rc = self.p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = "hung"
        self.log.seek(0)
        text = self.log.read()
        shutil.rmtree(self.dir, ignore_errors=True)
        counters = {m.group(1): int(m.group(2))
                    for m in re.finditer(r"counter (\S+) (\d+)", text)}
        return rc, text, counters


def lbadm(build, *args, stdin=None, user=None, env_sock=None, sock=None):
    """(exit status, stdout, stderr) of lbadm; user = (uid, gid) runs it as them."""
    cmd = [os.path.join(build, "lbadm"), *args]
    if user is not None:
        cmd = ["setpriv", "--reuid=%d" % user[0], "--regid=%d" % user[1],
               "--clear-groups", *cmd]
    env = dict(os.environ)
    env.pop("LBD_SOCKET", None)
    if env_sock is not None:
        env["LBD_SOCKET"] = env_sock
    elif sock is not None:
        env["LBD_SOCKET"] = sock
    r = subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=env, timeout=30)
    return r.returncode, r.stdout, r.stderr


def accounted(counters):
    """Every frame received ends forwarded, replied, handed over or dropped."""
    drops = sum(v for k, v in counters.items() if k.startswith("drop."))
    return counters.get("rx", 0) > 0 and counters["rx"] == (
        counters["fwd"] + counters["reply"] + counters["to_control"] + drops)
