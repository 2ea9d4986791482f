"""Helpers shared by the tests: real webhook receivers (one that hangs), SMTP, the OpenAPI check, listen queues."""
import json
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jsonschema

from assistant.openapi import document


def matches_document(path: str, method: str, response) -> None:
    """The response has a status and a body the OpenAPI document declares for this route."""
    spec = document()
    declared = spec["paths"][path][method]["responses"][str(response.status_code)]
    schema = declared["content"]["application/json"]["schema"]
    jsonschema.validate(response.get_json(), {"components": spec["components"], **schema},
                        cls=jsonschema.Draft202012Validator)


def answered(app, question: str) -> str | None:
    """The article ``app`` answers ``question`` with, after the reload its watcher does every RELOAD_POLL_SECONDS."""
    app.extensions["knowledge"].reload_if_changed()
    return app.test_client().post("/api/v1/ask", json={"question": question}).get_json().get("article_id")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def accepted_all(port: int) -> bool:
    """No connection waits in the listen queue of ``port`` (``ss``: the listener's Recv-Q is 0).

    A request sent and then held back (its body withheld) occupies one sync gunicorn worker
    once this is true, so the next request must go to another worker.
    """
    out = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True).stdout.split()
    return bool(out) and out[1] == "0"


def wait_until_accepted(port: int, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while not accepted_all(port):
        assert time.monotonic() < deadline, f"no worker accepted the held connection on port {port}"
        time.sleep(0.05)


def ask_beside_a_held_worker(port: int, question: str, ask_other):
    """Hold one sync gunicorn worker on a half-sent ask, call ``ask_other()``, then finish the held ask.

    While a worker waits for the rest of a request it accepts nothing else, so
    ``ask_other``'s request is answered by another worker.  Returns its result
    and the held request's raw HTTP reply.
    """
    body = json.dumps({"question": question}).encode()
    held = socket.create_connection(("127.0.0.1", port), timeout=60)
    try:
        held.sendall(b"POST /api/v1/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Connection: close\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n")
        wait_until_accepted(port)
        other = ask_other()
        held.sendall(body)
        reply = b""
        while chunk := held.recv(65536):
            reply += chunk
    finally:
        held.close()
    return other, reply


class LocalServer:
    """A socket server on 127.0.0.1, served by a daemon thread until ``stop``."""

    server = None

    def serve(self, server) -> None:
        self.server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


class Receiver(LocalServer):
    """A webhook receiver on 127.0.0.1 that records what it gets; it can be down, then come back on its port."""

    def __init__(self, status: int = 200, delay: float = 0.0):
        self.port, self.status, self.delay = free_port(), status, delay
        self.received: list[tuple[dict, bytes]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/procuree"

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(receiver.delay)
                receiver.received.append((dict(self.headers), body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.serve(ThreadingHTTPServer(("127.0.0.1", self.port), Handler))
        return self


    def event_ids(self) -> list[str]:
        return [headers["X-Procuree-Event-Id"] for headers, _ in self.received]

    def wait_for(self, count: int, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.received) >= count, f"got {len(self.received)} deliveries, expected {count}"


class HangingReceiver:
    """A webhook URL on 127.0.0.1 that accepts every TCP connection and never answers a byte."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.connections: list[socket.socket] = []  # held open: each delivery waits for its own timeout
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/hooks/procuree"

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:  # stopped
                return
            self.connections.append(connection)

    def stop(self) -> None:
        """Close everything: the deliveries still waiting fail at once instead of at their timeout."""
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        except OSError:
            pass
        self.listener.close()
        for connection in self.connections:
            connection.close()


class SmtpServer(LocalServer):
    """Just enough SMTP on 127.0.0.1 for smtplib: records each message's envelope and bytes."""

    def __init__(self):
        self.port = free_port()
        self.messages: list[tuple[str, list[str], bytes]] = []

    def start(self) -> "SmtpServer":
        import socketserver

        owner = self

        class Session(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self):
                self.reply("220 127.0.0.1 test SMTP")
                sender, recipients, lines, in_data = "", [], [], False
                for raw in self.rfile:
                    line = raw.rstrip(b"\r\n")
                    if in_data:
                        if line == b".":
                            owner.messages.append((sender, recipients, b"\r\n".join(lines)))
                            sender, recipients, lines, in_data = "", [], [], False
                            self.reply("250 queued")
                        else:
                            lines.append(line[1:] if line.startswith(b"..") else line)
                        continue
                    command = line[:4].upper().decode()
                    if command == "EHLO":
                        self.reply("250-127.0.0.1")
                        self.reply("250 8BITMIME")
                    elif command == "MAIL":
                        sender = line.decode().split(":", 1)[1].split()[0].strip("<>")
                        self.reply("250 OK")
                    elif command == "RCPT":
                        recipients.append(line.decode().split(":", 1)[1].strip().strip("<>"))
                        self.reply("250 OK")
                    elif command == "DATA":
                        in_data = True
                        self.reply("354 go ahead")
                    elif command == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("250 OK")

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.serve(socketserver.ThreadingTCPServer(("127.0.0.1", self.port), Session))
        return self

