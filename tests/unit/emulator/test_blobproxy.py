"""The blob proxy (emulator.blobproxy) with the real Azurite and the real azure-storage-blob
client: https://<account>.blob.core.windows.net through HTTPS_PROXY, SharedKey and SAS,
refusal of every other target, byte counts, pacing; and started by the emulator itself."""
import base64
import datetime
import json
import os
import socket
import ssl
import time
import urllib.request

import pytest

from emulator.azurite import DEFAULT_BIN, AzuriteManager
from emulator.blobproxy import BlobProxy
from emulator.tls import ensure_certs

pytestmark = pytest.mark.skipif(not os.path.exists(DEFAULT_BIN),
                                reason="Azurite is not installed (npm install)")

blob = pytest.importorskip("azure.storage.blob")
from azure.core.exceptions import HttpResponseError, ServiceRequestError  # noqa: E402

ACCOUNT = "stproxyone"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    state = str(tmp_path_factory.mktemp("blobproxy"))
    ca = ensure_certs(state)[0]
    key = base64.b64encode(os.urandom(64)).decode()
    mgr = AzuriteManager(state)
    mgr.start({ACCOUNT: key})
    proxy = BlobProxy(state, lambda: ("127.0.0.1", mgr.port)).start()
    yield {"state": state, "ca": ca, "key": key, "mgr": mgr, "proxy": proxy}
    proxy.stop()
    mgr.stop()


def _svc(stack, credential=None):
    # The proxy and CA given per client: the test does not depend on the machine's env.
    return blob.BlobServiceClient(
        f"https://{ACCOUNT}.blob.core.windows.net", credential=credential or stack["key"],
        connection_verify=stack["ca"], proxies={"https": stack["proxy"].url})


def _proxy_request(proxy, raw):
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as s:
        s.sendall(raw)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return data


def test_shared_key_and_sas_round_trip_through_the_proxy(stack):
    svc = _svc(stack)
    payload = os.urandom(300_000)
    cont = svc.create_container("models")
    cont.upload_blob("m/1/weights.bin", payload)
    # the same blob, read directly from Azurite (path-style): the proxy changed nothing
    direct = blob.BlobServiceClient(stack["mgr"].blob_endpoint(ACCOUNT), credential=stack["key"])
    assert direct.get_blob_client("models", "m/1/weights.bin").download_blob().readall() == payload
    assert cont.download_blob("m/1/weights.bin").readall() == payload
    assert [b.name for b in cont.list_blobs()] == ["m/1/weights.bin"]

    sas = blob.generate_container_sas(ACCOUNT, "models", account_key=stack["key"],
                                      permission=blob.ContainerSasPermissions(read=True,
                                                                              list=True),
                                      expiry=datetime.datetime.now(datetime.timezone.utc)
                                      + datetime.timedelta(hours=1))
    ro = blob.ContainerClient.from_container_url(
        f"https://{ACCOUNT}.blob.core.windows.net/models?{sas}",
        connection_verify=stack["ca"], proxies={"https": stack["proxy"].url})
    assert ro.download_blob("m/1/weights.bin").readall() == payload
    with pytest.raises(Exception) as e:           # read-only SAS: a write is refused by Azurite
        ro.upload_blob("other.bin", b"x")
    assert "AuthorizationPermissionMismatch" in str(e.value) or "403" in str(e.value)

    wrong = base64.b64encode(os.urandom(64)).decode()
    with pytest.raises(HttpResponseError) as e:
        _svc(stack, credential=wrong).get_container_client("models").get_container_properties()
    assert e.value.status_code == 403 and e.value.error_code == "AuthorizationFailure"


def test_only_blob_hosts_are_tunnelled(stack):
    proxy = stack["proxy"]
    before = proxy.stats()["refused"]
    for target in (b"example.com:443", b"management.azure.com:443", b"127.0.0.1:22",
                   f"{ACCOUNT}.blob.core.windows.net:80".encode(),
                   f"{ACCOUNT}.dfs.core.windows.net:443".encode(),
                   b"a.b.blob.core.windows.net:443"):
        out = _proxy_request(proxy, b"CONNECT " + target + b" HTTP/1.1\r\nHost: " + target
                             + b"\r\n\r\n")
        assert out.startswith(b"HTTP/1.1 403 "), (target, out)
    out = _proxy_request(proxy, b"GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 403 ")
    assert proxy.stats()["refused"] == before + 7

    # a client told to use the proxy for another https host fails; nothing reaches Azurite
    other = blob.BlobServiceClient("https://example.com", credential={
                                   "account_name": ACCOUNT, "account_key": stack["key"]},
                                   connection_verify=stack["ca"],
                                   proxies={"https": proxy.url}, retry_total=0)
    with pytest.raises(ServiceRequestError):
        other.get_service_properties()


def test_tls_certificate_is_the_emulator_ca_for_blob_names_only(stack):
    ctx = ssl.create_default_context(cafile=stack["ca"])
    with socket.create_connection(("127.0.0.1", stack["proxy"].port), timeout=10) as s:
        s.sendall(f"CONNECT {ACCOUNT}.blob.core.windows.net:443 HTTP/1.1\r\n\r\n".encode())
        assert s.recv(1024).startswith(b"HTTP/1.1 200 ")
        with ctx.wrap_socket(s, server_hostname=f"{ACCOUNT}.blob.core.windows.net") as t:
            assert t.getpeercert()["subjectAltName"] == (("DNS", "*.blob.core.windows.net"),)
    # the same leaf for another name: the client refuses it (hostname check)
    with socket.create_connection(("127.0.0.1", stack["proxy"].port), timeout=10) as s:
        s.sendall(f"CONNECT {ACCOUNT}.blob.core.windows.net:443 HTTP/1.1\r\n\r\n".encode())
        s.recv(1024)
        with pytest.raises(ssl.SSLCertVerificationError):
            ctx.wrap_socket(s, server_hostname="management.azure.com")


