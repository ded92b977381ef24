"""Fan-out, On-Demand fallback and health checks, rendered and checked against the real CRDs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from cluster_capacity.config.fanout import split
from cluster_capacity.render import render
from cluster_capacity.validate.fallback import priorities, ranked
from cluster_capacity.validate.policies import check_policies
from tests.render.conftest import make_values, pool

Check = Callable[[list[dict[str, Any]]], None]
ZONES = ["us-west-2a", "us-west-2b", "us-west-2c"]


def values(**pool_keys: Any) -> Any:
    return make_values(
        {
            "enabled": True,
            "infraID": "prod-x",
            "autoscaling": {"clusterAutoscaler": {"enabled": True}},
            "machineSets": [pool("gpu", **pool_keys)],
        }
    )


def of(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def test_fan_out_one_machineset_and_autoscaler_per_zone(schema_check: Check) -> None:
    objects = render(
        values(zones=ZONES, replicas=4, autoscaler={"enabled": True, "minReplicas": 1, "maxReplicas": 5})
    )
    schema_check(objects)
    sets = of(objects, "MachineSet")
    assert [m["metadata"]["name"] for m in sets] == [f"prod-x-gpu-{z}" for z in ZONES]
    for ms, zone in zip(sets, ZONES, strict=True):
        spec = ms["spec"]["template"]["spec"]["providerSpec"]["value"]
        assert spec["placement"] == {"availabilityZone": zone, "region": "us-west-2"}
        assert spec["subnet"] == {
            "filters": [{"name": "tag:Name", "values": [f"prod-x-subnet-private-{zone}"]}]
        }
    assert [m["spec"]["replicas"] for m in sets] == [2, 1, 1]
    scalers = of(objects, "MachineAutoscaler")
    assert [(a["spec"]["minReplicas"], a["spec"]["maxReplicas"]) for a in scalers] == [(1, 2), (0, 2), (0, 1)]
    assert [a["spec"]["scaleTargetRef"]["name"] for a in scalers] == [f"prod-x-gpu-{z}" for z in ZONES]
    (ca,) = of(objects, "ClusterAutoscaler")
    assert ca["spec"]["balanceSimilarNodeGroups"] is True
    assert "expanders" not in ca["spec"]
    assert of(objects, "ConfigMap") == [] and of(objects, "MachineHealthCheck") == []


def test_per_zone_subnet_replaces_the_derived_one(schema_check: Check) -> None:
    objects = render(values(zones=ZONES[:2], subnets={"us-west-2b": {"id": "subnet-0def"}}))
    schema_check(objects)
    spec = of(objects, "MachineSet")[1]["spec"]["template"]["spec"]["providerSpec"]["value"]
    assert spec["subnet"] == {"id": "subnet-0def"} and spec["placement"]["availabilityZone"] == "us-west-2b"


def test_spot_fallback_twins_priorities_and_expander(schema_check: Check) -> None:
    objects = render(
        values(
            zones=ZONES[:2],
            onDemandFallback=True,
            taints=[{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}],
            autoscaler={"enabled": True, "maxReplicas": 4},
            providerSpec={"spotMarketOptions": {}},
        )
    )
    schema_check(objects)  # includes the fallback policy rules
    names = [m["metadata"]["name"] for m in of(objects, "MachineSet")]
    spot = ["prod-x-gpu-us-west-2a", "prod-x-gpu-us-west-2b"]
    twins = [f"{n}-ondemand" for n in spot]
    assert names == [spot[0], twins[0], spot[1], twins[1]]
    by_name = {m["metadata"]["name"]: m for m in of(objects, "MachineSet")}
    for s, t in zip(spot, twins, strict=True):
        s_tmpl, t_tmpl = by_name[s]["spec"]["template"]["spec"], by_name[t]["spec"]["template"]["spec"]
        assert "spotMarketOptions" in s_tmpl["providerSpec"]["value"]
        assert "spotMarketOptions" not in t_tmpl["providerSpec"]["value"]
        assert t_tmpl["taints"] == s_tmpl["taints"]
        assert t_tmpl["metadata"]["labels"] == {
            **s_tmpl["metadata"]["labels"],
            "cluster-capacity/market": "on-demand",
        }
        assert s_tmpl["metadata"]["labels"]["cluster-capacity/market"] == "spot"
        assert by_name[t]["metadata"]["labels"]["cluster-capacity/fallback-for"] == s
        assert by_name[t]["spec"]["replicas"] == 0
    scalers = {a["metadata"]["name"]: a["spec"] for a in of(objects, "MachineAutoscaler")}
    assert {n: (s["minReplicas"], s["maxReplicas"]) for n, s in scalers.items()} == {
        spot[0]: (0, 2),
        spot[1]: (0, 2),
        twins[0]: (0, 2),
        twins[1]: (0, 2),
    }
    (cm,) = of(objects, "ConfigMap")
    assert cm["metadata"]["name"] == "cluster-autoscaler-priority-expander"
    assert cm["metadata"]["namespace"] == "openshift-machine-api"
    table = priorities(cm)
    assert table == yaml.safe_load(cm["data"]["priorities"])
    assert sorted(table) == [1, 10, 20]
    ids = {n: f"MachineSet/openshift-machine-api/{n}" for n in names}
    # every regex matches exactly one rendered name (the catch-all matches all)
    for regex in [*table[20], *table[10]]:
        import re

        assert sum(bool(re.search(regex, i)) for i in ids.values()) == 1, regex
    for s, t in zip(spot, twins, strict=True):
        assert ranked(table, ids[s]) == 20 and ranked(table, ids[t]) == 10
    assert ranked(table, "MachineSet/openshift-machine-api/prod-x-worker-us-west-2a") == 1
    (ca,) = of(objects, "ClusterAutoscaler")
    assert ca["spec"]["expanders"] == ["Priority"]
    # a Spot pool gets a MachineHealthCheck by default, over its Spot MachineSets and their twins
    (mhc,) = of(objects, "MachineHealthCheck")
    assert mhc["spec"]["selector"]["matchExpressions"] == [
        {"key": "machine.openshift.io/cluster-api-machineset", "operator": "In", "values": sorted(names)}
    ]
    assert mhc["spec"]["nodeStartupTimeout"] == "45m" and mhc["spec"]["maxUnhealthy"] == 1
    # RBAC: machine.openshift.io and ConfigMaps are granted to the default controller; nothing new is asked
    (role,) = of(objects, "ClusterRole")
    assert [r["apiGroups"] for r in role["rules"]] == [["autoscaling.openshift.io"]]


def test_policy_catches_a_regex_that_matches_nothing_and_a_twin_ranked_too_high() -> None:
    objects = render(
        values(onDemandFallback=True, autoscaler={"enabled": True}, providerSpec={"spotMarketOptions": {}})
    )
    (cm,) = of(objects, "ConfigMap")
    cm["data"]["priorities"] = (
        "20:\n  - '^MachineSet/openshift-machine-api/prod-x-gpu-typo$'\n30:\n  - ondemand\n"
    )
    messages = sorted(str(f) for f in check_policies(objects) if f.rule == "fallback")
    assert messages == [
        "ConfigMap openshift-machine-api/cluster-autoscaler-priority-expander: data.priorities.20: "
        "'^MachineSet/openshift-machine-api/prod-x-gpu-typo$' matches no rendered MachineSet (ids are "
        "MachineSet/<namespace>/<name>)",
        "ConfigMap openshift-machine-api/cluster-autoscaler-priority-expander: data.priorities: Spot "
        "MachineSet prod-x-gpu (priority None) must rank above its On-Demand twin prod-x-gpu-ondemand "
        "(priority 30)",
    ]
    twin_scaler = [
        a for a in objects if a["kind"] == "MachineAutoscaler" and a["metadata"]["name"].endswith("ondemand")
    ]
    objects.remove(twin_scaler[0])
    assert any("no MachineAutoscaler targets prod-x-gpu-ondemand" in str(f) for f in check_policies(objects))


def test_health_check_explicit_default_and_off(schema_check: Check) -> None:
    objects = render(
        values(healthCheck={"nodeStartupTimeout": "1h", "maxUnhealthy": "40%", "notReadyTimeout": "10m"})
    )
    schema_check(objects)
    (mhc,) = of(objects, "MachineHealthCheck")
    assert mhc["metadata"]["name"] == "prod-x-gpu"
    assert mhc["spec"]["maxUnhealthy"] == "40%" and mhc["spec"]["nodeStartupTimeout"] == "1h"
    assert mhc["spec"]["unhealthyConditions"] == [
        {"type": "Ready", "status": "False", "timeout": "10m"},
        {"type": "Ready", "status": "Unknown", "timeout": "10m"},
    ]
    assert of(render(values()), "MachineHealthCheck") == []  # On-Demand: off unless asked
    spot_off = values(providerSpec={"spotMarketOptions": {}}, healthCheck={"enabled": False})
    assert of(render(spot_off), "MachineHealthCheck") == []


def test_capacity_block_written_into_the_provider_spec(schema_check: Check) -> None:
    objects = render(values(marketType="CapacityBlock", capacityReservationId="cr-0123456789abcdef0"))
    schema_check(objects)
    spec = of(objects, "MachineSet")[0]["spec"]["template"]["spec"]["providerSpec"]["value"]
    assert spec["marketType"] == "CapacityBlock" and spec["capacityReservationId"] == "cr-0123456789abcdef0"


@given(st.integers(0, 200), st.integers(0, 200), st.integers(1, 8))
def test_split_min_max_over_zones(low: int, extra: int, zones: int) -> None:
    high = max(low + extra, zones)
    lows, highs = split(low, zones), split(high, zones)
    assert sum(lows) == low and sum(highs) == high
    assert len(lows) == len(highs) == zones
    assert all(h >= 1 for h in highs)
    assert all(lo <= hi for lo, hi in zip(lows, highs, strict=True))
    assert max(highs) - min(highs) <= 1 and max(lows) - min(lows) <= 1


@given(st.integers(0, 6), st.integers(0, 6), st.integers(1, 3))
def test_rendered_autoscalers_sum_to_the_pool(low: int, extra: int, zones: int) -> None:
    high = max(low + extra, zones)
    objects = render(
        values(zones=ZONES[:zones], autoscaler={"enabled": True, "minReplicas": low, "maxReplicas": high})
    )
    scalers = of(objects, "MachineAutoscaler")
    assert len(scalers) == zones
    assert sum(a["spec"]["minReplicas"] for a in scalers) == low
    assert sum(a["spec"]["maxReplicas"] for a in scalers) == high
    assert all(a["spec"]["maxReplicas"] >= 1 for a in scalers)
    assert all(a["spec"]["minReplicas"] <= a["spec"]["maxReplicas"] for a in scalers)


def test_an_alias_shared_provider_spec_renders_as_written_out(tmp_path: Any) -> None:
    # the providerSpec's copies no longer keep YAML's sharing; the output cannot tell, and no copy leaks
    from cluster_capacity import output
    from cluster_capacity.config import load_values

    spec = (
        "    apiVersion: machine.openshift.io/v1beta1\n    kind: AWSMachineProviderConfig\n"
        "    instanceType: g5.xlarge\n    placement: {availabilityZone: us-west-2a, region: us-west-2}\n"
    )
    head = "enabled: true\ninfraID: prod-x\nmachineSets:\n"
    pools = (
        "- nameSuffix: a\n  enabled: true\n  zones: [us-west-2a, us-west-2b]\n"
        "  subnets: {us-west-2a: &sub {id: subnet-1}, us-west-2b: *sub}\n  providerSpec: &spec\n" + spec,
        "- nameSuffix: b\n  enabled: true\n  providerSpec: *spec\n",
    )
    plain = pools[0].replace("&sub ", "").replace("*sub", "{id: subnet-1}").replace(" &spec", "")
    written = [plain, pools[1].replace("*spec", "\n" + spec.rstrip("\n"))]
    shared, unshared = tmp_path / "shared.yaml", tmp_path / "plain.yaml"
    shared.write_text(head + "".join(pools))
    unshared.write_text(head + "".join(written))
    objects = render(load_values([shared]))
    assert output.to_stream(objects) == output.to_stream(render(load_values([unshared])))
    specs = [o["spec"]["template"]["spec"]["providerSpec"]["value"] for o in of(objects, "MachineSet")]
    assert len(specs) == 3 and len({id(s) for s in specs}) == 3
    assert len({id(s["subnet"]) for s in specs if "subnet" in s}) == 2
