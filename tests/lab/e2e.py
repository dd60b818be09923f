#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The e2e suite: real Linux clients and servers through lbd, in the lab.

Raises the lab (tests/lab/lab.sh) with tests/lab/e2e.conf, runs every test
from the client's network namespace, takes the lab down whatever happens.
Each test checks what the client got from whom, against what lbd says.

usage: e2e.py BUILD_DIR [TEST...]     (default: every test, in order)
env:   E2E_CONF  another configuration for lbd (to watch the suite fail on a
                 broken one; it must keep e2e.conf's addresses and weights)
exit:  0 all passed, 1 a test failed, 77 skipped (needs root)
"""
import collections
import ctypes
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

import harness
from harness import Fail, check, log

HERE = os.path.dirname(os.path.abspath(__file__))
LAB = "lbe"
RUN = "/run/" + LAB
VIP = "10.77.0.100"
CLI_IP = "10.77.0.10"
SERVERS = {"rs1": "10.77.0.11", "rs2": "10.77.0.12"}
WEIGHTS = {"rs1": 3, "rs2": 1}          # as in e2e.conf
FIN_WAIT = 6                             # timeouts in e2e.conf
SYN_RECV = 5
BLOB = 4194304                           # bytes of /slow/blob (tests/lab/lab.sh)
NAME_OF = {ip: name for name, ip in SERVERS.items()}

BUILD = None
LBADM = None
SOCK = RUN + "/lbd.sock"


# ---- the lab ----

def lab(*args):
    env = dict(os.environ, LAB=LAB, LAB_RUN=RUN)
    return subprocess.run([os.path.join(HERE, "lab.sh"), *args], env=env)


def enter_netns(path):
    """This thread's new sockets (and its children) from now on live in the
    network namespace at PATH (/run/netns/NAME: as under `ip netns exec NAME`)."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, 0x40000000) != 0:      # CLONE_NEWNET
            raise OSError(ctypes.get_errno(), "setns " + path)
    finally:
        os.close(fd)


def lbd_pid():
    with open(RUN + "/lbd.pid") as f:
        return int(f.read())


def rss_kb():
    with open("/proc/%d/status" % lbd_pid()) as f:
        return int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1))


def blob_sha(name):
    with open("%s/%s/blob.sha256" % (RUN, name)) as f:
        return f.read().strip()


# ---- lbadm ----

def lbadm(*args):
    p = subprocess.run([LBADM, "--socket", SOCK, *args], capture_output=True, text=True,
                       timeout=10)
    if p.returncode != 0:
        raise Fail("lbadm %s: exit %d: %s" % (" ".join(args), p.returncode, p.stderr.strip()))
    return p.stdout


def lbadm_json(*args):
    return json.loads(lbadm(*args, "--json"))


def conns():
    return lbadm_json("-lnc")["connections"]


def service():
    (svc,) = lbadm_json("-Ln")["services"]
    return svc


def syn_recv_entries():
    (svc,) = lbadm_json("--summary")["services"]
    return svc["states"]["SYN_RECV"]


def counters():
    return lbadm_json("--counters")["cores"]


def quiet_counters():
    """Counters once the segment is quiet: two reads half a second apart agree."""
    prev = counters()
    for _ in range(20):
        time.sleep(0.5)
        cur = counters()
        if cur == prev:
            return cur
        prev = cur
    raise Fail("lbd's counters never settled: %s" % prev)


# ---- HTTP, by hand, from the client ----

