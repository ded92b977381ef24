"""The rows of ``inferentia check``: what the cluster and AWS say about running the AWS Neuron stack.

Each builder reads through `cluster_capacity.kube` or the planner's `Snapshot` and returns a `Row`:
pass, warn or fail, what it found, and what to do. `cluster_capacity.ops.inferentia.check` puts them together.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    pass

__all__ = ["BEST_EFFORT_MIN", "NAMED_FAMILIES", "SUPPORTED_MIN", "ClusterFacts", "Row", "Status"]

Status = Literal["pass", "warn", "fail"]
Obj = dict[str, Any]

#: OpenShift releases the AWS Neuron operator supports (ROSA with HCP 4.19+), and the best-effort floor.
SUPPORTED_MIN = (4, 19)
BEST_EFFORT_MIN = (4, 16)
#: Instance families the Neuron operator's docs and release workflow name; others are best effort.
NAMED_FAMILIES = ("inf1", "inf2", "trn1", "trn1n")
WORKER_SELECTOR = "node-role.kubernetes.io/worker"
NEURON_OPERATOR_INDEX = "public.ecr.aws/os-partners/neuron-openshift/operator-index"
VERSION_RE = re.compile(r"^(\d+)\.(\d+)")
READ_ACCESS = "grant read access (docs/rbac-readonly-clusterrole.yaml) and check again"


@dataclass(frozen=True)
class Row:
    """One line of the verdict."""

    key: str  # stable id: platform, openshift, kernel, nfd, kmm, neuron-operator, offered/<pool>, quota/<f>-<m>
    title: str
    status: Status
    found: str
    action: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "check": self.key,
            "title": self.title,
            "status": self.status,
            "found": self.found,
            "action": self.action,
        }


@dataclass(frozen=True)
class RowBuilder:
    """Makes the rows of one check."""

    key: str
    title: str

    def ok(self, found: str) -> Row:
        return Row(self.key, self.title, "pass", found)

    def warn(self, found: str, action: str) -> Row:
        return Row(self.key, self.title, "warn", found, action)

    def fail(self, found: str, action: str = "") -> Row:
        return Row(self.key, self.title, "fail", found, action)


@dataclass
class ClusterFacts:
    """What the cluster rows learn and the others use."""

    platform: str = ""
    region: str = ""
    version: str = ""
    kernels: tuple[str, ...] = ()
    worker_zones: frozenset[str] = frozenset()


def guard(key: str, title: str, build: Callable[..., Row], *args: Any) -> Row:
    """``build(*args)``; a row whose reads the API refused (RBAC, a missing kind) fails with its reason."""
    from cluster_capacity import kube as k

    try:
        return build(*args)
    except k.ApiError as exc:
        return RowBuilder(key, title).fail(str(exc), READ_ACCESS if isinstance(exc, k.ForbiddenError) else "")


def aws_failure(message: str) -> Row:
    """AWS could not be read: the offering and quota rows cannot pass."""
    return RowBuilder("aws", "AWS offerings and quotas").fail(
        f"cannot read AWS: {message}",
        "give AWS credentials (--profile, AWS_PROFILE or AWS_* variables) allowed the actions in "
        "docs/aws-iam-policy.json, and check again",
    )


def no_pools(env: str) -> Row:
    """The env declares no Neuron pool: nothing to check on AWS."""
    return RowBuilder("pools", "Neuron pools").warn(
        f"no Inferentia/Trainium pool in values-{env}.yaml: instance types and quotas were not checked",
        "add a pool (instance type inf2.xlarge, trn1.2xlarge, ...) and check again",
    )
