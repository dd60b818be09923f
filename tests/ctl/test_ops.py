#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Operating lbd: metrics, telemetry, reload and systemd, on the real daemon.

lbd runs on a net_pcap port that replays a SYN then an ACK of each client's
flow once (so that every figure is still while it is compared), with a
metrics endpoint, then:

  metrics     promtool check metrics passes on /metrics; node_ipvs_* say what
              lbadm -Ln and --stats --exact say (per server active, inactive,
              weight; the global totals); 404, 405, 431, and idle connections
              that fill every slot do not lock a scraper out
  prometheus  Debian's Prometheus scrapes lbd; its HTTP API returns the same
              node_ipvs_backend_connections_active and
              node_ipvs_incoming_packets_total as lbadm
  telemetry   dpdk-telemetry.py answers /lbd/services, /lbd/counters and
              /lbd/conns_summary, with lbadm's figures
  reload      SIGHUP: a broken file changes nothing (FILE:LINE in the log); a
              file that also changes a restart-only key is refused whole; a
              good one adds, edits and removes servers and a service, changes
              a timeout and a scheduler, keeps an unchanged service's
              connections and counters, says lbadm's change was replaced; a
              removed server added back comes with its connections (IPVS's
              trash); 100 reloads leave lbd's memory where it was
  systemd     make install's tree (DESTDIR); the unit passes systemd-analyze
              verify; under a fake NOTIFY_SOCKET lbd sends READY=1, WATCHDOG=1
              while its worker runs and none while it is stopped (ptrace),
              RELOADING=1 then READY=1 on SIGHUP, STOPPING=1 at the end

usage: test_ops.py BUILD_DIR     (root; 77 otherwise)
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import lbdctl
from lbdctl import check, failures, tcp_frame

BUILD = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else None
SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MPORT = 9000 + os.getpid() % 500        # the metrics endpoint
PPORT = 9600 + os.getpid() % 300        # Prometheus's own
VIP = "10.0.0.100"
N_FLOWS = 24

SERVICES = {
    # A: wrr over three servers, then B (udp) which reloads leave alone
    "A": '{ protocol = "tcp"; vip = "10.0.0.100"; port = 80; scheduler = "%s";\n'
         '    real_servers = ( %s ); }',
    "B": '{ protocol = "udp"; vip = "10.0.0.100"; port = 53; scheduler = "rr";\n'
         '    real_servers = ( { address = "10.0.0.21"; mac = "02:00:00:00:00:21"; %s } ); }',
    "C": '{ protocol = "tcp"; vip = "10.0.0.101"; port = 443; scheduler = "sh";\n'
         '    real_servers = ( { address = "10.0.0.31"; mac = "02:00:00:00:00:31"; } ); }',
    # D: IPv6, in every file: its labels and telemetry name carry IPv6's forms
    "D": '{ protocol = "tcp"; vip = "2001:db8::100"; port = 80; scheduler = "rr";\n'
         '    real_servers = ( { address = "2001:db8::41"; weight = 2;'
         ' mac = "02:00:00:00:00:41"; } ); }',
}


def server(last, weight):
    return '{ address = "10.0.0.%d"; weight = %d; mac = "02:00:00:00:00:%02x"; }' % (
        last, weight, last)


def conf(a_sched="wrr", a_servers=((11, 3), (12, 1), (13, 1)), with_c=False,
         established=900, connections=8192, extra="", b_check=""):
    svcs = [SERVICES["A"] % (a_sched, ", ".join(server(*s) for s in a_servers)),
            SERVICES["B"] % b_check]
    if with_c:
        svcs.append(SERVICES["C"])
    svcs.append(SERVICES["D"])
    return """
ports = ( { device = "net_pcap0"; address = "10.0.0.2/24"; address6 = "2001:db8::2/64";
            mac = "%s"; } );
services = ( %s );
timeouts = { established = %d; };
dataplane = { mbufs = 4096; connections = %d; };
metrics = { listen = "127.0.0.1:%d"; };
control = { socket = "@DIR@/lbd.sock"; };
%s""" % (lbdctl.LB_MAC, ",\n  ".join(svcs), established, connections, MPORT, extra)


