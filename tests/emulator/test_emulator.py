"""The emulator itself: selectors, patches, status/scale subresources, faults, discovery."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.emulator import TOKEN, KubeEmulator, openshift
from tests.emulator.patch import json_patch, merge_patch, strategic_merge_patch
from tests.emulator.selectors import SelectorError, parse_field_selector, parse_label_selector


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ("a=b", {"a": "b"}, True),
        ("a==b", {"a": "c"}, False),
        ("a!=b", {}, True),
        ("a!=b", {"a": "b"}, False),
        ("a in (x, y)", {"a": "y"}, True),
        ("a in (x,y)", {}, False),
        ("a notin (x,y)", {}, True),
        ("a notin (x,y)", {"a": "x"}, False),
        ("a", {"a": ""}, True),
        ("!a", {"a": ""}, False),
        ("a=b,c in (d),!e", {"a": "b", "c": "d"}, True),
        ("a=b,c in (d),!e", {"a": "b", "c": "d", "e": "1"}, False),
        ("", {"anything": "x"}, True),
    ],
)
def test_label_selectors(selector: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_label_selector(selector)(labels) is expected


def test_field_selectors() -> None:
    pod = {
        "metadata": {"name": "p", "namespace": "d"},
        "spec": {"nodeName": "n"},
        "status": {"phase": "Running"},
    }
    assert parse_field_selector("spec.nodeName=n,status.phase!=Failed", "pods")(pod)
    assert not parse_field_selector("metadata.name=q", "pods")(pod)
    with pytest.raises(SelectorError, match=r"field label not supported: spec\.replicas"):
        parse_field_selector("spec.replicas=1", "machinesets")
    with pytest.raises(SelectorError):
        parse_label_selector("a in (x")


def test_patches() -> None:
    assert merge_patch({"a": {"b": 1, "c": 2}}, {"a": {"b": None, "d": 3}}) == {"a": {"c": 2, "d": 3}}
    target = {"spec": {"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "2"}]}}
    patched = strategic_merge_patch(
        target, {"spec": {"containers": [{"name": "b", "image": "3"}, {"name": "c"}]}}
    )
    assert patched["spec"]["containers"] == [
        {"name": "a", "image": "1"},
        {"name": "b", "image": "3"},
        {"name": "c"},
    ]
    assert merge_patch(target, {"spec": {"containers": [{"name": "c"}]}})["spec"]["containers"] == [
        {"name": "c"}
    ]
    assert json_patch(
        {"a": [1]},
        [{"op": "add", "path": "/a/-", "value": 2}, {"op": "replace", "path": "/b", "value": 0}][:1],
    ) == {"a": [1, 2]}


def _http(
    emu: KubeEmulator,
    method: str,
    path: str,
    body: Any = None,
    ctype: str = "application/json",
    token: str = TOKEN,
) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        emu.url + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": ctype},
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, _body(resp.headers.get("Content-Type", ""), resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, _body(exc.headers.get("Content-Type", ""), exc.read())


def _body(content_type: str, raw: bytes) -> Any:
    return json.loads(raw) if content_type.startswith("application/json") else raw.decode()


def test_status_subresource_splits_writers(kube_emulator: KubeEmulator) -> None:
    seeded = openshift.seed_cluster(kube_emulator)
    ns = "/apis/machine.openshift.io/v1beta1/namespaces/openshift-machine-api"
    base = f"{ns}/machinesets/{seeded.gpu_machineset}"
    code, obj = _http(
        kube_emulator,
        "PATCH",
        base,
        {"spec": {"replicas": 5}, "status": {"replicas": 9}},
        "application/merge-patch+json",
    )
    assert code == 200 and obj["spec"]["replicas"] == 5 and obj["status"]["replicas"] == 1
    assert obj["metadata"]["generation"] == 3
    code, obj = _http(
        kube_emulator,
        "PATCH",
        base + "/status",
        {"spec": {"replicas": 0}, "status": {"replicas": 4}},
        "application/merge-patch+json",
    )
    assert code == 200 and obj["spec"]["replicas"] == 5 and obj["status"]["replicas"] == 4


def test_update_with_stale_resource_version_conflicts(kube_emulator: KubeEmulator) -> None:
    stored = kube_emulator.add(openshift.cluster_policy())
    stale = {**stored, "metadata": {**stored["metadata"], "resourceVersion": "1"}}
    code, body = _http(kube_emulator, "PUT", "/apis/nvidia.com/v1/clusterpolicies/cluster-policy", stale)
    assert code == 409 and body["reason"] == "Conflict"


def test_discovery_and_unserved_groups(kube_emulator: KubeEmulator) -> None:
    code, groups = _http(kube_emulator, "GET", "/apis")
    assert code == 200 and "config.openshift.io" in {g["name"] for g in groups["groups"]}
    code, res = _http(kube_emulator, "GET", "/apis/machine.openshift.io/v1beta1")
    assert "machinesets/scale" in {r["name"] for r in res["resources"]}
    kube_emulator.unserve_group("config.openshift.io")
    # What kube-apiserver's last handler (http.NotFound) answers for a group nobody serves: plain text.
    page = (404, "404 page not found\n")
    assert _http(kube_emulator, "GET", "/apis/config.openshift.io") == page
    assert _http(kube_emulator, "GET", "/apis/config.openshift.io/v1/infrastructures/cluster") == page
    assert _http(kube_emulator, "GET", "/apis/machine.openshift.io/v1beta1/namespaces/x/nopes") == page
    assert _http(kube_emulator, "GET", "/healthz/nope") == page
    # A built-in group without the resource: go-restful's Status, naming no object.
    code, body = _http(kube_emulator, "GET", "/api/v1/nopes")
    assert code == 404 and body["message"] == "the server could not find the requested resource"
    assert "details" not in body


def test_faults_are_counted_and_consumed(kube_emulator: KubeEmulator) -> None:
    kube_emulator.fault(verb="list", resource="nodes", status=429, times=1, retry_after=2)
    code, body = _http(kube_emulator, "GET", "/api/v1/nodes")
    assert code == 429 and body["details"]["retryAfterSeconds"] == 2
    assert _http(kube_emulator, "GET", "/api/v1/nodes")[0] == 200
    assert kube_emulator.count(path="/api/v1/nodes") == 2
    assert _http(kube_emulator, "GET", "/api/v1/nodes", token="wrong")[0] == 401


def test_hooks_let_a_test_play_the_controller(kube_emulator: KubeEmulator) -> None:
    seeded = openshift.seed_cluster(kube_emulator)
    seen: list[tuple[str, str]] = []
    kube_emulator.on_write(lambda verb, rtype, obj: seen.append((verb, rtype.kind)))
    path = (
        f"/apis/machine.openshift.io/v1beta1/namespaces/openshift-machine-api/machinesets/"
        f"{seeded.gpu_machineset}/scale"
    )
    code, scale = _http(
        kube_emulator, "PATCH", path, {"spec": {"replicas": 2}}, "application/merge-patch+json"
    )
    assert code == 200 and scale["kind"] == "Scale" and scale["spec"]["replicas"] == 2
    assert seen == [("patch", "MachineSet")]


def test_advance_and_fail_machine(kube_emulator: KubeEmulator) -> None:
    seeded = openshift.seed_cluster(kube_emulator)
    ms = kube_emulator.get("MachineSet", seeded.gpu_machineset, "openshift-machine-api")
    m = kube_emulator.add(openshift.machine(ms, 7, "Provisioning"))
    name = m["metadata"]["name"]
    running = openshift.advance_machine(kube_emulator, name, "Running")
    assert running["status"]["phase"] == "Running" and running["status"]["nodeRef"]["name"].startswith("ip-")
    failed = openshift.fail_machine(kube_emulator, name, "VcpuLimitExceeded")
    assert failed["status"]["phase"] == "Failed"
    assert failed["status"]["errorMessage"].startswith(
        "error launching instance: You have requested more vCPU"
    )


def test_discovery_names_short_names_and_categories(kube_emulator: KubeEmulator) -> None:
    # kubectl resolves `kubectl get ns` / `cm` / `ma` only through discovery's shortNames.
    _, core = _http(kube_emulator, "GET", "/api/v1")
    by_name = {r["name"]: r for r in core["resources"]}
    assert by_name["namespaces"]["shortNames"] == ["ns"]
    assert by_name["configmaps"]["shortNames"] == ["cm"]
    assert by_name["pods"]["categories"] == ["all"]
    assert "categories" not in by_name["configmaps"]
    _, autoscaling = _http(kube_emulator, "GET", "/apis/autoscaling.openshift.io/v1beta1")
    assert {r["name"]: r.get("shortNames") for r in autoscaling["resources"]}["machineautoscalers"] == ["ma"]
