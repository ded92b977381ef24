"""Label and annotation keys this tool puts on what it renders, and reads back from a live cluster."""

from __future__ import annotations

MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "cluster-capacity"
#: The env (``values-<env>.yaml``) an object was rendered for; set in project mode only.
ENV = "cluster-capacity/env"
#: The pool (``nameSuffix``) a MachineSet, MachineAutoscaler or Machine belongs to.
POOL = "cluster-capacity/pool"

#: On the On-Demand twin of a Spot MachineSet (``onDemandFallback``): the Spot MachineSet's name.
FALLBACK_FOR = "cluster-capacity/fallback-for"
#: Node label of a fallback pool's nodes, ``spot`` or ``on-demand``: it keeps the cluster autoscaler from
#: treating a Spot MachineSet and its twin as "similar" and balancing a scale-up over both.
MARKET = "cluster-capacity/market"

ACCELERATOR = "cluster-api/accelerator"
CLUSTER = "machine.openshift.io/cluster-api-cluster"
MACHINE_ROLE = "machine.openshift.io/cluster-api-machine-role"
MACHINE_TYPE = "machine.openshift.io/cluster-api-machine-type"
MACHINESET = "machine.openshift.io/cluster-api-machineset"
INTERRUPTIBLE = "machine.openshift.io/interruptible-instance"

#: Extended resources the device plugins expose, and the taint keys of their pools.
GPU_RESOURCE = "nvidia.com/gpu"
NEURON_RESOURCE = "aws.amazon.com/neuron"

#: Node labels the GPU Operator reads to share a node's GPUs: the device-plugin config key to use
#: (time-slicing), and the MIG Manager profile to partition the GPUs with.
DEVICE_PLUGIN_CONFIG = "nvidia.com/device-plugin.config"
MIG_CONFIG = "nvidia.com/mig.config"

SYNC_WAVE = "argocd.argoproj.io/sync-wave"
SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
