# SPDX-License-Identifier: BSD-3-Clause
"""Run the real lbd on a net_pcap port: frames in from a pcap, frames out to one.

Shared by the pcap tests. lbd reads the whole input at once, so the run waits
until the counters it logs at exit can be compared with what went in.
"""
import os
import re
import signal
import subprocess
import tempfile
import time

from scapy.all import rdpcap, wrpcap


def run(lbd, conf_text, frames, seconds=2.0, extra_eal=()):
    """Returns (output frames, counters dict, log text)."""
    d = tempfile.mkdtemp(prefix="lbd-pcap-")
    conf = os.path.join(d, "lbd.conf")
    inp = os.path.join(d, "in.pcap")
    out = os.path.join(d, "out.pcap")
    with open(conf, "w") as f:
        f.write(conf_text.replace("@DIR@", d))
    wrpcap(inp, frames, linktype=1)  # DLT_EN10MB, even for raw runts
    cmd = [lbd, "-l", "0-1", "--no-huge", "--no-pci", "--file-prefix", "lbdpcap%d" % os.getpid(),
           "--vdev=net_pcap0,rx_pcap=%s,tx_pcap=%s" % (inp, out), *extra_eal,
           "--", "-f", conf]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(seconds)
    p.send_signal(signal.SIGINT)
    try:
        log, _ = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        raise AssertionError("lbd did not stop on SIGINT")
    if p.returncode != 0:
        raise AssertionError("lbd exited with %d:\n%s" % (p.returncode, log))
    counters = {m.group(1): int(m.group(2))
                for m in re.finditer(r"counter (\S+) (\d+)", log)}
    return list(rdpcap(out)), counters, log


def drops(counters):
    return {k[5:]: v for k, v in counters.items() if k.startswith("drop.") and v}


def check_accounting(counters, n_in):
    """Every frame lbd received ended in exactly one outcome."""
    assert counters["rx"] == n_in, "rx %d, sent %d" % (counters["rx"], n_in)
    total = counters["fwd"] + counters["reply"] + counters["to_control"] + sum(
        drops(counters).values())
    assert total == counters["rx"], "rx %d but outcomes %d: %s" % (
        counters["rx"], total, counters)
