"""In-process Kubernetes API emulator for the cluster-facing tests (see ``server.py`` for the how-to).

from tests.emulator import KubeEmulator, openshift
from tests.emulator.fixtures import *   # in a test package's conftest.py: kube_emulator, kubeconfig, ...
"""

from __future__ import annotations

from . import openshift
from .faults import USER, Fault, RecordedRequest
from .resources import OPENSHIFT_RESOURCES, ResourceType
from .server import TOKEN, KubeEmulator

__all__ = [
    "OPENSHIFT_RESOURCES",
    "TOKEN",
    "USER",
    "Fault",
    "KubeEmulator",
    "RecordedRequest",
    "ResourceType",
    "openshift",
]
