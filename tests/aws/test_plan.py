"""Pure planning logic over hand-made snapshots: no AWS, no moto."""

from __future__ import annotations

import json

from cluster_capacity.aws.plan import (
    InstanceTypeInfo,
    PoolDemand,
    Quota,
    RunningInstance,
    Snapshot,
    check_pools,
    increase_command,
    make_plan,
    pool_demands,
)

A10G = 22888  # MiB, as DescribeInstanceTypes reports it
_TYPES = [
    InstanceTypeInfo("g4dn.xlarge", 4, 16384, ("x86_64",), "nvidia", "T4", 1, 1.0, 16384),
    InstanceTypeInfo("g5.xlarge", 4, 16384, ("x86_64",), "nvidia", "A10G", 1, 1.0, A10G),
    InstanceTypeInfo("g5.2xlarge", 8, 32768, ("x86_64",), "nvidia", "A10G", 1, 1.0, A10G),
    InstanceTypeInfo("g5.12xlarge", 48, 196608, ("x86_64",), "nvidia", "A10G", 4, 1.0, A10G),
    InstanceTypeInfo("g5g.xlarge", 4, 8192, ("arm64",), "nvidia", "T4g", 1, 1.0, 16384),
    InstanceTypeInfo("g6.xlarge", 4, 16384, ("x86_64",), "nvidia", "L4", 1, 1.0, A10G),
    InstanceTypeInfo("g6e.xlarge", 4, 32768, ("x86_64",), "nvidia", "L40S", 1, 1.0, 45776),
    InstanceTypeInfo("g6f.large", 2, 8192, ("x86_64",), "nvidia", "L4", 0, 0.125, 2861),
    InstanceTypeInfo("p5.4xlarge", 16, 262144, ("x86_64",), "nvidia", "H100", 1, 1.0, 81920),
    InstanceTypeInfo("inf1.xlarge", 4, 8192, ("x86_64",), "neuron", "Inferentia", 1, 1.0, 8192, 4),
    InstanceTypeInfo("inf1.2xlarge", 8, 16384, ("x86_64",), "neuron", "Inferentia", 1, 1.0, 8192, 4),
    InstanceTypeInfo("inf2.xlarge", 4, 16384, ("x86_64",), "neuron", "Inferentia2", 1, 1.0, 32768, 2),
    InstanceTypeInfo("inf2.8xlarge", 32, 131072, ("x86_64",), "neuron", "Inferentia2", 1, 1.0, 32768, 2),
    InstanceTypeInfo("m5.xlarge", 4, 16384),
]
CATALOG = {t.name: t for t in _TYPES}
ABC = frozenset({"eu-west-1a", "eu-west-1b", "eu-west-1c"})


def snapshot(
    quotas: dict[tuple[str, str], int] | None = None,
    offered: dict[str, frozenset[str]] | None = None,
    instances: tuple[RunningInstance, ...] = (),
    prices: dict[str, dict[str, float]] | None = None,
) -> Snapshot:
    """eu-west-1 as moto describes it: no g6 family there, everything else in a, b and c."""
    if offered is None:
        offered = {n: ABC for n in CATALOG if not n.startswith("g6")}
    snap = Snapshot("eu-west-1", CATALOG, offered, prices or {}, {}, instances)
    return snap.with_quotas(quotas or {})  # type: ignore[arg-type]


def only(plan_families, family: str, market: str):  # type: ignore[no-untyped-def]
    [found] = [f for f in plan_families if f.family == family and f.market == market]
    return found


def test_four_g_spot_vcpus_recommend_g5_xlarge() -> None:
    plan = make_plan(snapshot({("g", "spot"): 4}), family="nvidia", markets=["spot"])
    g = only(plan.families, "g", "spot")
    assert g.recommendation is not None
    assert g.recommendation.instance_type == "g5.xlarge"
    assert g.recommendation.max_replicas == 1
    # Every type that fits 4 vCPUs is listed; 8-vCPU types and arm64 types are not.
    assert [c.instance_type for c in g.fits] == ["g5.xlarge", "g4dn.xlarge"]
    assert plan.fits


def test_eight_inf_spot_vcpus_recommend_inf2_xlarge() -> None:
    plan = make_plan(snapshot({("inf", "spot"): 8}), family="neuron", markets=["spot"])
    inf = only(plan.families, "inf", "spot")
    assert inf.recommendation is not None
    assert inf.recommendation.instance_type == "inf2.xlarge"
    assert inf.recommendation.max_replicas == 2
    assert inf.recommendation.neuron_cores == 2
    assert [c.instance_type for c in inf.fits] == ["inf2.xlarge", "inf1.xlarge", "inf1.2xlarge"]


