#!/usr/bin/python3
"""Multi-host live runs across network namespaces (root only; skipped otherwise): the broker, the producers
and two consumer groups each in their own namespace, joined to the root namespace by veth pairs and routed
through it, a `qlab agent` in each, and `qlab live --hosts` as the coordinator in the root namespace.

- visibility_timeout: a consumer SIGKILLed mid-run loses nothing;
- a consumer namespace cut off (link down) for longer than the visibility timeout has its messages
  redelivered to the other group, and the duplicates after the link heals are counted.
Namespaces, links and processes are always cleaned up, even when a test fails.

Usage: multi_host_test.py QLAB_BINARY SOURCE_DIR
"""
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

QLAB = None
TAG = "q%d" % (os.getpid() % 10000)
SUBNET = 100 + os.getpid() % 100
HOSTS = ["b", "p", "c1", "c2"]
# The agents listen on routable addresses, so they need the secret they share with the coordinator (both
# read it from the environment, which the agents and `qlab live` inherit from this test).
os.environ["QLAB_SECRET"] = "multi-host-test-%d" % os.getpid()


def sh(*args, check=True):
    return subprocess.run(list(args), check=check, capture_output=True, text=True, timeout=30)


def can_run():
    if os.geteuid() != 0 or shutil.which("ip") is None:
        return False
    probe = "%s-probe" % TAG
    if sh("ip", "netns", "add", probe, check=False).returncode != 0:
        return False
    sh("ip", "netns", "del", probe, check=False)
    return True


class Network:
    """Four namespaces, each 10.SUBNET.i.2 behind a veth whose root side is 10.SUBNET.i.1."""

    def __init__(self):
        self.created = []
        self.links = {}
        with open("/proc/sys/net/ipv4/ip_forward") as f:
            self.old_forward = f.read().strip()

    def up(self):
        sh("sysctl", "-w", "net.ipv4.ip_forward=1")
        for i, host in enumerate(HOSTS, start=1):
            ns, root_if, ns_if = "%s-%s" % (TAG, host), "%s%sr" % (TAG, host), "%s%sn" % (TAG, host)
            sh("ip", "netns", "add", ns)
            self.created.append(ns)
            sh("ip", "link", "add", root_if, "type", "veth", "peer", "name", ns_if)
            self.links[host] = root_if
            sh("ip", "link", "set", ns_if, "netns", ns)
            sh("ip", "addr", "add", "10.%d.%d.1/24" % (SUBNET, i), "dev", root_if)
            sh("ip", "link", "set", root_if, "up")
            sh("ip", "netns", "exec", ns, "ip", "addr", "add", "10.%d.%d.2/24" % (SUBNET, i), "dev", ns_if)
            sh("ip", "netns", "exec", ns, "ip", "link", "set", ns_if, "up")
            sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
            sh("ip", "netns", "exec", ns, "ip", "route", "add", "default", "via", "10.%d.%d.1" % (SUBNET, i))

    def address(self, host):
        return "10.%d.%d.2" % (SUBNET, HOSTS.index(host) + 1)

    def set_link(self, host, state):
        sh("ip", "link", "set", self.links[host], state)

    def down(self):
        for ns in self.created:
            sh("ip", "netns", "del", ns, check=False)
        for root_if in self.links.values():
            sh("ip", "link", "del", root_if, check=False)
        sh("sysctl", "-w", "net.ipv4.ip_forward=%s" % self.old_forward, check=False)


