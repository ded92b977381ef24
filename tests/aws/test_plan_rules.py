"""The recommendation rule, one criterion at a time, where the criterion alone decides; the Trainium
family; a GPU target that fits nowhere; and plans as immutable values."""

from __future__ import annotations

import dataclasses

import pytest

from cluster_capacity.aws.plan import InstanceTypeInfo, RunningInstance, Snapshot, make_plan
from tests.aws.test_plan import A10G, ABC, CATALOG, only, snapshot


def typed(name: str, accel_mib: int) -> InstanceTypeInfo:
    return InstanceTypeInfo(name, 4, 16384, ("x86_64",), "nvidia", "GPU", 1, 1.0, accel_mib)


def recommended(types: list[InstanceTypeInfo]) -> str:
    catalog = {t.name: t for t in types}
    snap = Snapshot("eu-west-1", catalog, {n: ABC for n in catalog}).with_quotas({("g", "on-demand"): 8})
    g = only(make_plan(snap, family="nvidia", markets=["on-demand"]).families, "g", "on-demand")
    assert g.recommendation is not None
    return g.recommendation.instance_type


def test_least_accelerator_memory_wins_even_against_the_name() -> None:
    # same vCPUs and generation: the smaller accelerator memory wins, though its name sorts last
    small, big = typed("g6z.xlarge", A10G), typed("g6a.xlarge", 2 * A10G)
    assert recommended([small, big]) == "g6z.xlarge"
    assert recommended([big, small]) == "g6z.xlarge"


def test_the_name_decides_a_full_tie_whatever_the_catalog_order() -> None:
    a, b = typed("g6a.xlarge", A10G), typed("g6b.xlarge", A10G)
    assert recommended([a, b]) == recommended([b, a]) == "g6a.xlarge"


def test_trainium_is_planned_in_its_own_family() -> None:
    trn = InstanceTypeInfo("trn1.2xlarge", 8, 32768, ("x86_64",), "neuron", "Trainium", 1, 1.0, 32768, 2)
    catalog = {**CATALOG, trn.name: trn}
    snap = Snapshot("eu-west-1", catalog, {n: ABC for n in catalog}).with_quotas({("trn", "on-demand"): 16})
    plan = make_plan(snap, family="neuron", markets=["on-demand"])
    t = only(plan.families, "trn", "on-demand")
    assert t.recommendation is not None
    assert (t.recommendation.instance_type, t.recommendation.max_replicas) == ("trn1.2xlarge", 2)
    assert [c.instance_type for c in t.fits] == ["trn1.2xlarge"]  # no Inferentia type in the trn family


def test_a_gpu_target_that_fits_nowhere_is_no_fit() -> None:
    snap = snapshot({("g", "spot"): 4, ("g", "on-demand"): 4, ("inf", "spot"): 8})
    plan = make_plan(snap, family="all", markets=["spot", "on-demand"], target_gpus=64)
    assert any(f.recommendation for f in plan.families)  # something fits today ...
    assert not plan.fits  # ... but not the 64 GPUs asked for
    assert plan.to_dict()["fits"] is False
    small = make_plan(snap, family="all", markets=["spot", "on-demand"], target_gpus=1)
    assert small.fits
    # enough Spot quota for 2 GPUs, not enough On-Demand: one market that fits is enough
    roomy = snapshot({("g", "spot"): 8, ("g", "on-demand"): 4})
    two = make_plan(roomy, family="nvidia", markets=["spot", "on-demand"], target_gpus=2)
    assert [f.target.fits for f in two.families if f.family == "g" and f.target] == [True, False]
    assert two.fits