def test_newest_generation_then_least_memory_wins_among_equal_vcpus() -> None:
    everywhere = {n: ABC for n in CATALOG}
    plan = make_plan(snapshot({("g", "spot"): 4}, offered=everywhere), family="nvidia", markets=["spot"])
    g = only(plan.families, "g", "spot")
    assert g.recommendation is not None
    assert g.recommendation.instance_type == "g6.xlarge"  # gen 6 beats g5; L4 (22 GiB) before L40S (45 GiB)
    # The fractional g6f.large fits and is listed first (2 vCPUs) but is never recommended.
    assert g.fits[0].instance_type == "g6f.large"
    assert g.fits[0].accelerator_fraction == 0.125


def test_spot_price_breaks_ties_then_name() -> None:
    twins = {
        "g5.xlarge": CATALOG["g5.xlarge"],
        "g5n.xlarge": InstanceTypeInfo("g5n.xlarge", 4, 16384, ("x86_64",), "nvidia", "A10G", 1, 1.0, A10G),
    }
    offered = {n: ABC for n in twins}
    prices = {"g5.xlarge": {"eu-west-1a": 0.40}, "g5n.xlarge": {"eu-west-1b": 0.31, "eu-west-1c": 0.35}}
    snap = Snapshot("eu-west-1", twins, offered, prices).with_quotas({("g", "spot"): 4})
    g = only(make_plan(snap, family="nvidia", markets=["spot"]).families, "g", "spot")
    assert g.recommendation is not None
    assert (g.recommendation.instance_type, g.recommendation.spot_price) == ("g5n.xlarge", 0.31)
    no_prices = Snapshot("eu-west-1", twins, offered).with_quotas({("g", "spot"): 4})
    g = only(make_plan(no_prices, family="nvidia", markets=["spot"]).families, "g", "spot")
    assert g.recommendation is not None and g.recommendation.instance_type == "g5.xlarge"


def test_memory_floor_excludes_smaller_accelerators() -> None:
    plan = make_plan(
        snapshot({("g", "spot"): 8}), family="nvidia", markets=["spot"], min_accelerator_memory_gib=20
    )
    g = only(plan.families, "g", "spot")
    assert [c.instance_type for c in g.fits] == ["g5.xlarge", "g5.2xlarge"]
    plan = make_plan(
        snapshot({("g", "spot"): 8}), family="nvidia", markets=["spot"], min_accelerator_memory_gib=23
    )
    g = only(plan.families, "g", "spot")
    assert g.fits == () and g.recommendation is None
    assert not plan.fits


def test_max_replicas_is_floor_of_headroom_over_vcpus() -> None:
    g = only(make_plan(snapshot({("g", "on-demand"): 11}), markets=["on-demand"]).families, "g", "on-demand")
    replicas = {c.instance_type: c.max_replicas for c in g.fits}
    assert replicas == {"g5.xlarge": 2, "g4dn.xlarge": 2, "g5.2xlarge": 1}


def test_running_spot_instances_eat_the_headroom() -> None:
    running = (
        RunningInstance("g5.xlarge", "eu-west-1a", True, 4, "prod-gpu-a-x1"),
        RunningInstance("g5.xlarge", "eu-west-1b", False, 4, "other"),  # On-Demand: another quota
        RunningInstance("m5.xlarge", "eu-west-1b", True, 4, "web"),  # Standard: another quota
    )
    snap = snapshot({("g", "spot"): 8, ("g", "on-demand"): 8}, instances=running)
    assert snap.used(("g", "spot")) == 4
    plan = make_plan(snap, family="nvidia")
    spot = only(plan.families, "g", "spot")
    assert (spot.quota.value if spot.quota else None, spot.used, spot.headroom) == (8, 4, 4)
    assert spot.recommendation is not None and spot.recommendation.max_replicas == 1
    full = snapshot({("g", "spot"): 4}, instances=running)
    spot = only(make_plan(full, family="nvidia", markets=["spot"]).families, "g", "spot")
    assert spot.headroom == 0 and spot.fits == () and spot.recommendation is None
    assert spot.smallest is not None and spot.smallest.instance_type == "g5.xlarge"


def test_zones_limit_where_a_type_counts_as_offered() -> None:
    offered = {"g5.xlarge": frozenset({"eu-west-1a"}), "g4dn.xlarge": ABC}
    plan = make_plan(snapshot({("g", "spot"): 4}, offered=offered), markets=["spot"], zones=["eu-west-1b"])
    g = only(plan.families, "g", "spot")
    assert [c.instance_type for c in g.fits] == ["g4dn.xlarge"]
    assert g.fits[0].zones == ("eu-west-1b",)
    assert plan.zones == ("eu-west-1b",)


