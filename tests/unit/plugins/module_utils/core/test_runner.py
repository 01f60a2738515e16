# -*- coding: utf-8 -*-
"""run_collection driven by a fake planner/applier and a fake module (pure Python, no SDK)."""
import threading
import time

import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.core.errors import AzureOperationError
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import ItemError, run_collection

SECRET = 'Sup3r~Secret.Value_123'


class Exited(Exception):
    def __init__(self, kind, result):
        super().__init__(kind)
        self.kind = kind
        self.result = result


class FakeModule:
    """What the runner uses of an AzureModule: params, check_mode, _diff, clients, exit_json/fail_json."""

    def __init__(self, params=None, check_mode=False, diff=False):
        self.params = dict(params or {})
        self.check_mode = check_mode
        self._diff = diff
        self.clients_read = 0

    @property
    def clients(self):
        self.clients_read += 1
        return 'clients'

    def exit_json(self, **result):
        raise Exited('exit', result)

    def fail_json(self, **result):
        raise Exited('fail', result)


def item(key, action, reason='', **extra):
    return dict(key=key, action=action, reason=reason, **extra)


PLAN = [
    item('model:a:1', 'copy', 'missing in target', bytes=10),
    item('model:b:1', 'skip', 'same content'),
    item('model:c:2', 'conflict', 'same version, other content'),
    item('model:d:1', 'copy', 'missing in target', bytes=20),
]


class Applier:
    """Records what it applied; fails the keys in ``failing``; tracks the peak of concurrent calls."""

    def __init__(self, failing=(), delay=0.0, error=ItemError):
        self.failing = dict(failing) if isinstance(failing, dict) else {k: 'boom' for k in failing}
        self.delay = delay
        self.error = error
        self.applied = []
        self.active = 0
        self.peak = 0
        self.lock = threading.Lock()

    def __call__(self, clients, it):
        assert clients == 'clients'
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            time.sleep(self.delay)
            if it['key'] in self.failing:
                raise self.error(self.failing[it['key']])
            with self.lock:
                self.applied.append(it['key'])
            return {'copied_bytes': it.get('bytes', 0)}
        finally:
            with self.lock:
                self.active -= 1


def run(module, plan=PLAN, applier=None, **options):
    applier = applier if applier is not None else Applier()
    with pytest.raises(Exited) as caught:
        run_collection(module, lambda clients: [dict(i) for i in plan], applier, **options)
    return caught.value.kind, caught.value.result, applier


def keys(entries):
    return [e['key'] for e in entries]


def test_check_mode_applies_nothing_and_returns_the_exact_plan():
    kind, result, applier = run(FakeModule(check_mode=True, diff=True))
    assert kind == 'exit'
    assert applier.applied == []
    assert result['changed'] is True
    assert result['plan'] == [{'key': i['key'], 'action': i['action'], 'reason': i['reason']} for i in PLAN]
    assert keys(result['copied']) == ['model:a:1', 'model:d:1']
    assert keys(result['skipped']) == ['model:b:1']
    assert keys(result['conflicts']) == ['model:c:2']
    assert result['failed'] == []
    assert result['summary'] == {'copy': 2, 'skip': 1, 'conflict': 1, 'failed': 0}
    assert all('seconds' not in i for i in result['items'])
    assert result['diff'] == {'before': 'model:b:1\nmodel:c:2\n',
                              'after': 'model:a:1\nmodel:b:1\nmodel:c:2\nmodel:d:1\n'}


def test_apply_runs_only_changing_items_and_keeps_their_fields():
    kind, result, applier = run(FakeModule())
    assert kind == 'exit'
    assert sorted(applier.applied) == ['model:a:1', 'model:d:1']
    assert result['changed'] is True
    copied = {i['key']: i for i in result['copied']}
    assert copied['model:a:1']['bytes'] == 10 and copied['model:a:1']['copied_bytes'] == 10
    assert copied['model:d:1']['copied_bytes'] == 20
    assert all(i['seconds'] >= 0 for i in copied.values())
    assert result['seconds'] >= 0
    assert 'diff' not in result
    assert keys(result['items']) == keys(PLAN)


