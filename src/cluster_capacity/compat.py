"""What NVIDIA says about the GPU Operator on each OpenShift version, and the warnings that follow.

The table is data, read from NVIDIA's own documentation (github.com/NVIDIA/cloud-native-docs, published
at https://docs.nvidia.com/datacenter/cloud-native/), checked 2026-12-01 at its commit 52dcb7b
(2026-08-21):

- ``CHANNELS``: gpu-operator/platform-support.rst, the "Red Hat Core OS" row of the supported operating
  systems table (the page describes the current release), as it last stood before the next release's
  docs landed: 24.3 4.12-4.16 (2024-07-05), 24.6 4.12-4.17 (2024-10-18), 24.9 4.12-4.17, 25.3
  4.12-4.19 (2025-07-17), 25.10 4.14-4.21 (2026-02-09), 26.3 4.18-4.22 (2026-06-25), 26.7 4.18-4.22
  (release notes 26.7.0, 2026-08-21). OLM channels are named ``v<YY.MM>`` after the release.
- ``AVOID``: openshift/steps-overview.rst ("Do not use or upgrade to OpenShift 4.18.22 or 4.18.23") and
  gpu-operator/release-notes.rst (known issue "Driver Toolkit images are broken with Red Hat OpenShift
  version 4.11.12").
- ``driver_tag_suffix``: openshift/steps-overview.rst, the note on the driver container image tag
  (``-rhcos4.18`` up to 4.18; ``-rhel9.6`` for 4.19 to 4.21; ``-rhel9.8`` for 4.22).

Update it from those pages when NVIDIA publishes a release; ``CHECKED`` says how old it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "AVOID",
    "CHANNELS",
    "CHECKED",
    "SOURCE",
    "Advice",
    "check_version",
    "driver_tag_suffix",
    "parse_version",
]

SOURCE = "https://docs.nvidia.com/datacenter/cloud-native/openshift/latest/steps-overview.html"
PLATFORM_SUPPORT = "https://docs.nvidia.com/datacenter/cloud-native/gpu-operator/latest/platform-support.html"
CHECKED = "2026-12-01"

#: GPU Operator OLM channel -> the OpenShift 4.x minors NVIDIA validated that release on (inclusive).
CHANNELS: dict[str, tuple[int, int]] = {
    "v24.3": (12, 16),
    "v24.6": (12, 17),
    "v24.9": (12, 17),
    "v25.3": (12, 19),
    "v25.10": (14, 21),
    "v26.3": (18, 22),
    "v26.7": (18, 22),
}

#: OpenShift z-streams NVIDIA says to avoid, with NVIDIA's guidance.
AVOID: dict[str, str] = {
    "4.18.22": "NVIDIA: do not use or upgrade to OpenShift 4.18.22 or 4.18.23: a breaking change to crun "
    "causes a known issue with all versions of the GPU Operator (validator pod error, Red Hat solution "
    "7131271); update to 4.18.24 or later",
    "4.18.23": "NVIDIA: do not use or upgrade to OpenShift 4.18.22 or 4.18.23: a breaking change to crun "
    "causes a known issue with all versions of the GPU Operator (validator pod error, Red Hat solution "
    "7131271); update to 4.18.24 or later",
    "4.11.12": "NVIDIA: Driver Toolkit images are broken with OpenShift 4.11.12; the GPU driver build "
    "needs cluster-level entitlements there",
}

_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?$")
_CSV = re.compile(r"\.v?(\d+)\.(\d+)\.\d+")


@dataclass(frozen=True)
class Advice:
    """One warning about the GPU Operator on an OpenShift version, with what NVIDIA says."""

    message: str
    subject: str  # "openshift", "channel" or "driver"

    def __str__(self) -> str:
        return self.message


def parse_version(text: str) -> tuple[int, int, int | None] | None:
    """``4.18.22`` -> ``(4, 18, 22)``; ``4.19`` -> ``(4, 19, None)``; None for anything else."""
    match = _VERSION.match(text.strip())
    if not match:
        return None
    return int(match[1]), int(match[2]), int(match[3]) if match[3] is not None else None


def channels_for(minor: int) -> list[str]:
    """The channels NVIDIA validated on OpenShift 4.<minor>, oldest first."""
    return [c for c, (low, high) in CHANNELS.items() if low <= minor <= high]


def channel_of_csv(csv: str) -> str | None:
    """``gpu-operator-certified.v25.3.2`` -> ``v25.3`` (what a ``stable`` subscription runs)."""
    match = _CSV.search(csv)
    return f"v{int(match[1])}.{int(match[2])}" if match else None


def driver_tag_suffix(minor: int) -> str:
    """Suffix of NVIDIA's driver image tags for OpenShift 4.<minor> (it changed at 4.19 and 4.22)."""
    if minor <= 18:
        return f"-rhcos4.{minor}"
    if minor <= 21:
        return "-rhel9.6"
    return "-rhel9.8"


def check_version(version: str, *, channel: str = "", csv: str = "", driver_image: str = "") -> list[Advice]:
    """What NVIDIA's guidance says about running the GPU Operator ``channel`` on OpenShift ``version``.

    ``channel`` is the Subscription's; for ``stable`` the installed ``csv`` (when known) tells the release.
    ``driver_image`` is a driver image or tag pinned in the ClusterPolicy (``spec.driver.version``).
    """
    parsed = parse_version(version)
    if parsed is None or parsed[0] != 4:
        return []
    _, minor, patch = parsed
    out: list[Advice] = []
    if patch is not None and f"4.{minor}.{patch}" in AVOID:
        out.append(Advice(f"OpenShift {version}: {AVOID[f'4.{minor}.{patch}']}", "openshift"))
    newest = max(high for _, high in CHANNELS.values())
    oldest = min(low for low, _ in CHANNELS.values())
    release = channel if channel in CHANNELS else channel_of_csv(csv) if csv else None
    if minor > newest:
        out.append(
            Advice(
                f"OpenShift 4.{minor} is newer than every GPU Operator release in NVIDIA's platform "
                f"support table (checked {CHECKED}; newest: 4.{newest}): check {PLATFORM_SUPPORT} "
                "before you upgrade",
                "openshift",
            )
        )
    elif minor < oldest:
        out.append(
            Advice(
                f"OpenShift 4.{minor} is older than every GPU Operator release this table lists "
                f"(4.{oldest} and later): NVIDIA no longer supports it",
                "openshift",
            )
        )
    elif release in CHANNELS:
        low, high = CHANNELS[release]
        if not low <= minor <= high:
            fits = ", ".join(channels_for(minor)) or "none"
            via = f" (channel {channel} runs {csv})" if release != channel else ""
            out.append(
                Advice(
                    f"GPU Operator {release}{via} is not validated by NVIDIA on OpenShift 4.{minor} "
                    f"(NVIDIA lists 4.{low} to 4.{high} for it); channels validated on 4.{minor}: {fits}",
                    "channel",
                )
            )
    if driver_image and minor >= oldest:
        tag = driver_image.rpartition(":")[2] if ":" in driver_image else driver_image
        found = re.search(r"-(rhcos4\.\d+|rhel\d+\.\d+)$", tag)
        want = driver_tag_suffix(minor)
        if found and f"-{found[1]}" != want:
            out.append(
                Advice(
                    f"ClusterPolicy spec.driver pins {driver_image}, a tag for another OpenShift release: "
                    f"NVIDIA's driver tags for OpenShift 4.{minor} end in {want} (the suffix changed at "
                    "4.19 and 4.22); leave the tag out to let the operator choose",
                    "driver",
                )
            )
    return out
