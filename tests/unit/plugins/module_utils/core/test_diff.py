# -*- coding: utf-8 -*-
from ansible_collections.amlops.bcdr.plugins.module_utils.core.diff import (
    MASK, compare, make_diff, merge_tags, tags_changed,
)

CURRENT = {'location': 'eastus', 'sku': {'name': 'Basic', 'tier': 'Basic'}, 'tags': {'env': 'prod'},
           'description': 'old', 'ids': ['a', 'b'], 'provisioning_state': 'Succeeded'}


def test_compare_reports_changed_paths_only_for_given_keys():
    desired = {'location': 'eastus', 'sku': {'name': 'Standard'}, 'description': None, 'ids': ['a', 'b']}
    assert compare(desired, CURRENT) == ['sku.name']


def test_compare_new_keys_and_lists():
    assert compare({'ids': ['b', 'a'], 'new': 1}, CURRENT) == ['ids', 'new']


def test_compare_ignore_and_case_insensitive():
    desired = {'location': 'East US', 'description': 'new', 'provisioning_state': 'Creating'}
    assert compare(desired, CURRENT) == ['description', 'location', 'provisioning_state']
    assert compare(desired, CURRENT, ignore=('provisioning_state', 'description'),
                   case_insensitive_keys=('location',)) == []
    assert compare({'sku': {'name': 'basic'}}, CURRENT, case_insensitive_keys=('sku.name',)) == []


def test_compare_against_missing_current():
    assert compare({'a': {'b': 1}}, None) == ['a']


def test_tags():
    assert merge_tags({'team': 'ml'}, {'env': 'prod'}, purge=False) == {'env': 'prod', 'team': 'ml'}
    assert merge_tags({'team': 'ml'}, {'env': 'prod'}, purge=True) == {'team': 'ml'}
    assert merge_tags(None, {'env': 'prod'}, purge=True) == {'env': 'prod'}
    assert tags_changed({'env': 'prod'}, {'env': 'prod', 'x': '1'}, purge=False) is False
    assert tags_changed({'env': 'prod'}, {'env': 'prod', 'x': '1'}, purge=True) is True
    assert tags_changed({'env': 'dev'}, {'env': 'prod'}, purge=False) is True
    assert tags_changed(None, {'env': 'prod'}, purge=True) is False
    assert tags_changed({}, None, purge=True) is False


def test_make_diff_sorts_and_masks_secrets():
    before = {'z': 1, 'a': {'password': 'hunter22', 'y': 2, 'b': 1}, 'keys': [{'value': 'k'}]}
    after = {'conn': 'AccountKey=abcdef;x', 'secret': None}
    diff = make_diff(before, after)
    assert list(diff['before']) == ['a', 'keys', 'z']
    assert list(diff['before']['a']) == ['b', 'password', 'y']
    assert diff['before']['a']['password'] == MASK and diff['before']['keys'] == MASK
    assert diff['after'] == {'conn': 'AccountKey=***;x', 'secret': None}
    assert 'hunter22' not in repr(diff) and 'abcdef' not in repr(diff)
    assert make_diff(None, {'a': 1}) == {'before': {}, 'after': {'a': 1}}
