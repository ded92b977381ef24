"""``?watch=true``: a chunked stream of ``{"type": ..., "object": ...}`` lines, as kube-apiserver sends.

Without ``resourceVersion`` (or with ``0``) the stream opens with an ADDED event per existing object;
with one, it replays what changed after it (410 Expired when that is older than what the store kept).
It ends after ``timeoutSeconds``, when the client goes away, or when the emulator stops. With the
Table Accept header each event's object is a one-row ``Table``, as ``kubectl get -w`` asks.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import TYPE_CHECKING, Any

from .faults import HttpError, RecordedRequest
from .routes import Route
from .selectors import SelectorError, parse_field_selector, parse_label_selector
from .store import Obj, Store
from .table import to_table, wants_table

if TYPE_CHECKING:
    from .crds import Crds
    from .wire import Handler

#: The longest a watch stays open when the client names no ``timeoutSeconds``.
MAX_WATCH_SECONDS = 60.0


def stream_watch(
    handler: Handler, store: Store, route: Route, request: RecordedRequest, crds: Crds | None
) -> None:
    """Serve one watch request until it ends."""
    query = request.query
    try:
        labels = parse_label_selector(query.get("labelSelector", ""))
        fields = parse_field_selector(query.get("fieldSelector", ""), route.rtype.plural)
    except SelectorError as exc:
        raise HttpError(400, str(exc)) from exc

    def matches(obj: Obj) -> bool:
        in_ns = route.namespace is None or obj["metadata"].get("namespace") == route.namespace
        return in_ns and labels(obj["metadata"].get("labels") or {}) and fields(obj)

    table = wants_table(handler.headers.get("Accept", ""))
    timeout = min(float(query.get("timeoutSeconds") or MAX_WATCH_SECONDS), MAX_WATCH_SECONDS)
    deadline = time.monotonic() + timeout
    with store.lock:
        since = query.get("resourceVersion", "")
        if since in ("", "0"):
            pending = [("ADDED", o) for _, o in sorted(store.bucket(route.rtype).items()) if matches(o)]
            cursor = store.rv
        else:
            cursor = int(since)
            oldest = store.events[0].rv if store.events else store.rv + 1
            if cursor < oldest - 1 and cursor < store.rv:
                raise HttpError(410, f"too old resource version: {cursor} ({oldest - 1})")
            pending = []
    handler.start_chunked(200, "application/json")
    while True:
        for kind, obj in pending:
            payload: Any = obj
            if table:
                now = dt.datetime.now(dt.timezone.utc)
                payload = to_table(route.rtype, [obj], obj["metadata"]["resourceVersion"], crds, now)
            if not handler.send_chunk(json.dumps({"type": kind, "object": payload}) + "\n"):
                return
        with store.lock:
            left = deadline - time.monotonic()
            if left <= 0 or store.closed:
                break
            events = store.events_after(route.rtype, cursor)
            if not events:
                store.changed.wait(min(left, 0.5))
                events = store.events_after(route.rtype, cursor)
            if events:
                cursor = events[-1].rv
            pending = [(e.type, e.obj) for e in events if matches(e.obj)]
    handler.end_chunked()
