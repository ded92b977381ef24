"""Time ``plan`` over the whole EC2 catalog once the API answers are in memory.

The answers come from moto (AWS's real catalog of ~1,400 instance types and the zone offerings of a
region), read once; then the pure planning is timed: a full plan (every accelerator family, both
markets, targets), a pool check, and a snapshot JSON round trip. Run:

    PYTHONPATH=src python benchmarks/bench_plan.py [REGION]
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable

os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")

import boto3
from moto import mock_aws

from cluster_capacity.aws.client import Aws
from cluster_capacity.aws.plan import (
    PoolDemand,
    RunningInstance,
    Snapshot,
    check_pools,
    make_plan,
)
from cluster_capacity.aws.snapshot import info_from_api


def whole_catalog(region: str) -> Snapshot:
    """Every instance type, every offering and Spot price of ``region``, plus 1,000 running instances."""
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=region)
        catalog = {}
        for page in ec2.get_paginator("describe_instance_types").paginate():
            for item in page["InstanceTypes"]:
                info = info_from_api(item)
                catalog[info.name] = info
        aws = Aws(region=region, clients={"ec2": ec2})
        offerings = aws.offerings(sorted(catalog))
        prices = aws.spot_prices(sorted(offerings))
    zones = sorted({z for zs in offerings.values() for z in zs})
    offered = sorted(offerings)
    instances = tuple(
        RunningInstance(
            offered[i % len(offered)],
            zones[i % len(zones)],
            i % 3 == 0,
            catalog[offered[i % len(offered)]].vcpus,
        )
        for i in range(1000)
    )
    snap = Snapshot(region, catalog, offerings, prices, {}, instances)
    return snap.with_quotas({(f, m): 4096 for f in ("g", "p", "inf", "trn") for m in ("spot", "on-demand")})


def timed(label: str, fn: Callable[[], object], repeat: int = 20) -> None:
    fn()  # warm up
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    print(f"{label:<58} median {statistics.median(runs):7.2f} ms   max {max(runs):7.2f} ms   ({repeat} runs)")


def main() -> None:
    region = sys.argv[1] if len(sys.argv) > 1 else "us-east-1"
    start = time.perf_counter()
    snap = whole_catalog(region)
    read = time.perf_counter() - start
    offerings = sum(len(z) for z in snap.offerings.values())
    prices = sum(len(p) for p in snap.spot_prices.values())
    print(f"region {region}: {len(snap.catalog)} instance types, {offerings} zone offerings, {prices} Spot prices, "
          f"{len(snap.instances)} running instances (read from moto in {read:.1f} s)")  # fmt: skip

    def full_plan() -> object:
        return make_plan(snap, target_gpus=64, target_neuron_devices=32, min_accelerator_memory_gib=16)

    plan = full_plan()
    listed = sum(len(f.fits) for f in plan.families)
    print(f"full plan: {len(plan.families)} family/market sections, {listed} fitting rows")
    timed("make_plan: all families, both markets, targets", full_plan)
    zones = list(snap.zones())[:1]
    timed(
        "make_plan: NVIDIA Spot in one zone",
        lambda: make_plan(snap, family="nvidia", markets=["spot"], zones=zones),
    )
    pools = [
        PoolDemand(f"pool-{i}", t, next(iter(sorted(snap.offerings[t]))), i % 2 == 0, 0, 4)
        for i, t in enumerate(
            n for n, info in sorted(snap.catalog.items()) if info.accelerator and n in snap.offerings
        )
    ]
    timed(f"check_pools: {len(pools)} pools", lambda: check_pools(pools, snap))
    text = json.dumps(snap.to_dict())
    timed(f"snapshot JSON round trip ({len(text) // 1024} KiB)", lambda: Snapshot.from_dict(json.loads(text)))


if __name__ == "__main__":
    main()
