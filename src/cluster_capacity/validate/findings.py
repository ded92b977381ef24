"""What ``validate`` reports: one ``Finding`` per problem with a rendered object."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Finding:
    """A problem with one rendered object: ``Kind namespace/name: field.path: message``."""

    kind: str
    name: str
    path: str
    message: str
    namespace: str = ""
    severity: Severity = "error"
    rule: str = "schema"

    @classmethod
    def for_object(
        cls,
        obj: dict[str, Any],
        path: str,
        message: str,
        *,
        severity: Severity = "error",
        rule: str = "schema",
    ) -> Finding:
        """A finding about ``obj`` (a manifest dict), located by ``path`` inside it."""
        meta = obj.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        return cls(
            kind=str(obj.get("kind", "?")),
            name=str(meta.get("name", "?")),
            namespace=str(meta.get("namespace") or ""),
            path=path,
            message=message,
            severity=severity,
            rule=rule,
        )

    def __str__(self) -> str:
        who = f"{self.namespace}/{self.name}" if self.namespace else self.name
        where = f"{self.path}: " if self.path else ""
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{prefix}{self.kind} {who}: {where}{self.message}"
