"""Check recorded traffic with Microsoft's own validator: ``oav validate-traffic``.

    PYTHONPATH=tests python -m emulator.oav_check TRAFFIC_DIR [--report FILE] [--known-gaps FILE]

The traffic files (written by ``emulator.recording``, one JSON per request: ``liveRequest``/
``liveResponse``) are grouped by the swagger file that defines their operation (routed with
``emulator.swagger.SpecIndex`` from the method, path and api-version), and oav 4.0.0 runs once
per group (``oav validate-traffic <dir> <spec.json> --jsonReport <file>``; oav 4.0.3 is broken,
4.0.0 works). Its JSON reports are merged into one summary: operations covered, passed, failed,
and each failure's oav error code.

Traffic sent at an api-version other than the vendored spec's (azure-ai-ml sends previews such as
workspaces 2024-10-01-preview, models 2023-08-01-preview, data/environments/jobs
2023-04-01-preview; the emulator serves them against the closest spec on hand) is validated
against the vendored version: the copy given to oav has its api-version rewritten to the spec's,
in groups of their own, and the summary lists, per spec, which versions were sent and how
often. What that cannot check: properties the preview schema has and the vendored one lacks
(oav accepts unknown properties unless a schema forbids them) and preview-only constraints.
Requests the emulator could not route to any spec operation are not recorded.

Traffic answered with an error (4xx/5xx) is checked in groups of its own, where two findings are
expected rather than failures: request errors (a negative test sent an invalid request on
purpose and the emulator refused it, as Azure does) and INVALID_RESPONSE_CODE for an operation
whose spec declares no error response at all (the storage and ACR specs, for most operations)
when the body is ARM's standard error shape. Both are listed as "expected" in the summary.

Exit status: 0 when every failure is listed in ``tests/emulator/oav_known_gaps.yml`` (entries
``{operationId, code, reason}``, for spec gaps only: the real service does something the spec
does not describe), 1 when a failure is not listed (an emulator or collection bug, or a new spec
gap to document), 2 when the check itself could not run.
"""
import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
OAV = os.path.join(REPO_ROOT, "node_modules", ".bin", "oav")
SPEC_ROOT = os.path.join(HERE, "specs")
KNOWN_GAPS = os.path.join(HERE, "oav_known_gaps.yml")
UNROUTED = "UNROUTED_TRAFFIC"
OAV_WORKERS = max(1, min(4, os.cpu_count() or 1))


class CheckError(Exception):
    pass


# ------------------------------------------------------------------------------ inputs
def load_known_gaps(path):
    if not path or not os.path.exists(path):
        return []
    import yaml
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f) or []
    if isinstance(data, dict):
        data = data.get("gaps") or []
    out = []
    for i, entry in enumerate(data):
        if not isinstance(entry, dict) or not entry.get("operationId") or not entry.get("code") \
                or not entry.get("reason"):
            raise CheckError(f"{path}: entry {i} needs operationId, code and reason: {entry!r}")
        out.append(entry)
    return out


def is_known(gaps, operation_id, code):
    for g in gaps:
        if g["code"] == code and g["operationId"] in ("*", operation_id):
            return g
    return None


def traffic_files(traffic_dir):
    for root, _dirs, files in os.walk(traffic_dir):
        for fn in sorted(files):
            if fn.endswith(".json") and not fn.startswith("."):
                yield os.path.join(root, fn)


def error_answer(path):
    """(status >= 400, ARM error shape) of a traffic file's response."""
    try:
        with open(path, encoding="utf-8") as f:
            resp = json.load(f).get("liveResponse") or {}
        status = int(resp.get("statusCode") or 0)
    except (OSError, ValueError, TypeError):
        return False, False
    body = resp.get("body")
    arm = isinstance(body, dict) and isinstance(body.get("error"), dict) and \
        {"code", "message"} <= set(body["error"])
    return status >= 400, arm


def _declares_errors(index, spec, operation_id):
    """Whether the spec gives the operation any error response (default or 4xx/5xx)."""
    doc = index._docs.get(spec) or {}
    for item in (doc.get("paths") or {}).values():
        for op in item.values():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                codes = set(op.get("responses") or {})
                return "default" in codes or any(c[:1] in "45" for c in codes)
    return True


EXPECTED_REQUEST = ("negative test: an invalid request, refused by the emulator with an error "
                    "as Azure refuses it")
EXPECTED_NO_ERRORS = ("ARM error body; the spec declares no error response for this operation "
                      "(Azure answers errors in ARM's standard shape anyway)")


