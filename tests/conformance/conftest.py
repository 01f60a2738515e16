"""Puts tests/ on sys.path so that the emulator package (tests/emulator) imports as `emulator`.

Kept minimal on purpose: shared fixtures belong in tests/conftest.py.
"""

import os
import sys

_TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)
