"""`qlab backends` through the real executable: every registered back end is listed with its server binary
found (scripts/setup.sh installs them), the version the server reports and what it supports; text and JSON
say the same.

    /usr/bin/python3 backends_command_test.py QLAB
"""

import json
import subprocess
import sys
import unittest

QLAB = sys.argv[1]


class BackendsCommandTest(unittest.TestCase):
    def test_lists_every_backend_with_binary_version_and_features(self):
        listed = json.loads(subprocess.run([QLAB, "backends", "--json"], check=True, capture_output=True,
                                           text=True, timeout=60).stdout)
        by_name = {b["name"]: b for b in listed}
        for name, version_prefix in (("qlab", "qlab "), ("redis", "redis-server 7."), ("beanstalkd", "beanstalkd 1.")):
            self.assertIn(name, by_name)
            self.assertTrue(by_name[name]["found"], name + ": server binary not found")
            self.assertTrue(by_name[name]["version"].startswith(version_prefix), by_name[name]["version"])
            self.assertTrue(by_name[name]["features"])
        text = subprocess.run([QLAB, "backends"], check=True, capture_output=True, text=True, timeout=60).stdout
        for b in listed:
            self.assertIn(b["name"] + "\n", text)
            self.assertIn(b["version"], text)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
