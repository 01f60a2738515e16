"""Traffic recording in the format of Microsoft's ``oav validate-traffic``.

One JSON file per ARM request that matched a spec operation, at whatever api-version the
client sent (the vendored spec's or another real version the emulator served against the
closest spec; ``emulator.oav_check`` validates the latter as the vendored version), so
``oav validate-traffic DIR SPEC`` can check the emulator and its clients independently. Poll
URLs are not spec operations and are never recorded, nor are requests no spec operation
matches. Secrets in headers (Authorization) are redacted.
"""
import itertools
import json
import os
import threading
import time
from urllib.parse import parse_qs, urlsplit

REDACT = {"authorization", "cookie", "x-ms-authorization-auxiliary"}


class Recorder:
    def __init__(self, traffic_dir):
        self.dir = traffic_dir
        os.makedirs(traffic_dir, exist_ok=True)
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self._prefix = time.strftime("%Y%m%dT%H%M%S")

    def record(self, method, url, req_headers, req_body, status, resp_headers, resp_body):
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}
        doc = {
            "liveRequest": {
                "headers": {k: ("<redacted>" if k.lower() in REDACT else v)
                            for k, v in req_headers.items()},
                "method": method,
                "url": url,
                "query": query,
            },
            "liveResponse": {
                "statusCode": str(status),
                "headers": dict(resp_headers.items()),
            },
        }
        # No "body" key at all for a request/response without one (oav reads it as absent).
        if req_body is not None:
            doc["liveRequest"]["body"] = req_body
        if resp_body is not None:
            doc["liveResponse"]["body"] = resp_body
        with self._lock:
            n = next(self._seq)
        name = f"{self._prefix}-{os.getpid()}-{n:06d}-{method}-{status}.json"
        tmp = os.path.join(self.dir, "." + name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1)
        os.replace(tmp, os.path.join(self.dir, name))
