#!/usr/bin/env python3
"""Issue 27: GET /search latency, one query at a time on one keep-alive
connection (the time a person waits), as user u0000 of
bench/search-corpus's data.

  bench/search_latency.py PORT QUERIES_JSON [REQUESTS]

QUERIES_JSON is what agora-search-corpus printed. Prints one line per query
kind: its p50 and p99 in ms over REQUESTS requests (200), after 20 not
counted, and how many results the first answer held.
"""
import http.client
import json
import sys
import time
import urllib.parse

port, queries_file = int(sys.argv[1]), sys.argv[2]
requests = int(sys.argv[3]) if len(sys.argv) > 3 else 200
queries = json.load(open(queries_file))
token = "a5" * 8 + "%016x" % 0  # user u0000, who is in none of the adversarial chats
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)


def ask(q):
    target = "/search?q=" + urllib.parse.quote(q)
    conn.request("GET", target, headers={"Authorization": "Bearer " + token})
    reply = conn.getresponse()
    body = reply.read()
    if reply.status != 200:
        raise SystemExit(f"{target}: {reply.status} {body[:200]!r}")
    return json.loads(body)


for kind in ["common", "rare", "two_words", "prefix", "long_prefix", "adversarial"]:
    q = queries[kind]
    found = len(ask(q)["results"])
    for _ in range(20):
        ask(q)
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        ask(q)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p50 = times[len(times) // 2]
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"{kind} {q!r} results={found} p50={p50:.2f} p99={p99:.2f}")
