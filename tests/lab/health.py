#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Health checks in the lab: lbd's checker against real nginx servers.

The lab (tests/lab/lab.sh, LAB=lbk, three real servers) with a kernel
interface on lbd's port: the checks leave from lbd's namespace through it, as
they would on a director. Each test starts lbd with a configuration of its own
and drives the servers (nginx stopped and started, small HTTP and TCP
listeners beside nginx, files a command reads):

  tcp_kill   tcp check, delay_loop 1: nginx on rs1 killed while the client makes
             a request every 50 ms for 20 s. rs1 is down within delay_loop +
             (retry+1) x connect_timeout + 1 s and no request fails after
             that; nginx restarted, rs1 is up within delay_loop + 1 s and gets
             new connections. The failures before detection are reported.
  http       http check of a path answering 500, then 200: down, then up; the
             request is keepalived's; a digest mismatch: down, then up again
  misc       misc checks: exit 0 up, 1 down; with dynamic, exit N gives
             weight N-2 (-Ln follows); without it, any other exit is down
  inhibit    inhibit_on_failure: the server stays in -Ln with weight 0 and a
             slow download from it completes; without it the server leaves
             -Ln and its connections stop (as IPVS with a deleted server)
  quorum     both servers down: the sorry server answers; one back: it leaves
  stall      a server that accepts and never answers, a blackholed address, a
             command that hangs: each times out and is down, commands are
             killed, lbadm answers at once all along, the control loop and
             the worker stay short, ping of the VIP is answered

usage: health.py BUILD_DIR [TEST...]     (default: every test, in order)
exit:  0 all passed, 1 a test failed, 77 skipped (needs root)
"""
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

import harness
import host as H

HERE = os.path.dirname(os.path.abspath(__file__))
LAB = "lbk"
RUN = "/run/" + LAB
VIP = "10.77.0.100"
SERVERS = {"rs1": "10.77.0.11", "rs2": "10.77.0.12", "rs3": "10.77.0.13"}
Fail, check, log, nsx, lbadm = H.Fail, H.check, H.log, H.nsx, H.lbadm

# host.py's helpers, on this lab.
H.LAB, H.RUN, H.SOCK, H.IFNAME = LAB, RUN, RUN + "/lbd.sock", "lbk0"
H.SERVERS = SERVERS

HEAD = """
ports = ( { device = "net_af_packet0"; address = "10.77.0.2/24"; mac = "02:77:00:00:00:02";
            host = { ifname = "lbk0"; backend = "tap"; }; } );
dataplane = { mbufs = 8192; connections = 65536; };
control = { socket = "@RUN@/lbd.sock"; };
"""

# A small HTTP server beside nginx on a real server: /health answers the
# status in FILE.status, /page the body in FILE.page; each request's head is
# appended to FILE.log. With "mute" it accepts and never answers.
HC_SERVER = r'''
import socket, ssl, sys, threading
port, base, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
tls = None
if mode == "https":
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(base + ".crt", base + ".key")
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", port)); s.listen(64)
held = []
def serve(c):
    try:
        if tls:
            c = tls.wrap_socket(c, server_side=True)
        data = b""
        while b"\r\n\r\n" not in data:
            d = c.recv(4096)
            if not d: return
            data += d
        with open(base + ".log", "ab") as f: f.write(data)
        path = data.split(b" ")[1]
        if path == b"/health":
            st = open(base + ".status").read().strip(); body = b"status " + st.encode() + b"\n"
        else:
            st = "200"; body = open(base + ".page", "rb").read()
        c.sendall(b"HTTP/1.0 " + st.encode() + b" X\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    except (OSError, ssl.SSLError):
        pass
    finally:
        c.close()
while True:
    c, _ = s.accept()
    if mode == "mute": held.append(c); continue
    if mode == "tcp": c.close(); continue
    threading.Thread(target=serve, args=(c,), daemon=True).start()
'''

helpers = []


def helper(node, port, mode, base=None):
    """A listener on NODE (HC_SERVER): its Popen, stopped at the end of the test."""
    p = subprocess.Popen(["ip", "netns", "exec", "%s-%s" % (LAB, node), "/usr/bin/python3",
                          RUN + "/hc_server.py", str(port), base or "%s/%s-hc" % (RUN, node),
                          mode], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    helpers.append(p)
    ok = H.wait_for(lambda: nsx(node, "ss", "-Hltn", "sport = :%d" % port).stdout.strip(), 5)
    check(ok is not None, "%s: no listener on port %d" % (node, port))
    return p


def stop_helper(p):
    p.kill()
    p.wait()
    if p in helpers:
        helpers.remove(p)


def stop_helpers():
    for p in list(helpers):
        stop_helper(p)


def start(name, services, extra=None):
    """lbd, stopped if it runs, started again with SERVICES (libconfig text);
    EXTRA replaces HEAD's dataplane group."""
    if H.lbd_running():
        H.lab_ok("stop")
    path = "%s/%s.conf.in" % (RUN, name)
    head = HEAD if extra is None else re.sub(r"dataplane = \{[^}]*\};", extra, HEAD)
    with open(path, "w") as f:
        f.write("# health.py: %s\n%s\nservices = (%s);\n" % (name, head, services))
    H.lab_ok("start", H.BUILD, path)
    check(H.lbd_running(), "lbd is not running")


