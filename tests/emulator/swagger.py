"""Swagger (OpenAPI 2.0) route index and body validator for the ARM emulator.

SpecIndex loads every non-example JSON file under ``<spec_root>/specification``, indexes the
``paths``/``x-ms-paths`` templates of every spec, and hands out ``Match`` objects that know the
operation (LRO, paging, parameters, responses) and validate requests and responses against the
schemas, the way ``oav`` does for ARM specs (unknown properties are errors, readOnly properties in
requests are ignored, discriminators pick the child model, ...).

Standard library only: the emulator must stay light.
"""

import datetime
import json
import os
import re
import urllib.parse
from dataclasses import dataclass

try:
    from .swagger_versions import KNOWN_API_VERSIONS
except ImportError:  # loaded as a top-level module (tests/emulator on sys.path)
    from swagger_versions import KNOWN_API_VERSIONS

__all__ = ["SpecIndex", "Match", "ValidationError", "strip_read_only", "strip_for_response",
           "read_only_paths", "KNOWN_API_VERSIONS", "path_namespace"]

_METHODS = ("get", "put", "post", "patch", "delete", "head", "options")
_SPEC_PATH_RE = re.compile(
    r"resource-manager/(?P<ns>[A-Za-z0-9.]+)/(?:stable|preview)/(?P<ver>[0-9]{4}-[0-9]{2}-[0-9]{2}[A-Za-z0-9-]*)/")


@dataclass
class ValidationError:
    code: str      # oav-style code: INVALID_TYPE, ENUM_MISMATCH, ...
    path: str      # JSON pointer into the body ('/properties/sku/name') or 'path:<param>'/'query:<param>'
    message: str   # human readable, starts with the dotted location

    def __str__(self):
        return "%s: %s" % (self.code, self.message)


# ---------------------------------------------------------------------------------------------
# compiled schemas

class _Schema:
    """A schema with allOf merged, refs resolved and regexes compiled (built once, cached)."""

    __slots__ = ("key", "name", "ref", "type", "format", "enum", "enum_lower", "pattern",
                 "pattern_src", "minimum", "maximum", "exclusive_min", "exclusive_max",
                 "min_length", "max_length", "min_items", "max_items", "unique_items",
                 "nullable", "read_only", "write_only", "secret", "properties", "required",
                 "additional", "items", "discriminator", "disc_value", "disc_table")

    def __init__(self, key):
        self.key = key
        self.name = None          # definition name, for messages and discriminator defaults
        self.ref = None           # overlay: a $ref with sibling x-nullable/readOnly -> target
        self.type = None
        self.format = None
        self.enum = None          # only for non-extensible enums
        self.enum_lower = None
        self.pattern = None
        self.pattern_src = None
        self.minimum = self.maximum = None
        self.exclusive_min = self.exclusive_max = False
        self.min_length = self.max_length = None
        self.min_items = self.max_items = None
        self.unique_items = False
        self.nullable = None      # x-nullable as written: True, False or None (not said)
        self.read_only = False    # readOnly, or x-ms-mutability without create and update
        self.write_only = False   # x-ms-mutability without read: must not appear in responses
        self.secret = False
        self.properties = None    # name -> _Schema (merged over allOf), None when not an object
        self.required = ()
        self.additional = None    # None: not allowed; True: anything; _Schema: typed
        self.items = None
        self.discriminator = None  # property name (declared here or inherited)
        self.disc_value = None
        self.disc_table = None    # lazily: discriminator value -> _Schema (self + descendants)


def _target(s):
    while s.ref is not None:
        s = s.ref
    return s


def _kind_only(schema, value):
    """``value`` is {discriminator: kind} of a polymorphic ``schema``, nothing else."""
    disc = getattr(schema, "discriminator", None)
    return bool(disc) and isinstance(value, dict) and list(value) == [disc]


def _escape(token):
    return token.replace("~", "~0").replace("/", "~1")


def _unescape(token):
    return token.replace("~1", "/").replace("~0", "~")


def _dotted(parts):
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += "[%d]" % p
        else:
            out += ("." if out else "") + p
    return out or "(body)"


def _pointer(parts):
    return "".join("/" + _escape(str(p)) for p in parts)


