"""Blob storage at Azure's own endpoint names: an HTTPS forward proxy in front of Azurite.

Clients that build blob URLs themselves (azure-ai-ml: ``https://<account>.blob.<suffix>``)
reach the emulator through ``HTTPS_PROXY=http://127.0.0.1:PORT``. The proxy answers
``CONNECT <account>.blob.core.windows.net:443`` only, terminates TLS with a wildcard leaf
certificate signed by the emulator's CA (``tls.py``; the CA key stays in the state dir), and
pipes the decrypted bytes unchanged to Azurite, which takes the account from the first label
of the Host header (production-style URLs), so SharedKey and SAS signatures are checked as
for path-style requests. Any other CONNECT target gets 403, any other request 403.

Bytes are counted per direction (``up``: client to storage, ``down``: storage to client),
in total and per host, and can be paced to a rate (bytes per second, each direction one link
shared by all connections) to show what a 100 Mbit/s controller link would cost.

Control, on the proxy's own port (loopback, plain HTTP, origin-form requests):
``GET /_emulator/proxy-stats``, ``DELETE /_emulator/proxy-stats`` (reset counters),
``PUT /_emulator/proxy-rate`` ``{"bytes_per_second": N | null}``.
"""
import asyncio
import datetime
import json
import logging
import os
import re
import ssl
import threading
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

log = logging.getLogger("emulator.blobproxy")

BLOB_SUFFIX = "blob.core.windows.net"
# A storage account name (3-24 lower-case letters and digits) as the first label.
BLOB_HOST_RE = re.compile(r"^([a-z0-9]{3,24})\." + re.escape(BLOB_SUFFIX) + r"$")
CHUNK = 64 * 1024
HEAD_LIMIT = 16 * 1024


def ensure_blob_cert(state_dir):
    """(cert_path, key_path) of the ``*.blob.core.windows.net`` leaf, made once per state dir
    with the CA that ``tls.ensure_certs`` created (clients trust ca.pem already)."""
    cert_path = os.path.join(state_dir, "blobproxy.pem")
    key_path = os.path.join(state_dir, "blobproxy.key")
    if os.path.exists(cert_path) and os.path.exists(key_path):
        return cert_path, key_path
    with open(os.path.join(state_dir, "ca.pem"), "rb") as f:
        ca_cert = x509.load_pem_x509_certificate(f.read())
    with open(os.path.join(state_dir, "ca.key"), "rb") as f:
        ca_key = serialization.load_pem_private_key(f.read(), password=None)
    now = datetime.datetime.now(datetime.timezone.utc)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "*." + BLOB_SUFFIX)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=825))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("*." + BLOB_SUFFIX)]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    for path, data, mode in ((key_path, key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()), 0o600),
            (cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)):
        tmp = path + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    return cert_path, key_path


class Pacer:
    """One direction of a link at ``rate`` bytes/s, shared by every connection: each chunk
    reserves the next slot of the link and waits for it (a burst of 50 ms is allowed)."""

    BURST = 0.05

    def __init__(self):
        self.rate = None
        self._next = 0.0

    async def take(self, n):
        rate = self.rate
        if not rate:
            return
        now = time.monotonic()
        start = max(now, self._next)
        self._next = start + n / rate
        wait = self._next - now - self.BURST
        if wait > 0:
            await asyncio.sleep(wait)


