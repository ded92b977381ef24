"""Read what ``nvidia-smi`` and ``neuron-ls`` print into typed facts: model, memory, driver, CUDA, MIG.

``nvidia-smi`` has three output shapes and the smoke test may meet any of them in a pod log:

- the default table (``nvidia-smi``), what the smoke pod runs;
- ``nvidia-smi --query-gpu=FIELDS --format=csv`` (one header row, one row per GPU);
- ``nvidia-smi -q -x`` (XML; the DOCTYPE names a DTD that is never shipped, so it is not loaded).

``parse_nvidia_smi`` tells them apart and returns an ``NvidiaSmiReport``. Anything it cannot read raises
``GpuOutputError`` (a ``CapacityError``) with the first line of the text, which is where ``nvidia-smi``
says what went wrong ("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver").
"""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Literal

from cluster_capacity.errors import CapacityError

__all__ = [
    "GpuInfo",
    "GpuOutputError",
    "NeuronDevice",
    "NeuronLsReport",
    "NvidiaSmiReport",
    "parse_neuron_ls",
    "parse_nvidia_smi",
]

OutputFormat = Literal["table", "csv", "xml"]


class GpuOutputError(CapacityError):
    """The output of ``nvidia-smi`` or ``neuron-ls`` could not be read."""


@dataclass(frozen=True)
class GpuInfo:
    """One physical GPU as ``nvidia-smi`` shows it."""

    index: int
    name: str
    memory_total_mib: int | None
    #: ``Enabled``, ``Disabled``, or ``None`` where the GPU has no MIG (shown as ``N/A``).
    mig_mode: str | None
    #: MIG devices (GPU instances) shown for this GPU; 0 when MIG is off or the output does not list them.
    mig_devices: int = 0


@dataclass(frozen=True)
class NvidiaSmiReport:
    """What one ``nvidia-smi`` run says about the machine."""

    format: OutputFormat
    driver_version: str | None
    #: The highest CUDA version the driver supports, where the output shows it (the CSV never does).
    cuda_version: str | None
    gpus: tuple[GpuInfo, ...]
    #: GPUs attached to the machine. Usually ``len(gpus)``; ``-q -x -i N`` lists one but counts all.
    gpu_count: int

    @property
    def models(self) -> tuple[str, ...]:
        """Distinct GPU model names, in the order first seen."""
        return tuple(dict.fromkeys(g.name for g in self.gpus))

    @property
    def memory_total_mib(self) -> int | None:
        """Memory of the first GPU in MiB (all GPUs of an EC2 instance are the same model)."""
        return self.gpus[0].memory_total_mib if self.gpus else None

    @property
    def mig_enabled(self) -> bool:
        """Whether any GPU has MIG mode enabled."""
        return any(g.mig_mode == "Enabled" for g in self.gpus)

    def as_dict(self) -> dict[str, object]:
        """Plain data for reports (JSON)."""
        return {
            "kind": "nvidia",
            "format": self.format,
            "models": list(self.models),
            "gpuCount": self.gpu_count,
            "memoryTotalMiB": self.memory_total_mib,
            "driverVersion": self.driver_version,
            "cudaVersion": self.cuda_version,
            "migEnabled": self.mig_enabled,
            "gpus": [
                {
                    "index": g.index,
                    "name": g.name,
                    "memoryTotalMiB": g.memory_total_mib,
                    "migMode": g.mig_mode,
                    "migDevices": g.mig_devices,
                }
                for g in self.gpus
            ],
        }