def health():
    return json.loads(lbadm("--health", "--json"))


def server(addr, h=None):
    for s in (h or health())["services"]:
        for d in s["servers"]:
            if d["address"] == addr:
                return d
    raise Fail("%s not in lbadm --health" % addr)


def listed():
    """{address: weight} of -Ln, what the scheduler holds."""
    out = lbadm("-Ln")
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"-> ([\d.]+):\d+\s+Route\s+(\d+)", out)}


def wait_state(addr, state, secs):
    """Seconds until ADDR's check shows STATE, or Fail."""
    t = H.wait_for(lambda: server(addr)["state"] == state, secs, step=0.05)
    check(t is not None, "%s not %s after %.1f s: %s" % (addr, state, secs, server(addr)))
    return t


def lbd_log():
    with open(RUN + "/lbd.log", errors="replace") as f:
        return f.read()


def get(path="/", timeout=2):
    """(server, None) or (None, error) of one request to the VIP from the client."""
    try:
        st, hdr, _ = H.http_get("cli", VIP, 80, path, timeout=timeout)
        return hdr.get("x-server"), None if st == 200 else "status %d" % st
    except (OSError, Fail) as e:
        return None, "%s: %s" % (type(e).__name__, e)


def nginx_stop(node):
    pid = int(open("%s/%s/nginx.pid" % (RUN, node)).read())
    os.kill(pid, signal.SIGTERM)
    check(H.wait_for(lambda: not os.path.exists("/proc/%d" % pid), 5) is not None,
          "nginx of %s does not stop" % node)


def nginx_start(node):
    nsx(node, "nginx", "-c", "%s/%s/nginx.conf" % (RUN, node))


TCP_CHECK = ("check = { type = \"tcp\"; delay_loop = 1; connect_timeout = 1; retry = 1;"
             " delay_before_retry = 1; };")


