"""Properties of GPU sharing: every valid sharing config renders manifests the CRDs accept and the GPU
Operator can act on; any sharing config at all either renders or is refused with a located ConfigError."""

from __future__ import annotations

import copy
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cluster_capacity import gpus, instances, labels
from cluster_capacity.config.project import values_from_layered
from cluster_capacity.config.sources import Layered, Source
from cluster_capacity.errors import ConfigError
from cluster_capacity.render import render

NVIDIA_TYPES = [
    "g4dn.xlarge",
    "g5.12xlarge",
    "g6.xlarge",
    "g6e.48xlarge",
    "p4d.24xlarge",
    "p5.48xlarge",
    "p5e.48xlarge",
    "g7e.2xlarge",
]
ANY_TYPES = [*NVIDIA_TYPES, "m6i.large", "inf2.xlarge", "p6-b300.48xlarge"]
PROFILES = sorted({p for table in gpus.MIG_PROFILES.values() for p in table} | {"all-9g.999gb"})

time_slicing = st.fixed_dictionaries(
    {"replicas": st.integers(2, 16)},
    optional={"renameByDefault": st.booleans(), "failRequestsGreaterThanOne": st.booleans()},
)


@st.composite
def valid_sharing(draw: st.DrawFn, instance_type: str) -> dict[str, Any] | None:
    profiles = sorted(gpus.mig_profiles(instance_type))
    choice = draw(st.sampled_from(["none", "time", "mig"] if profiles else ["none", "time"]))
    if choice == "time":
        return {"timeSlicing": draw(time_slicing)}
    if choice == "mig":
        return {"mig": {"profile": draw(st.sampled_from(profiles))}}
    return None


def pool(suffix: str, instance_type: str, sharing: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "enabled": True,
        "nameSuffix": suffix,
        "providerSpec": {"instanceType": instance_type, "placement": {"availabilityZone": "us-west-2a"}},
        "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}],
    }
    if sharing is not None:
        out["gpuSharing"] = sharing
    return out


def values_of(machine_sets: list[dict[str, Any]]) -> Any:
    data = {"enabled": True, "infraID": "prod-x", "nvidia": {"enabled": True}, "machineSets": machine_sets}
    return values_from_layered(Layered(copy.deepcopy(data), [Source("gen.yaml", data)]))


@st.composite
def valid_configs(draw: st.DrawFn) -> list[dict[str, Any]]:
    types = draw(st.lists(st.sampled_from(NVIDIA_TYPES), min_size=1, max_size=4))
    return [pool(f"p{i}", t, draw(valid_sharing(t))) for i, t in enumerate(types)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_configs())
def test_valid_sharing_renders_what_the_operator_can_act_on(
    schema_check: Any, machine_sets: list[Any]
) -> None:
    values = values_of(machine_sets)
    objects = render(values, "gen")
    schema_check(objects)
    configmaps = [
        o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "device-plugin-config"
    ]
    (policy,) = [o for o in objects if o["kind"] == "ClusterPolicy"]
    keys = set(configmaps[0]["data"]) if configmaps else set()
    if configmaps:
        assert policy["spec"]["devicePlugin"]["config"] == {
            "name": "device-plugin-config",
            "default": "default",
        }
        for text in configmaps[0]["data"].values():
            doc = yaml.safe_load(text)
            assert doc["version"] == "v1" and doc["flags"]["migStrategy"] == policy["spec"]["mig"]["strategy"]
    for ms, cfg in zip([o for o in objects if o["kind"] == "MachineSet"], machine_sets, strict=True):
        node_labels = ms["spec"]["template"]["spec"]["metadata"]["labels"]
        sharing = cfg.get("gpuSharing") or {}
        if "timeSlicing" in sharing:
            assert node_labels[labels.DEVICE_PLUGIN_CONFIG] in keys
            replicas = yaml.safe_load(configmaps[0]["data"][node_labels[labels.DEVICE_PLUGIN_CONFIG]])
            assert (
                replicas["sharing"]["timeSlicing"]["resources"][0]["replicas"]
                == sharing["timeSlicing"]["replicas"]
            )
        elif "mig" in sharing:
            assert node_labels[labels.MIG_CONFIG] in gpus.mig_profiles(cfg["providerSpec"]["instanceType"])
            assert labels.DEVICE_PLUGIN_CONFIG not in node_labels
        else:
            assert labels.DEVICE_PLUGIN_CONFIG not in node_labels and labels.MIG_CONFIG not in node_labels
    mig = [c for c in machine_sets if "mig" in (c.get("gpuSharing") or {})]
    if mig:
        balanced = any(c["gpuSharing"]["mig"]["profile"] == "all-balanced" for c in mig)
        assert policy["spec"]["mig"]["strategy"] == ("mixed" if balanced else "single")


sharing_anything = st.one_of(
    st.fixed_dictionaries({"timeSlicing": st.fixed_dictionaries({"replicas": st.integers(-1, 5)})}),
    st.fixed_dictionaries({"mig": st.fixed_dictionaries({"profile": st.sampled_from(PROFILES)})}),
    st.just({}),
    st.just({"timeSlicing": {"replicas": 2}, "mig": {"profile": "all-1g.10gb"}}),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(ANY_TYPES), sharing_anything), min_size=1, max_size=3))
def test_any_sharing_renders_or_is_refused_with_a_location(pairs: list[tuple[str, dict[str, Any]]]) -> None:
    machine_sets = [pool(f"p{i}", t, s) for i, (t, s) in enumerate(pairs)]
    try:
        values = values_of(machine_sets)
    except ConfigError as exc:
        assert exc.problems and all(
            p.path.startswith(("machineSets[", "inferentia", "autoscaling")) for p in exc.problems
        )
        return
    render(values, "gen")
    for t, s in pairs:
        if s.get("mig"):
            assert s["mig"]["profile"] in gpus.mig_profiles(t), (t, s)
        if s:
            assert instances.accelerator_kind(t) == "nvidia"