def route(index, path):
    """(spec file, operationId, api-version sent, spec api-version) of a traffic file, or
    (None, reason, None, None)."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        req = doc["liveRequest"]
        url = urlsplit(req["url"])
        query = dict(req.get("query") or {})
        query.update({k: v[0] for k, v in parse_qs(url.query).items()})
        api = query.get("api-version")
        method = req["method"].upper()
    except (OSError, ValueError, KeyError, TypeError) as e:
        return None, f"not a traffic file ({e})", None, None
    if not api:
        return None, "no api-version", None, None
    match = index.match(method, url.path, api)
    if match is None:
        return None, f"no spec operation for {method} {url.path} at api-version {api}", None, None
    spec_version = getattr(match, "spec_api_version", None) or api
    return match.spec_file, match.operation_id, api, spec_version


def copy_as_version(src, dst, api_version):
    """Copy a traffic file, its request's api-version rewritten (URL and query)."""
    with open(src, encoding="utf-8") as f:
        doc = json.load(f)
    req = doc["liveRequest"]
    parts = urlsplit(req["url"])
    query = [(k, api_version if k == "api-version" else v)
             for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    req["url"] = urlunsplit(parts._replace(query=urlencode(query)))
    req["query"] = dict(req.get("query") or {}, **{"api-version": api_version})
    with open(dst, "w", encoding="utf-8") as f:
        json.dump(doc, f)


# --------------------------------------------------------------------------------- oav
def run_oav(group_dir, spec, report_path, oav=OAV, timeout=600):
    if not os.path.exists(oav):
        raise CheckError(f"oav is not installed: {oav} does not exist (run `npm install`)")
    cmd = [oav, "validate-traffic", group_dir, spec, "--jsonReport", report_path,
           "--report", report_path[:-5] + ".html", "-l", "error"]
    proc = subprocess.run(cmd, check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout,
                          text=True, cwd=group_dir)
    if not os.path.exists(report_path):
        tail = "\n".join(proc.stdout.splitlines()[-20:])
        raise CheckError(f"oav wrote no report for {spec} (exit {proc.returncode}):\n{tail}")
    with open(report_path, encoding="utf-8") as f:
        return json.load(f), proc.stdout


def check(traffic_dir, known_gaps_path=KNOWN_GAPS, spec_root=SPEC_ROOT, oav=OAV, index=None):
    """Validate a traffic directory; returns the summary dict (see ``format_summary``)."""
    if index is None:
        sys.path.insert(0, os.path.dirname(HERE))
        from emulator.swagger import SpecIndex
        index = SpecIndex(spec_root)
    gaps = load_known_gaps(known_gaps_path)
    groups, unrouted = {}, []
    arm_errors = {}               # (spec, operationId) -> every error answer had ARM's shape
    other_versions = {}           # spec -> {api-version sent: files} (validated as the spec's)
    for path in traffic_files(traffic_dir):
        spec, op, sent, spec_version = route(index, path)
        if spec is None:
            unrouted.append({"file": path, "reason": op})
        else:
            is_error, arm = error_answer(path)
            if is_error:
                arm_errors[(spec, op)] = arm_errors.get((spec, op), True) and arm
            rewrite = spec_version if sent != spec_version else None
            if rewrite:
                counts = other_versions.setdefault(spec, {})
                counts[sent] = counts.get(sent, 0) + 1
            groups.setdefault((spec, is_error, rewrite or ""), []).append((path, op, sent))
    summary = {"traffic_dir": os.path.abspath(traffic_dir), "files": 0, "specs": [], "failures": [],
               "unrouted": unrouted}
    work = tempfile.mkdtemp(prefix="oav-check-")
    expected_found = {}
    try:
        per_spec = {}
        ordered = sorted(groups.items())
        jobs = []
        for n, ((spec, _is_error, rewrite), items) in enumerate(ordered):
            gdir = os.path.join(work, f"group{n}")
            os.makedirs(gdir)
            for path, _op, _sent in items:
                if rewrite:
                    copy_as_version(path, os.path.join(gdir, os.path.basename(path)), rewrite)
                else:
                    shutil.copy(path, os.path.join(gdir, os.path.basename(path)))
            summary["files"] += len(items)
            jobs.append((gdir, spec, os.path.join(work, f"report{n}.json")))
        # oav spends ~2 s starting per group: the groups run side by side
        with concurrent.futures.ThreadPoolExecutor(max_workers=OAV_WORKERS) as pool:
            reports = list(pool.map(lambda j: run_oav(j[0], j[1], j[2], oav=oav), jobs))
        for ((spec, is_error, rewrite), items), (report, _out) in zip(ordered, reports):
            sent_versions = sorted({sent for _p, _op, sent in items}) if rewrite else []
            passed = sorted({o for e in report.get("passedOperationsList") or []
                             for o in e.get("operationIds") or []})
            failed = {}
            for err in report.get("errors") or []:
                op = err.get("operationId") or (err.get("operationInfo") or {}).get("operationId") or "?"
                code = err.get("errorCode") or "?"
                expected = None
                if is_error and err.get("issueSource") == "request":
                    expected = EXPECTED_REQUEST
                elif is_error and code == "INVALID_RESPONSE_CODE" and \
                        arm_errors.get((spec, op)) and not _declares_errors(index, spec, op):
                    expected = EXPECTED_NO_ERRORS
                if expected:
                    ekey = (op, code)
                    e = expected_found.setdefault(ekey, {"operationId": op, "code": code,
                                                         "count": 0, "known": True,
                                                         "expected": True, "reason": expected,
                                                         "spec": spec})
                    e["count"] += 1
                    continue
                key = (op, code)
                entry = failed.setdefault(key, {"operationId": key[0], "code": key[1], "count": 0,
                                                "message": err.get("errorMessage"),
                                                "source": err.get("issueSource"), "spec": spec})
                if sent_versions:          # traffic sent at another version, rewritten
                    entry["sent_versions"] = sent_versions
                    entry["message"] = (f"(sent at api-version {', '.join(sent_versions)}, "
                                        f"validated as {rewrite}) {entry['message'] or ''}")
                entry["count"] += 1
            for entry in failed.values():
                gap = is_known(gaps, entry["operationId"], entry["code"])
                entry["known"] = bool(gap)
                if gap:
                    entry["reason"] = gap["reason"]
                summary["failures"].append(entry)
            sp = per_spec.setdefault(spec, {
                "spec": _short_spec(spec), "files": 0, "covered": set(),
                "all": report.get("allOperations"), "passed": set(), "failed": set(),
                "operations": set(), "other_versions": other_versions.get(spec, {})})
            sp["files"] += len(items)
            sp["passed"] |= set(passed) if not is_error else set()
            sp["failed"] |= {k[0] for k in failed}
            sp["operations"] |= {op for _p, op, _sent in items}
        for spec, sp in sorted(per_spec.items()):
            # an operation passes when none of its traffic (success or error answers) failed
            sp["passed"] = sorted((sp["passed"] | sp["operations"]) - sp["failed"])
            sp["failed"] = sorted(sp["failed"])
            sp["covered"] = len(sp["operations"])
            sp["operations"] = sorted(sp["operations"])
            summary["specs"].append(sp)
        summary["failures"].extend(expected_found.values())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for u in unrouted:
        gap = is_known(gaps, "*", UNROUTED)
        summary["failures"].append({"operationId": "?", "code": UNROUTED, "count": 1,
                                    "message": f"{os.path.basename(u['file'])}: {u['reason']}",
                                    "known": bool(gap), "spec": None})
    summary["unknown_failures"] = sum(1 for f in summary["failures"] if not f["known"])
    return summary


def _short_spec(spec):
    """.../Microsoft.Storage/stable/2023-01-01/storage.json -> Microsoft.Storage/2023-01-01/storage.json"""
    parts = spec.replace(os.sep, "/").split("/")
    return "/".join(parts[-4:-3] + parts[-2:]) if len(parts) >= 4 else spec


def format_summary(s):
    lines = [f"oav validate-traffic: {s['files']} traffic files in {s['traffic_dir']}", ""]
    lines.append(f"{'spec':<60} {'files':>5} {'covered':>8} {'passed':>6} {'failed':>6}")
    for sp in s["specs"]:
        lines.append(f"{sp['spec'][-60:]:<60} {sp['files']:>5} {str(sp['covered']) + '/' + str(sp['all']):>8} "
                     f"{len(sp['passed']):>6} {len(sp['failed']):>6}")
    others = [(sp["spec"], v, n) for sp in s["specs"]
              for v, n in sorted((sp.get("other_versions") or {}).items())]
    if others:
        lines += ["", "traffic sent at other api-versions, validated against the vendored spec's "
                      "version (preview-only properties and constraints are not checked):"]
        lines += [f"  {spec[-60:]:<60} {version:<22} {n:>5} files" for spec, version, n in others]
    if s["failures"]:
        lines += ["", f"{'operation':<45} {'code':<32} {'n':>3}  status"]
        for f in sorted(s["failures"], key=lambda f: (f["known"], f["operationId"], f["code"])):
            status = ("expected: " if f.get("expected") else "known gap: ") + f.get("reason", "") \
                if f["known"] else "FAIL"
            lines.append(f"{f['operationId'][:45]:<45} {f['code'][:32]:<32} {f['count']:>3}  {status}")
            if not f["known"] and f.get("message"):
                lines.append(f"{'':<45} {f['message'][:150]}")
    lines += ["", f"{s['unknown_failures']} failure(s) not listed in oav_known_gaps.yml"]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m emulator.oav_check", description=__doc__.split("\n\n", maxsplit=1)[0])
    ap.add_argument("traffic_dir")
    ap.add_argument("--report", help="write the summary as JSON to this file")
    ap.add_argument("--known-gaps", default=KNOWN_GAPS)
    ap.add_argument("--oav", default=OAV)
    args = ap.parse_args(argv)
    try:
        if not os.path.isdir(args.traffic_dir):
            raise CheckError(f"{args.traffic_dir} is not a directory")
        summary = check(args.traffic_dir, args.known_gaps, oav=args.oav)
    except (CheckError, subprocess.TimeoutExpired) as e:
        print(f"oav_check: {e}", file=sys.stderr)
        return 2
    print(format_summary(summary))
    if args.report:
        with open(args.report, "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=1)
    return 1 if summary["unknown_failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
