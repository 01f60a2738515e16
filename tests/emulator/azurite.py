"""Azurite (Microsoft's storage emulator) as the blob data plane of the emulated storage accounts.

One ``azurite-blob`` process per emulator state directory, path-style URLs
(``http://127.0.0.1:PORT/<account>/<container>/<blob>``), one Azurite account per emulated
storage account with the account's real name and both of its keys, so SharedKey and SAS
signatures made by azure-storage-blob with the keys that ``listKeys`` returns are checked for
real (a wrong key is a 403 ``AuthorizationFailure``).

Azurite reads ``AZURITE_ACCOUNTS`` only when it starts (and once a minute). ``ensure_accounts``
hands a changed account set to the running process instead of restarting it (~1.5 s of module
loading per restart): ``azurite_accounts.js``, preloaded with ``NODE_OPTIONS=--require``, watches
``<state_dir>/azurite/accounts`` and refreshes Azurite's account store in place (~50 ms). When
that is not available (another Azurite build, a stand-in binary) or does not acknowledge in
time, Azurite is restarted on the same port with the same ``--location``.
Blob data lives on disk under ``<state_dir>/azurite`` and survives restarts. The port is kept
in ``<state_dir>/azurite/port`` so endpoints stored in the resources
(``primaryEndpoints.blob``) stay valid across emulator restarts too.

The process runs in its own process group; ``stop()`` terminates the whole group (TERM, wait,
KILL). The pid is kept in ``<state_dir>/azurite/pid``: a process left behind by an emulator
that was killed with -9 is found and ended by the next ``start()`` (it holds our port).
"""
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_BIN = os.path.join(REPO_ROOT, "node_modules", ".bin", "azurite-blob")
HOT_RELOAD_JS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "azurite_accounts.js")
HOT_RELOAD_TIMEOUT = 5.0
START_TIMEOUT = float(os.environ.get("AMLOPS_AZURITE_START_TIMEOUT", "30"))


# Where hooks.py keeps the storage account keys in the emulator state (store.secrets).
STATE_KEYS = "storageAccountKeys"


class AzuriteError(RuntimeError):
    pass


def accounts_from_state(state_dir):
    """{name: (key1, key2)} of the emulated storage accounts saved in the state dir (state.db,
    or a pre-SQLite state.json) so an Azurite started by a restarted emulator serves them
    before any new request."""
    from .store import read_table
    try:
        keys = read_table(str(state_dir), "secrets", STATE_KEYS)
        if keys is None:
            with open(os.path.join(state_dir, "state.json"), encoding="utf-8") as f:
                keys = (json.load(f).get("secrets") or {}).get(STATE_KEYS)
    except (OSError, ValueError):
        return {}
    out = {}
    for name, rec in (keys or {}).items():
        if isinstance(rec, dict) and rec.get("key1"):
            out[name] = (rec["key1"], rec.get("key2"))
    return out


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pid_alive(pid):
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            if f.read().rsplit(")", 1)[-1].split()[0] == "Z":      # a zombie is gone
                return False
    except (OSError, IndexError):
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


