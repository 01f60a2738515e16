"""Start/stop/restart the emulator from tests (a subprocess per emulator).

    with Emulator(tmp_path) as emu:
        env = emu.env()            # AZURE_* + CA bundle variables for subprocesses
        emu.set_faults(outages={"westus": "error"})
"""
import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class EmulatorError(RuntimeError):
    pass


class Emulator:
    def __init__(self, state_dir, lro_delay=0.05, page_size=50, traffic_dir=None,
                 strict_responses=True, port=None, start_timeout=60.0):
        self.state_dir = os.path.abspath(str(state_dir))
        self.lro_delay = lro_delay
        self.page_size = page_size
        self.traffic_dir = str(traffic_dir) if traffic_dir else None
        self.strict_responses = strict_responses
        self.port = port
        self.start_timeout = start_timeout
        self.proc = None
        self.endpoint = None
        self._ssl = None

    # ---- lifecycle ---------------------------------------------------------------------
    def start(self):
        if self.proc is not None and self.proc.poll() is None:
            return self
        os.makedirs(self.state_dir, exist_ok=True)
        ep_path = os.path.join(self.state_dir, "endpoint.json")
        if os.path.exists(ep_path):
            os.unlink(ep_path)       # stale: we wait for the new process to write its own
        cmd = [sys.executable, "-m", "emulator", "serve", "--state-dir", self.state_dir,
               "--port", str(self.port or 0), "--lro-delay", str(self.lro_delay),
               "--page-size", str(self.page_size)]
        if self.traffic_dir:
            cmd += ["--traffic-dir", self.traffic_dir]
        if self.strict_responses:
            cmd.append("--strict-responses")
        env = dict(os.environ)
        env["PYTHONPATH"] = TESTS_DIR + (os.pathsep + env["PYTHONPATH"]
                                         if env.get("PYTHONPATH") else "")
        self._log = open(os.path.join(self.state_dir, "stderr.log"), "ab")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise EmulatorError(f"emulator exited with {self.proc.returncode}; see "
                                    f"{self.state_dir}/stderr.log and emulator.log")
            if os.path.exists(ep_path):
                try:
                    with open(ep_path) as f:
                        ep = json.load(f)
                    if ep.get("pid") == self.proc.pid:
                        self.endpoint = ep
                        self._ssl = ssl.create_default_context(cafile=ep["ca_cert"])
                        self.port = int(ep["arm_url"].rsplit(":", 1)[1])
                        if self._control("GET", "/_emulator/health").get("status") == "ok":
                            return self
                except (ValueError, OSError, urllib.error.URLError):
                    pass
            time.sleep(0.05)
        self.stop()
        raise EmulatorError(f"emulator did not become ready within {self.start_timeout}s")

    def stop(self, timeout=15.0):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        if getattr(self, "_log", None):
            self._log.close()
            self._log = None

    def restart(self):
        """Same state dir and same port: clients (and their tokens) keep working."""
        self.stop()
        return self.start()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- convenience -----------------------------------------------------------------------
    @property
    def arm_url(self):
        return self.endpoint["arm_url"]

    @property
    def ca_cert(self):
        return self.endpoint["ca_cert"]

    def env(self):
        ep = self.endpoint
        return {"AZURE_SUBSCRIPTION_ID": ep["subscription_id"],
                "AZURE_CLIENT_ID": ep["client_id"], "AZURE_SECRET": ep["client_secret"],
                "AZURE_TENANT": ep["tenant_id"], "AZURE_CLOUD_ENVIRONMENT": ep["arm_url"],
                "REQUESTS_CA_BUNDLE": ep["ca_cert"], "SSL_CERT_FILE": ep["ca_cert"],
                "CURL_CA_BUNDLE": ep["ca_cert"], **self.proxy_env()}

    def proxy_env(self):
        """HTTPS_PROXY to the blob proxy (https://<account>.blob.core.windows.net served by
        Azurite); ARM and Azurite's own loopback URLs bypass it. Both spellings: urllib and
        requests read the lower-case one first."""
        url = (self.endpoint or {}).get("blob_proxy_url")
        if not url:
            return {}
        return {"HTTPS_PROXY": url, "https_proxy": url,
                "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}

    def _proxy_control(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.endpoint["blob_proxy_url"] + path, data=data,
                                     method=method)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(req, timeout=30) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as e:
            raise EmulatorError(f"{method} {path}: {e.code} {e.read().decode(errors='replace')}")

    def proxy_stats(self, reset=False):
        """Bytes through the blob proxy: ``bytes_up`` (to storage), ``bytes_down``,
        ``connections``, ``refused``, ``by_host`` {host: {up, down}}, ``bytes_per_second``.
        ``reset=True`` zeroes the counters (and returns them zeroed)."""
        return self._proxy_control("DELETE" if reset else "GET", "/_emulator/proxy-stats")

    def set_blob_rate(self, bytes_per_second):
        """Pace the blob proxy to ``bytes_per_second`` per direction (None: unlimited)."""
        return self._proxy_control("PUT", "/_emulator/proxy-rate",
                                   {"bytes_per_second": bytes_per_second})

    def _control(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.endpoint["arm_url"] + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, context=self._ssl, timeout=30) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as e:
            raise EmulatorError(f"{method} {path}: {e.code} {e.read().decode(errors='replace')}")
        return json.loads(raw) if raw else None

    def state(self):
        """{lowercased resource id: resource} — every ARM resource the emulator holds."""
        return self._control("GET", "/_emulator/state")

    def health(self):
        return self._control("GET", "/_emulator/health")

    def faults(self):
        return self._control("GET", "/_emulator/faults")

    def set_faults(self, **faults):
        return self._control("PUT", "/_emulator/faults", faults)

    def clear_faults(self):
        return self._control("DELETE", "/_emulator/faults")

    def register_principal(self, object_id=None, display_name=None, kind="User", **extra):
        body = dict(extra, kind=kind)
        if object_id:
            body["object_id"] = str(object_id)
        if display_name:
            body["display_name"] = display_name
        return self._control("POST", "/_emulator/principals", body)

    def set_quota(self, location, family, limit):
        """Set one limit of a region's ML quota table (what Usages_List/Quotas_List report):
        ``family`` is a VM family ("standardDSv2Family") or "totalDedicated",
        "totalLowPriority", "clusters". Returns the region's whole table."""
        return self._control("PUT", "/_emulator/quotas",
                             {"location": location, "family": family, "limit": int(limit)})

    def credential(self, **kwargs):
        """A real azure-identity ClientSecretCredential for this emulator."""
        from azure.identity import ClientSecretCredential
        ep = self.endpoint
        return ClientSecretCredential(ep["tenant_id"], ep["client_id"], ep["client_secret"],
                                      authority=ep["arm_url"], disable_instance_discovery=True,
                                      connection_verify=ep["ca_cert"], **kwargs)

    def client(self, cls, api_version, credential=None, **kwargs):
        """An official mgmt SDK client pointed at the emulator (fast polling)."""
        ep = self.endpoint
        kwargs.setdefault("polling_interval", 0.02)
        return cls(credential or self.credential(), ep["subscription_id"],
                   base_url=ep["arm_url"] + "/", api_version=api_version,
                   credential_scopes=["https://management.azure.com/.default"],
                   connection_verify=ep["ca_cert"], **kwargs)