def parse_nvidia_smi(text: str) -> NvidiaSmiReport:
    """Parse ``nvidia-smi`` output in any of its three shapes (table, ``--format=csv``, ``-q -x``)."""
    if not isinstance(text, str):
        raise GpuOutputError(f"nvidia-smi output must be text, not {type(text).__name__}")
    body = text.lstrip("\ufeff \t\r\n")
    if not body:
        raise GpuOutputError("nvidia-smi printed nothing")
    if body.startswith("<"):
        return _parse_xml(body)
    first = body.splitlines()[0]
    if "," in first and re.search(r"(^|,)\s*(name|driver_version|index|memory\.total)\b", first):
        return _parse_csv(body)
    if "NVIDIA-SMI" in body and "Driver Version" in body:
        return _parse_table(body)
    raise GpuOutputError(f"not nvidia-smi output: {_first_line(body)!r}")


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= 200 else line[:197] + "..."


def _mig(value: str | None) -> str | None:
    value = (value or "").strip().strip("[]")
    if value in ("Enabled", "Disabled"):
        return value
    return None


# -- default table -------------------------------------------------------------------------------------

_DRIVER = re.compile(r"Driver Version:\s*(\S+)")
_CUDA = re.compile(r"CUDA Version:\s*(\S+)")
# First cell of a GPU row: index, name (possibly cut with "..."), persistence mode.
_GPU_CELL = re.compile(r"^\s*(\d+)\s+(.+?)\s+(On|Off)\s*$")
_MEMORY_USAGE = re.compile(r"(\d+)MiB\s*/\s*(\d+)MiB")
# A row of the "MIG devices:" table: | GPU GI CI MIG-dev | ...
_MIG_ROW = re.compile(r"^\|\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\|")


def _parse_table(text: str) -> NvidiaSmiReport:
    lines = text.splitlines()
    driver = _DRIVER.search(text)
    if not driver:
        raise GpuOutputError("nvidia-smi table: no 'Driver Version' in the header")
    cuda = _CUDA.search(text)
    cuda_version = cuda.group(1) if cuda and cuda.group(1) != "N/A" else None

    start = next((i for i, line in enumerate(lines) if line.startswith("|=")), None)
    if start is None:
        raise GpuOutputError("nvidia-smi table: no GPU table (the '|===' line is missing)")

    # Each GPU is a block of 2 (older drivers without MIG) or 3 rows; the first row starts with its index.
    blocks: list[list[list[str]]] = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break  # the GPU table ends at the first blank line; process and MIG tables follow
        if not line.startswith("|"):
            continue
        cells = line.split("|")[1:-1]
        if cells and _GPU_CELL.match(cells[0]):
            blocks.append([cells])
        elif blocks:
            blocks[-1].append(cells)
    if not blocks:
        raise GpuOutputError("nvidia-smi table: the GPU table lists no GPU")

    mig_counts: dict[int, int] = {}
    in_mig = False
    for line in lines:
        if "MIG devices:" in line:
            in_mig = True
        elif "Processes:" in line:
            in_mig = False
        elif in_mig and (m := _MIG_ROW.match(line)):
            mig_counts[int(m.group(1))] = mig_counts.get(int(m.group(1)), 0) + 1

    gpus = []
    for block in blocks:
        head = _GPU_CELL.match(block[0][0])
        assert head is not None  # blocks only start on a matching row
        index = int(head.group(1))
        memory: int | None = None
        mig: str | None = None
        for cells in block[1:]:
            usage = _MEMORY_USAGE.search("|".join(cells))
            if usage and memory is None:
                memory = int(usage.group(2))
            elif len(cells) >= 3 and cells[-1].strip() and not usage:
                mig = _mig(cells[-1])
        gpus.append(GpuInfo(index, head.group(2), memory, mig, mig_counts.get(index, 0)))
    return NvidiaSmiReport("table", driver.group(1), cuda_version, tuple(gpus), len(gpus))


# -- --query-gpu ... --format=csv ----------------------------------------------------------------------


def _csv_value(value: str) -> str | None:
    value = value.strip()
    return None if value in ("", "[N/A]", "N/A", "[Not Supported]", "[Unknown Error]") else value


def _mib(value: str | None) -> int | None:
    if value is None:
        return None
    match = re.fullmatch(r"(\d+)(?:\s*MiB)?", value.strip())
    if not match:
        raise GpuOutputError(f"nvidia-smi csv: memory.total is not a number of MiB: {value!r}")
    return int(match.group(1))


