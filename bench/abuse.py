#!/usr/bin/env python3
"""Issue 21, items 1 and 2: what one client address can do with the defaults.

Starts BINARY on a fresh database with its default limits (the variables of
load_env.sh are set back to the defaults) and --max-connections 1000, then:

 (a) asks --registrations new users from 127.0.0.1 on one keep-alive
     connection, one after another: how many were created, in how long;
 (b) three of those fresh accounts report a fourth at once: banned or not;
 (c) one token opens --streams event streams, each on a connection of its
     own, and keeps them all open: how many the server held (200), refused
     (429, 503) or closed; then another client connects from 127.0.0.2 and
     asks GET /health: its status and its time.

    bench/abuse.py BINARY [--runtime tokio]

Loopback only, a few seconds of load; the server and its database are
removed at the end. The last line is the figures as JSON.
"""
import json
import os
import socket
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ left in bench/
from agora_bench import Client, Server, request_bytes, server_arguments  # noqa: E402

# The defaults (a "before" binary ignores these variables).
DEFAULTS = {
    "AGORA_REGISTER_RATE": "10",
    "AGORA_REPORTER_MIN_AGE": "1h",
    "AGORA_MAX_CONNECTIONS_PER_IP": "256",
    "AGORA_MAX_STREAMS_PER_USER": "16",
}


def status_of(sock):
    """The status of the first response on `sock`, 0 if it closed first."""
    sock.settimeout(5)
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                return 0
            data += chunk
    except (ConnectionError, socket.timeout):
        return 0
    return int(data.split(b" ", 2)[1])


def main():
    args = server_arguments(__doc__, registrations=200, streams=2000).parse_args()
    os.environ.update(DEFAULTS)
    figures = {"binary": args.binary, "runtime": args.runtime}
    with Server(args.binary, args.runtime, ["--max-connections", "1000"]) as server:
        # (a)
        created, tokens = 0, []
        started = time.monotonic()
        with server.client() as c:
            for i in range(args.registrations):
                status, body = c.request("POST", "/get-token", body={"user_name": f"u{i}"})
                if status == 200:
                    created += 1
                    tokens.append(json.loads(body)["token"])
        figures["registrations_asked"] = args.registrations
        figures["registrations_created"] = created
        figures["registrations_seconds"] = round(time.monotonic() - started, 3)
        # (b)
        banned = None
        if len(tokens) >= 4:
            with server.client() as c:
                for reporter in tokens[1:4]:
                    c.request("POST", "/send", reporter, {"message": "hi"})
                answers = [c.request("POST", "/report", t, {"report_on": "u0"})
                           for t in tokens[1:4]]
                banned = any(b'"banned_until":"' in body for _, body in answers)
                figures["report_statuses"] = [s for s, _ in answers]
        figures["three_fresh_accounts_banned_someone"] = banned
        # (c)
        token = tokens[0]
        head, _ = request_bytes("GET", "/events", token)
        head = head.replace(b"\r\n\r\n", b"\r\nAccept: text/event-stream\r\n\r\n")
        opened, counts = [], {}
        started = time.monotonic()
        for _ in range(args.streams):
            try:
                s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
                s.sendall(head)
            except OSError:
                counts["connect_failed"] = counts.get("connect_failed", 0) + 1
                continue
            opened.append(s)
        for s in opened:
            status = status_of(s)
            counts[str(status)] = counts.get(str(status), 0) + 1
        figures["streams_seconds"] = round(time.monotonic() - started, 3)
        figures["streams_by_status"] = counts
        other = socket.socket()
        other.bind(("127.0.0.2", 0))
        began = time.monotonic()
        other.settimeout(5)
        other.connect(("127.0.0.1", server.port))
        other.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        figures["other_client_health_status"] = status_of(other)
        figures["other_client_health_ms"] = round((time.monotonic() - began) * 1000, 1)
        other.close()
        for s in opened:
            s.close()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
