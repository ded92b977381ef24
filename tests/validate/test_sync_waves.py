"""Capacity never waits on operator health: the wave rule as a policy, and the render that keeps it."""

from __future__ import annotations

import copy

from cluster_capacity.config import load_env
from cluster_capacity.render import render_env
from cluster_capacity.validate.policies import check_policies
from cluster_capacity.validate.sync_waves import CAPACITY_KINDS, capacity_first, manual_approval, wave_of
from tests.conftest import EXAMPLES


def example() -> list[dict]:
    return render_env(load_env(EXAMPLES, "prod"))


def test_rendered_capacity_is_never_behind_a_subscription() -> None:
    objects = example()
    subs = [wave_of(o) for o in objects if o["kind"] == "Subscription"]
    capacity = [o for o in objects if o["kind"] in CAPACITY_KINDS]
    assert subs and {o["kind"] for o in capacity} == set(CAPACITY_KINDS)
    assert max(wave_of(o) for o in capacity) <= min(subs)
    for cr in (o for o in objects if o["kind"] in ("ClusterPolicy", "NodeFeatureDiscovery")):
        assert wave_of(cr) > min(subs)  # operator CRs still after their Subscriptions
    assert [f for f in check_policies(objects) if f.rule in ("capacity-first", "olm-approval")] == []


def test_a_machineset_behind_the_subscriptions_is_an_error() -> None:
    objects = copy.deepcopy(example())
    ms = next(o for o in objects if o["kind"] == "MachineSet")
    ms["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] = "3"
    (finding,) = capacity_first(objects)
    assert finding.severity == "error" and finding.rule == "capacity-first"
    assert str(finding) == (
        f"MachineSet openshift-machine-api/{ms['metadata']['name']}: metadata.annotations."
        "argocd.argoproj.io/sync-wave: sync wave 3 is later than the gpu-operator-certified Subscription's (0): "
        "Argo CD would hold this MachineSet until that operator is healthy (a Manual InstallPlan or a broken "
        "catalog blocks every capacity change); use wave 0 or lower"
    )


def test_manual_approval_warns_with_the_consequence() -> None:
    objects = copy.deepcopy(example())
    sub = next(o for o in objects if o["kind"] == "Subscription" and o["spec"]["name"] == "nfd")
    sub["spec"]["installPlanApproval"] = "Manual"
    (finding,) = manual_approval(objects)
    assert finding.severity == "warning" and finding.rule == "olm-approval"
    assert str(finding) == (
        "warning: Subscription openshift-nfd/nfd: spec.installPlanApproval: Manual: each InstallPlan waits "
        "until someone approves it (oc patch installplan NAME -n openshift-nfd --type merge -p "
        '\'{"spec":{"approved":true}}\'); until then Argo CD reports the Subscription Progressing and holds '
        "every later sync wave (ClusterPolicy, NodeFeatureDiscovery, ServiceMonitor included)"
    )
