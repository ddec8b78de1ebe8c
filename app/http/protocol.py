"""The HTTP/1.1 protocol `gazette serve` runs: uvicorn's httptools protocol, with bounds on
what a client may send and how slowly, before and while the app reads a request.

uvicorn and httptools bound none of it. httptools keeps an unfinished header value in memory
however long it grows (twenty connections each sending an unfinished 25 MB header took a
server from 164 MB to 748 MB in 5 s); uvicorn arms no timer on a new connection until its
first response, so a client that opens a connection and sends a header line now and then
(slowloris) holds it forever; a request target past 64 KB fails httptools' URL parser and gets
uvicorn's plain-text 400. Here every request's head is counted as it arrives and refused past
its limits, and timers bound the head, the silence within a body and the idle keep-alive:

- request target past GAZETTE_MAX_URL_BYTES: 414;
- head (request line and headers) past GAZETTE_MAX_HEADER_BYTES, or more than
  GAZETTE_MAX_HEADER_COUNT header fields: 431;
- head not complete GAZETTE_HEADER_TIMEOUT_SECONDS after its first byte (or after the
  connection opened): 408;
- no body byte for GAZETTE_BODY_TIMEOUT_SECONDS while the server waits for one: 408, or the
  connection closed when the app already answered;
- GAZETTE_KEEP_ALIVE_TIMEOUT_SECONDS without a new request after a response: closed;
- a request httptools cannot parse: 400.

Each refusal is a problem+json answer with `Connection: close`, sent before the app is
involved. The connection is then half-closed and what the client still sends is read and
dropped for LINGER_SECONDS, so that a client still sending a huge head reads the answer
instead of a reset, at the cost of no memory.
"""

import asyncio
import logging
from typing import Any

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from app.http import problems
from app.settings import get_settings

log = logging.getLogger("gazette.http")

LINGER_SECONDS = 2.0  # how long a refused connection's input is read and dropped before it closes


class _Refused(Exception):
    """Raised from a parser callback to stop parsing a request that was just refused."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with Gazette's request limits (the module's docstring)."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        settings = get_settings()
        self.max_url_bytes = settings.max_url_bytes
        self.max_header_bytes = settings.max_header_bytes
        self.max_header_count = settings.max_header_count
        self.header_timeout = settings.header_timeout_seconds
        self.body_timeout = settings.body_timeout_seconds
        self.timeout_keep_alive = settings.keep_alive_timeout_seconds  # type: ignore[assignment]  # a float is fine
        self.in_head = True  # the bytes arriving belong to a request's head
        self.heads = 0  # heads completed on this connection
        self.head_received = 0  # bytes received for the unfinished head
        self.head_size = 0  # the head's request target and complete header fields
        self.header_count = 0
        self.head_timer: asyncio.TimerHandle | None = None
        self.body_timer: asyncio.TimerHandle | None = None
        self.body_heard = 0.0  # the loop's time when the body last moved
        self.refused = False

    # The connection

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._start_head_timer()  # a connection that sends nothing is closed too

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timers()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.refused:
            return  # dropped: the answer is sent, the connection closes after LINGER_SECONDS
        self._unset_keepalive_if_required()
        was_in_head, heads = self.in_head, self.heads
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError as error:
            if not self.refused:  # else a limit stopped the parser (`_Refused`), and answered
                log.info("invalid HTTP request from %s: %s", self.client, error)
                self._refuse(400, "Bad request", "The request is not valid HTTP/1.1.")
            return
        # Timers are armed only for what a chunk left unfinished: a request that arrives whole
        # (most) costs none.
        if self.in_head and self.heads == heads:  # a head began or went on, and is not complete
            if self.head_timer is None:
                self._start_head_timer()
            if was_in_head:  # the whole chunk belongs to it
                self.head_received += len(data)
                if self.head_received > self.max_header_bytes:
                    self._refuse_head()
        elif not self.in_head and self.body_timer is None:  # a body is still to come
            self.body_heard = self.loop.time()
            self.body_timer = self.loop.call_later(self.body_timeout, self._body_timed_out)

    # Parser callbacks (httptools calls them from feed_data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.head_size = self.header_count = 0

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > self.max_url_bytes:
            self._refuse(
                414, "URI too long", f"The request target is longer than {self.max_url_bytes} bytes.", stop=True
            )
        self.head_size += len(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.header_count += 1
        self.head_size += len(name) + len(value) + 4  # "name: value\r\n"
        if self.header_count > self.max_header_count:
            self._refuse(
                431,
                "Request header fields too large",
                f"The request has more than {self.max_header_count} header fields.",
                stop=True,
            )
        if self.head_size > self.max_header_bytes:
            self._refuse_head(stop=True)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self.in_head = False
        self.heads += 1
        self.head_received = 0
        self._cancel(self.head_timer)
        self.head_timer = None
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        self.body_heard = self.loop.time()  # the timer looks at it when it fires: no re-arming per chunk
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._cancel(self.body_timer)
        self.body_timer = None
        self.in_head = True  # what comes next is the next request's head
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to what it cannot take (an invalid URL): a problem, not plain text."""
        self._refuse(400, "Bad request", msg)

    # Limits

    def _refuse_head(self, *, stop: bool = False) -> None:
        self._refuse(
            431,
            "Request header fields too large",
            f"The request's head is larger than {self.max_header_bytes} bytes.",
            stop=stop,
        )

    def _start_head_timer(self) -> None:
        self.head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _head_timed_out(self) -> None:
        self.head_timer = None
        if self.in_head and not self.refused and not self.transport.is_closing():
            self._refuse(408, "Request timeout", f"The request's head took longer than {self.header_timeout:g} s.")

    def _body_timed_out(self) -> None:
        self.body_timer = None
        cycle = self.cycle
        if self.refused or self.transport.is_closing() or cycle is None or not cycle.more_body:
            return
        waited = self.loop.time() - self.body_heard
        # The app is not reading (flow control paused the socket) or has not asked for the body
        # yet (Expect: 100-continue): the client is not the one being slow.
        if waited < self.body_timeout or self.flow.read_paused or cycle.waiting_for_100_continue:
            self.body_timer = self.loop.call_later(max(self.body_timeout - waited, 0.1), self._body_timed_out)
            return
        self._refuse(408, "Request timeout", f"The request body sent nothing for {self.body_timeout:g} s.")

    def _refuse(self, status: int, title: str, detail: str, *, stop: bool = False) -> None:
        """Answer `status` with a problem (unless a response is under way: then it ends the
        connection when done), and read and drop what else comes. With `stop`, called from a
        parser callback, stop the parser too."""
        self.refused = True
        self._cancel_timers()
        self.flow.resume_reading()  # drop what is sent, rather than leave it unread
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            cycle.keep_alive = False  # the connection ends with the answer under way
            if cycle.response_started or not cycle.more_body:
                # Already answering, or answering a request before this one (this one was sent
                # behind it): that answer goes out whole, then the connection closes.
                if stop:
                    raise _Refused(title)
                return
            cycle.disconnected = True  # its body is what failed: the app's receive() says so
            cycle.message_event.set()
        body = problems.problem_bytes(status, title, detail)
        head = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [
            b"content-type: application/problem+json\r\n",
            b"content-length: %d\r\n" % len(body),
            b"cache-control: no-store\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)
        if stop:
            raise _Refused(title)

    def _cancel_timers(self) -> None:
        self._cancel(self.head_timer)
        self._cancel(self.body_timer)
        self.head_timer = self.body_timer = None

    @staticmethod
    def _cancel(timer: asyncio.TimerHandle | None) -> None:
        if timer is not None:
            timer.cancel()
