# -*- coding: utf-8 -*-
# Copyright: amlops.bcdr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DR state of a pair: the active marker, its epoch (fencing) and the sync's RPO record.

Pure: no SDK and no I/O. The state lives in tags on EACH workspace of the pair (regional ARM
metadata: the target's copy is readable and writable while the other region is down; see
docs/failover.md). Callers read the tags (best effort, bounded) and hand them here:

- ``parse_state``: one workspace's state tags -> plain values (or one clear line per bad tag);
- ``resolve_active``: both sides' tags (None for a side that did not answer) -> who is active,
  at which epoch, which side is stale (fenced) and whether the answer is partial;
- ``switch_tags`` / ``demote_tags`` / ``sync_record_tags``: the tags to write;
- ``rpo_seconds`` / ``parse_max_rpo``: the RPO a sync recorded, and the limit a failover accepts;
- ``input_errors``: the failover options and the state marker module's options.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

PREFIX = "amlops.bcdr.state."
TAG_ACTIVE = PREFIX + "active"
TAG_EPOCH = PREFIX + "epoch"
TAG_SWITCHED_AT = PREFIX + "switched_at"
TAG_LAST_SYNC = PREFIX + "last_sync"
TAG_SYNC_SOURCE = PREFIX + "sync_source"
TAG_SYNC_COUNTS = PREFIX + "sync_counts"
CLAIM_TAGS = (TAG_ACTIVE, TAG_EPOCH, TAG_SWITCHED_AT)
SYNC_TAGS = (TAG_LAST_SYNC, TAG_SYNC_SOURCE, TAG_SYNC_COUNTS)
STATE_TAGS = CLAIM_TAGS + SYNC_TAGS

ROLES = ("primary", "secondary")
# The asset types of a sync record, in this order first (others follow, sorted).
COUNT_ORDER = ("models", "environments", "components", "data")
MAX_TAG_VALUE = 256
_COUNT_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_TIME_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6})\d*)?(Z|[+-]\d{2}:\d{2})$")
_DURATION_RE = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


class StateError(ValueError):
    """A malformed state tag, a bad option, or a state transition the fencing rule forbids."""


def other_role(role):
    return "secondary" if role == "primary" else "primary"


# ---------------------------------------------------------------------------------------------
# times and durations
# ---------------------------------------------------------------------------------------------

def _utc(now):
    """A datetime in UTC (a naive one is taken to be UTC already)."""
    if not isinstance(now, datetime.datetime):
        raise StateError("now: must be a datetime, got %s" % type(now).__name__)
    if now.tzinfo is None:
        return now.replace(tzinfo=datetime.timezone.utc)
    return now.astimezone(datetime.timezone.utc)


def format_time(now):
    """ISO-8601 UTC to the second, e.g. '2026-11-30T13:51:41Z' (what the state tags hold)."""
    return _utc(now).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text, option="time"):
    """An ISO-8601 time with a zone ('Z' or +hh:mm) -> aware UTC datetime; StateError otherwise."""
    match = _TIME_RE.match(text) if isinstance(text, str) else None
    if not match:
        raise StateError("%s: '%s' is not an ISO-8601 UTC time like 2026-11-30T13:51:41Z" % (option, text))
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        when = datetime.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                                 int((fraction or "0").ljust(6, "0")), tzinfo=datetime.timezone.utc)
    except ValueError as exc:
        raise StateError("%s: '%s' is not a valid time (%s)" % (option, text, exc))
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        when -= sign * datetime.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    return when


