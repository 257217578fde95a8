#!/usr/bin/env python3
"""Memory per idle keep-alive connection.

Opens N sockets to a running agora-server, makes one GET /status on each (so
each is a used keep-alive connection, now idle), then reads the server's RSS
from /proc and prints the growth per connection.

    python3 bench/idle_conns.py --pid PID --port PORT --token HEX [-n 10000]
"""
import argparse
import resource
import socket
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("-n", type=int, default=10000)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, args.n + 1000), hard))

    request = (
        f"GET /status HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {args.token}\r\n\r\n"
    ).encode()
    time.sleep(0.5)
    before = rss_kib(args.pid)
    socks = []
    for _ in range(args.n):
        s = socket.create_connection(("127.0.0.1", args.port), timeout=10)
        s.sendall(request)
        socks.append(s)
    for s in socks:  # read each response so every connection is idle again
        data = b""
        while b"\r\n\r\n" not in data:
            data += s.recv(4096)
    time.sleep(1.0)
    after = rss_kib(args.pid)
    per_conn = (after - before) * 1024 / args.n
    print(f"connections={args.n} rss_before_kib={before} rss_after_kib={after} "
          f"bytes_per_idle_conn={per_conn:.0f}")
    for s in socks:
        s.close()


if __name__ == "__main__":
    main()
