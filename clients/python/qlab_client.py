#!/usr/bin/env python3
"""A client of the qlab wire protocol v1 (docs/PROTOCOL.md), standard library only.

Library:
    with Producer("127.0.0.1", 7700, name="p") as p:
        ids = p.publish([b"hello", b"world"])           # waits for the confirmations
    with Consumer("127.0.0.1", 7700, name="c") as c:
        for d in c.receive(max_count=10, wait_ms=1000):  # Delivery(message_id, receipt, ..., payload)
            c.ack([d.receipt])

CLI:
    qlab_client.py produce --connect 127.0.0.1:7700 --count 1000 [--size 100] [--batch 64] [--name py]
    qlab_client.py consume --connect 127.0.0.1:7700 --count 1000 [--print] [--no-ack]
    qlab_client.py stats --connect 127.0.0.1:7700
The broker token comes from --token-file FILE or the environment variable QLAB_TOKEN (never the command
line, where `ps` shows it); --token is kept for tests only.
"""
import argparse
import json
import os
import socket
import struct
import sys
import time
from collections import namedtuple

MAGIC = b"QL"
FRAME_VERSION = 1
PROTOCOL_VERSION = 1
HEADER = struct.Struct("<2sBBHHI")  # magic, frame_version, type, flags, reserved, body_length
MAX_BODY = 1 << 20
DELIVER_OVERHEAD = 48
MAX_PAYLOAD = MAX_BODY - DELIVER_OVERHEAD  # the largest payload a PUBLISH may carry
WAIT_FOREVER = 0xFFFFFFFF
PULL_RETURN_EARLY = 0x0001

HELLO, HELLO_OK, ERROR, PUBLISH, PUBLISH_OK, PULL, DELIVER, PULL_END, ACK, RELEASE, EXTEND, STATS, STATS_OK = range(1, 14)
ROLES = {"producer": 1, "consumer": 2, "admin": 3}
ERROR_NAMES = {1: "bad_magic", 2: "unsupported_version", 3: "unknown_type", 4: "frame_too_large", 5: "malformed",
               6: "hello_required", 7: "auth_failed", 8: "wrong_role", 9: "stale_receipt", 10: "name_in_use",
               11: "shutting_down", 12: "bad_request", 13: "timed_out", 14: "too_many_connections"}
# PUBLISH_OK statuses: everything but 0 means the message does not exist.
PUBLISH_STATUS = {0: "accepted", 1: "refused", 2: "too_large", 3: "queue_full"}

Delivery = namedtuple("Delivery", "message_id receipt receive_count publish_time producer_time key payload")
BrokerError = namedtuple("BrokerError", "code name fatal ref text")


class QlabError(Exception):
    """The broker refused something (error is the ERROR frame), or the connection failed."""

    def __init__(self, message, error=None):
        super().__init__(message)
        self.error = error


def _str16(text):
    data = text.encode("utf-8")
    return struct.pack("<H", len(data)) + data


def _frame(frame_type, body=b"", flags=0):
    if len(body) > MAX_BODY:
        raise ValueError("frame body of %d bytes exceeds %d" % (len(body), MAX_BODY))
    return HEADER.pack(MAGIC, FRAME_VERSION, frame_type, flags, 0, len(body)) + body


def _read_str16(body, at):
    (n,) = struct.unpack_from("<H", body, at)
    return body[at + 2:at + 2 + n].decode("utf-8"), at + 2 + n


def decode_error(body):
    code, fatal, _, ref = struct.unpack_from("<HBBQ", body, 0)
    text, _ = _read_str16(body, 12)
    return BrokerError(code, ERROR_NAMES.get(code, "code_%d" % code), bool(fatal), ref, text)


def decode_deliver(body):
    message_id, receipt, receive_count, publish_time, producer_time, key, n = struct.unpack_from("<QQIQQQI", body, 0)
    return Delivery(message_id, receipt, receive_count, publish_time, producer_time, key, body[48:48 + n])


