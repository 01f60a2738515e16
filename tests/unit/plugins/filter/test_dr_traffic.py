"""dr_traffic_manager_profiles: a pair (or a layout that carries the key) -> the profile arguments for the active
side, statuses by arm/traffic_plan.endpoint_statuses; bad input fails with one line naming the pair's key. The pair's
pre-flight (dr_pair_errors) reports the same problems."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.amlops.bcdr.plugins.filter.dr_pair import dr_pair_errors, dr_pair_layout
from ansible_collections.amlops.bcdr.plugins.filter.dr_traffic import dr_traffic_manager_profiles

PAIR = dict(name="fraud", primary_region="East US", secondary_region="westus", modes={"inference": "hot/warm"},
            traffic_manager=dict(endpoints=["score"]))
REGIONS = ["eastus", "westus"]


def statuses(profiles):
    return [dict((e["name"], e["status"]) for e in p["endpoints"]) for p in profiles]


def test_profiles_of_a_pair():
    (profile,) = dr_traffic_manager_profiles(PAIR)
    assert profile == dict(
        name="tm-fraud-score", resource_group="rg-fraud-shared", relative_name="tm-fraud-score", routing_method="Priority",
        endpoints=[dict(name="primary", target="score.eastus.inference.ml.azure.com", priority=1, status="Enabled"),
                   dict(name="secondary", target="score.westus.inference.ml.azure.com", priority=2, status="Disabled")],
        tags={"amlops.bcdr.pair": "fraud", "amlops.bcdr.role": "shared"})


def test_active_side_and_mode():
    assert statuses(dr_traffic_manager_profiles(PAIR, "secondary")) == [dict(primary="Disabled", secondary="Enabled")]
    # the lookup's answer is taken as it is
    assert statuses(dr_traffic_manager_profiles(PAIR, {"role": "secondary", "epoch": 2})) == \
        [dict(primary="Disabled", secondary="Enabled")]
    hot = dict(PAIR, modes={"inference": "hot/hot"})
    assert statuses(dr_traffic_manager_profiles(hot)) == [dict(primary="Enabled", secondary="Enabled")]
    no_modes = dict(PAIR)
    del no_modes["modes"]
    assert statuses(dr_traffic_manager_profiles(no_modes)) == [dict(primary="Enabled", secondary="Enabled")]


def test_names_and_group_follow_the_pair():
    pair = dict(PAIR, names={"shared_resource_group": "rg-dr"}, traffic_manager=dict(endpoints=["a-1", "b-2"]))
    profiles = dr_traffic_manager_profiles(pair)
    assert [(p["name"], p["resource_group"]) for p in profiles] == [("tm-fraud-a-1", "rg-dr"), ("tm-fraud-b-2", "rg-dr")]
    own = dict(PAIR, traffic_manager=dict(endpoints=["score"], resource_group="rg-dns"))
    assert dr_traffic_manager_profiles(own)[0]["resource_group"] == "rg-dns"


def test_without_the_key_there_is_nothing():
    pair = dict(PAIR)
    del pair["traffic_manager"]
    assert dr_traffic_manager_profiles(pair) == []


def test_a_layout_that_carries_the_key():
    layout = dict(dr_pair_layout(PAIR), traffic_manager=PAIR["traffic_manager"], modes=PAIR["modes"])
    assert dr_traffic_manager_profiles(layout, "primary") == dr_traffic_manager_profiles(PAIR, "primary")
    with pytest.raises(AnsibleFilterError, match="this pair layout has no traffic_manager key; pass the pair"):
        dr_traffic_manager_profiles(dr_pair_layout(PAIR))


@pytest.mark.parametrize("pair, active, message", [
    (dict(PAIR, traffic_manager=dict(endpoints=["score", "score"])), "primary",
     "dr_traffic_manager_profiles: traffic_manager.endpoints[1]: 'score' is listed twice (traffic_manager.endpoints[0])"),
    (dict(PAIR, traffic_manager=dict(endpoints=[], extra=1)), "primary",
     "dr_traffic_manager_profiles: traffic_manager.extra: unknown key (known: endpoints, resource_group); "
     "traffic_manager.endpoints: must be a non-empty list of online endpoint names"),
    (dict(PAIR, modes={"inference": "hot/tepid"}), "primary",
     "dr_traffic_manager_profiles: modes.inference: 'hot/tepid' is not one of hot/hot, hot/warm, hot/cold"),
    (PAIR, "tertiary", "dr_traffic_manager_profiles: active: 'tertiary' is not one of primary, secondary"),
    (["not", "a", "dict"], "primary", "dr_traffic_manager_profiles expects a dict (the pair), got list"),
])
def test_bad_input_is_one_line(pair, active, message):
    with pytest.raises(AnsibleFilterError) as raised:
        dr_traffic_manager_profiles(pair, active)
    assert str(raised.value) == message


def test_preflight_reports_the_key():
    assert dr_pair_errors(PAIR, REGIONS) == []
    assert dr_pair_errors(dict(PAIR, traffic_manager=dict(endpoints=["9lives"], resource_group="rg?")), REGIONS) == [
        "traffic_manager.endpoints[0]: '9lives' is not an online endpoint name (3 to 32 letters, digits and '-', "
        "starting with a letter, ending with a letter or digit)",
        "traffic_manager.resource_group: 'rg?' is not a valid resource group name: 1 to 90 letters, digits, '-', '_', "
        "'.', '(' and ')', not ending with '.'",
    ]
    assert dr_pair_errors(dict(PAIR, traffic_manager="score"), REGIONS) == [
        "traffic_manager: must be a dict with endpoints (the online endpoint names to front) and optionally resource_group"]
