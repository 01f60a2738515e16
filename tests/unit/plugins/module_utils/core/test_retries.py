# -*- coding: utf-8 -*-
import random

import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.core.retries import (
    RetrySettings, compute_backoff, is_conflict, retry_call,
)


def test_compute_backoff_is_exponential_capped_and_jittered():
    settings = RetrySettings(total=6, backoff=0.8, max_backoff=5, jitter=0.5)
    # rand()=0 gives the low end (1 - jitter) * delay, rand()->1 the full delay
    assert [compute_backoff(n, settings, lambda: 0.0) for n in (1, 2, 3, 4, 5)] == [0.4, 0.8, 1.6, 2.5, 2.5]
    assert compute_backoff(3, settings, lambda: 1.0) == pytest.approx(3.2)
    assert compute_backoff(0, settings, lambda: 1.0) == 0.0
    seeded = random.Random(42)
    values = [compute_backoff(n, settings, seeded.random) for n in (1, 2, 3)]
    expected_rand = random.Random(42)
    assert values == pytest.approx([d * 0.5 + d * 0.5 * expected_rand.random() for d in (0.8, 1.6, 3.2)])
    full = RetrySettings(jitter=1.0)
    assert compute_backoff(2, full, lambda: 0.25) == pytest.approx(0.4)
    with pytest.raises(ValueError):
        RetrySettings(jitter=1.5)


class HttpError(Exception):
    def __init__(self, status, headers=None):
        super(HttpError, self).__init__('HTTP %s' % status)
        self.status_code = status
        self.response = type('R', (), {'headers': headers or {}})()


def test_retry_call_retries_conflicts_with_retry_after_then_backoff():
    outcomes = [HttpError(409, {'Retry-After': '7'}), HttpError(409), 'done']
    sleeps = []

    def fn():
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    settings = RetrySettings(total=3, backoff=1, max_backoff=10, jitter=0.5)
    assert retry_call(fn, settings, is_conflict, sleep=sleeps.append, rand=lambda: 0.0) == 'done'
    assert sleeps == [7.0, 1.0]  # server's delay first, then backoff for attempt 2: 2 * (1 - 0.5)


def test_retry_call_gives_up_and_does_not_retry_other_errors():
    calls = []

    def always_429():
        calls.append(1)
        raise HttpError(429, {'retry-after-ms': '250'})

    sleeps = []
    with pytest.raises(HttpError):
        retry_call(always_429, RetrySettings(total=2), sleep=sleeps.append)
    assert len(calls) == 3 and sleeps == [0.25, 0.25]

    def not_found():
        calls.append(1)
        raise HttpError(404)
    calls[:] = []
    with pytest.raises(HttpError):
        retry_call(not_found, RetrySettings(total=5), is_conflict, sleep=sleeps.append)
    assert len(calls) == 1


# --- the policy inside a real azure-core pipeline, against a local server -------------------------

azure_core = pytest.importorskip('azure.core')
from azure.core.exceptions import ServiceRequestError  # noqa: E402
from azure.core.pipeline import Pipeline  # noqa: E402
from azure.core.pipeline.transport import RequestsTransport  # noqa: E402
from azure.core.rest import HttpRequest  # noqa: E402

from ansible_collections.amlops.bcdr.plugins.module_utils.core.retries import JitteredRetryPolicy  # noqa: E402


def scripted(responses):
    """A respond() that plays ``responses`` in order, then repeats the last one."""
    def respond(request):
        return responses.pop(0) if len(responses) > 1 else responses[0]
    return respond


def run(url, policy, method='GET'):
    pipeline = Pipeline(RequestsTransport(), policies=[policy])
    return pipeline.run(HttpRequest(method, url)).http_response


@pytest.mark.parametrize('header,expected', [
    ({'Retry-After': '3'}, 3.0), ({'retry-after-ms': '1500'}, 1.5), ({'x-ms-retry-after-ms': '40'}, 0.04),
])
def test_policy_honours_retry_after_headers(local_server, header, expected):
    server = local_server(scripted([(429, header, {'error': {'code': 'TooManyRequests'}}), (200, {}, {'ok': 1})]))
    sleeps = []
    response = run(server.url + '/x', JitteredRetryPolicy(RetrySettings(), sleep=sleeps.append))
    assert response.status_code == 200
    assert len(server.requests) == 2
    assert sleeps == [expected]


def test_policy_jitters_when_no_retry_after(local_server):
    server = local_server(scripted([(503, {}, ''), (502, {}, ''), (500, {}, ''), (200, {}, {})]))
    sleeps = []
    policy = JitteredRetryPolicy(RetrySettings(backoff=1, max_backoff=60, jitter=0.5), sleep=sleeps.append,
                                 rand=random.Random(7).random)
    assert run(server.url, policy).status_code == 200
    check = random.Random(7)
    assert sleeps == pytest.approx([d * 0.5 + d * 0.5 * check.random() for d in (1, 2, 4)])
    assert len(server.requests) == 4


def test_policy_retries_throttled_post_but_not_a_400(local_server):
    server = local_server(scripted([(429, {}, ''), (200, {}, {})]))
    sleeps = []
    assert run(server.url, JitteredRetryPolicy(sleep=sleeps.append), method='POST').status_code == 200
    assert len(server.requests) == 2 and len(sleeps) == 1
    bad = local_server(scripted([(400, {}, {'error': {'code': 'InvalidApiVersionParameter'}})]))
    assert run(bad.url, JitteredRetryPolicy(sleep=sleeps.append)).status_code == 400
    assert len(bad.requests) == 1


def test_policy_stops_after_total_retries(local_server):
    server = local_server(scripted([(429, {'Retry-After': '1'}, '')]))
    sleeps = []
    response = run(server.url, JitteredRetryPolicy(RetrySettings(total=3), sleep=sleeps.append))
    assert response.status_code == 429
    assert len(server.requests) == 4 and sleeps == [1.0, 1.0, 1.0]


def test_policy_retries_connection_errors(local_server):
    server = local_server(scripted([(200, {}, {})]))
    url = server.url
    server.shutdown()
    server.server_close()
    sleeps = []
    with pytest.raises(ServiceRequestError):
        run(url, JitteredRetryPolicy(RetrySettings(total=2, backoff=0.5, jitter=0), sleep=sleeps.append))
    assert sleeps == [0.5, 1.0]
