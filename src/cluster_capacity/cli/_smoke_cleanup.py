"""``smoke --cleanup``: undo what an interrupted smoke run left on a pool (one env; ``--all`` per env)."""

from __future__ import annotations

import sys


def clean_up(cluster: object, target: object, namespace: str) -> int:
    """Undo what an interrupted run left on the pool; print what was done; 0, or 1 when something failed."""
    from cluster_capacity.errors import EXIT_FAILED, EXIT_OK
    from cluster_capacity.ops.smoke.cluster import KubeSmokeCluster
    from cluster_capacity.ops.smoke.pod import SmokeTarget
    from cluster_capacity.ops.smoke.record import clean_up_pool

    assert isinstance(cluster, KubeSmokeCluster) and isinstance(target, SmokeTarget)
    report = clean_up_pool(cluster, target, namespaces=(namespace,))
    if report.nothing_to_do:
        print(
            f"nothing to clean up: MachineSet {target.machineset} has no smoke record and namespace "
            f"{namespace} no smoke pods of pool {target.pool}",
            file=sys.stderr,
        )
    for line in report.done:
        print(line, file=sys.stderr)
    for line in report.errors:
        print(f"FAILED: {line}", file=sys.stderr)
    return EXIT_FAILED if report.errors else EXIT_OK
