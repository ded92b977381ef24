"""The smoke modules' public names: a change here is a change to what other code may import."""

from __future__ import annotations

from cluster_capacity.ops.smoke import nvidia_smi
from cluster_capacity.ops.smoke import pod as smoke_pod
from cluster_capacity.ops.smoke import report as smoke_report
from cluster_capacity.ops.smoke import run as smoke
from cluster_capacity.ops.smoke import zones as smoke_zones


def test_exported_members() -> None:
    assert smoke.__all__ == ["SmokeCluster", "SmokeFailure", "SmokeOptions", "run_smoke"]
    assert smoke_pod.__all__ == [
        "DEFAULT_IMAGES",
        "RESOURCES",
        "SMOKE_LABEL",
        "SmokeTarget",
        "Toleration",
        "build_pod",
        "target_from_env",
        "targets_from_env",
    ]
    assert smoke_report.__all__ == [
        "Phase",
        "SmokeResult",
        "format_summary",
        "to_json",
        "to_junit",
        "to_junit_fleet",
        "write_report",
    ]
    assert nvidia_smi.__all__ == [
        "GpuInfo",
        "GpuOutputError",
        "NeuronDevice",
        "NeuronLsReport",
        "NvidiaSmiReport",
        "parse_neuron_ls",
        "parse_nvidia_smi",
    ]
    assert smoke_zones.__all__ == ["NoZoneError", "ZoneChoice", "choose_zone", "snapshot_facts"]
    for module in (smoke, smoke_pod, smoke_report, nvidia_smi, smoke_zones):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"
