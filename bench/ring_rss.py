#!/usr/bin/env python3
"""Issue 21, item 3: the server's RSS while big private events pass the hub.

Starts BINARY on a fresh database, registers alice and bob, opens an event
stream for each (read and dropped as it comes, on threads), then sends
--count private messages of --chars control characters from alice to bob
(each escapes to about 24 KiB of JSON) over --conns connections. Reports the
server's VmRSS before, its peak (sampled every 50 ms) and 2 s after the last
send. Loopback only; the server and its database are removed at the end.

    bench/ring_rss.py BINARY [--runtime tokio] [--count 4500]

The last line is the figures as JSON.
"""
import json
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ left in bench/
from agora_bench import Server, request_bytes, rss_kib, server_arguments  # noqa: E402


def stream(port, token, stop, received):
    """An event stream read and dropped until `stop`."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=1)
    head, _ = request_bytes("GET", "/events", token)
    sock.sendall(head.replace(b"\r\n\r\n", b"\r\nAccept: text/event-stream\r\n\r\n"))
    while not stop.is_set():
        try:
            data = sock.recv(1 << 16)
        except socket.timeout:
            continue
        if not data:
            break
        received[0] += len(data)
    sock.close()


def main():
    args = server_arguments(__doc__, count=4500, chars=4096, conns=4).parse_args()
    with Server(args.binary, args.runtime) as server:
        alice = server.register("alice")
        bob = server.register("bob")
        stop = threading.Event()
        received = [[0], [0]]
        readers = [threading.Thread(target=stream, args=(server.port, t, stop, r))
                   for t, r in ((alice, received[0]), (bob, received[1]))]
        for r in readers:
            r.start()
        time.sleep(0.5)
        before = rss_kib(server.pid)
        peak = [before]
        sampling = threading.Event()

        def sample():
            while not sampling.is_set():
                peak[0] = max(peak[0], rss_kib(server.pid))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample)
        sampler.start()
        text = "\u0001" * args.chars
        started = time.monotonic()

        def send(n):
            with server.client() as c:
                for _ in range(n):
                    status, body = c.request("POST", "/send", alice,
                                             {"send_to": "bob", "message": text})
                    if status != 201:
                        raise RuntimeError(f"/send: {status} {body[:200]!r}")

        senders = [threading.Thread(target=send, args=(args.count // args.conns,))
                   for _ in range(args.conns)]
        for s in senders:
            s.start()
        for s in senders:
            s.join()
        elapsed = time.monotonic() - started
        time.sleep(2)
        after = rss_kib(server.pid)
        sampling.set()
        sampler.join()
        stop.set()
        for r in readers:
            r.join()
        figures = {
            "runtime": args.runtime,
            "messages": args.count // args.conns * args.conns,
            "send_seconds": round(elapsed, 1),
            "rss_before_mib": round(before / 1024, 1),
            "rss_peak_mib": round(peak[0] / 1024, 1),
            "rss_after_mib": round(after / 1024, 1),
            "streamed_mib": [round(r[0] / 2**20, 1) for r in received],
        }
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
