"""CLI: ``python -m emulator serve ...`` and ``python -m emulator ctl ...``."""
import argparse
import json
import os
import ssl
import sys
import urllib.request


def _ctl_request(state_dir, method, path, body=None):
    with open(os.path.join(state_dir, "endpoint.json")) as f:
        ep = json.load(f)
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(ep["arm_url"] + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    ctx = ssl.create_default_context(cafile=ep["ca_cert"])
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m emulator")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve", help="run the emulator (writes STATE_DIR/endpoint.json when ready)")
    s.add_argument("--state-dir", required=True)
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--lro-delay", type=float, default=0.2)
    s.add_argument("--page-size", type=int, default=50)
    s.add_argument("--traffic-dir")
    s.add_argument("--strict-responses", action="store_true")
    c = sub.add_parser("ctl", help="talk to a running emulator's control API")
    c.add_argument("--state-dir", required=True)
    c.add_argument("action", choices=["health", "state", "faults", "clear-faults",
                                      "register-principal"])
    c.add_argument("json", nargs="?", help="faults JSON (for 'faults': sets them; omit to show) "
                                           "or principal JSON (register-principal)")
    a = p.parse_args(argv)
    if a.cmd == "serve":
        from .server import serve
        serve(a.state_dir, port=a.port, lro_delay=a.lro_delay, page_size=a.page_size,
              traffic_dir=a.traffic_dir, strict_responses=a.strict_responses)
        return 0
    body = json.loads(a.json) if a.json else None
    if a.action == "health":
        status, out = _ctl_request(a.state_dir, "GET", "/_emulator/health")
    elif a.action == "state":
        status, out = _ctl_request(a.state_dir, "GET", "/_emulator/state")
    elif a.action == "faults":
        status, out = _ctl_request(a.state_dir, "PUT" if body is not None else "GET",
                                   "/_emulator/faults", body)
    elif a.action == "clear-faults":
        status, out = _ctl_request(a.state_dir, "DELETE", "/_emulator/faults")
    else:
        status, out = _ctl_request(a.state_dir, "POST", "/_emulator/principals", body or {})
    print(json.dumps(out, indent=2))
    return 0 if status < 400 else 1


if __name__ == "__main__":
    sys.exit(main())
