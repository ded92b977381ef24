"""The steps of a smoke run (preflight, capacity, waits, pod, cleanup) over a ``SmokeCluster``.

Private to ``ops.smoke``, which owns the run's lifecycle (signals, the result, the order of steps).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from cluster_capacity import labels
from cluster_capacity.errors import CapacityError
from cluster_capacity.nvidia_smi import GpuOutputError, parse_neuron_ls, parse_nvidia_smi
from cluster_capacity.ops.machines import machine_problem
from cluster_capacity.ops.smoke_pod import POD_NAME, SmokeTarget, build_pod
from cluster_capacity.ops.smoke_report import Phase, SmokeResult

if TYPE_CHECKING:
    from cluster_capacity.ops.smoke import SmokeCluster, SmokeOptions

T = TypeVar("T")
Obj = dict[str, Any]

# Container waiting reasons that will not fix themselves while we wait.
_STUCK_REASONS = {
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
}


class SmokeFailure(Exception):
    """The smoke test failed for a reason a person can act on."""

    def __init__(self, reason: str, advice: list[str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.advice = advice or []


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(max(0.0, seconds)), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def _condition(obj: Obj, kind: str) -> Obj | None:
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return dict(cond)
    return None


def _quantity(value: object) -> float:
    """Extended resources are whole numbers ("1", 4); anything unreadable counts as none."""
    try:
        return float(str(value))
    except ValueError:
        return 0.0


@dataclass
class SmokeRun:
    """One run: what it changed (so cleanup can undo exactly that), what it saw, and its steps."""

    cluster: SmokeCluster
    target: SmokeTarget
    options: SmokeOptions
    result: SmokeResult
    start: float
    armed: bool = True
    last_mark: float = 0.0
    marked: set[str] = field(default_factory=set)
    known_machines: set[str] = field(default_factory=set)
    watched_machine: str | None = None
    usable_since: float | None = None
    plan: str = ""
    pod_name: str | None = None
    pod_created: bool = False
    scale_requested: bool = False
    live_node_labels: dict[str, str] | None = None
    live_taints: list[Obj] | None = None
    waiting_for: str = ""

    # -- time and progress ---------------------------------------------------------------------------

    def now(self) -> float:
        return self.options.clock() - self.start

    def say(self, message: str) -> None:
        self.options.progress(f"[{_duration(self.now()):>6}] {message}")

    def mark(self, name: str, detail: str = "") -> None:
        if name in self.marked:
            return
        now = self.now()
        self.marked.add(name)
        self.result.phases.append(Phase(name, now - self.last_mark, now, detail))
        self.last_mark = now
        self.say(f"{name.replace('_', ' ')}" + (f": {detail}" if detail else ""))

    def wait(self, what: str, check: Callable[[], T | None]) -> T:
        """Poll ``check`` until it returns a value; it may raise SmokeFailure to end the run early."""
        self.waiting_for = what
        announced = False
        while True:
            value = check()
            if value is not None:
                return value
            remaining = self.options.timeout - self.now()
            if remaining <= 0:
                raise SmokeFailure(
                    f"timed out after {_duration(self.options.timeout)} waiting for {self.waiting_for}",
                    [
                        "raise --timeout if this is only slow, or look at: "
                        f"cluster-capacity status --env {self.target.env}"
                    ],
                )
            if not announced:
                self.say(f"waiting for {self.waiting_for}")
                announced = True
            self.options.sleep(min(self.options.poll, remaining))

    # -- preflight -----------------------------------------------------------------------------------

    def preflight(self) -> str:
        """Check the pool and the operators; say how capacity will be obtained."""
        t = self.target
        ms = self.cluster.machineset(t.namespace, t.machineset)
        if ms is None:
            raise SmokeFailure(
                f"MachineSet {t.namespace}/{t.machineset} (pool {t.pool}) does not exist in the cluster",
                [
                    f"has Argo CD synced application {t.application}? "
                    f"check: cluster-capacity status --env {t.env}"
                ],
            )
        meta_labels = (ms.get("metadata") or {}).get("labels") or {}
        owner_env = meta_labels.get(labels.ENV)
        if owner_env is not None and owner_env != t.env:
            raise SmokeFailure(f"MachineSet {t.machineset} belongs to env {owner_env}, not {t.env}")
        if owner_env is None and meta_labels.get(labels.MANAGED_BY) != labels.MANAGED_BY_VALUE:
            raise SmokeFailure(
                f"MachineSet {t.machineset} is not managed by cluster-capacity "
                f"(no {labels.MANAGED_BY} label); "
                "the smoke test only scales pools this tool renders"
            )
        template = ((ms.get("spec") or {}).get("template") or {}).get("spec") or {}
        self.live_node_labels = dict((template.get("metadata") or {}).get("labels") or {}) or None
        self.live_taints = list(template.get("taints") or [])
        replicas = int((ms.get("spec") or {}).get("replicas") or 0)
        self.known_machines = {
            m["metadata"]["name"] for m in self.cluster.machines(t.namespace, t.machineset)
        }

        if self.usable_node() is not None:
            plan = "existing node"
        elif t.autoscaled:
            plan = "autoscaler"
        elif replicas > 0:
            plan = f"already scaling (replicas {replicas})"
        else:
            self.check_argocd()
            plan = "scale"
        self.mark("preflight", f"MachineSet {t.machineset}, replicas {replicas}, capacity: {plan}")
        if t.accelerator == "nvidia":
            self.wait_cluster_policy()
        return plan

    def check_argocd(self) -> None:
        t = self.target
        app = self.cluster.application(t.gitops_namespace, t.application)
        if app is None:
            self.say(
                f"no Argo CD Application {t.gitops_namespace}/{t.application}: nothing will revert replicas"
            )
            return
        spec = app.get("spec") or {}
        policy = spec.get("syncPolicy") or {}
        if policy.get("automated") is None:
            return  # manual sync only: nothing reverts the replicas during the run
        ignored = any(
            d.get("group") == "machine.openshift.io"
            and d.get("kind") == "MachineSet"
            and d.get("name") in (None, "", t.machineset)
            and (
                "/spec/replicas" in (d.get("jsonPointers") or [])
                or ".spec.replicas" in (d.get("jqPathExpressions") or [])
            )
            for d in spec.get("ignoreDifferences") or []
        )
        respected = "RespectIgnoreDifferences=true" in (policy.get("syncOptions") or [])
        if ignored and respected:
            return
        missing = (
            "ignoreDifferences on MachineSet /spec/replicas"
            if not ignored
            else "RespectIgnoreDifferences=true"
        )
        heal = " with selfHeal" if (policy.get("automated") or {}).get("selfHeal") else ""
        reason = (
            f"Argo CD Application {t.application} syncs automatically{heal} and lacks {missing}: "
            f"it would put MachineSet {t.machineset} back to its Git replicas while the smoke test runs; "
            "nothing was scaled"
        )
        if t.ignore_replicas_in_git:
            advice = [
                f"Git already sets capacityIgnoreMachineSetReplicas for env {t.env}, "
                "but the live Application "
                f"does not have it yet: render, push and sync {t.application}, then run smoke again"
            ]
        else:
            advice = [
                f"set capacityIgnoreMachineSetReplicas: true for env {t.env} in cluster-capacity.yaml, "
                "render, "
                "push, and let Argo CD sync the Application",
                f"or scale in Git: set replicas: 1 on pool {t.pool} in values-{t.env}.yaml, push, "
                "wait for the "
                "sync, then run smoke (it uses the existing node)",
            ]
        raise SmokeFailure(reason, advice)

    def wait_cluster_policy(self) -> None:
        name = self.target.cluster_policy

        def ready() -> bool | None:
            policies = self.cluster.cluster_policies()
            if not policies:
                raise SmokeFailure(
                    "no GPU Operator ClusterPolicy in the cluster",
                    [
                        "enable nvidia in the env's values and let Argo CD sync "
                        "(cluster-capacity status shows it)"
                    ],
                )
            chosen = next((p for p in policies if p["metadata"]["name"] == name), policies[0])
            state = (chosen.get("status") or {}).get("state") or "unknown"
            self.waiting_for = f"ClusterPolicy {chosen['metadata']['name']} to be ready (state: {state})"
            return True if state == "ready" else None

        self.wait("the ClusterPolicy to be ready", ready)
        self.mark("clusterpolicy_ready")

    # -- capacity ------------------------------------------------------------------------------------

    def pool_nodes(self) -> list[tuple[Obj, Obj | None]]:
        pairs = []
        for machine in self.cluster.machines(self.target.namespace, self.target.machineset):
            ref = ((machine.get("status") or {}).get("nodeRef") or {}).get("name")
            pairs.append((machine, self.cluster.node(ref) if ref else None))
        return pairs

    def usable_node(self) -> str | None:
        for _, node in self.pool_nodes():
            if node is not None and self.node_ready(node) and self.allocatable(node) > 0:
                return str(node["metadata"]["name"])
        return None

    @staticmethod
    def node_ready(node: Obj) -> bool:
        cond = _condition(node, "Ready")
        return cond is not None and cond.get("status") == "True"

    def allocatable(self, node: Obj) -> float:
        return _quantity(((node.get("status") or {}).get("allocatable") or {}).get(self.target.resource, 0))

    def scale(self) -> None:
        t = self.target
        ms = self.cluster.machineset(t.namespace, t.machineset) or {}
        original = int((ms.get("spec") or {}).get("replicas") or 0)
        self.result.original_replicas = original
        self.result.scaled_to = 1
        self.scale_requested = True  # before the call: an interrupt during it must still restore
        self.cluster.scale_machineset(t.namespace, t.machineset, 1)
        self.result.capacity = f"scaled {t.machineset} from {original} to 1 replica"
        self.mark("scaled", f"replicas {original} -> 1")

    def observe(self) -> str | None:
        """Follow the pool's new Machine through its phases; the name of a usable node once there is one."""
        usable = None
        for machine, node in self.pool_nodes():
            name = machine["metadata"]["name"]
            status = machine.get("status") or {}
            phase = status.get("phase") or ""
            new = name not in self.known_machines
            # Machines that were there before the run only count when the run waits for them.
            relevant = new or self.plan.startswith("already")
            problem = machine_problem(machine) if relevant else None
            # EC2 capacity errors leave the Machine Provisioning while the controller retries; a known
            # cause (no capacity, quota, permissions) will not clear within a smoke run, so end it now.
            if problem is not None and (phase == "Failed" or problem.reason != "Stuck"):
                first_line = problem.message.splitlines()[0]
                raise SmokeFailure(f"Machine {name} {problem.phase}: {first_line}", [problem.advice])
            if machine.get("metadata", {}).get("deletionTimestamp"):
                continue
            if self.watched_machine is None and relevant:
                self.watched_machine = name
                self.result.machine = name
                self.mark("machine_created", name)
            if name != self.watched_machine:
                if node is not None and self.node_ready(node) and self.allocatable(node) > 0:
                    usable = usable or str(node["metadata"]["name"])
                continue
            if phase in ("Provisioned", "Running"):
                self.mark(
                    "machine_provisioned", str(status.get("providerStatus", {}).get("instanceId") or "")
                )
            if phase == "Running":
                self.mark("machine_running")
            if node is not None:
                self.result.node = node["metadata"]["name"]
                if self.node_ready(node):
                    self.mark("node_ready", str(node["metadata"]["name"]))
                    if self.allocatable(node) > 0:
                        self.mark(f"{self.target.resource.split('/')[-1]}_allocatable")
                        usable = str(node["metadata"]["name"])
            self.waiting_for = self.describe_machine(name, phase, node)
            if problem is not None:  # an EC2 error we do not know; the controller keeps retrying
                self.waiting_for += f"; last launch error: {problem.message.splitlines()[0]}"
        if usable is not None and self.usable_since is None:
            self.usable_since = self.now()
        return usable

    def describe_machine(self, name: str, phase: str, node: Obj | None) -> str:
        if node is None:
            return f"Machine {name} to get a Node (phase {phase or 'none yet'})"
        if not self.node_ready(node):
            return f"Node {node['metadata']['name']} to be Ready"
        return (
            f"allocatable {self.target.resource} on Node {node['metadata']['name']} "
            "(driver and device plugin starting; the ClusterPolicy shows progress)"
        )

    def wait_capacity(self) -> None:
        existing = self.usable_node()
        if existing is not None:
            self.result.capacity = self.result.capacity or "existing node"
            self.result.node = existing
            return
        self.wait(f"a new Machine of MachineSet {self.target.machineset}", self.observe)

    # -- the pod -------------------------------------------------------------------------------------

    def create_pod(self) -> None:
        name = self.options.pod_name or f"{POD_NAME}-{secrets.token_hex(3)}"
        self.pod_name = self.result.pod = name
        pod = build_pod(
            self.target,
            image=self.options.image,
            name=name,
            namespace=self.options.namespace,
            live_node_labels=self.live_node_labels,
            live_taints=self.live_taints,
        )
        self.pod_created = True  # before the call: an interrupt during it must still delete it
        self.cluster.create_pod(self.options.namespace, pod)
        self.mark("pod_created", f"{self.options.namespace}/{name}")

    def pod_check(self) -> Obj | None:
        assert self.pod_name is not None
        ns = self.options.namespace
        pod = self.cluster.pod(ns, self.pod_name)
        if pod is None:
            raise SmokeFailure(f"smoke pod {ns}/{self.pod_name} disappeared before it finished")
        status = pod.get("status") or {}
        phase = status.get("phase") or "Pending"
        if self.target.autoscaled:
            self.observe()
        if phase in ("Succeeded", "Failed"):
            return pod
        scheduled = _condition(pod, "PodScheduled")
        if scheduled is not None and scheduled.get("status") == "True":
            node = (pod.get("spec") or {}).get("nodeName")
            self.result.node = node or self.result.node
            self.mark("pod_scheduled", str(node or ""))
            for cs in status.get("containerStatuses") or []:
                waiting = (cs.get("state") or {}).get("waiting") or {}
                if waiting.get("reason") in _STUCK_REASONS:
                    raise SmokeFailure(
                        f"smoke pod cannot start: {waiting['reason']}: {waiting.get('message', '')}".rstrip(
                            ": "
                        ),
                        ["check the image name and that the cluster can pull it (--image to use another)"],
                    )
            self.waiting_for = f"smoke pod {self.pod_name} to finish (phase {phase})"
            return None
        if scheduled is not None and scheduled.get("reason") == "Unschedulable":
            self.unschedulable(str(scheduled.get("message") or "no message"))
        self.waiting_for = f"smoke pod {self.pod_name} to be scheduled"
        return None

    def unschedulable(self, message: str) -> None:
        t = self.target
        advice = [
            "compare the pod's tolerations and nodeSelector (cluster-capacity smoke --print-pod) with the "
            "pool's node taints and labels"
        ]
        if not t.autoscaled:
            raise SmokeFailure(f"smoke pod cannot be scheduled: {message}", advice)
        for event in self.cluster.pod_events(self.options.namespace, self.pod_name or ""):
            if event.get("reason") == "NotTriggerScaleUp":
                raise SmokeFailure(
                    f"the autoscaler will not add a node for the smoke pod: {event.get('message')}", advice
                )
        if (
            self.usable_since is not None
            and self.now() - self.usable_since >= self.options.unschedulable_grace
        ):
            raise SmokeFailure(f"smoke pod cannot be scheduled on the pool's node: {message}", advice)
        self.waiting_for = "the cluster autoscaler to add a node for the smoke pod"

    def finish_pod(self, pod: Obj) -> None:
        assert self.pod_name is not None
        phase = (pod.get("status") or {}).get("phase")
        self.mark("pod_completed", str(phase))
        try:
            log = self.cluster.pod_log(self.options.namespace, self.pod_name)
        except CapacityError as exc:
            if phase == "Succeeded":
                raise
            log = ""  # a pod that failed before its container started has no log to read
            self.say(f"no log: {exc}")
        self.result.log = log
        if phase != "Succeeded":
            terminated: Obj = {}
            for cs in (pod.get("status") or {}).get("containerStatuses") or []:
                terminated = (cs.get("state") or {}).get("terminated") or terminated
            tail = log.strip().splitlines()[-1] if log.strip() else "no output"
            raise SmokeFailure(
                f"smoke pod failed (exit code {terminated.get('exitCode', '?')}"
                f"{', ' + terminated['reason'] if terminated.get('reason') else ''}): {tail}",
                [
                    "read the whole log in the report (--report FILE.json), "
                    "or rerun with --keep and inspect the node"
                ],
            )
        try:
            if self.target.accelerator == "nvidia":
                self.result.gpu = parse_nvidia_smi(log)
            else:
                self.result.gpu = parse_neuron_ls(log)
        except GpuOutputError as exc:
            raise SmokeFailure(
                f"cannot read the smoke pod's output: {exc}", ["the whole log is in the report (--report)"]
            ) from exc

    # -- cleanup -------------------------------------------------------------------------------------

    def cleanup(self) -> None:
        t, ns = self.target, self.options.namespace
        if self.pod_created and self.pod_name:
            try:
                self.cluster.delete_pod(ns, self.pod_name)
                self.result.cleanup.append(f"deleted pod {ns}/{self.pod_name}")
            except CapacityError as exc:
                self.result.cleanup_errors.append(f"delete pod {ns}/{self.pod_name}: {exc}")
        if not self.scale_requested:
            return
        original = self.result.original_replicas or 0
        if self.options.keep:
            self.result.cleanup.append(
                f"kept MachineSet {t.machineset} at 1 replica (--keep); to scale back: "
                f"oc scale machineset {t.machineset} -n {t.namespace} --replicas={original}"
            )
            return
        try:
            ms = self.cluster.machineset(t.namespace, t.machineset) or {}
            current = int((ms.get("spec") or {}).get("replicas") or 0)
            if current == original:
                self.result.cleanup.append(f"MachineSet {t.machineset} already at {original} replicas")
            elif current == self.result.scaled_to:
                self.cluster.scale_machineset(t.namespace, t.machineset, original)
                self.result.cleanup.append(f"restored MachineSet {t.machineset} replicas to {original}")
            else:
                self.result.cleanup_errors.append(
                    f"MachineSet {t.machineset} is at {current} replicas, "
                    "changed by someone else during the run; "
                    f"left as is (it was {original} before)"
                )
        except CapacityError as exc:
            self.result.cleanup_errors.append(f"restore replicas of {t.machineset} to {original}: {exc}")