def test_tcp_kill():
    # expire_nodest_conn, as keepalived's users set it for IPVS: a refused
    # SYN leaves an entry to rs1 (SYN_RECV, 60 s) that the client's next SYN
    # from the same port (Linux reuses a port whose connect was refused)
    # would hit; with it that SYN is scheduled afresh, without it dropped
    # as IPVS drops it while the entry lasts.
    start("tcp_kill", """{ protocol = "tcp"; vip = "10.77.0.100"; port = 80; scheduler = "rr";
        %s
        real_servers = ( { address = "10.77.0.11"; }, { address = "10.77.0.12"; } ); }"""
          % TCP_CHECK, extra="dataplane = { mbufs = 8192; connections = 65536;"
                             " expire_nodest_conn = true; };")
    wait_state("10.77.0.11", "up", 5)
    results = []                          # (start time, server, error)
    marks = {}
    stop = threading.Event()

    def client():
        t0 = time.monotonic()
        k = 0
        while not stop.is_set() and time.monotonic() - t0 < 20:
            at = t0 + k * 0.05
            k += 1
            if at > time.monotonic():
                time.sleep(at - time.monotonic())
            t = time.monotonic()
            srv, err = get()
            results.append((t, srv, err))

    def watch():
        while not stop.is_set():
            try:
                st = server("10.77.0.11")["state"]
            except Fail:
                st = None
            now = time.monotonic()
            if "kill" in marks and "down" not in marks and st == "down":
                marks["down"] = now
            if "restart" in marks and "up" not in marks and st == "up":
                marks["up"] = now
            time.sleep(0.05)

    threads = [threading.Thread(target=client), threading.Thread(target=watch)]
    for t in threads:
        t.start()
    try:
        time.sleep(3)
        marks["kill"] = time.monotonic()
        nginx_stop("rs1")
        time.sleep(9)
        nginx_start("rs1")
        marks["restart"] = time.monotonic()
        threads[0].join(30)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
        if not os.path.exists(RUN + "/rs1/nginx.pid"):
            nginx_start("rs1")
    check("down" in marks, "rs1 never went down")
    check("up" in marks, "rs1 never came back up")
    detect = marks["down"] - marks["kill"]
    limit = 1 + (1 + 1) * 1 + 1           # delay_loop + (retry+1) x connect_timeout + 1
    check(detect <= limit, "rs1 down %.2f s after nginx stopped (limit %d s)" % (detect, limit))
    before = [r for r in results if marks["kill"] <= r[0] < marks["down"] and r[2]]
    after = [r for r in results if r[0] >= marks["down"] and r[2]]
    if after:
        drops = {}
        for k in H.counters()["cores"]:
            for r, v in k["drops"].items():
                if v:
                    drops[r] = drops.get(r, 0) + v
        raise Fail("%d requests failed after rs1 was down (%.2f s after the kill): %s;"
                   " lbd's drops: %s" % (len(after), detect, ", ".join(
                       "%+.2f s %s" % (t - marks["down"], e) for t, _, e in after), drops))
    back = marks["up"] - marks["restart"]
    check(back <= 1 + 1, "rs1 up %.2f s after nginx restarted (limit 2 s)" % back)
    to_rs1 = [r for r in results if r[0] >= marks["up"] and r[1] == "rs1"]
    check(to_rs1, "no request reached rs1 after it was back up")
    line = ("check: TCP 10.77.0.100:80 -> 10.77.0.11:80 DOWN after 2 failures:"
            " connection refused")
    check(line in lbd_log(), "no log line %r" % line)
    check("check: TCP 10.77.0.100:80 -> 10.77.0.11:80 UP" in lbd_log(), "no UP log line")
    drops = sum(k["drops"].get("dest_removed", 0) for k in H.counters()["cores"])
    return ("%d requests; down %.2f s after the kill (%d failed before, 0 after), up %.2f s"
            " after the restart, %d to rs1 since; %d packets to rs1's old entries dropped"
            % (len(results), detect, len(before), back, len(to_rs1), drops))


