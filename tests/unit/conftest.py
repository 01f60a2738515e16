# -*- coding: utf-8 -*-
"""Make ``ansible_collections.amlops.bcdr`` importable for the unit tests.

The collection's Python code imports itself as ``ansible_collections.amlops.bcdr.plugins...``.
When the repository is not already checked out at ``.../ansible_collections/amlops/bcdr`` (as
ansible-test arranges it), build that layout in a temporary directory - a symlink to the
repository root - and put it first on ``sys.path``.
"""

import atexit
import os
import shutil
import sys
import tempfile

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _collection_root():
    parts = REPO_ROOT.split(os.sep)
    if parts[-3:-1] == ['ansible_collections', 'amlops'] and parts[-1] == 'bcdr':
        return os.sep.join(parts[:-3])  # already in place: its grandparent's parent goes on sys.path
    base = tempfile.mkdtemp(prefix='amlops-bcdr-unit-')
    atexit.register(shutil.rmtree, base, True)
    os.makedirs(os.path.join(base, 'ansible_collections', 'amlops'))
    os.symlink(REPO_ROOT, os.path.join(base, 'ansible_collections', 'amlops', 'bcdr'))
    return base


sys.path.insert(0, _collection_root())
