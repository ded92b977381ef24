"""The steps of a smoke run (preflight, capacity, waits, pod, cleanup) over a ``SmokeCluster``.

Private to ``ops.smoke``, which owns the run's lifecycle (signals, the result, the order of steps).
"""

from __future__ import annotations

from cluster_capacity import labels
from cluster_capacity.errors import CapacityError
from cluster_capacity.ops.smoke.capacity import CapacitySteps
from cluster_capacity.ops.smoke.nvidia_smi import GpuOutputError, parse_neuron_ls, parse_nvidia_smi
from cluster_capacity.ops.smoke.pod import POD_NAME, build_pod
from cluster_capacity.ops.smoke.record import RECORD, SmokeRecord, cleanup_command
from cluster_capacity.ops.smoke.state import STUCK_REASONS, Obj, SmokeFailure, condition

__all__ = ["SmokeFailure", "SmokeRun"]


class SmokeRun(CapacitySteps):
    """One run and its steps, in the order ``run_smoke`` calls them."""

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
        ms = self.settle_earlier_run(ms)
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

    def create_pod(self) -> None:
        name = self.options.pod_name or f"{POD_NAME}-{self.run_id}"
        self.pod_name = self.result.pod = name
        pod = build_pod(
            self.target,
            image=self.options.image,
            name=name,
            namespace=self.options.namespace,
            live_node_labels=self.live_node_labels,
            live_taints=self.live_taints,
            run_id=self.run_id,
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
        scheduled = condition(pod, "PodScheduled")
        if scheduled is not None and scheduled.get("status") == "True":
            node = (pod.get("spec") or {}).get("nodeName")
            self.result.node = node or self.result.node
            self.mark("pod_scheduled", str(node or ""))
            for cs in status.get("containerStatuses") or []:
                waiting = (cs.get("state") or {}).get("waiting") or {}
                if waiting.get("reason") in STUCK_REASONS:
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
        self.check_shares(str((pod.get("spec") or {}).get("nodeName") or self.result.node or ""))

    # -- cleanup -------------------------------------------------------------------------------------

    def cleanup(self) -> None:
        t, ns = self.target, self.options.namespace
        if self.pod_created and self.pod_name:
            try:
                self.cluster.delete_pod(ns, self.pod_name)
                self.result.cleanup.append(f"deleted pod {ns}/{self.pod_name}")
            except CapacityError as exc:
                self.result.cleanup_errors.append(f"delete pod {ns}/{self.pod_name}: {exc}")
        if self.record is None:
            return
        original = self.result.original_replicas or 0
        if self.options.keep:
            self.result.cleanup.append(
                f"kept MachineSet {t.machineset} at 1 replica (--keep); to scale back: "
                f"{cleanup_command(t.env, t.pool)}"
            )
            self._write_record(self.record.kept_up())
            return
        try:
            if self.scale_requested:
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
            # The record stays on the MachineSet: status shows the pool, --cleanup finishes the job.
            self.result.cleanup_errors.append(
                f"restore replicas of {t.machineset} to {original}: {exc}; "
                f"once the cluster answers: {cleanup_command(t.env, t.pool)}"
            )
            return
        self._write_record(None)

    def _write_record(self, record: SmokeRecord | None) -> None:
        t = self.target
        try:
            self.cluster.annotate_machineset(
                t.namespace, t.machineset, RECORD, record.annotation() if record else None
            )
        except CapacityError as exc:
            self.result.cleanup_errors.append(f"update the smoke record on MachineSet {t.machineset}: {exc}")