def test_http():
    good = b"the page as it should be\n"
    for node in ("rs1", "rs2"):
        base = "%s/%s-hc" % (RUN, node)
        with open(base + ".status", "w") as f:
            f.write("500")
        with open(base + ".page", "wb") as f:
            f.write(good)
        if os.path.exists(base + ".log"):
            os.unlink(base + ".log")
        helper(node, 8081, "http")
    # rs3: SSL_GET against a TLS listener with a certificate of its own
    base = RUN + "/rs3-hc"
    with open(base + ".status", "w") as f:
        f.write("200")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=rs3.lab", "-keyout", base + ".key", "-out", base + ".crt"],
                   check=True, capture_output=True)
    helper("rs3", 8443, "https")
    digest = hashlib.md5(good).hexdigest()
    hc = ("type = \"http\"; connect_port = 8081; delay_loop = 0.5; connect_timeout = 1;"
          " retry = 1; delay_before_retry = 0.5;")
    start("http", """{ protocol = "tcp"; vip = "10.77.0.100"; port = 80; scheduler = "rr";
        real_servers = (
          { address = "10.77.0.11"; check = { %s path = "/health"; }; },
          { address = "10.77.0.12"; check = { %s path = "/page"; digest = "%s"; }; },
          { address = "10.77.0.13"; check = { %s type = "https"; connect_port = 8443;
                                              path = "/health"; virtualhost = "rs3.lab"; }; } ); }"""
          % (hc, hc, digest, hc.replace('type = "http"; connect_port = 8081; ', '')))
    t = wait_state("10.77.0.11", "down", 5)
    r = server("10.77.0.11")["result"]
    check(r == "HTTP status 500", "rs1's result: %r" % r)
    check("10.77.0.11" not in listed(), "rs1 down but in -Ln: %s" % listed())
    head = open(RUN + "/rs1-hc.log", "rb").read().split(b"\r\n\r\n")[0].decode()
    want = "GET /health HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 10.77.0.11:8081"
    check(head == want, "the check's request: %r, want keepalived's %r" % (head, want))
    with open(RUN + "/rs1-hc.status", "w") as f:
        f.write("200")
    t_up = wait_state("10.77.0.11", "up", 3)
    check(server("10.77.0.11")["result"] == "HTTP 200", "rs1: %s" % server("10.77.0.11"))
    check(listed().get("10.77.0.11") == 1, "rs1 up but -Ln: %s" % listed())
    # rs2: the digest of /page
    d = server("10.77.0.12")
    check(d["state"] == "up" and d["result"] == "HTTP 200, digest ok", "rs2: %s" % d)
    with open(RUN + "/rs2-hc.page", "wb") as f:
        f.write(b"a defaced page\n")
    t_dg = wait_state("10.77.0.12", "down", 5)
    r = server("10.77.0.12")["result"]
    bad = hashlib.md5(b"a defaced page\n").hexdigest()
    check(r == "HTTP 200, digest %s differs" % bad, "rs2's result: %r" % r)
    with open(RUN + "/rs2-hc.page", "wb") as f:
        f.write(good)
    wait_state("10.77.0.12", "up", 3)
    # rs3 over TLS: 200 up, 503 down
    d = server("10.77.0.13")
    check(d["state"] == "up" and d["result"] == "HTTP 200" and d["checks"] > 0,
          "rs3 (https): %s" % d)
    head = open(RUN + "/rs3-hc.log", "rb").read().split(b"\r\n\r\n")[0].decode()
    check("\r\nHost: rs3.lab" in head, "the https check's request: %r" % head)
    with open(RUN + "/rs3-hc.status", "w") as f:
        f.write("503")
    t_tls = wait_state("10.77.0.13", "down", 5)
    check(server("10.77.0.13")["result"] == "HTTP status 503", "rs3: %s" % server("10.77.0.13"))
    stop_helpers()
    return ("500: down in %.1f s; 200: up in %.1f s; digest mismatch: down in %.1f s;"
            " https 503: down in %.1f s" % (t, t_up, t_dg, t_tls))


def rc(node, v):
    with open("%s/%s.rc" % (RUN, node), "w") as f:
        f.write(str(v))


def test_misc():
    rc("rs1", 0)
    rc("rs2", 0)
    cmd = "check = { type = \"misc\"; command = \"exit $(cat @RUN@/%s.rc)\"; delay_loop = 0.3;%s };"
    start("misc", """{ protocol = "tcp"; vip = "10.77.0.100"; port = 80; scheduler = "wrr";
        real_servers = (
          { address = "10.77.0.11"; weight = 5; %s },
          { address = "10.77.0.12"; weight = 5; %s } ); }"""
          % (cmd % ("rs1", " dynamic = true;"), cmd % ("rs2", "")))
    check(H.wait_for(lambda: server("10.77.0.11")["checks"] > 0 and
                     server("10.77.0.12")["checks"] > 0, 3) is not None, "no check ran")
    check(listed() == {"10.77.0.11": 5, "10.77.0.12": 5}, "-Ln: %s" % listed())
    steps = []
    for v, want in ((12, 10), (2, 0), (1, None), (0, 5)):
        rc("rs1", v)
        t = H.wait_for(lambda: listed().get("10.77.0.11") == want, 3)
        check(t is not None, "rs1 exit %d: -Ln %s, want weight %s" % (v, listed(), want))
        steps.append("exit %d -> %s" % (v, "weight %d" % want if want is not None else "down"))
    check(server("10.77.0.11")["weight"] == 5, "the operator's weight changed: %s"
          % server("10.77.0.11"))
    for v in (1, 7):
        rc("rs2", v)
        t = H.wait_for(lambda: "10.77.0.12" not in listed(), 3)
        check(t is not None, "rs2 (not dynamic) exit %d: still in -Ln %s" % (v, listed()))
        rc("rs2", 0)
        check(H.wait_for(lambda: "10.77.0.12" in listed(), 3) is not None, "rs2 not back")
    return "dynamic: %s; not dynamic: exit 1 and 7 down" % ", ".join(steps)


