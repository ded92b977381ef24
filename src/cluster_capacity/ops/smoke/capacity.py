"""The capacity steps of a smoke run: find a usable node, or get one (scale 0 -> 1, or the autoscaler)."""

from __future__ import annotations

from cluster_capacity.ops.pools.machines import machine_problem
from cluster_capacity.ops.smoke.record import (
    RECORD,
    SmokeRecord,
    clean_up_pool,
    cleanup_command,
    read_record,
)
from cluster_capacity.ops.smoke.state import Obj, RunState, SmokeFailure, condition, quantity


class CapacitySteps(RunState):
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
        cond = condition(node, "Ready")
        return cond is not None and cond.get("status") == "True"

    def allocatable(self, node: Obj) -> float:
        return quantity(((node.get("status") or {}).get("allocatable") or {}).get(self.target.resource, 0))

    def settle_earlier_run(self, ms: Obj) -> Obj:
        """Undo what an interrupted run left on the pool (its record says what), or refuse to run beside it."""
        t = self.target
        record = read_record(ms)
        if record is None or record.kept:
            return ms
        replicas = int((ms.get("spec") or {}).get("replicas") or 0)
        if not record.abandoned(self.options.wall()):
            raise SmokeFailure(
                f"{record.describe()} is testing pool {t.pool} (MachineSet {t.machineset} at {replicas} "
                f"replicas, record valid until {record.deadline}); nothing was changed",
                [
                    f"wait for it to finish; if it was killed, undo what it left: {cleanup_command(t.env, t.pool)}"
                ],
            )
        self.say(
            f"{record.describe()} did not finish and left MachineSet {t.machineset} at {replicas} replicas "
            f"(it was {record.original_replicas}): cleaning up first"
        )
        report = clean_up_pool(self.cluster, t, namespaces=(self.options.namespace,))
        for done in report.done:
            self.result.cleanup.append(f"before the run: {done}")
            self.say(done)
        if report.errors:
            raise SmokeFailure(
                f"cannot clean up after {record.describe()}: " + "; ".join(report.errors),
                [f"fix the cause, then: {cleanup_command(t.env, t.pool)}"],
            )
        return self.cluster.machineset(t.namespace, t.machineset) or ms

    def scale(self) -> None:
        t = self.target
        ms = self.cluster.machineset(t.namespace, t.machineset) or {}
        original = int((ms.get("spec") or {}).get("replicas") or 0)
        self.result.original_replicas = original
        self.result.scaled_to = 1
        # The record goes on the MachineSet before the change, so a run killed right after the scale
        # (SIGKILL, a lost laptop) still leaves what is needed to undo it.
        self.record = SmokeRecord.new(
            self.run_id,
            original,
            1,
            now=self.options.wall(),
            timeout=self.options.timeout,
            pod_namespace=self.options.namespace,
        )
        self.cluster.annotate_machineset(t.namespace, t.machineset, RECORD, self.record.annotation())
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

    def check_shares(self, node_name: str | None) -> None:
        """A shared pool's node advertises physical GPUs x shares per GPU, or the sharing is not applied."""
        t = self.target
        node = self.cluster.node(node_name) if node_name and t.expected_allocatable else None
        if node is None:
            return
        found = int(self.allocatable(node))
        if found != t.expected_allocatable:
            raise SmokeFailure(
                f"Node {node_name} advertises {found} {t.resource}, expected {t.expected_allocatable} "
                f"({t.instance_type}: {t.sharing})",
                [
                    "the GPU Operator has not applied the pool's sharing: check the node's labels "
                    "nvidia.com/device-plugin.config / nvidia.com/mig.config (and mig.config.state), and "
                    "the device plugin's log: oc logs -n nvidia-gpu-operator -l app=nvidia-device-plugin-daemonset"
                ],
            )
        self.mark("sharing_applied", f"{found} {t.resource}")

    def wait_capacity(self) -> None:
        existing = self.usable_node()
        if existing is not None:
            self.result.capacity = self.result.capacity or "existing node"
            self.result.node = existing
            return
        self.wait(f"a new Machine of MachineSet {self.target.machineset}", self.observe)

    # -- the pod -------------------------------------------------------------------------------------