def _parse_csv(text: str) -> NvidiaSmiReport:
    try:
        rows = [row for row in csv.reader(text.splitlines(), skipinitialspace=True) if row]
    except csv.Error as exc:
        raise GpuOutputError(f"nvidia-smi csv: {exc}") from exc
    # Headers carry units ("memory.total [MiB]") unless --format=csv,nounits; the key is the field name.
    header = [h.split(" [")[0].strip() for h in rows[0]]
    if "name" not in header:
        raise GpuOutputError("nvidia-smi csv: no 'name' column (query at least name,memory.total)")
    if len(rows) < 2:
        raise GpuOutputError("nvidia-smi csv: a header but no GPU row")
    gpus = []
    drivers: set[str] = set()
    count: int | None = None
    for number, row in enumerate(rows[1:]):
        if len(row) != len(header):
            raise GpuOutputError(
                f"nvidia-smi csv: row {number + 2} has {len(row)} fields, the header has {len(header)}"
            )
        fields = {k: _csv_value(v) for k, v in zip(header, row, strict=True)}
        name = fields.get("name")
        if not name:
            raise GpuOutputError(f"nvidia-smi csv: row {number + 2} has no GPU name")
        index_text = fields.get("index")
        index = int(index_text) if index_text and index_text.isdigit() else number
        if fields.get("driver_version"):
            drivers.add(str(fields["driver_version"]))
        count_text = fields.get("count")
        if count_text and count_text.isdigit():
            count = int(count_text)
        gpus.append(
            GpuInfo(index, name, _mib(fields.get("memory.total")), _mig(fields.get("mig.mode.current")))
        )
    driver = sorted(drivers)[0] if drivers else None
    return NvidiaSmiReport("csv", driver, None, tuple(gpus), count if count is not None else len(gpus))


# -- -q -x ---------------------------------------------------------------------------------------------


def _text(element: ET.Element | None, path: str) -> str | None:
    if element is None:
        return None
    found = element.find(path)
    if found is None or found.text is None:
        return None
    value = found.text.strip()
    return None if value in ("", "N/A") else value


def _parse_xml(text: str) -> NvidiaSmiReport:
    # The DOCTYPE names an external DTD that ElementTree never fetches; internal entity declarations are
    # refused outright, since a pod log is not trusted input (entity expansion bombs).
    if "<!ENTITY" in text:
        raise GpuOutputError("nvidia-smi xml: entity declarations are not accepted")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise GpuOutputError(f"nvidia-smi xml: not well-formed: {exc}") from exc
    if root.tag != "nvidia_smi_log":
        raise GpuOutputError(f"nvidia-smi xml: root element is <{root.tag}>, expected <nvidia_smi_log>")
    gpus = []
    for index, gpu in enumerate(root.findall("gpu")):
        name = _text(gpu, "product_name")
        if not name:
            raise GpuOutputError(f"nvidia-smi xml: GPU {gpu.get('id', index)} has no <product_name>")
        memory = _text(gpu, "fb_memory_usage/total")
        mig_devices = len(gpu.findall("mig_devices/mig_device"))
        # The XML has no nvidia-smi index (minor_number is the /dev node, not the index): use the order.
        gpus.append(GpuInfo(index, name, _mib(memory), _mig(_text(gpu, "mig_mode/current_mig")), mig_devices))
    if not gpus:
        raise GpuOutputError("nvidia-smi xml: no <gpu> element")
    attached = _text(root, "attached_gpus")
    count = int(attached) if attached and attached.isdigit() else len(gpus)
    return NvidiaSmiReport(
        "xml", _text(root, "driver_version"), _text(root, "cuda_version"), tuple(gpus), max(count, len(gpus))
    )


