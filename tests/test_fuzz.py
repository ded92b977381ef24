"""A mutation fuzzer over the shipped example, through the command line as a user runs it.

Bytes of the example values files are damaged (flipped, inserted, deleted, lines duplicated or moved,
YAML's sharp tools dropped in), and random ``--set`` flags are added; ``render`` and ``validate`` then run
in-process. Whatever the input, the answer is one of the documented ones: exit 0 with manifests on stdout,
or exit 2 (1 for ``validate``'s findings) with every problem on its own ``FILE:LINE: ...`` or
``--set: ...`` line on stderr and nothing on stdout. Any other exception escapes ``main`` and fails the
test with the input that caused it. Bounded: a few hundred inputs, about a minute on CI's two cores.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cluster_capacity.cli import main
from tests.conftest import EXAMPLES

COMMON = (EXAMPLES / "values" / "values-common.yaml").read_bytes()
PROD = (EXAMPLES / "values" / "values-prod.yaml").read_bytes()

#: Bytes that matter to a YAML reader or to the values format, more likely than random ones to break things.
SHARP = [
    b"&a ",
    b"*a",
    b"<<: *a\n",
    b"!!python/object:os.system ",
    b"!!binary ",
    b"!custom ",
    b"\t",
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\r\n",
    b"{",
    b"}",
    b"[",
    b"]",
    b"- ",
    b": ",
    b"? ",
    b"null",
    b"~",
    b'"',
    b"'",
    b"%YAML 1.1\n---\n",
    b"...\n",
    b"---\n",
    b"9" * 40,
    b"-1",
    b"1e999",
    b".nan",
    b"0x1F",
    b"true",
    b"yes",
    b"enabled: ",
    b"machineSets: ",
    b"replicas: ",
    b"instanceType: ",
    b"taints: ",
    b"  ",
]

#: More inputs for a long hunt: ``CLUSTER_CAPACITY_FUZZ_EXAMPLES=20000 pytest tests/test_fuzz.py``.
SCALE = int(os.environ.get("CLUSTER_CAPACITY_FUZZ_EXAMPLES", "250"))

SET_KEYS = [
    "enabled",
    "infraID",
    "machineSets[0].replicas",
    "machineSets[0].enabled",
    "machineSets[1].nameSuffix",
    "machineSets[0].providerSpec.instanceType",
    "machineSets[0].taints[0].effect",
    "machineSets[70000].x",
    "nvidia.enabled",
    "nvidia.subscription.channel",
    "nvidia.clusterPolicy.spec.mig",
    "nvidia.clusterPolicy.spec.daemonsets.tolerations",
    "autoscaling.clusterAutoscaler.spec.resourceLimits",
    "a.b.c.d.e.f",
    "machineSets[-1].x",
    "machineSets.x",
    "x[0][1]",
]
SET_VALUES = ["null", "true", "false", "3", "-1", "99999999999", "", "[1,2]", "{a: b}", "a,b", "\\,", "UPPER"]


@st.composite
def damaged(draw: st.DrawFn, original: bytes) -> bytes:
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["flip", "insert", "sharp", "delete", "dup-line", "drop-line"]))
        if op == "flip" and at < len(data):
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "sharp":
            data[at:at] = draw(st.sampled_from(SHARP))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        else:
            lines = bytes(data).splitlines(keepends=True)
            if lines:
                i = draw(st.integers(0, len(lines) - 1))
                if op == "dup-line":
                    lines.insert(draw(st.integers(0, len(lines))), lines[i])
                else:
                    del lines[i]
                data = bytearray(b"".join(lines))
    return bytes(data)


sets = st.lists(
    st.one_of(
        st.builds(lambda k, v: f"{k}={v}", st.sampled_from(SET_KEYS), st.sampled_from(SET_VALUES)),
        st.text(max_size=20),
    ),
    max_size=2,
)


def _run(
    capsys: pytest.CaptureFixture[str], command: str, common: bytes, prod: bytes, flags: list[str]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        files = [Path(tmp, "values-common.yaml"), Path(tmp, "values-prod.yaml")]
        for path, data in zip(files, (common, prod), strict=True):
            path.write_bytes(data)
        args = [command, "-f", str(files[0]), "-f", str(files[1])]
        for flag in flags:
            args += ["--set", flag]
        capsys.readouterr()
        code = main(args)
        out, err = capsys.readouterr()
        allowed = {0, 2} if command == "render" else {0, 1, 2}
        assert code in allowed, (code, err)
        assert "Traceback" not in err
        if code == 2:
            assert out == "", "a refused input must print nothing on stdout"
            lines = err.splitlines()
            assert lines, "exit 2 says why"
            prefixes = (str(files[0]), str(files[1]), "--set", "-f ")
            assert all(line.startswith(prefixes) for line in lines), err
        elif command == "render":
            docs = [d for d in yaml.safe_load_all(out) if d is not None]
            assert all(isinstance(d, dict) and d.get("kind") for d in docs)  # none when all is off


@settings(max_examples=SCALE, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(common=damaged(COMMON), prod=damaged(PROD), flags=sets)
def test_render_answers_every_damaged_input_as_documented(
    capsys: pytest.CaptureFixture[str], common: bytes, prod: bytes, flags: list[str]
) -> None:
    _run(capsys, "render", common, prod, flags)


@settings(
    max_examples=max(SCALE // 4, 1),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(prod=damaged(PROD), flags=sets)
def test_validate_answers_every_damaged_input_as_documented(
    capsys: pytest.CaptureFixture[str], prod: bytes, flags: list[str]
) -> None:
    _run(capsys, "validate", COMMON, prod, flags)


def test_the_fuzzer_reaches_both_answers(capsys: pytest.CaptureFixture[str]) -> None:
    """The harness itself can tell: the example renders, and one damaged byte is refused on its line."""
    _run(capsys, "render", COMMON, PROD, [])
    broken = PROD.replace(b"replicas: 0", b"replicas: x", 1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "values-prod.yaml")
        path.write_bytes(broken)
        assert main(["render", "-f", str(path)]) == 2
        _out, err = capsys.readouterr()
        line = broken[: broken.index(b"replicas: x")].count(b"\n") + 1
        assert err.startswith(f"{path}:{line}: machineSets[0].replicas: ")
