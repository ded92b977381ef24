"""Capacity rendering, rule by rule: the user's own expanders kept behind Priority, pool order not
mattering, taints as the API server stores them, and ``machineset()``'s default unit."""

from __future__ import annotations

from typing import Any

from cluster_capacity.config.fanout import pool_machinesets
from cluster_capacity.render import render
from cluster_capacity.render.machines import machineset
from tests.render.conftest import make_values, pool

ZONES = ["us-west-2a", "us-west-2b"]
SPOT_FALLBACK: dict[str, Any] = {
    "zones": ZONES,
    "onDemandFallback": True,
    "autoscaler": {"enabled": True, "maxReplicas": 4},
    "providerSpec": {"spotMarketOptions": {}},
}


def values(*pools: dict[str, Any], autoscaler: dict[str, Any] | None = None) -> Any:
    return make_values(
        {
            "enabled": True,
            "infraID": "prod-x",
            "autoscaling": {"clusterAutoscaler": {"enabled": True, **(autoscaler or {})}},
            "machineSets": list(pools),
        }
    )


def of(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def test_the_users_expanders_stay_behind_priority() -> None:
    for given, want in (
        (["LeastWaste"], ["Priority", "LeastWaste"]),
        (["Priority", "Random"], ["Priority", "Random"]),  # Priority is not listed twice
        (["Priority"], ["Priority"]),
    ):
        objects = render(values(pool("gpu", **SPOT_FALLBACK), autoscaler={"spec": {"expanders": given}}))
        (ca,) = of(objects, "ClusterAutoscaler")
        assert ca["spec"]["expanders"] == want, given
    # without a fallback pool the user's expanders are left alone
    objects = render(values(pool("gpu"), autoscaler={"spec": {"expanders": ["LeastWaste"]}}))
    assert of(objects, "ClusterAutoscaler")[0]["spec"]["expanders"] == ["LeastWaste"]


def test_the_priority_configmap_does_not_depend_on_pool_order() -> None:
    a, b = pool("gpu-b", **SPOT_FALLBACK), pool("gpu-a", **SPOT_FALLBACK)
    first = of(render(values(a, b)), "ConfigMap")
    second = of(render(values(b, a)), "ConfigMap")
    assert first == second and len(first) == 1
    text = first[0]["data"]["priorities"]
    # each priority's regexes in name order: gpu-a's before gpu-b's
    assert text.index("gpu-a-us-west-2a") < text.index("gpu-b-us-west-2a")
    assert text.index("gpu-a-us-west-2a-ondemand") < text.index("gpu-b-us-west-2a-ondemand")


def test_a_taint_without_a_value_is_rendered_without_one() -> None:
    # the API server leaves an empty value out: rendering `value: ""` would be drift for ever
    taints = [
        {"key": "nvidia.com/gpu", "effect": "NoSchedule"},
        {"key": "a", "value": "b", "effect": "NoExecute"},
    ]
    (ms,) = of(render(values(pool("gpu", taints=taints))), "MachineSet")
    assert ms["spec"]["template"]["spec"]["taints"] == taints


def test_machineset_renders_the_pools_first_unit_by_default() -> None:
    v = values(pool("gpu", zones=ZONES))
    (gpu,) = v.machine_sets
    units = pool_machinesets(gpu, "prod-x")
    assert len(units) == 2
    assert machineset(gpu, "prod-x") == machineset(gpu, "prod-x", unit=units[0])
    assert machineset(gpu, "prod-x")["metadata"]["name"] == "prod-x-gpu-us-west-2a"


def test_the_device_plugin_config_falls_back_to_the_operators_mig_strategy() -> None:
    from tests.render.conftest import PROVIDER_SPEC, gpu_values

    sliced = pool(
        "t4",
        providerSpec={**PROVIDER_SPEC, "instanceType": "g4dn.xlarge"},
        taints=[{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}],
        gpuSharing={"timeSlicing": {"replicas": 4}},
    )
    for mig, want in (({"strategy": ""}, "single"), ({"strategy": "mixed"}, "mixed")):
        objects = render(gpu_values(machineSets=[sliced], nvidia={"clusterPolicy": {"spec": {"mig": mig}}}))
        (cm,) = of(objects, "ConfigMap")
        assert f"migStrategy: {want}\n" in cm["data"]["default"], mig


def test_rendered_objects_share_no_lists_with_each_other_or_the_next_render() -> None:
    from cluster_capacity.config import load_env
    from tests.conftest import EXAMPLES

    v = load_env(EXAMPLES / "neuron", "inference").values
    (role,) = of(render(v, "inference"), "ClusterRole")
    assert len(role["rules"]) > 1
    fresh = [list(r["verbs"]) for r in role["rules"]]
    role["rules"][0]["verbs"].append("escalate")  # a caller editing what it got
    assert [r["verbs"] for r in role["rules"][1:]] == fresh[1:]
    (again,) = of(render(v, "inference"), "ClusterRole")
    assert [r["verbs"] for r in again["rules"]] == fresh
