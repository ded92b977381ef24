"""NVIDIA's OpenShift guidance for the GPU Operator: the table and the warnings it gives, offline."""

from __future__ import annotations

import pytest

from cluster_capacity import compat

CRUN = (
    "NVIDIA: do not use or upgrade to OpenShift 4.18.22 or 4.18.23: a breaking change to crun causes a known "
    "issue with all versions of the GPU Operator (validator pod error, Red Hat solution 7131271); update to "
    "4.18.24 or later"
)


def messages(version: str, **kw: str) -> list[str]:
    return [str(a) for a in compat.check_version(version, **kw)]


@pytest.mark.parametrize("version", ["4.18.22", "4.18.23"])
def test_z_streams_nvidia_says_to_avoid(version: str) -> None:
    assert messages(version, channel="v25.3") == [f"OpenShift {version}: {CRUN}"]


def test_neighbouring_z_streams_are_fine() -> None:
    assert messages("4.18.21", channel="v25.3") == []
    assert messages("4.18.24", channel="v25.3") == []
    assert messages("4.18", channel="v25.3") == []  # no z-stream given: nothing to match


def test_channel_not_validated_on_the_minor_names_the_ones_that_are() -> None:
    assert messages("4.20.3", channel="v24.9") == [
        "GPU Operator v24.9 is not validated by NVIDIA on OpenShift 4.20 (NVIDIA lists 4.12 to 4.17 for it); "
        "channels validated on 4.20: v25.10, v26.3, v26.7"
    ]
    assert messages("4.17.9", channel="v24.9") == []


def test_stable_channel_is_judged_by_the_installed_csv() -> None:
    assert messages("4.21.1", channel="stable") == []  # offline: stable could be any release
    assert messages("4.21.1", channel="stable", csv="gpu-operator-certified.v25.3.2") == [
        "GPU Operator v25.3 (channel stable runs gpu-operator-certified.v25.3.2) is not validated by NVIDIA "
        "on OpenShift 4.21 (NVIDIA lists 4.12 to 4.19 for it); channels validated on 4.21: v25.10, v26.3, "
        "v26.7"
    ]


def test_versions_outside_the_table() -> None:
    (newer,) = messages("4.23.0", channel="v26.7")
    assert newer.startswith("OpenShift 4.23 is newer than every GPU Operator release in NVIDIA's platform")
    assert compat.CHECKED in newer and compat.PLATFORM_SUPPORT in newer
    assert messages("4.11.12") == [
        "OpenShift 4.11.12: NVIDIA: Driver Toolkit images are broken with OpenShift 4.11.12; the GPU driver "
        "build needs cluster-level entitlements there",
        "OpenShift 4.11 is older than every GPU Operator release this table lists (4.12 and later): NVIDIA "
        "no longer supports it",
    ]
    assert messages("not a version") == [] and messages("5.0.1") == []


def test_driver_tag_suffix_changes_at_4_19_and_4_22() -> None:
    assert [compat.driver_tag_suffix(m) for m in (17, 18, 19, 21, 22)] == [
        "-rhcos4.17",
        "-rhcos4.18",
        "-rhel9.6",
        "-rhel9.6",
        "-rhel9.8",
    ]
    (driver,) = messages("4.19.2", channel="v25.3", driver_image="550.163.01-rhcos4.18")
    assert driver.startswith("ClusterPolicy spec.driver pins 550.163.01-rhcos4.18, a tag for another")
    assert "end in -rhel9.6" in driver
    assert messages("4.19.2", channel="v25.3", driver_image="550.163.01-rhel9.6") == []
    assert messages("4.19.2", channel="v25.3", driver_image="550.163.01") == []  # the operator adds it


def test_table_is_consistent() -> None:
    for channel, (low, high) in compat.CHANNELS.items():
        assert channel.startswith("v") and 12 <= low <= high, channel
    assert compat.channels_for(19) == ["v25.3", "v25.10", "v26.3", "v26.7"]
    assert compat.channels_for(16) == ["v24.3", "v24.6", "v24.9", "v25.3", "v25.10"]
    assert compat.parse_version("4.19.9") == (4, 19, 9) and compat.parse_version("v4.20") == (4, 20, None)
    assert compat.channel_of_csv("gpu-operator-certified.v25.10.1") == "v25.10"
