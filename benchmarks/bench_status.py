"""Status speed and request count at scale: 50 pools (MachineSets), 500 Machines, 500 Nodes.

Budget (issue 3): at most 10 API requests, whatever the size of the cluster. The cluster is the test
emulator (real HTTP on 127.0.0.1, the official client), so the time is the client side plus a local
server: parsing 1,000+ objects, not network latency.

    PYTHONPATH=src:. python benchmarks/bench_status.py [--runs 10] [--pools 50 --machines 500 --nodes 500]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "src"), str(REPO)]

from tests.emulator import KubeEmulator, openshift  # noqa: E402

from cluster_capacity import kube  # noqa: E402
from cluster_capacity.config import load_env  # noqa: E402
from cluster_capacity.ops.pools.status import pool_status  # noqa: E402

INFRA = "prod-nkqd9"


def project_with_pools(folder: Path, suffixes: list[str]) -> Path:
    shutil.copytree(REPO / "examples", folder / "repo")
    values = folder / "repo" / "values" / "values-prod.yaml"
    data = yaml.safe_load(values.read_text())
    template = data["machineSets"][0]
    pools = []
    for suffix in suffixes:
        zone = suffix.split("-xlarge-")[1][:10]
        spec = {**template["providerSpec"], "placement": {"availabilityZone": zone, "region": "us-west-2"}}
        pools.append(
            {**template, "nameSuffix": suffix, "autoscaler": {"enabled": False}, "providerSpec": spec}
        )
    data["machineSets"] = pools
    data["autoscaling"]["clusterAutoscaler"]["enabled"] = False
    values.write_text(yaml.safe_dump(data))
    return folder / "repo" / "cluster-capacity.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--pools", type=int, default=50)
    parser.add_argument("--machines", type=int, default=500)
    parser.add_argument("--nodes", type=int, default=500)
    args = parser.parse_args()

    with KubeEmulator() as emu, tempfile.TemporaryDirectory() as tmp:
        suffixes = openshift.seed_large(
            emu, machinesets=args.pools, machines=args.machines, nodes=args.nodes, infra_id=INFRA
        )
        cfg = load_env(project_with_pools(Path(tmp), suffixes), "prod")
        client = kube.connect(emu.write_kubeconfig(Path(tmp) / "kubeconfig"))
        now = dt.datetime.now(dt.timezone.utc)
        times, counts = [], []
        for _ in range(args.runs):
            emu.clear_requests()
            start = time.perf_counter()
            report = pool_status(client, cfg, now=now)
            times.append(time.perf_counter() - start)
            counts.append(emu.count())
        assert report.healthy and len(report.pools) == args.pools
    print(f"status over {args.pools} pools, {args.machines} Machines, {args.nodes} Nodes ({args.runs} runs)")
    print(f"  time: min {min(times) * 1000:.0f} ms, median {statistics.median(times) * 1000:.0f} ms")
    print(f"  API requests per run: {max(counts)} (budget 10)")


if __name__ == "__main__":
    main()
