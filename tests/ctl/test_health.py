#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The health checker against replies it must not trust, and run-time changes.

lbd on a net_pcap port checks servers whose checks all go to local listeners
(connect_ip 127.0.0.1) that this test plays: HTTP replies that are garbage,
cut short, endless, oversized, binary; a TLS check against a plain server;
commands that are missing or kill themselves. Each gets its own result text
and the server is down; lbd stays up, answers lbadm at once, and holds no
more descriptors after hundreds of attempts than after the first few. Then
lbadm -a starts a check (the service's), -e -w on a server that is down is
what it gets back, and -d stops the check (its listener sees no more
connections).

usage: test_health.py BUILD_DIR
"""
import json
import os
import socket
import sys
import threading
import time

import lbdctl
from lbdctl import check, failures

# port -> what the listener sends after reading the request (None: close at once)
REPLIES = {
    0: None,                                              # accept, close
    1: b"hello there\r\n\r\n",                            # not HTTP
    2: b"HTTP/1.0 200 OK\r\n" + b"X-Pad: " + b"a" * 9000,  # headers never end
    3: b"HTTP/1.0 700 Weird\r\n\r\n",                     # status out of range
    4: b"\x00\xff\x00binary\r\n\r\n\x00",                  # binary junk
    5: b"HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\nshort",  # cut short, digest
    6: b"HTTP/1.0 200 OK\r\n\r\n" + b"x" * (17 << 20),      # body over 16 MiB, digest
    7: b"HTTP/1.1 204 No Content\r\n\r\n",                 # a code outside the list
    8: b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabc",  # good (the https check's)
    9: b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabc",  # good, deleted at run time
    10: b"NOW HTTP/1.0 400 Bad Request\r\n\r\n",            # speaks first: not TLS
    11: b"",                                               # reads, answers nothing
}
DIGEST_ABC = "900150983cd24fb0d6963f7d28e17f72"   # md5("abc")


class Listener(threading.Thread):
    """Accepts on 127.0.0.1, reads a request head, sends REPLY, closes."""

    def __init__(self, reply):
        super().__init__(daemon=True)
        self.s = socket.socket()
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.s.bind(("127.0.0.1", 0))
        self.s.listen(64)
        self.port = self.s.getsockname()[1]
        self.reply = reply
        self.accepted = 0
        self.start()

    def run(self):
        while True:
            try:
                c, _ = self.s.accept()
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        try:
            c.settimeout(3)
            if self.reply is not None and self.reply.startswith(b"NOW "):
                c.sendall(self.reply[4:])
            elif self.reply is not None:
                data = b""
                while b"\r\n\r\n" not in data:
                    d = c.recv(4096)
                    if not d:
                        break
                    data += d
                c.sendall(self.reply)
        except OSError:
            pass
        finally:
            c.close()


def health(lbd):
    rc, out, err = lbd.lbadm("--health", "--json")
    if rc != 0:
        raise SystemExit("lbadm --health: %s" % err)
    return json.loads(out)


def servers(lbd):
    return {d["address"]: d for s in health(lbd)["services"] for d in s["servers"]}


def wait(cond, secs):
    t0 = time.monotonic()
    while time.monotonic() - t0 < secs:
        if cond():
            return True
        time.sleep(0.05)
    return False


def sleeping():
    """Process groups running the sleeper's command."""
    groups = set()
    for pid in os.listdir("/proc"):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                args = f.read().split(b"\0")
            if b"sleep 31.5" in args or args[:2] == [b"sleep", b"31.5"]:
                groups.add(os.getpgid(int(pid)))
        except (OSError, ValueError):
            pass
    return len(groups)


def min_fds(pid, secs=1.0):
    """The fewest descriptors pid holds, sampled every 20 ms for secs."""
    least, end = n_fds(pid), time.monotonic() + secs
    while time.monotonic() < end:
        least = min(least, n_fds(pid))
        time.sleep(0.02)
    return least


def n_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    build = os.path.abspath(sys.argv[1])
    ls = {k: Listener(v) for k, v in REPLIES.items()}
    fast = "delay_loop = 0.1; connect_timeout = 1; retry = 0; connect_ip = \"127.0.0.1\";"

    def rs(i, check_keys):
        base = fast.replace("connect_timeout = 1; ", "") if "connect_timeout" in check_keys \
            else fast
        return '{ address = "10.0.0.%d"; check = { %s %s }; }' % (i, base, check_keys)
    cases = {
        # address: (check keys, the result it must end with)
        11: ('type = "http"; connect_port = %d;' % ls[1].port, "not an HTTP reply"),
        12: ('type = "http"; connect_port = %d;' % ls[2].port, "HTTP headers over 8192 bytes"),
        13: ('type = "http"; connect_port = %d;' % ls[3].port, "not an HTTP reply"),
        14: ('type = "http"; connect_port = %d;' % ls[4].port, "not an HTTP reply"),
        15: ('type = "http"; connect_port = %d; digest = "%s";' % (ls[5].port, DIGEST_ABC),
             "HTTP 200, digest 4f09daa9d95bcb166a302407a0e0babe differs"),
        16: ('type = "http"; connect_port = %d; digest = "%s"; connect_timeout = 3;'
             % (ls[6].port, DIGEST_ABC), "body over 16 MiB"),
        17: ('type = "http"; connect_port = %d; status_code = [ 200 ];' % ls[7].port,
             "HTTP status 204"),
        18: ('type = "http"; connect_port = %d;' % ls[11].port,
             "connection closed before an HTTP reply"),
        19: ('type = "https"; connect_port = %d;' % ls[10].port, "TLS handshake failed"),
        20: ('type = "misc"; command = "/nonexistent/check";', "exit 127"),
        21: ('type = "misc"; command = "kill -9 $$";', "killed by signal 9"),
        22: ('type = "http"; connect_port = %d; digest = "%s";' % (ls[9].port, DIGEST_ABC),
             "HTTP 200, digest ok"),
    }
    # a command that runs while its server is deleted (checked below)
    sleeper = 'type = "misc"; command = "sleep 31.5"; timeout = 30;'
    conf = """
ports = ( { device = "net_pcap0"; address = "10.0.0.2/24"; mac = "02:00:00:00:00:02"; } );
services = ( { protocol = "tcp"; vip = "10.0.0.100"; port = 80; scheduler = "rr";
  check = { type = "tcp"; connect_port = %d; %s };
  real_servers = ( %s ); } );
dataplane = { mbufs = 8192; connections = 4096; };
control = { socket = "@DIR@/lbd.sock"; };
""" % (ls[0].port, fast, ",\n    ".join([rs(a, c) for a, (c, _) in sorted(cases.items())] +
                                        [rs(23, sleeper)]))
    frame = lbdctl.tcp_frame("192.0.2.1", 1000, "10.0.0.100", 80, 0x02)
    lbd = lbdctl.Lbd(build, conf, [frame], infinite=False)
    try:
        want = {"10.0.0.%d" % a: r for a, (_, r) in cases.items()}
        ok = wait(lambda: all(servers(lbd)[a]["result"] == r for a, r in want.items()), 15)
        got = servers(lbd)
        for a, r in sorted(want.items()):
            up = r == "HTTP 200, digest ok"
            check(got[a]["result"] == r and got[a]["state"] == ("up" if up else "down"),
                  "%s: %s (want %s: %s)" % (a, got[a]["result"], "up" if up else "down", r))
        check(ok, "every server's result as expected within 15 s")
        # Attempts in flight hold a socket or a pipe each: the fewest
        # descriptors seen over a second is the baseline, and a leak raises it.
        fds = min_fds(lbd.p.pid)
        time.sleep(2)                   # some hundred attempts more
        rounds = sum(d["checks"] for d in servers(lbd).values())
        after = min_fds(lbd.p.pid)
        check(after <= fds + 2, "descriptors after %d attempts: at least %d, before at least %d"
              % (rounds, after, fds))
        t0 = time.monotonic()
        rc, _, _ = lbd.lbadm("-Ln")
        check(rc == 0 and time.monotonic() - t0 < 0.5, "lbadm -Ln answers at once meanwhile")

        rc, out, err = lbd.lbadm("--health", "-t", "10.0.0.199:80")
        check(rc == 1 and err.strip() == "No such service" and out == "",
              "--health of a service that does not exist: exit 1, No such service")
        rc, out, _ = lbd.lbadm("--health", "-t", "10.0.0.100:80")
        check(rc == 0 and "10.0.0.11:80" in out, "--health -t lists that service")
        # run time: -a gets the service's check (tcp to listener 0: up)
        rc, _, err = lbd.lbadm("-a", "-t", "10.0.0.100:80", "-r", "10.0.0.30", "-w", "4")
        check(rc == 0, "lbadm -a 10.0.0.30: %s" % err.strip())
        check(wait(lambda: servers(lbd).get("10.0.0.30", {}).get("result") == "connected", 3),
              "the added server is checked with the service's check: %s"
              % servers(lbd).get("10.0.0.30"))
        # -e -w on a server that is down: kept for its return
        rc, _, err = lbd.lbadm("-e", "-t", "10.0.0.100:80", "-r", "10.0.0.11", "-w", "7")
        check(rc == 0 and servers(lbd)["10.0.0.11"]["weight"] == 7 and
              servers(lbd)["10.0.0.11"]["state"] == "down",
              "lbadm -e -w 7 on a down server: %s" % servers(lbd)["10.0.0.11"])
        _, ln, _ = lbd.lbadm("-Ln")
        check("10.0.0.11:80" not in ln and "10.0.0.30:80" in ln and "10.0.0.22:80" in ln,
              "-Ln lists the servers that are up only:\n" + ln)
        # -d stops the check: its listener gets no more connections
        rc, _, err = lbd.lbadm("-d", "-t", "10.0.0.100:80", "-r", "10.0.0.22")
        check(rc == 0, "lbadm -d 10.0.0.22: %s" % err.strip())
        time.sleep(0.3)
        before = ls[9].accepted
        time.sleep(1)
        check("10.0.0.22" not in servers(lbd), "the deleted server left --health")
        check(ls[9].accepted == before, "after -d, its check's listener got %d connections"
              " in 1 s" % (ls[9].accepted - before))
        # -d while a command runs: the command is killed
        check(sleeping() == 1, "the command of 10.0.0.23 runs (%d)" % sleeping())
        rc, _, err = lbd.lbadm("-d", "-t", "10.0.0.100:80", "-r", "10.0.0.23")
        check(rc == 0 and wait(lambda: sleeping() == 0, 2),
              "lbadm -d kills its server's running command (%d left)" % sleeping())
        check(lbd.alive(), "lbd is still running")
    finally:
        rc, text, _ = lbd.stop()
        for x in ls.values():
            x.s.close()
    check(rc == 0, "lbd stopped with status 0 (got %s)" % rc)
    check("DOWN after 1 failure: not an HTTP reply" in text, "transitions are logged")
    print("%d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
