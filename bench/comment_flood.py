#!/usr/bin/env python3
"""Issue 13, item 1: what one public message with many long comments costs.

Starts BINARY on a fresh database and sets up one public message with
--comments comments of --chars emoji each (4 bytes of UTF-8 apiece), then:

 (a) measures the body of one `POST /connect {}`; opens --stalled connections
     that each send that request and never read, and reports the server's RSS
     (VmRSS) before, at its peak while they are open, and after they close;
 (b) measures another user's private `POST /send` latency, --sends sends one
     after another on one keep-alive connection, first alone (--quiet-sends),
     then while --loopers connections (each in its own process) loop
     `POST /connect {"messages_number":1}` and read every answer.

    bench/comment_flood.py BINARY [--runtime tokio] [-- SERVER_FLAG...]
    bench/comment_flood.py target/release/agora-server -- --comment-quota 100000

Flags after `--` go to the server: a server with a comment quota needs
`--comment-quota 100000` to accept the set-up (one that predates the quota
does not know the flag). Loopback only; the server and its database are
removed at the end. The last line is the figures as JSON.
"""
import json
import multiprocessing
import statistics
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ left in bench/
from agora_bench import (  # noqa: E402
    Client, Server, percentile, request_bytes, rss_kib, server_arguments,
    split_server_flags)

CONNECT_ONE = {"messages_number": 1}


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def set_up(server, comments, chars):
    """One public message by alice and `comments` long comments by bob on it;
    returns the tokens."""
    tokens = {name: server.register(name) for name in ("alice", "bob", "carol", "dave", "reader")}
    with server.client() as c:
        status, body = c.request("POST", "/send", tokens["alice"], {"message": "flooded"})
        assert status == 201, (status, body)
        message_id = json.loads(body)["message_id"]
        started = time.monotonic()
        for i in range(comments):
            text = f"{i} " + "😀" * (chars - len(f"{i} "))
            status, body = c.request("POST", "/comment", tokens["bob"],
                                     {"message_id": message_id, "comment": text})
            if status != 201:
                sys.exit(f"comment {i}: {status} {body[:200]!r} (a server with a comment "
                         "quota needs `-- --comment-quota 100000`)")
            if (i + 1) % 500 == 0:
                log(f"  {i + 1} comments ({time.monotonic() - started:.1f} s)")
    return tokens


def stalled_connections(server, token, count, settle, hold_max):
    """RSS before, at the peak while `count` connections each send `/connect`
    and never read, and after they close (KiB)."""
    time.sleep(1)
    before = rss_kib(server.pid)
    head, payload = request_bytes("POST", "/connect", token, {})
    clients = [server.client() for _ in range(count)]
    for c in clients:
        c.send(head + payload)
    peak, peak_at, started = before, time.monotonic(), time.monotonic()
    # Until no new peak for `settle` seconds: the server builds the answers one
    # after another and holds what the peers do not read.
    while time.monotonic() - peak_at < settle and time.monotonic() - started < hold_max:
        time.sleep(0.1)
        rss = rss_kib(server.pid)
        if rss > peak:
            peak, peak_at = rss, time.monotonic()
    held = time.monotonic() - started
    for c in clients:
        c.close()
    time.sleep(settle)
    return before, peak, rss_kib(server.pid), held


def loop_connect(port, token, stop, counter):
    """A looper process: `/connect {"messages_number":1}` again and again."""
    with Client(port) as c:
        while not stop.is_set():
            status, _ = c.request("POST", "/connect", token, CONNECT_ONE, keep_body=False)
            assert status == 200, status
            with counter.get_lock():
                counter.value += 1


def send_latencies(server, tokens, sends, max_seconds):
    """Milliseconds of each private send carol -> dave, one after another."""
    took = []
    head, payload = request_bytes("POST", "/send", tokens["carol"],
                                  {"message": "ping", "send_to": "dave"})
    with server.client() as c:
        started = time.monotonic()
        while len(took) < sends and time.monotonic() - started < max_seconds:
            t0 = time.perf_counter()
            c.send(head + payload)
            status, _ = c.read_response()
            took.append((time.perf_counter() - t0) * 1e3)
            assert status == 201, status
    return took


def summary(took):
    ordered = sorted(took)
    return {"n": len(ordered), "p50_ms": round(percentile(ordered, 50), 2),
            "p90_ms": round(percentile(ordered, 90), 2),
            "p99_ms": round(percentile(ordered, 99), 2), "max_ms": round(ordered[-1], 2),
            "mean_ms": round(statistics.fmean(ordered), 2)}


def main():
    ap = server_arguments(__doc__, comments=2000, chars=4096, stalled=20, hold_max=180.0,
                          loopers=4, quiet_sends=500, sends=2000)
    ap.add_argument("--settle", type=float, default=5.0,
                    help="seconds without a new RSS peak that end phase (a)")
    ap.add_argument("--max-seconds", type=float, default=60.0,
                    help="phase (b) stops after this even if --sends were not all made")
    own, server_args = split_server_flags(sys.argv[1:])
    args = ap.parse_args(own)

    result = {"binary": args.binary, "runtime": args.runtime}
    with Server(args.binary, args.runtime, server_args) as server:
        log(f"{args.binary} ({args.runtime}): setting up {args.comments} comments")
        tokens = set_up(server, args.comments, args.chars)
        time.sleep(1)
        result["rss_setup_kib"] = rss_kib(server.pid)
        with server.client() as c:
            t0 = time.perf_counter()
            status, length = c.request("POST", "/connect", tokens["reader"], {}, keep_body=False)
            result["connect_status"] = status
            result["connect_body_bytes"] = length
            result["connect_ms"] = round((time.perf_counter() - t0) * 1e3, 1)
        log(f"(a) /connect body {length} bytes; {args.stalled} stalled connections")
        before, peak, after, held = stalled_connections(
            server, tokens["reader"], args.stalled, args.settle, args.hold_max)
        result.update(rss_before_kib=before, rss_peak_kib=peak, rss_after_kib=after,
                      stalled_seconds=round(held, 1))

        log(f"(b) {args.quiet_sends} quiet sends")
        result["quiet_sends"] = summary(send_latencies(server, tokens, args.quiet_sends,
                                                       args.max_seconds))
        stop = multiprocessing.Event()
        counter = multiprocessing.Value("q", 0)
        loopers = [multiprocessing.Process(target=loop_connect,
                                           args=(server.port, tokens["reader"], stop, counter))
                   for _ in range(args.loopers)]
        for p in loopers:
            p.start()
        time.sleep(1)
        log(f"    {args.sends} sends while {args.loopers} connections loop /connect")
        first = counter.value
        t0 = time.monotonic()
        result["loaded_sends"] = summary(send_latencies(server, tokens, args.sends,
                                                        args.max_seconds))
        result["connects_per_s"] = round((counter.value - first) / (time.monotonic() - t0), 1)
        stop.set()
        for p in loopers:
            p.join(timeout=120)
            if p.is_alive():
                p.terminate()
        result["rss_end_kib"] = rss_kib(server.pid)
    log(f"connect body {result['connect_body_bytes']} B; RSS {before} -> peak {peak} -> "
        f"after {after} KiB; quiet sends {result['quiet_sends']}; "
        f"loaded sends {result['loaded_sends']}; {result['connects_per_s']} connects/s")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