def test_every_item_ends_in_exactly_one_list():
    plan = PLAN + [item('model:e:1', 'delete', 'gone from source'), item('model:f:1', 'update', 'tags')]
    kind, result, _ = run(FakeModule(), plan=plan, applier=Applier(failing=['model:d:1']))
    assert kind == 'fail'
    lists = ('copied', 'skipped', 'conflicts', 'created', 'updated', 'deleted', 'failed')
    placed = sorted(k for name in lists for k in keys(result[name]))
    assert placed == sorted(keys(plan))
    assert sum(result['summary'].values()) == len(plan)


def test_partial_failure_runs_the_others_and_fails_with_per_item_results():
    applier = Applier(failing={'model:a:1': 'target refused: sig=abcdef123456 ' + SECRET})
    kind, result, applier = run(FakeModule(params={'secret': SECRET}), applier=applier)
    assert kind == 'fail'
    assert applier.applied == ['model:d:1']
    assert result['msg'].startswith('1 of 4 items failed: target refused')
    assert SECRET not in result['msg'] and 'abcdef123456' not in result['msg']
    assert keys(result['failed']) == ['model:a:1']
    assert SECRET not in result['failed'][0]['error']
    assert keys(result['copied']) == ['model:d:1']
    assert result['changed'] is True
    assert result['summary'] == {'copy': 1, 'skip': 1, 'conflict': 1, 'failed': 1}


def test_azure_error_and_unexpected_exception_fail_only_their_item():
    applier = Applier(failing={'model:a:1': 'quota exceeded'}, error=AzureOperationError)
    kind, result, _ = run(FakeModule(), applier=applier)
    assert kind == 'fail' and result['failed'][0]['error'] == 'quota exceeded'
    kind, result, _ = run(FakeModule(), applier=Applier(failing={'model:d:1': 'bug'}, error=KeyError))
    assert kind == 'fail' and result['failed'][0]['error'] == "KeyError: 'bug'"
    assert keys(result['copied']) == ['model:a:1']


def test_all_failed_is_not_changed():
    kind, result, _ = run(FakeModule(), applier=Applier(failing=['model:a:1', 'model:d:1']))
    assert kind == 'fail'
    assert result['changed'] is False
    assert result['msg'].startswith('2 of 4 items failed: ')


@pytest.mark.parametrize('parallelism', [1, 2, 3])
def test_parallelism_bound_is_respected(parallelism):
    plan = [item('k%d' % n, 'copy') for n in range(8)]
    kind, _, applier = run(FakeModule(), plan=plan, applier=Applier(delay=0.05), parallelism=parallelism)
    assert kind == 'exit'
    assert sorted(applier.applied) == sorted(keys(plan))
    # the bound is reached (the items do overlap) and never exceeded
    assert applier.peak == parallelism


def test_conflicts_alone_do_not_fail_and_all_skips_change_nothing():
    plan = [item('a', 'skip'), item('b', 'conflict', 'differs'), item('c', 'skip')]
    kind, result, applier = run(FakeModule(diff=True), plan=plan)
    assert kind == 'exit'
    assert result['changed'] is False
    assert applier.applied == []
    assert keys(result['conflicts']) == ['b']
    assert result['diff']['before'] == result['diff']['after']


def test_input_errors_fail_before_any_call():
    module = FakeModule(params={'name': ''})

    def planner(clients):
        raise AssertionError('planned despite bad input')

    checks = (lambda p: ['name: must not be empty'] if not p['name'] else [],
              lambda p: ['parallelism: must be positive'])
    with pytest.raises(Exited) as caught:
        run_collection(module, planner, Applier(), validators=checks)
    assert caught.value.kind == 'fail'
    assert caught.value.result == {'msg': 'name: must not be empty; parallelism: must be positive'}
    assert module.clients_read == 0


def test_planner_error_is_one_scrubbed_line():
    def planner(clients):
        raise AzureOperationError('listing source failed: AccountKey=abc123def;')
    with pytest.raises(Exited) as caught:
        run_collection(FakeModule(), planner, Applier())
    assert caught.value.kind == 'fail'
    assert 'abc123def' not in caught.value.result['msg']


def test_custom_result_key_and_changing_actions():
    plan = [item('a', 'copy'), item('b', 'refresh')]
    kind, result, applier = run(FakeModule(), plan=plan, result_key='models', changing_actions=('refresh',))
    assert kind == 'exit'
    assert applier.applied == ['b']
    assert keys(result['models']) == ['a', 'b']
    assert keys(result['refresh']) == ['b'] and keys(result['copied']) == ['a']
    assert result['changed'] is True