def test_what_if_overrides_replace_reported_quotas() -> None:
    snap = Snapshot("eu-west-1", CATALOG, {"g5.xlarge": ABC}, quotas={("g", "spot"): Quota("g", "spot", 64)})
    changed = snap.with_quotas({("g", "spot"): 4})
    assert changed.quotas[("g", "spot")] == Quota("g", "spot", 4, "override")
    assert snap.quotas[("g", "spot")].value == 64  # the original is untouched
    g = only(make_plan(changed, markets=["spot"]).families, "g", "spot")
    assert g.headroom == 4


def test_target_gpus_gives_the_quota_code_value_and_command() -> None:
    running = (RunningInstance("g5.xlarge", "eu-west-1a", True, 4),)
    snap = snapshot({("g", "spot"): 4}, instances=running)
    g = only(
        make_plan(snap, family="nvidia", markets=["spot"], target_gpus=3, profile="prod").families,
        "g",
        "spot",
    )
    target = g.target
    assert target is not None
    assert (target.instance_type, target.instances, target.vcpus_needed) == ("g5.xlarge", 3, 12)
    assert (target.quota_code, target.desired_value, target.fits) == ("L-3819A6DF", 16, False)
    assert target.command == (
        "aws service-quotas request-service-quota-increase --service-code ec2 --quota-code L-3819A6DF "
        "--desired-value 16 --region eu-west-1 --profile prod"
    )


def test_target_already_covered_needs_no_command() -> None:
    snap = snapshot({("inf", "spot"): 8})
    plan = make_plan(snap, family="neuron", markets=["spot"], target_neuron_devices=2)
    target = only(plan.families, "inf", "spot").target
    assert target is not None
    assert (target.vcpus_needed, target.fits, target.command) == (8, True, None)
    assert plan.fits


def test_target_counts_whole_instances() -> None:
    # 5 GPUs on g5.12xlarge (4 GPUs each) needs 2 instances when it is the only type offered.
    snap = snapshot({("g", "on-demand"): 0}, offered={"g5.12xlarge": ABC})
    plan = make_plan(snap, family="nvidia", markets=["on-demand"], target_gpus=5)
    target = only(plan.families, "g", "on-demand").target
    assert target is not None
    assert (target.instances, target.vcpus_needed, target.desired_value) == (2, 96, 96)
    assert not plan.fits


def test_increase_command_without_profile() -> None:
    assert increase_command("L-1945791B", 8, "us-east-1") == (
        "aws service-quotas request-service-quota-increase --service-code ec2 --quota-code L-1945791B "
        "--desired-value 8 --region us-east-1"
    )


def test_plan_to_dict_is_json_ready() -> None:
    plan = make_plan(snapshot({("g", "spot"): 4}), family="nvidia", markets=["spot"], target_gpus=1)
    data = json.loads(json.dumps(plan.to_dict()))
    g = data["families"][0]
    assert (g["quotaCode"], g["quota"], g["quotaSource"], g["headroom"]) == ("L-3819A6DF", 4, "override", 4)
    assert g["recommendation"] == "g5.xlarge"
    assert g["fits"][0]["zones"] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert g["target"]["fits"] is True


# --- pools ----------------------------------------------------------------------------------------


def test_pool_over_the_quota_fails_with_a_precise_message() -> None:
    pool = PoolDemand("gpu-a", "g5.xlarge", "eu-west-1a", spot=True, replicas=0, max_replicas=4)
    [problem] = check_pools([pool], snapshot({("g", "spot"): 4}))
    assert str(problem) == (
        "pool gpu-a: maxReplicas 4 of g5.xlarge needs 16 G and VT Spot vCPUs (quota L-3819A6DF), "
        "the quota is 4 (headroom 4)"
    )
    assert problem.pools == ("gpu-a",) and not problem.invalid


def test_pools_that_fit_pass() -> None:
    pools = [
        PoolDemand("gpu-a", "g5.xlarge", "eu-west-1a", spot=True, max_replicas=2),
        PoolDemand("inf", "inf2.xlarge", "eu-west-1b", spot=False, replicas=1),
    ]
    assert check_pools(pools, snapshot({("g", "spot"): 8, ("inf", "on-demand"): 4})) == []


def test_pools_summed_per_family_and_market() -> None:
    pools = [
        PoolDemand("gpu-a", "g5.xlarge", "eu-west-1a", spot=True, max_replicas=2),
        PoolDemand("gpu-b", "g4dn.xlarge", "eu-west-1b", spot=True, max_replicas=2),
        PoolDemand("gpu-c", "g5.xlarge", "eu-west-1c", spot=False, max_replicas=2),
    ]
    problems = check_pools(pools, snapshot({("g", "spot"): 12, ("g", "on-demand"): 8}))
    assert [str(p) for p in problems] == [
        "pools gpu-a, gpu-b: together their maximums need 16 G and VT Spot vCPUs (quota L-3819A6DF), "
        "the quota is 12 (headroom 12)"
    ]


