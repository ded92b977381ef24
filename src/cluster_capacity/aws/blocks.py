"""Capacity Blocks for ML that can be bought (``DescribeCapacityBlockOfferings``): what a pool with
``marketType: CapacityBlock`` could launch into when its block is missing or too small."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["DEFAULT_BLOCK_HOURS", "BlockOffering"]

#: The shortest Capacity Block (durations go in 1-day steps up to 14 days, then 7-day steps).
DEFAULT_BLOCK_HOURS = 24


@dataclass(frozen=True)
class BlockOffering:
    """One Capacity Block offering: ``count`` x ``instance_type`` in ``zone`` from ``start`` to ``end``."""

    id: str
    instance_type: str
    zone: str
    count: int
    #: UTC, ISO 8601.
    start: str
    end: str
    hours: int
    upfront_fee: str = ""
    currency: str = "USD"

    def describe(self) -> str:
        fee = f", {self.upfront_fee} {self.currency} upfront" if self.upfront_fee else ""
        return (
            f"Capacity Block offering {self.id}: {self.count} x {self.instance_type} in {self.zone}, "
            f"{self.start} to {self.end} ({self.hours} h){fee}"
        )

    @classmethod
    def from_api(cls, item: Mapping[str, Any]) -> BlockOffering:
        """From one ``CapacityBlockOfferings[]`` item of the EC2 API."""
        return cls(
            id=str(item["CapacityBlockOfferingId"]),
            instance_type=str(item.get("InstanceType", "")),
            zone=str(item.get("AvailabilityZone", "")),
            count=int(item.get("InstanceCount", 0)),
            start=_stamp(item.get("StartDate")),
            end=_stamp(item.get("EndDate")),
            hours=int(item.get("CapacityBlockDurationHours", 0)),
            upfront_fee=str(item.get("UpfrontFee", "")),
            currency=str(item.get("CurrencyCode", "USD")),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "instanceType": self.instance_type,
            "zone": self.zone,
            "count": self.count,
            "start": self.start,
            "end": self.end,
            "hours": self.hours,
            "upfrontFee": self.upfront_fee,
            "currency": self.currency,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BlockOffering:
        found = cls(
            str(data["id"]),
            str(data["instanceType"]),
            str(data["zone"]),
            int(data["count"]),
            str(data["start"]),
            str(data["end"]),
            int(data["hours"]),
            str(data.get("upfrontFee", "")),
            str(data.get("currency", "USD")),
        )
        for stamp in (found.start, found.end):
            dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        return found


def _stamp(value: Any) -> str:
    if not isinstance(value, dt.datetime):
        return ""
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
