# SPDX-License-Identifier: BSD-3-Clause
"""Shared by the control-plane tests: client frames (tests/lib/pcapfile.py,
no scapy), a running lbd on a net_pcap port, lbadm as a subprocess, checks."""
import ctypes
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "lib"))
import pcapfile  # noqa: E402

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


# ---- frames ----

def tcp_frame(src, sport, dst, dport, flags):
    """A TCP segment (no payload) from the client to the director."""
    return pcapfile.ether(LB_MAC, CLIENT_MAC, pcapfile.ipv4(
        src, dst, pcapfile.TCP, pcapfile.tcp(src, dst, sport, dport, flags, seq=1000), ident=1))


def udp_frame(src, sport, dst, dport, payload=b"hello"):
    """A UDP datagram from the client to the director."""
    return pcapfile.ether(LB_MAC, CLIENT_MAC, pcapfile.ipv4(
        src, dst, pcapfile.UDP, pcapfile.udp(src, dst, sport, dport, payload), ident=1))


# ---- lbd and lbadm ----

class Lbd:
    """lbd on net_pcap0 reading frames (over and over when infinite), run in a
    fresh directory that @DIR@ in conf_text names."""

    def __init__(self, build, conf_text, frames, infinite=True, env=None):
        self.build = build
        self.dir = tempfile.mkdtemp(prefix="lbd-ctl-")
        os.chmod(self.dir, 0o755)    # an unprivileged client must reach the socket
        self.sock = os.path.join(self.dir, "lbd.sock")
        conf = os.path.join(self.dir, "lbd.conf")
        with open(conf, "w") as f:
            f.write(conf_text.replace("@DIR@", self.dir))
        inp = os.path.join(self.dir, "in.pcap")
        pcapfile.write_pcap(inp, frames)
        vdev = "net_pcap0,rx_pcap=%s,tx_pcap=/dev/null" % inp
        if infinite:
            vdev += ",infinite_rx=1"
        self.prefix = "lbdctl%d" % os.getpid()
        cmd = [os.path.join(build, "lbd"), "-l", "0-1", "--no-huge", "--no-pci",
               "--file-prefix", self.prefix, "--vdev=" + vdev, "--", "-f", conf]
        self.log = open(os.path.join(self.dir, "lbd.log"), "w+")
        self.p = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                  env=None if env is None else {**os.environ, **env})
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
        shutil.rmtree(dpdk_runtime_dir(self.prefix), ignore_errors=True)
        counters = {m.group(1): int(m.group(2))
                    for m in re.finditer(r"counter (\S+) (\d+)", text)}
        if rc != "hung":
            check(counters.get("mbufs_in_use") == 0, "lbd's mbufs all back in the pool at"
                  " exit (%s in use)" % counters.get("mbufs_in_use"))
        return rc, text, counters


def dpdk_runtime_dir(prefix):
    """The folder DPDK keeps for --file-prefix prefix (left behind at exit)."""
    base = "/var/run" if os.geteuid() == 0 else os.environ.get("XDG_RUNTIME_DIR", "/tmp")
    return os.path.join(base, "dpdk", prefix)


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
    # a guard against a hang, not a bound on speed: under ASan a batch of
    # thousands of changes (each a whole snapshot) runs several times slower
    r = subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=env,
                       timeout=120 if os.environ.get("LB_SANITIZED") else 30)
    return r.returncode, r.stdout, r.stderr


def accounted(counters):
    """Every frame received ends forwarded, replied, handed over or dropped."""
    drops = sum(v for k, v in counters.items() if k.startswith("drop."))
    return counters.get("rx", 0) > 0 and counters["rx"] == (
        counters["fwd"] + counters["reply"] + counters["to_control"] + drops)


# ---- a worker stopped while the rest of lbd runs on ----

_libc = ctypes.CDLL(None, use_errno=True)
_libc.ptrace.restype = ctypes.c_long
_libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
_PTRACE_DETACH, _PTRACE_SEIZE, _PTRACE_INTERRUPT = 17, 0x4206, 0x4207


def worker_tid(pid):
    """The thread id of lbd pid's (first) worker lcore."""
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
            if f.read().startswith("rte-worker"):
                return int(tid)
    raise SystemExit("no worker thread")


class WorkerStopped:
    """with WorkerStopped(pid): the worker thread is stopped (ptrace; a
    signal would stop every thread), and released at the end."""

    def __init__(self, pid):
        self.tid = worker_tid(pid)

    def __enter__(self):
        if (_libc.ptrace(_PTRACE_SEIZE, self.tid, None, None) != 0 or
                _libc.ptrace(_PTRACE_INTERRUPT, self.tid, None, None) != 0):
            raise SystemExit("cannot stop the worker thread (ptrace: %d)" % ctypes.get_errno())
        os.waitpid(self.tid, 0x40000000)     # __WALL: until it is stopped
        return self

    def __exit__(self, *exc):
        _libc.ptrace(_PTRACE_DETACH, self.tid, None, None)
        return False
