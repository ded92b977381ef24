"""HTTP: the request handler, recording, planned faults, the token check and writing the answer."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

from .discovery import discovery
from .faults import Fault, HttpError, PageNotFound, RecordedRequest, fault_status, status_body
from .routes import parse_request, route
from .verbs import JSON, Answer, serve_resource

if TYPE_CHECKING:
    from .server import KubeEmulator


def handle(emu: KubeEmulator, handler: Handler, method: str) -> None:
    """Read, record, fault, authenticate, serve and answer one request."""
    length = int(handler.headers.get("Content-Length") or 0)
    raw = handler.rfile.read(length) if length else b""
    body: Any = None
    if raw:
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
    request, _ = parse_request(
        emu._types, method, handler.path, handler.headers.get("Content-Type", ""), body
    )
    with emu._store.lock:
        emu.requests.append(request)
    planned = _matching_fault(emu, request)
    if planned is not None:
        if planned.delay:
            time.sleep(planned.delay)
        if planned.drop:
            handler.close_connection = True
            with contextlib.suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RDWR)
            return
        if planned.status is not None:
            error = fault_status(planned, request)
            headers = {"Retry-After": str(planned.retry_after)} if planned.retry_after is not None else {}
            handler.send_json(error.code, status_body(error), headers)
            return
    if emu.token and handler.headers.get("Authorization") != f"Bearer {emu.token}":
        handler.send_json(401, status_body(HttpError(401, "Unauthorized")))
        return
    try:
        code, payload, content_type = _serve(emu, method, request, body)
    except PageNotFound:
        handler.send_text(
            404, PageNotFound.TEXT, "text/plain; charset=utf-8", {"X-Content-Type-Options": "nosniff"}
        )
        return
    except HttpError as exc:
        handler.send_json(exc.code, status_body(exc))
        return
    if content_type == JSON:
        handler.send_json(code, payload)
    else:
        handler.send_text(code, str(payload), content_type)


def _serve(emu: KubeEmulator, method: str, request: RecordedRequest, body: Any) -> Answer:
    found = route(emu._types, request.path)
    if found is None:
        if method != "GET":
            raise HttpError(405, f"method {method} not allowed on {request.path}")
        return 200, discovery(emu._types, request.path, emu.git_version), JSON
    with emu._store.lock:
        return serve_resource(emu._store, emu._types, request, found, body)


def _matching_fault(emu: KubeEmulator, request: RecordedRequest) -> Fault | None:
    with emu._store.lock:
        for planned in emu._faults:
            if planned.matches(request):
                planned.hits += 1
                return planned
    return None


class Handler(BaseHTTPRequestHandler):
    emulator: KubeEmulator
    protocol_version = "HTTP/1.1"  # keep-alive, as the client's connection pool expects
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_json(self, code: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self.send_text(code, json.dumps(payload), JSON, headers)

    def send_text(
        self, code: int, text: str, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        data = text.encode()
        try:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (read timeout) while a delay fault slept; nothing left to answer.
            self.close_connection = True

    def do_GET(self) -> None:
        handle(self.emulator, self, "GET")

    def do_POST(self) -> None:
        handle(self.emulator, self, "POST")

    def do_PUT(self) -> None:
        handle(self.emulator, self, "PUT")

    def do_PATCH(self) -> None:
        handle(self.emulator, self, "PATCH")

    def do_DELETE(self) -> None:
        handle(self.emulator, self, "DELETE")
