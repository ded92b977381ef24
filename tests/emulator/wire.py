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
from .openapi import PROTOBUF_V2, PROTOBUF_V2_ANSWER, openapi, openapi_v2_protobuf
from .routes import parse_request, route
from .table import to_table, wants_table
from .verbs import JSON, Answer, serve_resource
from .watch import stream_watch
from .writes import Context

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
    media = request.content_type.split(";")[0].strip()
    if raw and media in ("application/vnd.kubernetes.protobuf", "application/cbor"):
        # The emulator speaks JSON only: the answer kube-apiserver gives a media type it does not decode.
        error = HttpError(
            415,
            "the body of the request was in an unknown format - accepted media types include: "
            "application/json, application/yaml, application/apply-patch+yaml, application/merge-patch+json, "
            "application/json-patch+json, application/strategic-merge-patch+json",
            reason="UnsupportedMediaType",
        )
        handler.send_json(415, status_body(error))
        return
    ctx = Context(
        emu._store,
        emu._types,
        emu._crds,
        request,
        handler.headers.get("Accept", ""),
        handler.headers.get("User-Agent", ""),
    )
    try:
        if request.verb == "watch":
            found = route(emu._types, request.path)
            assert found is not None
            stream_watch(handler, emu._store, found, request, emu._crds)
            return
        code, payload, content_type = _serve(emu, ctx, method, body)
    except PageNotFound:
        handler.send_text(
            404, PageNotFound.TEXT, "text/plain; charset=utf-8", {"X-Content-Type-Options": "nosniff"}
        )
        return
    except HttpError as exc:
        handler.send_json(exc.code, status_body(exc))
        return
    headers = {"Warning": ", ".join(f'299 - "{w}"' for w in ctx.warnings)} if ctx.warnings else {}
    if isinstance(payload, bytes):
        handler.send_bytes(code, payload, content_type, headers)
    elif content_type == JSON:
        handler.send_json(code, payload, headers)
    else:
        handler.send_text(code, str(payload), content_type, headers)


def _serve(emu: KubeEmulator, ctx: Context, method: str, body: Any) -> Answer:
    request = ctx.request
    found = route(emu._types, request.path)
    if found is None:
        if method != "GET":
            raise HttpError(405, f"method {method} not allowed on {request.path}")
        if request.path == "/openapi/v2" and PROTOBUF_V2 in ctx.accept:
            return 200, openapi_v2_protobuf(emu._types, emu.git_version), PROTOBUF_V2_ANSWER
        if request.path == "/openapi/v3" or request.path.startswith("/openapi/v3/"):
            return 200, openapi(emu._types, emu._crds, request.path, emu.git_version), JSON
        return 200, discovery(emu._types, request.path, emu.git_version), JSON
    with emu._store.lock:
        code, payload, content_type = serve_resource(ctx, found, body)
        if request.verb in ("get", "list") and found.sub is None and wants_table(ctx.accept):
            objects = payload.get("items", []) if request.verb == "list" else [payload]
            rv = (payload.get("metadata") or {}).get("resourceVersion", "")
            include = request.query.get("includeObject", "Metadata")
            payload = to_table(found.rtype, objects, rv, emu._crds, emu._now(), include)
        return code, payload, content_type


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
        self.send_bytes(code, text.encode(), content_type, headers)

    def send_bytes(
        self, code: int, data: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
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

    def start_chunked(self, code: int, content_type: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def send_chunk(self, text: str) -> bool:
        """One chunk of a streamed answer; False when the client has gone."""
        data = text.encode()
        try:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True
            return False
        return True

    def end_chunked(self) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, OSError):
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

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
