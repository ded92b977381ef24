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
from typing import Any

from .resources import ResourceType

Obj = dict[str, Any]
Key = tuple[str, str]
WriteHook = Callable[[str, ResourceType, Obj], None]

#: When every object seeded without one was created (tests compare ages against it).
CREATION_TIMESTAMP = "2026-11-02T09:14:07Z"


@dataclass
class Store:
    """Objects by ``(group, plural)`` then ``(namespace, name)``; one lock guards them all."""

    objects: dict[tuple[str, str], dict[Key, Obj]] = field(default_factory=dict)
    logs: dict[tuple[str, str, str], str] = field(default_factory=dict)
    hooks: list[WriteHook] = field(default_factory=list)
    clock: Callable[[], str] = lambda: CREATION_TIMESTAMP
    rv: int = 1000
    lock: threading.RLock = field(default_factory=threading.RLock)

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
            meta["generation"] = meta.get("generation") or 1
        else:
            for key in ("uid", "creationTimestamp"):
                if key in old["metadata"]:
                    meta[key] = old["metadata"][key]
            generation = old["metadata"].get("generation", 1)
            if obj.get("spec") != old.get("spec"):
                generation += 1
            meta["generation"] = generation
        meta["resourceVersion"] = self.next_rv()
        return obj

    def put(self, rtype: ResourceType, obj: Obj, old: Obj | None) -> Obj:
        """Stamp ``obj`` and store it (replacing ``old``); returns the stored object itself."""
        stored = self.stamp(rtype, obj, old)
        self.bucket(rtype)[self.key(rtype, stored)] = stored
        return stored

    def fire(self, verb: str, rtype: ResourceType, obj: Obj) -> None:
        for hook in list(self.hooks):
            hook(verb, rtype, copy.deepcopy(obj))
