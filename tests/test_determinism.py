"""Byte-identical output across processes: set and dict orders that hash randomisation changes never leak."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

from cluster_capacity.config import load_env
from cluster_capacity.output import files_for
from cluster_capacity.render import render_env
from tests.conftest import EXAMPLES, REPO

ENVS = [(EXAMPLES, "prod"), (EXAMPLES / "neuron", "inference"), (EXAMPLES / "neuron", "minimal")]

PROGRAM = """
import hashlib, sys
from pathlib import Path
from cluster_capacity.config import load_env
from cluster_capacity.output import files_for
from cluster_capacity.render import render_env
digest = hashlib.sha256()
for project, env in [(Path(a), b) for a, b in zip(sys.argv[1::2], sys.argv[2::2])]:
    for name, text in sorted(files_for(render_env(load_env(project, env))).items()):
        digest.update(name.encode() + b"\\0" + text.encode() + b"\\0")
# what this process's hash seed makes of a set of resource names, to show the seeds differ
print(",".join({"clusterautoscalers", "machineautoscalers", "nodefeaturerules", "deviceconfigs"}))
print(digest.hexdigest())
"""


def digest_here() -> str:
    digest = hashlib.sha256()
    for project, env in ENVS:
        for name, text in sorted(files_for(render_env(load_env(project, env))).items()):
            digest.update(name.encode() + b"\0" + text.encode() + b"\0")
    return digest.hexdigest()


def test_output_is_the_same_under_every_hash_seed() -> None:
    args = [str(part) for project, env in ENVS for part in (project, env)]
    orders, digests = set(), set()
    for seed in ("0", "1", "2", "3", "4", "5"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", PROGRAM, *args],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        order, digest = done.stdout.split()
        orders.add(order)
        digests.add(digest)
    assert len(orders) > 1  # the seeds really ordered sets differently
    assert digests == {digest_here()}