def test_bytes_are_counted_per_direction_and_host(stack):
    proxy = stack["proxy"]
    proxy.reset_stats()
    cont = _svc(stack).get_container_client("counted")
    cont.create_container()
    up = os.urandom(200_000)
    cont.upload_blob("up.bin", up)
    mid = proxy.stats()
    host = f"{ACCOUNT}.blob.core.windows.net"
    # the payload plus HTTP heads (a few KB), nothing near it the other way
    assert len(up) <= mid["bytes_up"] < len(up) + 20_000
    assert mid["bytes_down"] < 20_000
    assert mid["by_host"][host]["up"] == mid["bytes_up"]
    assert cont.download_blob("up.bin").readall() == up
    after = proxy.stats()
    assert len(up) <= after["bytes_down"] - mid["bytes_down"] < len(up) + 20_000
    assert after["bytes_up"] - mid["bytes_up"] < 20_000
    assert after["connections"] >= 1


def test_rate_limit_is_roughly_honoured(stack):
    proxy = stack["proxy"]
    cont = _svc(stack).get_container_client("paced")
    cont.create_container()
    data = os.urandom(400_000)
    cont.upload_blob("x.bin", data)
    proxy.set_rate(250_000)              # 250 KB/s each way: 400 KB takes ~1.6 s, not ~10 ms
    try:
        t0 = time.monotonic()
        assert cont.download_blob("x.bin").readall() == data
        slow = time.monotonic() - t0
    finally:
        proxy.set_rate(None)
    t0 = time.monotonic()
    assert cont.download_blob("x.bin").readall() == data
    fast = time.monotonic() - t0
    assert 1.2 <= slow < 8.0, slow
    assert fast < slow / 2, (fast, slow)
    with pytest.raises(ValueError):
        proxy.set_rate(-5)


def test_control_routes(stack):
    proxy = stack["proxy"]
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(method, path, body=None):
        req = urllib.request.Request(proxy.url + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
        try:
            with opener.open(req, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    status, doc = call("PUT", "/_emulator/proxy-rate", {"bytes_per_second": 12_500_000})
    assert status == 200 and doc["bytes_per_second"] == 12_500_000
    assert call("PUT", "/_emulator/proxy-rate", {"bytes_per_second": 0})[1][
        "bytes_per_second"] is None
    assert call("PUT", "/_emulator/proxy-rate", {"bytes_per_second": "fast"})[0] == 400
    status, doc = call("DELETE", "/_emulator/proxy-stats")
    assert status == 200 and doc["bytes_up"] == doc["bytes_down"] == 0 and doc["by_host"] == {}
    assert call("GET", "/_emulator/nothing")[0] == 404


def test_emulator_serves_the_proxy_and_env_points_at_it(tmp_path):
    """The emulator starts the proxy; env() gives HTTPS_PROXY/NO_PROXY and the CA; a storage
    account made through ARM is reachable at its Azure name with listKeys' key."""
    from azure.mgmt.resource.resources import ResourceManagementClient
    from azure.mgmt.storage import StorageManagementClient

    from emulator.harness import Emulator

    with Emulator(tmp_path) as emu:
        env = emu.env()
        assert env["HTTPS_PROXY"] == emu.endpoint["blob_proxy_url"]
        assert env["NO_PROXY"] == "127.0.0.1,localhost"
        port = emu.endpoint["blob_proxy_url"].rsplit(":", 1)[1]
        rm = emu.client(ResourceManagementClient, "2021-04-01")
        rm.resource_groups.create_or_update("rg", {"location": "eastus"})
        sm = emu.client(StorageManagementClient, "2023-01-01")
        sm.storage_accounts.begin_create("rg", "stviaproxy", {
            "location": "eastus", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}).result()
        key = sm.storage_accounts.list_keys("rg", "stviaproxy")["keys"][0]["value"]
        emu.proxy_stats(reset=True)
        svc = blob.BlobServiceClient("https://stviaproxy.blob.core.windows.net", credential=key,
                                     connection_verify=env["REQUESTS_CA_BUNDLE"],
                                     proxies={"https": env["HTTPS_PROXY"]})
        svc.create_container("data").upload_blob("a.txt", b"hello")
        assert svc.get_blob_client("data", "a.txt").download_blob().readall() == b"hello"
        stats = emu.proxy_stats()
        assert stats["by_host"]["stviaproxy.blob.core.windows.net"]["up"] > 0
        assert emu.set_blob_rate(12_500_000)["bytes_per_second"] == 12_500_000
        emu.restart()                       # same proxy port after a restart
        assert emu.endpoint["blob_proxy_url"].rsplit(":", 1)[1] == port
        assert emu.proxy_stats()["bytes_up"] == 0
        assert svc.get_blob_client("data", "a.txt").download_blob().readall() == b"hello"
