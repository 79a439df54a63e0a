#!/usr/bin/python3
"""Multi-host live runs across network namespaces (root only; skipped otherwise): the broker, the producers
and two consumer groups each in their own namespace, joined to the root namespace by veth pairs and routed
through it, a `qlab agent` in each, and `qlab live --hosts` as the coordinator in the root namespace.

- visibility_timeout: a consumer SIGKILLed mid-run loses nothing;
- a consumer namespace cut off (link down) for longer than the visibility timeout has its messages
  redelivered to the other group, and the duplicates after the link heals are counted;
- real brokers' servers placed on agents: redis-server on one agent (a consumer SIGKILLed, the server
  SIGKILLed and restarted by its agent), a 3-node NATS JetStream cluster spread over three agents (a consumer
  SIGKILLed, the stream leader SIGKILLed and restarted by its agent): no confirmed message lost, and every
  server process the agents started (pids from their logs) is gone at the end, stopped by the coordinator;
- an agent without the server's binary makes the run fail with a message naming the binary and the host;
  a RabbitMQ node on one agent (its epmd and Erlang distribution on that agent's loopback), and a 3-node
  RabbitMQ quorum cluster spread over three agents (an epmd on each, distribution over the network, the
  leader found by the CLI run on a node's host, SIGKILLed and restarted there): no confirmed message lost,
  every RabbitMQ process gone at the end (QLAB_TEST_RABBITMQ=0 skips both; the 45 s spread cluster runs only
  with QLAB_TEST_RABBITMQ=1, to keep RabbitMQ's share of the CI run under a minute);
- qlab's broker given a list of hosts exits 2 before anything starts.
Namespaces, links and processes are always cleaned up, even when a test fails.

Usage: multi_host_test.py QLAB_BINARY SOURCE_DIR
"""
import json
import os
import re
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


def leader_crash_scenario(name, seed, patience, visibility_timeout, more_faults=""):
    """A 3-replica queue whose leader is SIGKILLed at 1.5 s and restarted 1 s later; producers retry for
    `patience` (also the drain timeout)."""
    return """name: %s
seed: %d
duration: 4s
drain_timeout: %s
queue: {design: replicated, replicas: 3, visibility_timeout: %s}
producers: [{name: p, rate: 20/s, on_unavailable: retry, retry: {backoff: 200ms, max_backoff: 1s, limit: %s}}]
consumers:
  - {name: w1, count: 2, service: 20ms, prefetch: 2}
  - {name: w2, count: 1, service: 20ms, prefetch: 2}
faults:
%s  - {at: 1500ms, action: broker_crash, target: leader, restart_after: 1s}
""" % (name, seed, patience, visibility_timeout, patience, more_faults)


