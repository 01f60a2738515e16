# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure comparison helpers: what differs between desired and current, tags, and --diff output."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.amlops.bcdr.plugins.module_utils.core.errors import scrub

MASK = '********'

# keys whose values are never shown in a diff (compared lower-case)
SECRET_KEYS = frozenset((
    'secret', 'client_secret', 'password', 'key', 'keys', 'primary_key', 'secondary_key',
    'primarykey', 'secondarykey', 'account_key', 'accountkey', 'connection_string',
    'connectionstring', 'sas_token', 'sastoken', 'sas', 'token', 'access_token', 'credentials',
    'secrets', 'instrumentation_key', 'instrumentationkey',
))


def _matches(path, key, names):
    return path in names or key in names


def _norm(value, case_insensitive):
    if case_insensitive and isinstance(value, str):
        return value.replace(' ', '').lower()
    return value


def compare(desired, current, ignore=(), case_insensitive_keys=(), _prefix=''):
    """List the dotted paths where ``desired`` differs from ``current``.

    Only keys present in ``desired`` are compared, and a desired value of ``None`` means "not
    specified". Nested dicts are compared key by key; lists and scalars as whole values.
    ``ignore`` and ``case_insensitive_keys`` name keys either by dotted path
    (``properties.sku``) or by leaf key (``location``). Case-insensitive comparison also ignores
    spaces, so ``East US`` equals ``eastus``.
    """
    changed = []
    current = current or {}
    for key in sorted(desired):
        value = desired[key]
        path = _prefix + str(key)
        if value is None or _matches(path, key, ignore):
            continue
        have = current.get(key) if isinstance(current, dict) else None
        if isinstance(value, dict) and isinstance(have, dict):
            changed.extend(compare(value, have, ignore, case_insensitive_keys, path + '.'))
            continue
        ci = _matches(path, key, case_insensitive_keys)
        if isinstance(value, list) and isinstance(have, list) and ci:
            if [_norm(v, True) for v in value] != [_norm(v, True) for v in have]:
                changed.append(path)
        elif _norm(value, ci) != _norm(have, ci):
            changed.append(path)
    return changed


def merge_tags(desired, current, purge):
    """The tags the resource should end with: ``desired`` alone when purging, else current + desired."""
    current = dict(current or {})
    if desired is None:
        return current
    if purge:
        return dict(desired)
    merged = current
    merged.update(desired)
    return merged


def tags_changed(desired, current, purge):
    """True when applying ``desired`` tags (with or without purge) would change ``current``."""
    return merge_tags(desired, current, purge) != dict(current or {})


def _clean(value, secret_keys):
    if isinstance(value, dict):
        out = {}
        for key in sorted(value, key=str):
            if str(key).lower() in secret_keys:
                out[key] = MASK if value[key] is not None else None
            else:
                out[key] = _clean(value[key], secret_keys)
        return out
    if isinstance(value, (list, tuple)):
        return [_clean(v, secret_keys) for v in value]
    if isinstance(value, str):
        return scrub(value)
    return copy.deepcopy(value)


def make_diff(before, after, secret_keys=SECRET_KEYS):
    """Ansible's ``{'before': ..., 'after': ...}`` with sorted keys and secrets masked."""
    keys = frozenset(k.lower() for k in secret_keys)
    return {'before': _clean(before if before is not None else {}, keys),
            'after': _clean(after if after is not None else {}, keys)}
