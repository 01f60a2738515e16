# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bounded waits: long-running operations (azure-core pollers) and predicate polling."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.amlops.bcdr.plugins.module_utils.core.errors import AzureOperationError

HINT = 'raise wait_timeout or check the resource in the portal'


class AzureWaitTimeout(AzureOperationError):
    """A wait ran out of time. The operation may still be running in Azure."""

    def __init__(self, message):
        super(AzureWaitTimeout, self).__init__(message, code='Timeout')


def _seconds(value):
    return ('%d' % value) if float(value).is_integer() else ('%g' % value)


def wait_for_lro(poller, timeout, what, clock=time.monotonic):
    """Wait at most ``timeout`` seconds for an azure-core ``LROPoller``; return its result.

    Raises ``AzureWaitTimeout`` naming ``what`` and the last status seen; an operation that
    failed raises the SDK's exception (wrap the call in ``module.azure_errors``).
    ``timeout`` 0 (or less) means do not wait (``wait: false``): the result if the operation has
    already finished, else None.
    """
    if timeout is not None and timeout <= 0:
        return poller.result() if poller.done() else None
    if timeout is None:  # no bound (only for callers that have their own)
        return poller.result()
    deadline = clock() + timeout
    poller.wait(max(0.0, deadline - clock()))
    if not poller.done():
        try:
            status = poller.status()
        except Exception:  # a status we cannot read is still a timeout
            status = 'unknown'
        raise AzureWaitTimeout('timed out after %ss waiting for %s (last status: %s); %s'
                               % (_seconds(timeout), what, status, HINT))
    return poller.result()


def wait_until(predicate, timeout, delay, what, sleep=time.sleep, clock=time.monotonic):
    """Call ``predicate()`` every ``delay`` seconds until it returns something truthy; return that.

    Total time is bounded by ``timeout`` (a last check happens at the deadline), else
    ``AzureWaitTimeout``. Exceptions from ``predicate`` propagate.
    """
    deadline = clock() + timeout
    while True:
        value = predicate()
        if value:
            return value
        remaining = deadline - clock()
        if remaining <= 0:
            raise AzureWaitTimeout('timed out after %ss waiting for %s; %s' % (_seconds(timeout), what, HINT))
        sleep(min(delay, remaining))
