"""A strict local Azure emulator (ARM + AAD token endpoint + faults), test infrastructure for
amlops.bcdr. See docs/dev/ARCHITECTURE.md ("Emulator contract").

Run: ``PYTHONPATH=tests python -m emulator serve --state-dir DIR``; from tests use
``emulator.harness.Emulator``.
"""
