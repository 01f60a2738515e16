# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retries: Retry-After first, else jittered exponential backoff.

``JitteredRetryPolicy`` is an azure-core ``RetryPolicy`` (so every SDK client gets it through
``retry_policy=``). azure-core already reads ``Retry-After``, ``retry-after-ms`` and
``x-ms-retry-after-ms`` (``azure.core.pipeline.policies._utils.get_retry_after``) and sleeps
exactly that; this subclass keeps that and replaces only the no-header backoff with a jittered one,
so that many throttled clients do not retry in lock-step. ``retry_call`` does the same for
retries outside an HTTP pipeline (a 409 while another operation holds the resource).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random
import time
from collections import namedtuple

try:
    from azure.core.pipeline.policies import RetryPolicy as _RetryPolicy
    HAS_AZURE_CORE = True
except ImportError:
    _RetryPolicy = object
    HAS_AZURE_CORE = False

# HTTP statuses retried (azure-core retries the same set; 429 is also retried for POST/PATCH here)
RETRY_STATUSES = frozenset((408, 429, 500, 502, 503, 504))


class RetrySettings(namedtuple('RetrySettings', ('total', 'backoff', 'max_backoff', 'jitter'))):
    """``total`` retries after the first try; backoff ``backoff * 2**(attempt-1)`` seconds, capped at
    ``max_backoff``; ``jitter`` is the fraction of that delay drawn at random (1.0 = full jitter)."""

    __slots__ = ()

    def __new__(cls, total=6, backoff=0.8, max_backoff=60, jitter=0.5):
        if not 0 <= jitter <= 1:
            raise ValueError('jitter must be between 0 and 1')
        return super(RetrySettings, cls).__new__(cls, total, backoff, max_backoff, jitter)


def compute_backoff(attempt, settings, rand=random.random):
    """Seconds to wait before retry number ``attempt`` (1 for the first retry).

    ``delay = min(max_backoff, backoff * 2**(attempt-1))``, then the ``jitter`` fraction of it is
    random: the result is uniform in ``[delay * (1 - jitter), delay]``. ``rand`` returns [0, 1).
    """
    if attempt < 1:
        return 0.0
    delay = min(float(settings.max_backoff), settings.backoff * (2 ** (attempt - 1)))
    return delay * (1 - settings.jitter) + delay * settings.jitter * rand()


def _retry_after_from_headers(headers):
    """Seconds from Retry-After (seconds or HTTP date), retry-after-ms, x-ms-retry-after-ms; else None."""
    if not headers:
        return None
    lowered = dict((str(k).lower(), v) for k, v in headers.items())
    value = lowered.get('retry-after')
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                from email.utils import parsedate_to_datetime
                import datetime
                when = parsedate_to_datetime(value)
                return max(0.0, (when - datetime.datetime.now(when.tzinfo)).total_seconds())
            except Exception:
                return None
    for name in ('retry-after-ms', 'x-ms-retry-after-ms'):
        value = lowered.get(name)
        if value:
            try:
                return max(0.0, float(value) / 1000.0)
            except ValueError:
                return None
    return None


class JitteredRetryPolicy(_RetryPolicy):
    """azure-core RetryPolicy: honours Retry-After headers, else jittered exponential backoff.

    ``sleep`` and ``rand`` are injectable (tests count the waits without waiting).
    """

    def __init__(self, settings=None, sleep=None, rand=None, **kwargs):
        if not HAS_AZURE_CORE:
            raise ImportError('azure-core is required for JitteredRetryPolicy')
        self.settings = settings or RetrySettings()
        self._sleep = sleep or time.sleep
        self._rand = rand or random.random
        # every counter gets the whole budget: the total is what bounds the retries
        kwargs.setdefault('retry_total', self.settings.total)
        kwargs.setdefault('retry_connect', self.settings.total)
        kwargs.setdefault('retry_read', self.settings.total)
        kwargs.setdefault('retry_status', self.settings.total)
        kwargs.setdefault('retry_backoff_factor', self.settings.backoff)
        kwargs.setdefault('retry_backoff_max', self.settings.max_backoff)
        super(JitteredRetryPolicy, self).__init__(**kwargs)

    def _is_method_retryable(self, settings, request, response=None):
        # a throttled request was not processed: retrying it is safe whatever the method
        if response is not None and response.status_code == 429:
            return True
        return super(JitteredRetryPolicy, self)._is_method_retryable(settings, request, response=response)

    def get_backoff_time(self, settings):
        attempt = len(settings['history'])
        local = self.settings._replace(backoff=settings['backoff'], max_backoff=settings['max_backoff'])
        return compute_backoff(attempt, local, self._rand)

    def sleep(self, settings, transport, response=None):
        # azure-core's order, with our sleeper: a server-given delay wins over the backoff
        if response is not None:
            retry_after = self.get_retry_after(response)
            if retry_after:
                self._sleep(retry_after)
                return
        backoff = self.get_backoff_time(settings)
        if backoff > 0:
            self._sleep(backoff)


def retry_call(fn, settings=None, is_retryable=None, sleep=time.sleep, rand=random.random):
    """Call ``fn()``; on an exception for which ``is_retryable(exc)`` is true, wait and try again.

    The wait is the exception's response Retry-After if it has one, else ``compute_backoff``.
    After ``settings.total`` retries the last exception is raised.
    """
    settings = settings or RetrySettings()
    is_retryable = is_retryable or is_transient
    attempt = 0
    while True:
        try:
            return fn()
        except Exception as exc:
            attempt += 1
            if attempt > settings.total or not is_retryable(exc):
                raise
            response = getattr(exc, 'response', None)
            delay = _retry_after_from_headers(getattr(response, 'headers', None))
            if delay is None:
                delay = compute_backoff(attempt, settings, rand)
            sleep(delay)


def status_of(exc):
    """The HTTP status carried by an azure-core or collection exception, or None."""
    status = getattr(exc, 'status_code', None)
    if status is None:
        status = getattr(exc, 'status', None)
    return status


def is_transient(exc):
    """Throttling and server errors."""
    return status_of(exc) in RETRY_STATUSES


def is_conflict(exc):
    """409: another operation holds the resource (common while an LRO runs), worth retrying."""
    return status_of(exc) == 409 or is_transient(exc)