def _short(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


# Formats are checked loosely (ARM services are lenient on the exact lexical forms) but a value
# that is plainly not of the format is an INVALID_FORMAT, as oav reports it.
_DATE_TIME_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*([Zz]|[+-]\d{2}:?\d{2})?$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# ISO 8601 durations (what the specs say); .NET TimeSpan text ("1.02:03:04.5") is accepted too,
# because ARM services deserialise durations with XmlConvert/TimeSpan and accept both.
_DURATION_RE = re.compile(
    r"^-?P(?=\d|T\d)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?"
    r"(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$")
_TIMESPAN_RE = re.compile(r"^-?(\d+\.)?\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
_BASE64_RE = re.compile(r"^[A-Za-z0-9+/_-]*={0,2}$")
_INT_RANGES = {"int32": (-2 ** 31, 2 ** 31 - 1), "int64": (-2 ** 63, 2 ** 63 - 1)}


def _format_ok(fmt, value):
    if fmt == "date-time":
        return bool(_DATE_TIME_RE.match(value))
    if fmt == "date":
        return bool(_DATE_RE.match(value))
    if fmt == "uuid":
        return bool(_UUID_RE.match(value))
    if fmt == "duration":
        return bool(_DURATION_RE.match(value) or _TIMESPAN_RE.match(value))
    if fmt == "byte":
        return len(value) % 4 != 1 and bool(_BASE64_RE.match(value))
    if fmt in ("uri", "url"):
        return bool(value) and not any(c.isspace() for c in value)
    if fmt == "arm-id":
        return value.startswith("/") and not any(c.isspace() for c in value)
    return True


_JSON_TYPE_NAMES = {dict: "object", list: "array", str: "string", bool: "boolean",
                    int: "integer", float: "number", type(None): "null"}


def _type_ok(expected, value):
    if expected == "string":
        return isinstance(value, str)
    if expected == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer())
    if expected == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "object":
        return isinstance(value, dict)
    if expected == "array":
        return isinstance(value, list)
    if expected == "file":
        return True
    return True


class _Ctx:
    """What kind of validation is running."""

    __slots__ = ("request", "strict_unknown", "check_secrets", "errors")

    def __init__(self, request, strict_unknown, check_secrets=False):
        self.request = request
        self.strict_unknown = strict_unknown
        self.check_secrets = check_secrets
        self.errors = []

    def add(self, code, parts, message):
        self.errors.append(ValidationError(code, _pointer(parts), "%s: %s" % (_dotted(parts), message)))


# ---------------------------------------------------------------------------------------------
# routes

class _Route:
    """One operation of one spec file: a (template, method) pair."""

    __slots__ = ("template", "method", "op", "op_pointer", "item_pointer", "file", "namespace",
                 "version", "segments", "literal_count", "multi_count", "regex", "route_ns",
                 "generic_ns_index", "resource_type", "_resolved")

    def __init__(self):
        self._resolved = None


def _is_multi_segment(param_node):
    # ARM ids and scopes (x-ms-skip-url-encoding) span several segments; names never do.
    if not param_node or not param_node.get("x-ms-skip-url-encoding"):
        return False
    name = param_node.get("name", "").lower()
    return not (name.endswith("name") or name.endswith("namespace"))


def path_namespace(path):
    """The provider namespace ARM routes a URL path to: the segment after the last 'providers'."""
    segs = [s for s in path.split("?")[0].split("/") if s]
    for i in range(len(segs) - 2, -1, -1):
        if segs[i].lower() == "providers":
            return urllib.parse.unquote(segs[i + 1])
    if len(segs) >= 2 and segs[0].lower() == "subscriptions":
        return "Microsoft.Resources"
    return None


def _version_key(version):
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})", version)
    try:
        day = datetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).toordinal()
    except (AttributeError, ValueError):
        day = 0
    return day, "preview" in version.lower()


