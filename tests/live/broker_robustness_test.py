#!/usr/bin/python3
"""The broker under attack, through the real executable on loopback (docs/SECURITY.md): garbage, headers
announcing huge bodies from many connections, idle connections, descriptor exhaustion under a low
`ulimit -n`, and a reader that stops reading while hundreds of thousands of messages are published. A
well-behaved producer (a separate process) measures its round trips all the while. Asserted: bounded RSS, memory handed back after the queue drains, the pair's p99 under 10 ms, the
broker still serving at the end, its log bounded. The pair's round trip is PUBLISH to PUBLISH_OK: a
delivery's latency includes its wait behind the flood in the queue, which is the queue's, not the broker's.

Usage: broker_robustness_test.py QLAB_BINARY SOURCE_DIR   (CTest passes both)
Every wait is on a read, a process or a polled condition with a deadline; brokers are stopped by pid.
"""
import os
import resource
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import unittest

QLAB = None
SOURCE_DIR = None
TOKEN = "robust-%d" % os.getpid()
FD_LIMIT = 256  # the broker's RLIMIT_NOFILE: the default --max-connections is 256 - 16 = 240


def limit_fds(n):
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))


def start_broker(log, *extra, fds=FD_LIMIT):
    """A broker with its token in the environment (not on the command line), a low descriptor limit, and its
    log in the file `log` (a pipe nobody reads would fill up and stall it)."""
    env = dict(os.environ, QLAB_TOKEN=TOKEN)
    with open(log, "wb") as stderr:
        broker = subprocess.Popen([QLAB, "broker", "--listen", "127.0.0.1:0", *extra], env=env,
                                  preexec_fn=limit_fds(fds), stdout=subprocess.PIPE, stderr=stderr)
    ready, _, _ = select.select([broker.stdout], [], [], 10.0)
    line = broker.stdout.readline().decode() if ready else ""
    if not line.startswith("listening on "):
        broker.kill()
        broker.wait()
        raise RuntimeError("broker did not report its port: %r" % line)
    return broker, int(line.strip().rsplit(":", 1)[1])


def stop_broker(broker, log):
    """SIGTERM (SIGKILL after 10 s); returns its log."""
    broker.send_signal(signal.SIGTERM)
    try:
        broker.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        broker.kill()
        broker.communicate()
    return read_log(log)


def read_log(log):
    with open(log, encoding="utf-8", errors="replace") as f:
        return f.read()