class Connection:
    """One session: HELLO on connect, then frames. Not thread-safe."""

    def __init__(self, host, port, role, name="", token="", timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = bytearray()
        self.warnings = []          # non-fatal ERROR frames (e.g. stale_receipt)
        self.early_deliveries = []  # DELIVERs that came while waiting for another reply
        body = struct.pack("<HBB", PROTOCOL_VERSION, ROLES[role], 0) + _str16(name) + _str16(token)
        try:
            self.send(_frame(HELLO, body))
            ok = self.expect(HELLO_OK, timeout)
        except BaseException:
            self.close()
            raise
        version, _, self.session_id, self.consumer_id, self.max_body = struct.unpack_from("<HHIII", ok, 0)
        self.design, _ = _read_str16(ok, 16)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def send(self, data):
        self.sock.sendall(data)

    def read_frame(self, timeout):
        """(type, flags, body), or None when nothing came within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buffer) >= HEADER.size:
                magic, version, frame_type, flags, _, length = HEADER.unpack_from(self.buffer, 0)
                if magic != MAGIC or version != FRAME_VERSION or length > MAX_BODY:
                    raise QlabError("bad frame header from the broker")
                if len(self.buffer) >= HEADER.size + length:
                    body = bytes(self.buffer[HEADER.size:HEADER.size + length])
                    del self.buffer[:HEADER.size + length]
                    return frame_type, flags, body
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                raise QlabError("the broker closed the connection")
            self.buffer += chunk

    def expect(self, wanted, timeout=10.0):
        """The body of the next frame of type `wanted`; ERRORs raise (non-fatal ones are kept as warnings)."""
        deadline = time.monotonic() + timeout
        while True:
            frame = self.read_frame(max(0.0, deadline - time.monotonic()))
            if frame is None:
                raise QlabError("timed out waiting for frame type %d" % wanted)
            frame_type, _, body = frame
            if frame_type == wanted:
                return body
            if frame_type == ERROR:
                error = decode_error(body)
                if not error.fatal:
                    self.warnings.append(error)
                    continue
                raise QlabError("broker error %s: %s" % (error.name, error.text), error)
            if frame_type == DELIVER:
                self.early_deliveries.append(decode_deliver(body))

    def stats(self, timeout=10.0):
        self.send(_frame(STATS))
        return json.loads(self.expect(STATS_OK, timeout).decode("utf-8"))


class Producer(Connection):
    def __init__(self, host, port, name="", token="", timeout=10.0):
        super().__init__(host, port, "producer", name, token, timeout)
        self.next_seq = 0

    def send_publish(self, payloads, keys=None, producer_times=None):
        """Sends one PUBLISH frame; returns the client sequence numbers used (confirmations come later)."""
        parts = [struct.pack("<I", len(payloads))]
        seqs = []
        for i, payload in enumerate(payloads):
            if isinstance(payload, str):
                payload = payload.encode("utf-8")
            key = keys[i] if keys else 0
            producer_time = producer_times[i] if producer_times else time.time_ns()
            parts.append(struct.pack("<QQQI", self.next_seq, key, producer_time, len(payload)))
            parts.append(payload)
            seqs.append(self.next_seq)
            self.next_seq += 1
        self.send(_frame(PUBLISH, b"".join(parts)))
        return seqs

    def read_confirms(self, timeout=10.0):
        """One PUBLISH_OK: a list of (client_seq, message_id, status) (PUBLISH_STATUS names the statuses)."""
        body = self.expect(PUBLISH_OK, timeout)
        (count,) = struct.unpack_from("<I", body, 0)
        return [struct.unpack_from("<QQB", body, 4 + 17 * i) for i in range(count)]

    def publish_settled(self, payloads, keys=None, timeout=10.0):
        """Publishes a batch and waits until each message is settled: (message_id, status name) in order;
        a message not accepted ("refused", "too_large", "queue_full") has message_id None."""
        seqs = self.send_publish(payloads, keys)
        index = {seq: i for i, seq in enumerate(seqs)}
        settled = [None] * len(seqs)
        count = 0
        deadline = time.monotonic() + timeout
        while count < len(seqs):
            for seq, message_id, status in self.read_confirms(max(0.0, deadline - time.monotonic())):
                if seq in index:
                    name = PUBLISH_STATUS.get(status, "status %d" % status)
                    settled[index[seq]] = (message_id if status == 0 else None, name)
                    count += 1
        return settled

    def publish(self, payloads, keys=None, timeout=10.0):
        """Publishes a batch and waits until each message is settled; message ids in order (None if refused)."""
        return [message_id for message_id, _ in self.publish_settled(payloads, keys, timeout)]


class Consumer(Connection):
    def __init__(self, host, port, name="", token="", timeout=10.0):
        super().__init__(host, port, "consumer", name, token, timeout)

    def pull(self, max_count, wait_ms=WAIT_FOREVER, return_early=False):
        self.send(_frame(PULL, struct.pack("<II", max_count, wait_ms), PULL_RETURN_EARLY if return_early else 0))

    def receive(self, max_count=1, wait_ms=1000, timeout=None):
        """Up to `max_count` deliveries, waiting at most `wait_ms` for the first (SQS ReceiveMessage)."""
        got, self.early_deliveries = self.early_deliveries, []
        if len(got) >= max_count:
            return got
        self.pull(max_count - len(got), wait_ms, return_early=True)
        deadline = time.monotonic() + (timeout if timeout is not None else wait_ms / 1000.0 + 30.0)
        while len(got) < max_count:
            frame = self.read_frame(max(0.0, deadline - time.monotonic()))
            if frame is None:
                raise QlabError("timed out waiting for deliveries")
            frame_type, _, body = frame
            if frame_type == DELIVER:
                got.append(decode_deliver(body))
            elif frame_type == PULL_END:
                break
            elif frame_type == ERROR:
                error = decode_error(body)
                if error.fatal:
                    raise QlabError("broker error %s: %s" % (error.name, error.text), error)
                self.warnings.append(error)
        return got

    def next_delivery(self, timeout):
        """The next DELIVER of a streaming pull, or None after `timeout` seconds without one."""
        if self.early_deliveries:
            return self.early_deliveries.pop(0)
        deadline = time.monotonic() + timeout
        while True:
            frame = self.read_frame(max(0.0, deadline - time.monotonic()))
            if frame is None:
                return None
            frame_type, _, body = frame
            if frame_type == DELIVER:
                return decode_deliver(body)
            if frame_type == ERROR:
                error = decode_error(body)
                if error.fatal:
                    raise QlabError("broker error %s: %s" % (error.name, error.text), error)
                self.warnings.append(error)

    def _receipts(self, frame_type, receipts):
        receipts = list(receipts)
        self.send(_frame(frame_type, struct.pack("<I%dQ" % len(receipts), len(receipts), *receipts)))

    def ack(self, receipts):
        self._receipts(ACK, receipts)

    def release(self, receipts):
        self._receipts(RELEASE, receipts)

    def extend(self, receipt, timeout_ms):
        self.send(_frame(EXTEND, struct.pack("<QI", receipt, timeout_ms)))


def _host_port(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


def _payload(name, seq, size):
    text = "%s-%d" % (name, seq)
    return (text + "." * max(0, size - len(text))).encode("utf-8")


def main(argv=None):
    parser = argparse.ArgumentParser(description="qlab protocol client (standard library only)")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in ("produce", "consume", "stats"):
        p = sub.add_parser(command)
        p.add_argument("--connect", default="127.0.0.1:7700", help="broker HOST:PORT")
        p.add_argument("--token", default=None, help=argparse.SUPPRESS)  # visible in ps: tests only
        p.add_argument("--token-file", help="read the broker token from this file (else $QLAB_TOKEN)")
        p.add_argument("--name", default="py" if command == "produce" else "")
        if command != "stats":
            p.add_argument("--count", type=int, default=1000)
        if command == "produce":
            p.add_argument("--size", type=int, default=0, help="pad payloads NAME-SEQ with '.' to this many bytes")
            p.add_argument("--batch", type=int, default=64)
        if command == "consume":
            p.add_argument("--prefetch", type=int, default=64)
            p.add_argument("--idle-timeout", type=float, default=10.0, help="seconds without a delivery before giving up")
            p.add_argument("--print", action="store_true", help="print each distinct payload")
            p.add_argument("--no-ack", action="store_true")
    args = parser.parse_args(argv)
    if args.token is None:
        if args.token_file:
            with open(args.token_file, encoding="utf-8") as f:
                args.token = f.read().strip()
        else:
            args.token = os.environ.get("QLAB_TOKEN", "")
    host, port = _host_port(args.connect)
    start = time.monotonic()
    try:
        if args.command == "stats":
            with Connection(host, port, "admin", args.name, args.token) as c:
                print(json.dumps(c.stats(), indent=2))
            return 0
        if args.command == "produce":
            with Producer(host, port, args.name, args.token) as p:
                refused = {}
                for first in range(0, args.count, args.batch):
                    batch = [_payload(args.name, i, args.size) for i in range(first, min(args.count, first + args.batch))]
                    for message_id, status in p.publish_settled(batch):
                        if message_id is None:
                            refused[status] = refused.get(status, 0) + 1
            seconds = time.monotonic() - start
            reasons = (": " + ", ".join("%s %d" % kv for kv in sorted(refused.items()))) if refused else ""
            print("qlab_client produce: %d messages confirmed (%d refused%s) in %.3f s (%.0f msg/s)"
                  % (args.count - sum(refused.values()), sum(refused.values()), reasons, seconds, args.count / seconds),
                  file=sys.stderr)
            return 1 if refused else 0
        with Consumer(host, port, args.name, args.token) as c:
            seen = set()
            deliveries = 0
            pending = []
            c.pull(args.prefetch)
            while len(seen) < args.count:
                d = c.next_delivery(args.idle_timeout)
                if d is None:
                    print("qlab_client consume: no delivery for %.1f s; stopping with %d of %d messages"
                          % (args.idle_timeout, len(seen), args.count), file=sys.stderr)
                    return 1
                deliveries += 1
                if d.message_id not in seen:
                    seen.add(d.message_id)
                    if args.print:
                        print(d.payload.decode("utf-8", "replace"))
                pending.append(d.receipt)
                if len(pending) >= max(1, args.prefetch // 2) or len(seen) >= args.count:
                    if not args.no_ack:
                        c.ack(pending)
                    c.pull(len(pending))
                    pending = []
            c.stats()  # a round trip: the last acks have reached the broker
            sys.stdout.flush()
            seconds = time.monotonic() - start
            print("qlab_client consume: %d messages (%d deliveries) in %.3f s (%.0f msg/s)"
                  % (len(seen), deliveries, seconds, len(seen) / seconds), file=sys.stderr)
            return 0
    except (QlabError, OSError) as e:
        print("qlab_client: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
