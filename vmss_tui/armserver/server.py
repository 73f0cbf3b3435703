"""HTTPS transport for `ArmApp`: a threading stdlib server on loopback with a local CA."""

from __future__ import annotations

import http.server
import logging
import ssl
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..backends.protocol import Backend
from .app import ArmApp, ServerSettings
from .tls import CertificatePaths, ensure_certificates

log = logging.getLogger(__name__)


class _Handler(http.server.BaseHTTPRequestHandler):
    """Reads one request, hands it to the app, writes the answer."""

    server: "_ArmHttpServer"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall
    server_version = "vmss-tui-arm"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
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

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)


class _ArmHttpServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops SYNs of a concurrent burst: a 1 s retransmit each
    app: ArmApp
    base_url: str

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up mid-TLS-handshake are normal; keep stderr quiet about them.
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


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
