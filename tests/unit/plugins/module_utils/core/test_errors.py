# -*- coding: utf-8 -*-
import pytest

from ansible_collections.amlops.bcdr.plugins.module_utils.core.errors import (
    REDACTED, AzureOperationError, from_sdk_error, is_not_found, one_line, scrub,
)

ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
JWT = ('eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQuYXp1cmUuY29tLyJ9.'
       'c2lnbmF0dXJlLXBhcnQtb2YtdGhlLXRva2Vu')


@pytest.mark.parametrize('text,leak', [
    ('copy from https://sa.blob.core.windows.net/c/b?sv=2023-01-03&se=2030&sr=b&sp=r&sig=abc%2Bdef%3D', 'abc%2Bdef%3D'),
    ('DefaultEndpointsProtocol=https;AccountName=sa;AccountKey=%s;EndpointSuffix=core.windows.net' % ACCOUNT_KEY,
     ACCOUNT_KEY),
    ('Endpoint=sb://x/;SharedAccessKeyName=k;SharedAccessKey=c2VjcmV0a2V5dmFsdWU=', 'c2VjcmV0a2V5dmFsdWU='),
    ('BlobEndpoint=https://sa/;SharedAccessSignature=sv=2023&sig=Zm9vYmFy', 'Zm9vYmFy'),
    ('POST /tenant/oauth2/v2.0/token body: grant_type=client_credentials&client_id=abc&client_secret=S3cr3t~x.y',
     'S3cr3t~x.y'),
    ('request failed: {"password": "hunter22", "user": "a"}', 'hunter22'),
    ("params {'secret': 'my-client-secret', 'tenant': 't'}", 'my-client-secret'),
    ('Authorization: Bearer %s' % JWT, JWT),
    ('token %s in text' % JWT, JWT),
    ('keys: [{"keyName": "key1", "value": "%s"}]' % ACCOUNT_KEY, ACCOUNT_KEY),
    ('Authorization: SharedKey sa:Zm9vYmFyYmF6cXV4', 'Zm9vYmFyYmF6cXV4'),
])
def test_scrub_removes_realistic_secrets(text, leak):
    out = scrub(text)
    assert leak not in out
    assert REDACTED in out


def test_scrub_keeps_ordinary_text():
    text = ("tenant is required with client_id and secret: set it, or AZURE_TENANT; "
            "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa")
    assert scrub(text) == text


def test_scrub_explicit_values_also_url_encoded():
    secret = 'p@ss/w0rd+x'
    out = scrub('login p@ss/w0rd+x and url p%40ss%2Fw0rd%2Bx', secrets=[secret, None, ''])
    assert 'p@ss' not in out and 'p%40ss' not in out
    assert out.count(REDACTED) == 2


def test_error_is_one_scrubbed_line():
    exc = AzureOperationError('failed\n  with AccountKey=%s\n' % ACCOUNT_KEY, code='X', status=400)
    assert exc.message == 'failed with AccountKey=%s' % REDACTED
    assert str(exc) == exc.message
    assert exc.to_result() == {'error_code': 'X', 'status': 400}
    assert len(one_line('x' * 5000)) == 1000


azure_exceptions = pytest.importorskip('azure.core.exceptions')


class _Response:
    """The bits of an azure-core HttpResponse that HttpResponseError reads."""

    def __init__(self, status, body):
        import json
        self.status_code = status
        self.reason = 'Reason'
        self.headers = {}
        self._body = json.dumps(body).encode()
        self.content_type = 'application/json'
        self.request = None

    def body(self):
        return self._body

    def text(self, encoding=None):
        return self._body.decode()

    def json(self):
        import json
        return json.loads(self._body)


def test_from_sdk_error_uses_arm_code_and_message():
    from azure.mgmt.core.exceptions import ARMErrorFormat
    response = _Response(409, {'error': {'code': 'Conflict', 'message': 'Workspace is being\nupdated.'}})
    exc = azure_exceptions.HttpResponseError(response=response, error_format=ARMErrorFormat)
    err = from_sdk_error(exc, 'updating workspace ws1')
    assert err.code == 'Conflict' and err.status == 409
    assert err.message == 'updating workspace ws1 failed (HTTP 409): Conflict: Workspace is being updated.'


def test_from_sdk_error_reads_the_body_when_exc_error_is_absent():
    response = _Response(404, {'error': {'code': 'ResourceNotFound', 'message': "The Resource 'x' was not found."}})
    exc = azure_exceptions.ResourceNotFoundError(response=response)
    err = from_sdk_error(exc, 'reading vault kv')
    assert (err.code, err.status) == ('ResourceNotFound', 404)
    assert "The Resource 'x' was not found." in err.message
    assert is_not_found(exc) and is_not_found(err)


def test_from_sdk_error_auth_and_connection():
    auth = azure_exceptions.ClientAuthenticationError(
        'ClientSecretCredential.get_token failed: (invalid_client) AADSTS7000215: Invalid client secret provided.\n'
        'Trace ID: 1')
    err = from_sdk_error(auth, 'reading workspace ws1')
    assert err.code == 'AuthenticationFailed'
    assert 'AADSTS7000215' in err.message and '\n' not in err.message
    conn = azure_exceptions.ServiceRequestError('Connection refused')
    err = from_sdk_error(conn, 'listing models')
    assert err.message == 'listing models failed: could not reach Azure: Connection refused'


def test_from_sdk_error_scrubs_sas_in_messages():
    exc = azure_exceptions.ServiceRequestError('GET https://sa.blob/c/b?sv=1&sig=SECRETSIG failed')
    assert 'SECRETSIG' not in from_sdk_error(exc, 'copying').message


def test_no_answer_names_the_region_of_the_request():
    """A region that hangs up: the error names the region the PUT was for (from the request the
    transport kept), not only the resource."""
    import socket
    import threading

    from azure.core.pipeline import Pipeline
    from azure.core.pipeline.transport import RequestsTransport
    from azure.core.rest import HttpRequest

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def hang_up():
        conn, _addr = server.accept()
        conn.recv(65536)
        conn.close()

    threading.Thread(target=hang_up, daemon=True).start()
    url = "http://127.0.0.1:%d/subscriptions/s/resourcegroups/rg-fraud-westus" % server.getsockname()[1]
    try:
        with pytest.raises(azure_exceptions.ServiceResponseError) as info:
            Pipeline(RequestsTransport()).run(HttpRequest("PUT", url, json={"location": "West US"}))
    finally:
        server.close()
    err = from_sdk_error(info.value, "resource group rg-fraud-westus")
    assert err.message.startswith("resource group rg-fraud-westus failed: no valid response from Azure in region "
                                  "westus: "), err.message
    assert err.code == "ServiceResponseError"
    # Without a request body (a read), no region is made up.
    conn = azure_exceptions.ServiceResponseError("Connection aborted.")
    assert from_sdk_error(conn, "reading workspace ws1").message == \
        "reading workspace ws1 failed: no valid response from Azure: Connection aborted."
