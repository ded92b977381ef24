"""Cross-field config rules: each one fires, alone, with its exact path and message; valid input passes."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from cluster_capacity.config import load_values
from cluster_capacity.errors import ConfigError

SPEC: dict[str, Any] = {
    "instanceType": "g5.xlarge",
    "placement": {"availabilityZone": "us-west-2a", "region": "us-west-2"},
}


def pool(suffix: str = "gpu-a", **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"enabled": True, "nameSuffix": suffix, "providerSpec": copy.deepcopy(SPEC)}
    for key, value in fields.items():
        if value is None:
            out.pop(key, None)
        elif key == "providerSpec":
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def values(*pools: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"enabled": True, "infraID": "prod-x", "machineSets": list(pools), **top}


def problems(tmp_path: Path, data: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, message) of every problem loading ``data`` reports; [] when it loads."""
    f = tmp_path / "v.yaml"
    f.write_text(yaml.safe_dump(data, sort_keys=False))
    try:
        load_values([f])
    except ConfigError as exc:
        assert all(p.file == str(f) and p.line > 0 for p in exc.problems), exc.problems
        return [(p.path, p.message) for p in exc.problems]
    return []


def test_valid_values_have_no_problem(tmp_path: Path) -> None:
    assert problems(tmp_path, values(pool(), pool("gpu-b"))) == []


def test_infra_id_is_required_once_a_pool_is_enabled(tmp_path: Path) -> None:
    data = values(pool())
    del data["infraID"]
    assert problems(tmp_path, data) == [
        ("infraID", "required when a pool is enabled (run `cluster-capacity init` to read it)")
    ]
    data["machineSets"][0]["enabled"] = False
    assert problems(tmp_path, data) == []


def test_duplicate_pool_names(tmp_path: Path) -> None:
    assert problems(tmp_path, values(pool("a"), pool("b"), pool("a"))) == [
        ("machineSets[0].nameSuffix", "duplicate pool name 'a'"),
        ("machineSets[2].nameSuffix", "duplicate pool name 'a'"),
    ]


def test_machineset_name_is_at_most_63_characters(tmp_path: Path) -> None:
    # "prod-x-" is 7 characters: a 56-character suffix makes exactly 63
    at_limit = "a" * 56
    assert problems(tmp_path, values(pool(at_limit))) == []
    over = "a" * 57
    assert problems(tmp_path, values(pool(over))) == [
        (
            "machineSets[0].nameSuffix",
            f"MachineSet name 'prod-x-{over}' is 64 characters; it is a label value and must be <= 63",
        )
    ]


DNS_LABEL = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
    "start and end with an alphanumeric character (e.g. 'my-name' or '123-abc', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
LABEL_VALUE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and "
    "must start and end with an alphanumeric character (e.g. 'MyValue' or 'my_value' or '12345', regex "
    "used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
NAME_PART = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName' or 'my.name' or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)


@pytest.mark.parametrize(
    ("suffix", "message"),
    [("GPU", DNS_LABEL), ("gpu_a", DNS_LABEL), ("gpu-", DNS_LABEL), ("gpu.a", "must not contain dots")],
)
def test_machineset_name_is_a_dns_label(tmp_path: Path, suffix: str, message: str) -> None:
    assert problems(tmp_path, values(pool(suffix))) == [
        ("machineSets[0].nameSuffix", f'MachineSet name "prod-x-{suffix}": {message}')
    ]


@pytest.mark.parametrize("field", ["labels", "templateLabels", "nodeLabels"])
def test_label_keys_and_values(tmp_path: Path, field: str) -> None:
    ok = {"example.com/team": "a" * 63, "plain": "", "x.y/z_1.2-3": "A-b_c.9"}
    assert problems(tmp_path, values(pool(**{field: ok}))) == []
    bad = {"-bad": "v", "ok": "a" * 64, "also-ok": "-v", "fine": "v_"}
    assert problems(tmp_path, values(pool(**{field: bad}))) == [
        (f"machineSets[0].{field}.-bad", f'label key "-bad": {NAME_PART}'),
        (f"machineSets[0].{field}.ok", f'label value "{"a" * 64}": must be no more than 63 characters'),
        (f"machineSets[0].{field}.also-ok", f'label value "-v": {LABEL_VALUE}'),
        (f"machineSets[0].{field}.fine", f'label value "v_": {LABEL_VALUE}'),
    ]