def progress(dl, secs):
    """Bytes the download moved in SECS."""
    a = dl.got
    time.sleep(secs)
    return dl.got - a


def test_inhibit():
    results = []
    for inhibit in (True, False):
        lst = helper("rs1", 8082, "tcp")
        start("inhibit", """{ protocol = "tcp"; vip = "10.77.0.100"; port = 80; scheduler = "rr";
            real_servers = ( { address = "10.77.0.11";
              check = { type = "tcp"; connect_port = 8082; delay_loop = 0.3; retry = 0;
                        connect_timeout = 1; inhibit_on_failure = %s; }; } ); }"""
              % ("true" if inhibit else "false"))
        wait_state("10.77.0.11", "up", 3)
        dl = H.Download()
        check(H.wait_for(lambda: dl.got > 65536, 5) is not None, "the download does not start")
        stop_helper(lst)
        wait_state("10.77.0.11", "down", 3)
        if inhibit:
            check(listed() == {"10.77.0.11": 0}, "inhibited: -Ln %s, want weight 0" % listed())
            dl.finish()
            results.append("inhibited: weight 0 in -Ln, download of %d bytes intact" % dl.got)
        else:
            check(listed() == {}, "not inhibited: -Ln %s, want no server" % listed())
            # what rs1 had sent before its client's ACKs were dropped arrives
            # first (the client's window, 32 KiB at most); then nothing
            time.sleep(1.5)
            moved = progress(dl, 2)
            check(moved == 0, "not inhibited: the download still moves (%d bytes in 2 s)"
                  % moved)
            results.append("not inhibited: out of -Ln, its connection stopped at %d bytes"
                           % dl.got)
            dl.s.shutdown(2)
            dl.join(5)
    return "; ".join(results)


def test_quorum():
    lst = {n: helper(n, 8082, "tcp") for n in ("rs1", "rs2")}
    start("quorum", """{ protocol = "tcp"; vip = "10.77.0.100"; port = 80; scheduler = "rr";
        quorum = 1; sorry_server = "10.77.0.13";
        check = { type = "tcp"; connect_port = 8082; delay_loop = 0.3; retry = 0; connect_timeout = 1; };
        real_servers = ( { address = "10.77.0.11"; }, { address = "10.77.0.12"; } ); }""")
    wait_state("10.77.0.11", "up", 3)
    served = {get()[0] for _ in range(4)}
    check(served == {"rs1", "rs2"}, "with quorum: served by %s" % served)
    stop_helper(lst["rs1"])
    stop_helper(lst["rs2"])
    wait_state("10.77.0.12", "down", 3)
    t = H.wait_for(lambda: listed() == {"10.77.0.13": 1}, 2)
    check(t is not None, "quorum lost: -Ln %s, want the sorry server alone" % listed())
    served = [get() for _ in range(4)]
    check(all(s == "rs3" for s, _ in served), "quorum lost: served by %s" % served)
    check("quorum lost (healthy weight 0, quorum 1): sorry server 10.77.0.13:80 takes the"
          " traffic" in lbd_log(), "no quorum-lost log line")
    h = health()["services"][0]
    check(not h["quorum_up"] and h["sorry_active"], "--health: %s" % h)
    lst["rs2"] = helper("rs2", 8082, "tcp")
    wait_state("10.77.0.12", "up", 3)
    check(H.wait_for(lambda: listed() == {"10.77.0.12": 1}, 2) is not None,
          "quorum back: -Ln %s, want rs2 alone" % listed())
    served = {get()[0] for _ in range(4)}
    check(served == {"rs2"}, "quorum back: served by %s" % served)
    stop_helpers()
    return "lost: the sorry server alone answered; regained with rs2: rs2 alone answered"


def sleepers():
    """Commands of the stall test alive: process groups running "sleep 1000"."""
    p = subprocess.run(["ps", "-eo", "pgid=,args="], capture_output=True, text=True)
    return len({line.split(None, 1)[0] for line in p.stdout.splitlines()
                if line.split(None, 1)[1:] and line.split(None, 1)[1].endswith("sleep 1000")})


