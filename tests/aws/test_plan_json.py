"""Every field of ``plan -o json`` (the plain data of a Plan), with its rounding."""

from __future__ import annotations

import json

from cluster_capacity.aws.plan import make_plan
from tests.aws.test_plan import snapshot


def test_every_field_of_a_neuron_plan_with_a_target() -> None:
    plan = make_plan(
        snapshot({("inf", "on-demand"): 8}, prices={"inf2.xlarge": {"eu-west-1a": 0.2}}),
        family="neuron",
        markets=["on-demand"],
        zones=["eu-west-1b", "eu-west-1a"],
        target_neuron_devices=3,
        profile="ops",
    )
    data = json.loads(json.dumps(plan.to_dict()))
    inf, trn = data["families"]
    assert {k: v for k, v in data.items() if k != "families"} == {
        "region": "eu-west-1",
        "zones": ["eu-west-1a", "eu-west-1b"],
        "minAcceleratorMemoryGiB": 0.0,
        "fits": False,  # the target of 3 devices does not fit 8 vCPUs
    }
    assert {k: v for k, v in inf.items() if k != "fits"} == {
        "family": "inf",
        "market": "on-demand",
        "name": "Inf On-Demand",
        "quotaCode": "L-1945791B",
        "quota": 8,
        "quotaSource": "override",
        "used": 0,
        "headroom": 8,
        "recommendation": "inf2.xlarge",
        "smallest": "inf2.xlarge",
        "target": {
            "unit": "neuron-devices",
            "count": 3,
            "instanceType": "inf2.xlarge",
            "instances": 3,
            "vcpusNeeded": 12,
            "quotaCode": "L-1945791B",
            "quota": 8,
            "used": 0,
            "fits": False,
            "desiredValue": 12,
            "command": "aws service-quotas request-service-quota-increase --service-code ec2 --quota-code "
            "L-1945791B --desired-value 12 --region eu-west-1 --profile ops",
        },
    }
    assert inf["fits"][0] == {
        "instanceType": "inf2.xlarge",
        "vcpus": 4,
        "memoryGiB": 16.0,
        "accelerator": "neuron",
        "acceleratorName": "Inferentia2",
        "accelerators": 1,
        "acceleratorFraction": 1.0,
        "acceleratorMemoryGiB": 32.0,
        "neuronCores": 2,
        "maxReplicas": 2,
        "zones": ["eu-west-1a", "eu-west-1b"],
        "spotPrice": None,  # On-Demand: no Spot price
        "reserved": 0,  # no capacity reservation of the type
        "reservedAvailable": 0,
    }
    assert [c["instanceType"] for c in inf["fits"]] == ["inf2.xlarge", "inf1.xlarge", "inf1.2xlarge"]
    assert [c["neuronCores"] for c in inf["fits"]] == [2, 4, 4]
    assert trn["quota"] is None and trn["quotaSource"] is None and trn["headroom"] is None
    assert (trn["fits"], trn["recommendation"], trn["smallest"], trn["target"]) == ([], None, None, None)


def test_gib_are_rounded_to_two_places_and_spot_prices_kept() -> None:
    plan = make_plan(
        snapshot({("g", "spot"): 4}, prices={"g5.xlarge": {"eu-west-1a": 0.4321, "eu-west-1b": 0.5}}),
        family="nvidia",
        markets=["spot"],
    )
    g = plan.to_dict()["families"][0]
    g5 = next(c for c in g["fits"] if c["instanceType"] == "g5.xlarge")
    # 22888 MiB = 22.3515625 GiB
    assert (g5["memoryGiB"], g5["acceleratorMemoryGiB"], g5["spotPrice"]) == (16.0, 22.35, 0.4321)
    assert g5["neuronCores"] == 0
    assert g["target"] is None