class BlobProxy:
    """The proxy, run on its own asyncio loop in a daemon thread of the emulator process."""

    def __init__(self, state_dir, upstream, port=None, rate=None):
        """``upstream``: Azurite's (host, port), or a callable returning it (Azurite may be
        restarted on the same port; the callable is read per connection)."""
        self.state_dir = os.path.abspath(state_dir)
        self._upstream = upstream
        self._port_file = os.path.join(self.state_dir, "blobproxy.port")
        self.port = int(port) if port else self._saved_port()
        self.up, self.down = Pacer(), Pacer()
        self.set_rate(rate)
        self._stats_lock = threading.Lock()
        self.reset_stats()
        self._loop = None
        self._server = None
        self._thread = None
        cert, key = ensure_blob_cert(self.state_dir)
        self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._tls.load_cert_chain(cert, key)

    # ---- public ---------------------------------------------------------------------------
    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def set_rate(self, bytes_per_second):
        rate = float(bytes_per_second) if bytes_per_second else None
        if rate is not None and rate <= 0:
            raise ValueError("bytes_per_second must be > 0 or null")
        self.up.rate = self.down.rate = rate
        return rate

    def reset_stats(self):
        with self._stats_lock:
            self._stats = {"bytes_up": 0, "bytes_down": 0, "connections": 0, "refused": 0,
                           "by_host": {}}

    def stats(self):
        with self._stats_lock:
            out = json.loads(json.dumps(self._stats))
        out["bytes_per_second"] = self.up.rate
        return out

    def start(self):
        ready = threading.Event()
        failure = []

        def run():
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            try:
                self._server = self._loop.run_until_complete(self._bind())
            except OSError as e:
                failure.append(e)
                ready.set()
                return
            self._stopping = asyncio.Event()
            ready.set()
            self._loop.run_until_complete(self._serve_until_stopped())
            self._loop.close()

        self._thread = threading.Thread(target=run, name="blobproxy", daemon=True)
        self._thread.start()
        ready.wait(30)
        if failure:
            raise failure[0]
        return self

    def stop(self):
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._stopping.set)
        if self._thread is not None:
            self._thread.join(10)
        self._thread = None

    async def _serve_until_stopped(self):
        await self._stopping.wait()
        self._server.close()
        # open tunnels end with the proxy (as the emulator process would take them down)
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._server.wait_closed()

    # ---- internals --------------------------------------------------------------------------
    def _saved_port(self):
        try:
            with open(self._port_file, encoding="utf-8") as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return 0

    async def _bind(self):
        try:
            server = await asyncio.start_server(self._client, "127.0.0.1", self.port)
        except OSError:
            if not self.port:
                raise
            # The saved port is taken (another process): a new one, clients get it from env().
            server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        with open(self._port_file + ".tmp", "w", encoding="utf-8") as f:
            f.write(str(self.port))
        os.replace(self._port_file + ".tmp", self._port_file)
        return server

    def _count(self, host, direction, n):
        with self._stats_lock:
            self._stats["bytes_" + direction] += n
            h = self._stats["by_host"].setdefault(host, {"up": 0, "down": 0})
            h[direction] += n

    async def _client(self, reader, writer):
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        try:
            request_line, *header_lines = head.decode("latin-1").split("\r\n")
            method, target, _version = request_line.split(" ", 2)
        except ValueError:
            return await self._reply(writer, 400, {"error": "malformed request"})
        headers = {}
        for line in header_lines:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        if method == "CONNECT":
            return await self._connect(reader, writer, target)
        if target.startswith("/_emulator/"):
            body = b""
            n = int(headers.get("content-length") or 0)
            if n:
                body = await reader.readexactly(min(n, HEAD_LIMIT))
            return await self._control(writer, method, target.split("?", 1)[0], body)
        with self._stats_lock:
            self._stats["refused"] += 1
        log.info("refused %s %s", method, target)
        return await self._reply(writer, 403, {"error": "this proxy only tunnels "
                                                        f"CONNECT *.{BLOB_SUFFIX}:443"})

    async def _control(self, writer, method, path, body):
        if path == "/_emulator/proxy-stats" and method == "GET":
            return await self._reply(writer, 200, self.stats())
        if path == "/_emulator/proxy-stats" and method == "DELETE":
            self.reset_stats()
            return await self._reply(writer, 200, self.stats())
        if path == "/_emulator/proxy-rate" and method == "PUT":
            try:
                doc = json.loads(body or b"{}")
                self.set_rate(doc.get("bytes_per_second"))
            except (ValueError, TypeError, AttributeError) as e:
                return await self._reply(writer, 400, {"error": f'expected {{"bytes_per_second":'
                                                                f' N or null}} ({e})'})
            return await self._reply(writer, 200, self.stats())
        return await self._reply(writer, 404, {"error": f"no proxy control {method} {path}"})

    async def _reply(self, writer, status, doc):
        text = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
                502: "Bad Gateway"}.get(status, "Status")
        payload = json.dumps(doc).encode()
        writer.write(f"HTTP/1.1 {status} {text}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
                     .encode("latin-1") + payload)
        try:
            await writer.drain()
        except ConnectionError:
            pass
        writer.close()

    async def _connect(self, reader, writer, target):
        host, port = target.rsplit(":", 1) if ":" in target else (target, "")
        host = host.lower()
        if port != "443" or not BLOB_HOST_RE.match(host):
            with self._stats_lock:
                self._stats["refused"] += 1
            log.info("refused CONNECT %s", target)
            return await self._reply(writer, 403, {"error": f"CONNECT {target} refused: only "
                                                            f"<account>.{BLOB_SUFFIX}:443"})
        up_host, up_port = self._upstream() if callable(self._upstream) else self._upstream
        try:
            up_reader, up_writer = await asyncio.open_connection(up_host, up_port)
        except OSError as e:
            return await self._reply(writer, 502, {"error": f"storage unreachable: {e}"})
        writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        await writer.drain()
        try:
            await writer.start_tls(self._tls)
        except (ssl.SSLError, ConnectionError, OSError) as e:
            log.info("TLS with the client failed for %s: %s", host, e)
            up_writer.close()
            writer.close()
            return
        with self._stats_lock:
            self._stats["connections"] += 1
        await asyncio.gather(self._pipe(reader, up_writer, host, "up", self.up),
                             self._pipe(up_reader, writer, host, "down", self.down))

    async def _pipe(self, reader, writer, host, direction, pacer):
        try:
            while True:
                size = CHUNK if not pacer.rate else max(1024, min(CHUNK, int(pacer.rate / 50)))
                data = await reader.read(size)
                if not data:
                    break
                self._count(host, direction, len(data))
                await pacer.take(len(data))
                writer.write(data)
                await writer.drain()
        except (ConnectionError, ssl.SSLError, OSError):
            pass
        finally:
            try:
                if writer.can_write_eof():
                    writer.write_eof()
                else:
                    writer.close()
            except (OSError, RuntimeError, ssl.SSLError):
                try:
                    writer.close()
                except (OSError, RuntimeError):
                    pass
