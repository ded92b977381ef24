"""The Kubernetes API server's own rules for names, labels, annotations, taints and integers.

Same rules and same messages as the API server (k8s.io/apimachinery ``pkg/util/validation`` and
``pkg/api/validate/content``: IsDNS1123Label, IsDNS1123Subdomain, IsDNS1035Label, IsQualifiedName,
IsValidLabelValue; ``ValidateAnnotations``; RBAC's path-segment names; core's taint validation), so what
passes here is not refused at sync. Every check is pure: it returns the server's messages, ``[]`` when the
value is valid. Lengths count bytes, as Go's ``len`` does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "INT32_MAX",
    "TAINT_EFFECTS",
    "annotation_map",
    "dns1035_label",
    "dns1123_label",
    "dns1123_subdomain",
    "int_range",
    "label_map",
    "label_value",
    "name_check",
    "path_segment_name",
    "qualified_name",
    "quote",
    "taint",
]

INT32_MAX = 2**31 - 1
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
#: ``TotalAnnotationSizeLimitB``: keys and values of one object's annotations together.
ANNOTATIONS_MAX_BYTES = 256 * 1024

_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN_FMT = _LABEL_FMT + "(\\." + _LABEL_FMT + ")*"
_DNS1035_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
_QNAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE_FMT = "(" + _QNAME_FMT + ")?"

_LABEL_RE = re.compile(f"^{_LABEL_FMT}$")
_SUBDOMAIN_RE = re.compile(f"^{_SUBDOMAIN_FMT}$")
_DNS1035_RE = re.compile(f"^{_DNS1035_FMT}$")
_QNAME_RE = re.compile(f"^{_QNAME_FMT}$")
_LABEL_VALUE_RE = re.compile(f"^{_LABEL_VALUE_FMT}$")

_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
    "start and end with an alphanumeric character"
)
_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
    "must start and end with an alphanumeric character"
)
_DNS1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character"
)
_QNAME_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character"
)
_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and "
    "must start and end with an alphanumeric character"
)


def _size(value: str) -> int:
    return len(value.encode("utf-8"))


def _max_len(limit: int) -> str:
    return f"must be no more than {limit} characters"


def _regex_error(message: str, fmt: str, *examples: str) -> str:
    shown = " or ".join(f"'{e}'" for e in examples)
    return f"{message} (e.g. {shown}, regex used for validation is '{fmt}')"


def _match(pattern: re.Pattern[str], value: str) -> bool:
    # fullmatch on ASCII only: Python's $ also matches before a final newline, Go's does not
    return value.isascii() and pattern.fullmatch(value) is not None


def dns1123_label(value: str) -> list[str]:
    """IsDNS1123Label: namespaces (and Services' older rule): ``my-name``, at most 63 characters."""
    errs = [_max_len(63)] if _size(value) > 63 else []
    if not _match(_LABEL_RE, value):
        if _match(_SUBDOMAIN_RE, value):
            errs.append("must not contain dots")
        else:
            errs.append(_regex_error(_LABEL_MSG, _LABEL_FMT, "my-name", "123-abc"))
    return errs


def dns1123_subdomain(value: str) -> list[str]:
    """IsDNS1123Subdomain: the names of most objects: ``example.com``, at most 253 characters."""
    errs = [_max_len(253)] if _size(value) > 253 else []
    if not _match(_SUBDOMAIN_RE, value):
        errs.append(_regex_error(_SUBDOMAIN_MSG, _SUBDOMAIN_FMT, "example.com"))
    return errs


def dns1035_label(value: str) -> list[str]:
    """IsDNS1035Label: Service names: starts with a letter, at most 63 characters."""
    errs = [_max_len(63)] if _size(value) > 63 else []
    if not _match(_DNS1035_RE, value):
        errs.append(_regex_error(_DNS1035_MSG, _DNS1035_FMT, "my-name", "abc-123"))
    return errs


def path_segment_name(value: str) -> list[str]:
    """ValidatePathSegmentName: RBAC object names (``system:aggregate-to-view`` is fine)."""
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{bad}'" for bad in ("/", "%") if bad in value]


def qualified_name(value: str) -> list[str]:
    """IsQualifiedName: label keys, taint keys: ``[prefix/]name``, a DNS-subdomain prefix up to 253."""
    parts = value.split("/")
    errs: list[str] = []
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + msg for msg in dns1123_subdomain(prefix))
    else:
        return [
            "a valid label key "
            + _regex_error(_QNAME_MSG, _QNAME_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part must be non-empty")
    elif _size(name) > 63:
        errs.append("name part " + _max_len(63))
    if not _match(_QNAME_RE, name):
        errs.append("name part " + _regex_error(_QNAME_MSG, _QNAME_FMT, "MyName", "my.name", "123-abc"))
    return errs


def label_value(value: str) -> list[str]:
    """IsValidLabelValue: empty, or at most 63 of ``[-A-Za-z0-9_.]`` with alphanumeric ends."""
    errs = [_max_len(63)] if _size(value) > 63 else []
    if not _match(_LABEL_VALUE_RE, value):
        errs.append(_regex_error(_LABEL_VALUE_MSG, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errs


def quote(value: object) -> str:
    """A value as the API server's messages show it (Go's ``%q``): ``"Foo"``."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value)


#: One problem inside a map or a taint: (the map key or taint field, which part is bad: ``key``,
#: ``value``, ``effect`` or ``size``, the bad value, the message).
Issue = tuple[str, str, str, str]


def label_map(found: Mapping[Any, Any]) -> list[Issue]:
    """Every bad key or value of a label map (ValidateLabels)."""
    out: list[Issue] = []
    for key, value in found.items():
        key_s = str(key)
        out.extend((key_s, "key", key_s, msg) for msg in qualified_name(key_s))
        if isinstance(value, str):
            out.extend((key_s, "value", value, msg) for msg in label_value(value))
    return out


def annotation_map(found: Mapping[Any, Any]) -> list[Issue]:
    """Bad annotation keys (qualified names, case aside) and the total size (part ``size``)."""
    out: list[Issue] = []
    total = 0
    for key, value in found.items():
        key_s = str(key)
        out.extend((key_s, "key", key_s, msg) for msg in qualified_name(key_s.lower()))
        total += _size(key_s) + (_size(value) if isinstance(value, str) else 0)
    if total > ANNOTATIONS_MAX_BYTES:
        out.append(("", "size", "", f"Too long: must have at most {ANNOTATIONS_MAX_BYTES} bytes"))
    return out


def taint(key: object, value: object, effect: object) -> list[Issue]:
    """A taint as core validation checks it: key, value and effect."""
    out: list[Issue] = []
    if isinstance(key, str):
        out.extend(("key", "key", key, msg) for msg in qualified_name(key))
    if isinstance(value, str):
        out.extend(("value", "value", value, msg) for msg in label_value(value))
    if isinstance(effect, str) and effect not in TAINT_EFFECTS:
        supported = ", ".join(quote(e) for e in TAINT_EFFECTS)
        out.append(("effect", "effect", effect, f"supported values: {supported}"))
    return out


def int_range(value: int, low: int, high: int) -> list[str]:
    """InclusiveRangeError: ``value`` outside ``[low, high]``."""
    return [] if low <= value <= high else [f"must be between {low} and {high}, inclusive"]


#: How the API server checks ``metadata.name`` per kind; every other kind is a DNS-1123 subdomain.
_NAME_RULES: dict[str, Callable[[str], list[str]]] = {
    "Namespace": dns1123_label,
    "Service": dns1035_label,
    "ClusterRole": path_segment_name,
    "ClusterRoleBinding": path_segment_name,
    "Role": path_segment_name,
    "RoleBinding": path_segment_name,
}


def name_check(kind: str) -> Callable[[str], list[str]]:
    """The API server's rule for ``metadata.name`` of ``kind``."""
    return _NAME_RULES.get(kind, dns1123_subdomain)