def frames():
    out = [tcp_frame("192.0.2.%d" % (10 + i), 40000 + i, VIP, 80, 0x02) for i in range(N_FLOWS)]
    out += [tcp_frame("192.0.2.%d" % (10 + i), 40000 + i, VIP, 80, 0x10) for i in range(N_FLOWS)]
    out += [lbdctl.udp_frame("192.0.2.99", 5353, VIP, 53)]
    return out


# ---- reading lbd ----

def http(path, method="GET"):
    """(status, body) of a request to the metrics endpoint."""
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (MPORT, path), method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def samples(text):
    """{(name, frozenset(labels)): value} of an exposition."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line)
        if m is None:
            out[("unparsed", line)] = None
            continue
        labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def ipvsadm_form(addr, port):
    """A label's address and port as ipvsadm prints them ([addr]:port for IPv6)."""
    return ("[%s]:%s" if ":" in addr else "%s:%s") % (addr, port)


def backend(vip, vport, proto, rip, rport):
    return frozenset({("local_address", vip), ("local_mark", ""), ("local_port", str(vport)),
                      ("proto", proto), ("remote_address", rip),
                      ("remote_port", str(rport))})


def listing(lbd):
    """From lbadm -Ln: {(proto, vip:port, rip:port): (weight, active, inactive)}."""
    rc, out, _ = lbd.lbadm("-Ln")
    rows, svc = {}, None
    for line in out.splitlines():
        m = re.match(r"(TCP|UDP)\s+(\S+)\s+\S+", line)
        if m:
            svc = (m.group(1), m.group(2))
            continue
        m = re.match(r"\s+-> (\S+)\s+Route\s+(\d+)\s+(\d+)\s+(\d+)", line)
        if m and svc:
            rows[svc + (m.group(1),)] = tuple(int(m.group(i)) for i in (2, 3, 4))
    return rows


def stats_totals(lbd):
    """Sum of the services' Conns and InPkts in lbadm -Ln --stats --exact."""
    _, out, _ = lbd.lbadm("-Ln", "--stats", "--exact")
    conns = pkts = 0
    for line in out.splitlines():
        m = re.match(r"(TCP|UDP)\s+\S+\s+(\d+)\s+(\d+)", line)
        if m:
            conns += int(m.group(2))
            pkts += int(m.group(3))
    return conns, pkts


def counters_json(lbd):
    rc, out, _ = lbd.lbadm("--counters", "--json")
    return json.loads(out) if rc == 0 else None


# ---- phases ----

