#!/usr/bin/env python3
"""Issue 21, item 7: sends pipelined on one connection.

Starts BINARY on a fresh database (with metrics on a port of its own),
registers two users, then writes --sends `POST /send` (private, so that no
quota stops them) back to back on one keep-alive connection from one thread
while another reads the answers. Prints the sends per second (from the first
byte written to the last answer read), the statuses seen, and the writer's
mean batch (agora_store_batch_size: commands per commit), which shows whether
the pipelined sends joined the same group commit.

    bench/pipelined_sends.py BINARY [--runtime tokio] [--sends 100000]
"""
import json
import re
import socket
import sys
import threading
import time
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ left in bench/
from agora_bench import Server, free_port, request_bytes, server_arguments  # noqa: E402

STATUS = re.compile(rb"HTTP/1\.1 (\d{3}) ")


def metric(port, series):
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read()
    for line in text.decode().splitlines():
        if line.startswith(series + " "):
            return float(line.split()[1])
    raise RuntimeError(f"no {series}")


def read_answers(sock, count, statuses):
    """Reads until `count` status lines were seen (bodies are small JSON and
    never hold one), counting them by status."""
    seen = 0
    tail = b""
    while seen < count:
        data = sock.recv(1 << 20)
        if not data:
            raise ConnectionError(f"closed after {seen} answers")
        chunk = tail + data
        for match in STATUS.finditer(chunk):
            code = int(match.group(1))
            statuses[code] = statuses.get(code, 0) + 1
            seen += 1
        # A status line cut at the end of the read is counted with the next.
        cut = chunk.rfind(b"HTTP/1.1 ")
        tail = chunk[cut:] if cut >= 0 and STATUS.match(chunk, cut) is None else b""
        tail = tail[-32:]


def main():
    args = server_arguments(__doc__, sends=100_000).parse_args()
    metrics_port = free_port()
    extra = ["--metrics-addr", f"127.0.0.1:{metrics_port}"]
    with Server(args.binary, args.runtime, extra) as server:
        token = server.register("piper")
        server.register("friend")
        batches0 = metric(metrics_port, "agora_store_batch_size_count")
        commands0 = metric(metrics_port, "agora_store_batch_size_sum")
        requests = b"".join(
            b"".join(request_bytes("POST", "/send", token,
                                   {"message": f"p{i}", "send_to": "friend"}))
            for i in range(args.sends))
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=120)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        statuses = {}
        t0 = time.perf_counter()
        writer = threading.Thread(target=sock.sendall, args=(requests,))
        writer.start()
        read_answers(sock, args.sends, statuses)
        took = time.perf_counter() - t0
        writer.join()
        sock.close()
        batches = metric(metrics_port, "agora_store_batch_size_count") - batches0
        commands = metric(metrics_port, "agora_store_batch_size_sum") - commands0
    print(json.dumps({"binary": args.binary, "runtime": args.runtime, "sends": args.sends,
                      "seconds": round(took, 2), "sends_per_s": round(args.sends / took),
                      "statuses": statuses, "batches": int(batches),
                      "mean_batch": round(commands / batches, 1) if batches else None}))


if __name__ == "__main__":
    main()
