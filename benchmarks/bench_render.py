"""Render speed: CLI start-up on the shipped example, and in-process render+validate throughput.

Budgets (issue 2): rendering one env from the CLI costs at most 2x `python -c "import pydantic, yaml"`;
render+validate of 1,000 envs in one process under 10 s on a 2-core machine.

    python benchmarks/bench_render.py [--runs 15] [--crds ../shared/crds]
"""

from __future__ import annotations

import argparse
import copy
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def wall(cmd: list[str], runs: int) -> tuple[float, float]:
    # measure what a user sees: byte code cached (some sandboxes set PYTHONDONTWRITEBYTECODE, which
    # would make every run recompile the package)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=REPO, env=env)
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def env_values(i: int) -> dict[str, Any]:
    base = {
        "enabled": True,
        "infraID": f"env{i:04d}-abcde",
        "nvidia": {"enabled": True, "dashboards": {"enabled": i % 2 == 0}},
        "autoscaling": {
            "clusterAutoscaler": {"enabled": True, "spec": {"resourceLimits": {"maxNodesTotal": 20}}}
        },
        "machineSets": [],
    }
    spec = {
        "apiVersion": "machine.openshift.io/v1beta1",
        "kind": "AWSMachineProviderConfig",
        "ami": {"id": "ami-0a4c9e2ab2cf5e5c7"},
        "instanceType": "g5.xlarge",
        "placement": {"availabilityZone": "us-west-2a", "region": "us-west-2"},
        "subnet": {"filters": [{"name": "tag:Name", "values": [f"env{i}-subnet-private-us-west-2a"]}]},
        "credentialsSecret": {"name": "aws-cloud-credentials"},
        "userDataSecret": {"name": "worker-user-data"},
    }
    for zone in "abc":
        ps = copy.deepcopy(spec)
        ps["placement"]["availabilityZone"] = f"us-west-2{zone}"
        if zone != "c":
            ps["spotMarketOptions"] = {}
        base["machineSets"].append(
            {
                "enabled": True,
                "nameSuffix": f"gpu-g5-xlarge-us-west-2{zone}",
                "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}],
                "autoscaler": {"enabled": True, "minReplicas": 0, "maxReplicas": 3},
                "providerSpec": ps,
            }
        )
    return base


def throughput(n: int, crds: Path) -> tuple[float, int]:
    from cluster_capacity.config.project import values_from_layered
    from cluster_capacity.config.sources import Layered, Source
    from cluster_capacity.render import render
    from cluster_capacity.validate import validate_objects
    from cluster_capacity.validate.schemas import SchemaRegistry

    datas = [env_values(i) for i in range(n)]
    start = time.perf_counter()
    registry = SchemaRegistry.from_directory(crds)
    objects = 0
    for i, data in enumerate(datas):
        values = values_from_layered(Layered(data, [Source(f"values-{i}.yaml", data)]))
        rendered = render(values, f"env{i}")
        findings = [f for f in validate_objects(rendered, registry) if f.severity == "error"]
        if findings:
            raise SystemExit(f"unexpected findings: {findings[:3]}")
        objects += len(rendered)
    return time.perf_counter() - start, objects


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--crds",
        type=Path,
        default=Path(os.environ.get("CLUSTER_CAPACITY_CRDS", REPO.parent / "shared" / "crds")),
    )
    args = parser.parse_args()

    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(REPO / "src")], check=True, stdout=subprocess.DEVNULL
    )
    exe = shutil.which("cluster-capacity", path=str(Path(sys.executable).parent)) or "cluster-capacity"
    base_min, base_med = wall([sys.executable, "-c", "import pydantic, yaml"], args.runs)
    # The floor any pydantic-based CLI pays: building and using one model loads pydantic's schema
    # machinery, which `import pydantic` alone does not.
    one_model = "import pydantic, yaml\nclass V(pydantic.BaseModel):\n    x: bool = False\nV.model_validate({'x': True})"
    model_min, model_med = wall([sys.executable, "-c", one_model], args.runs)
    cli_min, cli_med = wall([exe, "render", "--project", "examples", "--env", "prod"], args.runs)
    print(
        f"python -c 'import pydantic, yaml'      min {base_min * 1000:6.0f} ms   median {base_med * 1000:6.0f} ms"
    )
    print(
        f"... and build one pydantic model        min {model_min * 1000:6.0f} ms   median {model_med * 1000:6.0f} ms"
    )
    print(
        f"cluster-capacity render (example prod)  min {cli_min * 1000:6.0f} ms   median {cli_med * 1000:6.0f} ms"
    )
    print(
        f"ratio (min/min): {cli_min / base_min:.2f}x   budget: 2.00x   (one pydantic model alone: {model_min / base_min:.2f}x)"
    )
    for n in (1, 100, 1000):
        seconds, objects = throughput(n, args.crds)
        print(
            f"render+validate {n:5d} env(s): {seconds:6.2f} s  ({objects} objects, {seconds / n * 1000:.2f} ms/env)"
        )


if __name__ == "__main__":
    main()
