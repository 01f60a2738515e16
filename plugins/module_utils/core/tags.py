# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure's limits on resource tags, checked before any call (pure; one line per problem).

Azure refuses a tag name over 512 characters, a value over 256, a name with ``<>%&\\?/``, and
more than 50 tags on one resource; it refuses them in the middle of a run, after other resources
were made, so the modules and the provision role's pre-flight check them first.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

MAX_TAGS = 50
MAX_NAME = 512
MAX_STORAGE_NAME = 128
MAX_VALUE = 256
FORBIDDEN_IN_NAME = '<>%&\\?/'


def _short(text, limit=40):
    return text if len(text) <= limit else text[:limit - 3] + '...'


def tag_errors(tags, option='tags', max_name=MAX_NAME):
    """Problems with ``tags`` (a dict name -> value, or None: not managed), each naming ``option``.
    ``max_name``: 128 for storage accounts, which allow shorter names than other resources."""
    where = ' on a storage account' if max_name == MAX_STORAGE_NAME else ''
    if tags is None:
        return []
    if not isinstance(tags, dict):
        return ["%s: must be a dict of tag names and values, got %s" % (option, type(tags).__name__)]
    errors = []
    if len(tags) > MAX_TAGS:
        errors.append('%s: %d tags; Azure allows at most %d on a resource' % (option, len(tags), MAX_TAGS))
    for name in sorted(tags, key=str):
        value = tags[name]
        text = str(name)
        if not text.strip():
            errors.append('%s: a tag name must not be empty' % option)
        elif len(text) > max_name:
            errors.append("%s: tag name '%s' is %d characters long; Azure allows at most %d%s"
                          % (option, _short(text), len(text), max_name, where))
        elif any(c in FORBIDDEN_IN_NAME for c in text):
            errors.append("%s: tag name '%s' contains one of %s, which Azure does not allow in tag names"
                          % (option, _short(text), ' '.join(FORBIDDEN_IN_NAME)))
        if isinstance(value, (dict, list)):
            errors.append("%s.%s: a tag value must be a string, got a %s" % (option, _short(text), type(value).__name__))
        elif value is not None and len(str(value)) > MAX_VALUE:
            errors.append("%s.%s: the value is %d characters long; Azure allows at most %d"
                          % (option, _short(text), len(str(value)), MAX_VALUE))
    return errors
