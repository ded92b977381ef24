"""Hostile and broken input: every problem is one located ConfigError line, never a crash or a hang."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from cluster_capacity.cli import main
from cluster_capacity.config import load_project, load_values
from cluster_capacity.config.sources import MAX_SET_INDEX, apply_sets, layer, parse_yaml, read_source
from cluster_capacity.config.yamlfile import MAX_DEPTH, MAX_FILE_BYTES, MAX_VALUES
from cluster_capacity.errors import ConfigError
from tests.conftest import EXAMPLES

VALUES = EXAMPLES / "values"


def problems(text: str, name: str = "v.yaml") -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_yaml(text, name)
    return info.value.lines()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# --- limits -----------------------------------------------------------------------------------------


def test_deep_nesting_is_refused_with_its_line() -> None:
    assert problems("a: 1\nb: " + "[" * 400 + "]" * 400 + "\n") == [
        f"v.yaml:2: nested more than {MAX_DEPTH} levels deep"
    ]
    block = "".join("  " * i + f"k{i}:\n" for i in range(MAX_DEPTH + 5)) + "  " * (MAX_DEPTH + 5) + "x: 1\n"
    assert problems(block)[0].endswith(f"nested more than {MAX_DEPTH} levels deep")
    parse_yaml(
        "a: " + "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2) + "\n", "v.yaml"
    )  # the limit itself is fine


def outcome(text: str) -> list[str]:
    try:
        parse_yaml(text, "v.yaml")
    except ConfigError as exc:
        return exc.lines()
    return []


@pytest.mark.parametrize("limit", [None, 10, 11, 12])
@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n",  # exactly MAX_DEPTH deep
        "a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n",  # one deeper
        "a: " + "[" * MAX_DEPTH + "1" + "]" * MAX_DEPTH + "\n",
        "".join("  " * i + f"k{i}:\n" for i in range(MAX_DEPTH - 1)) + "  " * (MAX_DEPTH - 1) + "x: 1\n",
        "".join("  " * i + f"k{i}:\n" for i in range(MAX_DEPTH)) + "  " * MAX_DEPTH + "x: 1\n",
        "a: [1, 2, 3]\nb: {c: 4, d: 5}\n",  # 11 values
        "<<: {a: 1, b: 2}\nc: [3, [4]]\n",
    ],
)
def test_the_quick_walk_decides_as_the_full_check(
    text: str, limit: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a file without an anchor skips the alias-aware check for a quick walk: same verdict, same line
    if limit is not None:
        monkeypatch.setattr("cluster_capacity.config.yamlfile.MAX_VALUES", limit)
    full = outcome(text + "# & forces the alias-aware check\n")
    assert outcome(text) == full


def test_billion_laughs_is_refused_fast() -> None:
    text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(9)
    )
    start = time.monotonic()
    found = problems(text)
    assert time.monotonic() - start < 2
    assert found == [f"v.yaml:6: expands (through aliases) to more than {MAX_VALUES} values"]


def test_recursive_alias_is_refused() -> None:
    assert problems("a: &a [1, *a]\n") == [
        "v.yaml:1: an alias refers to a node that contains it (recursive alias)"
    ]


def test_file_size_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: " + b"x" * MAX_FILE_BYTES + b"\n")
    with pytest.raises(ConfigError) as info:
        read_source(big)
    assert info.value.lines() == [f"{big}: is larger than 4 MiB, the limit for a values file"]


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "values.yaml"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError) as info:
        read_source(fifo)  # a blocking open would hang here: no writer ever comes
    assert info.value.lines() == [
        f"{fifo}: is not a regular file (a FIFO, socket or device): expected a YAML file"
    ]


def test_set_index_is_capped_as_in_helm() -> None:
    base = layer([])
    with pytest.raises(ConfigError) as info:
        apply_sets(base, ["machineSets[10000000].x=1"])
    assert info.value.lines() == [
        f"--set: machineSets: index 10000000 is greater than the maximum supported index {MAX_SET_INDEX}"
    ]
    assert apply_sets(base, [f"a[{MAX_SET_INDEX}]=1"]).data["a"][-1] == 1


def test_set_depth_is_capped() -> None:
    with pytest.raises(ConfigError) as info:
        apply_sets(layer([]), [".".join(["a"] * (MAX_DEPTH + 1)) + "=1"])
    assert info.value.lines()[0].endswith(f"nested more than {MAX_DEPTH} levels deep")
    with pytest.raises(ConfigError) as info:
        apply_sets(layer([]), ["a=" + "{" * 100 + "}" * 100])
    assert info.value.lines() == [f"--set: a value nested more than {MAX_DEPTH} levels deep"]


# --- bad bytes and odd YAML ---------------------------------------------------------------------------


def test_nul_byte_is_one_line_with_its_line_number() -> None:
    assert problems("a: 1\nb: \x00\n") == [
        "v.yaml:2: invalid YAML: character U+0000 is not allowed (control characters are not allowed)"
    ]


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_bytes(b"a: 1\nb: \xff\n")
    with pytest.raises(ConfigError) as info:
        read_source(path)
    assert info.value.lines() == [f"{path}:2: is not UTF-8 text (byte 0xff)"]


def test_tags_beyond_plain_data_are_refused() -> None:
    assert problems("a: !!set {x, y}\nb: !custom z\n") == [
        "v.yaml:1: a: unsupported YAML tag !!set",
        "v.yaml:2: b: unsupported YAML tag !custom",
    ]


def test_keys_become_strings_as_helm_makes_them() -> None:
    source = parse_yaml("1: a\ntrue: b\n~: c\ndate: 2024-01-02\n", "v.yaml")
    assert source.data == {"1": "a", "true": "b", "null": "c", "date": "2024-01-02"}
    assert problems("? [a]\n: 1\n") == [
        "v.yaml:1: a mapping key must be a plain value, not a list or mapping"
    ]


def test_merge_keys_with_an_override_are_not_duplicates() -> None:
    source = parse_yaml("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n", "v.yaml")
    assert source.data["c"] == {"y": 3, "x": 1}
    assert source.lines[("c", "y")] == 4 and source.lines[("c", "x")] == 1  # x is written on line 1
    assert problems("c:\n  y: 1\n  y: 2\n") == ["v.yaml:3: c.y: duplicate key"]
    assert problems("c:\n  <<: 3\n") == [
        "v.yaml:2: c: a merge key (<<) takes a mapping or a list of mappings"
    ]


def test_a_bom_and_crlf_are_read() -> None:
    assert parse_yaml("\ufeffa: 1\r\nb: 2\r\n", "v.yaml").data == {"a": 1, "b": 2}


def test_tab_before_a_comment_is_valid_yaml() -> None:
    assert parse_yaml("a: 1\t# comment\n", "v.yaml").data == {"a": 1}


# --- --set, and who is blamed --------------------------------------------------------------------------


def test_set_null_deletes_the_key_as_in_helm() -> None:
    files = [VALUES / "values-common.yaml", VALUES / "values-prod.yaml"]
    values = load_values(files, ["nvidia.enabled=null"])
    assert values.nvidia.enabled is False  # back to the default
    assert load_values(files, ["nvidia=null"]).nvidia.enabled is False


def test_set_problems_are_blamed_on_set(tmp_path: Path) -> None:
    files = [VALUES / "values-common.yaml", VALUES / "values-prod.yaml"]
    with pytest.raises(ConfigError) as info:
        load_values(files, ["machineSets[1].replicas=1"])
    assert info.value.lines() == ["--set: machineSets[1].nameSuffix: required key missing"]
    with pytest.raises(ConfigError) as info:
        load_values(files, ["machineSets[0].taints[0].effect=Sometimes"])
    assert [line.split(": ", 2)[:2] for line in info.value.lines()] == [
        ["--set", "machineSets[0].taints[0].effect"]
    ]


def test_a_list_replaced_by_a_later_file_is_blamed_on_that_file(tmp_path: Path) -> None:
    first = tmp_path / "a.yaml"
    first.write_text("machineSets:\n  - nameSuffix: a\n    taints: []\n")
    second = tmp_path / "b.yaml"
    second.write_text("# replaces the list\nmachineSets:\n  - replicas: 1\n")
    with pytest.raises(ConfigError) as info:
        load_values([first, second])
    assert info.value.lines() == [f"{second}:3: machineSets[0].nameSuffix: required key missing"]


def test_a_mapping_merged_by_a_later_file_is_blamed_where_the_key_is(tmp_path: Path) -> None:
    first = tmp_path / "a.yaml"
    first.write_text("nvidia:\n  enabled: 3\n")
    second = tmp_path / "b.yaml"
    second.write_text("nvidia:\n  installNamespace: x\n")
    with pytest.raises(ConfigError) as info:
        load_values([first, second])
    assert info.value.lines() == [f"{first}:2: nvidia.enabled: must be true or false, got 3 (a int)"]


# --- the project file -----------------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    dest = tmp_path / "repo"
    shutil.copytree(EXAMPLES, dest)
    return dest


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "outputDir",
            "/etc/rendered",
            "'/etc/rendered' is absolute; give a path relative to the project file's folder",
        ),
        ("outputDir", "../elsewhere", "'../elsewhere' leaves the repository; give a folder inside it"),
        ("valuesDir", "values/../../x", "'values/../../x' leaves the repository; give a folder inside it"),
        ("valuesDir", "v" * 300, f"the name {'v' * 20!r}... is longer than 255 bytes"),
    ],
)
def test_project_paths_stay_inside_the_repository(project: Path, key: str, value: str, message: str) -> None:
    path = project / "cluster-capacity.yaml"
    path.write_text(path.read_text() + f"{key}: {value}\n".replace(f"{key}: ", f"{key}: ", 1))
    text = path.read_text()
    # the key is already in the example: replace it rather than add a duplicate
    lines = [ln for ln in text.splitlines() if not ln.startswith(f"{key}:")] + [f"{key}: {value}"]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError) as info:
        load_project(path)
    assert info.value.lines() == [f"{path}:{len(lines)}: {key}: {message}"]


def test_env_named_like_the_applications_folder_is_refused(project: Path) -> None:
    path = project / "cluster-capacity.yaml"
    path.write_text(path.read_text().replace("name: dev", "name: argocd"))
    with pytest.raises(ConfigError) as info:
        load_project(path)
    line = path.read_text().splitlines().index("  - name: argocd") + 1
    assert info.value.lines() == [
        f"{path}:{line}: envs[1].name: 'argocd' is taken: <outputDir>/argocd holds the Applications; "
        "name the env otherwise"
    ]


# --- through the command line: exit 2, one line each, nothing on stdout ----------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "autoscaling:\n  clusterAutoscaler:\n    enabled: true\n    spec:\n      resourceLimits: [1]\n",
            "resourceLimits",
        ),
        (
            "autoscaling:\n  clusterAutoscaler:\n    enabled: true\n    spec:\n      resourceLimits:\n        gpus: [{type: [a]}]\n",
            "type",
        ),
        ("a: " + "[" * 500 + "]" * 500 + "\n", "nested more than"),
        # every field of a ClusterPolicy's spec is an object: a scalar there is refused, never rendered
        (
            "nvidia:\n  enabled: true\n  clusterPolicy:\n    spec:\n      mig: 3\n",
            "spec.mig: must be a mapping",
        ),
        (
            "nvidia:\n  enabled: true\n  clusterPolicy:\n    spec:\n      daemonsets: x\n",
            "spec.daemonsets: must be",
        ),
    ],
)
def test_wrong_shapes_exit_2_with_located_lines(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, expected: str
) -> None:
    extra = tmp_path / "values-extra.yaml"
    extra.write_text(text)
    code, out, err = run(
        capsys,
        "render",
        "-f",
        str(VALUES / "values-common.yaml"),
        "-f",
        str(VALUES / "values-prod.yaml"),
        "-f",
        str(extra),
    )
    assert (code, out) == (2, "")
    assert err.startswith(f"{extra}:") and expected in err and "Traceback" not in err


def test_set_null_through_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "render", "--project", str(EXAMPLES), "--env", "prod", "--set", "nvidia.enabled=null"
    )
    assert code == 0, err
    assert "kind: ClusterPolicy" not in out and "kind: MachineSet" in out


def test_long_values_dir_is_a_clean_error(capsys: pytest.CaptureFixture[str], project: Path) -> None:
    path = project / "cluster-capacity.yaml"
    path.write_text(path.read_text().replace("valuesDir: values", "valuesDir: " + "v" * 300))
    code, out, err = run(capsys, "render", "--project", str(project), "--env", "prod")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "valuesDir: the name" in err


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("gitopsNamespace", "OpenShift-GitOps", "a lowercase RFC 1123 label must consist of"),
        ("gitopsNamespace", "gitops.ns", "must not contain dots"),
        ("gitopsNamespace", "g" * 64, "must be no more than 63 characters"),
        ("argocdProject", "-team", "a lowercase RFC 1123 subdomain must consist of"),
        ("argocdInstance", "Argo_CD", "a lowercase RFC 1123 subdomain must consist of"),
    ],
)
def test_names_the_applications_carry_follow_the_api_servers_rules(
    project: Path, key: str, value: str, message: str
) -> None:
    path = project / "cluster-capacity.yaml"
    lines = [ln for ln in path.read_text().splitlines() if not ln.startswith(f"{key}:")] + [f"{key}: {value}"]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError) as info:
        load_project(path)
    (line,) = info.value.lines()
    assert line.startswith(f"{path}:{len(lines)}: {key}: ")
    assert message in line


def test_valid_application_names_load(project: Path) -> None:
    path = project / "cluster-capacity.yaml"
    path.write_text(path.read_text() + "argocdProject: team.gpu\nargocdInstance: openshift-gitops\n")
    loaded = load_project(path)
    assert (loaded.project.argocd_project, loaded.project.argocd_instance) == ("team.gpu", "openshift-gitops")