class AzuriteManager:
    """Runs and reconfigures the one Azurite blob process of an emulator state directory."""

    def __init__(self, state_dir, port=None, node_bin=None):
        self.state_dir = os.path.abspath(state_dir)
        self.location = os.path.join(self.state_dir, "azurite")
        os.makedirs(self.location, exist_ok=True)
        self._port_file = os.path.join(self.location, "port")
        self._pid_file = os.path.join(self.location, "pid")
        self.log_path = os.path.join(self.location, "azurite.log")
        exe = node_bin or os.environ.get("AMLOPS_AZURITE_BIN") or DEFAULT_BIN
        if os.path.isdir(exe):
            exe = os.path.join(exe, "azurite-blob")
        self.exe = exe
        self.port = int(port) if port else self._saved_port()
        self.accounts = {}          # name -> (key1, key2 or None), what the process was given
        self._proc = None
        self._accounts_file = os.path.join(self.location, "accounts")
        self._seq = 0
        self.restarts = 0           # account changes that needed a restart (for tests/benchmarks)
        self.reloads = 0            # account changes applied in place
        self._lock = threading.RLock()

    # ---- port ---------------------------------------------------------------------------
    def _saved_port(self):
        try:
            with open(self._port_file, encoding="utf-8") as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def _save(self, path, text):
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)

    # ---- endpoints ----------------------------------------------------------------------
    @property
    def blob_url(self):
        """``http://127.0.0.1:PORT`` (no account)."""
        return f"http://127.0.0.1:{self.port}" if self.port else None

    def blob_endpoint(self, account):
        return f"http://127.0.0.1:{self.port}/{account}/"

    def connection_string(self, account, key):
        return (f"DefaultEndpointsProtocol=http;AccountName={account};AccountKey={key};"
                f"BlobEndpoint={self.blob_endpoint(account).rstrip('/')};")

    # ---- lifecycle ----------------------------------------------------------------------
    @property
    def running(self):
        return self._proc is not None and self._proc.poll() is None

    def start(self, accounts=None):
        """Start Azurite (idempotent). ``accounts``: {name: key | (key1, key2)}; by default
        the storage accounts saved in the state directory (none: Azurite's devstoreaccount1)."""
        with self._lock:
            if accounts is not None:
                self.accounts = self._normalize(accounts)
            elif not self.accounts and self._proc is None:
                self.accounts = accounts_from_state(self.state_dir)
            if self.running:
                return self
            if not os.path.exists(self.exe):
                raise AzuriteError(f"Azurite is not installed: {self.exe} does not exist "
                                   "(run `npm install` at the repository root)")
            self._reap_stale()
            if not self.port:
                self.port = _free_port()
            self._save(self._port_file, str(self.port))
            env = dict(os.environ)
            env.pop("AZURITE_ACCOUNTS", None)
            if self.accounts:
                env["AZURITE_ACCOUNTS"] = self._accounts_value(self.accounts)
            store_js = self._account_store_js()
            if store_js:
                self._write_accounts_file(self.accounts)
                env["AMLOPS_AZURITE_ACCOUNTS_FILE"] = self._accounts_file
                env["AMLOPS_AZURITE_ACCOUNT_STORE"] = store_js
                env["NODE_OPTIONS"] = (env.get("NODE_OPTIONS", "") +
                                       f' --require "{HOT_RELOAD_JS}"').strip()
            cmd = [self.exe, "--blobHost", "127.0.0.1", "--blobPort", str(self.port),
                   "--loose", "--skipApiVersionCheck", "--disableTelemetry", "--silent",
                   "--location", self.location]
            log = open(self.log_path, "ab")
            try:
                log.write(f"\n=== {time.strftime('%Y-%m-%dT%H:%M:%S')} start port {self.port} "
                          f"accounts {sorted(self.accounts)}\n".encode())
                log.flush()
                self._proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL,
                                              stdout=log, stderr=subprocess.STDOUT,
                                              cwd=self.location, start_new_session=True)
            finally:
                log.close()
            self._save(self._pid_file, json.dumps({"pid": self._proc.pid, "port": self.port}))
            try:
                self._wait_ready()
            except Exception:
                self._terminate()
                raise
            return self

    def stop(self):
        with self._lock:
            self._terminate()

    def restart(self):
        with self._lock:
            self._terminate()
            return self.start()

    def ensure_accounts(self, accounts):
        """Make Azurite serve exactly these accounts ({name: key | (key1, key2)}): applied in
        place when the set or a key changed, else by a restart (same port, same data); starts
        it if needed. True when something changed."""
        wanted = self._normalize(accounts)
        with self._lock:
            if wanted == self.accounts and self.running:
                return False
            if self.running and self._reload(wanted):
                self.accounts = wanted
                self.reloads += 1
                return True
            self.accounts = wanted
            self._terminate()
            self.start()
            self.restarts += 1
            return True

    # ---- accounts without a restart ------------------------------------------------------
    @staticmethod
    def _accounts_value(accounts):
        return ";".join(f"{n}:{k1}:{k2}" if k2 else f"{n}:{k1}"
                        for n, (k1, k2) in sorted(accounts.items()))

    def _account_store_js(self):
        """Azurite's AccountDataStore module next to the real azurite-blob (None if absent)."""
        if not os.path.exists(HOT_RELOAD_JS):
            return None
        main = os.path.realpath(self.exe)
        cand = os.path.join(os.path.dirname(os.path.dirname(main)), "common",
                            "AccountDataStore.js")
        return cand if main.endswith(os.path.join("blob", "main.js")) and \
            os.path.exists(cand) else None

    def _write_accounts_file(self, accounts):
        self._seq += 1
        tmp = self._accounts_file + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(f"{os.getpid()}-{self._seq}\n{self._accounts_value(accounts)}\n")
        os.replace(tmp, self._accounts_file)
        return f"{os.getpid()}-{self._seq}"

    def _reload(self, accounts):
        """Hand the running Azurite a new account list; True once it acknowledged."""
        if not self._account_store_js():
            return False
        seq = self._write_accounts_file(accounts)
        deadline = time.time() + HOT_RELOAD_TIMEOUT
        while time.time() < deadline and self.running:
            try:
                with open(self._accounts_file + ".ack", encoding="utf-8") as f:
                    if f.read().strip() == seq:
                        return True
            except OSError:
                pass
            time.sleep(0.01)
        return False

    # ---- internals ----------------------------------------------------------------------
    @staticmethod
    def _normalize(accounts):
        out = {}
        for name, keys in (accounts or {}).items():
            if isinstance(keys, (list, tuple)):
                k1 = keys[0]
                k2 = keys[1] if len(keys) > 1 else None
            else:
                k1, k2 = keys, None
            out[str(name)] = (k1, k2)
        return out

    def _terminate(self):
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=5)
        # the group may still hold a child (node re-exec'd by env): make sure it is gone
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            os.unlink(self._pid_file)
        except OSError:
            pass

    def _reap_stale(self):
        """End an Azurite left behind for this state dir by a killed emulator."""
        try:
            with open(self._pid_file, encoding="utf-8") as f:
                pid = int(json.load(f)["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            return
        if pid == os.getpid() or not _pid_alive(pid):
            return
        cmd = _cmdline(pid)
        if "azurite" not in cmd or self.location not in cmd:
            return                           # the pid was reused by something else
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                return
            except PermissionError:
                os.kill(pid, sig)
            deadline = time.time() + 5
            while time.time() < deadline and _pid_alive(pid):
                time.sleep(0.05)
            if not _pid_alive(pid):
                return

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 16384))
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def _wait_ready(self, timeout=None):
        """Bounded wait until Azurite answers HTTP on its port."""
        timeout = START_TIMEOUT if timeout is None else timeout
        deadline = time.time() + timeout
        url = f"{self.blob_url}/devstoreaccount1?comp=list"
        last = None
        while time.time() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                code = None if self._proc is None else self._proc.returncode
                raise AzuriteError(f"Azurite exited (code {code}) before answering on port "
                                   f"{self.port}; log tail:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(url, timeout=1):
                    return
            except urllib.error.HTTPError:
                return                       # any HTTP answer (403/400) means it is serving
            except (OSError, urllib.error.URLError) as e:
                last = e
            time.sleep(0.1)
        raise AzuriteError(f"Azurite did not answer on 127.0.0.1:{self.port} within "
                           f"{timeout:.0f}s ({last}); log tail:\n{self.log_tail()}")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
