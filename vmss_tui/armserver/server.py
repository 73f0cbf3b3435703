"""HTTPS transport for `ArmApp`: a threading stdlib server on loopback with a local CA.

Bounded as a server any local user can reach must be: at most `max_connections` connections
(each one thread), every read under `idle_timeout`, and no body longer than `max_body_bytes` is
read. Limits and their sources: docs/emulator-fidelity.md, "The ARM endpoint's input limits".
"""

from __future__ import annotations

import http.server
import json
import logging
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..backends.protocol import Backend
from ..domain.names import shown
from .app import ArmApp, ServerSettings
from .tls import CertificatePaths, ensure_certificates

log = logging.getLogger(__name__)

LINGER_SECONDS = 2.0
LINGER_BYTES = 8 * 1024 * 1024
"""After refusing a body, at most this long and this much is read and thrown away before closing."""


class _Handler(http.server.BaseHTTPRequestHandler):
    """Reads one request, hands it to the app, writes the answer."""

    server: "_ArmHttpServer"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall
    server_version = "vmss-tui-arm"

    def setup(self) -> None:
        self.timeout = self.server.app.settings.idle_timeout or None  # every read, the TLS handshake included
        super().setup()

    def handle_one_request(self) -> None:
        self.server.mark(self.request, busy=False)  # waiting for a request line: may be closed for a newcomer
        super().handle_one_request()

    def parse_request(self) -> bool:
        self.server.mark(self.request, busy=True)
        return super().parse_request()

    def _refuse(self, status: int, code: str, message: str) -> None:
        """Answer before the body is read, then close: what is left of the body is never read."""
        payload = json.dumps({"error": {"code": code, "message": message}}).encode()
        self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        self.wfile.flush()
        self._linger()

    def _linger(self) -> None:
        """Discard what the client is still sending, for a bounded time and size, then let it close.

        Closing a socket with unread data makes the kernel send a reset, and a client still
        sending its body would lose the answer (nginx's "lingering close" does the same).
        """
        deadline = time.monotonic() + LINGER_SECONDS
        discarded = 0
        try:
            self.connection.settimeout(0.25)
            while discarded < LINGER_BYTES and time.monotonic() < deadline:
                chunk = self.connection.recv(65536)
                if not chunk:
                    break
                discarded += len(chunk)
        except (OSError, ValueError):
            pass

    def _read_body(self) -> bytes | None:
        """The body by Content-Length, or None when the request was refused or the client went away."""
        if self.headers.get("Transfer-Encoding"):
            self._refuse(411, "LengthRequired", "Send the request body with a Content-Length header.")
            return None
        declared = (self.headers.get("Content-Length") or "0").strip()
        if not declared.isdigit() or not declared.isascii():
            self._refuse(400, "InvalidRequestContent",
                         f"The Content-Length header '{shown(declared, 40)}' is not a length in bytes.")
            return None
        length = int(declared)
        limit = self.server.app.settings.max_body_bytes
        if length > limit:
            self._refuse(413, "RequestContentTooLarge",
                         f"The request content length {length} exceeds the maximum of {limit} bytes.")
            return None
        body = self.rfile.read(length) if length else b""
        if len(body) < length:  # the client hung up mid-body: nothing to answer
            self.close_connection = True
            return None
        return body

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            return
        latency = self.server.app.settings.latency
        if latency > 0:
            time.sleep(latency)
        response = self.server.app.handle(self.command, self.path, dict(self.headers.items()), body,
                                          self.server.base_url)
        audit = getattr(self.server, "audit", None)  # set by `vmss-tui emulator serve`: records changes
        if audit is not None:
            audit(self.command, self.path, response.status, response.body, self.client_address[0])
        payload = response.body_bytes()
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if payload:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_PUT = do_PATCH = do_DELETE = do_POST = do_HEAD = _serve

    def __getattr__(self, name: str) -> Any:
        """Any other method (OPTIONS, TRACE, ...) gets ARM's 405/404 from the app, not http.server's 501."""
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)


