# -*- coding: utf-8 -*-
"""arm/traffic_plan.py: input checks, the plan of one profile, the status rule, the pair's profiles and pre-flight."""

import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.arm import traffic_plan as tp
from ansible_collections.amlops.bcdr.plugins.module_utils.arm.resource_plan import PlanError


def params(**over):
    base = dict(name="tm-fraud-score", resource_group="rg-fraud-shared", state="present", relative_name=None,
                routing_method="Priority", ttl=30, monitor=None, purge_endpoints=True, retarget=False, tags=None,
                purge_tags=True,
                endpoints=[dict(name="primary", target="score.eastus.inference.ml.azure.com", priority=1, status="Enabled"),
                           dict(name="secondary", target="score.westus.inference.ml.azure.com", priority=2,
                                status="Disabled")])
    base.update(over)
    return base


def current_profile(**over):
    """A profile as traffic_service.profile_dict reads it."""
    base = dict(id="/subscriptions/s/resourceGroups/rg-fraud-shared/providers/Microsoft.Network/trafficManagerProfiles/"
                   "tm-fraud-score",
                name="tm-fraud-score", resource_group="rg-fraud-shared", relative_name="tm-fraud-score",
                fqdn="tm-fraud-score.trafficmanager.net", ttl=30, routing_method="Priority",
                monitor=dict(protocol="HTTPS", port=443, path="/"), profile_status="Enabled",
                profile_monitor_status="Online",
                endpoints=[dict(name="primary", type="external", target="score.eastus.inference.ml.azure.com", priority=1,
                                status="Enabled", monitor_status="Online"),
                           dict(name="secondary", type="external", target="score.westus.inference.ml.azure.com",
                                priority=2, status="Disabled", monitor_status="Disabled")],
                tags={})
    base.update(over)
    return base


def plan(p, current, state="present"):
    return tp.plan_profile(tp.desired_profile(p), current, state, name=p["name"])


# --- input checks ------------------------------------------------------------------------------

def test_good_input_has_no_errors():
    assert tp.input_errors(params()) == []


@pytest.mark.parametrize("over, expected", [
    (dict(name="-bad"), "name: '-bad' is not a valid Traffic Manager profile name"),
    (dict(name="a" * 64), "is not a valid Traffic Manager profile name"),
    (dict(resource_group="rg/x"), "resource_group: 'rg/x' is not a valid resource group name"),
    (dict(relative_name="bad_name"), "relative_name: 'bad_name' is not a valid DNS name"),
    (dict(name="tm.x-", relative_name=None), "name: 'tm.x-' is not a valid"),
    (dict(ttl=-1), "ttl: must be a whole number of seconds from 0 to 2147483647, got -1"),
    (dict(routing_method="Performance"), "routing_method: 'Performance' is not one of Priority, Weighted"),
    (dict(monitor=dict(protocol="HTTPS", port=70000, path="/")), "monitor.port: must be a port number"),
    (dict(monitor=dict(protocol="HTTP", port=80, path="health")), "monitor.path: 'health' must start with '/'"),
    (dict(monitor=dict(protocol="FTP", port=21, path="/")), "monitor.protocol: 'FTP' is not one of HTTP, HTTPS, TCP"),
    (dict(tags="x"), "tags: must be a dict"),
])
def test_each_bad_option_is_one_line_naming_it(over, expected):
    errors = tp.input_errors(params(**over))
    assert len(errors) == 1, errors
    assert expected in errors[0]


def test_bad_endpoints_each_named_by_index():
    errors = tp.input_errors(params(endpoints=[
        dict(name="primary", target="https://score.eastus.inference.ml.azure.com/score", priority=1, status="Enabled"),
        dict(name="Primary", target="score.westus.inference.ml.azure.com", priority=1, status="Off"),
        dict(name="third", target="", priority=0),
    ]))
    assert errors == [
        "endpoints[0].target: 'https://score.eastus.inference.ml.azure.com/score' is not a host name; give the host "
        "alone (for an online endpoint its scoring host, e.g. my-endpoint.eastus.inference.ml.azure.com)",
        "endpoints[1].name: 'Primary' is listed twice (endpoints[0]); endpoint names are unique in a profile",
        "endpoints[1].priority: 1 is already the priority of endpoints[0]; priorities must be unique in a profile "
        "with Priority routing",
        "endpoints[1].status: 'Off' is not one of Enabled, Disabled",
        "endpoints[2].target: required: the host name (or IP address) the endpoint sends clients to",
        "endpoints[2].priority: must be a whole number from 1 to 1000, got 0",
    ]


