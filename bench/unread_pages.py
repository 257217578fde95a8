#!/usr/bin/env python3
"""Issue 21, item 5: pages to clients that never read.

Starts BINARY on a fresh database; alice sends bob --messages private
messages of 4,096 control characters, so that bob's
`GET /events?since=0&timeout=0` is a page of about 1 MiB. Then --clients
connections, each with a 4 KiB receive buffer, ask for that page and never
read, while carol sends `GET /status` one after another on her own
keep-alive connection for --seconds. Reported: the server's VmRSS before and
at its peak, the kernel's TCP memory (/proc/net/sockstat `mem`, in MiB) at
its peak, a new connection's first /status once every stalled client has
asked, and the p50/p99 of carol's loop;
also how the stalled clients' requests were answered (status line seen
within 2 s: 200, 503, or nothing).

    bench/unread_pages.py BINARY [--runtime tokio] [--clients 1000] [-- SERVER_FLAG...]

Loopback only; the server and its database are removed at the end. The last
line is the figures as JSON.
"""
import json
import resource
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ left in bench/
from agora_bench import (  # noqa: E402
    Server, percentile, request_bytes, rss_kib, server_arguments, split_server_flags)


def tcp_mem_mib():
    page = resource.getpagesize()
    with open("/proc/net/sockstat") as f:
        for line in f:
            if line.startswith("TCP:"):
                parts = line.split()
                return int(parts[parts.index("mem") + 1]) * page / 2**20
    return 0.0


def main():
    ap = server_arguments(__doc__, clients=1000, messages=60, seconds=8.0)
    own, server_args = split_server_flags(sys.argv[1:])
    args = ap.parse_args(own)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, args.clients * 2 + 1000), hard))
    with Server(args.binary, args.runtime, server_args) as server:
        alice = server.register("alice")
        bob = server.register("bob")
        carol = server.register("carol")
        text = "\u0001" * 4096
        with server.client() as c:
            for _ in range(args.messages):
                status, body = c.request("POST", "/send", alice,
                                         {"send_to": "bob", "message": text})
                assert status == 201, body[:200]
            status, size = c.request("GET", "/events?since=0&timeout=0", bob,
                                     keep_body=False)
            assert status == 200
        time.sleep(0.5)
        rss_before = rss_kib(server.pid)
        tcp_before = tcp_mem_mib()
        peak = {"rss": rss_before, "tcp": tcp_before}
        done = threading.Event()

        def sample():
            while not done.is_set():
                peak["rss"] = max(peak["rss"], rss_kib(server.pid))
                peak["tcp"] = max(peak["tcp"], tcp_mem_mib())
                time.sleep(0.05)

        latencies = []

        def status_loop():
            with server.client() as c:
                while not done.is_set():
                    started = time.perf_counter()
                    status, _ = c.request("GET", "/status", carol)
                    latencies.append((time.perf_counter() - started) * 1000)
                    assert status == 200, status
                    time.sleep(0.01)

        threads = [threading.Thread(target=sample), threading.Thread(target=status_loop)]
        head, _ = request_bytes("GET", "/events?since=0&timeout=0", bob)
        stalled = []
        for t in threads:
            t.start()
        flood_started = time.monotonic()
        for _ in range(args.clients):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.settimeout(10)
            s.connect(("127.0.0.1", server.port))
            s.sendall(head)
            stalled.append(s)
        opened = time.monotonic() - flood_started
        # A new connection's first /status, once every stalled client asked.
        started = time.perf_counter()
        with server.client() as c:
            status, _ = c.request("GET", "/status", carol)
        first = (time.perf_counter() - started) * 1000
        time.sleep(max(0.0, args.seconds - opened))
        done.set()
        for t in threads:
            t.join()
        answers = {"200": 0, "503": 0, "none": 0}
        for s in stalled:
            s.settimeout(0.002)
            try:
                line = s.recv(12)
                key = line[9:12].decode() if len(line) == 12 else "none"
                answers[key if key in answers else "none"] += 1
            except OSError:
                answers["none"] += 1
            s.close()
        latencies_sorted = sorted(latencies)
        figures = {
            "runtime": args.runtime,
            "clients": args.clients,
            "page_bytes": size,
            "open_seconds": round(opened, 2),
            "rss_before_mib": round(rss_before / 1024, 1),
            "rss_peak_mib": round(peak["rss"] / 1024, 1),
            "tcp_mem_before_mib": round(tcp_before, 1),
            "tcp_mem_peak_mib": round(peak["tcp"], 1),
            "new_conn_status_ms": round(first, 2),
            "status_p50_ms": round(percentile(latencies_sorted, 50), 2),
            "status_p99_ms": round(percentile(latencies_sorted, 99), 2),
            "status_max_ms": round(latencies_sorted[-1], 2) if latencies else None,
            "status_requests": len(latencies),
            "stalled_answers": answers,
        }
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
