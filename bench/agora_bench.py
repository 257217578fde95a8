"""Helpers the Python benchmarks share: start an agora-server binary on a fresh
database on loopback, read its RSS, and a minimal keep-alive HTTP/1.1 client
over a raw socket (so that how a request is written, in one write or two, and
whether a response is read at all, stay under the benchmark's control).

Python 3 standard library only.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time


def server_arguments(doc, **numbers):
    """A command line that starts with the server binary and its runtime, then
    an option for each of `numbers`, of its default's type (`pause_ms=1.0` is
    `--pause-ms`, a float, 1.0 unless given); the description is the first
    paragraph of the script's `doc`."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("binary", help="the agora-server binary to start")
    ap.add_argument("--runtime", default="tokio", help="tokio, smol or blocking")
    for name, default in numbers.items():
        ap.add_argument("--" + name.replace("_", "-"), type=type(default), default=default)
    return ap


def split_server_flags(argv):
    """`argv` as `script args... [-- server flags...]`: the script's own
    arguments and the flags passed on to the server (none without `--`)."""
    if "--" not in argv:
        return argv, []
    at = argv.index("--")
    return argv[:at], argv[at + 1:]


def rss_kib(pid):
    """The resident set of process `pid`, from /proc, in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# A load generator is one client address that registers and streams as fast
# as it can: the limits per address and per user (issue 21) are off, as in
# load_env.sh (environment variables, which a binary from before those flags
# ignores). A variable already set wins.
LOAD_ENV = {
    "AGORA_REGISTER_RATE": "0",
    "AGORA_REPORTER_MIN_AGE": "0s",
    "AGORA_MAX_CONNECTIONS_PER_IP": "1000000",
    "AGORA_MAX_STREAMS_PER_USER": "1000000",
}


class Server:
    """One agora-server on 127.0.0.1 with a database in a fresh temporary
    folder, removed with the server at exit (use it as a context manager)."""

    def __init__(self, binary, runtime="tokio", extra_args=()):
        self.dir = tempfile.mkdtemp(prefix="agora-bench-")
        self.port = free_port()
        args = [binary, "--runtime", runtime, "--port", str(self.port),
                "--db", os.path.join(self.dir, "bench.db"), "--log", "warn", *extra_args]
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                     env={**LOAD_ENV, **os.environ})
        self.pid = self.proc.pid
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"the server did not start: {' '.join(args)}\n"
                                       + self.log_text())
                time.sleep(0.05)

    def log_text(self):
        with open(os.path.join(self.dir, "server.log"), "rb") as f:
            return f.read().decode(errors="replace")

    def client(self, nodelay=True):
        return Client(self.port, nodelay)

    def register(self, name):
        with self.client() as c:
            status, body = c.request("POST", "/get-token", body={"user_name": name})
            if status != 200:
                raise RuntimeError(f"/get-token {name}: {status} {body[:200]!r}")
            return json.loads(body)["token"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def request_bytes(method, path, token=None, body=None):
    """The head and the body of a request, as two byte strings."""
    payload = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
    head = f"{method} {path} HTTP/1.1\r\nHost: bench\r\n"
    if token:
        head += f"Authorization: Bearer {token}\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
    return (head + "\r\n").encode(), payload


class Client:
    """One keep-alive connection. Responses must carry Content-Length (every
    agora response does)."""

    def __init__(self, port, nodelay=True):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=120)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, int(nodelay))
        self.buf = bytearray()
        self.scratch = bytearray(1 << 20)

    def send(self, data):
        self.sock.sendall(data)

    def request(self, method, path, token=None, body=None, keep_body=True):
        """Sends a request in one write; returns (status, body), or
        (status, length) with keep_body=False (the body is read and dropped)."""
        head, payload = request_bytes(method, path, token, body)
        self.send(head + payload)
        return self.read_response(keep_body)

    def read_response(self, keep_body=True):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        end = self.buf.index(b"\r\n\r\n") + 4
        head = bytes(self.buf[:end]).decode("latin-1")
        del self.buf[:end]
        status = int(head.split(" ", 2)[1])
        length = 0
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        if keep_body:
            while len(self.buf) < length:
                self._fill()
            body = bytes(self.buf[:length])
            del self.buf[:length]
            return status, body
        # Dropped as it arrives, so that a 33 MB body costs no 33 MB here.
        rest = length - min(length, len(self.buf))
        del self.buf[:length]
        view = memoryview(self.scratch)
        while rest > 0:
            n = self.sock.recv_into(view[:min(rest, len(self.scratch))])
            if n == 0:
                raise ConnectionError("closed in the middle of a body")
            rest -= n
        return status, length

    def _fill(self):
        data = self.sock.recv(1 << 16)
        if not data:
            raise ConnectionError("the server closed the connection")
        self.buf += data

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def percentile(sorted_values, p):
    """The nearest-rank percentile `p` (0-100) of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * p // 100))
    return sorted_values[int(rank) - 1]
