"""Speed of the smoke test's own work: parsing nvidia-smi output, and a whole emulated run.

Run: PYTHONPATH=src python benchmarks/bench_smoke.py
The nvidia-smi captures are read from $CLUSTER_CAPACITY_FIXTURES, ../shared/fixtures beside the
repository, or /work/shared/fixtures. The emulated run is the happy path of tests/smoke (scale 0 -> 1,
Machine phases, Node, GPU, pod, cleanup) over real HTTP on a fake clock: its time is the tool's overhead,
its request count what a real run sends (with a 10 s poll).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(_REPO / "src"), str(_REPO)]

from cluster_capacity.ops.smoke.nvidia_smi import parse_nvidia_smi  # noqa: E402


def fixtures() -> Path:
    for candidate in (os.environ.get("CLUSTER_CAPACITY_FIXTURES"), _REPO.parent / "shared" / "fixtures"):
        if candidate and (Path(candidate) / "nvidia-smi").is_dir():
            return Path(candidate) / "nvidia-smi"
    return Path("/work/shared/fixtures/nvidia-smi")


def bench_parse() -> None:
    folder = fixtures()
    for path in sorted(folder.iterdir()):
        if path.name == "README.md":
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            text = handle.read()
        rounds = 200
        start = time.perf_counter()
        for _ in range(rounds):
            parse_nvidia_smi(text)
        each = (time.perf_counter() - start) / rounds
        print(f"parse {path.name:<22} {len(text):>6} bytes  {each * 1e6:8.1f} us")


def bench_run() -> None:
    from tests.emulator import KubeEmulator, openshift, server
    from tests.smoke.conftest import MS, NS, POOL, FakeClock, Player, nvidia_smi_log

    from cluster_capacity.ops.smoke.cluster import connect
    from cluster_capacity.ops.smoke.pod import SmokeTarget, Toleration
    from cluster_capacity.ops.smoke.run import SmokeOptions, run_smoke

    server._Handler.disable_nagle_algorithm = True  # type: ignore[attr-defined]
    emu = KubeEmulator().start()
    try:
        openshift.seed_cluster(emu, with_gpu_pool=False)
        emu.add(openshift.gpu_machineset(POOL, replicas=0))
        clock = FakeClock()
        player = Player(emu, clock, kubelet_log=nvidia_smi_log())
        clock.on_sleep = player.tick
        player.machine_launch()
        kubeconfig = emu.write_kubeconfig(Path(tempfile.mkdtemp()) / "kubeconfig")
        target = SmokeTarget(
            env="prod",
            pool=POOL,
            machineset=MS,
            namespace=NS,
            accelerator="nvidia",
            instance_type="g5.xlarge",
            zone="us-west-2a",
            taints=(Toleration("nvidia.com/gpu", "true", "NoSchedule"),),
            application="cluster-capacity-prod",
        )
        cluster = connect(kubeconfig)
        emu.clear_requests()
        start = time.perf_counter()
        result = run_smoke(cluster, target, SmokeOptions(clock=clock, sleep=clock.sleep))
        wall = time.perf_counter() - start
        assert result.passed, result.reason
        print(
            f"emulated run: {result.total_seconds:.0f} s of cluster time in {wall * 1000:.0f} ms wall, "
            f"{emu.count()} API requests, {len(clock.sleeps)} polls"
        )
    finally:
        emu.stop()


if __name__ == "__main__":
    bench_parse()
    bench_run()
