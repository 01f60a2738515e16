"""The emulator's pure parts: store, tokens, faults, merge patch, certificates."""

import os
import time

import pytest

from emulator import tls
from emulator.auth import Directory
from emulator.engine import merge_patch
from emulator.errors import ArmError
from emulator.faults import Faults, Hang
from emulator.store import Store, parent_id, read_table

SUB = "/subscriptions/s1"
RG = SUB + "/resourceGroups/rg"
WS = RG + "/providers/Microsoft.MachineLearningServices/workspaces/ws"


def test_parent_id():
    assert parent_id(WS) == RG
    assert parent_id(RG) == SUB
    assert parent_id(SUB) is None
    assert parent_id(WS + "/models/m/versions/1") == WS + "/models/m"
    ra = RG + "/providers/Microsoft.Storage/storageAccounts/sa/providers/Microsoft.Authorization/roleAssignments/x"
    assert parent_id(ra) == RG + "/providers/Microsoft.Storage/storageAccounts/sa"


def test_store_is_case_insensitive_and_persistent(tmp_path):
    s = Store(str(tmp_path))
    s.put(RG, {"id": RG, "type": "Microsoft.Resources/resourceGroups", "location": "westus"})
    s.put(WS, {"id": WS, "type": "Microsoft.MachineLearningServices/workspaces"})
    s.put(WS + "/models/m", {"id": WS + "/models/m",
                             "type": "Microsoft.MachineLearningServices/workspaces/models"})
    assert s.get(WS.upper())["id"] == WS
    got = s.get(WS)
    got["mutated"] = True
    assert "mutated" not in s.get(WS)                    # get returns copies
    assert [r["id"] for r in s.children(RG)] == [WS]
    assert [r["id"] for r in s.children(WS, "microsoft.machinelearningservices/workspaces/models")] \
        == [WS + "/models/m"]
    assert len(s.find("Microsoft.MachineLearningServices/workspaces/models", SUB)) == 1
    s.secrets["k"] = "v"
    s.save()
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]
    again = Store(str(tmp_path))
    assert again.get(WS)["id"] == WS and again.secrets["k"] == "v"
    assert sorted(again.delete(WS)) == sorted([WS.lower(), (WS + "/models/m").lower()])
    assert Store(str(tmp_path)).get(WS + "/models/m") is None


def test_store_batch_saves_once(tmp_path):
    s = Store(str(tmp_path))
    with s.batch():
        s.put(RG, {"id": RG, "type": "t"})
        s.put(WS, {"id": WS, "type": "t"})
        assert read_table(str(tmp_path), "resources") == {}   # not yet committed
    assert set(read_table(str(tmp_path), "resources")) == {RG.lower(), WS.lower()}


def test_tokens_round_trip_and_rejections(tmp_path):
    d = Directory(Store(str(tmp_path)))
    sp = d.principal(d.principal_object_id)
    arm = "https://127.0.0.1:1"
    token = d.issue(arm + "/t/v2.0", "https://management.azure.com/", sp)
    claims = d.verify_arm_token("Bearer " + token, arm)
    assert claims["oid"] == d.principal_object_id and claims["tid"] == d.tenant_id
    with pytest.raises(ArmError) as e:
        d.verify_arm_token(None, arm)
    assert e.value.code == "AuthenticationFailed" and "WWW-Authenticate" in e.value.headers
    with pytest.raises(ArmError) as e:
        d.verify_arm_token("Bearer " + token[:-4] + "AAAA", arm)
    assert e.value.code == "InvalidAuthenticationToken"
    with pytest.raises(ArmError) as e:
        d.verify_arm_token("Bearer " + d.issue("i", "https://management.azure.com/", sp,
                                               lifetime=-5), arm)
    assert e.value.code == "ExpiredAuthenticationToken"
    with pytest.raises(ArmError) as e:
        d.verify_arm_token("Bearer " + d.issue("i", "https://vault.azure.net", sp), arm)
    assert e.value.code == "InvalidAuthenticationTokenAudience"
    # the signing key and the identities survive a restart
    d2 = Directory(Store(str(tmp_path)))
    assert d2.verify_arm_token("Bearer " + token, arm)["oid"] == claims["oid"]
    assert d2.client_secret == d.client_secret


def test_principals(tmp_path):
    d = Directory(Store(str(tmp_path)))
    u = d.register(display_name="bob", kind="User")
    g = d.register(object_id="6f1c0c3e-0000-4000-8000-000000000001", kind="Group")
    assert d.has_principal(u["object_id"]) and d.has_principal(g["object_id"].upper())
    assert not d.has_principal("00000000-0000-0000-0000-000000000000")
    assert d.by_upn("BOB@emulator.onmicrosoft.com")["object_id"] == u["object_id"]
    with pytest.raises(ValueError):
        d.register(kind="Robot")


def test_faults_token_bucket_refills(tmp_path):
    f = Faults(Store(str(tmp_path)))
    f.set({"token_bucket": {"reads": [3, 10.0]}})
    for _unused in range(3):
        f.before_request("GET", "s", "p")
    with pytest.raises(ArmError) as e:
        f.before_request("GET", "s", "p")
    assert e.value.status == 429 and e.value.headers["Retry-After"] == "1"
    f.before_request("GET", "s", "other-principal")         # its own bucket
    f.before_request("PUT", "s", "p")                       # writes: their own bucket
    time.sleep(0.15)
    assert f.before_request("GET", "s", "p") == {"x-ms-ratelimit-remaining-subscription-reads": "0"}


def test_faults_outage_and_validation(tmp_path):
    f = Faults(Store(str(tmp_path)))
    f.set({"outages": {"West US": "error", "eastus": "hang"}, "hang_seconds": 999})
    with pytest.raises(ArmError) as e:
        f.check_region("westus")
    assert e.value.status == 503
    with pytest.raises(Hang) as h:
        f.check_region("eastus")
    assert h.value.seconds == 300                            # bounded
    f.check_region("northeurope")
    f.check_region(None)
    with pytest.raises(ValueError):
        f.set({"outages": {"westus": "boom"}})
    with pytest.raises(ValueError):
        f.set({"nope": 1})
    assert f.lro_delay(0.1) == 0.1
    f.set({"lro_delay": 2})
    assert f.lro_delay(0.1) == 2.0
    f.clear()
    assert f.config == {}


def test_merge_patch():
    assert merge_patch({"a": 1, "b": {"c": 1, "d": 2}}, {"b": {"c": None, "e": 3}, "f": [1]}) \
        == {"a": 1, "b": {"d": 2, "e": 3}, "f": [1]}


def test_certificates_are_reused(tmp_path):
    first = tls.ensure_certs(str(tmp_path))
    pem = open(first[0]).read()
    assert tls.ensure_certs(str(tmp_path)) == first and open(first[0]).read() == pem
    assert oct(os.stat(first[2]).st_mode & 0o777) == "0o600"
