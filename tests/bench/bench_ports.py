#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""lbd through a real DPDK port, against testpmd on the same port and frames.

The port is net_pcap with rx_pcap=FILE,infinite_rx=1: the driver loads the
pcap into mbufs once and hands out copies of its frames in a loop, as fast as
the application polls; with no tx_pcap/tx_iface it counts and frees what is
sent. The pcap (written with tests/lib/pcapfile.py: SYNs, then ACKs, of N
flows, 64-byte frames) is the same for both programs:

  lbd      one worker lcore: parse, connection lookup, state, DR forwarding
  testpmd  --forward-mode=mac: the same layer-2 rewrite and nothing else, the
           ceiling of this path (the same driver, copies and frees)

Both run on the same CPUs (main lcore 0, forwarding lcore 1; with two
queues a third lcore shares CPU 0 with the main one, which sleeps). The rate
is read from DPDK telemetry (/ethdev/stats of port 0 over the telemetry
socket) over a fixed interval after a warm-up, so start-up is not counted.
Runs alternate (testpmd, lbd, testpmd, lbd, ...) so that a slow patch of the
machine hits both.

Memory: hugepages (--in-memory: 2 MiB pages with no files, what users run;
as root the script reserves them and gives them back) or --no-huge (4 KiB
pages). Without hugepages testpmd falls to a third of its rate (TLB misses
over the pool), which flatters any ratio against it: hugepage mode is the
headline, --no-huge the row any user can reproduce.

usage: bench_ports.py BUILD_DIR [FLOWS [WORKERS [ROUNDS [huge|nohuge]]]]
       prints one JSON object per run
"""
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "lib"))
import pcapfile  # noqa: E402

LB_MAC = bytes.fromhex("020000000002")
CLIENT_MAC = bytes.fromhex("0200000000c1")
PEER_MAC = "02:00:00:00:00:11"      # testpmd's --eth-peer: the first real server
VIP = bytes([10, 0, 0, 100])
WARM = 1.0          # seconds forwarding before the interval starts
INTERVAL = 3.0      # seconds measured
EAL_MEM = "1024"    # MB, in either memory mode
HUGE_PAGES = 640    # 2 MiB pages reserved for hugepage mode: EAL_MEM and a margin
HUGE_SYSFS = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"

CONF = """
ports = ( { device = "net_pcap0"; address = "10.0.0.2/24"; mac = "02:00:00:00:00:02"; } );
services = ( { protocol = "tcp"; vip = "10.0.0.100"; port = 80; scheduler = "wlc";
  real_servers = ( { address = "10.0.0.11"; mac = "02:00:00:00:00:11"; },
                   { address = "10.0.0.12"; mac = "02:00:00:00:00:12"; },
                   { address = "10.0.0.13"; mac = "02:00:00:00:00:13"; },
                   { address = "10.0.0.14"; mac = "02:00:00:00:00:14"; } ); } );
dataplane = { mbufs = %d; connections = %d; };
control = { socket = "%s/lbd.sock"; };
"""


def frame(fid, flags):
    """A 64-byte frame (60 without FCS) of flow fid, as bench_pipeline.c's."""
    src = struct.pack("!I", 0x0B000000 + (fid >> 14))
    sport = 1024 + (fid & 16383)
    # TCP checksum over the pseudo-header (lbd does not check it; a capture tool would)
    seg = pcapfile.tcp(src, VIP, sport, 80, flags, seq=1, ack=1 if flags & pcapfile.ACK else 0)
    return pcapfile.pad(pcapfile.ether(LB_MAC, CLIENT_MAC, pcapfile.ipv4(
        src, VIP, pcapfile.TCP, seg, frag=pcapfile.DF)))


def write_flows(path, flow_ids):
    """SYNs of every flow, then their ACKs: the first loop opens the flows, the
    following ones hit established entries. Returns the number of frames."""
    return pcapfile.write_pcap(path, (frame(i, flags) for flags in (pcapfile.SYN, pcapfile.ACK)
                                      for i in flow_ids))


def runtime_dir(prefix):
    base = "/var/run" if os.geteuid() == 0 else os.environ.get("XDG_RUNTIME_DIR", "/tmp")
    return os.path.join(base, "dpdk", prefix)


class Telemetry:
    """DPDK's telemetry socket: SOCK_SEQPACKET, one JSON reply per command."""

    def __init__(self, prefix, timeout=30.0):
        path = os.path.join(runtime_dir(prefix), "dpdk_telemetry.v2")
        end = time.monotonic() + timeout
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                self.s.connect(path)
                break
            except OSError:
                self.s.close()
                if time.monotonic() > end:
                    raise RuntimeError("no telemetry socket at %s" % path)
                time.sleep(0.05)
        self.max = json.loads(self.s.recv(4096).decode())["max_output_len"]

    def stats(self, port=0):
        self.s.send(("/ethdev/stats,%d" % port).encode())
        return json.loads(self.s.recv(self.max).decode())["/ethdev/stats"]

    def close(self):
        self.s.close()


