# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bounded waits: long-running operations (azure-core pollers) and predicate polling."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

from ansible_collections.amlops.bcdr.plugins.module_utils.core.errors import AzureOperationError

# A role that sets the modules' wait_timeout from a variable of its own names that variable here
# (task environment), so that a timeout tells its user what to raise.
TIMEOUT_VARIABLE_ENV = 'AMLOPS_BCDR_TIMEOUT_VARIABLE'


def hint(env=None):
    """What to do after a timeout, naming the variable that sets the timeout."""
    env = os.environ if env is None else env
    return 'raise %s or check the resource in the portal' % (env.get(TIMEOUT_VARIABLE_ENV) or 'wait_timeout')


def wait_timeout_errors(value, option='wait_timeout'):
    """[] when ``value`` is a positive whole number of seconds (None: the default applies), else one line.

    0 or less would not wait at all, and the next step would read a resource that is not there yet.
    """
    if value is None:
        return []
    number = value
    if isinstance(value, str) and value.strip().lstrip('-').isdigit():
        number = int(value.strip())  # extra vars from the command line arrive as strings
    if isinstance(number, bool) or not isinstance(number, int):
        return ["%s: must be a whole number of seconds, got '%s'" % (option, value)]
    if number <= 0:
        return ['%s: must be a positive number of seconds (got %s)' % (option, value)]
    return []


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
                               % (_seconds(timeout), what, status, hint()))
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
            raise AzureWaitTimeout('timed out after %ss waiting for %s; %s' % (_seconds(timeout), what, hint()))
        sleep(min(delay, remaining))
