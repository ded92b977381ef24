"""The smoke test's result, and the three ways it is shown: a summary, JSON and JUnit XML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cluster_capacity.errors import EXIT_FAILED, EXIT_OK, ConfigError
from cluster_capacity.ops.smoke.nvidia_smi import NeuronLsReport, NvidiaSmiReport

__all__ = [
    "Phase",
    "SmokeResult",
    "format_summary",
    "to_json",
    "to_junit",
    "to_junit_fleet",
    "write_report",
]

Verdict = Literal["pass", "fail"]


@dataclass(frozen=True)
class Phase:
    """One step the smoke test waited for: how long it took, and when it ended (seconds from the start)."""

    name: str
    seconds: float
    at: float
    detail: str = ""


@dataclass
class SmokeResult:
    """Everything a smoke run found out; filled in as the run goes, final once ``run_smoke`` returns."""

    env: str
    pool: str
    machineset: str
    accelerator: str
    image: str
    verdict: Verdict = "fail"
    reason: str | None = None
    advice: list[str] = field(default_factory=list)
    phases: list[Phase] = field(default_factory=list)
    gpu: NvidiaSmiReport | NeuronLsReport | None = None
    pod: str | None = None
    pod_namespace: str = "default"
    machine: str | None = None
    node: str | None = None
    #: Replicas before the run when it scaled the pool, else None.
    original_replicas: int | None = None
    scaled_to: int | None = None
    capacity: str = ""  # how capacity was obtained: "existing node", "scaled 0 -> 1", "autoscaler"
    cleanup: list[str] = field(default_factory=list)
    cleanup_errors: list[str] = field(default_factory=list)
    log: str | None = None
    total_seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.passed else EXIT_FAILED

    def as_dict(self) -> dict[str, object]:
        """Plain data (the JSON report)."""
        return {
            "verdict": self.verdict,
            "reason": self.reason,
            "advice": list(self.advice),
            "env": self.env,
            "pool": self.pool,
            "machineSet": self.machineset,
            "accelerator": self.accelerator,
            "image": self.image,
            "capacity": self.capacity,
            "machine": self.machine,
            "node": self.node,
            "pod": {"name": self.pod, "namespace": self.pod_namespace},
            "originalReplicas": self.original_replicas,
            "scaledTo": self.scaled_to,
            "phases": [
                {"name": p.name, "seconds": round(p.seconds, 3), "at": round(p.at, 3), "detail": p.detail}
                for p in self.phases
            ],
            "totalSeconds": round(self.total_seconds, 3),
            "gpu": self.gpu.as_dict() if self.gpu is not None else None,
            "cleanup": list(self.cleanup),
            "cleanupErrors": list(self.cleanup_errors),
            "log": self.log,
        }


def _duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s"


def _gpu_line(gpu: NvidiaSmiReport | NeuronLsReport) -> str:
    if isinstance(gpu, NvidiaSmiReport):
        memory = f", {gpu.memory_total_mib} MiB" if gpu.memory_total_mib is not None else ""
        cuda = f", CUDA {gpu.cuda_version}" if gpu.cuda_version else ""
        mig = ", MIG enabled" if gpu.mig_enabled else ""
        return f"{gpu.gpu_count} x {', '.join(gpu.models)}{memory}, driver {gpu.driver_version}{cuda}{mig}"
    memory = f", {gpu.devices[0].memory_gb} GB each" if gpu.devices[0].memory_gb is not None else ""
    return f"{gpu.device_count} Neuron device(s), {gpu.core_count} NeuronCores{memory}"


def format_summary(result: SmokeResult) -> str:
    """The human summary (for stderr)."""
    head = "PASS" if result.passed else "FAIL"
    lines = [f"smoke {head}: env {result.env}, pool {result.pool} (MachineSet {result.machineset})"]
    if result.reason:
        lines.append(f"  reason: {result.reason}")
    lines.extend(f"  advice: {a}" for a in result.advice)
    if result.gpu is not None:
        lines.append(f"  {'gpu' if result.accelerator == 'nvidia' else 'neuron'}: {_gpu_line(result.gpu)}")
    if result.capacity:
        lines.append(f"  capacity: {result.capacity}")
    if result.node:
        lines.append(f"  node: {result.node}" + (f" (Machine {result.machine})" if result.machine else ""))
    for phase in result.phases:
        detail = f"  {phase.detail}" if phase.detail else ""
        lines.append(f"  {phase.name:<20} {_duration(phase.seconds):>7}  (at {_duration(phase.at)}){detail}")
    lines.append(f"  {'total':<20} {_duration(result.total_seconds):>7}")
    lines.extend(f"  cleanup: {c}" for c in result.cleanup)
    lines.extend(f"  cleanup FAILED: {c}" for c in result.cleanup_errors)
    return "\n".join(lines)


def to_json(result: SmokeResult) -> str:
    """The JSON report."""
    return json.dumps(result.as_dict(), indent=2, sort_keys=False) + "\n"


def to_junit(result: SmokeResult) -> str:
    """A JUnit XML report: one suite, one test case for the pool; properties hold timings and GPU facts."""
    suite = _suite(result)
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"


def to_junit_fleet(results: Sequence[SmokeResult]) -> str:
    """JUnit XML for ``smoke --all``: one ``testsuite`` per env under one ``testsuites``."""
    failures = sum(not r.passed for r in results)
    root = ET.Element(
        "testsuites",
        name="cluster-capacity smoke",
        tests=str(len(results)),
        failures=str(failures),
        errors="0",
        time=f"{sum(r.total_seconds for r in results):.3f}",
    )
    root.extend(_suite(r) for r in results)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _suite(result: SmokeResult) -> ET.Element:
    failed = "0" if result.passed else "1"
    suite = ET.Element(
        "testsuite",
        name="cluster-capacity smoke",
        tests="1",
        failures=failed,
        errors="0",
        skipped="0",
        time=f"{result.total_seconds:.3f}",
    )
    props = ET.SubElement(suite, "properties")

    def prop(name: str, value: object) -> None:
        if value is not None and value != "":
            ET.SubElement(props, "property", name=name, value=str(value))

    prop("env", result.env)
    prop("pool", result.pool)
    prop("machineSet", result.machineset)
    prop("image", result.image)
    prop("capacity", result.capacity)
    prop("node", result.node)
    for phase in result.phases:
        prop(f"phase.{phase.name}.seconds", f"{phase.seconds:.3f}")
    if result.gpu is not None:
        for key, value in result.gpu.as_dict().items():
            if not isinstance(value, (list, dict)):
                prop(f"gpu.{key}", value)
            elif key == "models":
                prop("gpu.models", ", ".join(str(v) for v in value))
    case = ET.SubElement(
        suite,
        "testcase",
        classname=f"smoke.{result.env}",
        name=result.pool,
        time=f"{result.total_seconds:.3f}",
    )
    if not result.passed:
        failure = ET.SubElement(case, "failure", message=result.reason or "failed", type="SmokeFailure")
        failure.text = "\n".join([result.reason or "", *result.advice])
    out = ET.SubElement(case, "system-out")
    out.text = format_summary(result) + ("\n\n" + result.log if result.log else "")
    return suite


def write_report(result: SmokeResult | Sequence[SmokeResult], path: str | Path) -> None:
    """Write the report as JSON (``.json``) or JUnit XML (``.xml``), by the file's extension.

    A sequence of results (``smoke --all``) is a JSON list, or one JUnit suite per env.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".json":
        text = (
            json.dumps([r.as_dict() for r in result], indent=2) + "\n"
            if not isinstance(result, SmokeResult)
            else to_json(result)
        )
    elif suffix == ".xml":
        text = to_junit(result) if isinstance(result, SmokeResult) else to_junit_fleet(result)
    else:
        raise ConfigError(f"--report {path}: use a .json or .xml (JUnit) file name")
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--report {path}: cannot write: {exc.strerror or exc}") from exc
