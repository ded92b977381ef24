"""The emulator answers as kube-apiserver does, where a client could tell the difference.

Each test names the real server's behaviour it pins (generic registry store, the CRD strategy, the
handlers); the CRDs come from the real folder (``CLUSTER_CAPACITY_CRDS``).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.emulator import KubeEmulator, openshift
from tests.emulator.crds import default_folder

NS = "openshift-machine-api"
MS = f"/apis/machine.openshift.io/v1beta1/namespaces/{NS}/machinesets"
CM = "/api/v1/namespaces/default/configmaps"
T0 = dt.datetime(2026, 12, 1, 8, 0, 0, tzinfo=dt.timezone.utc)

needs_crds = pytest.mark.skipif(default_folder() is None, reason="no CRD folder (CLUSTER_CAPACITY_CRDS)")


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def emu(clock: Clock) -> Iterator[KubeEmulator]:
    server = KubeEmulator(token=None, clock=clock).start()
    server.add({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    try:
        yield server
    finally:
        server.stop()


def call(
    emu: KubeEmulator,
    method: str,
    path: str,
    body: Any = None,
    ctype: str = "application/json",
    accept: str = "application/json",
) -> tuple[int, Any, dict[str, str]]:
    data = (body if isinstance(body, bytes) else json.dumps(body).encode()) if body is not None else None
    req = urllib.request.Request(
        emu.url + path, data=data, method=method, headers={"Content-Type": ctype, "Accept": accept}
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            raw, headers, code = resp.read(), dict(resp.headers), resp.status
    except urllib.error.HTTPError as exc:
        raw, headers, code = exc.read(), dict(exc.headers), exc.code
    parsed = (
        json.loads(raw) if headers.get("Content-Type", "").startswith("application/json") else raw.decode()
    )
    return code, parsed, headers


def machineset(name: str = "ms-a", **spec: Any) -> dict[str, Any]:
    obj = openshift.machineset(name)
    for key in ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields"):
        obj["metadata"].pop(key, None)
    obj.pop("status", None)
    obj["spec"].update(spec)
    return obj


def configmap(name: str = "cm", **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": dict(data)}


def test_errors_are_status_objects(emu: KubeEmulator) -> None:
    code, body, _ = call(emu, "GET", f"{MS}/nope")
    assert code == 404
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'machinesets.machine.openshift.io "nope" not found',
        "reason": "NotFound",
        "details": {"name": "nope", "group": "machine.openshift.io", "kind": "machinesets"},
        "code": 404,
    }
    assert call(emu, "POST", CM, configmap())[0] == 201
    code, body, _ = call(emu, "POST", CM, configmap())
    assert (code, body["reason"], body["details"]) == (
        409,
        "AlreadyExists",
        {"name": "cm", "kind": "configmaps"},
    )
    # An unknown path outside every group is not a Status: plain text, as http.NotFound writes it.
    code, text, headers = call(emu, "GET", "/apis/nope.example.com/v1/things")
    assert (code, text, headers["Content-Type"]) == (404, "404 page not found\n", "text/plain; charset=utf-8")


def test_server_owned_metadata_and_the_clock(emu: KubeEmulator, clock: Clock) -> None:
    code, created, _ = call(emu, "POST", CM, configmap(a="1") | {"metadata": {"name": "cm", "uid": "mine"}})
    meta = created["metadata"]
    assert code == 201 and meta["creationTimestamp"] == "2026-12-01T08:00:00Z"
    assert meta["uid"] != "mine" and len(meta["uid"]) == 36
    assert "generation" not in meta  # a ConfigMap has none
    clock.now += dt.timedelta(hours=1)
    _, updated, _ = call(emu, "PUT", f"{CM}/cm", configmap(a="2"))
    assert updated["metadata"]["creationTimestamp"] == "2026-12-01T08:00:00Z"
    assert int(updated["metadata"]["resourceVersion"]) > int(meta["resourceVersion"])
    code, body, _ = call(
        emu, "POST", CM, configmap("x") | {"metadata": {"name": "x", "resourceVersion": "5"}}
    )
    assert code == 400 and body["message"] == "resourceVersion should not be set on objects to be created"


def test_generation_follows_the_spec_only(emu: KubeEmulator) -> None:
    code, ms, _ = call(emu, "POST", MS, machineset())
    assert code == 201 and ms["metadata"]["generation"] == 1
    merge = "application/merge-patch+json"
    _, ms, _ = call(emu, "PATCH", f"{MS}/ms-a", {"metadata": {"labels": {"x": "y"}}}, merge)
    assert ms["metadata"]["generation"] == 1
    _, ms, _ = call(emu, "PATCH", f"{MS}/ms-a/status", {"status": {"replicas": 3}}, merge)
    assert ms["metadata"]["generation"] == 1 and ms["status"]["replicas"] == 3
    _, ms, _ = call(emu, "PATCH", f"{MS}/ms-a", {"spec": {"replicas": 4}}, merge)
    assert ms["metadata"]["generation"] == 2


def test_put_rules(emu: KubeEmulator) -> None:
    _, ms, _ = call(emu, "POST", MS, machineset())
    # A custom resource cannot be updated unconditionally (customResourceStrategy).
    unconditional = json.loads(json.dumps(ms))
    del unconditional["metadata"]["resourceVersion"]
    code, body, _ = call(emu, "PUT", f"{MS}/ms-a", unconditional)
    assert code == 422 and body["reason"] == "Invalid"
    assert body["message"] == (
        'machinesets.machine.openshift.io "ms-a" is invalid: metadata.resourceVersion: '
        "Invalid value: 0x0: must be specified for an update"
    )
    assert body["details"]["causes"] == [
        {
            "reason": "FieldValueInvalid",
            "message": "Invalid value: 0x0: must be specified for an update",
            "field": "metadata.resourceVersion",
        }
    ]
    # A ConfigMap can (AllowUnconditionalUpdate is true for most built-in kinds).
    call(emu, "POST", CM, configmap())
    assert call(emu, "PUT", f"{CM}/cm", configmap(a="1"))[0] == 200
    stale = {**ms, "metadata": {**ms["metadata"], "resourceVersion": "1"}}
    code, body, _ = call(emu, "PUT", f"{MS}/ms-a", stale)
    assert code == 409 and body["reason"] == "Conflict"
    code, body, _ = call(emu, "PUT", f"{MS}/ms-a", {**ms, "metadata": {**ms["metadata"], "name": "ms-b"}})
    assert code == 400 and body["reason"] == "BadRequest"
    assert body["message"] == "the name of the object (ms-b) does not match the name on the URL (ms-a)"


def test_dry_run_changes_nothing(emu: KubeEmulator) -> None:
    rv = emu._store.rv
    code, body, _ = call(emu, "POST", f"{MS}?dryRun=All", machineset())
    assert code == 201 and body["metadata"]["name"] == "ms-a" and "resourceVersion" not in body["metadata"]
    assert emu.get("MachineSet", "ms-a", NS) is None
    _, ms, _ = call(emu, "POST", MS, machineset())
    merge = "application/merge-patch+json"
    code, body, _ = call(emu, "PATCH", f"{MS}/ms-a?dryRun=All", {"spec": {"replicas": 7}}, merge)
    assert code == 200 and body["spec"]["replicas"] == 7
    put = {**ms, "spec": {**ms["spec"], "replicas": 9}}
    assert call(emu, "PUT", f"{MS}/ms-a?dryRun=All", put)[1]["spec"]["replicas"] == 9
    assert call(emu, "DELETE", f"{MS}/ms-a?dryRun=All")[0] == 200
    stored = emu.get("MachineSet", "ms-a", NS)
    assert stored is not None and stored["spec"]["replicas"] == 1
    assert stored["metadata"]["resourceVersion"] == ms["metadata"]["resourceVersion"] == str(rv + 1)
    assert call(emu, "POST", f"{MS}?dryRun=Some", machineset("ms-b"))[0] == 400


def test_finalizers_hold_a_deleted_object(emu: KubeEmulator, clock: Clock) -> None:
    call(emu, "POST", CM, configmap() | {"metadata": {"name": "cm", "finalizers": ["example.com/hold"]}})
    clock.now += dt.timedelta(minutes=5)
    code, body, _ = call(emu, "DELETE", f"{CM}/cm")
    assert code == 200 and body["metadata"]["deletionTimestamp"] == "2026-12-01T08:05:00Z"
    assert body["metadata"]["deletionGracePeriodSeconds"] == 0
    assert emu.get("ConfigMap", "cm", "default") is not None
    merge = "application/merge-patch+json"
    more = {"metadata": {"finalizers": ["example.com/hold", "example.com/more"]}}
    code, body, _ = call(emu, "PATCH", f"{CM}/cm", more, merge)
    assert code == 422 and body["details"]["causes"][0]["field"] == "metadata.finalizers"
    assert "no new finalizers can be added if the object is being deleted" in body["message"]
    # a client cannot take the deletion back
    code, body, _ = call(emu, "PATCH", f"{CM}/cm", {"metadata": {"deletionTimestamp": None}}, merge)
    assert body["metadata"]["deletionTimestamp"] == "2026-12-01T08:05:00Z"
    code, _, _ = call(emu, "PATCH", f"{CM}/cm", {"metadata": {"finalizers": None}}, merge)
    assert code == 200 and emu.get("ConfigMap", "cm", "default") is None


def test_delete_answers_per_kind(emu: KubeEmulator) -> None:
    _, ms, _ = call(emu, "POST", MS, machineset())
    code, body, _ = call(emu, "DELETE", f"{MS}/ms-a")
    assert code == 200 and body["kind"] == "Status" and body["status"] == "Success"
    assert body["details"] == {
        "name": "ms-a",
        "group": "machine.openshift.io",
        "kind": "machinesets",
        "uid": ms["metadata"]["uid"],
    }
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c"}]},
    }
    call(emu, "POST", "/api/v1/namespaces/default/pods", pod)
    code, body, _ = call(emu, "DELETE", "/api/v1/namespaces/default/pods/p")
    assert code == 200 and body["kind"] == "Pod"  # the pod registry returns the deleted object


@needs_crds
def test_custom_resources_are_validated_pruned_and_defaulted(emu: KubeEmulator) -> None:
    code, body, _ = call(emu, "POST", MS, machineset(replicas="two"))
    assert code == 422 and body["reason"] == "Invalid"
    assert body["details"]["kind"] == "MachineSet" and body["details"]["group"] == "machine.openshift.io"
    assert body["details"]["causes"][0]["field"] == "spec.replicas"
    assert body["message"].startswith('MachineSet.machine.openshift.io "ms-a" is invalid: spec.replicas: ')
    sent = machineset()
    del sent["spec"]["replicas"]
    sent["spec"]["bogus"] = True
    code, stored, headers = call(emu, "POST", MS, sent)
    assert code == 201 and "bogus" not in stored["spec"]
    assert stored["spec"]["replicas"] == 1  # the CRD's default
    assert headers["Warning"] == '299 - "unknown field \\"spec.bogus\\""'.replace("\\", "")
    code, body, _ = call(emu, "POST", f"{MS}?fieldValidation=Strict", machineset("ms-b") | {"extra": 1})
    assert code == 400 and body["message"] == 'strict decoding error: unknown field "extra"'


def test_strategic_merge_patch_follows_the_go_types(emu: KubeEmulator) -> None:
    node = openshift.node("n1")
    node["spec"]["taints"] = [{"key": "a", "effect": "NoSchedule"}, {"key": "b", "effect": "NoSchedule"}]
    emu.add(node)
    smp = "application/strategic-merge-patch+json"
    patch = {"spec": {"taints": [{"key": "c", "effect": "NoExecute"}]}}
    _, body, _ = call(emu, "PATCH", "/api/v1/nodes/n1", patch, smp)
    assert body["spec"]["taints"] == [{"key": "c", "effect": "NoExecute"}]  # no patchStrategy: replaced
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "2"}]},
    }
    call(emu, "POST", "/api/v1/namespaces/default/pods", pod)
    patch = {
        "spec": {
            "$setElementOrder/containers": [{"name": "a"}, {"name": "b"}],
            "containers": [{"name": "b", "image": "3"}],
        }
    }
    _, body, _ = call(emu, "PATCH", "/api/v1/namespaces/default/pods/p", patch, smp)
    assert body["spec"]["containers"] == [{"name": "a", "image": "1"}, {"name": "b", "image": "3"}]
    call(emu, "POST", MS, machineset())
    assert call(emu, "PATCH", f"{MS}/ms-a", {"spec": {"replicas": 2}}, smp)[0] == 415


def test_table_for_kubectl_get(emu: KubeEmulator, clock: Clock) -> None:
    call(emu, "POST", MS, machineset())
    clock.now += dt.timedelta(days=3)
    table_accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    code, table, _ = call(emu, "GET", MS, accept=table_accept)
    assert code == 200 and table["kind"] == "Table"
    names = [c["name"] for c in table["columnDefinitions"]]
    if default_folder() is not None:  # the CRD's additionalPrinterColumns
        assert names == ["Name", "Desired", "Current", "Ready", "Available", "Age"]
        assert table["rows"][0]["cells"] == ["ms-a", 1, None, None, None, "3d"]
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    _, table, _ = call(emu, "GET", f"{CM}", accept=table_accept)
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Data", "Age"]


def test_watch_streams_events(emu: KubeEmulator) -> None:
    call(emu, "POST", CM, configmap("before"))
    _, listed, _ = call(emu, "GET", CM)
    events: list[dict[str, Any]] = []
    opened = threading.Event()

    def watch() -> None:
        url = f"{emu.url}{CM}?watch=true&timeoutSeconds=30&resourceVersion={listed['metadata']['resourceVersion']}"
        with urllib.request.urlopen(url, timeout=40) as resp:
            assert resp.headers["Transfer-Encoding"] == "chunked"
            opened.set()
            for line in resp:
                events.append(json.loads(line))
                if len(events) == 3:
                    return

    thread = threading.Thread(target=watch)
    thread.start()
    assert opened.wait(20)
    call(emu, "POST", CM, configmap("new"))
    call(emu, "PUT", f"{CM}/new", configmap("new", a="1"))
    call(emu, "DELETE", f"{CM}/new")
    thread.join(30)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "new"),
        ("MODIFIED", "new"),
        ("DELETED", "new"),
    ]
    # without a resourceVersion the stream opens with what exists
    with urllib.request.urlopen(f"{emu.url}{CM}?watch=1&timeoutSeconds=1", timeout=5) as resp:
        first = json.loads(resp.readline())
    assert (first["type"], first["object"]["metadata"]["name"]) == ("ADDED", "before")


def test_server_side_apply(emu: KubeEmulator) -> None:
    apply = "application/apply-patch+yaml"
    yaml_body = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: '1'\n  b: '1'\n"
    code, body, _ = call(emu, "PATCH", f"{CM}/cm", yaml_body, apply)
    assert code == 422 and body["details"]["causes"][0]["field"] == "fieldManager"
    code, body, _ = call(emu, "PATCH", f"{CM}/cm?fieldManager=alice", yaml_body, apply)
    assert code == 201 and body["data"] == {"a": "1", "b": "1"}  # apply creates
    (entry,) = body["metadata"]["managedFields"]
    assert {k: entry[k] for k in ("manager", "operation", "fieldsV1")} == {
        "manager": "alice",
        "operation": "Apply",
        "fieldsV1": {"f:data": {"f:a": {}, "f:b": {}}},
    }
    # An Update by another manager takes the field it changed.
    merge = "application/merge-patch+json"
    call(emu, "PATCH", f"{CM}/cm?fieldManager=bob", {"data": {"a": "2"}}, merge)
    code, body, _ = call(emu, "PATCH", f"{CM}/cm?fieldManager=alice", yaml_body, apply)
    assert code == 409 and body["reason"] == "Conflict"
    assert body["message"] == 'Apply failed with 1 conflict: conflict with "bob" using v1: .data.a'
    assert body["details"]["causes"] == [
        {"reason": "FieldManagerConflict", "message": 'conflict with "bob" using v1', "field": ".data.a"}
    ]
    code, body, _ = call(emu, "PATCH", f"{CM}/cm?fieldManager=alice&force=true", yaml_body, apply)
    assert code == 200 and body["data"] == {"a": "1", "b": "1"}
    assert {e["manager"] for e in body["metadata"]["managedFields"]} == {"alice"}
    # Applying without b removes it: alice was its only manager.
    less = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: '1'\n"
    _, body, _ = call(emu, "PATCH", f"{CM}/cm?fieldManager=alice", less, apply)
    assert body["data"] == {"a": "1"}
    wrong = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n"
    assert call(emu, "PATCH", f"{CM}/cm?fieldManager=alice", wrong, apply)[0] == 400


def test_openapi_names_every_kind_for_kubectl(emu: KubeEmulator) -> None:
    _, index, _ = call(emu, "GET", "/openapi/v3")
    url = index["paths"]["apis/machine.openshift.io/v1beta1"]["serverRelativeURL"]
    _, doc, _ = call(emu, "GET", url)
    patch = doc["paths"]["/apis/machine.openshift.io/v1beta1/namespaces/{namespace}/machinesets/{name}"][
        "patch"
    ]
    assert patch["x-kubernetes-group-version-kind"] == {
        "group": "machine.openshift.io",
        "version": "v1beta1",
        "kind": "MachineSet",
    }
    assert {"dryRun", "fieldManager", "fieldValidation"} <= {p["name"] for p in patch["parameters"]}
    assert call(emu, "GET", "/openapi/v3/apis/nope.example.com/v1")[0] == 404


def test_strategic_merge_patch_directives() -> None:
    from tests.emulator.patch import strategic_merge_patch

    live = {
        "metadata": {"finalizers": ["a", "b", "c"]},
        "spec": {"containers": [{"name": "x"}, {"name": "y"}]},
    }
    patch = {
        "metadata": {"$deleteFromPrimitiveList/finalizers": ["b"]},
        "spec": {
            "$setElementOrder/containers": [{"name": "z"}, {"name": "y"}, {"name": "x"}],
            "containers": [{"name": "z"}],
        },
    }
    out = strategic_merge_patch(live, patch)
    assert out["metadata"]["finalizers"] == ["a", "c"]
    assert [c["name"] for c in out["spec"]["containers"]] == ["z", "y", "x"]
    retained = strategic_merge_patch(
        {"strategy": {"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}},
        {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}},
    )
    assert retained == {"strategy": {"type": "Recreate"}}


def test_namespace_lifecycle(emu: KubeEmulator) -> None:
    assert {n["metadata"]["name"] for n in emu.list("Namespace")} >= {"default", "kube-system", NS}
    code, body, _ = call(emu, "POST", "/api/v1/namespaces/nowhere/configmaps", configmap())
    assert (code, body["reason"], body["message"]) == (404, "NotFound", 'namespaces "nowhere" not found')
    emu.add(
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": "going",
                "deletionTimestamp": "2026-12-01T08:00:00Z",
                "finalizers": ["kubernetes"],
            },
        }
    )
    code, body, _ = call(emu, "POST", "/api/v1/namespaces/going/configmaps", configmap())
    assert code == 403 and "because it is being terminated" in body["message"]


@needs_crds
def test_server_side_apply_merges_crd_map_lists(emu: KubeEmulator) -> None:
    """A CRD list with ``x-kubernetes-list-type: map`` is merged by its keys, each item owned apart."""
    apply = "application/apply-patch+yaml"
    base = machineset()

    def hooks(*names: str) -> bytes:
        obj = json.loads(json.dumps(base))
        obj["spec"]["template"]["spec"]["lifecycleHooks"] = {
            "preDrain": [{"name": n, "owner": "team-" + n} for n in names]
        }
        return json.dumps(obj).encode()

    assert call(emu, "PATCH", f"{MS}/ms-a?fieldManager=alice", hooks("aaa"), apply)[0] == 201
    code, body, _ = call(emu, "PATCH", f"{MS}/ms-a?fieldManager=bob", hooks("bbb"), apply)
    assert code == 200, body  # bob's item is another key: no conflict (an atomic list would conflict)
    assert [h["name"] for h in body["spec"]["template"]["spec"]["lifecycleHooks"]["preDrain"]] == [
        "aaa",
        "bbb",
    ]
    bob = next(e for e in body["metadata"]["managedFields"] if e["manager"] == "bob")
    pre_drain = bob["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:lifecycleHooks"]["f:preDrain"]
    assert set(pre_drain) == {'k:{"name":"bbb"}'}
    # alice drops her hook: it goes, bob's stays
    _, body, _ = call(emu, "PATCH", f"{MS}/ms-a?fieldManager=alice", hooks(), apply)
    assert [h["name"] for h in body["spec"]["template"]["spec"]["lifecycleHooks"]["preDrain"]] == ["bbb"]
