"""The DR state of a pair on plain tags: parsing, resolution (fencing, partial answers, ties),
the tags a switch and a sync write, RPO and max_rpo, input checks."""

import datetime

import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.pair import dr_state as ds
from ansible_collections.amlops.bcdr.plugins.module_utils.pair.dr_state import (
    StateError, check_transition, input_errors, parse_max_rpo, parse_state, resolve_active, rpo_seconds,
    switch_tags, sync_record_tags, sync_source_error,
)

NOW = datetime.datetime(2026, 11, 30, 14, 0, 0, tzinfo=datetime.timezone.utc)


def claim(active, epoch, at="2026-11-30T10:00:00Z", **extra):
    tags = {ds.TAG_ACTIVE: active, ds.TAG_EPOCH: str(epoch), ds.TAG_SWITCHED_AT: at, "cost-center": "ml"}
    tags.update(extra)
    return tags


# --- parsing -----------------------------------------------------------------------------------

def test_parse_state_reads_only_the_reserved_tags():
    state = parse_state(claim("secondary", 3, **{ds.TAG_LAST_SYNC: "2026-11-30T13:45:00+00:00",
                                                 ds.TAG_SYNC_SOURCE: "primary",
                                                 ds.TAG_SYNC_COUNTS: "models=12,environments=4"}))
    assert state["claims"] and state["active"] == "secondary" and state["epoch"] == 3
    assert state["last_sync"] == "2026-11-30T13:45:00Z"          # normalized to Z
    assert state["sync_counts"] == {"models": 12, "environments": 4}
    assert state["errors"] == []
    empty = parse_state({"cost-center": "ml"})
    assert (empty["claims"], empty["active"], empty["epoch"]) == (False, None, 0)


@pytest.mark.parametrize("tags, expected", [
    ({ds.TAG_ACTIVE: "tertiary", ds.TAG_EPOCH: "1"}, "amlops.bcdr.state.active: 'tertiary' is not one of primary"),
    ({ds.TAG_ACTIVE: "primary", ds.TAG_EPOCH: "-1"}, "amlops.bcdr.state.epoch: '-1' is not a non-negative integer"),
    ({ds.TAG_ACTIVE: "primary"}, "amlops.bcdr.state.epoch: missing"),
    ({ds.TAG_EPOCH: "2"}, "amlops.bcdr.state.active: missing"),
    ({ds.TAG_LAST_SYNC: "yesterday"}, "amlops.bcdr.state.last_sync: 'yesterday' is not an ISO-8601"),
    ({ds.TAG_SYNC_COUNTS: "models:3"}, "amlops.bcdr.state.sync_counts: 'models:3' is not like"),
])
def test_malformed_tags_are_named(tags, expected):
    state = parse_state(tags, "primary workspace")
    assert not state["claims"]
    assert len(state["errors"]) == 1 and state["errors"][0].startswith("primary workspace: " + expected)


# --- resolution ---------------------------------------------------------------------------------

def test_no_marker_anywhere_means_primary_at_epoch_zero():
    res = resolve_active({}, {"x": "y"})
    assert (res["active"], res["epoch"], res["partial"], res["stale"]) == ("primary", 0, False, [])
    assert res["in_sync"] == ["primary", "secondary"]


def test_highest_epoch_wins_and_the_other_side_is_stale():
    res = resolve_active(claim("primary", 1), claim("secondary", 2))
    assert (res["active"], res["epoch"]) == ("secondary", 2)
    assert res["stale"] == ["primary"] and res["in_sync"] == ["secondary"]
    assert "primary is stale (claims primary at epoch 1" in res["message"]
    # the order of arguments does not matter: it is the epoch that decides
    res = resolve_active(claim("secondary", 5), claim("primary", 4))
    assert (res["active"], res["epoch"], res["stale"]) == ("secondary", 5, ["secondary"])


def test_side_without_marker_is_stale_once_a_switch_happened():
    res = resolve_active({}, claim("secondary", 1))
    assert (res["active"], res["stale"]) == ("secondary", ["primary"])


def test_both_sides_agree():
    res = resolve_active(claim("secondary", 2), claim("secondary", 2))
    assert res["stale"] == [] and res["in_sync"] == ["primary", "secondary"] and not res["conflict"]
    assert res["message"] == "secondary is active at epoch 2"


