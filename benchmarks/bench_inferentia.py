"""``inferentia check`` request count and time on a large cluster (the cluster rows; AWS not called).

The cluster is the test emulator (real HTTP on 127.0.0.1, the official client) with ``--nodes`` worker
Nodes; the check reads Infrastructure, ClusterVersion, the worker Nodes, Subscriptions, one CSV, the
NodeFeatureRule API and two PackageManifests, whatever the size of the cluster (Nodes page by 500).

    PYTHONPATH=src:. python benchmarks/bench_inferentia.py [--runs 10] [--nodes 500]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "src"), str(REPO)]

from tests.emulator import KubeEmulator  # noqa: E402
from tests.ops.neuron_cluster import KERNEL, seed, write_project  # noqa: E402

from cluster_capacity import kube  # noqa: E402
from cluster_capacity.ops.inferentia.check import check, load_env_for_check  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--nodes", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, KubeEmulator() as emu:
        seed(emu, kernels=(KERNEL,) * args.nodes)
        config = load_env_for_check(write_project(Path(tmp) / "repo"), "prod")
        client = kube.connect(emu.write_kubeconfig(Path(tmp) / "kubeconfig"))
        times, requests = [], 0
        for _ in range(args.runs):
            emu.clear_requests()
            start = time.perf_counter()
            report = check(client, config, pools=(), today=dt.date(2026, 11, 28))
            times.append(time.perf_counter() - start)
            requests = emu.count()
        client.close()
    assert report.kernels == (KERNEL,)
    print(f"inferentia check, {args.nodes} worker nodes, {args.runs} runs (cluster rows, AWS not called)")
    print(f"  API requests per check: {requests}")
    print(
        f"  time per check: median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
