"""The only module that talks to AWS: vCPU quotas, usage, the accelerator catalog, offerings, Spot prices.

boto3 is imported inside functions so the command line starts fast. Credentials come from the standard
chain (``--profile``, environment, SSO, instance role); retries are botocore's adaptive mode. Every
botocore error is translated here: bad input (unknown region, profile or instance type) becomes a
`ConfigError` (exit 2), anything AWS refused or could not answer an `AwsError` (exit 1) that names the
IAM action when access was denied. ``docs/aws-iam-policy.json`` lists every action called here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

from cluster_capacity.aws._errors import CREDENTIAL_HINT, MAX_ATTEMPTS, NoSuchQuota, client_error
from cluster_capacity.aws.blocks import DEFAULT_BLOCK_HOURS, BlockOffering
from cluster_capacity.aws.snapshot import (
    InstanceTypeInfo,
    Quota,
    QuotaKey,
    Reservation,
    RunningInstance,
    describe_quota,
    info_from_api,
)
from cluster_capacity.errors import AwsError, ConfigError
from cluster_capacity.instances import QUOTA_CODES, Market, QuotaFamily

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import FilterTypeDef
    from mypy_boto3_service_quotas import ServiceQuotasClient

__all__ = [
    "IAM_ACTIONS",
    "Aws",
]

#: Every IAM action this module calls (kept equal to docs/aws-iam-policy.json by a test).
IAM_ACTIONS: Final = (
    "ec2:DescribeCapacityBlockOfferings",
    "ec2:DescribeCapacityReservations",
    "ec2:DescribeInstanceTypeOfferings",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeInstances",
    "ec2:DescribeSpotPriceHistory",
    "servicequotas:GetAWSDefaultServiceQuota",
    "servicequotas:GetServiceQuota",
)
# Instance-type name patterns per quota family, for server-side filtering of DescribeInstanceTypes.
_PATTERNS: dict[QuotaFamily, tuple[str, ...]] = {
    "g": ("g*", "vt*"),
    "p": ("p*",),
    "inf": ("inf*",),
    "trn": ("trn*",),
    "dl": ("dl*",),
}
# EC2 accepts a bounded number of values per filter; stay well below it.
_CHUNK = 100


class Aws:
    """A boto3 session for one region, with clients made on first use and errors translated.

    ``clients`` maps a service name (``ec2``, ``service-quotas``) to a ready client; tests pass stubbed
    clients this way, and nothing else is needed then.
    """

    def __init__(
        self,
        profile: str | None = None,
        region: str | None = None,
        *,
        clients: Mapping[str, Any] | None = None,
    ) -> None:
        self.profile = profile
        self._region = region
        self._session: boto3.Session | None = None
        self._clients: dict[str, Any] = dict(clients or {})

    @property
    def region(self) -> str:
        """The region every call goes to; an unknown or missing region is a `ConfigError`."""
        if self._region is None or self._session is None:
            self._open()
        assert self._region is not None
        return self._region

    def _open(self) -> None:
        import boto3
        from botocore.exceptions import BotoCoreError, ProfileNotFound

        try:
            session = boto3.Session(profile_name=self.profile, region_name=self._region)
        except ProfileNotFound as exc:
            raise ConfigError(f"--profile {self.profile}: no such profile in the AWS config files") from exc
        except BotoCoreError as exc:
            raise ConfigError(f"AWS configuration: {exc}") from exc
        region = session.region_name
        if not region:
            raise ConfigError(
                "no AWS region: pass --region or set AWS_DEFAULT_REGION (or region in the profile)"
            )
        known: set[str] = set()
        for partition in session.get_available_partitions():
            known.update(session.get_available_regions("ec2", partition))
        if region not in known:
            where = (
                f"--region {region}"
                if self._region
                else f"region {region} (from the profile or AWS_DEFAULT_REGION)"
            )
            raise ConfigError(f"{where}: unknown AWS region (for example us-east-1, eu-west-1)")
        self._region = region
        self._session = session

    def ec2(self) -> EC2Client:
        """The EC2 client (adaptive retries)."""
        client: EC2Client = self._client("ec2")
        return client

    def service_quotas(self) -> ServiceQuotasClient:
        """The Service Quotas client (adaptive retries)."""
        client: ServiceQuotasClient = self._client("service-quotas")
        return client

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            from botocore.config import Config
            from botocore.exceptions import BotoCoreError

            region = self.region
            assert self._session is not None
            config = Config(
                retries={"mode": "adaptive", "total_max_attempts": MAX_ATTEMPTS},
                connect_timeout=10,
                read_timeout=30,
                user_agent_extra="cluster-capacity",
            )
            try:
                self._clients[service] = self._session.client(service, region_name=region, config=config)  # type: ignore[call-overload]
            except BotoCoreError as exc:
                raise ConfigError(f"--region {region}: {exc}") from exc
        return self._clients[service]

    # --- reads --------------------------------------------------------------------------------------

    def quotas(self, keys: Iterable[QuotaKey]) -> dict[QuotaKey, Quota]:
        """The account's vCPU quotas, falling back to the AWS default where the account has no value."""
        found: dict[QuotaKey, Quota] = {}
        for family, market in keys:
            found[(family, market)] = self._quota(family, market)
        return found

    def _quota(self, family: QuotaFamily, market: Market) -> Quota:
        from botocore.exceptions import ClientError

        code = QUOTA_CODES[(family, market)]
        client = self.service_quotas()
        try:
            with self._translate("servicequotas:GetServiceQuota"):
                answer = client.get_service_quota(ServiceCode="ec2", QuotaCode=code)
            return Quota(family, market, int(answer["Quota"].get("Value", 0)), "account")
        except NoSuchQuota:
            pass
        try:
            with self._translate("servicequotas:GetAWSDefaultServiceQuota"):
                answer = client.get_aws_default_service_quota(ServiceCode="ec2", QuotaCode=code)
            return Quota(family, market, int(answer["Quota"].get("Value", 0)), "aws-default")
        except NoSuchQuota as exc:
            cause = exc.__cause__ if isinstance(exc.__cause__, ClientError) else None
            raise AwsError(
                f"Service Quotas has no quota {code} ({describe_quota(family, market)} vCPUs) for this "
                f"account in {self.region}; plan with --quota {family}:{market}=VCPUS instead"
            ) from cause

    def instances(self, catalog: Mapping[str, InstanceTypeInfo] | None = None) -> list[RunningInstance]:
        """Pending and running instances, with the vCPUs each takes from its quota."""
        ec2 = self.ec2()
        catalog = dict(catalog or {})
        rows: list[tuple[str, str, bool, str, int | None]] = []
        with self._translate("ec2:DescribeInstances"):
            pages = ec2.get_paginator("describe_instances").paginate(
                Filters=[{"Name": "instance-state-name", "Values": ["pending", "running"]}]
            )
            for page in pages:
                for reservation in page.get("Reservations", []):
                    for instance in reservation.get("Instances", []):
                        itype = str(instance.get("InstanceType", ""))
                        name = next(
                            (t["Value"] for t in instance.get("Tags", []) if t.get("Key") == "Name"), ""
                        )
                        cpu = instance.get("CpuOptions") or {}
                        cores, threads = cpu.get("CoreCount"), cpu.get("ThreadsPerCore")
                        rows.append(
                            (
                                itype,
                                str(instance.get("Placement", {}).get("AvailabilityZone", "")),
                                instance.get("InstanceLifecycle") == "spot",
                                str(name),
                                cores * threads if cores and threads else None,
                            )
                        )
        # Quotas count the instance type's vCPUs; look up the few types the catalog lacks in one call.
        missing = sorted({r[0] for r in rows if r[0] and r[0] not in catalog and r[4] is None})
        if missing:
            catalog.update(self.catalog(types=missing))
        return [
            RunningInstance(
                itype, zone, spot, catalog[itype].vcpus if itype in catalog else (vcpus or 0), name
            )
            for itype, zone, spot, name, vcpus in rows
        ]

    def catalog(
        self, families: Iterable[QuotaFamily] = (), types: Sequence[str] = ()
    ) -> dict[str, InstanceTypeInfo]:
        """Instance types of the quota ``families`` (by name pattern) plus the exact ``types`` asked for."""
        patterns = sorted({p for f in families for p in _PATTERNS.get(f, ())})
        found: dict[str, InstanceTypeInfo] = {}
        ec2 = self.ec2()
        with self._translate("ec2:DescribeInstanceTypes"):
            if patterns:
                pages = ec2.get_paginator("describe_instance_types").paginate(
                    Filters=[{"Name": "instance-type", "Values": patterns}]
                )
                for page in pages:
                    for item in page.get("InstanceTypes", []):
                        info = info_from_api(item)
                        found[info.name] = info
            wanted = [t for t in dict.fromkeys(types) if t not in found]
            for chunk in _chunks(wanted):
                # InstanceTypes (not a filter) makes AWS name the types that do not exist.
                for page in ec2.get_paginator("describe_instance_types").paginate(InstanceTypes=chunk):  # type: ignore[arg-type]
                    for item in page.get("InstanceTypes", []):
                        info = info_from_api(item)
                        found[info.name] = info
        return found

    def offerings(self, types: Sequence[str], zones: Sequence[str] = ()) -> dict[str, frozenset[str]]:
        """Availability zones that offer each of ``types`` (optionally only among ``zones``)."""
        found: dict[str, set[str]] = {}
        ec2 = self.ec2()
        with self._translate("ec2:DescribeInstanceTypeOfferings"):
            for chunk in _chunks(list(types)):
                filters: list[FilterTypeDef] = [{"Name": "instance-type", "Values": chunk}]
                if zones:
                    filters.append({"Name": "location", "Values": list(zones)})
                pages = ec2.get_paginator("describe_instance_type_offerings").paginate(
                    LocationType="availability-zone", Filters=filters
                )
                for page in pages:
                    for offer in page.get("InstanceTypeOfferings", []):
                        found.setdefault(str(offer["InstanceType"]), set()).add(str(offer["Location"]))
        return {t: frozenset(z) for t, z in found.items()}

    def spot_prices(self, types: Sequence[str], zones: Sequence[str] = ()) -> dict[str, dict[str, float]]:
        """The latest Linux/UNIX Spot price of each type in each zone (USD per hour)."""
        latest: dict[tuple[str, str], tuple[dt.datetime, float]] = {}
        ec2 = self.ec2()
        now = dt.datetime.now(dt.timezone.utc)
        with self._translate("ec2:DescribeSpotPriceHistory"):
            for chunk in _chunks(list(types)):
                filters: list[FilterTypeDef] = (
                    [{"Name": "availability-zone", "Values": list(zones)}] if zones else []
                )
                # StartTime = now asks for the price in effect now: one entry per type and zone.
                pages = ec2.get_paginator("describe_spot_price_history").paginate(
                    InstanceTypes=chunk,  # type: ignore[arg-type]
                    ProductDescriptions=["Linux/UNIX"],
                    StartTime=now,
                    Filters=filters,
                )
                for page in pages:
                    for row in page.get("SpotPriceHistory", []):
                        key = (str(row.get("InstanceType")), str(row.get("AvailabilityZone")))
                        stamp = row.get("Timestamp") or now
                        price = float(row.get("SpotPrice", "nan"))
                        if key not in latest or stamp > latest[key][0]:
                            latest[key] = (stamp, price)
        prices: dict[str, dict[str, float]] = {}
        for (itype, zone), (_, price) in latest.items():
            prices.setdefault(itype, {})[zone] = price
        return prices

    def reservations(self) -> dict[str, Reservation]:
        """Active and scheduled On-Demand Capacity Reservations and Capacity Blocks of the region, by id."""
        found: dict[str, Reservation] = {}
        ec2 = self.ec2()
        with self._translate("ec2:DescribeCapacityReservations"):
            pages = ec2.get_paginator("describe_capacity_reservations").paginate(
                Filters=[{"Name": "state", "Values": ["active", "scheduled"]}]
            )
            for page in pages:
                for item in page.get("CapacityReservations", []):
                    reservation = Reservation.from_api(item)
                    found[reservation.id] = reservation
        return found

    def capacity_block_offerings(
        self, instance_type: str, count: int, hours: int = DEFAULT_BLOCK_HOURS
    ) -> list[BlockOffering]:
        """Capacity Blocks of ``count`` x ``instance_type`` for ``hours`` that can be bought now, soonest first.

        Only some GPU types are sold as Capacity Blocks; for the others AWS answers none (or refuses the
        type, a `ConfigError`).
        """
        found: list[BlockOffering] = []
        ec2 = self.ec2()
        with self._translate("ec2:DescribeCapacityBlockOfferings"):
            pages = ec2.get_paginator("describe_capacity_block_offerings").paginate(
                InstanceType=instance_type, InstanceCount=count, CapacityDurationHours=hours
            )
            for page in pages:
                found.extend(BlockOffering.from_api(item) for item in page.get("CapacityBlockOfferings", []))
        return sorted(found, key=lambda o: (o.start, o.zone, o.id))

    # --- errors -------------------------------------------------------------------------------------

    @contextmanager
    def _translate(self, action: str) -> Iterator[None]:
        """Turn botocore errors raised while calling ``action`` into this package's errors."""
        from botocore import exceptions as bx

        try:
            yield
        except bx.ClientError as exc:
            raise client_error(exc, action, self._region or "?") from exc
        except (bx.NoCredentialsError, bx.PartialCredentialsError) as exc:
            raise AwsError(f"no AWS credentials found {CREDENTIAL_HINT}") from exc
        except (bx.TokenRetrievalError, bx.SSOTokenLoadError, bx.UnauthorizedSSOTokenError) as exc:
            hint = f" --profile {self.profile}" if self.profile else ""
            raise AwsError(
                f"AWS credentials have expired: {exc} (run `aws sso login{hint}` or renew them)"
            ) from exc
        except bx.CredentialRetrievalError as exc:
            raise AwsError(f"cannot get AWS credentials: {exc}") from exc
        except bx.ProfileNotFound as exc:
            raise ConfigError(f"--profile {self.profile}: no such profile in the AWS config files") from exc
        except (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ReadTimeoutError) as exc:
            raise AwsError(f"{action}: cannot reach AWS in {self._region}: {exc}") from exc
        except bx.BotoCoreError as exc:
            raise AwsError(f"{action}: {exc}") from exc


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]