def format_duration(seconds):
    """900 -> '15m', 7500 -> '2h5m', 0 -> '0s' (for messages and reports)."""
    if seconds is None:
        return "never"
    seconds = int(round(seconds))
    if seconds <= 0:
        return "0s"
    parts = []
    for unit, size in _UNITS:
        if seconds >= size:
            parts.append("%d%s" % (seconds // size, unit))
            seconds %= size
    return "".join(parts)


def parse_max_rpo(value, option="max_rpo"):
    """A duration -> seconds (int); None stays None (no limit).

    Accepted: an integer number of seconds (900, "900"), or numbers with units d, h, m, s in that
    order ("15m", "2h", "1d", "1h30m", "90s"). Zero and negative durations are refused: a limit of
    zero would refuse every failover (use ``force`` to skip the check instead).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise StateError("%s: must be a duration like 15m, 2h, 1d or a number of seconds, got %s" % (option, value))
    if isinstance(value, int):
        seconds = value
    else:
        text = str(value).strip().lower().replace(" ", "")
        if text.isdigit():
            seconds = int(text)
        else:
            match = _DURATION_RE.match(text) if text else None
            if not match or not any(match.groups()):
                raise StateError("%s: '%s' is not a duration: use a number of seconds (900) or numbers with the "
                                 "units d, h, m, s in that order (15m, 2h, 1d, 1h30m)" % (option, value))
            seconds = sum(int(n) * size for n, (_unit, size) in zip(match.groups(), _UNITS) if n)
    if seconds <= 0:
        raise StateError("%s: '%s' must be a positive duration (to skip the RPO check, set force: true)"
                         % (option, value))
    return seconds


# ---------------------------------------------------------------------------------------------
# one workspace's state tags
# ---------------------------------------------------------------------------------------------

def format_counts(counts, option="counts"):
    """{'models': 12, 'environments': 4} -> 'models=12,environments=4' (known types first)."""
    if counts is None:
        return ""
    if not isinstance(counts, dict):
        raise StateError("%s: must be a dict of asset type -> count, got %s" % (option, type(counts).__name__))
    keys = [k for k in COUNT_ORDER if k in counts] + sorted(k for k in counts if k not in COUNT_ORDER)
    parts = []
    for key in keys:
        value = counts[key]
        if not isinstance(key, str) or not _COUNT_KEY_RE.match(key):
            raise StateError("%s: '%s' is not an asset type name (lowercase letters, digits, _)" % (option, key))
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)  # templated counts arrive as strings
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise StateError("%s.%s: must be a non-negative integer, got %s" % (option, key, value))
        parts.append("%s=%d" % (key, value))
    text = ",".join(parts)
    if len(text) > MAX_TAG_VALUE:
        raise StateError("%s: the record is %d characters long; an Azure tag value holds at most %d"
                         % (option, len(text), MAX_TAG_VALUE))
    return text


def parse_counts(text, option=TAG_SYNC_COUNTS):
    """'models=12,environments=4' -> {'models': 12, 'environments': 4}; '' -> {}."""
    counts = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        key, sep, value = part.strip().partition("=")
        if not sep or not _COUNT_KEY_RE.match(key) or not value.isdigit():
            raise StateError("%s: '%s' is not like models=12,environments=4" % (option, text))
        counts[key] = int(value)
    return counts


def _epoch(value, option):
    text = str(value).strip()
    if not text.isdigit():
        raise StateError("%s: '%s' is not a non-negative integer" % (option, value))
    return int(text)


def parse_state(tags, where=None):
    """One workspace's tags -> its state:

    ``{active, epoch, switched_at, last_sync, sync_source, sync_counts, claims, errors}``.
    ``claims`` is True when the workspace carries an active marker (``active`` and ``epoch``);
    without one, ``active`` is None and ``epoch`` 0. ``errors`` lists one line per malformed tag
    (prefixed with ``where``, e.g. "primary workspace"); values of malformed tags are left None.
    Tags outside the reserved prefix are ignored.
    """
    tags = tags or {}
    label = (where + ": ") if where else ""
    state = dict(active=None, epoch=0, epoch_seen=0, switched_at=None, last_sync=None, sync_source=None,
                 sync_counts={}, claims=False, errors=[])

    def check(tag, convert):
        if tag not in tags or tags[tag] in (None, ""):
            return None
        try:
            return convert(tags[tag])
        except StateError as exc:
            state["errors"].append(label + str(exc))
            return None

    def role(value, tag):
        if value not in ROLES:
            raise StateError("%s: '%s' is not one of %s" % (tag, value, ", ".join(ROLES)))
        return value

    active = check(TAG_ACTIVE, lambda v: role(v, TAG_ACTIVE))
    epoch = check(TAG_EPOCH, lambda v: _epoch(v, TAG_EPOCH))
    state["switched_at"] = check(TAG_SWITCHED_AT, lambda v: format_time(parse_time(v, TAG_SWITCHED_AT)))
    state["last_sync"] = check(TAG_LAST_SYNC, lambda v: format_time(parse_time(v, TAG_LAST_SYNC)))
    state["sync_source"] = check(TAG_SYNC_SOURCE, lambda v: role(v, TAG_SYNC_SOURCE))
    state["sync_counts"] = check(TAG_SYNC_COUNTS, parse_counts) or {}
    has_active = tags.get(TAG_ACTIVE) not in (None, "")
    has_epoch = tags.get(TAG_EPOCH) not in (None, "")
    if has_active != has_epoch and not state["errors"]:
        # half a claim cannot be ordered against the other side's: say which half is missing
        missing = TAG_EPOCH if has_active else TAG_ACTIVE
        state["errors"].append(label + "%s: missing (a marker needs both %s and %s)" % (missing, TAG_ACTIVE, TAG_EPOCH))
    if active is not None and epoch is not None and not state["errors"]:
        state.update(active=active, epoch=epoch, claims=True)
    # a readable epoch counts for the next switch's max(epoch seen)+1 even when the claim is not whole
    state["epoch_seen"] = epoch or 0
    return state


def state_tags(tags):
    """Only the reserved state tags of ``tags``."""
    return dict((k, v) for k, v in (tags or {}).items() if k.startswith(PREFIX))


# ---------------------------------------------------------------------------------------------
# resolution: who is active
# ---------------------------------------------------------------------------------------------

def _claim_key(state):
    """Order of claims: highest epoch; on a tie (two partial switches), the later switch, then primary."""
    return (state["epoch"], state["switched_at"] or "", 1 if state["active"] == "primary" else 0)


def resolve_active(primary_tags, secondary_tags, unreachable=None, ignore_invalid=False):
    """Who is active, from both workspaces' tags (None for a side that did not answer).

    ``unreachable``: {role: reason} for the sides that did not answer (a side whose tags are None
    and that is not listed is reported as 'no answer'). The claim with the highest epoch wins; with
    no claim anywhere the primary is active at epoch 0. A side that answered with a lower epoch
    than the winner's, or with another claim at the same epoch, is ``stale`` (fenced: never a sync
    source; the next switch or sync demotes it). Malformed state tags raise StateError naming the
    side and the tag, unless ``ignore_invalid`` (then that side counts as claiming nothing and is
    listed under ``invalid``).

    Returns ``{active, epoch, switched_at, partial, answered, unreachable, stale, in_sync,
    conflict, invalid, sides, message}``; ``sides[role]`` is ``parse_state`` of that side plus
    ``reachable``.
    """
    reasons = dict(unreachable or {})
    sides, invalid = {}, {}
    for role, tags in (("primary", primary_tags), ("secondary", secondary_tags)):
        if tags is None:
            reasons.setdefault(role, "no answer")
            sides[role] = dict(parse_state({}), reachable=False)
            continue
        reasons.pop(role, None)
        state = parse_state(tags, "%s workspace" % role)
        if state["errors"]:
            if not ignore_invalid:
                raise StateError("; ".join(state["errors"]))
            invalid[role] = state["errors"]
        sides[role] = dict(state, reachable=True)
    answered = [r for r in ROLES if sides[r]["reachable"]]
    if not answered:
        raise StateError("neither workspace of the pair answered: %s"
                         % "; ".join("%s: %s" % (r, reasons[r]) for r in ROLES))

    claims = [sides[r] for r in answered if sides[r]["claims"]]
    if claims:
        best = max(claims, key=_claim_key)
        active, epoch, switched_at = best["active"], best["epoch"], best["switched_at"]
    else:
        active, epoch, switched_at = "primary", 0, None
    conflict = any(s["epoch"] == epoch and s["active"] != active for s in claims)

    in_sync, stale = [], []
    for role in answered:
        side = sides[role]
        if side["claims"] and side["active"] == active and side["epoch"] == epoch:
            in_sync.append(role)
        elif not side["claims"] and epoch == 0:
            in_sync.append(role)  # nothing written anywhere yet: nothing to fence
        else:
            stale.append(role)

    result = dict(active=active, epoch=epoch, switched_at=switched_at, partial=len(answered) < 2,
                  answered=answered, unreachable=dict((r, reasons[r]) for r in ROLES if r in reasons),
                  stale=stale, in_sync=in_sync, conflict=conflict, invalid=invalid, sides=sides)
    result["message"] = _message(result)
    return result


def _describe(side):
    if not side["claims"]:
        return "no marker"
    return "claims %s at epoch %d" % (side["active"], side["epoch"])


def _message(res):
    text = "%s is active at epoch %d" % (res["active"], res["epoch"])
    notes = []
    for role in res["stale"]:
        notes.append("%s is stale (%s; fenced until demoted)" % (role, _describe(res["sides"][role])))
    for role, reason in sorted(res["unreachable"].items()):
        notes.append("%s did not answer (%s): partial answer" % (role, reason))
    if res["conflict"]:
        notes.append("both sides claim epoch %d: the next switch resolves it" % res["epoch"])
    for role in sorted(res["invalid"]):
        notes.append("%s's state tags are malformed and were ignored" % role)
    return text + ("; " + "; ".join(notes) if notes else "")


def sync_source_error(resolution, source_role):
    """None when ``source_role`` may be synced from; else the one-line reason (fencing)."""
    if source_role not in ROLES:
        return "source: '%s' is not one of %s" % (source_role, ", ".join(ROLES))
    if resolution["partial"]:
        return ("cannot sync: the %s workspace did not answer (%s)"
                % tuple(list(resolution["unreachable"].items())[0]))
    if source_role in resolution["stale"]:
        return ("refusing to sync from the %s workspace: it is stale (%s) while %s is active at epoch %d; "
                "it is fenced until a failover, failback or sync demotes it"
                % (source_role, _describe(resolution["sides"][source_role]), resolution["active"],
                   resolution["epoch"]))
    if source_role != resolution["active"]:
        return ("refusing to sync from the %s workspace: %s is active at epoch %d"
                % (source_role, resolution["active"], resolution["epoch"]))
    return None


# ---------------------------------------------------------------------------------------------
# what to write
# ---------------------------------------------------------------------------------------------

def claim_tags(active, epoch, switched_at):
    return {TAG_ACTIVE: active, TAG_EPOCH: str(int(epoch)), TAG_SWITCHED_AT: switched_at}


def switch_tags(resolution, target_role, now):
    """The claim a switch to ``target_role`` writes in the target (and in the old active when
    reachable): active = target, epoch = max(epoch seen) + 1, switched_at = now."""
    if target_role not in ROLES:
        raise StateError("target: '%s' is not one of %s" % (target_role, ", ".join(ROLES)))
    seen = [resolution["epoch"]] + [s["epoch_seen"] for s in resolution["sides"].values() if s.get("reachable")]
    return claim_tags(target_role, max(seen) + 1, format_time(now))


def demote_tags(resolution):
    """The winning claim, as written into a stale side to demote it (nothing new is decided)."""
    return claim_tags(resolution["active"], resolution["epoch"],
                      resolution["switched_at"] or "1970-01-01T00:00:00Z")


def sync_record_tags(source_role, finished_at, counts):
    """What a successful sync writes in its target: when it finished, from where, and what it covered."""
    if source_role not in ROLES:
        raise StateError("source: '%s' is not one of %s" % (source_role, ", ".join(ROLES)))
    return {TAG_LAST_SYNC: format_time(finished_at), TAG_SYNC_SOURCE: source_role,
            TAG_SYNC_COUNTS: format_counts(counts)}


def rpo_seconds(tags, now):
    """Seconds since the last successful sync into the workspace with these tags (its RPO); None
    when it was never synced. A malformed record raises StateError. A record from the future
    (clock skew) counts as 0."""
    text = (tags or {}).get(TAG_LAST_SYNC)
    if text in (None, ""):
        return None
    last = parse_time(text, TAG_LAST_SYNC)
    return max(0, int((_utc(now) - last).total_seconds()))


def check_transition(current, active, epoch):
    """Fencing for a write of the claim (active, epoch) over ``current`` (parse_state): the epoch
    never goes backwards, and the same epoch never names another region. Raises StateError."""
    if current["claims"] and epoch < current["epoch"]:
        raise StateError("epoch: %d is lower than the workspace's epoch %d; epochs only grow (fencing): "
                         "write %d or more" % (epoch, current["epoch"], current["epoch"]))
    if current["claims"] and epoch == current["epoch"] and active != current["active"]:
        raise StateError("epoch: the workspace already records epoch %d with %s active; a switch to %s needs "
                         "epoch %d" % (epoch, current["active"], active, epoch + 1))


# ---------------------------------------------------------------------------------------------
# input checks (the failover role and the aml_dr_state module run the same ones)
# ---------------------------------------------------------------------------------------------

def input_errors(params):
    """One line per bad option among those present in ``params`` ([] when good): ``target`` /
    ``active`` (a region role), ``max_rpo`` (duration), ``force`` (bool), ``timeout`` (positive
    seconds), ``epoch`` (non-negative integer), ``switched_at`` / ``sync_record.finished_at`` (ISO
    time), ``sync_record.source`` / ``counts``."""
    errors = []
    for option in ("target", "active"):
        if option not in params:
            continue
        value = params.get(option)
        if value in (None, ""):
            if option == "target":
                errors.append("target: required: the region role to make active (primary or secondary)")
        elif value not in ROLES:
            errors.append("%s: '%s' is not one of %s" % (option, value, ", ".join(ROLES)))
    for option, check in (("max_rpo", parse_max_rpo),
                          ("switched_at", parse_time)):
        if params.get(option) is not None:
            try:
                check(params[option], option)
            except StateError as exc:
                errors.append(str(exc))
    if params.get("force") is not None and not isinstance(params["force"], bool):
        errors.append("force: must be true or false, got %s" % (params["force"],))
    timeout = params.get("timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
        errors.append("timeout: must be a positive number of seconds, got %s" % (timeout,))
    epoch = params.get("epoch")
    if epoch is not None and (isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0):
        errors.append("epoch: must be a non-negative integer, got %s" % (epoch,))
    record = params.get("sync_record")
    if record is not None:
        errors.extend(_sync_record_errors(record))
    return errors


def _sync_record_errors(record):
    if not isinstance(record, dict):
        return ["sync_record: must be a dict with finished_at, source and counts"]
    errors = ["sync_record.%s: unknown key (known: finished_at, source, counts)" % k
              for k in sorted(record, key=str) if k not in ("finished_at", "source", "counts")]
    if record.get("source") not in ROLES:
        errors.append("sync_record.source: '%s' is not one of %s" % (record.get("source"), ", ".join(ROLES)))
    for key, check in (("finished_at", lambda v: parse_time(v, "sync_record.finished_at")),
                       ("counts", lambda v: format_counts(v, "sync_record.counts"))):
        if record.get(key) is None:
            if key == "finished_at":
                errors.append("sync_record.finished_at: required (ISO-8601 UTC time the sync finished)")
            continue
        try:
            check(record[key])
        except StateError as exc:
            errors.append(str(exc))
    return errors
