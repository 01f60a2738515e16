"""Every x-ms-examples file of the ML and ACR specs, replayed through swagger.SpecIndex.

For each example: the URL built from the operation's template and the example's path
parameters must match() that operation (so routing is tested too), the request (path/query
parameters and body) must validate with zero errors, and every example response must validate
against the documented response. Examples that genuinely contradict their spec are listed in
KNOWN_SPEC_GAPS with the exact error codes they produce, so a gap can neither hide another
error nor outlive its cause.
"""

import json
import os
import urllib.parse

import pytest

from emulator import swagger

SPEC_ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                         "emulator", "specs")
PROVIDERS = ("Microsoft.MachineLearningServices", "Microsoft.ContainerRegistry")

# example file (relative to SPEC_ROOT) -> (where: 'request' | 'responses', error codes, reason).
# Empty: the datastore examples that answer credentials.secrets as {"secretsType": ...} (the kind
# of a write-only secret, no value) validate, as Azure answers them.
KNOWN_SPEC_GAPS = {}

INDEX = swagger.SpecIndex(SPEC_ROOT)


def _example_cases():
    cases = []
    for spec_file, doc in sorted(INDEX._docs.items()):
        if not any("/%s/" % p in spec_file for p in PROVIDERS):
            continue
        for template, item in (doc.get("paths") or {}).items():
            for method, op in item.items():
                if method not in swagger._METHODS:
                    continue
                for title, ref in sorted((op.get("x-ms-examples") or {}).items()):
                    example = os.path.normpath(os.path.join(os.path.dirname(spec_file), ref["$ref"]))
                    rel = os.path.relpath(example, SPEC_ROOT).replace(os.sep, "/")
                    cases.append(pytest.param(template, method.upper(), op["operationId"], example,
                                              id="%s:%s" % (op["operationId"], rel.split("/examples/")[1])))
    return cases


CASES = _example_cases()


def _url(template, params):
    url = template.split("?")[0]
    for seg in url.split("/"):
        if seg.startswith("{"):
            url = url.replace(seg, urllib.parse.quote(str(params[seg[1:-1]]), safe=""), 1)
    return url


def _errors(template, method, operation_id, example_file):
    with open(example_file, encoding="utf-8-sig") as fh:
        example = json.load(fh)
    params = example["parameters"]
    match = INDEX.match(method, _url(template, params), params["api-version"])
    assert match is not None, "no route for %s %s" % (method, template)
    assert match.operation_id == operation_id
    assert match.exact_version
    query = {}
    for p in match.parameters:
        if p["in"] == "query" and p["name"] in params:
            value = params[p["name"]]
            query[p["name"]] = value if isinstance(value, list) else str(value)
    body = params.get(match.body_parameter["name"]) if match.body_parameter else None
    request = match.validate_request(query, body)
    responses = []
    for status, response in example.get("responses", {}).items():
        responses += match.validate_response(int(status), response.get("body"))
    return request, responses


def test_examples_found():
    # 2024-04-01 ML + 2023-07-01 ACR reference 300 example files between them
    assert len(CASES) == 300


@pytest.mark.parametrize("template,method,operation_id,example_file", CASES)
def test_example_validates(template, method, operation_id, example_file):
    request, responses = _errors(template, method, operation_id, example_file)
    rel = os.path.relpath(example_file, SPEC_ROOT).replace(os.sep, "/")
    gap = KNOWN_SPEC_GAPS.get(rel)
    if gap is None:
        assert request == [], "request: %s" % [str(e) for e in request]
        assert responses == [], "responses: %s" % [str(e) for e in responses]
        return
    where, codes, _reason = gap
    expected_bad, expected_clean = (request, responses) if where == "request" else (responses, request)
    assert expected_clean == [], [str(e) for e in expected_clean]
    assert expected_bad, "listed in KNOWN_SPEC_GAPS but validates now: remove the entry"
    assert {e.code for e in expected_bad} == codes, [str(e) for e in expected_bad]


def test_gap_list_is_current():
    known = {os.path.relpath(c.values[3], SPEC_ROOT).replace(os.sep, "/") for c in CASES}
    assert set(KNOWN_SPEC_GAPS) <= known