def status_kib(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def sanitized():
    """Whether qlab is built with AddressSanitizer (the CI's second pass): its quarantine keeps freed memory
    and it runs several times slower, so memory and latency bounds are not asserted then."""
    with open(QLAB, "rb") as f:
        return b"libasan.so" in f.read()


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("not within %.0f s: %s" % (seconds, what))
        time.sleep(0.02)  # polling a condition with a deadline, not synchronising on time


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def header(frame_type, length):
    return struct.pack("<2sBBHHI", b"QL", 1, frame_type, 0, 0, length)


def hello(role=1, name="", token=TOKEN):
    body = struct.pack("<HBB", 1, role, 0) + struct.pack("<H", len(name)) + name.encode() + \
        struct.pack("<H", len(token)) + token.encode()
    return header(1, len(body)) + body


def error_code(sock, seconds=10.0):
    """The code of the first ERROR frame the broker sends before closing (frames before it skipped), or None."""
    sock.settimeout(seconds)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    while len(data) >= 12:
        _, _, frame_type, _, _, length = struct.unpack_from("<2sBBHHI", data)
        if frame_type == 3:
            return struct.unpack_from("<H", data, 12)[0]
        data = data[12 + length:]
    return None


PROBE = """
import os, sys, time
sys.path.insert(0, sys.argv[1])
import qlab_client
port, token, stop_file = int(sys.argv[2]), sys.argv[3], sys.argv[4]
samples = []
with qlab_client.Producer("127.0.0.1", port, name="probe", token=token) as p:
    print("ready", flush=True)
    while not os.path.exists(stop_file):
        start = time.perf_counter()
        p.send_publish([b"probe"])
        p.read_confirms()
        samples.append((time.monotonic(), time.perf_counter() - start))
        time.sleep(0.002)  # a paced client: a few hundred round trips a second
print(" ".join("%.3f:%.6f" % s for s in samples), flush=True)
"""


class Probe:
    """A well-behaved producer in its own process, timing each PUBLISH to its PUBLISH_OK."""

    def __init__(self, port, stop_file):
        self.stop_file = stop_file
        self.process = subprocess.Popen([sys.executable, "-c", PROBE, os.path.join(SOURCE_DIR, "clients", "python"),
                                         str(port), TOKEN, stop_file], stdout=subprocess.PIPE, text=True)
        ready, _, _ = select.select([self.process.stdout], [], [], 10.0)
        if not ready or self.process.stdout.readline().strip() != "ready":
            self.process.kill()
            self.process.wait()
            raise RuntimeError("the probe did not connect")

    def finish(self):
        open(self.stop_file, "w").close()
        out, _ = self.process.communicate(timeout=30)
        if self.process.returncode != 0:
            raise RuntimeError("the probe failed")
        return [tuple(float(v) for v in x.split(":")) for x in out.split()]  # (when, round trip)


class BrokerUnderAttack(unittest.TestCase):
    def test_attacks_leave_memory_bounded_the_good_client_fast_and_the_broker_serving(self):
        work = "/tmp/qlab-robustness-%d" % os.getpid()
        os.makedirs(work, exist_ok=True)
        stop_file = os.path.join(work, "stop")
        broker_log = os.path.join(work, "broker.log")
        asan = sanitized()
        flood = 120000 if asan else 400000  # messages of 100 B, 260 B each against the limit
        broker, port = start_broker(broker_log, "--handshake-timeout", "2s", "--idle-timeout", "30s", "--max-queue-bytes",
                                    "16MiB" if asan else "64MiB", "--max-write-queue", "1MiB",
                                    "--set", "queue.release_on_disconnect=true")
        probe = None
        admin = None
        try:
            pid = broker.pid
            baseline = status_kib(pid, "VmRSS")
            probe = Probe(port, stop_file)
            phases = []  # (name, start), for the probe's round trips per phase
            admin = qlab_client.Connection("127.0.0.1", port, "admin", "admin", TOKEN)

            phases.append(("1", time.monotonic()))
            # 1. Garbage: bad_magic (1) and a close, each.
            socks = [connect(port) for _ in range(100)]
            for s in socks:
                s.sendall(os.urandom(64).replace(b"QL", b"xx"))
            codes = [error_code(s) for s in socks]
            self.assertEqual(codes.count(1), 100, codes)
            for s in socks:
                s.close()

            phases.append(("2", time.monotonic()))
            # 2. Headers announcing 1 MiB bodies before HELLO: refused on the header (frame_too_large, 4).
            socks = [connect(port) for _ in range(200)]
            for s in socks:
                s.sendall(header(4, 1 << 20) + b"x" * 100)
            self.assertEqual([error_code(s) for s in socks].count(4), 200)
            for s in socks:
                s.close()
            #    ...and after HELLO: half-sent 1 MiB PUBLISH frames cost what was sent, not what was announced.
            socks = [connect(port) for _ in range(150)]
            for s in socks:
                s.sendall(hello() + header(4, (1 << 20) - 64) + b"y" * 1000)
            wait_until(lambda: admin.stats()["producers"] == 151, 10, "150 producers sending half a frame")
            half_sent_rss = status_kib(pid, "VmRSS")
            for s in socks:
                s.close()

            phases.append(("3", time.monotonic()))
            # 3. Idle connections: closed by the handshake timeout (timed_out, 13) within 2 s (+ the sweep).
            start = time.monotonic()
            socks = [connect(port) for _ in range(150)]
            codes = [error_code(s, 15) for s in socks]
            self.assertEqual(codes.count(13), 150, codes)
            self.assertLess(time.monotonic() - start, 15 if asan else 8)
            for s in socks:
                s.close()

            phases.append(("4", time.monotonic()))
            # 4. Descriptors: 300 connections against a limit of 256 fds; those over the cap (240 held
            #    connections, the probe's two included) get too_many_connections (14), at once.
            wait_until(lambda: admin.stats()["sessions"] == 2, 10, "the earlier connections' closes seen")
            cpu_before = cpu_seconds(pid)
            socks = [connect(port) for _ in range(300)]
            # 238 fit beside the probe's and the admin's; they send no HELLO, so the handshake timeout
            # closes them (timed_out, 13) after 2 s. (A socket of an earlier phase still being closed
            # may take one more place.)
            codes = [error_code(s, 10) for s in socks]
            for s in socks:
                s.close()
            self.assertEqual(codes.count(13) + codes.count(14), 300, codes)
            self.assertGreaterEqual(codes.count(14), 300 - 238)
            self.assertLessEqual(codes.count(14), 300 - 238 + 2)
            over = [s for s, code in zip(socks, codes) if code == 14]

            phases.append(("5", time.monotonic()))
            # 5. A reader that stops reading while 400,000 messages of 100 B (120,000 under ASan) are published: it is dropped,
            #    the queue stops at --max-queue-bytes (queue_full), memory stays bounded and is handed back
            #    once a consumer drains the queue.
            wait_until(lambda: admin.stats()["sessions"] == 2, 10, "the descriptor phase's closes seen")
            slow = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            slow.connect(("127.0.0.1", port))
            slow.sendall(hello(2, "slow") + header(6, 8) + struct.pack("<II", 1000000, 0xFFFFFFFF))
            env = dict(os.environ, QLAB_TOKEN=TOKEN)
            produce = subprocess.run([QLAB, "produce", "--connect", "127.0.0.1:%d" % port, "--count", str(flood),
                                      "--size", "100B", "--batch", "500"], env=env, capture_output=True, text=True,
                                     timeout=120)
            self.assertEqual(produce.returncode, 1, produce.stderr)  # some were refused
            self.assertIn("queue_full", produce.stderr)
            accepted = int(produce.stderr.split("qlab produce: ")[1].split()[0])
            self.assertGreater(accepted, flood // 4)
            self.assertLess(accepted, flood)
            self.assertEqual(error_code(slow, 30), None)  # dropped without an ERROR: it was not reading
            slow.close()
            full_rss = status_kib(pid, "VmRSS")
            held = admin.stats()["held"]  # the flood and the probe's messages
            consume = subprocess.run([QLAB, "consume", "--connect", "127.0.0.1:%d" % port, "--count", str(held),
                                      "--prefetch", "1000"], env=env, capture_output=True, text=True, timeout=120)
            self.assertEqual(consume.returncode, 0, consume.stderr)
            drained_rss = status_kib(pid, "VmRSS")
            peak = status_kib(pid, "VmHWM")
            print("RSS KiB: baseline %d, 150 half-sent frames %d, queue full %d, drained %d, peak %d; %.2f CPU s in "
                  "the descriptor phase onwards" % (baseline, half_sent_rss, full_rss, drained_rss, peak,
                                                    cpu_seconds(pid) - cpu_before), file=sys.stderr)
            if not asan:
                self.assertLess(half_sent_rss - baseline, 40 * 1024, "150 half-sent 1 MiB frames")
                self.assertLess(peak - baseline, 256 * 1024, "peak RSS")
                self.assertGreater(full_rss - baseline, 48 * 1024, "the queue held at least its 64 MiB limit's worth")
                self.assertLess(drained_rss - baseline, (full_rss - baseline) / 2, "memory handed back after the drain")

            # The good client's round trips, all phases long.
            timed = probe.finish()
            probe = None
            for i in range(len(phases)):
                during = sorted(rtt for when, rtt in timed if phases[i][1] <= when < (phases[i + 1][1] if i + 1 < len(phases) else 1e18))
                if during:
                    print("  phase %s: %d round trips, p99 %.2f ms, max %.2f ms" % (phases[i][0], len(during),
                          1e3 * during[int(0.99 * (len(during) - 1))], 1e3 * during[-1]), file=sys.stderr)
            samples = sorted(rtt for _, rtt in timed)
            self.assertGreater(len(samples), 100)
            p99 = samples[int(0.99 * (len(samples) - 1))]
            print("probe: %d round trips, p50 %.2f ms, p99 %.2f ms, max %.2f ms"
                  % (len(samples), 1e3 * samples[len(samples) // 2], 1e3 * p99, 1e3 * samples[-1]), file=sys.stderr)
            if not asan:
                self.assertLess(p99, 0.010)

            # Still serving: a new pair gets its message through (behind what the probe published last).
            with qlab_client.Producer("127.0.0.1", port, name="after", token=TOKEN) as p, \
                    qlab_client.Consumer("127.0.0.1", port, name="after-c", token=TOKEN) as c:
                p.publish([b"still here"])
                payloads = []
                deadline = time.monotonic() + 10
                while b"still here" not in payloads and time.monotonic() < deadline:
                    got = c.receive(100, wait_ms=1000)
                    payloads += [d.payload for d in got]
                    c.ack([d.receipt for d in got])
                self.assertIn(b"still here", payloads)
                stats = c.stats()
            self.assertEqual(stats["slow_reader_disconnects"], 1)
            self.assertGreaterEqual(stats["timeouts"], 150)
            self.assertGreaterEqual(stats["connections_refused"], len(over))
            self.assertIsNone(broker.poll())
        finally:
            if probe is not None:
                probe.process.kill()
                probe.process.wait()
            if admin is not None:
                admin.close()
            log = stop_broker(broker, broker_log)
            shutil.rmtree(work, ignore_errors=True)
        # One line per refused or timed-out connection is fine; the accept failures are rate-limited.
        self.assertLess(len(log.splitlines()), 2000, log[-2000:])

    def test_descriptor_exhaustion_backs_off_and_logs_once_a_second(self):
        if sanitized():
            self.skipTest("UBSan's vptr check misreads Boost 1.74's error categories once accept() fails (a known "
                          "false positive with Boost.System categories); the release build runs this test")
        # --max-connections above the descriptor limit: accept() fails with EMFILE and must not spin.
        work = "/tmp/qlab-robustness-emfile-%d" % os.getpid()
        os.makedirs(work, exist_ok=True)
        broker_log = os.path.join(work, "broker.log")
        broker, port = start_broker(broker_log, "--max-connections", "1000", "--handshake-timeout", "30s", fds=64)
        socks = []
        try:
            for _ in range(120):
                socks.append(connect(port))  # the kernel completes them; the broker cannot accept them all
            wait_until(lambda: "accept failed" in read_log(broker_log), 10, "an accept failure logged")
            cpu_before = cpu_seconds(broker.pid)
            time.sleep(2.0)  # a measurement window, not a synchronisation
            cpu = cpu_seconds(broker.pid) - cpu_before
            self.assertLess(cpu, 0.5, "CPU seconds in 2 s of EMFILE")
            for s in socks[:100]:
                s.close()
            # Descriptors freed (the 20 connections left open fit): a client is served again.
            deadline = time.monotonic() + 10
            while True:
                try:
                    with qlab_client.Connection("127.0.0.1", port, "admin", "a", TOKEN, timeout=2.0) as c:
                        c.stats()
                    break
                except (qlab_client.QlabError, OSError):
                    if time.monotonic() > deadline:
                        raise
        finally:
            for s in socks:
                s.close()
            log = stop_broker(broker, broker_log)
            shutil.rmtree(work, ignore_errors=True)
        failures = [line for line in log.splitlines() if "accept failed" in line]
        self.assertGreater(len(failures), 0, log[-2000:])
        self.assertLess(len(failures), 10, "\n".join(failures))
        self.assertIn("Too many open files", failures[0])


if __name__ == "__main__":
    QLAB = os.path.abspath(sys.argv[1])
    SOURCE_DIR = os.path.abspath(sys.argv[2])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))  # this test's own 300+ connections
    del sys.argv[1:3]
    sys.path.insert(0, os.path.join(SOURCE_DIR, "clients", "python"))
    import qlab_client  # noqa: E402  (found through SOURCE_DIR)
    unittest.main()
