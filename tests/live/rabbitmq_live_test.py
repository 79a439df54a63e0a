#!/usr/bin/python3
"""`qlab live --backend rabbitmq` end to end (docs/BACKENDS.md, "Tests"): the crash_stall scenario of
real_backends_live_test.py on a RabbitMQ quorum queue (manual acks; the broker closes the stalled consumer's
channel after `consumer_timeout` = the visibility timeout, and returns a closed connection's deliveries at once):
nothing lost, what the faulty consumers held delivered again. About 20-30 s, most of it the node's start.

Runs unless QLAB_TEST_RABBITMQ=0 or rabbitmq-server is missing; then it exits with code 77, which CTest
reports as skipped (SKIP_RETURN_CODE).

Usage: rabbitmq_live_test.py QLAB_BINARY   (CTest passes it)
"""
import os
import sys
import unittest

import real_backends_live_test as real

SKIPPED = 77


class RabbitMQConsumerFaults(unittest.TestCase):
    def test_quorum_queue_crash_and_stall(self):
        real.check_crash_stall(self, "rabbitmq", "rabbitmq-server")


if __name__ == "__main__":
    real.QLAB = sys.argv.pop(1)
    if os.environ.get("QLAB_TEST_RABBITMQ") == "0":
        print("QLAB_TEST_RABBITMQ=0: the RabbitMQ qlab live test is skipped")
        sys.exit(SKIPPED)
    if not real.have("rabbitmq-server"):
        print("rabbitmq-server is not installed (scripts/setup.sh installs it): the test is skipped")
        sys.exit(SKIPPED)
    real.setUpModule()
    try:
        outcome = unittest.main(verbosity=2, exit=False).result
    finally:
        real.tearDownModule()
    sys.exit(0 if outcome.wasSuccessful() else 1)
