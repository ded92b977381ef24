"""Where an env's config disagrees with the cluster it is meant for (``discover --env``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cluster_capacity.ops.discovery.discover import ClusterFacts, Mismatch

if TYPE_CHECKING:
    from cluster_capacity.config import Values

__all__ = ["compare"]


def compare(facts: ClusterFacts, values: Values, env: str) -> list[Mismatch]:
    """Where the env's config disagrees with the cluster: infraID, region, zones, Spot, pools."""
    found: list[Mismatch] = []
    if values.infra_id != facts.infra_id:
        found.append(
            Mismatch(
                "infraID",
                facts.infra_id,
                str(values.infra_id or ""),
                f"values-{env}.yaml infraID {values.infra_id or '(unset)'} is not this cluster's "
                f"{facts.infra_id}: MachineSets would be named and labelled for another cluster "
                f"(run: cluster-capacity init --env {env})",
            )
        )
    live = {m.name: m for m in facts.machinesets}
    for pool in values.machine_sets:
        if not pool.enabled:
            continue
        spec = pool.provider_spec or {}
        region = str((spec.get("placement") or {}).get("region") or "")
        where = f"machineSets[{pool.name_suffix}]"
        if region and facts.region and region != facts.region:
            found.append(
                Mismatch(
                    f"{where}.providerSpec.placement.region",
                    facts.region,
                    region,
                    f"pool {pool.name_suffix} is in region {region}, the cluster in {facts.region}",
                )
            )
        zone = pool.zone or ""
        if zone and facts.region and not zone.startswith(facts.region):
            found.append(
                Mismatch(
                    f"{where}.providerSpec.placement.availabilityZone",
                    facts.region,
                    zone,
                    f"pool {pool.name_suffix}: zone {zone} is not in region {facts.region}",
                )
            )
        profile = str((spec.get("iamInstanceProfile") or {}).get("id") or "")
        if profile and facts.infra_id and not profile.startswith(facts.infra_id):
            found.append(
                Mismatch(
                    f"{where}.providerSpec.iamInstanceProfile.id",
                    facts.infra_id,
                    profile,
                    f"pool {pool.name_suffix}: instance profile {profile} belongs to another cluster",
                )
            )
        name = pool.machineset_name(facts.infra_id)
        if name in live and not live[name].managed:
            found.append(
                Mismatch(
                    f"{where}.nameSuffix",
                    name,
                    pool.name_suffix,
                    f"MachineSet {name} exists but is not managed by cluster-capacity: "
                    "Argo CD would take it over",
                )
            )
    live_pools = {m.pool for m in facts.machinesets if m.managed and m.env in (env, None)}
    wanted = {p.name_suffix for p in values.machine_sets if p.enabled}
    for orphan in sorted(p for p in live_pools - wanted if p):
        found.append(
            Mismatch(
                f"machineSets[{orphan}]",
                "running",
                "absent",
                f"pool {orphan} runs on the cluster but is not enabled in values-{env}.yaml "
                "(auto-prune is off: it keeps running; see cluster-capacity diff)",
            )
        )
    return found
