#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""conf/lbd.conf starts lbd as it is shipped.

The reference configuration is the first file anyone runs, with no EAL options
on the command line: `lbd -f conf/lbd.conf`. Its 'eal' list must then bring lbd
up on any machine, without hugepages and without a NIC. This test starts lbd
exactly so, waits for the file's control socket, checks that `lbadm -Ln` lists
the file's services and real servers (read from the file itself, so the test
follows the file), and that SIGINT stops lbd with exit status 0.

The file's socket is the system's (/run/lbd/lbd.sock): when another lbd answers
there, or when not run as root, the test is skipped (exit 77) rather than
disturb it. What lbd leaves behind that was not there before (the socket's
folder, DPDK's runtime folder of the file's --file-prefix) is removed.

usage: test_shipped_conf.py BUILD_DIR CONF
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import lbdctl
from lbdctl import check, failures

SKIP = 77


# ---- the subset of libconfig that lbd's files use ----

TOKEN = re.compile(r"""
    (?P<space>\s+|\#[^\n]*|//[^\n]*|/\*.*?\*/)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<number>[-+]?(?:0[xX][0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)L{0,2})
  | (?P<name>[A-Za-z*][-A-Za-z0-9_*]*)
  | (?P<punct>[=:;,{}()\[\]])
""", re.VERBOSE | re.DOTALL)


def tokens(text):
    pos = 0
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if m is None:
            raise SystemExit("cannot read the configuration at offset %d" % pos)
        pos = m.end()
        if m.lastgroup != "space":
            yield m.lastgroup, m.group()
    yield "end", ""


def parse(text):
    """The file as Python values: groups are dicts, lists and arrays lists."""
    toks = list(tokens(text))
    pos = [0]

    def peek():
        return toks[pos[0]]

    def take():
        pos[0] += 1
        return toks[pos[0] - 1]

    def scalar(kind, tok):
        if kind == "string":
            s = tok[1:-1].encode().decode("unicode_escape")
            while peek()[0] == "string":            # "a" "b" is "ab"
                s += take()[1][1:-1].encode().decode("unicode_escape")
            return s
        if kind == "number":
            t = tok.rstrip("L")
            return int(t, 0) if re.fullmatch(r"[-+]?(0[xX][0-9a-fA-F]+|[0-9]+)", t) else float(t)
        if kind == "name" and tok.lower() in ("true", "false"):
            return tok.lower() == "true"
        raise SystemExit("unexpected %r in the configuration" % tok)

    def value():
        kind, tok = take()
        if tok in ("(", "["):
            close = ")" if tok == "(" else "]"
            out = []
            while peek()[1] != close:
                out.append(value())
                if peek()[1] == ",":
                    take()
            take()
            return out
        if tok == "{":
            out = settings("}")
            take()
            return out
        return scalar(kind, tok)

    def settings(close):
        out = {}
        while peek()[1] != close and peek()[0] != "end":
            kind, name = take()
            if kind != "name" or take()[1] not in ("=", ":"):
                raise SystemExit("expected 'name =' in the configuration, got %r" % name)
            out[name] = value()
            if peek()[1] in (";", ","):
                take()
        return out

    return settings("end")


# ---- what lbadm -Ln should list ----

def expected(conf):
    """{service line prefix: [real server "ADDR:PORT Route WEIGHT"]} of the file."""
    out = {}
    for svc in conf.get("services", []):
        key = "%s %s:%d %s" % (svc["protocol"].upper(), svc["vip"], svc["port"],
                               svc.get("scheduler", "wlc"))
        out[key] = sorted("%s:%d Route %d" % (rs["address"], rs.get("port", svc["port"]),
                                              rs.get("weight", 1))
                          for rs in svc.get("real_servers", []))
    return out


def listed(text):
    """The same shape, from lbadm -Ln's output."""
    out, cur = {}, None
    for line in text.splitlines():
        m = re.match(r"(TCP|UDP)\s+(\S+)\s+(\S+)", line)
        if m:
            cur = " ".join(m.groups())
            out[cur] = []
            continue
        m = re.match(r"\s+->\s+(\d+\.\d+\.\d+\.\d+:\d+)\s+(\S+)\s+(\d+)", line)
        if m and cur is not None:
            out[cur].append(" ".join(m.groups()))
    return {k: sorted(v) for k, v in out.items()}


def answers(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2.0)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


def eal_prefix(conf):
    eal = conf.get("eal", [])
    for i, opt in enumerate(eal):
        if opt == "--file-prefix" and i + 1 < len(eal):
            return eal[i + 1]
        if opt.startswith("--file-prefix="):
            return opt.split("=", 1)[1]
    return "rte"


def main():
    build, path = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    with open(path) as f:
        conf = parse(f.read())
    sock = conf.get("control", {}).get("socket", "/run/lbd/lbd.sock")
    if os.geteuid() != 0:
        print("skip: %s starts lbd on the system's socket %s, which needs root" % (path, sock))
        return SKIP
    if answers(sock):
        print("skip: another lbd answers on %s" % sock)
        return SKIP
    want = expected(conf)
    check(want and all(want.values()), "%s has services with real servers" % path)

    # Left behind by lbd unless there before: removed at the end.
    runtime = lbdctl.dpdk_runtime_dir(eal_prefix(conf))
    leftovers = [d for d in (os.path.dirname(sock), runtime) if not os.path.exists(d)]
    cmd = [os.path.join(build, "lbd"), "-f", path]
    print("$ " + " ".join(cmd))
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log = ""
    try:
        end = time.monotonic() + 30
        while p.poll() is None and time.monotonic() < end and not answers(sock):
            time.sleep(0.1)
        if check(p.poll() is None and answers(sock), "lbd up, answering on %s" % sock):
            rc, out, err = lbdctl.lbadm(build, "-Ln", sock=sock)
            print(out + err, end="")
            check(rc == 0, "lbadm -Ln exits 0")
            check(listed(out) == want, "lbadm -Ln lists the file's services and real servers")
        p.send_signal(signal.SIGINT)
        try:
            log, _ = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            log, _ = p.communicate()
        check(p.returncode == 0, "lbd stops on SIGINT with exit status 0 (got %s)" % p.returncode)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        for d in leftovers:
            if d == runtime:
                shutil.rmtree(d, ignore_errors=True)
            else:
                try:
                    os.rmdir(d)
                except OSError:
                    pass
    if failures:
        print("--- lbd's output\n" + log, end="")
        print("\n%d check(s) failed" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
