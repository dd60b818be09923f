# SPDX-License-Identifier: BSD-3-Clause
"""Run the real lbd on a net_pcap port: frames in from a pcap, frames out to one.

Shared by the pcap tests. lbd reads the whole input at once, so the run waits
until the counters it logs at exit can be compared with what went in.
"""
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

from scapy.all import rdpcap, wrpcap

# wrpcap warns about runts (no link layer of their own); they are meant.
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)


def run(lbd, conf_text, frames, seconds=2.0, extra_eal=(), queues=None, lcores=("-l", "0-1")):
    """Returns (output frames, counters dict, log text).

    With queues=[frames of queue 0, frames of queue 1, ...] instead of frames,
    the port gets one RX and one TX pcap per queue, so one worker per queue
    (net_pcap has no RSS: each queue reads its own file)."""
    outs, counters, log = run_ports(lbd, conf_text, [queues if queues is not None else [frames]],
                                    seconds, extra_eal, lcores)
    return outs[0], counters, log


def run_ports(lbd, conf_text, ports, seconds=2.0, extra_eal=(), lcores=("-l", "0-1")):
    """lbd on len(ports) net_pcap ports (net_pcap0, net_pcap1, ...); ports[i] is
    a list of frames per queue of port i. Returns ([output frames of each
    port], counters dict, log text)."""
    d = tempfile.mkdtemp(prefix="lbd-pcap-")
    conf = os.path.join(d, "lbd.conf")
    with open(conf, "w") as f:
        f.write(conf_text.replace("@DIR@", d))
    vdevs, outs = [], []
    for i, queues in enumerate(ports):
        args, outs_i = [], []
        for q, qframes in enumerate(queues):
            inp = os.path.join(d, "in%d_%d.pcap" % (i, q))
            out = os.path.join(d, "out%d_%d.pcap" % (i, q))
            wrpcap(inp, qframes, linktype=1)  # DLT_EN10MB, even for raw runts
            args.append("rx_pcap=%s,tx_pcap=%s" % (inp, out))
            outs_i.append(out)
        vdevs.append("--vdev=net_pcap%d,%s" % (i, ",".join(args)))
        outs.append(outs_i)
    prefix = "lbdpcap%d" % os.getpid()
    cmd = [lbd, *lcores, "--no-huge", "--no-pci", "--file-prefix", prefix,
           *vdevs, *extra_eal, "--", "-f", conf]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(seconds)
    p.send_signal(signal.SIGINT)
    try:
        log, _ = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        raise AssertionError("lbd did not stop on SIGINT")
    finally:
        shutil.rmtree(os.path.join("/var/run/dpdk", prefix), ignore_errors=True)
    if p.returncode != 0:
        raise AssertionError("lbd exited with %d:\n%s" % (p.returncode, log))
    counters = {m.group(1): int(m.group(2))
                for m in re.finditer(r"counter (\S+) (\d+)", log)}
    # every mbuf back in the pool once lbd stopped: a leak fails the run
    assert counters.get("mbufs_in_use") == 0, "mbufs in use at exit: %s" % counters.get(
        "mbufs_in_use")
    frames_out = []
    for outs_i in outs:
        frames_out.append([f for out in outs_i for f in rdpcap(out)])
    shutil.rmtree(d, ignore_errors=True)
    return frames_out, counters, log


def drops(counters):
    return {k[5:]: v for k, v in counters.items() if k.startswith("drop.") and v}


def check_accounting(counters, n_in):
    """Every frame lbd received ended in exactly one outcome."""
    assert counters["rx"] == n_in, "rx %d, sent %d" % (counters["rx"], n_in)
    total = counters["fwd"] + counters["reply"] + counters["to_control"] + sum(
        drops(counters).values())
    assert total == counters["rx"], "rx %d but outcomes %d: %s" % (
        counters["rx"], total, counters)
