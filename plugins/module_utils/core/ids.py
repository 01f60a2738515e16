# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure resource IDs: parse, validate, build, compare. Pure functions, no SDK."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import namedtuple

from ansible_collections.amlops.bcdr.plugins.module_utils.core.errors import AzureOperationError

_FIELDS = ('subscription', 'resource_group', 'namespace', 'types', 'names', 'scope')


class ResourceId(namedtuple('ResourceId', _FIELDS)):
    """A parsed resource ID.

    ``types``/``names`` are the type and name segments after the last ``/providers/<ns>``
    (``['workspaces', 'models']`` and ``['ws1', 'm1']`` for a model container); ``scope`` is
    what comes before that ``/providers`` (the parent of an extension resource such as a role
    assignment, or the resource group).
    """

    __slots__ = ()

    @property
    def type(self):
        """``Microsoft.Storage/storageAccounts``; ``Microsoft.Resources/resourceGroups`` for a group."""
        return '/'.join([self.namespace] + list(self.types))

    @property
    def name(self):
        """The last name segment (the resource's own name)."""
        return self.names[-1] if self.names else None

    @property
    def id(self):
        return build_resource_id(self.subscription, self.resource_group, self.type, self.names, scope=self.scope)


class InvalidResourceIdError(AzureOperationError, ValueError):
    """A value is not a (suitable) resource ID. Also a ValueError, for callers validating input."""

    def __init__(self, message):
        super(InvalidResourceIdError, self).__init__(message, code='InvalidResourceId')


def _invalid(value, why):
    return InvalidResourceIdError("'%s' is not a valid Azure resource ID: %s" % (value, why))


def parse_resource_id(value):
    """Parse ``value`` into a ResourceId, or raise InvalidResourceIdError (code InvalidResourceId).

    Accepts resource group IDs, subscription- and group-level provider resources, child
    resources, and extension resources (``<parent id>/providers/<ns>/<type>/<name>``).
    """
    if not isinstance(value, str) or not value.startswith('/'):
        raise _invalid(value, 'it must start with /subscriptions/')
    parts = value.strip('/').split('/')
    if any(p == '' for p in parts):
        raise _invalid(value, 'it has an empty segment')
    if len(parts) < 2 or parts[0].lower() != 'subscriptions':
        raise _invalid(value, 'it must start with /subscriptions/<id>')
    subscription = parts[1]
    resource_group = None
    if len(parts) >= 3 and parts[2].lower() == 'resourcegroups':
        if len(parts) < 4:
            raise _invalid(value, 'the resource group name is missing')
        resource_group = parts[3]
        if len(parts) == 4:
            return ResourceId(subscription, resource_group, 'Microsoft.Resources', ['resourceGroups'],
                              [resource_group], '/subscriptions/%s' % subscription)
    # the last '/providers/' segment names the resource; what precedes it is its scope
    lowered = [p.lower() for p in parts]
    provider_positions = [i for i, p in enumerate(lowered) if p == 'providers' and i % 2 == 0]
    if not provider_positions:
        raise _invalid(value, "it has no '/providers/<namespace>/<type>/<name>' part")
    at = provider_positions[-1]
    rest = parts[at + 1:]
    if len(rest) < 3 or len(rest) % 2 != 1:
        raise _invalid(value, "'/providers/' must be followed by <namespace>/<type>/<name>[/<type>/<name>...]")
    namespace = rest[0]
    if '.' not in namespace:
        raise _invalid(value, "'%s' is not a provider namespace (like Microsoft.Storage)" % namespace)
    types = rest[1::2]
    names = rest[2::2]
    scope = '/' + '/'.join(parts[:at])
    return ResourceId(subscription, resource_group, namespace, list(types), list(names), scope)


def _example(expected_type):
    namespace, types = expected_type.partition('/')[::2]
    tail = ''.join('/%s/<name>' % t for t in types.split('/')) if types else ''
    return '/subscriptions/<id>/resourceGroups/<rg>/providers/%s%s' % (namespace, tail)


def require_resource_id(value, expected_type, option_name):
    """Parse ``value`` and check it is a ``expected_type`` ID (case-insensitive), else fail clearly."""
    try:
        rid = parse_resource_id(value)
        ok = rid.type.lower() == expected_type.lower()
    except AzureOperationError:
        ok = False
    if not ok:
        raise InvalidResourceIdError(
            "%s: '%s' is not a resource ID of type %s (expected %s)"
            % (option_name, value, expected_type, _example(expected_type)))
    return rid


def build_resource_id(subscription, resource_group, resource_type, names, scope=None):
    """Build an ID: ``build_resource_id(sub, 'rg', 'Microsoft.MachineLearningServices/workspaces/models', ['ws', 'm'])``.

    ``names`` may be a single string for a top-level resource. ``scope`` (optional) replaces the
    subscription/resource group prefix, for extension resources.
    """
    if isinstance(names, str):
        names = [names]
    namespace, types = resource_type.partition('/')[::2]
    types = types.split('/') if types else []
    if len(types) != len(names):
        raise ValueError('%s needs %d names, got %d' % (resource_type, len(types), len(names)))
    if resource_type.lower() == 'microsoft.resources/resourcegroups':
        return '/subscriptions/%s/resourceGroups/%s' % (subscription, names[0])
    if scope is None:
        scope = '/subscriptions/%s' % subscription
        if resource_group:
            scope += '/resourceGroups/%s' % resource_group
    path = ''.join('/%s/%s' % (t, n) for t, n in zip(types, names))
    return '%s/providers/%s%s' % (scope.rstrip('/'), namespace, path)


def same_resource_id(a, b):
    """Compare two IDs as ARM does: case-insensitively, ignoring a trailing slash."""
    if a is None or b is None:
        return a is b
    return a.strip().rstrip('/').lower() == b.strip().rstrip('/').lower()