def phase_metrics(lbd):
    status, text = http("/metrics")
    check(status == 200, "GET /metrics: 200")
    r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       text=True)
    check(r.returncode == 0 and r.stdout.strip() == "" and r.stderr.strip() == "",
          "promtool check metrics: clean (%s%s)" % (r.stdout.strip(), r.stderr.strip()))
    s = samples(text)
    check(not any(k[0] == "unparsed" for k in s), "every sample line parses")
    rows = listing(lbd)
    check(len(rows) == 5, "lbadm -Ln: 5 servers (%d)" % len(rows))
    check(("TCP", "[2001:db8::100]:80", "[2001:db8::41]:80") in rows, "the IPv6 one among them")
    same = True
    for (proto, vs, rs), (weight, active, inactive) in rows.items():
        # node_exporter labels an IPv6 address without ipvsadm's brackets
        vip, vport = vs.rsplit(":", 1)
        rip, rport = rs.rsplit(":", 1)
        lab = backend(vip.strip("[]"), vport, proto, rip.strip("[]"), rport)
        got = (s.get(("node_ipvs_backend_weight", lab)),
               s.get(("node_ipvs_backend_connections_active", lab)),
               s.get(("node_ipvs_backend_connections_inactive", lab)))
        if got != (weight, active, inactive):
            same = False
            print("  %s %s: metrics %s, lbadm %s" % (vs, rs, got, (weight, active, inactive)))
    check(same, "node_ipvs_backend_{weight,connections_active,connections_inactive}"
          " = lbadm -Ln, server by server")
    conns, pkts = stats_totals(lbd)
    check(s.get(("node_ipvs_connections_total", frozenset())) == conns and conns == N_FLOWS + 1,
          "node_ipvs_connections_total = --stats Conns summed (%d)" % conns)
    check(s.get(("node_ipvs_incoming_packets_total", frozenset())) == pkts and
          pkts == 2 * N_FLOWS + 1, "node_ipvs_incoming_packets_total = --stats InPkts (%d)" % pkts)
    check(s.get(("node_ipvs_outgoing_packets_total", frozenset())) == 0,
          "node_ipvs_outgoing_packets_total 0 (direct routing)")
    for fam, typ in (("node_ipvs_connections_total", "counter"),
                     ("node_ipvs_backend_connections_active", "gauge"),
                     ("node_ipvs_backend_weight", "gauge")):
        check("# TYPE %s %s\n" % (fam, typ) in text, "%s is a %s" % (fam, typ))
    check('# HELP node_ipvs_backend_connections_active The current active connections by'
          ' local and remote address.\n' in text, "node_exporter's help text")
    c = counters_json(lbd)
    rx = sum(core["rx"] for core in c["cores"])
    check(sum(v for k, v in s.items() if k[0] == "lbd_rx_packets_total") == rx,
          "lbd_rx_packets_total = lbadm --counters rx (%d)" % rx)
    est = sum(v for k, v in s.items() if k[0] == "lbd_conn_state_entries" and
              ("state", "ESTABLISHED") in k[1])
    check(est == N_FLOWS, "lbd_conn_state_entries{state=ESTABLISHED} = %d flows" % est)
    check(sum(v for k, v in s.items() if k[0] == "lbd_conn_capacity") >= 8192,
          "lbd_conn_capacity")

    # HTTP's edges
    check(http("/nope")[0] == 404, "GET /nope: 404")
    junk = socket.create_connection(("127.0.0.1", MPORT))
    junk.sendall(b"\x16\x03\x01 garbage\r\n\r\n")
    check(junk.recv(64).startswith(b"HTTP/1.1 400"), "a request line of garbage: 400")
    junk.close()
    check(http("/metrics", "POST")[0] == 405, "POST /metrics: 405")
    big = socket.create_connection(("127.0.0.1", MPORT))
    big.sendall(b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n")
    check(big.recv(64).startswith(b"HTTP/1.1 431"), "a 9 KB request head: 431")
    big.close()
    idle = [socket.create_connection(("127.0.0.1", MPORT)) for _ in range(12)]
    t0 = time.monotonic()
    status, _ = http("/metrics")
    check(status == 200 and time.monotonic() - t0 < 2,
          "12 idle connections holding every slot: a scrape still answered in %.2f s"
          % (time.monotonic() - t0))
    for c in idle:
        c.close()


PROM_CONF = """
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: lbd
    static_configs:
      - targets: ['127.0.0.1:%d']
"""


def prom_query(q):
    url = "http://127.0.0.1:%d/api/v1/query?%s" % (PPORT, urllib.parse.urlencode({"query": q}))
    try:
        with urllib.request.urlopen(url, timeout=3) as r:
            d = json.loads(r.read())
    except (OSError, ValueError):
        return None
    return d["data"]["result"] if d.get("status") == "success" else None


def phase_prometheus(lbd, tmp):
    if shutil.which("prometheus") is None:
        check(False, "prometheus installed (make deps installs it)")
        return
    cfg = os.path.join(tmp, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write(PROM_CONF % MPORT)
    log = open(os.path.join(tmp, "prometheus.log"), "w+")
    p = subprocess.Popen(["prometheus", "--config.file=" + cfg,
                          "--storage.tsdb.path=" + os.path.join(tmp, "tsdb"),
                          "--web.listen-address=127.0.0.1:%d" % PPORT],
                         stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 40
        res = None
        while time.monotonic() < deadline:
            res = prom_query("node_ipvs_incoming_packets_total")
            if res:
                break
            time.sleep(0.5)
        check(bool(res), "Prometheus scraped lbd (%.0f s)" % (40 - (deadline - time.monotonic())))
        if not res:
            log.seek(0)
            print(log.read()[-2000:])
            return
        _, pkts = stats_totals(lbd)
        check(float(res[0]["value"][1]) == pkts,
              "Prometheus: node_ipvs_incoming_packets_total %s = lbadm --stats %d"
              % (res[0]["value"][1], pkts))
        up = prom_query('up{job="lbd"}')
        check(up and up[0]["value"][1] == "1", "Prometheus: up{job=\"lbd\"} 1")
        rows = listing(lbd)
        act = prom_query("node_ipvs_backend_connections_active")
        got = {(r["metric"]["proto"], ipvsadm_form(r["metric"]["local_address"],
                                                   r["metric"]["local_port"]),
                ipvsadm_form(r["metric"]["remote_address"], r["metric"]["remote_port"])):
               int(float(r["value"][1])) for r in act or []}
        want = {k: v[1] for k, v in rows.items()}
        check(got == want and sum(want.values()) == N_FLOWS,
              "Prometheus: node_ipvs_backend_connections_active = lbadm -Ln ActiveConn %s"
              % sorted(got.items()))
        r = prom_query('sum(rate(lbd_rx_packets_total[5s]))')
        check(r is not None, "Prometheus: rate() over lbd_rx_packets_total evaluates")
    finally:
        p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()


def telemetry(prefix, *cmds):
    r = subprocess.run(["/usr/bin/dpdk-telemetry.py", "-f", prefix],
                       input="".join(c + "\n" for c in cmds), capture_output=True, text=True,
                       timeout=20)
    # one JSON reply per command, in order, each {"<command without params>": data}
    replies = []
    for line in r.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                replies.append(json.loads(line))
            except ValueError:
                pass
    return {c: next(iter(rep.values())) for c, rep in zip(cmds, replies)
            if c.split(",")[0] in rep}


def phase_telemetry(lbd):
    t = telemetry(lbd.prefix, "/", "/lbd/services", "/lbd/counters", "/lbd/conns_summary",
                  "/lbd/services,TCP:10.0.0.100:80", "/lbd/services,TCP:10.9.9.9:1",
                  "/lbd/services,TCP:[2001:db8::100]:80")
    check("/lbd/services" in t.get("/", []) and "/lbd/conns_summary" in t.get("/", []),
          "the command list names /lbd/ commands")
    svcs = t.get("/lbd/services")
    names = sorted(v["service"] for v in (svcs or {}).values())
    check(names == ["TCP:10.0.0.100:80", "TCP:[2001:db8::100]:80", "UDP:10.0.0.100:53"],
          "/lbd/services: %s" % names)
    a = [v for v in (svcs or {}).values() if v["service"] == "TCP:10.0.0.100:80"]
    check(a and a[0]["active"] == N_FLOWS and a[0]["scheduler"] == "wrr",
          "/lbd/services: A is wrr with %d active" % N_FLOWS)
    c = counters_json(lbd)
    tc = t.get("/lbd/counters") or {}
    check(tc.get("rx") == sum(core["rx"] for core in c["cores"]) and
          tc.get("drops", {}).get("tcp_no_conn") == 0,
          "/lbd/counters: rx = lbadm's (%s)" % tc.get("rx"))
    cs = t.get("/lbd/conns_summary") or {}
    check(cs.get("entries") == N_FLOWS + 1 and cs.get("states", {}).get("ESTABLISHED") ==
          N_FLOWS and cs.get("states", {}).get("UDP") == 1,
          "/lbd/conns_summary: %s" % cs)
    servers = sorted((v["address"], v["active"]) for v in
                     (t.get("/lbd/services,TCP:10.0.0.100:80") or {}).values())
    rows = listing(lbd)
    want = sorted((k[2].split(":")[0], v[1]) for k, v in rows.items()
                  if k[:2] == ("TCP", "10.0.0.100:80"))
    check(servers == want, "/lbd/services,TCP:10.0.0.100:80: servers %s" % servers)
    check("/lbd/services,TCP:10.9.9.9:1" in t and t["/lbd/services,TCP:10.9.9.9:1"] is None,
          "/lbd/services of an unknown service: null")
    six = [(v["address"], v["weight"]) for v in
           (t.get("/lbd/services,TCP:[2001:db8::100]:80") or {}).values()]
    check(six == [("2001:db8::41", 2)], "/lbd/services,TCP:[2001:db8::100]:80: %s" % six)


def hup(lbd, path, text, mark):
    """Write text to lbd's file, SIGHUP, wait for the log line that ends the reload."""
    with open(path, "w") as f:
        f.write(text.replace("@DIR@", lbd.dir))
    pos = lbd.log.tell()
    lbd.p.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lbd.log.seek(pos)
        got = lbd.log.read()
        if re.search(r"reload: (.*applied|.*nothing changed)", got):
            return got
        time.sleep(0.05)
    lbd.log.seek(0, 2)
    return ""


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def phase_reload(lbd):
    path = os.path.join(lbd.dir, "lbd.conf")
    before = listing(lbd)
    conns_a, _ = stats_totals(lbd)

    log = hup(lbd, path, conf(a_servers=((11, 9), (12, 1), (13, 1))) + "\nbogus = 1;\n", "broken")
    check(re.search(r"reload: \S+lbd.conf:\d+: unknown key 'bogus'", log) is not None and
          "nothing changed" in log, "a broken file: FILE:LINE and nothing changed")
    check(listing(lbd) == before, "  and -Ln is as it was")

    log = hup(lbd, path, conf(a_servers=((11, 9), (12, 1), (13, 1)), connections=16384), "restart")
    check("dataplane.connections changed, which needs a restart" in log and
          "refused, nothing changed" in log, "a restart-only key: named, refused whole")
    check(listing(lbd) == before, "  and the weight change beside it was not applied")

    rc, _, _ = lbd.lbadm("-a", "-t", "10.0.0.100:80", "-r", "10.0.0.14", "-g", "-w", "1")
    check(rc == 0, "lbadm -a of a server the file does not have")
    new = conf(a_sched="wlc", a_servers=((11, 5), (13, 1), (15, 2)), with_c=True,
               established=600)
    log = hup(lbd, path, new, "good")
    check("1 change made with lbadm since the file was last read is replaced" in log,
          "the log says lbadm's change is replaced")
    if not check(re.search(r"applied: services \+1 -0 ~1, real servers \+2 -2 ~1, timeouts",
                           log) is not None,
                 "applied: +1 service, 1 edited, +2 -2 ~1 servers, timeouts"):
        print(log)
    after = listing(lbd)
    _, out, _ = lbd.lbadm("-Ln")
    check("TCP  10.0.0.100:80 wlc" in out and "TCP  10.0.0.101:443 sh" in out,
          "the scheduler changed, the new service is there")
    check(after.get(("TCP", "10.0.0.100:80", "10.0.0.11:80"), (0,))[0] == 5 and
          ("TCP", "10.0.0.100:80", "10.0.0.15:80") in after and
          ("TCP", "10.0.0.100:80", "10.0.0.12:80") not in after and
          ("TCP", "10.0.0.100:80", "10.0.0.14:80") not in after,
          "weights, an added and two removed servers as the file says")
    keep = ("TCP", "10.0.0.100:80", "10.0.0.11:80")
    check(after[keep][1] == before[keep][1] and before[keep][1] > 0,
          "a kept server keeps its %d connections" % before[keep][1])
    check(after[("UDP", "10.0.0.100:53", "10.0.0.21:53")] ==
          before[("UDP", "10.0.0.100:53", "10.0.0.21:53")], "the unchanged UDP service as it was")
    _, out, _ = lbd.lbadm("-L", "--timeout")
    check("Timeout (tcp tcpfin udp): 600 120 300" in out, "the timeout: " + out.strip())
    conns_b, _ = stats_totals(lbd)
    check(conns_b == conns_a, "service counters kept across reloads (%d, %d)" % (conns_a, conns_b))
    c0 = counters_json(lbd)

    # back to the first file: 10.0.0.12 comes back with its connections
    gone = before[("TCP", "10.0.0.100:80", "10.0.0.12:80")][1]
    hup(lbd, path, conf(), "back")
    again = listing(lbd)
    check(again.get(("TCP", "10.0.0.100:80", "10.0.0.12:80"), (0, -1))[1] == gone and gone > 0,
          "a removed server added back comes with its %d connections (trash)" % gone)

    # 100 reloads, alternating: memory stays, counters never go backwards
    files = [conf(), new]
    for i in range(10):
        hup(lbd, path, files[i % 2], "warm")
    rss0 = rss_kb(lbd.p.pid)
    for i in range(100):
        hup(lbd, path, files[i % 2], "loop")
    rss1 = rss_kb(lbd.p.pid)
    if os.environ.get("LB_SANITIZED"):
        # ASan keeps freed memory in quarantine: RSS says nothing; its leak
        # checker does the job at exit
        print("skip 100 reloads: RSS %d -> %d kB, not checked under sanitizers" % (rss0, rss1))
    else:
        check(rss1 - rss0 < 512, "100 reloads: RSS %d -> %d kB" % (rss0, rss1))
    c1 = counters_json(lbd)
    check(all(c1["cores"][i]["rx"] >= c0["cores"][i]["rx"] for i in range(len(c0["cores"]))) and
          c1["total"]["conns"] >= c0["total"]["conns"], "counters never went backwards")
    check(lbd.alive(), "lbd alive after 100 reloads")

    # a check given by a reload runs, and one taken away ends
    udp = ("UDP", "10.0.0.100:53", "10.0.0.21:53")
    hup(lbd, path, conf(b_check='check = { type = "misc"; command = "/bin/false";'
                                ' delay_loop = 1; retry = 0; };'), "check")
    t0 = time.monotonic()
    while udp in listing(lbd) and time.monotonic() - t0 < 5:
        time.sleep(0.1)
    _, out, _ = lbd.lbadm("--health", "--json")
    st = [(d["check"], d["state"]) for v in json.loads(out)["services"] for d in v["servers"]
          if d["address"] == "10.0.0.21"]
    check(udp not in listing(lbd) and st == [("misc", "down")],
          "a misc check added by reload: the server down and out of -Ln in %.1f s"
          % (time.monotonic() - t0))
    hup(lbd, path, conf(), "uncheck")
    check(udp in listing(lbd), "the check removed by reload: the server back at once")


def phase_systemd(tmp):
    dest = os.path.join(tmp, "dest")
    r = subprocess.run(["make", "-C", SRC, "install", "BUILD=" + BUILD, "DESTDIR=" + dest],
                       capture_output=True, text=True)
    check(r.returncode == 0, "make install DESTDIR=...: %s" % r.stderr.strip()[-300:])
    want = ["usr/local/sbin/lbd", "usr/local/bin/lbadm", "usr/local/lib/systemd/system/lbd.service",
            "usr/local/share/lbd/lbd.conf", "etc/lbd/lbd.conf",
            "usr/local/share/doc/lbd/operations.md"]
    missing = [w for w in want if not os.path.exists(os.path.join(dest, w))]
    check(not missing, "installed: every file (%s missing)" % missing)
    r = subprocess.run(["make", "-C", SRC, "install", "BUILD=" + BUILD, "DESTDIR=" + dest],
                       capture_output=True, text=True)
    check("lbd.conf kept" in r.stdout, "a second install keeps /etc/lbd/lbd.conf")
    unit_path = os.path.join(dest, "usr/local/lib/systemd/system/lbd.service")
    with open(unit_path) as f:
        unit = f.read()
    check("Type=notify" in unit and "WatchdogSec=" in unit and
          "ExecReload=/bin/kill -HUP $MAINPID" in unit and "RuntimeDirectory=lbd" in unit,
          "the unit: notify, watchdog, reload by SIGHUP, runtime directory")
    # verify it as installed: its paths moved under DESTDIR
    local = os.path.join(tmp, "lbd.service")
    with open(local, "w") as f:
        f.write(unit.replace("/usr/local/", dest + "/usr/local/")
                .replace("/etc/lbd/", dest + "/etc/lbd/"))
    r = subprocess.run(["systemd-analyze", "verify", local], capture_output=True, text=True)
    check(r.returncode == 0 and "lbd.service" not in r.stderr,
          "systemd-analyze verify: clean (%s)" % r.stderr.strip())
    bad = os.path.join(tmp, "bad.service")
    with open(bad, "w") as f:
        f.write(unit.replace("Type=notify", "Type=notifyy"))
    r = subprocess.run(["systemd-analyze", "verify", bad], capture_output=True, text=True)
    check("notifyy" in r.stderr, "and it does flag a broken unit")

    # the notify protocol, under a socket of our own
    nsock = os.path.join(tmp, "notify.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    srv.bind(nsock)
    srv.settimeout(0.2)
    msgs = []

    def drain(seconds):
        end = time.monotonic() + seconds
        got = []
        while time.monotonic() < end:
            try:
                got.append(srv.recv(4096).decode())
            except socket.timeout:
                pass
        msgs.extend(got)
        return got

    lbd = lbdctl.Lbd(BUILD, conf(), frames(), infinite=False,
                     env={"NOTIFY_SOCKET": nsock, "WATCHDOG_USEC": "400000"})
    try:
        got = drain(1.5)
        check(any("READY=1" in m for m in got), "READY=1 once started")
        n = sum("WATCHDOG=1" in m for m in got)
        check(n >= 4, "WATCHDOG=1 every 200 ms while the worker runs (%d in 1.5 s)" % n)
        with lbdctl.WorkerStopped(lbd.p.pid):
            drain(0.5)  # one may be on its way
            got = drain(1.2)
            check(not any("WATCHDOG=1" in m for m in got),
                  "no WATCHDOG=1 while the worker is stopped (%d)" % len(got))
        got = drain(1.0)
        check(any("WATCHDOG=1" in m for m in got), "WATCHDOG=1 again once it runs")
        lbd.log.seek(0)
        check("worker on lcore 1 stalled: no watchdog keep-alive" in lbd.log.read(),
              "the log says which worker stalled")
        lbd.log.seek(0, 2)
        lbd.p.send_signal(signal.SIGHUP)
        got = drain(1.0)
        text = "|".join(got)
        check("RELOADING=1" in text and text.find("READY=1", text.find("RELOADING=1")) > 0,
              "SIGHUP: RELOADING=1, then READY=1")
    finally:
        rc, _, _ = lbd.stop()
        got = drain(0.5)
        check(any("STOPPING=1" in m for m in got), "STOPPING=1 at the end")
        srv.close()


def main():
    if BUILD is None:
        print(__doc__, file=sys.stderr)
        return 2
    if os.geteuid() != 0:
        print("ops: skipped, needs root")
        return 77
    tmp = tempfile.mkdtemp(prefix="lbd-ops-")
    lbd = lbdctl.Lbd(BUILD, conf(), frames(), infinite=False)
    try:
        # every frame is in once the counters stop moving
        last = None
        for _ in range(50):
            c = counters_json(lbd)
            rx = sum(core["rx"] for core in c["cores"]) if c else None
            if rx == last and rx:
                break
            last = rx
            time.sleep(0.2)
        phase_metrics(lbd)
        phase_prometheus(lbd, tmp)
        phase_telemetry(lbd)
        phase_reload(lbd)
    finally:
        rc, text, counters = lbd.stop()
        check(rc == 0, "lbd exit status 0 (%s)" % rc)
        check(lbdctl.accounted(counters), "every frame accounted for")
    phase_systemd(tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    print("ops: %s" % ("FAIL (%d)" % len(failures) if failures else "OK"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
