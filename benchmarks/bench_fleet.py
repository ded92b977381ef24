"""A fleet of N envs (default 1,000) from one repository, side by side with helm when it is on PATH.

Generates a project with N envs (three GPU pools each, the GPU Operator, NFD, autoscaling), then times
the CLI: `render --all` into an empty folder, again with nothing changed, `render --all --check`,
`validate --all`, one env's `render`, `--help` and `render --help`. With `helm` on PATH and `--chart DIR` (the seed
chart, e.g. `git archive` of bitiq-io/gitops charts/cluster-capacity), it also times `helm template` for
the same values, one process per env as a fleet pipeline runs it (`--helm-envs` of them, scaled to N),
and prints each ratio of issue 15's table.

    python benchmarks/bench_fleet.py [--envs 1000] [--chart /tmp/chart] [--crds ../shared/crds]

helm is never a test dependency: this script is the only place it is used.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_render import env_values

REPO = Path(__file__).resolve().parent.parent


def generate(root: Path, n: int) -> list[str]:
    """A project with ``n`` envs under ``root``; returns the env names."""
    values = root / "values"
    values.mkdir(parents=True)
    (values / "values-common.yaml").write_text(yaml.safe_dump({"enabled": True, "nvidia": {"enabled": True}}))
    names = [f"env{i:04d}" for i in range(n)]
    for i, name in enumerate(names):
        (values / f"values-{name}.yaml").write_text(yaml.safe_dump(env_values(i), sort_keys=False))
    project = {
        "repoURL": "https://github.com/example-org/fleet.git",
        "targetRevision": "main",
        "envs": [{"name": name} for name in names],
    }
    (root / "cluster-capacity.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
    return names


#: Best CPU time (user + system) of each command timed, by its label: a busy machine (shared cores)
#: stretches wall times much more than CPU times, so both are printed.
CPU: dict[str, float] = {}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], cwd: Path, env: dict[str, str], runs: int = 1, label: str = "") -> float:
    """Best wall time of ``runs`` runs, in seconds (best CPU time in ``CPU[label]``); it must succeed."""
    best = float("inf")
    for _ in range(runs):
        start, cpu = time.perf_counter(), _cpu()
        subprocess.run(
            cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        best = min(best, time.perf_counter() - start)
        CPU[label] = min(CPU.get(label, float("inf")), _cpu() - cpu)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--envs", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7, help="runs of the one-env and --help timings")
    parser.add_argument("--helm-envs", type=int, default=50, help="helm processes to time (scaled to --envs)")
    parser.add_argument("--chart", type=Path, help="the seed Helm chart's folder (for the side-by-side)")
    parser.add_argument(
        "--crds",
        type=Path,
        default=Path(os.environ.get("CLUSTER_CAPACITY_CRDS", REPO.parent / "shared" / "crds")),
    )
    args = parser.parse_args()

    exe = shutil.which("cluster-capacity", path=str(Path(sys.executable).parent)) or "cluster-capacity"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["CLUSTER_CAPACITY_CRDS"] = str(args.crds)
    with tempfile.TemporaryDirectory(prefix="cc-fleet-") as tmp:
        root = Path(tmp)
        names = generate(root, args.envs)
        ours = {
            "render --all (empty output)": timed(
                [exe, "render", "--all"], root, env, label="render --all (empty output)"
            ),
            "render --all (nothing changed)": timed(
                [exe, "render", "--all"], root, env, label="render --all (nothing changed)"
            ),
            "render --all --check": timed(
                [exe, "render", "--all", "--check"], root, env, label="render --all --check"
            ),
            "validate --all": timed([exe, "validate", "--all"], root, env, label="validate --all"),
        }
        one = timed([exe, "render", "--env", names[0]], root, env, args.runs, "one")
        help_s = timed([exe, "--help"], root, env, args.runs)
        cmd_help = timed([exe, "render", "--help"], root, env, args.runs)
        print(f"cluster-capacity, {args.envs} envs:")
        for job, seconds in ours.items():
            print(f"  {job:34s} {seconds:7.2f} s")
        print(f"  {'render --env (one env)':34s} {one * 1000:7.0f} ms")
        print(f"  {'--help':34s} {help_s * 1000:7.0f} ms")
        print(f"  {'render --help':34s} {cmd_help * 1000:7.0f} ms")

        helm = shutil.which("helm")
        if helm is None or args.chart is None:
            print("helm side-by-side skipped: needs `helm` on PATH and --chart DIR")
            return
        values = root / "values"

        # the chart ships no defaults in values.yaml: its own values-common.yaml holds them
        chart_common = args.chart / "values-common.yaml"
        base = ["-f", str(chart_common)] if chart_common.is_file() else []

        def helm_env(name: str) -> list[str]:
            return [helm, "template", "cluster-capacity", str(args.chart), *base, "-f",
                    str(values / "values-common.yaml"), "-f", str(values / f"values-{name}.yaml")]  # fmt: skip

        helm_one = timed(helm_env(names[0]), root, env, args.runs, "helm one")
        helm_help = timed([helm, "--help"], root, env, args.runs)
        helm_cmd_help = timed([helm, "template", "--help"], root, env, args.runs)
        sample = names[: args.helm_envs]
        start, cpu = time.perf_counter(), _cpu()
        for name in sample:
            subprocess.run(helm_env(name), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        helm_fleet = (time.perf_counter() - start) / len(sample) * args.envs
        helm_fleet_cpu = (_cpu() - cpu) / len(sample) * args.envs
        print(f"helm template: one env {helm_one * 1000:.0f} ms, --help {helm_help * 1000:.0f} ms, "
              f"{args.envs} envs as one process each ~{helm_fleet:.1f} s ({len(sample)} timed)")  # fmt: skip
        print("\n| job | cluster-capacity | helm | ratio | goal |\n|---|---|---|---|---|")
        print(
            f"| one env, render | {one * 1000:.0f} ms | {helm_one * 1000:.0f} ms | {one / helm_one:.2f}x helm | <= 2.0x |"
        )
        print(
            f"| --help | {help_s * 1000:.0f} ms | {helm_help * 1000:.0f} ms | {help_s / helm_help:.2f}x helm | <= 1.5x |"
        )
        print(
            f"| render --help | {cmd_help * 1000:.0f} ms | {helm_cmd_help * 1000:.0f} ms (template --help) | "
            f"{cmd_help / helm_cmd_help:.2f}x helm | <= 1.5x |"
        )
        for job in ("render --all (empty output)", "render --all (nothing changed)", "render --all --check",
                    "validate --all"):  # fmt: skip
            print(f"| {job}, {args.envs} envs | {ours[job]:.2f} s | {helm_fleet:.1f} s | "
                  f"{helm_fleet / ours[job]:.1f}x faster | >= 10x faster |")  # fmt: skip
        print("\nCPU time (user + system), which a busy machine stretches less than wall time:")
        print(f"  one env, render: {CPU['one'] * 1000:.0f} ms, helm {CPU['helm one'] * 1000:.0f} ms: "
              f"{CPU['one'] / CPU['helm one']:.2f}x helm")  # fmt: skip
        for job in ours:
            print(f"  {job}: {CPU[job]:.2f} s, helm {helm_fleet_cpu:.1f} s: "
                  f"{helm_fleet_cpu / CPU[job]:.1f}x faster")  # fmt: skip


if __name__ == "__main__":
    main()