class SpecIndex:
    """Every spec under ``spec_root/specification``: routes, operations and schemas."""

    def __init__(self, spec_root):
        self.spec_root = os.path.abspath(spec_root)
        self._docs = {}              # absolute file path -> parsed JSON
        self._schemas = {}           # (file, pointer) -> _Schema
        self._children = None        # (file, pointer) -> [(file, pointer)] via allOf
        self._providers = {}         # namespace -> {api_version: [file, ...]}
        self._ns_canon = {}          # lower namespace -> canonical spelling
        # segment trie of the routes without multi-segment params: [literal children by lower
        # case, parameter child, routes ending here]
        self._trie = [{}, None, []]
        self._multi_routes = []      # routes with multi-segment params (regex matched)
        root = os.path.join(self.spec_root, "specification")
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d != "examples")
            for fn in sorted(filenames):
                if fn.endswith(".json"):
                    self._load(os.path.join(dirpath, fn))
        for path, doc in list(self._docs.items()):
            if doc.get("paths") or doc.get("x-ms-paths"):
                self._index_file(path, doc)
        self._warm()

    def _warm(self):
        """Resolve every operation and compile every schema now (about 50 ms): afterwards the
        index is read-only, so request threads can share it without locks."""
        for routes in self._all_routes():
            for r in routes:
                self._route_details(r)
        done = 0
        while done != len(self._schemas):  # discriminator tables may compile more schemas
            done = len(self._schemas)
            for s in list(self._schemas.values()):
                if s.discriminator:
                    self._disc_table(s)

    def _all_routes(self):
        yield self._multi_routes
        todo = [self._trie]
        while todo:
            node = todo.pop()
            yield node[2]
            todo.extend(node[0].values())
            if node[1] is not None:
                todo.append(node[1])

    # -- loading -------------------------------------------------------------------------------

    def _load(self, path):
        doc = self._docs.get(path)
        if doc is None:
            with open(path, encoding="utf-8-sig") as fh:
                doc = json.load(fh)
            self._docs[path] = doc
        return doc

    def _index_file(self, path, doc):
        rel = os.path.relpath(path, self.spec_root).replace(os.sep, "/")
        m = _SPEC_PATH_RE.search(rel)
        namespace = m.group("ns") if m else None
        version = m.group("ver") if m else doc.get("info", {}).get("version")
        for section in ("paths", "x-ms-paths"):
            for template, item in (doc.get(section) or {}).items():
                if namespace is None:
                    lit = self._template_namespace(template)
                    if lit is None:
                        continue
                    ns = lit
                else:
                    ns = namespace
                self._providers.setdefault(ns, {}).setdefault(version, [])
                if path not in self._providers[ns][version]:
                    self._providers[ns][version].append(path)
                self._ns_canon[ns.lower()] = ns
                item_pointer = "/%s/%s" % (section, _escape(template))
                for method in _METHODS:
                    if method in item:
                        self._add_route(path, doc, ns, version, template, method, item,
                                        item_pointer)

    @staticmethod
    def _template_namespace(template):
        segs = template.split("?")[0].strip("/").split("/")
        for i in range(len(segs) - 2, -1, -1):
            if segs[i].lower() == "providers":
                # only the last 'providers' counts: a parameter there means a generic route
                return None if segs[i + 1].startswith("{") else segs[i + 1]
        return None

    def _add_route(self, path, doc, ns, version, template, method, item, item_pointer):
        r = _Route()
        r.template = template
        r.method = method.upper()
        r.op = item[method]
        r.item_pointer = item_pointer
        r.op_pointer = item_pointer + "/" + method
        r.file = path
        r.namespace = ns
        r.version = version
        bare = template.split("?")[0].strip("/")
        r.segments = bare.split("/") if bare else []
        params = {}
        for pnode in list(item.get("parameters", [])) + list(r.op.get("parameters", [])):
            _unused, _unused, resolved = self._deref(path, pnode, "")
            if resolved.get("in") == "path":
                params[resolved.get("name")] = resolved
        r.literal_count = sum(1 for s in r.segments if not s.startswith("{"))
        multi = [s[1:-1] for s in r.segments
                 if s.startswith("{") and _is_multi_segment(params.get(s[1:-1]))]
        r.multi_count = len(multi)
        # Route namespace: the literal after the last 'providers' (what ARM routes on); a
        # '{resourceProviderNamespace}' there makes this a generic route of Microsoft.Resources.
        r.route_ns = self._template_namespace(template) or ns
        r.generic_ns_index = None
        for i in range(len(r.segments) - 2, -1, -1):
            if r.segments[i].lower() == "providers":
                if r.segments[i + 1].startswith("{"):
                    r.generic_ns_index = r.segments[i + 1][1:-1]
                break
        r.resource_type = self._resource_type(r.segments, r.route_ns)
        if r.literal_count == 0:
            # '/{resourceId}' style routes would match any URL: they are client conveniences
            # for the same resources the specific routes serve, so they are not routed.
            return
        if multi:
            rx = ""
            for s in r.segments:
                if s.startswith("{"):
                    name = s[1:-1]
                    grp = "(?P<p%d>.+?)" if name in multi else "(?P<p%d>[^/]+)"
                    rx += "/" + grp % len(rx)
                else:
                    rx += "/" + re.escape(s)
            r.regex = re.compile("^" + rx + "$", re.IGNORECASE)
            self._multi_routes.append(r)
        else:
            r.regex = None
            node = self._trie
            for s in r.segments:
                if s.startswith("{"):
                    if node[1] is None:
                        node[1] = [{}, None, []]
                    node = node[1]
                else:
                    node = node[0].setdefault(s.lower(), [{}, None, []])
            node[2].append(r)

    @staticmethod
    def _resource_type(segments, ns):
        idx = None
        for i in range(len(segments) - 2, -1, -1):
            if segments[i].lower() == "providers":
                idx = i
                break
        if idx is None:
            lowered = [s.lower() for s in segments]
            if "resourcegroups" in lowered:
                tail = segments[lowered.index("resourcegroups") + 2:]
                base = "resourceGroups"
            elif lowered[:1] == ["subscriptions"]:
                tail = segments[2:]
                base = "subscriptions"
            else:
                return ns
            types = [base] + [s for k, s in enumerate(tail) if k % 2 == 0 and not s.startswith("{")]
            return ns + "/" + "/".join(types)
        tail = segments[idx + 2:]
        types = [s for k, s in enumerate(tail) if k % 2 == 0 and not s.startswith("{")]
        return ns + ("/" + "/".join(types) if types else "")

    # -- $ref resolution -----------------------------------------------------------------------

    def _ref_target(self, file, ref):
        """'other.json#/definitions/X' relative to file -> (abs file, pointer)."""
        target, _unused, pointer = ref.partition("#")
        if target:
            file = os.path.normpath(os.path.join(os.path.dirname(file), target))
        return file, pointer

    def _get(self, file, pointer):
        node = self._load(file)
        for tok in pointer.split("/")[1:] if pointer else ():
            tok = _unescape(tok)
            node = node[int(tok)] if isinstance(node, list) else node[tok]
        return node

    def _deref(self, file, node, pointer):
        """Follow $ref chains: -> (file, pointer, node)."""
        seen = 0
        while isinstance(node, dict) and "$ref" in node:
            file, pointer = self._ref_target(file, node["$ref"])
            node = self._get(file, pointer)
            seen += 1
            if seen > 50:
                raise ValueError("$ref loop at %s#%s" % (file, pointer))
        return file, pointer, node

    # -- schema compilation ----------------------------------------------------------------------

    def _compile(self, file, pointer, node=None):
        key = (file, pointer)
        s = self._schemas.get(key)
        if s is not None:
            return s
        if node is None:
            node = self._get(file, pointer)
        if "$ref" in node:
            tfile, tptr = self._ref_target(file, node["$ref"])
            target = self._compile(tfile, tptr)
            overlay = [k for k in ("x-nullable", "readOnly", "x-ms-mutability", "x-ms-secret")
                       if k in node]
            if not overlay:
                self._schemas[key] = target
                return target
            s = _Schema(key)
            s.ref = target
            s.name = target.name
            self._schemas[key] = s
            self._flags(s, node)
            return s
        s = _Schema(key)
        self._schemas[key] = s  # before recursing: schemas are recursive
        parts = pointer.split("/")
        if len(parts) == 3 and parts[1] == "definitions":
            s.name = _unescape(parts[2])
        self._flags(s, node)
        s.type = node.get("type")
        if s.type is None and ("properties" in node or "allOf" in node
                               or "additionalProperties" in node):
            s.type = "object"
        s.format = node.get("format")
        if "enum" in node:
            xenum = node.get("x-ms-enum") or {}
            # modelAsString: an extensible enum, unknown values are allowed
            if not xenum.get("modelAsString"):
                s.enum = list(node["enum"])
                s.enum_lower = {v.lower() if isinstance(v, str) else v for v in s.enum}
        if "pattern" in node:
            s.pattern_src = node["pattern"]
            try:
                s.pattern = re.compile(node["pattern"])
            except re.error:
                s.pattern = None  # an ECMAScript-only construct: not checked
        s.minimum = node.get("minimum")
        s.maximum = node.get("maximum")
        s.exclusive_min = bool(node.get("exclusiveMinimum"))
        s.exclusive_max = bool(node.get("exclusiveMaximum"))
        s.min_length = node.get("minLength")
        s.max_length = node.get("maxLength")
        s.min_items = node.get("minItems")
        s.max_items = node.get("maxItems")
        s.unique_items = bool(node.get("uniqueItems"))
        if "items" in node and isinstance(node["items"], dict):
            s.items = self._compile(file, pointer + "/items", node["items"])
        if s.type == "object" or "properties" in node or "allOf" in node:
            props = {}
            required = []
            additional = None
            inherited_disc = None
            for i, sub in enumerate(node.get("allOf", ())):
                parent = _target(self._compile(file, "%s/allOf/%d" % (pointer, i), sub))
                if parent.properties:
                    props.update(parent.properties)
                required.extend(parent.required)
                if parent.additional is not None:
                    additional = parent.additional
                if parent.discriminator and not inherited_disc:
                    inherited_disc = parent.discriminator
            for name, sub in (node.get("properties") or {}).items():
                props[name] = self._compile(file, "%s/properties/%s" % (pointer, _escape(name)), sub)
            required.extend(node.get("required", ()))
            if "additionalProperties" in node:
                ap = node["additionalProperties"]
                if ap is True:
                    additional = True
                elif ap is False:
                    additional = None
                elif isinstance(ap, dict):
                    additional = self._compile(file, pointer + "/additionalProperties", ap)
            if not props and not node.get("allOf") and "additionalProperties" not in node:
                additional = True  # a bare {"type": "object"} is free-form (autorest: any object)
            s.properties = props
            s.required = tuple(dict.fromkeys(required))
            s.additional = additional
            s.discriminator = node.get("discriminator") or inherited_disc
            if s.discriminator and s.name:
                s.disc_value = node.get("x-ms-discriminator-value", s.name)
        return s

    @staticmethod
    def _flags(s, node):
        if "x-nullable" in node:
            s.nullable = bool(node["x-nullable"])
        if node.get("readOnly"):
            s.read_only = True
        mut = node.get("x-ms-mutability")
        if mut is not None:
            if "create" not in mut and "update" not in mut:
                s.read_only = True
            if "read" not in mut:
                s.write_only = True
        if node.get("x-ms-secret"):
            s.secret = True

    def _disc_table(self, s):
        """Discriminator value -> schema, for s and every definition whose allOf reaches s."""
        if s.disc_table is not None:
            return s.disc_table
        if self._children is None:
            self._build_children()
        table = {}
        seen = set()
        todo = [s.key]
        while todo:
            key = todo.pop()
            if key in seen:
                continue
            seen.add(key)
            child = _target(self._compile(*key))
            if child.disc_value is not None:
                table.setdefault(child.disc_value, child)
            todo.extend(self._children.get(key, ()))
        s.disc_table = table
        return table

    def _build_children(self):
        children = {}
        for file, doc in self._docs.items():
            for name, node in (doc.get("definitions") or {}).items():
                for sub in node.get("allOf", ()) if isinstance(node, dict) else ():
                    if isinstance(sub, dict) and "$ref" in sub:
                        pkey = self._ref_target(file, sub["$ref"])
                        children.setdefault(pkey, []).append((file, "/definitions/" + _escape(name)))
        self._children = children

    # -- validation ------------------------------------------------------------------------------

    def _validate(self, s, value, parts, ctx, optional=False):
        # x-nullable as oav (nullableTransformer) reads it: the referencing schema's say, then
        # the target's; when neither says, null is allowed for an optional property, an array
        # item or an additionalProperties value, and refused for a required property or a body.
        nullable = s.nullable
        while s.ref is not None:
            s = s.ref
            if nullable is None:
                nullable = s.nullable
        if value is None:
            if not (optional if nullable is None else nullable):
                ctx.add("INVALID_TYPE", parts, "null is not allowed (expected %s)" % (s.type or "a value"))
            return
        if s.type and not _type_ok(s.type, value):
            ctx.add("INVALID_TYPE", parts, "expected %s but found %s %s" % (
                s.type, _JSON_TYPE_NAMES.get(type(value), type(value).__name__), _short(value)))
            return
        if s.enum is not None:
            probe = value.lower() if isinstance(value, str) else value
            if probe not in s.enum_lower:
                ctx.add("ENUM_MISMATCH", parts, "value %s is not one of %s" % (_short(value), s.enum))
        if isinstance(value, str):
            if s.format and not _format_ok(s.format, value):
                ctx.add("INVALID_FORMAT", parts, "value %s is not a valid %s" % (_short(value), s.format))
            if s.pattern is not None and not s.pattern.search(value):
                ctx.add("PATTERN", parts, "value %s does not match pattern %s" % (
                    _short(value), s.pattern_src))
            if s.min_length is not None and len(value) < s.min_length:
                ctx.add("MIN_LENGTH", parts, "string is shorter than %d characters" % s.min_length)
            if s.max_length is not None and len(value) > s.max_length:
                ctx.add("MAX_LENGTH", parts, "string is longer than %d characters" % s.max_length)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            rng = _INT_RANGES.get(s.format) if s.type == "integer" else None
            if rng and not rng[0] <= value <= rng[1]:
                ctx.add("INVALID_FORMAT", parts, "value %s is out of the %s range" % (value, s.format))
            if s.minimum is not None and (value < s.minimum or (s.exclusive_min and value == s.minimum)):
                ctx.add("MINIMUM", parts, "value %s is less than the minimum %s" % (value, s.minimum))
            if s.maximum is not None and (value > s.maximum or (s.exclusive_max and value == s.maximum)):
                ctx.add("MAXIMUM", parts, "value %s is greater than the maximum %s" % (value, s.maximum))
        elif isinstance(value, list):
            if s.min_items is not None and len(value) < s.min_items:
                ctx.add("ARRAY_LENGTH_SHORT", parts, "array has fewer than %d items" % s.min_items)
            if s.max_items is not None and len(value) > s.max_items:
                ctx.add("ARRAY_LENGTH_LONG", parts, "array has more than %d items" % s.max_items)
            if s.unique_items:
                seen = set()
                for item in value:
                    marker = json.dumps(item, sort_keys=True)
                    if marker in seen:
                        ctx.add("ARRAY_UNIQUE", parts, "array items are not unique")
                        break
                    seen.add(marker)
            if s.items is not None:
                for i, item in enumerate(value):
                    self._validate(s.items, item, parts + [i], ctx, optional=True)
        elif isinstance(value, dict) and s.properties is not None:
            self._validate_object(s, value, parts, ctx)

    def _validate_object(self, s, value, parts, ctx):
        if s.discriminator and s.discriminator in value:
            dv = value[s.discriminator]
            if isinstance(dv, str):
                table = self._disc_table(s)
                chosen = table.get(dv)
                if chosen is None:
                    # ARM services compare type names case-insensitively
                    low = dv.lower()
                    chosen = next((v for k, v in table.items() if k.lower() == low), None)
                if chosen is None:
                    ctx.add("DISCRIMINATOR_VALUE_NOT_FOUND", parts + [s.discriminator],
                            "%s %s is not one of %s" % (s.discriminator, _short(dv), sorted(table)))
                    return
                s = chosen
        props = s.properties
        required = s.required
        for name, item in value.items():
            ps = props.get(name)
            if ps is None:
                if s.additional is True:
                    continue
                if s.additional is not None:
                    self._validate(s.additional, item, parts + [name], ctx, optional=True)
                elif ctx.strict_unknown:
                    ctx.add("OBJECT_ADDITIONAL_PROPERTIES", parts + [name],
                            "property is not defined in %s" % (s.name or "the schema"))
                continue
            t = _target(ps)
            if ctx.request:
                if ps.read_only or t.read_only:
                    continue  # ARM ignores readOnly properties sent by a client
            elif item is not None and _kind_only(t, item):
                # A polymorphic write-only/secret object answered with its kind alone, values
                # left out: what Azure returns (datastore credentials.secrets, the spec's
                # own examples), the type without the secret.
                continue
            else:
                if (ps.write_only or t.write_only) and item is not None:
                    ctx.add("WRITEONLY_PROPERTY_NOT_ALLOWED_IN_RESPONSE", parts + [name],
                            "write-only property must not be returned")
                elif ctx.check_secrets and (ps.secret or t.secret) and item is not None:
                    ctx.add("SECRET_PROPERTY", parts + [name],
                            "secret property must not be returned by this operation")
            self._validate(ps, item, parts + [name], ctx, optional=name not in required)
        for name in s.required:
            if name not in value:
                ps = props.get(name)
                if ctx.request and ps is not None and (ps.read_only or _target(ps).read_only):
                    continue
                if not ctx.request and ps is not None and (ps.write_only or _target(ps).write_only):
                    continue
                ctx.add("OBJECT_MISSING_REQUIRED_PROPERTY", parts + [name],
                        "missing required property (in %s)" % (s.name or "the schema"))

    def _strip(self, s, value, drop_unknown, response=False, secrets=False):
        """Copy of value without read-only properties (request view) or, with response=True,
        without write-only (and, with secrets=True, x-ms-secret) properties."""
        while s.ref is not None:
            s = s.ref
        if isinstance(value, list):
            return [self._strip(s.items, v, drop_unknown, response, secrets)
                    if s.items is not None else v for v in value]
        if not isinstance(value, dict) or s.properties is None:
            return value
        if s.discriminator and isinstance(value.get(s.discriminator), str):
            table = self._disc_table(s)
            dv = value[s.discriminator]
            s = table.get(dv) or next((v for k, v in table.items() if k.lower() == dv.lower()), s)
        out = {}
        for name, item in value.items():
            ps = s.properties.get(name)
            if ps is None:
                if s.additional is None and drop_unknown:
                    continue
                out[name] = self._strip(s.additional, item, drop_unknown, response, secrets) \
                    if isinstance(s.additional, _Schema) else item
                continue
            t = _target(ps)
            if response:
                if ps.write_only or t.write_only or (secrets and (ps.secret or t.secret)):
                    continue
            elif ps.read_only or t.read_only:
                continue
            out[name] = self._strip(ps, item, drop_unknown, response, secrets)
        return out

    def _read_only_paths(self, s, value, parts, out):
        while s.ref is not None:
            s = s.ref
        if isinstance(value, list) and s.items is not None:
            for i, v in enumerate(value):
                self._read_only_paths(s.items, v, parts + [i], out)
        if not isinstance(value, dict) or s.properties is None:
            return
        if s.discriminator and isinstance(value.get(s.discriminator), str):
            s = self._disc_table(s).get(value[s.discriminator], s)
        for name, item in value.items():
            ps = s.properties.get(name)
            if ps is None:
                if isinstance(s.additional, _Schema):
                    self._read_only_paths(s.additional, item, parts + [name], out)
                continue
            if ps.read_only or _target(ps).read_only:
                out.append(_pointer(parts + [name]))
            else:
                self._read_only_paths(ps, item, parts + [name], out)

    # -- public API ------------------------------------------------------------------------------

    def providers(self):
        """Provider namespace -> set of api-versions on hand."""
        return {ns: set(vers) for ns, vers in self._providers.items()}

    def canonical_namespace(self, namespace):
        """'microsoft.storage' -> 'Microsoft.Storage' when we have specs for it, else None."""
        return self._ns_canon.get((namespace or "").lower())

    def resolve_api_version(self, namespace, requested):
        """-> (spec api-version to validate against, exact) or None if the version is not real."""
        ns = self.canonical_namespace(namespace)
        if ns is None or not requested:
            return None
        on_hand = self._providers[ns]
        req = requested.strip().lower()
        for v in on_hand:
            if v.lower() == req:
                return v, True
        known = {v.lower() for v in KNOWN_API_VERSIONS.get(ns, ())}
        if req not in known:
            return None
        want_day, want_preview = _version_key(req)

        def distance(v):
            day, preview = _version_key(v)
            # closest date; on a tie prefer the same stability, then the newer spec
            return abs(day - want_day), preview != want_preview, -day
        return min(on_hand, key=distance), False

    def _candidates(self, method, path):
        """Routes whose template matches path and method -> [(route, raw path params)]."""
        method = method.upper()
        bare = path.split("?")[0]
        segs = list(bare.strip("/").split("/")) if bare.strip("/") else []
        lowered = [s.lower() for s in segs]
        out = []
        frontier = [self._trie]
        for seg, low in zip(segs, lowered):
            nxt = []
            for node in frontier:
                child = node[0].get(low)
                if child is not None:
                    nxt.append(child)
                if node[1] is not None and seg:
                    nxt.append(node[1])
            frontier = nxt
            if not frontier:
                break
        for node in frontier:
            for r in node[2]:
                if r.method == method:
                    params = {t[1:-1]: seg for t, seg in zip(r.segments, segs) if t.startswith("{")}
                    out.append((r, params))
        if self._multi_routes:
            norm = "/" + "/".join(segs)
            for r in self._multi_routes:
                if r.method != method:
                    continue
                m = r.regex.match(norm)
                if m:
                    vals = iter(m.groups())
                    params = {s[1:-1]: next(vals) for s in r.segments if s.startswith("{")}
                    out.append((r, params))
        # Generic routes ('/providers/{resourceProviderNamespace}/...') give way to the
        # provider's own routes for the same URL, whatever the api-version: a bad version
        # for Microsoft.Storage must not fall back to Microsoft.Resources' generic route.
        specific = {r.route_ns.lower() for r, _unused in out if r.generic_ns_index is None}
        if not specific:
            return out
        return [(r, params) for r, params in out
                if r.generic_ns_index is None or urllib.parse.unquote(
                    params.get(r.generic_ns_index, "")).lower() not in specific]

    @staticmethod
    def _rank(item):
        r = item[0]
        return (r.literal_count, -r.multi_count, len(r.segments))

    def match(self, method, path, api_version):
        """The operation serving method+path at api_version, or None."""
        if not api_version:
            return None
        resolved = {}
        best = None
        for r, params in self._candidates(method, path):
            key = r.route_ns.lower()
            if key not in resolved:
                resolved[key] = self.resolve_api_version(r.route_ns, api_version)
            res = resolved[key]
            if res is None or res[0] != r.version:
                continue
            if best is None or self._rank((r, params)) > self._rank(best):
                best = (r, params, res[1])
        if best is None:
            return None
        return Match(self, best[0], best[1], exact=best[2])

    def match_any_version(self, method, path):
        """The operation for method+path in the newest spec on hand, ignoring api-version
        (exact_version False). For 'which provider/operation is this' decisions, e.g. to
        answer InvalidApiVersionParameter rather than 404."""
        best = None
        for r, params in self._candidates(method, path):
            rank = self._rank((r, params)) + (_version_key(r.version),)
            if best is None or rank > best[0]:
                best = (rank, r, params)
        if best is None:
            return None
        return Match(self, best[1], best[2], exact=False)

    def allowed_methods(self, path):
        """HTTP methods some spec defines for this path (for 405 vs 404 decisions)."""
        return sorted({r.method for m in _METHODS for r, _unused in self._candidates(m, path)})

    def _route_details(self, r):
        """Resolved parameters and responses of a route (computed once)."""
        if r._resolved is not None:
            return r._resolved
        item = self._get(r.file, r.item_pointer)
        merged = {}
        for base_ptr, plist in ((r.item_pointer, item.get("parameters", [])),
                                (r.op_pointer, r.op.get("parameters", []))):
            for i, pnode in enumerate(plist):
                f, ptr, node = self._deref(r.file, pnode, "%s/parameters/%d" % (base_ptr, i))
                merged[(node.get("name"), node.get("in"))] = (f, ptr, node)
        params = []
        body = None
        for (name, where), (f, ptr, node) in merged.items():
            if where == "body":
                schema = None
                if "schema" in node:
                    sf, sp, sn = self._deref(f, node["schema"], ptr + "/schema")
                    schema = sn
                body = (dict(node, schema=schema), self._compile(f, ptr + "/schema"))
            elif where in ("path", "query", "header"):
                params.append((node, self._compile(f, ptr)))
        responses = {}
        for code, resp in (r.op.get("responses") or {}).items():
            f, ptr, node = self._deref(r.file, resp, "%s/responses/%s" % (r.op_pointer, _escape(code)))
            schema = None
            if "schema" in node:
                schema = (self._deref(f, node["schema"], ptr + "/schema")[2],
                          self._compile(f, ptr + "/schema"))
            responses[code] = (node, schema)
        r._resolved = (params, body, responses)
        return r._resolved


