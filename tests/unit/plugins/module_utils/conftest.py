# -*- coding: utf-8 -*-
"""Tiny local HTTP(S) servers for the module_utils tests (127.0.0.1, random port, no network).

``local_server(respond, tls=False)`` starts a server whose handler calls ``respond(request)``
with a ``Recorded`` (method, path, headers, body) and sends back the ``(status, headers, body)``
it returns. Every request is kept in ``server.requests``.
"""

import datetime
import json
import os
import ssl
import threading
from collections import namedtuple
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

Recorded = namedtuple('Recorded', 'method path headers body')


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def _any(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else b''
        request = Recorded(self.command, self.path, dict(self.headers), body)
        self.server.requests.append(request)
        status, headers, payload = self.server.respond(request)
        if isinstance(payload, (dict, list)):
            payload = json.dumps(payload).encode()
            headers = dict({'Content-Type': 'application/json'}, **headers)
        elif isinstance(payload, str):
            payload = payload.encode()
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header('Content-Length', str(len(payload or b'')))
        self.end_headers()
        self.wfile.write(payload or b'')

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = do_HEAD = _any

    def log_message(self, *args):  # keep pytest output clean
        pass


def _self_signed(tmpdir):
    """A throwaway certificate for 127.0.0.1 (cryptography comes with azure-identity/msal)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, u'127.0.0.1')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path = os.path.join(str(tmpdir), 'cert.pem')
    key_path = os.path.join(str(tmpdir), 'key.pem')
    with open(cert_path, 'wb') as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, 'wb') as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def local_server(tmp_path):
    servers = []

    def start(respond, tls=False):
        server = ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
        server.daemon_threads = True
        server.requests = []
        server.respond = respond
        server.ca_file = None
        scheme = 'http'
        if tls:
            cert_path, key_path = _self_signed(tmp_path)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert_path, key_path)
            server.socket = context.wrap_socket(server.socket, server_side=True)
            server.ca_file = cert_path
            scheme = 'https'
        server.url = '%s://127.0.0.1:%d' % (scheme, server.server_address[1])
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