def test_duplicate_priority_is_fine_with_weighted_routing():
    endpoints = [dict(name="a", target="a.example.com", priority=1), dict(name="b", target="b.example.com", priority=1)]
    assert tp.input_errors(params(routing_method="Weighted", endpoints=endpoints)) == []
    assert len(tp.input_errors(params(routing_method="Priority", endpoints=endpoints))) == 1


def test_absent_checks_only_the_names():
    assert tp.input_errors(params(state="absent", ttl=-5, endpoints="x")) == []
    assert tp.input_errors(params(state="absent", name="bad name"))[0].startswith("name: 'bad name'")


# --- the plan ----------------------------------------------------------------------------------

def test_create_predicts_the_profile():
    result = plan(params(endpoints=[dict(name="primary", target="a.example.com", priority=None, status=None),
                                    dict(name="secondary", target="b.example.com", priority=None, status="Disabled")]),
                  None)
    assert result["action"] == "create"
    after = result["after"]
    assert after["fqdn"] == "tm-fraud-score.trafficmanager.net"
    assert after["monitor"] == dict(protocol="HTTPS", port=443, path="/")
    assert after["ttl"] == 30
    assert after["endpoints"] == [
        dict(name="primary", type="external", target="a.example.com", priority=1, status="Enabled", monitor_status=None),
        dict(name="secondary", type="external", target="b.example.com", priority=2, status="Disabled",
             monitor_status="Disabled"),
    ]


def test_same_profile_is_no_change():
    result = plan(params(), current_profile())
    assert result["action"] == "none"
    assert result["changes"] == {}
    assert result["patch"] == {}


def test_target_case_and_trailing_dot_are_the_same_host():
    p = params()
    p["endpoints"][0]["target"] = "SCORE.eastus.inference.ml.azure.com."
    assert plan(p, current_profile())["action"] == "none"


def test_status_flip_changes_only_the_statuses():
    p = params()
    p["endpoints"][0]["status"], p["endpoints"][1]["status"] = "Disabled", "Enabled"
    result = plan(p, current_profile())
    assert result["action"] == "update"
    assert result["changes"] == {"endpoints.primary.status": ["Enabled", "Disabled"],
                                 "endpoints.secondary.status": ["Disabled", "Enabled"]}
    assert [(e["name"], e["status"], e["monitor_status"]) for e in result["patch"]["endpoints"]] == [
        ("primary", "Disabled", "Disabled"), ("secondary", "Enabled", None)]
    assert result["after"]["profile_monitor_status"] is None


def test_omitted_status_keeps_the_existing_one():
    p = params()
    for endpoint in p["endpoints"]:
        endpoint["status"] = None
    assert plan(p, current_profile())["action"] == "none"


def test_ttl_monitor_and_tags_are_updated():
    result = plan(params(ttl=10, monitor=dict(protocol="HTTP", port=80, path="/health"), tags={"a": "b"}),
                  current_profile())
    assert result["changes"] == {"ttl": [30, 10],
                                 "monitor": [dict(protocol="HTTPS", port=443, path="/"),
                                             dict(protocol="HTTP", port=80, path="/health")],
                                 "tags": [{}, {"a": "b"}]}
    assert set(result["patch"]) == {"ttl", "monitor", "tags"}


def test_tcp_monitor_has_no_path():
    assert tp.desired_profile(params(monitor=dict(protocol="TCP", port=443, path="/")))["monitor"] == \
        dict(protocol="TCP", port=443, path=None)


def test_relative_name_is_fixed():
    with pytest.raises(PlanError, match="relative_name cannot be changed once the profile exists"):
        plan(params(relative_name="other-name"), current_profile())