def test_partial_answer_names_the_silent_side():
    res = resolve_active(None, claim("secondary", 2), unreachable={"primary": "timed out after 5s"})
    assert res["partial"] and res["answered"] == ["secondary"]
    assert res["unreachable"] == {"primary": "timed out after 5s"}
    assert res["stale"] == []           # a side that did not answer is not judged
    assert "primary did not answer (timed out after 5s): partial answer" in res["message"]
    # the partial answer is the best guess: the answering side's claim, even an old one
    res = resolve_active(claim("primary", 1), None)
    assert (res["active"], res["epoch"], res["partial"], res["unreachable"]) == (
        "primary", 1, True, {"secondary": "no answer"})


def test_neither_side_answering_is_an_error():
    with pytest.raises(StateError, match="neither workspace of the pair answered: primary: hang; secondary: 503"):
        resolve_active(None, None, unreachable={"primary": "hang", "secondary": "503"})


def test_tie_is_a_conflict_broken_by_the_later_switch():
    res = resolve_active(claim("primary", 4, at="2026-11-30T10:00:00Z"),
                         claim("secondary", 4, at="2026-11-30T10:05:00Z"))
    assert (res["active"], res["conflict"], res["stale"]) == ("secondary", True, ["primary"])
    same_time = resolve_active(claim("primary", 4), claim("secondary", 4))
    assert same_time["active"] == "primary" and same_time["conflict"]
    # the next switch writes past the tie
    assert switch_tags(res, "primary", NOW)[ds.TAG_EPOCH] == "5"


def test_malformed_state_refuses_unless_ignored():
    bad = {ds.TAG_ACTIVE: "both", ds.TAG_EPOCH: "7"}
    with pytest.raises(StateError, match="secondary workspace: amlops.bcdr.state.active: 'both'"):
        resolve_active(claim("primary", 1), bad)
    res = resolve_active(claim("primary", 1), bad, ignore_invalid=True)
    assert res["active"] == "primary" and "secondary" in res["invalid"] and res["stale"] == ["secondary"]
    # its readable epoch still counts: the next switch writes past it (monotonic)
    assert switch_tags(res, "secondary", NOW)[ds.TAG_EPOCH] == "8"


# --- what to write ------------------------------------------------------------------------------

def test_switch_writes_max_epoch_plus_one_with_the_time():
    res = resolve_active(claim("primary", 1), claim("primary", 1))
    tags = switch_tags(res, "secondary", NOW)
    assert tags == {ds.TAG_ACTIVE: "secondary", ds.TAG_EPOCH: "2", ds.TAG_SWITCHED_AT: "2026-11-30T14:00:00Z"}
    # epochs are monotonic through a failover and a failback
    after = resolve_active(claim("primary", 1), tags)
    back = switch_tags(after, "primary", NOW + datetime.timedelta(hours=1))
    assert int(back[ds.TAG_EPOCH]) == 3 and back[ds.TAG_ACTIVE] == "primary"
    assert resolve_active(back, tags)["active"] == "primary"
    with pytest.raises(StateError, match="target: 'tertiary' is not one of"):
        switch_tags(res, "tertiary", NOW)


def test_demote_tags_copy_the_winning_claim():
    res = resolve_active(claim("primary", 1), claim("secondary", 2, at="2026-11-30T11:00:00Z"))
    assert ds.demote_tags(res) == {ds.TAG_ACTIVE: "secondary", ds.TAG_EPOCH: "2",
                                   ds.TAG_SWITCHED_AT: "2026-11-30T11:00:00Z"}


def test_fencing_of_a_single_write():
    current = parse_state(claim("secondary", 3))
    check_transition(current, "secondary", 3)        # the same claim again: allowed (idempotent)
    check_transition(current, "primary", 4)
    with pytest.raises(StateError, match="epoch: 2 is lower than the workspace's epoch 3"):
        check_transition(current, "secondary", 2)
    with pytest.raises(StateError, match="already records epoch 3 with secondary active; a switch to primary needs "
                                         "epoch 4"):
        check_transition(current, "primary", 3)
    check_transition(parse_state({}), "primary", 0)


def test_sync_source_is_fenced():
    res = resolve_active(claim("primary", 1), claim("secondary", 2))
    assert "refusing to sync from the primary workspace: it is stale (claims primary at epoch 1)" in \
        sync_source_error(res, "primary")
    assert sync_source_error(res, "secondary") is None
    agreed = resolve_active(claim("secondary", 2), claim("secondary", 2))
    assert "secondary is active at epoch 2" in sync_source_error(agreed, "primary")
    partial = resolve_active(None, claim("secondary", 2), unreachable={"primary": "503"})
    assert sync_source_error(partial, "secondary") == "cannot sync: the primary workspace did not answer (503)"