# -- neuron-ls -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NeuronDevice:
    """One Neuron device (an Inferentia or Trainium chip) as ``neuron-ls`` shows it."""

    index: int
    cores: int
    memory_gb: int | None


@dataclass(frozen=True)
class NeuronLsReport:
    """What one ``neuron-ls`` run says about the machine."""

    #: The ``instance-type:`` line newer ``neuron-ls`` prints above the table, when present.
    instance_type: str | None
    devices: tuple[NeuronDevice, ...]

    @property
    def device_count(self) -> int:
        """Number of Neuron devices."""
        return len(self.devices)

    @property
    def core_count(self) -> int:
        """NeuronCores over all devices."""
        return sum(d.cores for d in self.devices)

    def as_dict(self) -> dict[str, object]:
        """Plain data for reports (JSON)."""
        return {
            "kind": "neuron",
            "instanceType": self.instance_type,
            "deviceCount": self.device_count,
            "coreCount": self.core_count,
            "devices": [{"index": d.index, "cores": d.cores, "memoryGB": d.memory_gb} for d in self.devices],
        }


_MEMORY_GB = re.compile(r"(\d+)\s*GB")


def parse_neuron_ls(text: str) -> NeuronLsReport:
    """Parse the table ``neuron-ls`` prints (Neuron SDK 2.x).

    Assumed shape: optional ``key: value`` lines (``instance-type: inf2.xlarge``), then a ``+---+`` framed
    table whose header spans two rows (``NEURON``/``DEVICE``, ``NEURON``/``CORES``, ``NEURON``/``MEMORY``,
    then CONNECTED DEVICES, PCI BDF, and on newer SDKs LOGICAL NC, PID, COMMAND...), and one row per
    device starting with its index; continuation rows (more processes of a device) have an empty first
    cell. Only the DEVICE, CORES and MEMORY columns are read.
    """
    if not isinstance(text, str) or not text.strip():
        raise GpuOutputError("neuron-ls printed nothing")
    instance_type = None
    header_rows: list[list[str]] = []
    rows: list[list[str]] = []
    seen_rule = 0
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("instance-type:"):
            instance_type = stripped.split(":", 1)[1].strip() or None
        elif stripped.startswith("+"):
            seen_rule += 1
        elif stripped.startswith("|"):
            cells = [c.strip() for c in stripped.split("|")[1:-1]]
            if seen_rule == 1:
                header_rows.append(cells)
            elif seen_rule >= 2:
                rows.append(cells)
    if not header_rows:
        raise GpuOutputError(f"not neuron-ls output: {_first_line(text)!r}")
    width = len(header_rows[0])
    if any(len(h) != width for h in header_rows):
        raise GpuOutputError("neuron-ls: the table header rows do not line up")
    columns = [" ".join(h[i] for h in header_rows).split() for i in range(width)]
    names = [" ".join(c) for c in columns]
    try:
        device_col = names.index("NEURON DEVICE")
        cores_col = names.index("NEURON CORES")
    except ValueError as exc:
        raise GpuOutputError(f"neuron-ls: no NEURON DEVICE / NEURON CORES columns in {names}") from exc
    memory_col = names.index("NEURON MEMORY") if "NEURON MEMORY" in names else None
    devices = []
    for cells in rows:
        if len(cells) != width:
            raise GpuOutputError(f"neuron-ls: a row has {len(cells)} cells, the header has {width}")
        if not cells[device_col]:
            continue  # a further process of the device above
        if not cells[device_col].isdigit() or not cells[cores_col].isdigit():
            raise GpuOutputError(f"neuron-ls: unreadable device row {cells}")
        memory = _MEMORY_GB.search(cells[memory_col]) if memory_col is not None else None
        devices.append(
            NeuronDevice(
                int(cells[device_col]), int(cells[cores_col]), int(memory.group(1)) if memory else None
            )
        )
    if not devices:
        raise GpuOutputError("neuron-ls: the table lists no Neuron device")
    return NeuronLsReport(instance_type, tuple(devices))
