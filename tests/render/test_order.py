"""The order of rendered objects: by sync wave (as a number, as Argo CD reads it), then kind, namespace
and name; the same objects in any input order come out the same."""

from __future__ import annotations

import random
from typing import Any

from cluster_capacity.config import load_env
from cluster_capacity.render import render, sort_key
from tests.conftest import EXAMPLES


def obj(kind: str, name: str, wave: str | None = None, namespace: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if wave is not None:
        meta["annotations"] = {"argocd.argoproj.io/sync-wave": wave}
    return {"apiVersion": "v1", "kind": kind, "metadata": meta}


def test_waves_sort_as_numbers() -> None:
    waves = (("ten", "10"), ("two", "2"), ("one", "1"), ("minus", "-1"))
    objects = [obj("ConfigMap", n, wave) for n, wave in waves]
    objects.append(obj("ConfigMap", "zero"))  # no wave annotation: wave 0, as Argo CD reads it
    got = [o["metadata"]["name"] for o in sorted(objects, key=sort_key)]
    assert got == ["minus", "zero", "one", "two", "ten"]


def test_within_a_wave_kinds_then_namespaces_then_names() -> None:
    objects = [
        obj("MachineSet", "b", "0", "openshift-machine-api"),
        obj("MachineSet", "a", "0", "openshift-machine-api"),
        obj("Subscription", "nfd", "0", "openshift-nfd"),
        obj("Subscription", "gpu-operator-certified", "0", "nvidia-gpu-operator"),
        obj("Namespace", "openshift-nfd", "0"),
        obj("SomethingElse", "a", "0"),  # a kind the order does not know comes after those it knows
    ]
    got = [(o["kind"], o["metadata"]["name"]) for o in sorted(objects, key=sort_key)]
    # namespaces before what lives in them, Subscriptions (operators) before the machines
    assert got == [
        ("Namespace", "openshift-nfd"),
        ("Subscription", "gpu-operator-certified"),  # nvidia-gpu-operator < openshift-nfd
        ("Subscription", "nfd"),
        ("MachineSet", "a"),
        ("MachineSet", "b"),
        ("SomethingElse", "a"),
    ]


def test_render_order_does_not_depend_on_input_order() -> None:
    values = load_env(EXAMPLES / "neuron", "inference").values
    objects = render(values, "inference")
    shuffled = objects[:]
    random.Random(7).shuffle(shuffled)
    assert sorted(shuffled, key=sort_key) == objects


def test_objects_of_one_kind_and_name_in_two_namespaces_are_both_kept() -> None:
    from tests.render.conftest import gpu_values

    same = {"operatorGroup": {"name": "operators"}, "subscription": {"name": "operator"}}
    values = gpu_values(nvidia={**same, "nfd": same})
    objects = render(values, "prod")
    groups = [
        (o["metadata"]["namespace"], o["metadata"]["name"]) for o in objects if o["kind"] == "OperatorGroup"
    ]
    assert groups == [("nvidia-gpu-operator", "operators"), ("openshift-nfd", "operators")]
    # ... while a Namespace two operators both render is written once
    names = [o["metadata"]["name"] for o in objects if o["kind"] == "Namespace"]
    assert len(names) == len(set(names))