def test_sync_record_and_rpo():
    tags = sync_record_tags("primary", NOW - datetime.timedelta(minutes=20), {"data": 3, "models": 12, "zoo": 1,
                                                                              "environments": 4})
    assert tags == {ds.TAG_LAST_SYNC: "2026-11-30T13:40:00Z", ds.TAG_SYNC_SOURCE: "primary",
                    ds.TAG_SYNC_COUNTS: "models=12,environments=4,data=3,zoo=1"}
    assert rpo_seconds(tags, NOW) == 1200
    assert parse_state(tags)["sync_counts"] == {"models": 12, "environments": 4, "data": 3, "zoo": 1}
    assert rpo_seconds({}, NOW) is None
    assert rpo_seconds({ds.TAG_LAST_SYNC: "2026-11-30T15:00:00Z"}, NOW) == 0   # clock skew: not negative
    with pytest.raises(StateError, match="counts.models: must be a non-negative integer"):
        sync_record_tags("primary", NOW, {"models": -1})
    with pytest.raises(StateError, match="at most 256"):
        sync_record_tags("primary", NOW, dict(("t%03d" % i, 100000) for i in range(30)))


@pytest.mark.parametrize("value, seconds", [
    ("15m", 900), ("2h", 7200), ("1d", 86400), ("900", 900), (900, 900), ("1h30m", 5400), ("90s", 90),
    (" 2H ", 7200), (None, None),
])
def test_parse_max_rpo(value, seconds):
    assert parse_max_rpo(value) == seconds


@pytest.mark.parametrize("value, expected", [
    ("15x", "max_rpo: '15x' is not a duration"),
    ("m15", "max_rpo: 'm15' is not a duration"),
    ("30m2h", "max_rpo: '30m2h' is not a duration"),
    ("", "max_rpo: '' is not a duration"),
    ("0", "max_rpo: '0' must be a positive duration"),
    (-5, "max_rpo: '-5' must be a positive duration"),
    (True, "max_rpo: must be a duration"),
])
def test_parse_max_rpo_errors(value, expected):
    with pytest.raises(StateError) as info:
        parse_max_rpo(value)
    assert str(info.value).startswith(expected)


def test_format_duration():
    assert [ds.format_duration(s) for s in (None, 0, 59, 900, 7500, 90061)] == [
        "never", "0s", "59s", "15m", "2h5m", "1d1h1m1s"]


def test_parse_time_with_offset():
    assert ds.format_time(ds.parse_time("2026-11-30T16:00:00+02:00")) == "2026-11-30T14:00:00Z"
    with pytest.raises(StateError, match="not a valid time"):
        ds.parse_time("2026-02-30T10:00:00Z")
    with pytest.raises(StateError, match="is not an ISO-8601 UTC time"):
        ds.parse_time("2026-11-30 10:00:00")     # no zone: ambiguous


# --- input checks -------------------------------------------------------------------------------

def test_input_errors_good_and_bad():
    assert input_errors(dict(target="secondary", max_rpo="15m", force=False, timeout=10)) == []
    errors = input_errors(dict(target="tertiary", max_rpo="soon", force="yes", timeout=0))
    assert errors == [
        "target: 'tertiary' is not one of primary, secondary",
        "max_rpo: 'soon' is not a duration: use a number of seconds (900) or numbers with the units d, h, m, s "
        "in that order (15m, 2h, 1d, 1h30m)",
        "force: must be true or false, got yes",
        "timeout: must be a positive number of seconds, got 0",
    ]
    assert input_errors(dict(target=None)) == [
        "target: required: the region role to make active (primary or secondary)"]
    assert input_errors(dict(active="east", epoch=-1, switched_at="now")) == [
        "active: 'east' is not one of primary, secondary",
        "switched_at: 'now' is not an ISO-8601 UTC time like 2026-11-30T13:51:41Z",
        "epoch: must be a non-negative integer, got -1",
    ]


def test_input_errors_sync_record():
    good = dict(finished_at="2026-11-30T13:40:00Z", source="primary", counts={"models": 1})
    assert input_errors(dict(sync_record=good)) == []
    assert input_errors(dict(sync_record=dict(source="west", counts={"models": "x"}, extra=1))) == [
        "sync_record.extra: unknown key (known: finished_at, source, counts)",
        "sync_record.source: 'west' is not one of primary, secondary",
        "sync_record.finished_at: required (ISO-8601 UTC time the sync finished)",
        "sync_record.counts.models: must be a non-negative integer, got x",
    ]