def test_plans_are_values() -> None:
    plan = make_plan(snapshot({("g", "spot"): 4}), family="nvidia", markets=["spot"], target_gpus=2)
    g = only(plan.families, "g", "spot")
    assert g.recommendation is not None and g.target is not None
    for value, field in ((plan, "region"), (g, "used"), (g.recommendation, "vcpus"), (g.target, "count")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(value, field, 0)


def test_a_plan_as_data_is_plain_yaml_and_json() -> None:
    import json

    import yaml

    plan = make_plan(snapshot({("g", "spot"): 8}), family="nvidia", markets=["spot"], target_gpus=2)
    data = plan.to_dict()
    # plain data: safe_dump refuses tuples and other Python objects
    assert yaml.safe_load(yaml.safe_dump(data)) == json.loads(json.dumps(data)) == data
    assert isinstance(data["zones"], list) and data["zones"]
    fits = [c for f in data["families"] for c in f["fits"]]
    assert fits and all(isinstance(c["zones"], list) for c in fits)


def test_a_type_is_planned_only_in_the_markets_it_runs_in() -> None:
    on_demand_only = dataclasses.replace(typed("p5.4xlarge", 81920), usage_classes=("on-demand",))
    catalog = {on_demand_only.name: on_demand_only}
    snap = Snapshot("eu-west-1", catalog, {n: ABC for n in catalog}).with_quotas(
        {("p", "spot"): 8, ("p", "on-demand"): 8}
    )
    plan = make_plan(snap, family="nvidia", markets=["spot", "on-demand"])
    assert only(plan.families, "p", "spot").fits == ()
    assert [c.instance_type for c in only(plan.families, "p", "on-demand").fits] == ["p5.4xlarge"]


def test_architecture_all_plans_arm64_types_too() -> None:
    snap = snapshot({("g", "spot"): 4})
    names = {
        arch: [
            c.instance_type
            for c in only(make_plan(snap, markets=["spot"], architecture=arch).families, "g", "spot").fits
        ]
        for arch in ("x86_64", "arm64", "all")
    }
    assert "g5g.xlarge" not in names["x86_64"]
    assert names["arm64"] == ["g5g.xlarge"]
    assert sorted(names["all"]) == sorted(names["x86_64"] + names["arm64"])


def test_memory_in_gib_is_rounded_to_two_places() -> None:
    odd = InstanceTypeInfo("g6z.xlarge", 4, 16385, ("x86_64",), "nvidia", "GPU", 1, 1.0, 22889)
    catalog = {odd.name: odd}
    snap = Snapshot("eu-west-1", catalog, {odd.name: ABC}).with_quotas({("g", "on-demand"): 4})
    (fit,) = only(make_plan(snap, markets=["on-demand"]).families, "g", "on-demand").to_dict()["fits"]
    assert (fit["memoryGiB"], fit["acceleratorMemoryGiB"]) == (round(16385 / 1024, 2), round(22889 / 1024, 2))
    assert fit["memoryGiB"] != round(16385 / 1024, 3)  # (the figures have a third decimal to lose)


def test_a_type_exactly_at_the_memory_floor_counts() -> None:
    floor = A10G / 1024  # the A10G's memory, in GiB, exactly
    snap = snapshot({("g", "spot"): 4})
    plan = make_plan(snap, family="nvidia", markets=["spot"], min_accelerator_memory_gib=floor)
    assert [c.instance_type for c in only(plan.families, "g", "spot").fits] == ["g5.xlarge"]


def test_a_used_up_quota_leaves_no_replica_even_of_a_one_vcpu_type() -> None:
    tiny = InstanceTypeInfo("g9.small", 1, 4096, ("x86_64",), "nvidia", "GPU", 1, 1.0, 8192)
    catalog = {tiny.name: tiny}
    for used in (4, 6):  # all of it, and more than all (a quota lowered under what runs)
        running = (RunningInstance("g5.xlarge", "eu-west-1a", True, used),)
        snap = Snapshot("eu-west-1", catalog, {tiny.name: ABC}, {}, {}, running).with_quotas(
            {("g", "spot"): 4}
        )
        g = only(make_plan(snap, markets=["spot"]).families, "g", "spot")
        assert (g.headroom, g.fits, g.recommendation) == (0, (), None), used
