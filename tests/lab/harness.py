# SPDX-License-Identifier: BSD-3-Clause
"""What every lab script shares: its command line, its run of named tests
with the lab raised before and taken down after whatever happens, and its
report (one line per test, a summary, the exit status meson reads).

    build, names = harness.parse("e2e", __doc__, TESTS, tools=("nginx",))
    sys.exit(harness.run("e2e", TESTS, names, up, down))
"""
import os
import shutil
import signal
import subprocess
import sys
import time


class Fail(Exception):
    pass


class Skip(Exception):
    pass


def log(msg):
    print(msg, flush=True)


def check(cond, what):
    if not cond:
        raise Fail(what)


# What a test may raise that fails it (and not the whole run).
FAILURES = (Fail, OSError, KeyError, ValueError, subprocess.SubprocessError)


def parse(prog, doc, tests, tools=(), commands=()):
    """(BUILD_DIR, test names) from the command line: every test when none
    is named; a word of commands stands alone as the one name. Exits 2 on
    bad usage, 77 (meson's skip) without root, 1 if a tool is missing."""
    if len(sys.argv) < 2:
        print(doc, file=sys.stderr)
        sys.exit(2)
    if os.geteuid() != 0:
        print("%s: skipped, needs root (network namespaces)" % prog)
        sys.exit(77)
    names = sys.argv[2:] or [n for n, _ in tests]
    unknown = set(names) - {n for n, _ in tests}
    if unknown and not (len(names) == 1 and names[0] in commands):
        print("%s: unknown test(s): %s" % (prog, " ".join(sorted(unknown))), file=sys.stderr)
        sys.exit(2)
    for tool in tools:
        if shutil.which(tool) is None:
            print("%s: %s is missing (make deps installs it)" % (prog, tool), file=sys.stderr)
            sys.exit(1)
    return os.path.abspath(sys.argv[1]), names


def run(prog, tests, names, up, down, on_fail=None, after_each=None, final=None):
    """Raise the lab (up), run the named tests in order, take the lab down
    (down) whatever happened, SIGTERM (meson's timeout) included. on_fail(name)
    says more after a failure, after_each() cleans up after every test,
    final() runs after down and returns the names of what failed in it.
    The exit status: 0 all passed, 1 otherwise."""
    def on_term(*_):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)
    width = max(len(n) for n, _ in tests)
    failed = []
    t_all = time.monotonic()
    try:
        up()
        for name, fn in tests:
            if name not in names:
                continue
            t0 = time.monotonic()
            try:
                what = fn()
                log("ok   %-*s %5.1f s  %s" % (width, name, time.monotonic() - t0, what))
            except Skip as e:
                log("skip %-*s %5.1f s  %s" % (width, name, time.monotonic() - t0, e))
            except FAILURES as e:
                log("FAIL %-*s %5.1f s  %s: %s" % (width, name, time.monotonic() - t0,
                                                  type(e).__name__, e))
                failed.append(name)
                if on_fail is not None:
                    on_fail(name)
            finally:
                if after_each is not None:
                    after_each()
    except KeyboardInterrupt:
        log("%s: interrupted" % prog)
        failed.append("interrupted")
    except FAILURES as e:
        log("%s: the lab did not come up: %s: %s" % (prog, type(e).__name__, e))
        failed.append("up")
    finally:
        down()
    if final is not None:
        failed += final()
    log("%s: %d failed (%s), %.0f s" % (prog, len(failed), " ".join(failed) or "none",
                                        time.monotonic() - t_all))
    return 1 if failed else 0