def test_a_profile_fronting_other_targets_is_refused():
    other = current_profile(endpoints=[dict(name="web", type="external", target="www.contoso.com", priority=1,
                                            status="Enabled", monitor_status="Online")])
    with pytest.raises(PlanError) as err:
        plan(params(), other)
    assert str(err.value) == (
        "name: Traffic Manager profile tm-fraud-score already exists and fronts other targets ('web' -> "
        "www.contoso.com), not the endpoints asked for; choose another profile name, or set retarget=true to take it over")
    # with retarget the foreign endpoint goes and ours come
    result = plan(params(retarget=True), other)
    assert sorted(result["changes"]) == ["endpoints.primary", "endpoints.secondary", "endpoints.web"]
    assert [e["name"] for e in result["after"]["endpoints"]] == ["primary", "secondary"]


def test_same_name_other_target_is_refused():
    p = params()
    p["endpoints"][0]["target"] = "other.eastus.inference.ml.azure.com"
    with pytest.raises(PlanError, match="fronts other targets \\('primary' -> score.eastus.inference.ml.azure.com\\)"):
        plan(p, current_profile())


def test_unlisted_endpoints_kept_without_purge_and_their_priority_counts():
    current = current_profile()
    p = params(purge_endpoints=False, endpoints=[dict(name="primary", target="score.eastus.inference.ml.azure.com",
                                                      priority=None, status="Disabled")])
    result = plan(p, current)
    assert result["changes"] == {"endpoints.primary.status": ["Enabled", "Disabled"]}
    assert [e["name"] for e in result["after"]["endpoints"]] == ["primary", "secondary"]
    clash = params(purge_endpoints=False, endpoints=[dict(name="third", target="c.example.com", priority=2, status=None)])
    with pytest.raises(PlanError, match="priority 2 would be shared by endpoints 'secondary' and 'third'"):
        plan(clash, current)


def test_new_endpoint_without_priority_gets_the_next_free_one():
    p = params(purge_endpoints=False, endpoints=[dict(name="third", target="c.example.com", priority=None, status=None)])
    result = plan(p, current_profile())
    assert result["changes"] == {"endpoints.third": [None, dict(target="c.example.com", priority=3, status="Enabled")]}


def test_swapping_priorities_is_one_update():
    p = params()
    p["endpoints"][0]["priority"], p["endpoints"][1]["priority"] = 2, 1
    result = plan(p, current_profile())
    assert [(e["name"], e["priority"]) for e in result["patch"]["endpoints"]] == [("secondary", 1), ("primary", 2)]


def test_an_azure_endpoint_of_the_same_name_is_refused():
    current = current_profile()
    current["endpoints"][0] = dict(current["endpoints"][0], type="azure")
    with pytest.raises(PlanError, match="endpoint 'primary' is of type azure, not external"):
        plan(params(), current)


def test_absent():
    assert plan(params(), current_profile(), "absent")["action"] == "delete"
    assert plan(params(), None, "absent")["action"] == "none"


# --- the status rule and the pair ----------------------------------------------------------------

@pytest.mark.parametrize("mode, active, expected", [
    ("hot/hot", "primary", dict(primary="Enabled", secondary="Enabled")),
    ("hot/warm", "primary", dict(primary="Enabled", secondary="Disabled")),
    ("hot/cold", "primary", dict(primary="Enabled", secondary="Disabled")),
    ("hot/hot", "secondary", dict(primary="Disabled", secondary="Enabled")),
    ("hot/warm", "secondary", dict(primary="Disabled", secondary="Enabled")),
    ("hot/cold", "secondary", dict(primary="Disabled", secondary="Enabled")),
])
def test_endpoint_statuses(mode, active, expected):
    assert tp.endpoint_statuses(mode, active) == expected


def test_endpoint_statuses_refuses_unknown_values():
    with pytest.raises(PlanError, match="modes.inference: 'hot/lukewarm' is not one of hot/hot, hot/warm, hot/cold"):
        tp.endpoint_statuses("hot/lukewarm", "primary")
    with pytest.raises(PlanError, match="active: 'tertiary' is not one of primary, secondary"):
        tp.endpoint_statuses("hot/hot", "tertiary")


