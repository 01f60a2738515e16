"""Faults on demand: region outages, throttling, transient 5xx, slow LROs, ARM's token bucket.

The configuration lives in ``store.faults`` (so it survives restarts) and is set with
``PUT /_emulator/faults`` (merged) and cleared with ``DELETE``. Random decisions use a
seeded ``random.Random`` so tests are deterministic.

Keys:
  outages:       {"westus": "error" | "hang"}       per region
  hang_seconds:  how long a "hang" outage holds the connection (default 30, at most 300)
  throttle:      {"rate": 0.3, "retry_after": 1}      fraction of ARM calls answered 429
  server_errors: {"rate": 0.2, "status": 503}        fraction answered with a 5xx
  lro_delay:     seconds before an LRO completes (overrides --lro-delay)
  deployment_seconds: seconds an online deployment create/update takes (else lro_delay)
  token_bucket:  true | {"reads": [250, 25], "writes": [200, 10], "deletes": [200, 10]}
  seed:          random seed (default 0)
"""
import math
import random
import threading
import time

from .errors import ArmError

DEFAULT_BUCKETS = {"reads": (250, 25.0), "writes": (200, 10.0), "deletes": (200, 10.0)}
MAX_HANG = 300.0


class Hang(Exception):
    """Raised to make the server hold the connection, then close it without a response."""

    def __init__(self, seconds):
        super().__init__(f"hang {seconds}s")
        self.seconds = seconds


def _category(method):
    if method in ("GET", "HEAD"):
        return "reads"
    return "deletes" if method == "DELETE" else "writes"


class Faults:
    def __init__(self, store):
        self.store = store
        self._lock = threading.Lock()
        self._rng = random.Random(store.faults.get("seed", 0))
        self._buckets = {}        # (sub, oid, region, category) -> [tokens, last_refill]

    @property
    def config(self):
        return self.store.faults

    def set(self, changes):
        if not isinstance(changes, dict):
            raise ValueError("faults must be a JSON object")
        allowed = {"outages", "hang_seconds", "throttle", "server_errors", "lro_delay",
                   "token_bucket", "seed", "deployment_seconds"}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"unknown fault keys: {sorted(unknown)}; allowed: {sorted(allowed)}")
        for region, mode in (changes.get("outages") or {}).items():
            if mode not in ("error", "hang"):
                raise ValueError(f"outage mode for {region} must be 'error' or 'hang'")
        with self.store.lock:
            for k, v in changes.items():
                if v is None:
                    self.store.faults.pop(k, None)
                elif k == "outages":
                    self.store.faults[k] = {r.lower().replace(" ", ""): m for r, m in v.items()}
                else:
                    self.store.faults[k] = v
            self.store.save()
        with self._lock:
            if "seed" in changes:
                self._rng = random.Random(changes["seed"])
            if "token_bucket" in changes:
                self._buckets.clear()
        return dict(self.store.faults)

    def clear(self):
        with self.store.lock:
            self.store.faults.clear()
            self.store.save()
        with self._lock:
            self._rng = random.Random(0)
            self._buckets.clear()

    def lro_delay(self, default):
        v = self.config.get("lro_delay")
        return float(v) if v is not None else default

    # ---- checks, in the order ARM's front door would apply them ----------------------------
    def before_request(self, method, subscription, principal_oid):
        """Throttling and transient errors: applied to every authenticated ARM call.

        Returns headers to add to the eventual response (rate-limit counters)."""
        cfg = self.config
        headers = {}
        if cfg.get("token_bucket"):
            headers = self._take_token(method, subscription, principal_oid, cfg["token_bucket"])
        throttle = cfg.get("throttle")
        if throttle and self._roll(throttle.get("rate", 0)):
            ra = throttle.get("retry_after", 1)
            raise ArmError(429, "TooManyRequests", "The request is being throttled as the limit "
                           "has been reached for operation type. For more information, see "
                           "https://aka.ms/armthrottling", headers={"Retry-After": str(ra)})
        errs = cfg.get("server_errors")
        if errs and self._roll(errs.get("rate", 0)):
            status = int(errs.get("status", 503))
            code = {500: "InternalServerError", 502: "BadGateway", 503: "ServiceUnavailable",
                    504: "GatewayTimeout"}.get(status, "InternalServerError")
            raise ArmError(status, code, "The server encountered a transient error (injected "
                           "fault). Please retry the request.")
        return headers

    def check_region(self, region):
        """Region outage: error (503) or hang for calls on resources in that region."""
        if not region:
            return
        mode = (self.config.get("outages") or {}).get(region.lower().replace(" ", ""))
        if mode == "error":
            raise ArmError(503, "ServiceUnavailable", f"The service is unavailable in region "
                           f"'{region}' (injected outage). Please retry later.")
        if mode == "hang":
            raise Hang(min(float(self.config.get("hang_seconds", 30)), MAX_HANG))

    def _roll(self, rate):
        with self._lock:
            return self._rng.random() < float(rate)

    def _take_token(self, method, subscription, oid, spec):
        """ARM's token bucket (2024): per subscription, principal and region.

        The region here is the ARM instance serving the caller, which for one client is always
        the same, so the key is (subscription, principal); see
        https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling
        """
        buckets = dict(DEFAULT_BUCKETS)
        if isinstance(spec, dict):
            for k in buckets:
                if k in spec:
                    buckets[k] = tuple(spec[k])
        cat = _category(method)
        burst, rate = buckets[cat]
        now = time.monotonic()
        key = (subscription.lower(), oid, "local", cat)
        with self._lock:
            tokens, last = self._buckets.get(key, (float(burst), now))
            tokens = min(float(burst), tokens + (now - last) * rate)
            header = {"reads": "x-ms-ratelimit-remaining-subscription-reads",
                      "writes": "x-ms-ratelimit-remaining-subscription-writes",
                      "deletes": "x-ms-ratelimit-remaining-subscription-deletes"}[cat]
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                wait = max(1, math.ceil((1.0 - tokens) / rate))
                raise ArmError(429, "TooManyRequests", "The request is being throttled as the "
                               "limit has been reached for operation type - "
                               f"{'Read' if cat == 'reads' else 'Write' if cat == 'writes' else 'Delete'}"
                               "_ObservationWindow. For more information, see "
                               "https://aka.ms/armthrottling",
                               headers={"Retry-After": str(wait), header: "0"})
            tokens -= 1.0
            self._buckets[key] = (tokens, now)
            return {header: str(int(tokens))}
