# -*- coding: utf-8 -*-
"""The runner driven by fakes (pure Python, no SDK): run_collection with a fake planner/applier,
run_resource with a fake Resource, run_info."""
import contextlib
import threading
import time

import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.core.errors import AzureOperationError
from ansible_collections.amlops.bcdr.plugins.module_utils.core.runner import (
    ItemError, Resource, ServiceFunctions, ServiceResource, collection_clients, one_or_all, request_client_options,
    request_errors, run_collection, run_info, run_resource,
)

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


def run(module, plan=None, applier=None, **options):
    plan = PLAN if plan is None else plan
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
    assert keys(result['unchanged']) == ['model:b:1']
    assert keys(result['conflicts']) == ['model:c:2']
    assert result['failed_items'] == []
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
    kind, result = run(FakeModule(), plan=plan, applier=Applier(failing=['model:d:1']))[:2]
    assert kind == 'fail'
    lists = ('copied', 'unchanged', 'conflicts', 'created', 'updated', 'deleted', 'failed_items')
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
    assert keys(result['failed_items']) == ['model:a:1']
    assert SECRET not in result['failed_items'][0]['error']
    assert keys(result['copied']) == ['model:d:1']
    assert result['changed'] is True
    assert result['summary'] == {'copy': 1, 'skip': 1, 'conflict': 1, 'failed': 1}


def test_azure_error_and_unexpected_exception_fail_only_their_item():
    applier = Applier(failing={'model:a:1': 'quota exceeded'}, error=AzureOperationError)
    kind, result = run(FakeModule(), applier=applier)[:2]
    assert kind == 'fail' and result['failed_items'][0]['error'] == 'quota exceeded'
    kind, result = run(FakeModule(), applier=Applier(failing={'model:d:1': 'bug'}, error=KeyError))[:2]
    assert kind == 'fail' and result['failed_items'][0]['error'] == "KeyError: 'bug'"
    assert keys(result['copied']) == ['model:a:1']


def test_all_failed_is_not_changed():
    kind, result = run(FakeModule(), applier=Applier(failing=['model:a:1', 'model:d:1']))[:2]
    assert kind == 'fail'
    assert result['changed'] is False
    assert result['msg'].startswith('2 of 4 items failed: ')


@pytest.mark.parametrize('parallelism', [1, 2, 3])
def test_parallelism_bound_is_respected(parallelism):
    plan = [item('k%d' % n, 'copy') for n in range(8)]
    applier = Applier(delay=0.05)
    kind = run(FakeModule(), plan=plan, applier=applier, parallelism=parallelism)[0]
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


# ---------------------------------------------------------------------------------------------
# run_resource: the decision table, with a fake Resource recording its calls

class FakeAzureModule(FakeModule):
    """FakeModule plus what run_resource uses of an AzureModule: auth and the error wrapper."""

    class auth:
        subscription_id = '00000000-0000-0000-0000-000000000001'

    @contextlib.contextmanager
    def azure_errors(self, action):
        try:
            yield
        except AzureOperationError as exc:
            raise Exited('fail', {'msg': '%s: %s' % (action, exc)})


class FakeResource(Resource):
    label = 'thing'
    result_key = 'thing'
    resource_type = 'Microsoft.Test/things'
    unknown_until_created = {'serial': None}

    def __init__(self, module, current, plan, fail_on=None):
        super().__init__(module)
        self.current, self._plan, self.fail_on, self.calls = current, plan, fail_on, []

    def read(self, clients):
        self.calls.append('read')
        return self.current

    def plan(self, clients, current):
        self.calls.append('plan')
        if isinstance(self._plan, Exception):
            raise self._plan
        return self._plan

    def create(self, clients, plan, wait):
        self.calls.append(('create', wait['wait_timeout']))
        return dict(plan['after'], serial=7)

    def update(self, clients, plan, current, wait):
        self.calls.append(('update', plan['patch']))
        if self.fail_on == 'update':
            raise AzureOperationError('conflict: secret=%s' % SECRET)
        return dict(current, **plan['patch'])

    def delete(self, clients, plan, current, wait):
        self.calls.append('delete')


PARAMS = {'name': 't1', 'resource_group': 'rg', 'state': 'present', 'wait': True, 'wait_timeout': 60}


def run_one(resource, module, validators=()):
    with pytest.raises(Exited) as caught:
        run_resource(module, resource, validators=validators)
    return caught.value.kind, caught.value.result


def test_check_mode_create_predicts_with_id_and_applies_nothing():
    module = FakeAzureModule(PARAMS, check_mode=True, diff=True)
    res = FakeResource(module, None, dict(action='create', changes={}, after={'size': 1}))
    kind, result = run_one(res, module)
    assert kind == 'exit' and res.calls == ['read', 'plan']
    assert result['changed'] is True
    assert result['thing'] == {'size': 1, 'serial': None, 'name': 't1', 'resource_group': 'rg',
                               'id': '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg'
                                     '/providers/Microsoft.Test/things/t1'}
    assert result['diff'] == {'before': {}, 'after': {'size': 1}}