@unittest.skipUnless(os.geteuid() == 0, "needs root for network namespaces")
class MultiHost(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not can_run():
            raise unittest.SkipTest("network namespaces are not available")
        cls.work = tempfile.mkdtemp(prefix="qlab-multihost-")
        cls.net = Network()
        cls.agents = []
        try:
            cls.net.up()
            lines = ["agents:"]
            for host in HOSTS:
                agent = subprocess.Popen(
                    ["ip", "netns", "exec", "%s-%s" % (TAG, host), QLAB, "agent", "--listen",
                     "%s:7800" % cls.net.address(host), "--work-dir", os.path.join(cls.work, "agent-" + host)],
                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                cls.agents.append(agent)
                ready, _, _ = select.select([agent.stdout], [], [], 10.0)
                line = agent.stdout.readline() if ready else ""
                if not line.startswith("listening on"):
                    raise RuntimeError("agent in %s did not start: %r" % (host, line))
                lines.append("  %s: %s:7800" % (host, cls.net.address(host)))
            cls.hosts_file = os.path.join(cls.work, "hosts.yaml")
            with open(cls.hosts_file, "w") as f:
                f.write("\n".join(lines + ["broker: b", "producers: {p: p}", "consumers: {w1: c1, w2: c2}"]) + "\n")
            # The broker on the coordinator's machine (the root namespace), reached by the agents through the
            # root side of the producer host's link.
            cls.local_broker_hosts = os.path.join(cls.work, "hosts-local-broker.yaml")
            with open(cls.local_broker_hosts, "w") as f:
                f.write("\n".join(lines + ["broker: local", "local_address: 10.%d.%d.1" % (SUBNET, HOSTS.index("p") + 1),
                                            "producers: {p: p}", "consumers: {w1: c1, w2: c2}"]) + "\n")
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for agent in cls.agents:
            agent.send_signal(signal.SIGTERM)
        for agent in cls.agents:
            try:
                agent.wait(timeout=10)
            except subprocess.TimeoutExpired:
                agent.kill()
                agent.wait()
            agent.stdout.close()
        cls.net.down()
        shutil.rmtree(cls.work, ignore_errors=True)

    def scenario(self, name, faults=""):
        path = os.path.join(self.work, name + ".yaml")
        with open(path, "w") as f:
            f.write("""name: %s
seed: 11
duration: 3s
queue: {design: visibility_timeout, visibility_timeout: 300ms}
producers: [{name: p, rate: 200/s}]
consumers:
  - {name: w1, count: 2, service: {dist: exponential, mean: 5ms}, prefetch: 4}
  - {name: w2, count: 2, service: {dist: exponential, mean: 5ms}, prefetch: 4}
%s""" % (name, faults))
        return path

    def start_live(self, scenario, out, hosts=None):
        return subprocess.Popen([QLAB, "live", scenario, "--hosts", hosts or self.hosts_file, "--out", out],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def finish(self, live, out):
        stdout, stderr = live.communicate(timeout=120)
        self.assertEqual(live.returncode, 0, stdout + stderr)
        with open(os.path.join(out, "summary.json")) as f:
            summary = json.load(f)
        m = summary["runs"][0]["metrics"]
        self.assertEqual(m["published"], m["unique_processed"] + m["dead_lettered"] + m["lost"] + m["remaining"])
        clocks = summary["scenario_resolved"]["live"]["clock_offsets"]
        self.assertEqual(sorted(clocks), sorted(HOSTS))
        for host in HOSTS:  # measured again during the run: namespaces share one clock, so no drift shows
            self.assertLess(clocks[host]["max_correction_seconds"], 0.01)
        return m, stderr

    def test_a_consumer_killed_mid_run_loses_nothing(self):
        out = os.path.join(self.work, "out-crash")
        live = self.start_live(self.scenario("mh-crash", """faults:
  - {at: 1s, action: crash, target: "w1[0]", restart_after: 500ms}
"""), out)
        m, stderr = self.finish(live, out)
        self.assertIn("fault: crash w1[0]", stderr)
        self.assertGreater(m["published"], 400)
        self.assertEqual(m["lost"], 0)
        self.assertEqual(m["unique_processed"], m["published"])

    def test_a_broker_on_the_coordinators_machine_serves_clients_on_agents(self):
        out = os.path.join(self.work, "out-local-broker")
        m, stderr = self.finish(self.start_live(self.scenario("mh-local-broker"), out, self.local_broker_hosts), out)
        self.assertIn("broker on 10.%d.%d.1:" % (SUBNET, HOSTS.index("p") + 1), stderr)
        self.assertGreater(m["published"], 400)
        self.assertEqual(m["unique_processed"], m["published"])

    def test_a_consumer_host_cut_off_has_its_messages_redelivered_and_duplicates_counted(self):
        out = os.path.join(self.work, "out-cut")
        live = self.start_live(self.scenario("mh-cut"), out)
        try:
            # The run has begun once the coordinator names the broker; cut c1 off for 1 s (> 300 ms).
            while "broker on" not in live.stderr.readline():
                self.assertIsNone(live.poll(), "qlab live ended before it started")
            time.sleep(1.0)  # a fault schedule, not synchronisation: the cut starts about 1 s into the run
            self.net.set_link("c1", "down")
            time.sleep(1.0)
        finally:
            self.net.set_link("c1", "up")
        m, _ = self.finish(live, out)
        print("\n  cut-off consumers: %d redeliveries, %d duplicates, %d stale acks, lost %d"
              % (m["redeliveries"], m["duplicates"], m["stale_acks"], m["lost"]))
        self.assertEqual(m["lost"], 0)
        self.assertEqual(m["unique_processed"], m["published"])
        self.assertGreater(m["redeliveries"], 0)
        self.assertGreater(m["duplicates"], 0)


if __name__ == "__main__":
    QLAB = sys.argv[1]
    unittest.main(argv=[sys.argv[0], "-v"])
