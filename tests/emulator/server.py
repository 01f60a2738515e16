"""The HTTPS front: one ThreadingHTTPServer on 127.0.0.1 serving, by path,

- ``/_emulator/...``        the control API (health, state, faults, principals): no bearer
- ``/metadata/endpoints``   the cloud metadata (so ``cloud_environment`` can name arm_url)
- AAD paths                 ``auth.IdentityEndpoint`` (OIDC discovery, token endpoint, ...)
- everything else           ARM, through ``engine.Engine``

HTTP/1.1 keep-alive, Content-Length always set, each response written in one send with
TCP_NODELAY (loopback round trips stay in the low milliseconds).
"""
import json
import logging
import os
import re
import signal
import socket
import ssl
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .auth import Directory, IdentityEndpoint
from .engine import Engine
from .errors import ArmError
from .faults import Faults, Hang
from .recording import Recorder
from .store import Store
from .swagger import SpecIndex
from .tls import ensure_certs

log = logging.getLogger("emulator.server")
SPEC_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "specs")
STATUS_TEXT = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content",
               400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
               405: "Method Not Allowed", 409: "Conflict", 412: "Precondition Failed",
               415: "Unsupported Media Type", 429: "Too Many Requests",
               500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
               503: "Service Unavailable", 504: "Gateway Timeout"}


