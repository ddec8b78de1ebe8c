"""A real webhook receiver on 127.0.0.1 for the tests: it can be down, failing, or answering."""

import json
import socket
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlmodel import Session

from app.store.sessions import write_session
from app.webhooks.delivery import Policy, deliver_due

# Retries within a fraction of a second, so that "down for a while" takes seconds in a test.
FAST = Policy(base_seconds=0.05, max_seconds=0.2, max_age=timedelta(hours=1), timeout_seconds=5)


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default 5 resets connections when deliveries go out side by side
    daemon_threads = True


class Receiver:
    """Records every request; answers `status` while listening, refuses connections when stopped."""

    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/gazette"
        self.status = 200
        self.delay = 0.0  # seconds each answer takes
        self.answer_headers: dict[str, str] = {}  # sent with every answer (a Location, say)
        self.requests: list[dict] = []  # {"status", "body", "headers"} in arrival order
        self._server: _Server | None = None

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
                status = receiver.status
                receiver.requests.append({"status": status, "body": body, "headers": dict(self.headers)})
                time.sleep(receiver.delay)
                self.send_response(status)
                for name, value in receiver.answer_headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self._server = _Server(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def received(self) -> list[dict]:
        """The requests answered 2xx, their bodies parsed."""
        return [{**r, "json": json.loads(r["body"])} for r in self.requests if 200 <= r["status"] < 300]


def sessions() -> Session:
    return write_session()


def drive(until, *, policy: Policy = FAST, timeout: float = 30.0) -> None:
    """Run delivery rounds, as `gazette worker` would, until `until()` holds."""
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            raise AssertionError("deliveries did not settle in time")
        deliver_due(sessions, policy=policy)
        time.sleep(0.02)