def test_stall():
    helper("rs1", 8083, "mute")
    start("stall", """{ protocol = "tcp"; vip = "10.77.0.100"; port = 80; scheduler = "rr";
        real_servers = (
          { address = "10.77.0.11"; check = { type = "http"; connect_port = 8083; connect_timeout = 1;
                                              delay_loop = 1; retry = 0; }; },
          { address = "10.77.0.12"; check = { type = "tcp"; connect_ip = "10.77.0.250";
                                              connect_timeout = 1; delay_loop = 1; retry = 0; }; },
          { address = "10.77.0.13"; check = { type = "misc"; command = "sleep 1000"; timeout = 1;
                                              delay_loop = 1; }; } ); }""")
    lbadm("-Z")
    t_end = time.monotonic() + 6
    worst = 0.0
    most_sleepers = 0
    pings = 0
    while time.monotonic() < t_end:
        t0 = time.monotonic()
        lbadm("-Ln")
        worst = max(worst, time.monotonic() - t0)
        most_sleepers = max(most_sleepers, sleepers())
        if H.ping("cli", VIP, count=1, deadline=1) == 1:
            pings += 1
        time.sleep(0.1)
    want = {"10.77.0.11": "no complete reply within 1 s",
            "10.77.0.12": "connect timed out after 1 s",
            "10.77.0.13": "timed out after 1 s: killed"}
    h = health()
    for addr, text in want.items():
        d = server(addr, h)
        check(d["state"] == "down" and d["result"] == text, "%s: %s, want down: %s"
              % (addr, d, text))
        check(d["checks"] >= 2, "%s: %d attempts in 6 s" % (addr, d["checks"]))
    c = H.counters()
    ctl_ms = c["control"]["loop_max_ns"] / 1e6
    core_ms = max(k["loop_max_ns"] for k in c["cores"]) / 1e6
    check(worst < 0.5, "lbadm -Ln took %.3f s during the stalls" % worst)
    check(ctl_ms < 50, "the control loop's longest iteration: %.1f ms" % ctl_ms)
    check(core_ms < 50, "the worker's longest iteration: %.1f ms" % core_ms)
    check(most_sleepers <= 1, "%d hung commands at once: timed-out ones are not killed"
          % most_sleepers)
    check(pings >= 10, "only %d pings of the VIP answered" % pings)
    H.lab_ok("stop")
    check(H.wait_for(lambda: sleepers() == 0, 3) is not None, "a hung command outlived lbd")
    stop_helpers()
    return ("lbadm -Ln at most %.0f ms, control loop %.2f ms, worker %.2f ms, %d pings,"
            " at most %d hung command at once" % (worst * 1000, ctl_ms, core_ms, pings,
                                                  most_sleepers))


TESTS = [("tcp_kill", test_tcp_kill), ("http", test_http), ("misc", test_misc),
         ("inhibit", test_inhibit), ("quorum", test_quorum), ("stall", test_stall)]


def main():
    H.BUILD, names = harness.parse("health", __doc__, TESTS,
                                   tools=("nginx", "ethtool", "ping", "tc", "ss", "pgrep"))
    H.LBADM = os.path.join(H.BUILD, "lbadm")

    # As tests/lab/host.py: the lab's own processes (servers, client,
    # listeners, commands) on CPU 0, lbd's main lcore, so that its busy-polling
    # worker has CPU 1 to itself and a request's latency measures lbd.
    os.sched_setaffinity(0, {0})

    def up():
        H.lab_ok("up", H.BUILD, os.path.join(HERE, "host.conf"), LAB_LBD="0",
                 LAB_LB_DROP="1", LAB_SERVERS="3")
        with open(RUN + "/hc_server.py", "w") as f:
            f.write(HC_SERVER)
        nsx("cli", "sysctl", "-qw", "net.ipv4.tcp_rmem=" + H.CLI_RMEM)

    def lbd_log(_name):
        try:
            with open(RUN + "/lbd.log", errors="replace") as f:
                tail = f.read().splitlines()[-15:]
            log("     lbd.log: " + "\n     ".join(tail))
        except OSError:
            pass

    def down():
        stop_helpers()
        p = H.lab("down")
        if p.returncode != 0:
            log("health: lab.sh down: " + p.stdout)
    return harness.run("health", TESTS, names, up, down, on_fail=lbd_log,
                       after_each=stop_helpers)


if __name__ == "__main__":
    sys.exit(main())
