"""A private single-node Slurm cluster from Debian's packages (slurm-wlm, munge), without systemd, for tests.

Everything lives in one temporary folder: munged with its own key, socket, pid and seed files; slurmctld and
slurmd with a slurm.conf there (the current user as SlurmUser, linuxproc process tracking, no task or
accounting plugins, MinJobAge=4 so `sbatch --wait` sees a finished job quickly, CPUs as consumable resources
so that tasks share the node (the default allocates whole nodes), one node n1 with every CPU,
free ports on 127.0.0.1). `with SlurmCluster() as cluster:` starts it and waits until `sinfo` says the node
is idle; leaving the block stops every daemon by pid and reaps it. cluster.env is the environment for
Slurm's commands (SLURM_CONF set).

As a program (root): slurm_cluster.py COMMAND [ARGS...] runs COMMAND on such a cluster and exits with its
status, e.g. /usr/bin/python3 tests/bench/slurm_cluster.py qlab suite SUITE --slurm (docs/SCALE.md).
"""
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "sinfo")


def missing_programs():
    """The programs the cluster needs that are not installed (scripts/setup.sh installs them)."""
    found = {name: shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin") for name in DAEMONS}
    return [name for name, path in found.items() if path is None]


def free_tcp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def poll_until(condition, seconds, what):
    """Calls condition() until it returns a true value, at most `seconds`; returns that value."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %gs waiting for %s" % (seconds, what))
        time.sleep(0.05)


SLURM_CONF = """ClusterName=qlabtest
SlurmctldHost=localhost
SlurmUser={user}
SlurmdUser={user}
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={dir}/munge/munge.socket
StateSaveLocation={dir}/state
SlurmdSpoolDir={dir}/spool
SlurmctldPidFile={dir}/slurmctld.pid
SlurmdPidFile={dir}/slurmd.pid
SlurmctldLogFile={dir}/log/slurmctld.log
SlurmdLogFile={dir}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SchedulerParameters=batch_sched_delay=0
MinJobAge=4
ReturnToService=2
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
NodeName=n1 NodeAddr=127.0.0.1 NodeHostname=localhost CPUs={cpus} State=UNKNOWN
PartitionName=debug Nodes=n1 Default=YES MaxTime=INFINITE State=UP
"""


class SlurmCluster:
    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="qlab-slurm-")
        self.processes = []
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        # Workers first, munged last: slurmd and slurmctld authenticate through it while shutting down.
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
        return False

    def _spawn(self, name, argv):
        log = open(os.path.join(self.dir, "log", name + ".out"), "wb")
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=self.env)
        log.close()
        self.processes.append(process)
        return process

    def log(self, name):
        """A daemon's output, for failure messages."""
        try:
            with open(os.path.join(self.dir, "log", name + ".out"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def _start(self):
        d = self.dir
        os.chmod(d, 0o755)  # munged wants every folder above its socket searchable by all
        for sub in ("log", "state", "spool"):
            os.mkdir(os.path.join(d, sub))
        munge = os.path.join(d, "munge")
        os.mkdir(munge)
        os.chmod(munge, 0o755)  # munged refuses a socket folder others can write to
        key = os.path.join(munge, "munge.key")
        with open(key, "wb") as f:
            f.write(os.urandom(1024))
        os.chmod(key, 0o400)
        self.env = dict(os.environ, SLURM_CONF=os.path.join(d, "slurm.conf"))
        self.env["PATH"] = self.env.get("PATH", "") + ":/usr/sbin:/usr/bin"
        for name in ("SLURM_JOB_ID", "SLURM_ARRAY_JOB_ID"):  # never inherit another job's identity
            self.env.pop(name, None)
        socket_path = os.path.join(munge, "munge.socket")
        self._spawn("munged", ["munged", "--foreground", "--key-file=" + key, "--socket=" + socket_path,
                               "--pid-file=" + os.path.join(munge, "munged.pid"),
                               "--seed-file=" + os.path.join(munge, "munged.seed"),
                               "--log-file=" + os.path.join(d, "log", "munged.log")])
        poll_until(lambda: os.path.exists(socket_path) or self._died("munged"), 10, "munged's socket")
        with open(self.env["SLURM_CONF"], "w") as f:
            f.write(SLURM_CONF.format(user=pwd.getpwuid(os.getuid()).pw_name, ctld_port=free_tcp_port(),
                                      slurmd_port=free_tcp_port(), dir=d, cpus=len(os.sched_getaffinity(0))))
        self._spawn("slurmctld", ["slurmctld", "-D", "-c", "-i"])
        self._spawn("slurmd", ["slurmd", "-D", "-N", "n1"])
        poll_until(lambda: self._node_state() == "idle" or self._died("slurmctld") or self._died("slurmd"), 30,
                   "sinfo to report node n1 idle")

    def _died(self, name):
        for process in self.processes:
            if process.args[0] == name and process.poll() is not None:
                raise AssertionError("%s exited with %d:\n%s" % (name, process.returncode, self.log(name)))
        return False

    def _node_state(self):
        done = subprocess.run(["sinfo", "--noheader", "--format=%T"], env=self.env, capture_output=True, text=True,
                              timeout=10)
        return done.stdout.strip() if done.returncode == 0 else ""


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: slurm_cluster.py COMMAND [ARGS...]")
    started = time.monotonic()
    with SlurmCluster() as cluster:
        print("slurm_cluster: node n1 idle after %.1fs; SLURM_CONF=%s" % (time.monotonic() - started,
                                                                       cluster.env["SLURM_CONF"]), flush=True)
        status = subprocess.run(sys.argv[1:], env=cluster.env).returncode
    print("slurm_cluster: stopped, %.1fs in all" % (time.monotonic() - started), flush=True)
    sys.exit(status)
