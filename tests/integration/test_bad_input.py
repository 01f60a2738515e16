"""Bad input: one clear error line, nothing changed in the emulator, no secret in any output."""

import pytest

WRONG_SECRET = "Wr0ng-s3cret-value-that-must-not-leak"


def ws_args(pair, **kw):
    ws = dict(name="mlw-bad-input", resource_group=pair["primary"]["resource_group"], location="eastus",
              storage_account=pair["primary"]["storage_account"], key_vault=pair["shared"]["key_vault"],
              application_insights=pair["primary"]["application_insights"])
    ws.update(kw)
    return ws


CASES = {
    "invalid workspace name": (dict(name="bad name!"), None, "not a valid workspace name"),
    "resource ID in the wrong format": (dict(storage_account="stdefault"), None,
                                        "is not a resource ID of type Microsoft.Storage/storageAccounts"),
    "resource ID of the wrong type": (dict(key_vault="__STORAGE__"), None,
                                      "is not a resource ID of type Microsoft.KeyVault/vaults"),
    "unknown cloud_environment": (dict(cloud_environment="AzureMarsCloud"), None, "AzureMarsCloud"),
    "missing subscription": ({}, {"AZURE_SUBSCRIPTION_ID": None}, "subscription_id"),
    "wrong secret": (dict(secret=WRONG_SECRET), None, "AADSTS7000215"),
    # Azure's tag limits (core/tags.py), checked by the module before any call
    "tag name Azure refuses": (dict(tags={"team/ml": "x"}), None, "tags: tag name 'team/ml' contains one of"),
    "tag value too long": (dict(tags={"team": "x" * 10000}), None,
                           "tags.team: the value is 10000 characters long; Azure allows at most 256"),
    "CA bundle that cannot be read": ({}, {"REQUESTS_CA_BUNDLE": "/nonexistent/ca.pem"},
                                      "REQUESTS_CA_BUNDLE: /nonexistent/ca.pem does not exist or cannot be read"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_fails_cleanly(case, emulator, run_playbook, pair):
    overrides, env, expected = CASES[case]
    overrides = {k: (pair["primary"]["storage_account"] if v == "__STORAGE__" else v) for k, v in overrides.items()}
    before = emulator.state()
    run = run_playbook("workspace_one.yml", {"ws": ws_args(pair, **overrides)}, env=env, verbosity=4)
    assert run.rc != 0, run
    assert len(run.failed) == 1, run
    msg = run.failed[0]["result"]["msg"]
    assert expected in msg, msg
    assert "\n" not in msg.strip(), "the error should be one line: %r" % msg
    assert "Traceback" not in msg
    assert emulator.state() == before, "a failed call changed the emulator's state"
    for secret in (WRONG_SECRET, emulator.endpoint["client_secret"]):
        assert secret not in run.stdout and secret not in run.stderr


def test_secret_never_printed_at_vvvv(emulator, run_playbook, pair):
    run = run_playbook("workspace_pair.yml", dict(pair=pair, pair_name="it"), verbosity=4, diff=True)
    assert run.rc == 0, run
    secret = emulator.endpoint["client_secret"]
    assert secret not in run.stdout and secret not in run.stderr
    assert "Bearer " not in run.stdout
