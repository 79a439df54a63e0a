#!/usr/bin/python3
"""Cross-language end to end: the Python client (clients/python, standard library only) against the real
`qlab broker`, with the C++ tools `qlab produce` / `qlab consume` on the other side.

Usage: cross_language_test.py QLAB_BINARY SOURCE_DIR   (CTest passes both)
Every wait is on a read or a process with a timeout; the broker is always stopped (SIGTERM, then SIGKILL).
"""
import os
import select
import signal
import subprocess
import sys
import unittest

QLAB = None
SOURCE_DIR = None


def start_broker(*extra):
    broker = subprocess.Popen([QLAB, "broker", "--listen", "127.0.0.1:0", *extra],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready, _, _ = select.select([broker.stdout], [], [], 10.0)
    line = broker.stdout.readline() if ready else ""
    if not line.startswith("listening on "):
        broker.kill()
        raise RuntimeError("broker did not report its port: %r %s" % (line, broker.stderr.read()))
    return broker, int(line.strip().rsplit(":", 1)[1])


def stop_broker(broker):
    """Stops the broker (SIGTERM, then SIGKILL) and returns its log; a second call returns ""."""
    if broker.returncode is not None:
        return ""
    broker.send_signal(signal.SIGTERM)
    try:
        _, log = broker.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        broker.kill()
        _, log = broker.communicate()
    return log


class CrossLanguage(unittest.TestCase):
    def setUp(self):
        self.broker, self.port = start_broker("--design", "visibility_timeout",
                                              "--set", "queue.visibility_timeout=500ms")
        self.address = "127.0.0.1:%d" % self.port

    def tearDown(self):
        self.broker_log = stop_broker(self.broker)

    def test_python_producer_to_cpp_consumer(self):
        with qlab_client.Producer("127.0.0.1", self.port, name="py") as producer:
            for first in range(0, 1000, 100):
                ids = producer.publish(["py-%d" % i for i in range(first, first + 100)])
                self.assertEqual(len(set(ids)), 100)
        consumer = subprocess.run([QLAB, "consume", "--connect", self.address, "--count", "1000", "--print",
                                   "--idle-timeout", "10s"], capture_output=True, text=True, timeout=60)
        self.assertEqual(consumer.returncode, 0, consumer.stderr)
        self.assertEqual(sorted(consumer.stdout.split()), sorted("py-%d" % i for i in range(1000)))
        with qlab_client.Connection("127.0.0.1", self.port, "admin") as admin:
            stats = admin.stats()
        self.assertEqual(stats["published"], 1000)
        self.assertEqual(stats["acked"], 1000)
        self.assertEqual(stats["held"], 0)

    def test_cpp_producer_to_python_consumer(self):
        producer = subprocess.run([QLAB, "produce", "--connect", self.address, "--count", "1000", "--name", "cpp",
                                   "--batch", "50"], capture_output=True, text=True, timeout=60)
        self.assertEqual(producer.returncode, 0, producer.stderr)
        got = {}
        with qlab_client.Consumer("127.0.0.1", self.port, name="pyc") as consumer:
            while len(got) < 1000:
                deliveries = consumer.receive(max_count=100, wait_ms=10000)
                self.assertTrue(deliveries, "no delivery within 10 s; have %d" % len(got))
                for d in deliveries:
                    got[d.message_id] = d.payload.rstrip(b".").decode()
                    self.assertEqual(d.receive_count, 1)
                    self.assertGreater(d.producer_time, 0)
                consumer.ack(d.receipt for d in deliveries)
            stats = consumer.stats()
        self.assertEqual(sorted(got.values()), sorted("cpp-%d" % i for i in range(1000)))
        self.assertEqual(stats["acked"], 1000)
        self.assertEqual(stats["held"], 0)

    def test_python_cli_round_trip_and_redelivery(self):
        produce = subprocess.run([sys.executable, CLIENT, "produce", "--connect", self.address, "--count", "300",
                                  "--size", "100"], capture_output=True, text=True, timeout=60)
        self.assertEqual(produce.returncode, 0, produce.stderr)
        # A consumer that takes 10 messages and vanishes without acking: they come back after 500 ms.
        with qlab_client.Consumer("127.0.0.1", self.port) as quitter:
            self.assertEqual(len(quitter.receive(max_count=10, wait_ms=5000)), 10)
        consume = subprocess.run([sys.executable, CLIENT, "consume", "--connect", self.address, "--count", "300",
                                  "--print"], capture_output=True, text=True, timeout=60)
        self.assertEqual(consume.returncode, 0, consume.stderr)
        self.assertEqual(sorted(line.rstrip(".") for line in consume.stdout.split()),
                         sorted("py-%d" % i for i in range(300)))
        with qlab_client.Connection("127.0.0.1", self.port, "admin") as admin:
            stats = admin.stats()
        self.assertEqual(stats["redeliveries"], 10)
        self.assertEqual(stats["held"], 0)

    def test_release_extend_and_stale_receipts_from_python(self):
        with qlab_client.Producer("127.0.0.1", self.port) as producer:
            producer.publish([b"one"])
        with qlab_client.Consumer("127.0.0.1", self.port) as consumer:
            [first] = consumer.receive(max_count=1, wait_ms=5000)
            consumer.extend(first.receipt, 60000)
            consumer.release([first.receipt])
            [second] = consumer.receive(max_count=1, wait_ms=5000)
            self.assertEqual(second.message_id, first.message_id)
            self.assertEqual(second.receive_count, 2)
            consumer.ack([first.receipt])
            consumer.ack([second.receipt])
            stats = consumer.stats()
            self.assertEqual([w.name for w in consumer.warnings], ["stale_receipt"])
            self.assertEqual(consumer.warnings[0].ref, first.receipt)
        self.assertEqual(stats["held"], 0)

    def test_broker_refusals_reach_python(self):
        with self.assertRaises(qlab_client.QlabError) as refused:
            qlab_client.Consumer("127.0.0.1", self.port, token="nope")
        self.assertEqual(refused.exception.error.name, "auth_failed")
        self.assertIn("auth_failed", stop_broker(self.broker))


class Token(unittest.TestCase):
    def test_a_broker_with_a_token_admits_only_clients_that_carry_it(self):
        broker, port = start_broker("--token", "s3cret", "--design", "pull")
        try:
            with self.assertRaises(qlab_client.QlabError) as refused:
                qlab_client.Producer("127.0.0.1", port)
            self.assertEqual(refused.exception.error.name, "auth_failed")
            with qlab_client.Producer("127.0.0.1", port, token="s3cret") as producer:
                self.assertEqual(len(producer.publish([b"a", b"b"])), 2)
        finally:
            log = stop_broker(broker)
        self.assertIn("a token is required", log)
        self.assertIn("shutting down (signal 15)", log)


if __name__ == "__main__":
    QLAB, SOURCE_DIR = sys.argv[1], sys.argv[2]
    CLIENT = os.path.join(SOURCE_DIR, "clients", "python", "qlab_client.py")
    sys.path.insert(0, os.path.dirname(CLIENT))
    import qlab_client  # noqa: E402
    unittest.main(argv=[sys.argv[0], "-v"])
