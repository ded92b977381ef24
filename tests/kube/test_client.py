"""kube.py over real HTTP against the in-process emulator: verbs, selectors, retries, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from cluster_capacity import kube
from cluster_capacity.errors import ClusterError
from tests.emulator import KubeEmulator, openshift
from tests.emulator.fixtures import *  # noqa: F403
from tests.emulator.openshift import MACHINE_API_NS, SeededCluster

NS = MACHINE_API_NS


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(kubeconfig: Path, sleeps: list[float]) -> kube.Kube:
    return kube.connect(kubeconfig, sleep=sleeps.append, retry=kube.RetryPolicy(read_timeout=0.5))


# --- connecting ---------------------------------------------------------------------------------------


def test_connect_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ClusterError, match=r"kubeconfig .*nope does not exist"):
        kube.connect(tmp_path / "nope")


def test_connect_kubeconfig_env_without_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "a"))
    with pytest.raises(ClusterError, match="KUBECONFIG names no existing file"):
        kube.connect()


def test_connect_nothing_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(ClusterError, match=r"no cluster configured.*oc login"):
        kube.connect()


def test_connect_invalid_kubeconfig(tmp_path: Path) -> None:
    bad = tmp_path / "kubeconfig"
    bad.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\n")
    with pytest.raises(ClusterError, match=rf"cannot use kubeconfig {bad}"):
        kube.connect(bad)


def test_connect_unknown_context(kubeconfig: Path) -> None:
    with pytest.raises(ClusterError, match=r"cannot use kubeconfig .*staging"):
        kube.connect(kubeconfig, context="staging")


def test_connect_reads_kubeconfig_env_at_call_time(
    kubeconfig: Path,
    kube_emulator: KubeEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    client = kube.connect(context="emulator")
    assert client.server == kube_emulator.url
    assert client.list(kube.NODES) == []


# --- verbs --------------------------------------------------------------------------------------------


def test_get_and_list_with_server_side_selectors(
    client: kube.Kube,
    kube_emulator: KubeEmulator,
    openshift_cluster: SeededCluster,
) -> None:
    infra = client.get(kube.INFRASTRUCTURES, "cluster")
    assert infra["status"]["infrastructureName"] == openshift_cluster.infra_id

    ours = client.list(kube.MACHINESETS, NS, label_selector="app.kubernetes.io/managed-by=cluster-capacity")
    assert [m["metadata"]["name"] for m in ours] == [openshift_cluster.gpu_machineset]

    gpu_nodes = client.list(kube.NODES, label_selector="nvidia.com/gpu.present=true")
    assert [n["metadata"]["name"] for n in gpu_nodes] == openshift_cluster.gpu_nodes
    assert all(n["kind"] == "Node" and n["apiVersion"] == "v1" for n in gpu_nodes)

    zone_b = client.list(
        kube.NODES, label_selector="topology.kubernetes.io/zone in (us-west-2b),!nvidia.com/gpu.present"
    )
    assert len(zone_b) == 2

    lists = [r for r in kube_emulator.requests if r.verb == "list"]
    assert lists[0].query["labelSelector"] == "app.kubernetes.io/managed-by=cluster-capacity"


def test_list_follows_pages(
    client: kube.Kube, kube_emulator: KubeEmulator, openshift_cluster: SeededCluster
) -> None:
    kube_emulator.clear_requests()
    nodes = client.list(kube.NODES, page_size=3)
    assert len(nodes) == 7
    assert len({n["metadata"]["name"] for n in nodes}) == 7
    assert kube_emulator.count(verb="list") == 3
    assert client.request_count == 3


def test_field_selector_on_pods(client: kube.Kube, kube_emulator: KubeEmulator) -> None:
    for name, phase in (("a", "Running"), ("b", "Succeeded")):
        kube_emulator.add(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name, "namespace": "default"},
                "spec": {"nodeName": "n1"},
                "status": {"phase": phase},
            }
        )
    found = client.list(kube.PODS, "default", field_selector="status.phase=Running,spec.nodeName=n1")
    assert [p["metadata"]["name"] for p in found] == ["a"]


def test_scale_patch_create_delete_and_log(
    client: kube.Kube,
    kube_emulator: KubeEmulator,
    openshift_cluster: SeededCluster,
) -> None:
    assert client.scale(kube.MACHINESETS, openshift_cluster.gpu_machineset, 3, NS) == 3
    assert kube_emulator.get("MachineSet", openshift_cluster.gpu_machineset, NS)["spec"]["replicas"] == 3

    patched = client.patch(
        kube.MACHINESETS, openshift_cluster.gpu_machineset, {"metadata": {"labels": {"x": "y"}}}, NS
    )
    assert patched["metadata"]["labels"]["x"] == "y"
    assert patched["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "cluster-capacity"

    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "smoke", "namespace": "default"},
        "spec": {"containers": [{"name": "cuda", "image": "nvcr.io/nvidia/cuda:12.4.1-base-ubi9"}]},
    }
    created = client.create(kube.PODS, pod)
    assert created["status"]["phase"] == "Pending"
    with pytest.raises(kube.ApiError, match="already exists") as exc:
        client.create(kube.PODS, pod)
    assert exc.value.status == 409
    with pytest.raises(kube.ApiError, match="waiting to start"):
        client.pod_log("smoke", "default")
    kube_emulator.set_pod_log("default", "smoke", "line 1\nline 2\n")
    assert client.pod_log("smoke", "default", tail_lines=1) == "line 2\n"

    strategic = client.patch(
        kube.PODS,
        "smoke",
        {"spec": {"containers": [{"name": "cuda", "args": ["-L"]}]}},
        "default",
        patch_type="strategic",
    )
    assert strategic["spec"]["containers"] == [
        {"name": "cuda", "image": "nvcr.io/nvidia/cuda:12.4.1-base-ubi9", "args": ["-L"]}
    ]
    client.patch(
        kube.PODS,
        "smoke",
        [{"op": "add", "path": "/metadata/labels", "value": {"run": "1"}}],
        "default",
        patch_type="json",
    )
    assert kube_emulator.get("Pod", "smoke", "default")["metadata"]["labels"] == {"run": "1"}

    assert client.delete(kube.PODS, "smoke", "default") is True
    assert client.delete(kube.PODS, "smoke", "default") is False
    assert kube_emulator.get("Pod", "smoke", "default") is None


def test_not_found_versus_not_served(
    client: kube.Kube, kube_emulator: KubeEmulator, openshift_cluster: SeededCluster
) -> None:
    with pytest.raises(kube.NotFoundError, match=r"get machinesets\.machine\.openshift\.io nope in"):
        client.get(kube.MACHINESETS, "nope", NS)
    assert client.get_or_none(kube.MACHINESETS, "nope", NS) is None
    kube_emulator.unserve_group("nvidia.com")
    with pytest.raises(kube.NotServedError, match=r"does not serve clusterpolicies\.nvidia\.com/v1"):
        client.list(kube.CLUSTERPOLICIES)
    assert client.served("nvidia.com") is False
    assert client.served("machine.openshift.io", "v1beta1") is True
    # A GET of one object in an unserved group gets the plain-text 404 page, not a Status: not served.
    with pytest.raises(kube.NotServedError, match=r"does not serve clusterpolicies\.nvidia\.com/v1"):
        client.get(kube.CLUSTERPOLICIES, "cluster-policy")
    kube_emulator.unserve_group("config.openshift.io")
    with pytest.raises(kube.NotServedError, match=r"does not serve infrastructures\.config\.openshift"):
        client.get_or_none(kube.INFRASTRUCTURES, "cluster")


def test_secrets_are_never_requested(client: kube.Kube, kube_emulator: KubeEmulator) -> None:
    secrets = kube.Resource("", "v1", "secrets", "Secret")
    with pytest.raises(ClusterError, match="never reads or writes them"):
        client.list(secrets, NS)
    assert kube_emulator.count() == 0


def test_resource_for_known_and_unknown() -> None:
    assert kube.resource_for("machine.openshift.io/v1beta1", "MachineSet") is kube.MACHINESETS
    with pytest.raises(ClusterError, match="no API resource known for Widget"):
        kube.resource_for("example.com/v1", "Widget")


# --- faults -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_transient_status_is_retried_with_backoff(
    client: kube.Kube,
    kube_emulator: KubeEmulator,
    sleeps: list[float],
    status: int,
) -> None:
    kube_emulator.fault(verb="list", resource="nodes", status=status, times=2)
    assert client.list(kube.NODES) == []
    assert kube_emulator.count(verb="list") == 3
    assert sleeps == [0.5, 1.0]


def test_retry_after_is_honoured(client: kube.Kube, kube_emulator: KubeEmulator, sleeps: list[float]) -> None:
    kube_emulator.fault(verb="list", resource="nodes", status=429, times=1, retry_after=7)
    client.list(kube.NODES)
    assert sleeps == [7.0]


def test_retry_after_is_capped(kubeconfig: Path, kube_emulator: KubeEmulator, sleeps: list[float]) -> None:
    client = kube.connect(kubeconfig, sleep=sleeps.append, retry=kube.RetryPolicy(max_retry_after=5))
    kube_emulator.fault(verb="list", resource="nodes", status=429, times=1, retry_after=3600)
    client.list(kube.NODES)
    assert sleeps == [5.0]


def test_retries_are_bounded(client: kube.Kube, kube_emulator: KubeEmulator, sleeps: list[float]) -> None:
    kube_emulator.fault(verb="list", resource="machines", status=503, times=None)
    with pytest.raises(
        ClusterError,
        match=r"list machines.machine.openshift.io in namespace openshift-machine-api "
        r"failed after 5 attempts: 503 ServiceUnavailable",
    ):
        client.list(kube.MACHINES, NS)
    assert kube_emulator.count() == 5
    assert sleeps == [0.5, 1.0, 2.0, 4.0]


def test_dropped_connection_is_retried(
    client: kube.Kube, kube_emulator: KubeEmulator, sleeps: list[float]
) -> None:
    kube_emulator.fault(verb="get", resource="infrastructures", drop=True, times=1)
    kube_emulator.add(openshift.infrastructure())
    assert client.get(kube.INFRASTRUCTURES, "cluster")["metadata"]["name"] == "cluster"
    assert kube_emulator.count(verb="get") == 2
    assert len(sleeps) == 1


def test_timeout_is_retried_then_reported(
    client: kube.Kube,
    kubeconfig: Path,
    kube_emulator: KubeEmulator,
    sleeps: list[float],
) -> None:
    kube_emulator.fault(verb="list", resource="nodes", delay=1.0, times=1)
    assert client.list(kube.NODES) == []
    assert len(sleeps) == 1
    kube_emulator.fault(verb="list", resource="nodes", delay=1.0, times=None)
    fast = kube.connect(kubeconfig, sleep=sleeps.append, retry=kube.RetryPolicy(attempts=2, read_timeout=0.2))
    with pytest.raises(ClusterError, match=r"failed after 2 attempts: no answer within 0.2s"):
        fast.list(kube.NODES)


def test_unreachable_server(kubeconfig: Path, kube_emulator: KubeEmulator, sleeps: list[float]) -> None:
    client = kube.connect(kubeconfig, sleep=sleeps.append, retry=kube.RetryPolicy(attempts=3))
    kube_emulator.stop()
    with pytest.raises(ClusterError, match=r"list nodes failed after 3 attempts: cannot connect"):
        client.list(kube.NODES)
    assert sleeps == [0.5, 1.0]


def test_create_is_not_retried_after_a_500(client: kube.Kube, kube_emulator: KubeEmulator) -> None:
    kube_emulator.fault(verb="create", resource="pods", status=500, times=1)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": []}}
    with pytest.raises(kube.ApiError, match="may not have completed: 500"):
        client.create(kube.PODS, pod, "default")
    assert kube_emulator.count(method="POST") == 1


def test_create_is_retried_after_a_429(client: kube.Kube, kube_emulator: KubeEmulator) -> None:
    kube_emulator.fault(verb="create", resource="pods", status=429, times=1)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": []}}
    assert client.create(kube.PODS, pod, "default")["metadata"]["name"] == "p"
    assert kube_emulator.count(method="POST") == 2


def test_unauthorized(client: kube.Kube, kube_emulator: KubeEmulator) -> None:
    kube_emulator.fault(status=401)
    with pytest.raises(
        kube.ForbiddenError, match=r"list nodes: .* rejected the credentials \(401 Unauthorized\).*oc login"
    ):
        client.list(kube.NODES)
    assert kube_emulator.count() == 1


def test_wrong_token_is_401_from_the_server(
    kubeconfig: Path, kube_emulator: KubeEmulator, tmp_path: Path
) -> None:
    stale = kube_emulator.write_kubeconfig(tmp_path / "stale", token="sha256~expired")
    with pytest.raises(kube.ForbiddenError, match="401"):
        kube.connect(stale).list(kube.NODES)


def test_forbidden_read_names_verb_resource_and_role(client: kube.Kube, kube_emulator: KubeEmulator) -> None:
    kube_emulator.fault(verb="list", resource="machines", status=403)
    with pytest.raises(kube.ForbiddenError) as exc:
        client.list(kube.MACHINES, NS)
    message = str(exc.value)
    assert "not allowed to list machines.machine.openshift.io in namespace openshift-machine-api" in message
    assert "cluster-capacity-readonly (docs/rbac-readonly-clusterrole.yaml)" in message
    assert exc.value.verb == "list" and exc.value.resource == "machines.machine.openshift.io"


def test_forbidden_write_says_write_access(
    client: kube.Kube, kube_emulator: KubeEmulator, openshift_cluster: SeededCluster
) -> None:
    kube_emulator.fault(verb="patch", resource="machinesets/scale", status=403)
    with pytest.raises(
        kube.ForbiddenError, match=r"not allowed to patch machinesets/scale .*needs write access"
    ):
        client.scale(kube.MACHINESETS, openshift_cluster.gpu_machineset, 1, NS)


def test_conflict_is_an_api_error(
    client: kube.Kube, kube_emulator: KubeEmulator, openshift_cluster: SeededCluster
) -> None:
    kube_emulator.fault(verb="patch", resource="machinesets", status=409)
    with pytest.raises(kube.ApiError, match="409 Conflict") as exc:
        client.patch(kube.MACHINESETS, openshift_cluster.gpu_machineset, {"spec": {"replicas": 0}}, NS)
    assert exc.value.status == 409


def test_in_cluster_without_a_service_account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "172.30.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    with pytest.raises(ClusterError, match=r"cannot use in-cluster configuration: .*token"):
        kube.connect()
    with pytest.raises(ClusterError, match="--context admin needs a kubeconfig"):
        kube.connect(context="admin")


def test_kubeconfig_list_in_env(
    kubeconfig: Path, kube_emulator: KubeEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", f"{tmp_path / 'missing'}:{kubeconfig}")
    assert kube.connect().server == kube_emulator.url


def test_list_items_get_the_type_the_server_leaves_out(
    client: kube.Kube, kube_emulator: KubeEmulator
) -> None:
    """Real API servers send apiVersion/kind once per list, not per item; callers still see both."""
    import json
    import urllib.request

    kube_emulator.add({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}})
    request = urllib.request.Request(
        f"{kube_emulator.url}/api/v1/namespaces",
        headers={"Authorization": f"Bearer {kube_emulator.token or 'no-token'}"},
    )
    with urllib.request.urlopen(request) as answer:
        raw = json.load(answer)
    assert (raw["apiVersion"], raw["kind"]) == ("v1", "NamespaceList")
    assert all("apiVersion" not in item and "kind" not in item for item in raw["items"])
    listed = [o for o in client.list(kube.NAMESPACES) if o["metadata"]["name"] == "team-a"]
    assert [(o["apiVersion"], o["kind"]) for o in listed] == [("v1", "Namespace")]
