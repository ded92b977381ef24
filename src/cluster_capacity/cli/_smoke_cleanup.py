"""``smoke --cleanup``: undo what an interrupted smoke run left on a pool (one env; ``--all`` per env)."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def clean_up(cluster: object, targets: Sequence[object], namespace: str) -> int:
    """Undo what interrupted runs left on the pool's MachineSets (every zone of a fanned-out pool, and the
    twins); print what was done; 0, or 1 when something failed."""
    from cluster_capacity.errors import EXIT_FAILED, EXIT_OK
    from cluster_capacity.ops.smoke.cluster import KubeSmokeCluster
    from cluster_capacity.ops.smoke.pod import SmokeTarget
    from cluster_capacity.ops.smoke.record import clean_up_pool

    assert isinstance(cluster, KubeSmokeCluster)
    failed = False
    nothing = True
    for target in targets:
        assert isinstance(target, SmokeTarget)
        report = clean_up_pool(cluster, target, namespaces=(namespace,))
        nothing = nothing and report.nothing_to_do
        for line in report.done:
            print(line, file=sys.stderr)
        for line in report.errors:
            print(f"FAILED: {line}", file=sys.stderr)
        failed = failed or bool(report.errors)
    if nothing and targets:
        first = targets[0]
        assert isinstance(first, SmokeTarget)
        sets = ", ".join(t.machineset for t in targets if isinstance(t, SmokeTarget))
        what = f"MachineSet {sets} has" if len(targets) == 1 else f"MachineSets {sets} have"
        print(
            f"nothing to clean up: {what} no smoke record and namespace {namespace} no smoke pods of pool "
            f"{first.pool}",
            file=sys.stderr,
        )
    return EXIT_FAILED if failed else EXIT_OK
