"""AzuriteManager against the real Azurite (npm) and the real azure-storage-blob client."""
import base64
import datetime
import os
import time

import pytest

from emulator.azurite import DEFAULT_BIN, AzuriteError, AzuriteManager, accounts_from_state

pytestmark = pytest.mark.skipif(not os.path.exists(DEFAULT_BIN),
                                reason="Azurite is not installed (npm install)")

blob = pytest.importorskip("azure.storage.blob")
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError  # noqa: E402


def _key():
    return base64.b64encode(os.urandom(64)).decode()


def _client(mgr, account, key):
    return blob.BlobServiceClient(mgr.blob_endpoint(account), credential={
        "account_name": account, "account_key": key})


@pytest.fixture
def keys():
    return {"acctone": _key(), "accttwo": _key()}


@pytest.fixture
def mgr(tmp_path, keys):
    m = AzuriteManager(tmp_path)
    m.start(keys)
    yield m
    m.stop()


def _wait_copy(bc, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        props = bc.get_blob_properties()
        if props.copy.status != "pending":
            return props
        time.sleep(0.1)
    raise AssertionError("copy still pending")


def test_two_accounts_copy_restart_and_wrong_key(mgr, keys):
    one = _client(mgr, "acctone", keys["acctone"])
    two = _client(mgr, "accttwo", keys["accttwo"])
    one.create_container("src").upload_blob("a/model.bin", b"weights" * 1000)
    two.create_container("dst").upload_blob("hello.txt", b"hi")
    assert mgr.blob_endpoint("acctone") == f"http://127.0.0.1:{mgr.port}/acctone/"

    # cross-account server-side copy with a read-only SAS on the source
    sas = blob.generate_blob_sas("acctone", "src", "a/model.bin", account_key=keys["acctone"],
                                 permission=blob.BlobSasPermissions(read=True),
                                 expiry=datetime.datetime.now(datetime.timezone.utc)
                                 + datetime.timedelta(hours=1))
    src_url = one.get_blob_client("src", "a/model.bin").url + "?" + sas
    dst = two.get_blob_client("dst", "copied/model.bin")
    dst.start_copy_from_url(src_url)
    props = _wait_copy(dst)
    assert props.copy.status == "success"
    assert dst.download_blob().readall() == b"weights" * 1000

    # a new account: Azurite restarts on the same port, the data is still there
    port = mgr.port
    keys3 = dict(keys, acctthree=_key())
    started = time.monotonic()
    assert mgr.ensure_accounts(keys3) is True
    assert time.monotonic() - started < 1.0              # applied in place, no ~1.5 s restart
    assert (mgr.reloads, mgr.restarts) == (1, 0)
    assert mgr.port == port
    assert mgr.ensure_accounts(keys3) is False          # no change, no restart
    assert two.get_blob_client("dst", "copied/model.bin").download_blob().readall() \
        == b"weights" * 1000
    _client(mgr, "acctthree", keys3["acctthree"]).create_container("cthree")

    # the wrong key is refused (403 AuthorizationFailure)
    bad = _client(mgr, "acctone", _key())
    with pytest.raises((ClientAuthenticationError, HttpResponseError)) as err:
        bad.get_container_client("src").get_container_properties()
    assert err.value.status_code == 403

    # a removed account no longer answers
    mgr.ensure_accounts({"accttwo": keys["accttwo"]})
    with pytest.raises(HttpResponseError) as err:
        one.get_container_client("src").get_container_properties()
    assert err.value.status_code in (400, 403, 404)


def test_account_change_by_restart_when_hot_reload_is_unavailable(tmp_path, monkeypatch):
    """Without the preload (another Azurite build), a changed account set restarts Azurite on
    the same port, and the blobs written before are still there."""
    import emulator.azurite as az
    monkeypatch.setattr(az, "HOT_RELOAD_JS", str(tmp_path / "absent.js"))
    k1, k2 = _key(), _key()
    m = AzuriteManager(tmp_path / "state")
    m.start({"acctfirst": k1})
    try:
        port = m.port
        _client(m, "acctfirst", k1).create_container("before")
        started = time.monotonic()
        assert m.ensure_accounts({"acctfirst": k1, "acctsecond": k2}) is True
        took = time.monotonic() - started
        assert (m.reloads, m.restarts) == (0, 1) and m.port == port
        assert took < START_BUDGET, took
        assert [c.name for c in _client(m, "acctfirst", k1).list_containers()] == ["before"]
        _client(m, "acctsecond", k2).create_container("after")
    finally:
        m.stop()


START_BUDGET = 15.0     # seconds; a restart measures ~1.5-2.5 s here (module loading)


def test_second_key_and_port_kept_across_managers(tmp_path):
    k1, k2 = _key(), _key()
    m = AzuriteManager(tmp_path)
    m.start({"acctkeys": (k1, k2)})
    port = m.port
    try:
        _client(m, "acctkeys", k2).create_container("bykey2")
        assert [c.name for c in _client(m, "acctkeys", k1).list_containers()] == ["bykey2"]
    finally:
        m.stop()
    assert not m.running
    # a new manager for the same state dir (an emulator restart) gets the same port
    m2 = AzuriteManager(tmp_path)
    assert m2.port == port
    m2.start({"acctkeys": (k1, k2)})
    try:
        assert [c.name for c in _client(m2, "acctkeys", k1).list_containers()] == ["bykey2"]
    finally:
        m2.stop()


def test_accounts_from_state_and_stale_process_reaped(tmp_path):
    import json
    k = _key()
    (tmp_path / "state.json").write_text(json.dumps(
        {"secrets": {"storageAccountKeys": {"acctstate": {"key1": k, "key2": None}}}}))
    assert accounts_from_state(str(tmp_path)) == {"acctstate": (k, None)}
    m = AzuriteManager(tmp_path)
    m.start()                                  # accounts read from state.json
    pid = m._proc.pid
    _client(m, "acctstate", k).create_container("cstate")
    # simulate an emulator killed with -9: the manager object is lost, Azurite keeps running
    m._proc = None
    m2 = AzuriteManager(tmp_path)
    m2.start()
    try:
        from emulator.azurite import _pid_alive
        assert not _pid_alive(pid)
        assert [c.name for c in _client(m2, "acctstate", k).list_containers()] == ["cstate"]
    finally:
        m2.stop()


def test_missing_binary_is_a_clear_error(tmp_path):
    m = AzuriteManager(tmp_path, node_bin=str(tmp_path / "nope"))
    with pytest.raises(AzuriteError, match="npm install"):
        m.start()


def test_process_that_dies_reports_its_log(tmp_path):
    fake = tmp_path / "fake-azurite"
    fake.write_text("#!/bin/sh\necho 'boom: cannot listen' >&2\nexit 3\n")
    fake.chmod(0o755)
    m = AzuriteManager(tmp_path / "state", node_bin=str(fake))
    with pytest.raises(AzuriteError, match="boom: cannot listen"):
        m.start()
    assert not m.running
