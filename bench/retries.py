#!/usr/bin/env python3
"""Issue 21, item 6: a client that retries a send whose answer was lost.

Starts BINARY on a fresh database and, in front of it, a proxy on 127.0.0.1
that forwards each request whole but, for a share of them (--lose, seeded),
closes the client's connection once the request has reached the server and
before its answer comes back: the send is committed (or not; the client
cannot tell) and its answer is lost, as on a flaky network or behind a
balancer that gave up. The client does what the contract asks of it: it
sends every POST with an `Idempotency-Key` and sends a request whose answer
it did not get again, on a new connection, with the same key, until it gets
an answer. Then it counts the messages in the chat.

With a server that keeps keys, the chat holds exactly one message per send;
with one that does not (a binary from before issue 21), every retry of a
committed send is a second copy.

    bench/retries.py BINARY [--runtime tokio] [--sends 2000] [--lose 0.15]

Loopback only, a few seconds; the server and its database are removed at
the end. The last line is the figures as JSON.
"""
import json
import random
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ left in bench/
from agora_bench import Server, request_bytes, server_arguments  # noqa: E402


class LosingProxy:
    """Forwards one request per client connection to the server and relays
    the answer, except for a `lose` share of them: those are forwarded and
    answered by the server, but the client's connection is closed before the
    answer is relayed."""

    def __init__(self, server_port, lose, seed):
        self.server_port = server_port
        self.lose = lose
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.lost = 0
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                lose = self.random.random() < self.lose
            threading.Thread(target=self._serve, args=(client, lose), daemon=True).start()

    def _serve(self, client, lose):
        with client, socket.create_connection(("127.0.0.1", self.server_port)) as upstream:
            request = read_request(client)
            if request is None:
                return
            upstream.sendall(request)
            answer = read_answer(upstream)
            if lose:
                with self.lock:
                    self.lost += 1
                # The answer was written by the server; the client never sees it.
                client.shutdown(socket.SHUT_RDWR)
                return
            client.sendall(answer)

    def close(self):
        self.listener.close()


def read_until_head(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    return data


def content_length(head):
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def read_message(sock):
    data = read_until_head(sock)
    if data is None:
        return None
    end = data.index(b"\r\n\r\n") + 4
    length = content_length(data[:end])
    while len(data) < end + length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    return data[: end + length]


read_request = read_message
read_answer = read_message


def keyed_send(port, token, text, key):
    """One attempt: (status, body), or None when the answer was lost."""
    head, payload = request_bytes("POST", "/send", token, {"message": text, "send_to": "bob"})
    head = head[:-2] + f"Idempotency-Key: {key}\r\nConnection: close\r\n\r\n".encode()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(head + payload)
            answer = read_message(sock)
    except OSError:
        return None
    if answer is None:
        return None
    status = int(answer.split(b" ", 2)[1])
    return status, answer[answer.index(b"\r\n\r\n") + 4 :]


def main():
    args = server_arguments(__doc__, sends=2000, lose=0.15, seed=21).parse_args()
    figures = {"binary": args.binary, "runtime": args.runtime, "sends": args.sends}
    with Server(args.binary, args.runtime) as server:
        alice = server.register("alice")
        bob = server.register("bob")
        proxy = LosingProxy(server.port, args.lose, args.seed)
        started = time.monotonic()
        attempts = 0
        answers = {}
        for i in range(args.sends):
            key = f"retry-{i}"
            while True:
                attempts += 1
                got = keyed_send(proxy.port, alice, f"message {i}", key)
                if got is not None:
                    answers[got[0]] = answers.get(got[0], 0) + 1
                    break
        figures["seconds"] = round(time.monotonic() - started, 2)
        proxy.close()
        figures["attempts"] = attempts
        figures["answers_lost"] = proxy.lost
        figures["final_statuses"] = answers
        # Every message of the private chat: bob reads them as unread, a
        # page of up to 1,000 a call (each call moves his read position).
        texts = []
        with server.client() as c:
            while True:
                status, body = c.request("POST", "/connect", bob, {"chat_with": "alice"})
                assert status == 200, (status, body)
                unread = json.loads(body)["unread_messages"]
                if not unread:
                    break
                texts += [m["message_text"] for m in unread]
    figures["messages_stored"] = len(texts)
    figures["distinct_stored"] = len(set(texts))
    figures["duplicates"] = len(texts) - len(set(texts))
    figures["missing"] = args.sends - len(set(texts))
    print(
        f"{args.runtime}: {args.sends} sends, {figures['answers_lost']} answers lost and retried "
        f"with their key: {figures['messages_stored']} messages stored, "
        f"{figures['duplicates']} duplicates, {figures['missing']} missing"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
