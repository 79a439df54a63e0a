#!/usr/bin/python3
"""The broker token kept off command lines: `qlab broker` reads it from --token-file or QLAB_TOKEN, and
`qlab produce`, `qlab consume` and the Python client's CLI do too (docs/SECURITY.md).

Usage: token_sources_test.py QLAB_BINARY SOURCE_DIR   (CTest passes both)
"""
import os
import select
import signal
import subprocess
import sys
import tempfile
import unittest

QLAB = None
SOURCE_DIR = None
TOKEN = "from-a-file-%d" % os.getpid()


def without_token():
    env = dict(os.environ)
    env.pop("QLAB_TOKEN", None)
    return env


class TokenSources(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.token_file = os.path.join(self.dir.name, "token")
        with open(self.token_file, "w") as f:
            f.write(TOKEN + "\n")
        self.broker = subprocess.Popen([QLAB, "broker", "--listen", "127.0.0.1:0", "--design", "pull", "--token-file",
                                        self.token_file], env=without_token(), stdout=subprocess.PIPE,
                                       stderr=subprocess.DEVNULL, text=True)
        ready, _, _ = select.select([self.broker.stdout], [], [], 10.0)
        line = self.broker.stdout.readline() if ready else ""
        if not line.startswith("listening on "):
            self.broker.kill()
            self.broker.wait()
            raise RuntimeError("broker did not start: %r" % line)
        self.address = line.strip().rsplit(" ", 1)[1]

    def tearDown(self):
        self.broker.send_signal(signal.SIGTERM)
        try:
            self.broker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.broker.kill()
            self.broker.wait()
        self.broker.stdout.close()
        self.dir.cleanup()

    def run_tool(self, args, env):
        return subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)

    def test_the_token_is_not_on_the_brokers_command_line(self):
        with open("/proc/%d/cmdline" % self.broker.pid, "rb") as f:
            self.assertNotIn(TOKEN.encode(), f.read())

    def test_cpp_tools_take_the_token_from_the_environment_or_a_file(self):
        env = dict(without_token(), QLAB_TOKEN=TOKEN)
        produce = self.run_tool([QLAB, "produce", "--connect", self.address, "--count", "20"], env)
        self.assertEqual(produce.returncode, 0, produce.stderr)
        consume = self.run_tool([QLAB, "consume", "--connect", self.address, "--count", "10", "--token-file",
                                 self.token_file], without_token())
        self.assertEqual(consume.returncode, 0, consume.stderr)
        refused = self.run_tool([QLAB, "produce", "--connect", self.address, "--count", "1"], without_token())
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("a token is required", refused.stderr)

    def test_python_client_takes_the_token_from_the_environment_or_a_file(self):
        client = os.path.join(SOURCE_DIR, "clients", "python", "qlab_client.py")
        env = dict(without_token(), QLAB_TOKEN=TOKEN)
        produce = self.run_tool([sys.executable, client, "produce", "--connect", self.address, "--count", "20"], env)
        self.assertEqual(produce.returncode, 0, produce.stderr)
        consume = self.run_tool([sys.executable, client, "consume", "--connect", self.address, "--count", "20",
                                 "--token-file", self.token_file], without_token())
        self.assertEqual(consume.returncode, 0, consume.stderr)
        refused = self.run_tool([sys.executable, client, "stats", "--connect", self.address], without_token())
        self.assertEqual(refused.returncode, 1)
        self.assertIn("auth_failed", refused.stderr)

    def test_an_unreadable_or_empty_token_file_is_bad_input(self):
        empty = os.path.join(self.dir.name, "empty")
        open(empty, "w").close()
        for path, why in ((os.path.join(self.dir.name, "missing"), "cannot read the secret file"),
                          (empty, "the secret file is empty")):
            broker = self.run_tool([QLAB, "broker", "--listen", "127.0.0.1:0", "--token-file", path], without_token())
            self.assertEqual(broker.returncode, 2, broker.stderr)
            self.assertIn("qlab: --token-file %s: %s" % (path, why), broker.stderr)


if __name__ == "__main__":
    QLAB = os.path.abspath(sys.argv[1])
    SOURCE_DIR = os.path.abspath(sys.argv[2])
    del sys.argv[1:3]
    unittest.main()
