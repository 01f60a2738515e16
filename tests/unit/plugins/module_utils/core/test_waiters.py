# -*- coding: utf-8 -*-
import threading
import time

import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.core.errors import AzureOperationError
from ansible_collections.amlops.bcdr.plugins.module_utils.core.waiters import AzureWaitTimeout, wait_for_lro, wait_until


class FakeClock:
    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_wait_until_returns_the_first_truthy_value():
    clock = FakeClock()
    answers = [None, False, {'state': 'Succeeded'}]
    assert wait_until(lambda: answers.pop(0), 60, 5, 'x', sleep=clock.sleep, clock=clock) == {'state': 'Succeeded'}
    assert clock.sleeps == [5, 5]


def test_wait_until_is_bounded_and_says_what_it_waited_for():
    clock = FakeClock()
    calls = []
    with pytest.raises(AzureWaitTimeout) as info:
        wait_until(lambda: calls.append(1), 12, 5, 'model fraud:3 to be registered', sleep=clock.sleep, clock=clock)
    assert clock.sleeps == [5, 5, 2]  # never sleeps past the deadline
    assert len(calls) == 4  # including a last check at the deadline
    assert info.value.message == ('timed out after 12s waiting for model fraud:3 to be registered; '
                                  'raise wait_timeout or check the resource in the portal')
    assert info.value.code == 'Timeout' and isinstance(info.value, AzureOperationError)


azure_core = pytest.importorskip('azure.core')
from azure.core.exceptions import HttpResponseError  # noqa: E402
from azure.core.polling import LROPoller, PollingMethod  # noqa: E402


class ScriptedPolling(PollingMethod):
    """A polling method that finishes when ``release`` is set (or fails with ``error``)."""

    def __init__(self, release, error=None):
        self.release = release
        self.error = error
        self._status = 'InProgress'

    def initialize(self, client, initial_response, deserialization_callback):
        pass

    def run(self):
        self.release.wait()
        if self.error:
            self._status = 'Failed'
            raise self.error
        self._status = 'Succeeded'

    def status(self):
        return self._status

    def finished(self):
        return self._status in ('Succeeded', 'Failed')

    def resource(self):
        return {'name': 'ws1'} if self._status == 'Succeeded' else None


def poller(release, error=None):
    return LROPoller(None, None, lambda x: x, ScriptedPolling(release, error))


def test_wait_for_lro_returns_the_result():
    release = threading.Event()
    threading.Timer(0.1, release.set).start()
    assert wait_for_lro(poller(release), 5, 'workspace ws1 to be created') == {'name': 'ws1'}


def test_wait_for_lro_times_out_with_last_status():
    release = threading.Event()
    started = time.monotonic()
    with pytest.raises(AzureWaitTimeout) as info:
        wait_for_lro(poller(release), 0.3, 'workspace ws1 to be created')
    assert 0.25 <= time.monotonic() - started < 3
    assert info.value.message == ('timed out after 0.3s waiting for workspace ws1 to be created '
                                  '(last status: InProgress); raise wait_timeout or check the resource in the portal')
    release.set()


def test_wait_for_lro_raises_the_operation_failure():
    release = threading.Event()
    release.set()
    with pytest.raises(HttpResponseError):
        wait_for_lro(poller(release, HttpResponseError('Provisioning failed')), 5, 'x')


def test_wait_for_lro_zero_timeout_means_do_not_wait():
    release = threading.Event()
    started = time.monotonic()
    assert wait_for_lro(poller(release), 0, 'x') is None
    assert time.monotonic() - started < 0.2
    release.set()


def test_wait_timeout_errors():
    from ansible_collections.amlops.bcdr.plugins.module_utils.core.waiters import wait_timeout_errors
    assert wait_timeout_errors(None) == [] and wait_timeout_errors(900) == [] and wait_timeout_errors("60") == []
    assert wait_timeout_errors(-1) == ["wait_timeout: must be a positive number of seconds (got -1)"]
    assert wait_timeout_errors(0, "provision_wait_timeout") == [
        "provision_wait_timeout: must be a positive number of seconds (got 0)"]
    assert wait_timeout_errors("-5") == ["wait_timeout: must be a positive number of seconds (got -5)"]
    assert wait_timeout_errors("soon") == ["wait_timeout: must be a whole number of seconds, got 'soon'"]
    assert wait_timeout_errors(True) == ["wait_timeout: must be a whole number of seconds, got 'True'"]


def test_timeout_hint_names_the_callers_variable(monkeypatch):
    from ansible_collections.amlops.bcdr.plugins.module_utils.core import waiters
    assert waiters.hint({}) == "raise wait_timeout or check the resource in the portal"
    assert waiters.hint({waiters.TIMEOUT_VARIABLE_ENV: "provision_wait_timeout"}) == \
        "raise provision_wait_timeout or check the resource in the portal"
    monkeypatch.setenv(waiters.TIMEOUT_VARIABLE_ENV, "provision_wait_timeout")
    now = [0.0]
    with pytest.raises(waiters.AzureWaitTimeout) as info:
        waiters.wait_until(lambda: None, 2, 1, "workspace ws1 to be created",
                           sleep=lambda s: now.__setitem__(0, now[0] + s), clock=lambda: now[0])
    assert str(info.value) == ("timed out after 2s waiting for workspace ws1 to be created; "
                               "raise provision_wait_timeout or check the resource in the portal")