class Emulator:
    """Everything behind the socket; built once per process."""

    def __init__(self, state_dir, lro_delay=0.2, page_size=50, traffic_dir=None,
                 strict_responses=False, spec_root=SPEC_ROOT):
        self.state_dir = os.path.abspath(state_dir)
        os.makedirs(self.state_dir, exist_ok=True)
        self.ca, self.cert, self.key = ensure_certs(self.state_dir)
        self.store = Store(self.state_dir)
        self.directory = Directory(self.store)
        self.faults = Faults(self.store)
        self.index = SpecIndex(spec_root)
        self.recorder = Recorder(traffic_dir) if traffic_dir else None
        self.config = {"state_dir": self.state_dir, "lro_delay": float(lro_delay),
                       "page_size": int(page_size), "traffic_dir": traffic_dir,
                       "strict_responses": bool(strict_responses), "arm_url": ""}
        self.engine = Engine(self.store, self.directory, self.faults, self.index, self.config,
                             self.recorder)
        self.identity = None
        self.azurite = None
        self.blobproxy = None
        self.arm_url = ""

    def bind(self, arm_url):
        self.arm_url = arm_url
        self.config["arm_url"] = arm_url
        self.engine.arm_url = arm_url
        self.identity = IdentityEndpoint(self.directory, arm_url)

    # ---- cloud metadata ---------------------------------------------------------------
    def metadata(self, api_version):
        arm = self.arm_url + "/"
        audiences = ["https://management.core.windows.net/", "https://management.azure.com/"]
        # Blob endpoints come from each storage account's primaryEndpoints (Azurite,
        # path-style); the suffix is only there for clients that insist on one.
        suffixes = {"storage": "core.windows.net", "keyVaultDns": "vault.azure.net",
                    "acrLoginServer": "azurecr.io", "sqlServerHostname": "database.windows.net",
                    "mhsmDns": "managedhsm.azure.net", "storageSyncEndpointSuffix": "afs.azure.net"}
        if api_version and api_version != "1.0":
            return [{
                "name": "AzureEmulator", "portal": arm, "resourceManager": arm,
                "authentication": {"loginEndpoint": arm, "audiences": audiences,
                                   "tenant": "common", "identityProvider": "AAD"},
                "media": arm, "graphAudience": "https://graph.windows.net/",
                "graph": "https://graph.windows.net/", "batch": "https://batch.core.windows.net/",
                "microsoftGraphResourceId": "https://graph.microsoft.com/",
                "sqlManagement": "https://management.core.windows.net:8443/",
                "gallery": arm, "suffixes": suffixes,
            }]
        return {"galleryEndpoint": arm, "graphEndpoint": "https://graph.windows.net/",
                "portalEndpoint": arm, "resourceManager": arm,
                "authentication": {"loginEndpoint": arm, "audiences": audiences}}

    # ---- control API ------------------------------------------------------------------------
    def control(self, method, path, body):
        sub = path[len("/_emulator"):].rstrip("/")
        if sub == "/health" and method == "GET":
            return 200, {"status": "ok", "pid": os.getpid(), "arm_url": self.arm_url,
                         "resources": len(self.store.resources)}
        if sub == "/state" and method == "GET":
            self.engine.settle()
            return 200, self.store.snapshot()
        if sub == "/faults":
            if method == "GET":
                return 200, self.store.faults.copy()
            if method == "PUT":
                try:
                    return 200, self.faults.set(body or {})
                except ValueError as e:
                    return 400, {"error": {"code": "InvalidFaults", "message": str(e)}}
            if method == "DELETE":
                self.faults.clear()
                return 200, {}
        if sub == "/principals":
            if method == "GET":
                return 200, [p for _k, p in self.store.principals.raw_items()]
            if method == "POST":
                b = dict(body or {})
                try:
                    rec = self.directory.register(object_id=b.pop("object_id", None),
                                                  display_name=b.pop("display_name", None),
                                                  kind=b.pop("kind", "User"), **b)
                except ValueError as e:
                    return 400, {"error": {"code": "InvalidPrincipal", "message": str(e)}}
                return 201, rec
        if sub == "/operations" and method == "GET":
            return 200, self.store.operations.copy()
        if sub == "/quotas":
            # The per-region ML quota table served by Usages_List/Quotas_List (emulator.actions):
            # GET ?location=eastus, PUT {"location", "family", "limit"} (family: a VM family such
            # as "standardDSv2Family", or "totalDedicated" / "totalLowPriority" / "clusters").
            from .engine import _optional
            actions = _optional("actions")
            if actions is None or not hasattr(actions, "set_quota"):
                return 501, {"error": {"code": "NotImplemented",
                                       "message": "emulator.actions has no quota table"}}
            b = body if isinstance(body, dict) else {}
            if method == "PUT":
                try:
                    loc, family, limit = str(b["location"]), str(b["family"]), int(b["limit"])
                    if limit < 0:
                        raise ValueError("limit must be >= 0")
                except (KeyError, TypeError, ValueError) as e:
                    return 400, {"error": {"code": "InvalidQuota", "message":
                                           'expected {"location": "eastus", "family": '
                                           f'"standardDSv2Family", "limit": 8}} ({e})'}}
                return 200, actions.set_quota(self.engine.ctx, loc, family, limit)
            if method == "GET" and b.get("location"):
                return 200, actions.quota_table(self.engine.ctx, str(b["location"]))
        return 404, {"error": {"code": "NotFound", "message": f"no control endpoint {method} {path}"}}

    def endpoint_info(self, pid):
        azurite_url = None
        if self.azurite is not None:
            azurite_url = getattr(self.azurite, "blob_url", None)
            if callable(azurite_url):
                azurite_url = azurite_url()
            if not azurite_url and hasattr(self.azurite, "blob_endpoint"):
                # 'http://127.0.0.1:PORT/<account>/' -> 'http://127.0.0.1:PORT'
                azurite_url = self.azurite.blob_endpoint("account").rstrip("/").rsplit("/", 1)[0]
        return {"arm_url": self.arm_url, "ca_cert": self.ca, "pid": pid,
                "tenant_id": self.directory.tenant_id,
                "subscription_id": self.directory.subscription_id,
                "client_id": self.directory.client_id,
                "client_secret": self.directory.client_secret,
                "principal_object_id": self.directory.principal_object_id,
                "azurite_blob_url": azurite_url,
                "blob_proxy_url": self.blobproxy.url if self.blobproxy is not None else None}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "AzureEmulator/1.0"
    timeout = 300          # idle keep-alive connections end after this

    def log_message(self, fmt, *args):      # the access log is written in _respond
        pass

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _respond(self, status, headers, body, started, arm=False):
        if body is None or self.command == "HEAD":
            payload = b""
        elif isinstance(body, (bytes, bytearray)):
            payload = bytes(body)
        else:
            payload = json.dumps(body, separators=(",", ":")).encode()
        h = {"Cache-Control": "no-cache", "Date": self.date_time_string()}
        if payload or (body is not None and self.command != "HEAD"):
            h["Content-Type"] = "application/json; charset=utf-8"
        h.update(headers or {})
        if arm:      # the engine sets them for ARM answers; errors raised before it get them here
            rid = h.setdefault("x-ms-request-id", str(uuid.uuid4()))
            h.setdefault("x-ms-correlation-request-id",
                         self.headers.get("x-ms-correlation-request-id") or rid)
            h["x-ms-routing-request-id"] = "LOCAL:" + rid
            if self.headers.get("x-ms-client-request-id"):
                h["x-ms-client-request-id"] = self.headers["x-ms-client-request-id"]
        h["Content-Length"] = str(len(payload))
        lines = [f"HTTP/1.1 {status} {STATUS_TEXT.get(status, 'Status')}"]
        lines += [f"{k}: {v}" for k, v in h.items()]
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload
        self.wfile.write(raw)
        self.wfile.flush()
        elapsed = (time.perf_counter() - started) * 1000
        log.info("%s %s -> %s %.1fms", self.command, self.path, status, elapsed)

    def _handle(self):
        started = time.perf_counter()
        emu = self.server.emulator
        raw = self._read_body()
        parts = urlsplit(self.path)
        # ARM tolerates doubled slashes ('/' + a scope that starts with '/')
        path = re.sub(r"/{2,}", "/", parts.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        try:
            if path.startswith("/_emulator/") or path == "/_emulator":
                body = json.loads(raw) if raw.strip() else None
                status, out = emu.control(self.command, path, body)
                return self._respond(status, {}, out, started)
            if path.rstrip("/") == "/metadata/endpoints":
                av = (query.get("api-version") or [None])[0]
                return self._respond(200, {}, emu.metadata(av), started)
            if emu.identity.handles(self.command, path):
                status, headers, out = emu.identity.handle(self.command, path, query, raw)
                return self._respond(status, headers, out, started)
            headers = {k.lower(): v for k, v in self.headers.items()}
            if raw.strip():
                # ARM reads JSON bodies only; the bearer is checked first, as ARM does
                media = (headers.get("content-type") or "").split(";")[0].strip().lower()
                if media != "application/json":
                    emu.directory.verify_arm_token(headers.get("authorization"), emu.arm_url)
                    raise ArmError(415, "UnsupportedMediaType",
                                   f"The content media type '{media or '<null>'}' is not "
                                   "supported. Only 'application/json' is supported.")
            url = emu.arm_url + self.path
            status, out_headers, out = emu.engine.handle(self.command, path, query, headers,
                                                         raw, url=url)
            return self._respond(status, out_headers, out, started, arm=True)
        except Hang as h:
            # The region "hangs": hold the connection, then drop it without a response.
            log.info("%s %s -> hang %.0fs", self.command, self.path, h.seconds)
            time.sleep(h.seconds)
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        except ArmError as e:
            return self._respond(e.status, e.headers, e.body(), started, arm=True)
        except Exception as e:  # an emulator bug: loud, in ARM's shape
            log.exception("unhandled error for %s %s", self.command, self.path)
            return self._respond(500, {}, {"error": {"code": "EmulatorInternalError",
                                                     "message": f"{type(e).__name__}: {e}"}},
                                 started, arm=True)

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = do_HEAD = _handle


class TLSServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, addr, emulator, ssl_context):
        self.emulator = emulator
        self.ssl_context = ssl_context
        super().__init__(addr, Handler)

    def finish_request(self, request, client_address):
        # The TLS handshake runs in the connection's own thread, not in the accept loop.
        try:
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            request = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            super().finish_request(request, client_address)
        finally:
            try:
                request.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def _write_endpoint(state_dir, info):
    path = os.path.join(state_dir, "endpoint.json")
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(info, f, indent=1)
    os.replace(tmp, path)


