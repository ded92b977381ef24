"""The project file ``cluster-capacity.yaml`` as pydantic models (``project`` loads it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from cluster_capacity.config._fields import Switch, _Model
from cluster_capacity.config._logic import EnvEntryLogic, ProjectLogic


class ClusterRef(_Model):
    """Where an env's Application deploys: an Argo CD cluster by ``name``, or an API ``server`` URL."""

    name: str | None = Field(None, min_length=1)
    server: str | None = Field(None, min_length=1)


class EnvEntry(EnvEntryLogic, _Model):
    """One env: ``values-<name>.yaml`` and its Argo CD Application ``cluster-capacity-<name>``."""

    name: str = Field(min_length=1, max_length=40)
    capacity_enabled: Switch = True
    #: ``None`` means: ignore MachineSet replicas when any pool of the env autoscales.
    capacity_ignore_machine_set_replicas: Switch | None = None
    #: The cluster's OpenShift version, as ``discover --env NAME --write`` recorded it (X.Y.Z).
    openshift_version: str | None = Field(None, pattern=r"^\d+\.\d+(\.\d+)?$")
    #: The Application's destination (default: the project's ``destinationServer``, in-cluster).
    cluster: ClusterRef | None = None
    #: Kubeconfig context of the env's cluster, for the commands that read it (default: the cluster's name).
    kube_context: str | None = Field(None, min_length=1)
    #: AWS profile of the env's account, for ``plan --check --all`` (default: ``--profile``, the chain's).
    aws_profile: str | None = Field(None, min_length=1)


class Project(ProjectLogic, _Model):
    """``cluster-capacity.yaml`` at the root of a GitOps repo."""

    repo_url: str = Field(alias="repoURL", min_length=1)
    target_revision: str = "HEAD"
    gitops_namespace: str = "openshift-gitops"
    #: Name of the ArgoCD instance (OpenShift GitOps) in ``gitopsNamespace``; default: the namespace's name.
    argocd_instance: str | None = Field(None, min_length=1)
    #: Argo CD AppProject the Applications belong to.
    argocd_project: str = "default"
    destination_server: str = "https://kubernetes.default.svc"
    #: One ApplicationSet (a list generator over the envs) instead of one Application per env.
    application_set: Switch = False
    values_dir: str = "values"
    output_dir: str = "rendered"
    envs: list[EnvEntry] = Field(default_factory=list)

    if TYPE_CHECKING:

        def env(self, name: str) -> EnvEntry: ...