def test_other_instances_reduce_headroom_but_the_pools_own_do_not() -> None:
    running = (
        RunningInstance("g5.xlarge", "eu-west-1a", True, 4, "prod-x-gpu-a-abcde"),  # the pool's own machine
        RunningInstance("g5.xlarge", "eu-west-1a", True, 4, "someone-else"),
    )
    pool = PoolDemand(
        "gpu-a", "g5.xlarge", "eu-west-1a", spot=True, max_replicas=2, machineset="prod-x-gpu-a"
    )
    assert check_pools([pool], snapshot({("g", "spot"): 12}, instances=running)) == []
    [problem] = check_pools([pool], snapshot({("g", "spot"): 8}, instances=running))
    assert str(problem).endswith("the quota is 8, 4 in use by other instances (headroom 4)")


def test_zone_that_does_not_offer_the_type() -> None:
    offered = {"g5.xlarge": frozenset({"eu-west-1a", "eu-west-1b"})}
    pool = PoolDemand("gpu-c", "g5.xlarge", "eu-west-1c", spot=True, max_replicas=1)
    [problem] = check_pools([pool], snapshot({("g", "spot"): 4}, offered=offered))
    assert (
        str(problem)
        == "pool gpu-c: g5.xlarge is not offered in eu-west-1c (offered in eu-west-1a, eu-west-1b)"
    )


def test_unknown_instance_type_is_invalid_input() -> None:
    pool = PoolDemand("gpu-x", "g5.xlarg", "eu-west-1a", spot=True, max_replicas=1)
    [problem] = check_pools([pool], snapshot({("g", "spot"): 4}))
    assert problem.invalid
    assert str(problem) == "pool gpu-x: instance type g5.xlarg does not exist in eu-west-1"


def test_market_the_type_does_not_support() -> None:
    od_only = dict(CATALOG)
    od_only["g5.xlarge"] = InstanceTypeInfo("g5.xlarge", 4, 16384, usage_classes=("on-demand",))
    snap = Snapshot("eu-west-1", od_only, {"g5.xlarge": ABC}).with_quotas({("g", "spot"): 4})
    pool = PoolDemand("gpu-a", "g5.xlarge", "eu-west-1a", spot=True, max_replicas=1)
    assert [str(p) for p in check_pools([pool], snap)] == ["pool gpu-a: g5.xlarge cannot run as Spot"]


def test_unknown_quota_asks_for_an_override() -> None:
    pool = PoolDemand("gpu-a", "g5.xlarge", "eu-west-1a", spot=True, max_replicas=1)
    [problem] = check_pools([pool], snapshot())
    assert "give it with --quota g:spot=VCPUS" in str(problem)


def test_pool_demands_from_config_values() -> None:
    from cluster_capacity.config import Values

    provider = {
        "instanceType": "g5.xlarge",
        "placement": {"availabilityZone": "us-west-2a"},
        "spotMarketOptions": {},
    }
    values = Values.model_validate(
        {
            "enabled": True,
            "infraID": "prod-x",
            "machineSets": [
                {"enabled": True, "nameSuffix": "gpu-a", "replicas": 1, "providerSpec": provider,
                 "autoscaler": {"enabled": True, "minReplicas": 0, "maxReplicas": 3}},
                {"enabled": True, "nameSuffix": "od", "replicas": 2,
                 "providerSpec": {"instanceType": "m5.xlarge", "placement": {"availabilityZone": "us-west-2b"}}},
                {"enabled": False, "nameSuffix": "off", "providerSpec": provider},
            ],
        }
    )  # fmt: skip
    assert pool_demands(values) == [
        PoolDemand("gpu-a", "g5.xlarge", "us-west-2a", True, 1, 3, "prod-x-gpu-a"),
        PoolDemand("od", "m5.xlarge", "us-west-2b", False, 2, None, "prod-x-od"),
    ]


def test_public_api_is_pinned() -> None:
    import cluster_capacity.aws.client
    import cluster_capacity.aws.plan

    assert set(cluster_capacity.aws.plan.__all__) == {
        "ACCELERATOR_FAMILIES", "MARKETS", "Candidate", "FamilyPlan", "InstanceTypeInfo", "Plan", "PoolDemand",
        "PoolProblem", "Quota", "QuotaKey", "RunningInstance", "Snapshot", "TargetAdvice", "check_pools",
        "increase_command", "load_snapshot", "make_plan", "parse_quota_override", "pool_demands", "rank_key",
        "region_of_zone",
    }  # fmt: skip
    assert set(cluster_capacity.aws.client.__all__) == {
        "IAM_ACTIONS", "Aws",
    }  # fmt: skip


def test_cli_start_up_does_not_import_boto3() -> None:
    import subprocess
    import sys

    code = "import sys, cluster_capacity.cli, cluster_capacity.aws.plan; print('boto3' in sys.modules, 'rich' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]
