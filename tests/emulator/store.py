"""What the emulator holds: objects per type, pod logs, the resourceVersion counter, the clock, write hooks.

Every field the server owns (``uid``, ``creationTimestamp``, ``resourceVersion``, ``generation``) is set
here, by ``Store.stamp``, whoever writes: a client over HTTP or a test seeding the cluster.
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .resources import ResourceType

Obj = dict[str, Any]
Key = tuple[str, str]
WriteHook = Callable[[str, ResourceType, Obj], None]

#: When every object seeded without one was created (tests compare ages against it).
CREATION_TIMESTAMP = "2026-11-02T09:14:07Z"


@dataclass(frozen=True)
class Event:
    """One change, as a watch streams it: ADDED, MODIFIED or DELETED, at a resourceVersion."""

    type: str
    rtype: ResourceType
    rv: int
    obj: Obj


@dataclass
class Store:
    """Objects by ``(group, plural)`` then ``(namespace, name)``; one lock guards them all."""

    objects: dict[tuple[str, str], dict[Key, Obj]] = field(default_factory=dict)
    logs: dict[tuple[str, str, str], str] = field(default_factory=dict)
    hooks: list[WriteHook] = field(default_factory=list)
    clock: Callable[[], str] = lambda: CREATION_TIMESTAMP
    rv: int = 1000
    lock: threading.RLock = field(default_factory=threading.RLock)
    events: list[Event] = field(default_factory=list)
    closed: bool = False
    EVENTS_KEPT: ClassVar[int] = 5000

    def __post_init__(self) -> None:
        #: Notified on every change; watches wait on it (with ``lock`` held, as a Condition needs).
        self.changed = threading.Condition(self.lock)

    def bucket(self, rtype: ResourceType) -> dict[Key, Obj]:
        return self.objects.setdefault((rtype.group, rtype.plural), {})

    @staticmethod
    def key(rtype: ResourceType, obj: Obj) -> Key:
        meta = obj["metadata"]
        return (meta.get("namespace", "") if rtype.namespaced else "", meta["name"])

    @staticmethod
    def key_of(rtype: ResourceType, name: str, namespace: str | None) -> Key:
        return ((namespace or "") if rtype.namespaced else "", name)

    def find(self, rtype: ResourceType, obj: Obj) -> Obj | None:
        return self.bucket(rtype).get(self.key(rtype, obj))

    def next_rv(self) -> str:
        self.rv += 1
        return str(self.rv)

    def stamp(self, rtype: ResourceType, obj: Obj, old: Obj | None) -> Obj:
        """Set what the server owns: apiVersion/kind, uid, creationTimestamp, resourceVersion, generation."""
        obj["apiVersion"], obj["kind"] = rtype.api_version, rtype.kind
        meta = obj.setdefault("metadata", {})
        if not rtype.namespaced:
            meta.pop("namespace", None)
        if old is None:
            meta.setdefault("uid", str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", self.clock())
            if rtype.generation:
                meta["generation"] = meta.get("generation") or 1
        else:
            for key in ("uid", "creationTimestamp"):
                if key in old["metadata"]:
                    meta[key] = old["metadata"][key]
            if rtype.generation:
                generation = old["metadata"].get("generation", 1)
                if generation_changes(rtype, obj, old):
                    generation += 1
                meta["generation"] = generation
        meta["resourceVersion"] = self.next_rv()
        return obj

    def put(self, rtype: ResourceType, obj: Obj, old: Obj | None) -> Obj:
        """Stamp ``obj`` and store it (replacing ``old``); returns the stored object itself."""
        stored = self.stamp(rtype, obj, old)
        self.bucket(rtype)[self.key(rtype, stored)] = stored
        self._event("ADDED" if old is None else "MODIFIED", rtype, stored)
        return stored

    def remove(self, rtype: ResourceType, obj: Obj) -> Obj | None:
        """Take an object out of the store (a watch sees DELETED at a new resourceVersion)."""
        gone = self.bucket(rtype).pop(self.key(rtype, obj), None)
        if gone is not None:
            gone = copy.deepcopy(gone)
            gone["metadata"]["resourceVersion"] = self.next_rv()
            self._event("DELETED", rtype, gone)
        return gone

    def preview(self, rtype: ResourceType, obj: Obj, old: Obj | None) -> Obj:
        """What ``put`` would store, without storing it or spending a resourceVersion (``dryRun``)."""
        rv = self.rv
        stamped = self.stamp(rtype, obj, old)
        self.rv = rv
        if old is None:
            stamped["metadata"].pop("resourceVersion", None)
        else:
            stamped["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
        return stamped

    def _event(self, kind: str, rtype: ResourceType, obj: Obj) -> None:
        self.events.append(Event(kind, rtype, int(obj["metadata"]["resourceVersion"]), copy.deepcopy(obj)))
        del self.events[: -self.EVENTS_KEPT]
        self.changed.notify_all()

    def events_after(self, rtype: ResourceType, rv: int) -> list[Event]:
        """The events of one type after resourceVersion ``rv``, oldest first."""
        return [e for e in self.events if e.rtype == rtype and e.rv > rv]

    def fire(self, verb: str, rtype: ResourceType, obj: Obj) -> None:
        for hook in list(self.hooks):
            hook(verb, rtype, copy.deepcopy(obj))


def generation_changes(rtype: ResourceType, new: Obj, old: Obj) -> bool:
    """Whether a write bumps ``metadata.generation``, as each strategy decides.

    Built-in kinds bump on a spec change. A custom resource bumps on any change outside ``metadata``
    (its ``status`` included unless the CRD has a status subresource, whose writes never bump it).
    """
    if rtype.builtin:
        return bool(new.get("spec") != old.get("spec"))
    skip = {"metadata", "status"} if "status" in rtype.subresources else {"metadata"}

    def content(obj: Obj) -> Obj:
        return {k: v for k, v in obj.items() if k not in skip and k not in ("apiVersion", "kind")}

    return content(new) != content(old)