def _start_azurite(emu):
    from .engine import _optional
    azurite = _optional("azurite")
    if azurite is None:
        return None
    try:
        mgr = azurite.AzuriteManager(emu.state_dir)
        mgr.start()
        return mgr
    except Exception:
        log.exception("Azurite did not start; blob data is unavailable")
        return None


def _start_blobproxy(emu):
    # Blob storage at Azure's endpoint names (https://<account>.blob.core.windows.net) for
    # clients that build those URLs themselves (azure-ai-ml), through HTTPS_PROXY.
    if emu.azurite is None:
        return None
    from .blobproxy import BlobProxy
    try:
        return BlobProxy(emu.state_dir, lambda: ("127.0.0.1", emu.azurite.port)).start()
    except Exception:
        log.exception("blob proxy did not start")
        return None


def serve(state_dir, port=0, lro_delay=0.2, page_size=50, traffic_dir=None,
          strict_responses=False):
    state_dir = os.path.abspath(state_dir)
    os.makedirs(state_dir, exist_ok=True)
    logging.basicConfig(filename=os.path.join(state_dir, "emulator.log"), level=logging.INFO,
                        format="%(asctime)s %(threadName)s %(name)s %(levelname)s %(message)s")
    emu = Emulator(state_dir, lro_delay=lro_delay, page_size=page_size, traffic_dir=traffic_dir,
                   strict_responses=strict_responses)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(emu.cert, emu.key)
    httpd = TLSServer(("127.0.0.1", int(port)), emu, ctx)
    emu.bind(f"https://127.0.0.1:{httpd.server_address[1]}")
    emu.azurite = _start_azurite(emu)
    emu.engine.ctx.azurite = emu.azurite
    emu.blobproxy = _start_blobproxy(emu)

    def _stop(signum, frame):
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    _write_endpoint(state_dir, emu.endpoint_info(os.getpid()))
    log.info("serving %s (state %s)", emu.arm_url, state_dir)
    try:
        httpd.serve_forever(poll_interval=0.2)
    except SystemExit:
        pass
    finally:
        try:
            os.unlink(os.path.join(state_dir, "endpoint.json"))
        except OSError:
            pass
        httpd.server_close()
        if emu.blobproxy is not None:
            emu.blobproxy.stop()
        if emu.azurite is not None:
            try:
                emu.azurite.stop()
            except Exception:
                log.exception("Azurite stop failed")
        emu.store.close()
        log.info("stopped")