class _ArmHttpServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops SYNs of a concurrent burst: a 1 s retransmit each
    app: ArmApp
    base_url: str

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._connections_lock = threading.Lock()
        self._connections: dict[Any, list[Any]] = {}
        """Open connections: socket -> [busy, last change (monotonic)]."""
        self.connections_refused = 0
        self.connections_evicted = 0

    @property
    def open_connections(self) -> int:
        with self._connections_lock:
            return len(self._connections)

    def mark(self, connection: Any, *, busy: bool) -> None:
        """A connection's handler says it started (busy) or finished (idle) a request."""
        with self._connections_lock:
            state = self._connections.get(connection)
            if state is not None:
                state[0], state[1] = busy, time.monotonic()

    def process_request(self, request: Any, client_address: Any) -> None:
        """Admit a connection within the cap: close the oldest idle one for it, or refuse it."""
        limit = max(1, self.app.settings.max_connections)
        evict = None
        with self._connections_lock:
            if len(self._connections) >= limit:
                idle = [(changed, sock) for sock, (busy, changed) in self._connections.items() if not busy]
                if not idle:
                    self.connections_refused += 1
                    refuse = True
                else:
                    evict = min(idle, key=lambda item: item[0])[1]
                    del self._connections[evict]
                    self.connections_evicted += 1
                    refuse = False
            else:
                refuse = False
            if not refuse:
                self._connections[request] = [False, time.monotonic()]
        if evict is not None:
            _hang_up(evict)
        if refuse:  # every slot is mid-request: close at once, no TLS handshake, no thread
            _hang_up(request)
            self.close_request(request)
            return
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.pop(request, None)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up mid-TLS-handshake are normal; keep stderr quiet about them.
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


def _hang_up(connection: Any) -> None:
    """Close the TCP stream under a (TLS) socket from another thread: its reader sees EOF and ends."""
    try:
        socket.socket.shutdown(connection, socket.SHUT_RDWR)
    except OSError:
        pass


@dataclass
class ServerHandle:
    """A running endpoint: where it is, how to trust it, and how to stop it."""

    base_url: str
    ca_path: Path
    subscription_id: str
    settings: ServerSettings
    app: ArmApp
    _server: _ArmHttpServer
    _thread: threading.Thread | None

    def stop(self) -> None:
        """Stop serving and close the socket (the backend stays open: its owner closes it)."""
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "ServerHandle":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def create_server(backend: Backend, *, state_dir: Path | str, host: str = "127.0.0.1", port: int = 0,
                  settings: ServerSettings | None = None) -> tuple[_ArmHttpServer, CertificatePaths]:
    """Bind the HTTPS server (port 0 picks a free one) without starting it."""
    certificates = ensure_certificates(state_dir)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certificates.cert_path, certificates.key_path)
    server = _ArmHttpServer((host, port), _Handler, bind_and_activate=True)
    # The handshake runs in the connection's own thread (on first read), not in the accept loop.
    server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    server.app = ArmApp(backend, settings)
    bound_port = server.server_address[1]
    shown_host = f"[{host}]" if ":" in host else host
    server.base_url = f"https://{shown_host}:{bound_port}"
    return server, certificates


def serve_in_thread(backend: Backend, *, state_dir: Path | str, host: str = "127.0.0.1", port: int = 0,
                    settings: ServerSettings | None = None, **setting_overrides: Any) -> ServerHandle:
    """Serve `backend` in a daemon thread; for tests and benchmarks.

    Args:
        backend: Any Backend (usually the emulator).
        state_dir: Where the CA and server certificate are kept (created if missing).
        settings: Latency, paging, throttling and LRO knobs; keyword overrides are applied on top,
            e.g. `latency=0.1, page_size=2`.
    """
    settings = settings or ServerSettings()
    for name, value in setting_overrides.items():
        if not hasattr(settings, name):
            raise TypeError(f"unknown server setting '{name}'")
        setattr(settings, name, value)
    server, certificates = create_server(backend, state_dir=state_dir, host=host, port=port, settings=settings)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="vmss-tui-armserver", daemon=True)
    thread.start()
    return ServerHandle(base_url=server.base_url, ca_path=certificates.ca_path,
                        subscription_id=server.app.subscription_id, settings=settings, app=server.app,
                        _server=server, _thread=thread)
