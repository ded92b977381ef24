"""The real ``kubectl`` against the emulator: what a user's kubectl sees must be what a cluster shows.

Runs ``$KUBECTL`` or the ``kubectl`` on PATH (CI installs Debian's ``kubernetes-client``, 1.20; a
workstation often has 1.3x), through a token-less kubeconfig (kubectl sends no bearer token over
plain http). kubectl before 1.27 validates against the protobuf OpenAPI v2, which the emulator does
not serve, so those runs pass ``--validate=false``; the server-side checks still apply.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.emulator import KubeEmulator, openshift
from tests.emulator.crds import default_folder

KUBECTL = os.environ.get("KUBECTL") or shutil.which("kubectl")
pytestmark = pytest.mark.skipif(
    KUBECTL is None, reason="kubectl is not installed (CI installs kubernetes-client)"
)

NS = "openshift-machine-api"
RENDERED = Path(__file__).resolve().parents[2] / "examples" / "rendered" / "prod"


def _minor() -> int:
    if KUBECTL is None:
        return 0
    out = subprocess.run(
        [KUBECTL, "version", "--client", "-o", "json"], capture_output=True, text=True, timeout=30
    )
    try:
        return int(json.loads(out.stdout)["clientVersion"]["minor"].rstrip("+"))
    except (ValueError, KeyError):
        return 0


MINOR = _minor()
VALIDATE = [] if MINOR >= 27 else ["--validate=false"]


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[KubeEmulator, Path]]:
    emu = KubeEmulator(token=None).start()
    openshift.seed_cluster(emu)
    try:
        yield emu, emu.write_kubeconfig(tmp_path / "kubeconfig")
    finally:
        emu.stop()


def kubectl(
    kubeconfig: Path, *args: str, check: bool = True, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    assert KUBECTL is not None
    env = {**os.environ, "KUBECONFIG": str(kubeconfig), "HOME": str(kubeconfig.parent)}
    done = subprocess.run([KUBECTL, *args], capture_output=True, text=True, timeout=timeout, env=env)
    if check and done.returncode != 0:
        raise AssertionError(
            f"kubectl {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )
    return done


def write(path: Path, obj: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(obj))
    return path


def configmap(name: str = "applied", **data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default"},
        "data": data,
    }


def test_get_prints_the_servers_table(cluster: tuple[KubeEmulator, Path]) -> None:
    emu, kc = cluster
    gpu = emu.list("MachineSet", NS)[0]["metadata"]["name"]
    lines = kubectl(kc, "get", "machinesets", "-n", NS).stdout.splitlines()
    header = lines[0].split()
    if default_folder() is not None:  # the CRD's additionalPrinterColumns
        assert header == ["NAME", "DESIRED", "CURRENT", "READY", "AVAILABLE", "AGE"]
    assert gpu in {line.split()[0] for line in lines[1:]}
    nodes = kubectl(kc, "get", "nodes").stdout.splitlines()
    assert nodes[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert all(line.split()[1] == "Ready" for line in nodes[1:])


def test_get_json_and_yaml_are_the_stored_objects(cluster: tuple[KubeEmulator, Path]) -> None:
    emu, kc = cluster
    listed = json.loads(kubectl(kc, "get", "machinesets", "-n", NS, "-o", "json").stdout)
    assert sorted(i["metadata"]["name"] for i in listed["items"]) == sorted(
        o["metadata"]["name"] for o in emu.list("MachineSet", NS)
    )
    one = listed["items"][0]
    assert one["kind"] == "MachineSet" and one["apiVersion"] == "machine.openshift.io/v1beta1"
    got = yaml.safe_load(
        kubectl(kc, "get", "machineset", one["metadata"]["name"], "-n", NS, "-o", "yaml").stdout
    )
    assert got["spec"] == emu.get("MachineSet", one["metadata"]["name"], NS)["spec"]  # type: ignore[index]


def test_client_side_apply(cluster: tuple[KubeEmulator, Path], tmp_path: Path) -> None:
    emu, kc = cluster
    manifest = write(tmp_path / "cm.yaml", configmap(a="1"))
    assert "configmap/applied created" in kubectl(kc, "apply", "-f", str(manifest), *VALIDATE).stdout
    write(manifest, configmap(a="2"))
    assert "configmap/applied configured" in kubectl(kc, "apply", "-f", str(manifest), *VALIDATE).stdout
    stored = emu.get("ConfigMap", "applied", "default")
    assert stored is not None and stored["data"] == {"a": "2"}
    last = json.loads(stored["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert last["data"] == {"a": "2"}
    assert "kubectl-client-side-apply" in {m["manager"] for m in stored["metadata"]["managedFields"]}
    assert "unchanged" in kubectl(kc, "apply", "-f", str(manifest), *VALIDATE).stdout


def test_server_side_apply_owns_fields_and_conflicts(
    cluster: tuple[KubeEmulator, Path], tmp_path: Path
) -> None:
    emu, kc = cluster
    manifest = write(tmp_path / "cm.yaml", configmap(a="1", b="1"))
    kubectl(kc, "apply", "--server-side", "-f", str(manifest), *VALIDATE)
    stored = emu.get("ConfigMap", "applied", "default")
    assert stored is not None
    (entry,) = stored["metadata"]["managedFields"]
    assert (entry["manager"], entry["operation"]) == ("kubectl", "Apply")
    assert entry["fieldsV1"] == {"f:data": {"f:a": {}, "f:b": {}}}
    # Another manager changing a field kubectl applied: a conflict, unless forced.
    write(manifest, configmap(a="2"))
    other = ["apply", "--server-side", "--field-manager=other", "-f", str(manifest), *VALIDATE]
    refused = kubectl(kc, *other, check=False)
    assert (
        refused.returncode != 0
        and 'conflict with "kubectl"' in refused.stderr
        and ".data.a" in refused.stderr
    )
    kubectl(kc, *other, "--force-conflicts")
    stored = emu.get("ConfigMap", "applied", "default")
    assert stored is not None and stored["data"] == {"a": "2", "b": "1"}
    owners = {m["manager"]: m["fieldsV1"] for m in stored["metadata"]["managedFields"]}
    assert owners == {"kubectl": {"f:data": {"f:b": {}}}, "other": {"f:data": {"f:a": {}}}}
    # kubectl stops sending b: it goes, as nobody else owns it.
    write(manifest, configmap())
    kubectl(kc, "apply", "--server-side", "-f", str(manifest), *VALIDATE)
    assert emu.get("ConfigMap", "applied", "default")["data"] == {"a": "2"}  # type: ignore[index]


def test_patch_flavours(cluster: tuple[KubeEmulator, Path]) -> None:
    emu, kc = cluster
    emu.add(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "p", "namespace": "default"},
            "data": {"a": "1"},
        }
    )
    kubectl(kc, "patch", "configmap", "p", "-p", '{"data":{"b":"2"}}')
    kubectl(kc, "patch", "configmap", "p", "--type=merge", "-p", '{"data":{"a":null}}')
    kubectl(kc, "patch", "configmap", "p", "--type=json", "-p", '[{"op":"add","path":"/data/c","value":"3"}]')
    assert emu.get("ConfigMap", "p", "default")["data"] == {"b": "2", "c": "3"}  # type: ignore[index]
    node = emu.list("Node")[0]["metadata"]["name"]
    emu.update(
        "Node",
        node,
        fn=lambda n: {**n, "spec": {**n["spec"], "taints": [{"key": "a", "effect": "NoSchedule"}]}},
    )
    kubectl(kc, "patch", "node", node, "-p", '{"spec":{"taints":[{"key":"b","effect":"NoExecute"}]}}')
    assert emu.get("Node", node)["spec"]["taints"] == [{"key": "b", "effect": "NoExecute"}]  # type: ignore[index]
    gpu = emu.list("MachineSet", NS)[0]["metadata"]["name"]
    refused = kubectl(kc, "patch", "machineset", gpu, "-n", NS, "-p", '{"spec":{"replicas":2}}', check=False)
    assert refused.returncode != 0 and "strategic merge patch is not supported" in refused.stderr
    kubectl(kc, "patch", "machineset", gpu, "-n", NS, "--type=merge", "-p", '{"spec":{"replicas":2}}')
    assert emu.get("MachineSet", gpu, NS)["spec"]["replicas"] == 2  # type: ignore[index]


def test_scale_a_machineset(cluster: tuple[KubeEmulator, Path]) -> None:
    emu, kc = cluster
    seen: list[tuple[str, str]] = []
    emu.on_write(lambda verb, rtype, obj: seen.append((verb, rtype.kind)))
    gpu = emu.list("MachineSet", NS)[0]["metadata"]["name"]
    out = kubectl(kc, "scale", "machineset", gpu, "-n", NS, "--replicas=3").stdout
    assert f"machineset.machine.openshift.io/{gpu} scaled" in out
    assert emu.get("MachineSet", gpu, NS)["spec"]["replicas"] == 3  # type: ignore[index]
    assert seen == [("patch", "MachineSet")]
    assert any(r.resource_path == "machinesets/scale" for r in emu.requests)


def test_delete_waits_for_finalizers(cluster: tuple[KubeEmulator, Path]) -> None:
    emu, kc = cluster
    held = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "held", "namespace": "default", "finalizers": ["example.com/hold"]},
    }
    emu.add(held)

    def controller() -> None:  # plays the controller that owns the finalizer
        for _ in range(100):
            obj = emu.get("ConfigMap", "held", "default")
            if obj is not None and obj["metadata"].get("deletionTimestamp"):
                time.sleep(0.5)
                emu.update("ConfigMap", "held", "default", fn=lambda o: _without_finalizers(o))
                emu.delete("ConfigMap", "held", "default")  # what the server does once they are gone
                return
            time.sleep(0.05)

    thread = threading.Thread(target=controller)
    thread.start()
    started = time.monotonic()
    out = kubectl(kc, "delete", "configmap", "held", "--wait=true", "--timeout=20s").stdout
    thread.join(5)
    assert 'configmap "held" deleted' in out and time.monotonic() - started >= 0.5
    assert emu.get("ConfigMap", "held", "default") is None
    assert emu.count(verb="watch") >= 1 or emu.count(verb="get") >= 1


def _without_finalizers(obj: dict[str, Any]) -> dict[str, Any]:
    obj["metadata"].pop("finalizers", None)
    return obj


def test_dry_run_server_writes_nothing(cluster: tuple[KubeEmulator, Path], tmp_path: Path) -> None:
    emu, kc = cluster
    manifest = write(tmp_path / "cm.yaml", configmap("dry", a="1"))
    out = kubectl(kc, "apply", "-f", str(manifest), "--dry-run=server", *VALIDATE).stdout
    assert "configmap/dry created (server dry run)" in out
    assert emu.get("ConfigMap", "dry", "default") is None
    assert all(r.query.get("dryRun") == "All" for r in emu.requests if r.method in ("POST", "PATCH"))


def test_apply_k_then_diff_k_is_clean(cluster: tuple[KubeEmulator, Path], tmp_path: Path) -> None:
    emu, kc = cluster
    folder = tmp_path / "prod"
    shutil.copytree(RENDERED, folder)
    kubectl(kc, "apply", "-k", str(folder), *VALIDATE, timeout=120)
    for path in folder.glob("*.yaml"):
        rendered = yaml.safe_load(path.read_text())
        if rendered.get("kind") == "Kustomization":
            continue
        meta = rendered["metadata"]
        assert (
            emu.get(
                f"{rendered['kind']}.{rendered['apiVersion'].rpartition('/')[0]}".rstrip("."),
                meta["name"],
                meta.get("namespace"),
            )
            is not None
        )
    clean = kubectl(kc, "diff", "-k", str(folder), check=False, timeout=120)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    machineset = next(folder.glob("machineset-*.yaml"))
    obj = yaml.safe_load(machineset.read_text())
    obj["spec"]["template"]["metadata"].setdefault("labels", {})["changed"] = "yes"
    machineset.write_text(yaml.safe_dump(obj))
    drift = kubectl(kc, "diff", "-k", str(folder), check=False, timeout=120)
    assert drift.returncode == 1 and '+        changed: "yes"' in drift.stdout.replace("'", '"')


def test_get_watch_streams(cluster: tuple[KubeEmulator, Path]) -> None:
    emu, kc = cluster
    assert KUBECTL is not None
    env = {**os.environ, "KUBECONFIG": str(kc), "HOME": str(kc.parent)}
    proc = subprocess.Popen(
        [KUBECTL, "get", "configmaps", "-w", "-n", "default"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    seen = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("watched"):
                seen.set()
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 30
        while emu.count(verb="watch") == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        emu.add(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "watched", "namespace": "default"}}
        )
        assert seen.wait(30), "kubectl get -w did not print the new ConfigMap"
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


def test_our_diff_after_kubectl_apply_k(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """What a user does: ``kubectl apply -k`` the rendered env, then ``cluster-capacity diff``: no drift."""
    from cluster_capacity.cli import main

    project = tmp_path / "repo"
    shutil.copytree(RENDERED.parents[1], project)
    emu = KubeEmulator(token=None).start()
    try:
        openshift.seed_cluster(emu, infra_id="prod-nkqd9")
        kc = emu.write_kubeconfig(tmp_path / "kubeconfig")
        for folder in ("prod", "argocd"):
            kubectl(kc, "apply", "-k", str(project / "rendered" / folder), *VALIDATE, timeout=120)
        code = main(
            [
                "diff",
                "--env",
                "prod",
                "--kubeconfig",
                str(kc),
                "--project",
                str(project / "cluster-capacity.yaml"),
            ]
        )
        out, err = capsys.readouterr()
    finally:
        emu.stop()
    assert code == 0, out + err
    assert err.startswith("no drift in env prod")