def test_taint_keys_and_values(tmp_path: Path) -> None:
    taints = [
        {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"},
        {"key": "bad key", "effect": "NoSchedule"},
        {"key": "ok", "value": "has space", "effect": "NoSchedule"},
    ]
    assert problems(tmp_path, values(pool(taints=taints))) == [
        ("machineSets[0].taints[1].key", f'taint key "bad key": {NAME_PART}'),
        ("machineSets[0].taints[2].value", f'taint value "has space": {LABEL_VALUE}'),
    ]


def test_min_replicas_above_max(tmp_path: Path) -> None:
    assert problems(
        tmp_path, values(pool(autoscaler={"enabled": True, "minReplicas": 3, "maxReplicas": 2}))
    ) == [("machineSets[0].autoscaler.minReplicas", "minReplicas (3) is greater than maxReplicas (2)")]
    assert (
        problems(tmp_path, values(pool(autoscaler={"enabled": True, "minReplicas": 2, "maxReplicas": 2})))
        == []
    )


def test_enabled_pool_needs_a_provider_spec_and_a_disabled_one_does_not(tmp_path: Path) -> None:
    assert problems(tmp_path, values(pool(providerSpec=None))) == [
        (
            "machineSets[0].providerSpec",
            "required when the pool is enabled (copy it from a worker MachineSet: `cluster-capacity add-pool`)",
        )
    ]
    assert problems(tmp_path, values(pool(providerSpec=None, enabled=False))) == []
    # with the master switch off nothing renders, so nothing is required either
    assert problems(tmp_path, values(pool(providerSpec=None), enabled=False)) == []


def test_instance_type(tmp_path: Path) -> None:
    missing = pool()
    del missing["providerSpec"]["instanceType"]
    assert problems(tmp_path, values(missing)) == [
        ("machineSets[0].providerSpec.instanceType", "required: the EC2 instance type, e.g. g5.xlarge")
    ]
    assert problems(tmp_path, values(pool(providerSpec={"instanceType": ""}))) == [
        ("machineSets[0].providerSpec.instanceType", "required: the EC2 instance type, e.g. g5.xlarge")
    ]
    assert problems(tmp_path, values(pool(providerSpec={"instanceType": "g5 xlarge"}))) == [
        (
            "machineSets[0].providerSpec.instanceType",
            "'g5 xlarge' is not an EC2 instance type (e.g. g5.xlarge)",
        )
    ]


def test_spot_market_options_must_be_a_mapping(tmp_path: Path) -> None:
    assert problems(tmp_path, values(pool(providerSpec={"spotMarketOptions": "yes"}))) == [
        ("machineSets[0].providerSpec.spotMarketOptions", 'must be a mapping: {} or {maxPrice: "0.50"}')
    ]
    assert problems(tmp_path, values(pool(providerSpec={"spotMarketOptions": {"maxPrice": "0.50"}}))) == []


def test_spot_and_a_capacity_reservation(tmp_path: Path) -> None:
    both = {"spotMarketOptions": {}, "capacityReservationId": "cr-0123"}
    assert problems(tmp_path, values(pool(providerSpec=both))) == [
        (
            "machineSets[0].providerSpec.capacityReservationId",
            "Spot (spotMarketOptions) and a capacity reservation cannot be used together",
        )
    ]
    assert problems(tmp_path, values(pool(providerSpec={"capacityReservationId": "cr-0123"}))) == []
    assert (
        problems(tmp_path, values(pool(providerSpec={"spotMarketOptions": {}, "capacityReservationId": ""})))
        == []
    )


def test_market_type_must_agree_with_spot(tmp_path: Path) -> None:
    on_demand = {"spotMarketOptions": {}, "marketType": "OnDemand"}
    assert problems(tmp_path, values(pool(providerSpec=on_demand))) == [
        ("machineSets[0].providerSpec.marketType", "is 'OnDemand' but spotMarketOptions asks for Spot")
    ]
    for market in ("Spot", ""):
        assert (
            problems(tmp_path, values(pool(providerSpec={"spotMarketOptions": {}, "marketType": market})))
            == []
        )
    assert problems(tmp_path, values(pool(providerSpec={"marketType": "OnDemand"}))) == []


def test_cluster_autoscaler_name(tmp_path: Path) -> None:
    data = values(autoscaling={"clusterAutoscaler": {"name": "mine"}})
    assert problems(tmp_path, data) == [
        (
            "autoscaling.clusterAutoscaler.name",
            "must be 'default' (the operator ignores any other name), got 'mine'",
        )
    ]


def gpu_limits(*types: str, enabled: bool = True) -> dict[str, Any]:
    gpus = [{"type": t, "min": 0, "max": 2} for t in types]
    return {"clusterAutoscaler": {"enabled": enabled, "spec": {"resourceLimits": {"gpus": gpus}}}}


def test_gpu_limit_missing_for_a_labelled_pool(tmp_path: Path) -> None:
    t4 = pool("t4", providerSpec={"instanceType": "g4dn.xlarge"})
    assert problems(tmp_path, values(pool(), t4, autoscaling=gpu_limits("nvidia-a10g"))) == [
        (
            "autoscaling.clusterAutoscaler.spec.resourceLimits.gpus",
            "no limit for the GPU pools labelled nvidia-t4; add an entry with that type",
        )
    ]
    assert problems(tmp_path, values(pool(), t4, autoscaling=gpu_limits("nvidia-a10g", "nvidia-t4"))) == []


def test_gpu_limit_for_no_pool(tmp_path: Path) -> None:
    custom = pool("custom", nodeLabels={"cluster-api/accelerator": "a10g-big"})
    assert problems(tmp_path, values(custom, autoscaling=gpu_limits("a10g-big", "nvidia-a10g"))) == [
        (
            "autoscaling.clusterAutoscaler.spec.resourceLimits.gpus[1].type",
            "'nvidia-a10g' matches no GPU pool; types must equal the pools' cluster-api/accelerator labels: a10g-big",
        )
    ]


def test_gpu_limits_are_not_checked_when_nothing_is_to_match(tmp_path: Path) -> None:
    cpu = pool("cpu", providerSpec={"instanceType": "m6i.xlarge"})
    off = pool(enabled=False)
    assert (
        problems(tmp_path, values(cpu, off, autoscaling=gpu_limits("nvidia-t4"))) == []
    )  # no enabled GPU pool
    assert problems(tmp_path, values(pool(), autoscaling=gpu_limits("nvidia-t4", enabled=False))) == []
    assert problems(tmp_path, values(pool(), autoscaling={"clusterAutoscaler": {"enabled": True}})) == []
    assert problems(tmp_path, values(pool(), autoscaling=gpu_limits("nvidia-t4"), enabled=False)) == []


def test_operator_groups_single_namespace(tmp_path: Path) -> None:
    nvidia = {
        "enabled": True,
        "operatorGroup": {"targetNamespaces": []},
        "nfd": {"operatorGroup": {"targetNamespaces": ["openshift-nfd", "other"]}},
    }
    # [] means the install namespace, as in the Helm chart: only NFD's second namespace is refused
    assert problems(tmp_path, values(nvidia=nvidia)) == [
        (
            "nvidia.nfd.operatorGroup.targetNamespaces",
            "must be [openshift-nfd] (or [], which means the same): the operator supports only "
            "OwnNamespace/SingleNamespace install modes",
        ),
    ]
    nvidia["operatorGroup"]["targetNamespaces"] = ["default"]
    assert [p for p, _ in problems(tmp_path, values(nvidia=nvidia))] == [
        "nvidia.operatorGroup.targetNamespaces",
        "nvidia.nfd.operatorGroup.targetNamespaces",
    ]
    # not created here, or not rendered at all: nothing to check
    nvidia["operatorGroup"]["create"] = False
    nvidia["nfd"]["enabled"] = False
    assert problems(tmp_path, values(nvidia=nvidia)) == []
    assert problems(tmp_path, values(nvidia={"operatorGroup": {"targetNamespaces": []}})) == []


def test_problems_carry_the_line_of_the_key(tmp_path: Path) -> None:
    f = tmp_path / "v.yaml"
    f.write_text(
        "enabled: true\ninfraID: prod-x\nmachineSets:\n  - enabled: true\n    nameSuffix: a\n"
        "    providerSpec:\n      instanceType: g5.xlarge\n      spotMarketOptions: {}\n"
        "      marketType: OnDemand\n"
    )
    with pytest.raises(ConfigError) as info:
        load_values([f])
    assert info.value.lines() == [
        f"{f}:9: machineSets[0].providerSpec.marketType: is 'OnDemand' but spotMarketOptions asks for Spot"
    ]


def test_resource_limit_shapes(tmp_path: Path) -> None:
    def limits(value: Any) -> dict[str, Any]:
        return {"clusterAutoscaler": {"enabled": True, "spec": {"resourceLimits": value}}}

    base = "autoscaling.clusterAutoscaler.spec.resourceLimits"
    assert problems(tmp_path, values(pool(), autoscaling=limits([1]))) == [
        (base, "must be a mapping (maxNodesTotal, cores, memory, gpus)")
    ]
    assert problems(tmp_path, values(pool(), autoscaling=limits({"gpus": {"type": "nvidia-a10g"}}))) == [
        (f"{base}.gpus", "must be a list of {type, min, max}")
    ]
    gpus = ["nvidia-a10g", {"type": 3, "min": 0, "max": 1}, {"type": "nvidia-a10g", "min": 0, "max": 1}]
    assert problems(tmp_path, values(pool(), autoscaling=limits({"gpus": gpus}))) == [
        (f"{base}.gpus[0]", "must be a mapping with a string type"),
        (f"{base}.gpus[1].type", "must be a string"),
    ]
    assert problems(tmp_path, values(pool(), autoscaling=limits({"maxNodesTotal": 3}))) == []


def test_gpu_limit_messages_list_labels_sorted(tmp_path: Path) -> None:
    # six labels: a set's order (which changes with the hash seed) is the sorted one once in 720 runs
    names = ["zeta", "alpha", "mid", "kappa", "beta", "omega"]
    pools = [pool(n[0], nodeLabels={"cluster-api/accelerator": n}) for n in names]
    limited = gpu_limits("other", "mid", "kappa", "beta", "omega")
    assert problems(tmp_path, values(*pools, autoscaling=limited)) == [
        (
            "autoscaling.clusterAutoscaler.spec.resourceLimits.gpus[0].type",
            "'other' matches no GPU pool; types must equal the pools' cluster-api/accelerator labels: "
            "alpha, beta, kappa, mid, omega, zeta",
        ),
        (
            "autoscaling.clusterAutoscaler.spec.resourceLimits.gpus",
            "no limit for the GPU pools labelled alpha, zeta; add an entry with that type",
        ),
    ]


def test_neuron_gate_messages(tmp_path: Path) -> None:
    hint = "run `cluster-capacity inferentia check --env ENV --write` against the cluster to open the gate"
    inf2 = pool("inf2", providerSpec={"instanceType": "inf2.xlarge"})
    assert problems(tmp_path, values(inf2)) == [
        (
            "machineSets[0].providerSpec.instanceType",
            f"inf2.xlarge is a Neuron (Inferentia/Trainium) type, which is gated: set inferentia.enabled and {hint}",
        )
    ]
    assert problems(tmp_path, values(inf2, inferentia={"enabled": True})) == [
        ("inferentia.enabled", f"the gate is closed: no feasibility check is recorded; {hint}")
    ]
