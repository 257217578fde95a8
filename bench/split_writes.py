#!/usr/bin/env python3
"""Issue 13, item 6: requests whose head and body come in two writes.

Starts BINARY on a fresh database and, on one keep-alive connection with
Nagle's algorithm on (as h11 and many clients have it), sends --requests
`POST /connect {"messages_number":1}`, each as its head, a --pause, then its
body, and reads each answer; then the same requests each in one write. Prints
the median (and min, max) time per request of each, as the e2e test
`tests/e2e/split_writes.rs` measures it (its pause included).

    bench/split_writes.py BINARY [--runtime tokio] [--requests 20] [--pause-ms 1]
"""
import json
import statistics
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ left in bench/
from agora_bench import Server, request_bytes, server_arguments  # noqa: E402


def timed(client, head, payload, pause):
    """Milliseconds from the first byte sent to the whole answer read."""
    t0 = time.perf_counter()
    if pause is None:
        client.send(head + payload)
    else:
        client.send(head)
        time.sleep(pause)
        client.send(payload)
    status, _ = client.read_response()
    assert status == 200, status
    return (time.perf_counter() - t0) * 1e3


def stats(took):
    return {"median_ms": round(statistics.median(took), 2), "min_ms": round(min(took), 2),
            "max_ms": round(max(took), 2)}


def main():
    args = server_arguments(__doc__, requests=20, pause_ms=1.0).parse_args()
    with Server(args.binary, args.runtime) as server:
        token = server.register("splitter")
        head, payload = request_bytes("POST", "/connect", token, {"messages_number": 1})
        with server.client(nodelay=False) as c:
            split = [timed(c, head, payload, args.pause_ms / 1e3) for _ in range(args.requests)]
            whole = [timed(c, head, payload, None) for _ in range(args.requests)]
    print(json.dumps({"binary": args.binary, "runtime": args.runtime,
                      "requests": args.requests, "pause_ms": args.pause_ms,
                      "split": stats(split), "one_write": stats(whole)}))


if __name__ == "__main__":
    main()