def cpu_jiffies():
    """Busy jiffies of the whole machine (all CPUs)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v) - v[3] - v[4]      # minus idle and iowait


def proc_jiffies(pid):
    """utime + stime of a process, all its threads."""
    with open("/proc/%d/stat" % pid) as f:
        v = f.read().rsplit(")", 1)[1].split()
    return int(v[11]) + int(v[12])


def measure(proc, prefix, during=None):
    """(tx packets/s, rx packets/s, CPUs used by others, last stats) over INTERVAL;
    then during(proc), if given, while the program still forwards."""
    t = Telemetry(prefix)
    try:
        end = time.monotonic() + 30
        while t.stats()["opackets"] == 0:
            if proc.poll() is not None or time.monotonic() > end:
                raise RuntimeError("nothing forwarded")
            time.sleep(0.05)
        time.sleep(WARM)
        hz = os.sysconf("SC_CLK_TCK")
        j0, p0 = cpu_jiffies(), proc_jiffies(proc.pid)
        t0 = time.monotonic()
        s0 = t.stats()
        time.sleep(INTERVAL)
        s1 = t.stats()
        t1 = time.monotonic()
        j1, p1 = cpu_jiffies(), proc_jiffies(proc.pid)
        if during is not None:
            during(proc)
    finally:
        t.close()
    dt = t1 - t0
    other = ((j1 - j0) - (p1 - p0)) / hz / dt
    return ((s1["opackets"] - s0["opackets"]) / dt, (s1["ipackets"] - s0["ipackets"]) / dt,
            max(other, 0.0), s1)


def mem_args(huge):
    """EAL memory options: hugepages without files (--in-memory), what users
    run; or 4 KiB pages (--no-huge), which any user can."""
    return (["--in-memory"] if huge else ["--no-huge"]) + ["-m", EAL_MEM]


def free_huge_mb():
    """MB of free 2 MiB hugepages."""
    with open("/proc/meminfo") as f:
        m = re.search(r"HugePages_Free:\s+(\d+)", f.read())
    return int(m.group(1)) * 2 if m else 0


class HugePages:
    """Reserves HUGE_PAGES 2 MiB pages for the runs (root only) and gives the
    pool back as it was. ok tells whether hugepage mode can run; why, if not."""

    def __init__(self):
        self.before, self.ok, self.why = None, False, ""

    def __enter__(self):
        need = int(EAL_MEM) + 64
        if free_huge_mb() >= need:
            self.ok = True
            return self
        if os.geteuid() != 0:
            self.why = "not root: cannot reserve hugepages"
            return self
        try:
            with open(HUGE_SYSFS) as f:
                self.before = int(f.read())
            with open(HUGE_SYSFS, "w") as f:
                f.write(str(self.before + HUGE_PAGES))
        except OSError as e:
            self.why = "cannot reserve hugepages: %s" % e
            return self
        self.ok = free_huge_mb() >= need
        if not self.ok:
            self.why = "the kernel gave %d MB of hugepages, %d needed" % (free_huge_mb(), need)
        return self

    def __exit__(self, *exc):
        if self.before is not None:
            with open(HUGE_SYSFS, "w") as f:
                f.write(str(self.before))


def lcores(workers):
    # main lcore 0 on CPU 0, workers from lcore 1; more lcores than CPUs share
    return ["-l", "0-1"] if workers == 1 else ["--lcores", "0@0,1@1,2@0"]


def vdev(pcaps):
    return "--vdev=net_pcap0," + ",".join("rx_pcap=%s" % p for p in pcaps) + ",infinite_rx=1"


def run_lbd(build, d, pcaps, mbufs, workers, during=None, huge=False):
    prefix = "lbdbench%d" % os.getpid()
    conf = os.path.join(d, "lbd.conf")
    with open(conf, "w") as f:
        f.write(CONF % (mbufs, 1 << 20, d))
    cmd = [os.path.join(build, "lbd"), *lcores(workers), *mem_args(huge), "--no-pci",
           "--file-prefix", prefix, vdev(pcaps), "--", "-f", conf]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        tx, rx, other, last = measure(p, prefix, during)
    finally:
        p.send_signal(signal.SIGINT)
        try:
            log, _ = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            log, _ = p.communicate()
    shutil.rmtree(runtime_dir(prefix), ignore_errors=True)
    if p.returncode != 0:
        raise RuntimeError("lbd exited with %d:\n%s" % (p.returncode, log))
    counters = {m.group(1): int(m.group(2)) for m in re.finditer(r"counter (\S+) (\d+)", log)}
    drops = {k[5:]: v for k, v in counters.items() if k.startswith("drop.") and v}
    if "%d worker(s)" % workers not in log:
        raise RuntimeError("lbd did not start %d worker(s):\n%s" % (workers, log))
    return {"tx_pps": tx, "rx_pps": rx, "other_cpu": other, "rx": counters.get("rx"),
            "fwd": counters.get("fwd"), "drops": drops,
            "tx_dropped": counters.get("tx_dropped", 0), "conns": counters.get("conn_created"),
            "imissed": last.get("imissed", 0), "rx_nombuf": last.get("rx_nombuf", 0)}


def run_testpmd(d, pcaps, mbufs, workers, during=None, huge=False):
    prefix = "tpbench%d" % os.getpid()
    q = str(workers)
    cmd = ["dpdk-testpmd", *lcores(workers), *mem_args(huge), "--no-pci",
           "--file-prefix", prefix, vdev(pcaps), "--", "--forward-mode=mac",
           "--eth-peer=0," + PEER_MAC, "--no-flush-rx", "--total-num-mbufs=%d" % mbufs,
           "--nb-cores=" + q, "--rxq=" + q, "--txq=" + q, "--burst=32"]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    try:
        tx, rx, other, last = measure(p, prefix, during)
    finally:
        try:
            log, _ = p.communicate(input="\n", timeout=30)   # "Press enter to exit"
        except subprocess.TimeoutExpired:
            p.kill()
            log, _ = p.communicate()
    shutil.rmtree(runtime_dir(prefix), ignore_errors=True)
    if p.returncode != 0:
        raise RuntimeError("testpmd exited with %d:\n%s" % (p.returncode, log))
    return {"tx_pps": tx, "rx_pps": rx, "other_cpu": other,
            "imissed": last.get("imissed", 0), "rx_nombuf": last.get("rx_nombuf", 0)}


def commands(flows, workers, huge=False):
    """The two command lines, as a reader would type them (pcap names symbolic)."""
    pc = ["in%d.pcap" % q for q in range(workers)]
    lc = " ".join(lcores(workers))
    mem = " ".join(mem_args(huge))
    q = str(workers)
    return {
        "lbd": "build/lbd %s %s --no-pci --file-prefix lbdbench %s -- -f lbd.conf"
               % (lc, mem, vdev(pc)),
        "testpmd": "dpdk-testpmd %s %s --no-pci --file-prefix tpbench %s -- "
                   "--forward-mode=mac --eth-peer=0,%s --no-flush-rx --total-num-mbufs=N "
                   "--nb-cores=%s --rxq=%s --txq=%s --burst=32"
                   % (lc, mem, vdev(pc), PEER_MAC, q, q, q),
    }


def prepare(flows, workers):
    """A directory with one pcap per queue; returns (dir, pcaps, mbufs)."""
    d = tempfile.mkdtemp(prefix="lbd-bench-")
    pcaps, frames = [], 0
    per = flows // workers
    for q in range(workers):
        path = os.path.join(d, "in%d.pcap" % q)
        frames += write_flows(path, range(q * per, (q + 1) * per))
        pcaps.append(path)
    # infinite_rx keeps every frame of the pcap in an mbuf of the RX pool, for
    # good: the pool needs that many plus the bursts in flight and the caches
    return d, pcaps, frames + 16384


def one_round(build, flows, workers, rnd, programs=("testpmd", "lbd"), huge=False):
    d, pcaps, mbufs = prepare(flows, workers)
    out = []
    try:
        for prog in programs:
            if prog == "lbd":
                r = run_lbd(build, d, pcaps, mbufs, workers, huge=huge)
            else:
                r = run_testpmd(d, pcaps, mbufs, workers, huge=huge)
            r.update({"test": "port", "program": prog, "flows": flows, "workers": workers,
                      "round": rnd, "mem": "huge" if huge else "nohuge"})
            out.append(r)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return out


def main():
    build = os.path.abspath(sys.argv[1])
    flows = int(sys.argv[2]) if len(sys.argv) > 2 else 1024
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    want_huge = (sys.argv[5] if len(sys.argv) > 5 else "huge") == "huge"
    with HugePages() as hp:
        if want_huge and not hp.ok:
            sys.exit("bench_ports: hugepage mode impossible: %s" % hp.why)
        for rnd in range(1, rounds + 1):
            for r in one_round(build, flows, workers, rnd, huge=want_huge):
                print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