def test_apply_create_update_delete_and_none():
    module = FakeAzureModule(PARAMS)
    res = FakeResource(module, None, dict(action='create', changes={}, after={'size': 1}))
    assert run_one(res, module)[1]['thing'] == {'size': 1, 'serial': 7}
    assert res.calls[-1] == ('create', 60)

    plan = dict(action='update', changes={'size': [1, 2]}, after={'size': 2}, patch={'size': 2})
    res = FakeResource(module, {'size': 1, 'serial': 7}, plan)
    kind, result = run_one(res, module)
    assert (kind, result['changed'], result['changes']) == ('exit', True, {'size': [1, 2]})
    assert result['thing'] == {'size': 2, 'serial': 7} and 'diff' not in result

    absent = FakeAzureModule(dict(PARAMS, state='absent'))
    res = FakeResource(absent, {'size': 1}, dict(action='delete', changes={}, after=None))
    kind, result = run_one(res, absent)
    assert res.calls[-1] == 'delete' and result == {'changed': True, 'changes': {}}

    res = FakeResource(module, {'size': 1}, dict(action='none', changes={}, after={'size': 1}))
    kind, result = run_one(res, module)
    assert res.calls == ['read', 'plan'] and result == {'changed': False, 'changes': {}, 'thing': {'size': 1}}


def test_bad_input_fails_before_any_read_with_every_line():
    module = FakeAzureModule(dict(PARAMS, name='bad name'))
    res = FakeResource(module, None, dict(action='create', changes={}, after={}))
    kind, result = run_one(res, module, validators=[lambda p: ["name: '%s' is not valid" % p['name']],
                                                    lambda p: ['wait_timeout: must be positive']])
    assert kind == 'fail' and res.calls == [] and module.clients_read == 0
    assert result == {'msg': "name: 'bad name' is not valid; wait_timeout: must be positive"}


def test_plan_error_and_azure_error_are_one_scrubbed_line():
    module = FakeAzureModule(dict(PARAMS, secret=SECRET))
    res = FakeResource(module, {'size': 1}, ValueError('location: cannot change from eastus to westus'))
    assert run_one(res, module) == ('fail', {'msg': 'location: cannot change from eastus to westus'})
    plan = dict(action='update', changes={}, after={'size': 2}, patch={'size': 2})
    kind, result = run_one(FakeResource(module, {'size': 1}, plan, fail_on='update'), module)
    assert kind == 'fail' and result['msg'].startswith('thing t1: conflict') and SECRET not in result['msg']


def test_service_functions_adapt_a_service_module_and_predict_its_id():
    calls = []
    service = ServiceFunctions('widget', 'Microsoft.Test/widgets', lambda c, g, n: None,
                               lambda c, g, n, after, **wait: calls.append(('create', after, wait)),
                               lambda c, g, n, patch, **wait: calls.append(('update', patch)),
                               lambda c, g, n, **wait: calls.append('delete'))
    module = FakeAzureModule(PARAMS, check_mode=True)

    def planner(desired, current, state):
        return dict(action='create', changes={}, after=dict(desired))
    kind, result = run_one(ServiceResource(module, service, planner, {'size': 3}, 'widget',
                                           unknown_until_created={'login': None}), module)
    assert calls == [] and result['widget']['id'].endswith('/resourceGroups/rg/providers/Microsoft.Test/widgets/t1')
    assert result['widget']['login'] is None and result['widget']['size'] == 3
    service.update('clients', 'rg', 't1', {'size': 4}, {'size': 3}, wait=False, wait_timeout=5)
    assert calls == [('update', {'size': 4})]


def test_run_info_and_one_or_all():
    module = FakeAzureModule({'name': None})
    with pytest.raises(Exited) as caught:
        run_info(module, 'listing', lambda clients: {'things': one_or_all(lambda n: None, lambda: [1, 2], None)})
    assert caught.value.result == {'changed': False, 'things': [1, 2]}
    assert one_or_all(lambda n: None, lambda: [1], 'x') == [] and one_or_all(lambda n: {'n': n}, list, 'x') == [{'n': 'x'}]

    def bad_region(clients):
        raise ValueError('location: unknown region')
    with pytest.raises(Exited) as caught:
        run_info(module, 'listing', bad_region)
    assert caught.value.result == {'msg': 'location: unknown region'}


# ---- result keys and per-request bounds --------------------------------------------------------

# Keys Ansible reads from a module's result as the task's own status (TaskResult.is_skipped is
# bool(result['skipped']), is_failed reads 'failed'): a list there would make a copy run SKIPPED.
ANSIBLE_STATUS_KEYS = ('skipped', 'failed', 'unreachable')


@pytest.mark.parametrize('failing', [(), ('model:a:1',)])
def test_no_list_takes_an_ansible_status_key(failing):
    kind, result = run(FakeModule(), applier=Applier(failing=failing))[:2]
    assert kind == ('fail' if failing else 'exit')
    assert not set(ANSIBLE_STATUS_KEYS) & set(result), sorted(result)
    assert keys(result['unchanged']) == ['model:b:1']
    assert keys(result['failed_items']) == list(failing)


def test_bad_request_bounds_fail_before_any_call():
    module = FakeModule(params={'timeout': 0, 'retries': 11})
    kind, result = run(module)[:2]
    assert kind == 'fail' and module.clients_read == 0
    assert result['msg'] == ('timeout: must be a whole number of seconds of at least 1, got 0; '
                             'retries: must be a whole number from 0 to 10, got 11')
    assert request_errors({'timeout': 30, 'retries': 0}) == []
    assert request_errors({}) == []  # a module without the options


def test_request_bounds_reach_every_client_kind():
    settings, kwargs = request_client_options(7, 2)
    assert settings.total == 2 and settings.max_backoff <= 4
    # azure-core (ARM) and azure-storage-blob both read these per-request timeouts
    assert kwargs['connection_timeout'] == 7 and kwargs['read_timeout'] == 7
    # storage's own retry policy starts at 15 s between tries unless told otherwise
    assert kwargs['initial_backoff'] <= 2


def test_a_module_without_request_options_uses_its_own_clients():
    module = FakeModule()
    assert collection_clients(module) == 'clients' and module.clients_read == 1