@unittest.skipUnless(os.geteuid() == 0, "needs root for network namespaces")
class MultiHost(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not can_run():
            raise unittest.SkipTest("network namespaces are not available")
        cls.work = tempfile.mkdtemp(prefix="qlab-multihost-")
        cls.net = Network()
        cls.agents = []
        cls.agent_logs = {}
        try:
            cls.net.up()
            lines = ["agents:"]
            for host in HOSTS:
                cls.agent_logs[host] = os.path.join(cls.work, "agent-%s.log" % host)
                with open(cls.agent_logs[host], "w") as log:
                    agent = subprocess.Popen(
                        ["ip", "netns", "exec", "%s-%s" % (TAG, host), QLAB, "agent", "--listen",
                         "%s:7800" % cls.net.address(host), "--work-dir", os.path.join(cls.work, "agent-" + host)],
                        stdout=subprocess.PIPE, stderr=log, text=True)
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
            # A 3-node cluster: node i on the i-th host of the list.
            cls.spread_hosts = os.path.join(cls.work, "hosts-spread.yaml")
            with open(cls.spread_hosts, "w") as f:
                f.write("\n".join(lines + ["broker: [b, p, c1]", "producers: {p: p}", "consumers: {w1: c1, w2: c2}"]) + "\n")
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

    def start_live(self, scenario, out, hosts=None, backend="qlab"):
        return subprocess.Popen([QLAB, "live", scenario, "--hosts", hosts or self.hosts_file, "--out", out,
                                 "--backend", backend],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def finish(self, live, out):
        stdout, stderr = live.communicate(timeout=120)
        self.assertEqual(live.returncode, 0, stdout + stderr)
        with open(os.path.join(out, "summary.json")) as f:
            summary = json.load(f)
        m = summary["runs"][0]["metrics"]
        if m["dead_lettered"] is not None:
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


    def agent_log_sizes(self):
        return {host: os.path.getsize(path) for host, path in self.agent_logs.items()}

    def servers_started(self, since):
        """{host: [(program, pid)]} of the server processes each agent started after `since` (log sizes), and
        whether an agent had to stop processes its coordinator left running."""
        started, left = {}, False
        for host, path in self.agent_logs.items():
            with open(path) as f:
                f.seek(since[host])
                text = f.read()
            started[host] = [(m.group(1), int(m.group(2))) for m in re.finditer(r"started (\S+) \(pid (\d+)\)", text)]
            left = left or "coordinator gone: stopping" in text
        return started, left

    def assert_servers_gone(self, started):
        for host, servers in started.items():
            for program, pid in servers:
                try:
                    with open("/proc/%d/cmdline" % pid, "rb") as f:
                        cmdline = f.read().decode(errors="replace")
                except OSError:
                    continue  # gone (and reaped: a zombie still has its /proc entry)
                self.assertNotIn(program, cmdline, "%s (pid %d) on %s still runs" % (program, pid, host))

    def real_broker_run(self, name, backend, hosts, text):
        server = {"redis": "redis-server", "nats": "nats-server",
                  "rabbitmq": "/usr/lib/rabbitmq/bin/rabbitmq-server"}[backend]
        if shutil.which(server) is None:
            self.skipTest(backend + "'s server is not installed (scripts/setup.sh installs it)")
        path = os.path.join(self.work, name + ".yaml")
        with open(path, "w") as f:
            f.write(text)
        before = self.agent_log_sizes()
        out = os.path.join(self.work, "out-" + name)
        live = self.start_live(path, out, hosts, backend)
        stdout, stderr = live.communicate(timeout=120)
        self.assertEqual(live.returncode, 0, stderr)
        started, left = self.servers_started(before)
        self.assertFalse(left, "the coordinator left servers for the agents to stop")
        self.assert_servers_gone(started)
        return stdout, stderr, out, started

    def test_redis_server_on_an_agent_killed_and_restarted_there_loses_nothing(self):
        _, stderr, out, started = self.real_broker_run("mh-redis", "redis", self.hosts_file, """name: mh-redis
seed: 5
duration: 3s
drain_timeout: 20s
queue: {design: visibility_timeout, visibility_timeout: 500ms}
producers: [{name: p, rate: 100/s, on_unavailable: retry, retry: {backoff: 50ms, max_backoff: 200ms, limit: 10s}}]
consumers:
  - {name: w1, count: 2, service: 5ms, prefetch: 2}
  - {name: w2, count: 1, service: 5ms, prefetch: 2}
live: {backend_options: {appendfsync: always}}
faults:
  - {at: 800ms, action: crash, target: "w1[0]", restart_after: 300ms}
  - {at: 1500ms, action: broker_crash, target: broker, restart_after: 300ms}
""")
        with open(os.path.join(out, "summary.json")) as f:
            summary = json.load(f)
        m = summary["runs"][0]["metrics"]
        # The version the server on agent b reports (INFO), not one of this machine's binaries.
        self.assertRegex(summary["scenario_resolved"]["live"]["backend_version"], r"^redis-server \d+\.")
        self.assertIn("broker on %s:" % self.net.address("b"), stderr)
        self.assertIn("fault: crash w1[0]", stderr)
        self.assertIn("fault: broker_crash", stderr)
        # Started twice on b (the start and the restart after the crash), nowhere else.
        self.assertEqual([p for p, _ in started["b"]], ["redis-server", "redis-server"], started)
        self.assertEqual(sum(len(v) for v in started.values()), 2, started)
        self.assertGreater(m["published"], 200)
        self.assertEqual(m["lost_confirmed"], 0, stderr)
        self.assertEqual(m["unique_processed"], m["published"], stderr)

    def test_a_nats_cluster_spread_over_three_agents_survives_its_leaders_crash(self):
        _, stderr, out, started = self.real_broker_run(
            "mh-nats", "nats", self.spread_hosts,
            leader_crash_scenario("mh-nats", 3, "30s", "1s", '  - {at: 1s, action: crash, target: "w1[0]", restart_after: 500ms}\n'))
        with open(os.path.join(out, "summary.json")) as f:
            m = json.load(f)["runs"][0]["metrics"]
        for host in ("b", "p", "c1"):
            self.assertIn("%s:" % self.net.address(host), stderr.split("broker on ")[1].split(" ")[0])
            self.assertIn("nats-server", [p for p, _ in started[host]], started)
        self.assertEqual(started["c2"], [])
        self.assertEqual(sum(len(v) for v in started.values()), 4, started)  # three nodes and one restart
        self.assertIn("fault: broker_crash", stderr)
        self.assertGreater(m["published"], 50)
        self.assertEqual(m["lost_confirmed"], 0, stderr)
        self.assertEqual(m["unique_processed"], m["published"], stderr)

    def processes_of_agent(self, host):
        """Pids of the processes whose environment names agent `host`'s work folder (a RabbitMQ node's HOME)."""
        folder = os.path.join(self.work, "agent-" + host) + "/"
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open("/proc/%s/environ" % entry, "rb") as f:
                    if folder.encode() in f.read():
                        pids.append(int(entry))
            except OSError:
                continue
        return pids

    @unittest.skipIf(os.environ.get("QLAB_TEST_RABBITMQ") == "0", "QLAB_TEST_RABBITMQ=0: RabbitMQ tests skipped")
    def test_a_rabbitmq_node_on_an_agent_serves_clients_on_the_others(self):
        _, stderr, out, started = self.real_broker_run("mh-rabbitmq", "rabbitmq", self.hosts_file, """name: mh-rabbitmq
seed: 4
duration: 2s
queue: {design: visibility_timeout, visibility_timeout: 1s}
producers: [{name: p, rate: 100/s}]
consumers:
  - {name: w1, count: 2, service: 5ms, prefetch: 2}
  - {name: w2, count: 1, service: 5ms, prefetch: 2}
""")
        with open(os.path.join(out, "summary.json")) as f:
            summary = json.load(f)
        m = summary["runs"][0]["metrics"]
        self.assertRegex(summary["scenario_resolved"]["live"]["backend_version"], r"^RabbitMQ \d+\.")
        self.assertIn("broker on %s:" % self.net.address("b"), stderr)
        # Its epmd and the node (its distribution on b's loopback) on b, nothing elsewhere; all gone at the end.
        self.assertEqual(sorted(p for p, _ in started["b"]), ["epmd", "rabbitmq-server"], started)
        self.assertEqual(sum(len(v) for v in started.values()), 2, started)
        self.assertEqual(self.processes_of_agent("b"), [], "RabbitMQ processes of agent b still run")
        self.assertGreater(m["published"], 100)
        self.assertEqual(m["unique_processed"], m["published"], stderr)

    @unittest.skipIf(os.environ.get("QLAB_TEST_RABBITMQ") != "1", "the 45 s RabbitMQ cluster runs with QLAB_TEST_RABBITMQ=1")
    def test_a_rabbitmq_quorum_cluster_spread_over_three_agents_survives_its_leaders_crash(self):
        _, stderr, out, started = self.real_broker_run(
            "mh-rabbitmq-cluster", "rabbitmq", self.spread_hosts, leader_crash_scenario("mh-rabbitmq-cluster", 4, "60s", "2s"))
        with open(os.path.join(out, "summary.json")) as f:
            m = json.load(f)["runs"][0]["metrics"]
        nodes = stderr.split("broker on ")[1].split(" ")[0].split(",")
        self.assertEqual([n.split(":")[0] for n in nodes], [self.net.address(h) for h in ("b", "p", "c1")], stderr)
        # An epmd and a node on each of the three hosts; the leader (asked with the CLI on a node's host) killed
        # and restarted on its host, where it rejoins the cluster over the network.
        for host in ("b", "p", "c1"):
            programs = [p for p, _ in started[host]]
            self.assertEqual(programs.count("epmd"), 1, started)
            self.assertIn("rabbitmq-server", programs, started)
            self.assertEqual(self.processes_of_agent(host), [], "RabbitMQ processes of agent %s still run" % host)
        self.assertEqual(sum(p == "rabbitmq-server" for v in started.values() for p, _ in v), 4, started)
        self.assertGreaterEqual(sum(p == "rabbitmq-queues" for v in started.values() for p, _ in v), 1, started)
        self.assertEqual(started["c2"], [])
        self.assertIn("fault: broker_crash", stderr)
        self.assertRegex(stderr, r"broker\[\d\] restarted")
        self.assertGreater(m["published"], 40)
        self.assertEqual(m["lost_confirmed"], 0, stderr)
        self.assertEqual(m["unique_processed"], m["published"], stderr)

    def test_placements_a_back_end_cannot_take_exit_2_before_anything_starts(self):
        for backend, hosts, expected in [                                         ("qlab", self.spread_hosts, "qlab's broker is one process")]:
            before = self.agent_log_sizes()
            done = subprocess.run([QLAB, "live", self.scenario("mh-refused"), "--hosts", hosts, "--backend", backend,
                                   "--out", os.path.join(self.work, "out-refused-" + backend)],
                                  capture_output=True, text=True, timeout=60)
            self.assertEqual(done.returncode, 2, done.stderr)
            self.assertIn(expected, done.stderr)
            self.assertEqual(self.servers_started(before)[0], {host: [] for host in HOSTS})

    def test_an_agent_without_the_servers_binary_fails_the_run_naming_it(self):
        # An agent on this machine's loopback whose PATH has no redis-server.
        log = os.path.join(self.work, "agent-bare.log")
        with open(log, "w") as f:
            agent = subprocess.Popen([QLAB, "agent", "--listen", "127.0.0.1:0", "--work-dir",
                                      os.path.join(self.work, "agent-bare")],
                                     stdout=subprocess.PIPE, stderr=f, text=True,
                                     env=dict(os.environ, PATH="/nonexistent"))
        try:
            line = agent.stdout.readline()
            self.assertTrue(line.startswith("listening on"), line)
            hosts = os.path.join(self.work, "hosts-bare.yaml")
            with open(hosts, "w") as f:
                f.write("agents: {bare: %s}\nbroker: bare\n" % line.split()[2])
            done = subprocess.run([QLAB, "live", self.scenario("mh-bare"), "--hosts", hosts, "--backend", "redis",
                                   "--out", os.path.join(self.work, "out-bare")],
                                  capture_output=True, text=True, timeout=60)
            self.assertNotEqual(done.returncode, 0)
            self.assertIn("redis-server is not installed", done.stderr)
            self.assertIn("host bare", done.stderr)
        finally:
            agent.send_signal(signal.SIGTERM)
            agent.wait(timeout=10)
            agent.stdout.close()


if __name__ == "__main__":
    QLAB = sys.argv[1]
    unittest.main(argv=[sys.argv[0], "-v"])