def test_pair_profiles():
    profiles = tp.traffic_manager_profiles("fraud", dict(primary="eastus", secondary="westus"), "rg-fraud-shared",
                                           dict(endpoints=["Score", "batch-x"]), "hot/warm", "secondary",
                                           tags={"amlops.bcdr.pair": "fraud"})
    assert [p["name"] for p in profiles] == ["tm-fraud-Score", "tm-fraud-batch-x"]
    first = profiles[0]
    assert first["relative_name"] == first["name"] and first["resource_group"] == "rg-fraud-shared"
    assert first["endpoints"] == [
        dict(name="primary", target="score.eastus.inference.ml.azure.com", priority=1, status="Disabled"),
        dict(name="secondary", target="score.westus.inference.ml.azure.com", priority=2, status="Enabled"),
    ]
    assert first["tags"] == {"amlops.bcdr.pair": "fraud"}
    assert all(tp.input_errors(p) == [] for p in profiles)
    own_group = tp.traffic_manager_profiles("fraud", dict(primary="eastus", secondary="westus"), "rg-fraud-shared",
                                            dict(endpoints=["score"], resource_group="rg-dns"), "hot/hot", "primary")
    assert own_group[0]["resource_group"] == "rg-dns"
    assert tp.traffic_manager_profiles("fraud", {}, "rg", None, "hot/hot", "primary") == []


LAYOUT = dict(pair="fraud", shared=dict(resource_group="rg-fraud-shared"),
              regions=dict(primary=dict(location="eastus"), secondary=dict(location="westus")))


def test_pair_key_preflight():
    assert tp.pair_traffic_manager_errors(dict(name="fraud")) == []
    assert tp.pair_traffic_manager_errors(dict(traffic_manager=dict(endpoints=["score"])), LAYOUT) == []
    assert tp.pair_traffic_manager_errors(dict(traffic_manager=["score"])) == [
        "traffic_manager: must be a dict with endpoints (the online endpoint names to front) and optionally resource_group"]
    assert tp.pair_traffic_manager_errors(dict(traffic_manager=dict(endpoint=["score"], resource_group="rg/x"))) == [
        "traffic_manager.endpoint: unknown key (known: endpoints, resource_group)",
        "traffic_manager.endpoints: must be a non-empty list of online endpoint names",
        "traffic_manager.resource_group: 'rg/x' is not a valid resource group name: 1 to 90 letters, digits, '-', '_', "
        "'.', '(' and ')', not ending with '.'",
    ]
    assert tp.pair_traffic_manager_errors(dict(traffic_manager=dict(endpoints=["score", "Score", "1bad", "x" * 33]))) == [
        "traffic_manager.endpoints[1]: 'Score' is listed twice (traffic_manager.endpoints[0])",
        "traffic_manager.endpoints[2]: '1bad' is not an online endpoint name (3 to 32 letters, digits and '-', "
        "starting with a letter, ending with a letter or digit)",
        "traffic_manager.endpoints[3]: '%s' is not an online endpoint name (3 to 32 letters, digits and '-', "
        "starting with a letter, ending with a letter or digit)" % ("x" * 33),
    ]


def test_pair_preflight_runs_the_module_checks_on_each_profile():
    # a pair name the pair's own check refuses (too long) would also make a profile name Azure refuses
    layout = dict(LAYOUT, pair="p" * 60)
    errors = tp.pair_traffic_manager_errors(dict(traffic_manager=dict(endpoints=["score"])), layout)
    name = "tm-%s-score" % ("p" * 60)
    assert errors == [
        "traffic_manager.endpoints[0] (profile %s, name): '%s' is not a valid Traffic Manager profile name (1 to 63 "
        "letters, digits, '-' and '.', starting and ending with a letter or digit)" % (name, name),
        "traffic_manager.endpoints[0] (profile %s, relative_name): '%s' is not a valid DNS name (labels of letters, "
        "digits and '-', joined by '.'; it becomes <relative_name>.trafficmanager.net)" % (name, name),
    ]