def read_response(s, body=True):
    """(headers dict, body bytes) of one HTTP/1.1 response on socket s."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(4096)
        if not chunk:
            raise Fail("connection closed before the response headers")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    check(re.match(r"HTTP/1\.[01] 200 ", lines[0]) is not None, "status line %r" % lines[0])
    hdr = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        hdr[k.strip().lower()] = v.strip()
    if not body:
        return hdr, rest
    n = int(hdr["content-length"])
    while len(rest) < n:
        chunk = s.recv(65536)
        if not chunk:
            raise Fail("connection closed after %d of %d body bytes" % (len(rest), n))
        rest += chunk
    return hdr, rest


def connect():
    s = socket.create_connection((VIP, 80), timeout=5)
    return s


def request(s, path, close):
    s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n" %
               (path, VIP, "Connection: close\r\n" if close else "")).encode())


def get(path="/"):
    """One request on its own connection: (the server that answered, the
    client's port)."""
    with connect() as s:
        port = s.getsockname()[1]
        request(s, path, close=True)
        hdr, body = read_response(s)
    name = hdr.get("x-server")
    check(name in SERVERS, "answer from an unknown server: %r" % name)
    # The page and the header agree, and the server saw the client's own address.
    if path == "/":
        check(body.decode() == "Hello from %s (%s)\n" % (name, SERVERS[name]),
              "page %r from %s" % (body, name))
    check(hdr.get("x-client") == CLI_IP, "%s saw client %r" % (name, hdr.get("x-client")))
    return name, port


def spread(n):
    """n requests: how many each server answered. Each answer is checked
    against lbd's own entry for that connection."""
    answered = dict(get()[::-1] for _ in range(n))
    check_entries(answered)
    return collections.Counter(answered.values())


def check_entries(answered):
    """answered: {client port: server}. lbd's entry for each of these
    connections (closing, but not yet expired) names the server that answered."""
    entries = {c["client_port"]: c for c in conns()
               if c["client"] == CLI_IP and c["vip"] == VIP and c["vport"] == 80}
    wrong = {}
    for port, name in answered.items():
        c = entries.get(port)
        if c is None or c["server"] != SERVERS[name]:
            wrong[port] = (name, c and c["server"])
    check(not wrong, "%d of %d connections answered by a server other than lbd's entry "
          "names (port: (answered, entry)): %s" % (len(wrong), len(answered),
                                                   dict(list(wrong.items())[:5])))


class Transfer(threading.Thread):
    """A download of /slow/blob (8 s at the servers' rate) that reads on by
    itself: .server answered, .got bytes so far, .sha when done."""

    def __init__(self):
        super().__init__(daemon=True)
        self.s = connect()
        self.s.settimeout(10)
        request(self.s, "/slow/blob", close=True)
        hdr, self.first = read_response(self.s, body=False)
        self.server = hdr.get("x-server")
        check(self.server in SERVERS, "transfer from an unknown server: %r" % self.server)
        c = find_conn(self.s.getsockname()[1])
        check(c is not None and c["state"] == "ESTABLISHED"
              and c["server"] == SERVERS[self.server],
              "transfer answered by %s, lbd's entry: %s" % (self.server, c))
        self.size = int(hdr["content-length"])
        self.got = len(self.first)
        self.error = None
        self.sha = None
        self.start()

    def run(self):
        h = hashlib.sha256(self.first)
        try:
            while self.got < self.size:
                chunk = self.s.recv(65536)
                if not chunk:
                    raise Fail("closed after %d of %d bytes" % (self.got, self.size))
                h.update(chunk)
                self.got += len(chunk)
            self.sha = h.hexdigest()
        except Exception as e:          # reported by finish()
            self.error = e
        finally:
            self.s.close()

    def finish(self, timeout=30):
        self.join(timeout)
        check(not self.is_alive(), "transfer from %s stuck at %d of %d bytes"
              % (self.server, self.got, self.size))
        check(self.error is None, "transfer from %s: %s" % (self.server, self.error))
        check(self.size == BLOB and self.got == BLOB,
              "transfer from %s: %d of %d bytes" % (self.server, self.got, self.size))
        check(self.sha == blob_sha(self.server),
              "transfer from %s: the bytes differ from the server's file" % self.server)


# ---- the tests ----

def test_distribution():
    n = 400
    got = spread(n)
    total = sum(WEIGHTS.values())
    for name, w in WEIGHTS.items():
        want = n * w / total
        check(abs(got[name] - want) <= 0.05 * want,
              "%s answered %d of %d, want %d within 5%%" % (name, got[name], n, want))
    return "wrr 3:1, %d requests: %s" % (n, ", ".join(
        "%s %d" % (k, got[k]) for k in sorted(WEIGHTS)))


def find_conn(port):
    for c in conns():
        if c["client_port"] == port:
            return c
    return None


def listing_line(port):
    """The entry's row in the plain `lbadm -lnc` listing, as ipvsadm prints it."""
    for line in lbadm("-lnc").splitlines():
        if (" %s:%d " % (CLI_IP, port)) in line:
            return line.split()
    return None


def test_states():
    s = connect()
    try:
        request(s, "/", close=False)        # keep-alive: the connection stays open
        hdr, _ = read_response(s)
        name = hdr["x-server"]
        port = s.getsockname()[1]
        c = find_conn(port)
        check(c is not None, "no entry for the open connection from port %d" % port)
        check(c["state"] == "ESTABLISHED", "open connection in state %s" % c["state"])
        check((c["client"], c["vip"], c["vport"]) == (CLI_IP, VIP, 80),
              "entry %s:%d -> %s:%d" % (c["client"], c["client_port"], c["vip"], c["vport"]))
        check(c["server"] == SERVERS[name],
              "entry sends to %s, but %s (%s) answered" % (c["server"], name, SERVERS[name]))
        row = listing_line(port)
        check(row is not None and row[0] == "TCP" and row[2] == "ESTABLISHED"
              and row[3:6] == ["%s:%d" % (CLI_IP, port), VIP + ":80", SERVERS[name] + ":80"],
              "lbadm -lnc row %s" % row)
    finally:
        s.close()                           # FIN from the client
    t0 = time.monotonic()
    seen_fw = None
    while time.monotonic() - t0 < 2:
        c = find_conn(port)
        if c is not None and c["state"] == "FIN_WAIT":
            seen_fw = time.monotonic() - t0
            break
        time.sleep(0.05)
    check(seen_fw is not None, "after the client's FIN the entry is %s" % (c and c["state"]))
    gone = None
    while time.monotonic() - t0 < FIN_WAIT + 5:
        c = find_conn(port)
        if c is None:
            gone = time.monotonic() - t0
            break
        check(c["state"] == "FIN_WAIT", "closing entry went to %s" % c["state"])
        time.sleep(0.2)
    check(gone is not None, "the FIN_WAIT entry is still there %d s after the FIN" % (FIN_WAIT + 5))
    check(gone >= FIN_WAIT - 1, "the FIN_WAIT entry left after %.1f s, fin_wait is %d s"
          % (gone, FIN_WAIT))
    return ("%s via %s: ESTABLISHED, FIN_WAIT %.2f s after close, gone after %.1f s "
            "(fin_wait %d s)" % (port, name, seen_fw, gone, FIN_WAIT))


def set_weight(name, w):
    lbadm("-e", "-t", VIP + ":80", "-r", SERVERS[name], "-w", str(w))


def test_drain():
    t = Transfer()
    name = t.server
    other = next(k for k in SERVERS if k != name)
    try:
        set_weight(name, 0)
        at_drain = t.got
        check(at_drain < BLOB, "the transfer ended before the drain began")
        (d,) = [d for d in service()["real_servers"] if d["address"] == SERVERS[name]]
        check(d["weight"] == 0, "lbadm -Ln shows weight %d after -w 0" % d["weight"])
        n = 40
        got = spread(n)
        check(got[other] == n, "after draining %s: %s" % (name, dict(got)))
        check(t.is_alive(), "the transfer ended before the new connections were done")
        t.finish()
    finally:
        set_weight(name, WEIGHTS[name])
    return ("transfer from %s (%d bytes in at -w 0): complete, sha256 matches; "
            "%d new connections all to %s" % (name, at_drain, n, other))


def test_removal():
    name, other = "rs1", "rs2"
    lbadm("-d", "-t", VIP + ":80", "-r", SERVERS[name])
    try:
        listed = [d["address"] for d in service()["real_servers"]]
        check(SERVERS[name] not in listed, "lbadm -Ln still lists %s" % SERVERS[name])
        n = 40
        got = spread(n)
        check(got[other] == n, "after removing %s: %s" % (name, dict(got)))
    finally:
        lbadm("-a", "-t", VIP + ":80", "-r", SERVERS[name], "-g", "-w", str(WEIGHTS[name]))
    # Back in the table, it takes its share again.
    back = spread(n)
    check(back[name] > back[other], "after adding %s back: %s" % (name, dict(back)))
    return "%d new connections all to %s; added back: %s" % (
        n, other, ", ".join("%s %d" % (k, back[k]) for k in sorted(back)))


def check_accounting(cores):
    for c in cores:
        out = c["fwd"] + c["reply"] + c["to_control"] + c["to_host"] + sum(c["drops"].values())
        check(c["rx"] == out, "lcore %d: rx %d but fwd+reply+to_control+drops %d (%s)"
              % (c["lcore"], c["rx"], out, c))


def access_log_size(name):
    return os.path.getsize("%s/%s/access.log" % (RUN, name))


def served_since(name, offset):
    """{client port: requests} from server NAME's access log after offset."""
    ports = collections.Counter()
    with open("%s/%s/access.log" % (RUN, name), "rb") as f:
        f.seek(offset)
        for line in f.read().decode().splitlines():
            client, port, _ = line.split(" ", 2)
            if client == CLI_IP:
                ports[int(port)] += 1
    return ports


def test_load():
    before = quiet_counters()
    svc0 = {d["address"]: d["stats"]["inpkts"] for d in service()["real_servers"]}
    logs0 = {name: access_log_size(name) for name in SERVERS}
    try:
        p = subprocess.run(["wrk", "-t2", "-c16", "-d10s", "--timeout", "3s",
                            "http://%s/" % VIP], capture_output=True, text=True, timeout=25)
    except subprocess.TimeoutExpired:
        raise Fail("wrk -d10s still running after 25 s (it waits for connections "
                   "that never complete)")
    out = p.stdout
    check(p.returncode == 0, "wrk exit %d: %s" % (p.returncode, p.stderr))
    m = re.search(r"(\d+) requests in ([\d.]+)s", out)
    check(m is not None, "wrk printed no request count:\n" + out)
    reqs, secs = int(m.group(1)), float(m.group(2))
    check("Socket errors" not in out, "wrk: " + out)
    check("Non-2xx" not in out, "wrk: " + out)
    check(reqs > 0, "wrk made no request")
    # wrk's connections, by the servers' access logs: each one was served by
    # the server lbd's entry (now closing) names, and together they served
    # every request wrk counted (and at most a few it stopped waiting for).
    served = {name: served_since(name, logs0[name]) for name in SERVERS}
    check_entries({port: name for name in SERVERS for port in served[name]})
    n_served = sum(sum(v.values()) for v in served.values())
    check(reqs <= n_served <= reqs + 16, "wrk counted %d responses, the servers logged %d"
          % (reqs, n_served))
    after = quiet_counters()
    check_accounting(after)
    rx = sum(c["rx"] for c in after) - sum(c["rx"] for c in before)
    check(rx >= reqs, "lbd received %d frames for %d requests" % (rx, reqs))
    svc1 = {d["address"]: d["stats"]["inpkts"] for d in service()["real_servers"]}
    for ip in SERVERS.values():
        check(svc1[ip] > svc0[ip], "no packets forwarded to %s under load" % ip)
    drops = {k: v for c in after for k, v in c["drops"].items() if v}
    return ("wrk %d requests in %.1f s (%d/s), no socket errors; connections served by "
            "the server lbd chose: %s; lbd rx +%d, per core rx = fwd+reply+to_control+drops "
            "(drops so far: %s)"
            % (reqs, secs, reqs / secs, ", ".join("%s %d" % (k, len(served[k]))
                                                  for k in sorted(served)),
               rx, drops or "none"))


def flood(count, during=None):
    """hping3: COUNT SYNs from random sources at the VIP. Returns (seconds,
    peak SYN_RECV entries, peak RSS in kB, seconds until no SYN_RECV entry is
    left after the flood). during() is called while it runs."""
    rss_peak = rss_kb()
    p = subprocess.Popen(["hping3", "-q", "-S", "-p", "80", "--rand-source",
                          "-c", str(count), "-i", "u100", VIP],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = 0
    t0 = time.monotonic()
    while p.poll() is None and time.monotonic() - t0 < 60:
        peak = max(peak, syn_recv_entries())
        rss_peak = max(rss_peak, rss_kb())
        if during is not None:
            during()
        time.sleep(0.3)
    if p.poll() is None:
        p.kill()
    out = p.communicate()[0]
    t1 = time.monotonic()
    check("%d packets transmitted" % count in out, "hping3: " + out)
    left = syn_recv_entries()
    peak = max(peak, left)
    # The last SYNs' entries are still there (they expire syn_recv seconds
    # after their SYN, not sooner), then they go.
    check(left > 0, "no SYN_RECV entry left as the flood ends")
    check(peak >= count // 2, "at most %d SYN_RECV entries for %d SYNs" % (peak, count))
    gone = None
    while time.monotonic() - t1 < SYN_RECV + 10:
        rss_peak = max(rss_peak, rss_kb())
        if syn_recv_entries() == 0:
            gone = time.monotonic() - t1
            break
        time.sleep(0.3)
    check(gone is not None, "%d SYN_RECV entries left %d s after the flood"
          % (syn_recv_entries(), SYN_RECV + 10))
    return t1 - t0, peak, rss_peak, gone


def test_synflood():
    count = 20000
    t = Transfer()
    check(syn_recv_entries() == 0, "SYN_RECV entries before the flood")
    got = []
    rss0 = rss_kb()
    secs, peak, rss1, gone = flood(count, during=lambda: got.append(t.got))
    check(len(got) >= 2 and got[-1] > got[0], "the transfer made no progress during "
          "the flood: %s bytes" % got)
    t.finish()
    # The first flood fills table entries never used before, and lbd's memory
    # (plain pages under --no-huge) is faulted in as they are first written. A
    # second flood of the same size finds them all: lbd's memory must not move.
    rss2 = rss_kb()
    secs2, peak2, rss3, gone2 = flood(count)
    check(rss3 - rss2 <= 256, "lbd's RSS grew from %d kB to %d kB during the second flood"
          % (rss2, rss3))
    return ("%d SYNs in %.1f s: SYN_RECV peak %d, none left %.1f s after (syn_recv %d s); "
            "transfer from %s went on (%d bytes during the flood) and completed intact; "
            "RSS %d kB before, %d kB peak; second flood (SYN_RECV peak %d, none left "
            "after %.1f s): RSS %d kB before, %d kB peak"
            % (count, secs, peak, gone, SYN_RECV, t.server, got[-1] - got[0], rss0, rss1,
               peak2, gone2, rss2, rss3))


TESTS = [("distribution", test_distribution), ("states", test_states),
         ("drain", test_drain), ("removal", test_removal), ("load", test_load),
         ("synflood", test_synflood)]


def counters_at_exit():
    """lbd stopped on SIGINT and logged counters that account for every frame."""
    with open(RUN + "/lbd.log") as f:
        text = f.read()
    check("lbd: stopping" in text, "lbd did not stop in order:\n" + text[-2000:])
    c = {m.group(1): int(m.group(2)) for m in re.finditer(r"counter (\S+) (\d+)", text)}
    out = c["fwd"] + c["reply"] + c["to_control"] + c.get("to_host", 0) + sum(
        v for k, v in c.items() if k.startswith("drop."))
    check(c["rx"] == out, "at exit rx %d, outcomes %d" % (c["rx"], out))
    check(c.get("mbufs_in_use") == 0, "at exit %s mbufs not back in the pool"
          % c.get("mbufs_in_use"))
    return "rx %d = fwd %d + reply %d + to_control %d + drops %d" % (
        c["rx"], c["fwd"], c["reply"], c["to_control"],
        out - c["fwd"] - c["reply"] - c["to_control"])


def main():
    global BUILD, LBADM
    BUILD, names = harness.parse("e2e", __doc__, TESTS,
                                 tools=("wrk", "hping3", "nginx", "ethtool", "ping"))
    LBADM = os.path.join(BUILD, "lbadm")
    conf = os.environ.get("E2E_CONF") or os.path.join(HERE, "e2e.conf")
    home = os.open("/proc/self/ns/net", os.O_RDONLY)

    def up():
        p = lab("up", BUILD, conf)
        check(p.returncode == 0, "lab.sh up: exit %d" % p.returncode)
        enter_netns("/run/netns/%s-cli" % LAB)

    def down():
        # Back home first: `down` kills whatever is left in the lab's namespaces.
        enter_netns("/proc/self/fd/%d" % home)
        lab("down")

    def at_exit():
        try:
            log("ok   %-12s         %s" % ("exit", counters_at_exit()))
            return []
        except (Fail, OSError, KeyError) as e:
            log("FAIL %-12s         %s" % ("exit", e))
            return ["exit"]
    return harness.run("e2e", TESTS, names, up, down, final=at_exit)


if __name__ == "__main__":
    sys.exit(main())
