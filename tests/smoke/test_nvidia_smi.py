"""The nvidia-smi / neuron-ls parsers, on real captured outputs (read at test time, never copied here)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cluster_capacity.errors import CapacityError
from cluster_capacity.ops.smoke.nvidia_smi import GpuOutputError, parse_neuron_ls, parse_nvidia_smi
from tests.smoke.conftest import fixtures_dir

FIXTURES = fixtures_dir() / "nvidia-smi"
needs_fixtures = pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"no nvidia-smi fixtures at {FIXTURES}")


def read(name: str) -> str:
    # newline="" keeps the bytes as captured (trailing spaces, no final newline).
    with (FIXTURES / name).open(encoding="utf-8", newline="") as handle:
        return handle.read()


# file, format, model, memory MiB, driver, CUDA, MIG mode, MIG devices, GPU count
CASES = [
    ("h100-default.txt", "table", "NVIDIA H100 80GB HBM3", 81559, "590.48.01", "13.1", "Disabled", 0, 1),
    ("h100-mig-default.txt", "table", "NVIDIA H100 80GB HBM3", 81559, "590.48.01", "13.1", "Enabled", 4, 1),
    ("l40s-default.txt", "table", "NVIDIA L40S", 46068, "595.80", "13.2", None, 0, 1),
    ("h100-query.csv", "csv", "NVIDIA H100 80GB HBM3", 81559, "590.48.01", None, "Disabled", 0, 1),
    ("l40s-query.csv", "csv", "NVIDIA L40S", 46068, "595.80", None, None, 0, 1),
    ("a10g-q.xml", "xml", "NVIDIA A10G", 23028, "515.105.01", "11.7", None, 0, 1),
    ("t4-q.xml", "xml", "Tesla T4", 15360, "515.105.01", "11.7", None, 0, 1),
    ("a100-mig-q.xml", "xml", "NVIDIA A100-SXM4-80GB", 81920, "535.54.03", "12.2", "Enabled", 4, 4),
]


@needs_fixtures
@pytest.mark.parametrize(
    ("name", "fmt", "model", "memory", "driver", "cuda", "mig", "mig_devices", "count"), CASES
)
def test_parses_every_real_capture(
    name: str,
    fmt: str,
    model: str,
    memory: int,
    driver: str,
    cuda: str | None,
    mig: str | None,
    mig_devices: int,
    count: int,
) -> None:
    report = parse_nvidia_smi(read(name))
    assert report.format == fmt
    assert report.models == (model,)
    assert report.memory_total_mib == memory
    assert report.driver_version == driver
    assert report.cuda_version == cuda
    assert report.gpus[0].mig_mode == mig
    assert report.mig_enabled is (mig == "Enabled")
    assert report.gpus[0].mig_devices == mig_devices
    assert report.gpu_count == count
    assert report.gpus[0].index == 0


@needs_fixtures
def test_covers_every_fixture_file() -> None:
    # A new capture added to the shared folder must get a row above.
    assert sorted(p.name for p in FIXTURES.iterdir() if p.name != "README.md") == sorted(c[0] for c in CASES)


@needs_fixtures
def test_a100_xml_counts_attached_gpus_but_lists_one() -> None:
    report = parse_nvidia_smi(read("a100-mig-q.xml"))
    assert report.gpu_count == 4
    assert len(report.gpus) == 1


@needs_fixtures
def test_as_dict_is_plain_data() -> None:
    data = parse_nvidia_smi(read("h100-mig-default.txt")).as_dict()
    assert data["models"] == ["NVIDIA H100 80GB HBM3"]
    assert data["migEnabled"] is True
    assert data["gpus"] == [
        {
            "index": 0,
            "name": "NVIDIA H100 80GB HBM3",
            "memoryTotalMiB": 81559,
            "migMode": "Enabled",
            "migDevices": 4,
        }
    ]


OLD_TABLE_TWO_T4 = """\
Mon Jan  9 10:00:00 2023
+-----------------------------------------------------------------------------+
| NVIDIA-SMI 470.57.02    Driver Version: 470.57.02    CUDA Version: 11.4     |
|-------------------------------+----------------------+----------------------+
| GPU  Name        Persistence-M| Bus-Id        Disp.A | Volatile Uncorr. ECC |
| Fan  Temp  Perf  Pwr:Usage/Cap|         Memory-Usage | GPU-Util  Compute M. |
|                               |                      |               MIG M. |
|===============================+======================+======================|
|   0  Tesla T4            Off  | 00000000:00:1B.0 Off |                    0 |
| N/A   34C    P8     9W /  70W |      0MiB / 15109MiB |      0%      Default |
|                               |                      |                  N/A |
+-------------------------------+----------------------+----------------------+
|   1  Tesla T4            Off  | 00000000:00:1C.0 Off |                    0 |
| N/A   33C    P8     9W /  70W |      0MiB / 15109MiB |      0%      Default |
|                               |                      |                  N/A |
+-------------------------------+----------------------+----------------------+
"""


def test_table_with_two_gpus_in_the_older_layout() -> None:
    report = parse_nvidia_smi(OLD_TABLE_TWO_T4)
    assert report.gpu_count == 2
    assert [g.index for g in report.gpus] == [0, 1]
    assert report.models == ("Tesla T4",)
    assert report.memory_total_mib == 15109
    assert (report.driver_version, report.cuda_version) == ("470.57.02", "11.4")


def test_csv_without_units_and_with_several_gpus() -> None:
    text = (
        "name, memory.total, driver_version, mig.mode.current\n"
        "NVIDIA A10G, 23028, 535.1, [N/A]\n"
        "NVIDIA A10G, 23028, 535.1, [N/A]\n"
    )
    report = parse_nvidia_smi(text)
    assert report.gpu_count == 2
    assert report.memory_total_mib == 23028
    assert report.driver_version == "535.1"
    assert report.gpus[1].mig_mode is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "printed nothing"),
        (
            "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
            "couldn't communicate",
        ),
        ("exec /usr/bin/nvidia-smi: no such file or directory", "not nvidia-smi output"),
        ("<nvidia_smi_log><driver_version>1</driver_version>", "not well-formed"),
        ("<html><body>502</body></html>", "expected <nvidia_smi_log>"),
        ("<nvidia_smi_log><driver_version>1</driver_version></nvidia_smi_log>", "no <gpu>"),
        ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><nvidia_smi_log/>', "entity"),
        ("name, memory.total [MiB]\n", "no GPU row"),
        ("name, memory.total [MiB]\nNVIDIA A10G, lots\n", "not a number of MiB"),
        ("name, memory.total [MiB]\nNVIDIA A10G\n", "has 1 fields"),
        ("| NVIDIA-SMI 1  Driver Version: 1 |\nno table here\n", "'|===' line is missing"),
        ("| NVIDIA-SMI 1  Driver Version: 1 |\n|====|\n| garbage |\n", "lists no GPU"),
    ],
)
def test_garbage_is_a_clear_parse_error(text: str, message: str) -> None:
    with pytest.raises(GpuOutputError, match=message) as info:
        parse_nvidia_smi(text)
    assert isinstance(info.value, CapacityError)


@given(st.text(max_size=400))
def test_any_text_parses_or_raises_the_parse_error(text: str) -> None:
    try:
        report = parse_nvidia_smi(text)
    except GpuOutputError:
        return
    assert report.gpu_count >= 1


@needs_fixtures
@given(st.integers(min_value=0, max_value=1200), st.text(max_size=20))
def test_truncated_or_corrupted_captures_never_raise_another_type(cut: int, junk: str) -> None:
    for name in ("h100-mig-default.txt", "l40s-query.csv", "a10g-q.xml"):
        text = read(name)
        with contextlib.suppress(GpuOutputError):  # any other exception type fails the test
            parse_nvidia_smi(text[:cut] + junk + text[cut + len(junk) :])


INF2_NEURON_LS = """\
instance-type: inf2.xlarge
instance-id: i-0123456789abcdef0
+--------+--------+--------+---------+
| NEURON | NEURON | NEURON |   PCI   |
| DEVICE | CORES  | MEMORY |   BDF   |
+--------+--------+--------+---------+
| 0      | 2      | 32 GB  | 00:1f.0 |
+--------+--------+--------+---------+
"""

INF1_NEURON_LS_WITH_PROCESSES = """\
+--------+--------+--------+-----------+--------------+-------+-----------------+---------+
| NEURON | NEURON | NEURON | CONNECTED |     PCI      |  PID  |     COMMAND     | RUNTIME |
| DEVICE | CORES  | MEMORY |  DEVICES  |     BDF      |       |                 | VERSION |
+--------+--------+--------+-----------+--------------+-------+-----------------+---------+
| 0      | 4      | 8 GB   | 1         | 0000:00:1c.0 | 23518 | neuron-app01    | 2.0.0   |
|        |        |        |           |              | 23531 | neuron-app02    | 2.0.0   |
+--------+--------+--------+-----------+--------------+-------+-----------------+---------+
| 1      | 4      | 8 GB   | 2, 0      | 0000:00:1d.0 | 23533 | neuron-app03    | 2.0.0   |
+--------+--------+--------+-----------+--------------+-------+-----------------+---------+
"""


def test_neuron_ls_inf2() -> None:
    report = parse_neuron_ls(INF2_NEURON_LS)
    assert report.instance_type == "inf2.xlarge"
    assert report.device_count == 1
    assert report.core_count == 2
    assert report.devices[0].memory_gb == 32
    assert report.as_dict()["deviceCount"] == 1


def test_neuron_ls_with_process_rows() -> None:
    report = parse_neuron_ls(INF1_NEURON_LS_WITH_PROCESSES)
    assert report.instance_type is None
    assert [d.index for d in report.devices] == [0, 1]
    assert report.core_count == 8


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "printed nothing"),
        ("neuron-ls: command not found", "not neuron-ls output"),
        ("+--+\n| NEURON |\n| DEVICE |\n+--+\n| 0 |\n+--+\n", "no NEURON DEVICE / NEURON CORES"),
        (INF2_NEURON_LS.replace("| 0      | 2      |", "| x      | 2      |"), "unreadable device row"),
        ("\n".join(INF2_NEURON_LS.splitlines()[:6]), "lists no Neuron device"),
    ],
)
def test_neuron_ls_garbage(text: str, message: str) -> None:
    with pytest.raises(GpuOutputError, match=message):
        parse_neuron_ls(text)