class Match:
    """An operation matched for a request: what the engine needs to serve and validate it."""

    def __init__(self, index, route, raw_params, exact):
        self._index = index
        self._route = route
        op = route.op
        self.operation_id = op.get("operationId")
        self.method = route.method
        self.path_template = route.template
        self.raw_path_params = raw_params
        self.path_params = {k: urllib.parse.unquote(v) for k, v in raw_params.items()}
        self.spec_file = route.file
        self.spec_api_version = route.version
        self.exact_version = exact
        self.namespace = route.route_ns
        self.resource_type = route.resource_type
        self.is_lro = bool(op.get("x-ms-long-running-operation"))
        opts = op.get("x-ms-long-running-operation-options") or {}
        self.final_state_via = opts.get("final-state-via")
        pageable = op.get("x-ms-pageable")
        self.pageable = None
        if pageable is not None:
            self.pageable = {"nextLinkName": pageable.get("nextLinkName"),
                             "itemName": pageable.get("itemName", "value")}
        params, body, responses = index._route_details(route)
        self._params = params
        self._body = body
        self._responses = responses
        self.success_codes = sorted(int(c) for c in responses if c.isdigit())
        self.body_parameter = body[0] if body else None
        self.parameters = [p for p, _unused in params]

    def __repr__(self):
        return "<Match %s %s %s %s%s>" % (self.operation_id, self.method, self.path_template,
                                          self.spec_api_version, "" if self.exact_version else " ~")

    def response_schema(self, status):
        entry = self._responses.get(str(status)) or self._responses.get("default")
        if entry is None or entry[1] is None:
            return None
        return entry[1][0]

    def _check_param(self, node, schema, raw, where, ctx):
        value = raw
        t = node.get("type")
        if t == "array":
            if isinstance(raw, str):
                sep = {"ssv": " ", "tsv": "\t", "pipes": "|"}.get(node.get("collectionFormat"), ",")
                value = raw.split(sep) if raw else []
        elif isinstance(raw, list):
            value = raw = raw[0] if raw else ""
        if isinstance(raw, str) and t in ("integer", "number", "boolean"):
            try:
                if t == "integer":
                    value = int(raw)
                elif t == "number":
                    value = float(raw)
                else:
                    if raw.lower() not in ("true", "false"):
                        raise ValueError(raw)
                    value = raw.lower() == "true"
            except ValueError:
                ctx.errors.append(ValidationError(
                    "INVALID_TYPE", "%s:%s" % (where, node["name"]),
                    "%s parameter %s: expected %s but found %s" % (where, node["name"], t, _short(raw))))
                return
        before = len(ctx.errors)
        self._index._validate(schema, value, [], ctx)
        for e in ctx.errors[before:]:
            e.path = "%s:%s" % (where, node["name"])
            e.message = "%s parameter %s: %s" % (where, node["name"], e.message.split(": ", 1)[1])

    def validate_request(self, query, body):
        """Path parameters, required query parameters and the body.

        query: dict of query parameters (values str or list of str). api-version is the
        caller's business. body: parsed JSON (None when the request has no body).
        """
        ctx = _Ctx(request=True, strict_unknown=self.exact_version)
        query = query or {}
        lower_query = {k.lower(): v for k, v in query.items()}
        for node, schema in self._params:
            name = node.get("name")
            where = node.get("in")
            if where == "path":
                self._check_param(node, schema, self.path_params.get(name, ""), "path", ctx)
            elif where == "query":
                if name == "api-version":
                    continue
                raw = query.get(name, lower_query.get(name.lower()))
                if raw is None or raw == []:
                    if node.get("required"):
                        ctx.errors.append(ValidationError(
                            "REQUIRED_PARAMETER_MISSING", "query:" + name,
                            "query parameter %s is required" % name))
                    continue
                self._check_param(node, schema, raw, "query", ctx)
        if self._body is not None:
            node, schema = self._body
            if body is None:
                if node.get("required"):
                    ctx.errors.append(ValidationError(
                        "REQUIRED_PARAMETER_MISSING", "body:" + node.get("name", "body"),
                        "the request body (%s) is required" % node.get("name", "body")))
            else:
                self._index._validate(schema, body, [], ctx)
        return ctx.errors

    def validate_response(self, status, body):
        """A response status and body against the operation's responses."""
        ctx = _Ctx(request=False, strict_unknown=self.exact_version,
                   check_secrets=self.method != "POST")
        code = str(status)
        entry = self._responses.get(code)
        if entry is None:
            entry = self._responses.get("default")
            if entry is None or 200 <= int(status) < 300:
                # 'default' describes errors; an undeclared success code is a spec violation
                ctx.errors.append(ValidationError(
                    "INVALID_RESPONSE_CODE", "",
                    "status %s is not one of the operation's responses %s" % (
                        status, sorted(self._responses))))
                return ctx.errors
        schema = entry[1]
        if schema is None:
            if body not in (None, "", b""):
                ctx.errors.append(ValidationError(
                    "INVALID_RESPONSE_BODY", "",
                    "status %s has no body in the spec but a body was returned" % status))
            return ctx.errors
        if body is None:
            # no body where a schema is declared: only an error for a declared non-null type
            if _target(schema[1]).type is not None:
                ctx.errors.append(ValidationError(
                    "INVALID_RESPONSE_BODY", "", "status %s must have a body" % status))
            return ctx.errors
        self._index._validate(schema[1], body, [], ctx)
        return ctx.errors


def strip_read_only(match, body, drop_unknown=False):
    """A copy of a request body without its readOnly properties (what a client may set).

    drop_unknown=True also removes properties the spec does not declare (useful after a
    non-exact api-version was accepted)."""
    if match._body is None or body is None:
        return body
    return match._index._strip(match._body[1], body, drop_unknown)


def strip_for_response(match, status, body):
    """A copy of a response body without what a response must not carry: write-only
    properties (x-ms-mutability without 'read') and, except for POST actions such as listKeys,
    x-ms-secret properties. Use it on stored resources before returning them."""
    entry = match._responses.get(str(status)) or match._responses.get("default")
    if entry is None or entry[1] is None or body is None:
        return body
    return match._index._strip(entry[1][1], body, False, response=True,
                               secrets=match.method != "POST")


def read_only_paths(match, body):
    """JSON pointers of the readOnly properties present in a request body."""
    out = []
    if match._body is not None and body is not None:
        match._index._read_only_paths(match._body[1], body, [], out)
    return out
