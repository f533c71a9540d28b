"""What in a new OpenAPI document breaks a client built on the old one (the build gate of
`make compare-openapi`; scripts/openapi.py runs it on the committed documents).

Breaking, for a client that keeps sending what it sent and reading what it read:
- a path or an operation removed;
- a request: a new required parameter or body field (or an optional one made required), a field
  or parameter removed (bodies refuse unknown fields), a type or an enum narrowed, a bound tightened
  (maxLength, minLength, maximum, minimum, maxItems, minItems), a pattern added or changed;
- a response: a success status removed, a field removed or no longer always present, a type changed;
- an error code removed from a response (clients branch on codes: `x-error-codes`).

Not breaking: anything added that a client may ignore (paths, operations, optional fields and
parameters, response fields, error codes, enum values in requests), and text. A response enum that
gains a value is not flagged: clients must accept values they do not know (README).
"""

from __future__ import annotations

from typing import Any

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
TIGHTER_IF_LOWER = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")
TIGHTER_IF_HIGHER = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")


class _Docs:
    def __init__(self, old: dict[str, Any], new: dict[str, Any]):
        self.old, self.new = old, new
        self.found: list[str] = []
        self._seen: set[tuple[str, str, str]] = set()

    def resolve(self, doc: dict[str, Any], schema: Any) -> tuple[dict[str, Any], str]:
        """The schema behind any $ref chain, and the last ref's name ('' for an inline schema)."""
        name = ""
        while isinstance(schema, dict) and "$ref" in schema:
            name = str(schema["$ref"])
            node: Any = doc
            for part in name.lstrip("#/").split("/"):
                node = node.get(part, {}) if isinstance(node, dict) else {}
            schema = node
        return (schema if isinstance(schema, dict) else {}), name

    def flag(self, where: str, what: str) -> None:
        self.found.append(f"{where}: {what}")


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Every breaking change from `old` to `new`, one line each ("<where>: <what>")."""
    docs = _Docs(old, new)
    new_paths = new.get("paths", {})
    for path, old_ops in old.get("paths", {}).items():
        if path not in new_paths:
            docs.flag(path, "path removed")
            continue
        for method, old_op in old_ops.items():
            if method not in METHODS:
                continue
            where = f"{method.upper()} {path}"
            new_op = new_paths[path].get(method)
            if new_op is None:
                docs.flag(where, "operation removed")
                continue
            _parameters(docs, where, old_op, new_op)
            _request_body(docs, where, old_op, new_op)
            _responses(docs, where, old_op, new_op)
    return docs.found


def _parameters(docs: _Docs, where: str, old_op: dict[str, Any], new_op: dict[str, Any]) -> None:
    def by_key(op: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
        params = op.get("parameters", [])
        return {(p.get("in", ""), str(p.get("name", "")).lower()): p for p in params if isinstance(p, dict)}

    old, new = by_key(old_op), by_key(new_op)
    for key, param in new.items():
        label = f"{key[0]} parameter {key[1]}"
        if param.get("required") and not (key in old and old[key].get("required")):
            docs.flag(where, f"{label} is required (new, or was optional)")
    for key, param in old.items():
        label = f"{key[0]} parameter {key[1]}"
        if key not in new:
            if key[0] == "path":
                docs.flag(where, f"{label} removed")
            continue
        _schema(docs, f"{where} {label}", param.get("schema"), new[key].get("schema"), "request")


def _json_schema(op_part: dict[str, Any] | None) -> Any:
    content = (op_part or {}).get("content", {})
    return (content.get("application/json") or {}).get("schema")


def _request_body(docs: _Docs, where: str, old_op: dict[str, Any], new_op: dict[str, Any]) -> None:
    old_body, new_body = old_op.get("requestBody"), new_op.get("requestBody")
    old_body = docs.resolve(docs.old, old_body)[0] if old_body else None
    new_body = docs.resolve(docs.new, new_body)[0] if new_body else None
    if new_body and new_body.get("required") and not (old_body and old_body.get("required")):
        docs.flag(where, "request body is required (new, or was optional)")
    if old_body and new_body:
        _schema(docs, f"{where} request", _json_schema(old_body), _json_schema(new_body), "request")
    elif old_body and not new_body:
        docs.flag(where, "request body removed")


def _responses(docs: _Docs, where: str, old_op: dict[str, Any], new_op: dict[str, Any]) -> None:
    new_responses = new_op.get("responses", {})
    for status, old_response in old_op.get("responses", {}).items():
        new_response = new_responses.get(status)
        if new_response is None:
            if str(status).startswith("2"):
                docs.flag(where, f"response {status} removed")
            elif old_response.get("x-error-codes"):
                docs.flag(
                    where, f"response {status} removed (codes {', '.join(old_response['x-error-codes'])})"
                )
            continue
        old_r, new_r = docs.resolve(docs.old, old_response)[0], docs.resolve(docs.new, new_response)[0]
        gone = sorted(set(old_r.get("x-error-codes", [])) - set(new_r.get("x-error-codes", [])))
        if gone:
            docs.flag(where, f"response {status} no longer answers error code(s) {', '.join(gone)}")
        _schema(docs, f"{where} response {status}", _json_schema(old_r), _json_schema(new_r), "response")


def _branches(docs: _Docs, doc: dict[str, Any], schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [docs.resolve(doc, b)[0] for b in schema.get("anyOf", schema.get("oneOf", []))]


def _types(docs: _Docs, doc: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    """The JSON types a schema admits ('' in the set: unconstrained)."""
    if "type" in schema:
        kind = schema["type"]
        found = set(kind) if isinstance(kind, list) else {str(kind)}
        return found | ({"number"} if "integer" in found else set())
    branches = _branches(docs, doc, schema)
    if branches:
        return set().union(*(_types(docs, doc, b) for b in branches))
    if "properties" in schema:
        return {"object"}
    if "const" in schema or "enum" in schema:
        values = schema.get("enum", [schema.get("const")])
        return {_json_type(v) for v in values}
    return {""}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), "")


def _unwrap(docs: _Docs, doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """`X | None` as X: the one branch of an anyOf that is not null (nullability is in the types)."""
    branches = [b for b in _branches(docs, doc, schema) if b.get("type") != "null"]
    return branches[0] if len(branches) == 1 and len(_branches(docs, doc, schema)) == 2 else schema


def _schema(docs: _Docs, where: str, old_s: Any, new_s: Any, direction: str) -> None:
    if old_s is None or new_s is None:
        return
    old_r, old_name = docs.resolve(docs.old, old_s)
    new_r, new_name = docs.resolve(docs.new, new_s)
    seen = (old_name, new_name, direction)
    if old_name and new_name:
        if seen in docs._seen:
            return
        docs._seen.add(seen)
    old_t, new_t = _types(docs, docs.old, old_r), _types(docs, docs.new, new_r)
    if "" not in old_t and "" not in new_t:
        if direction == "request" and old_t - new_t:
            docs.flag(where, f"type narrowed: {'/'.join(sorted(old_t))} -> {'/'.join(sorted(new_t))}")
        if direction == "response" and new_t - old_t:
            docs.flag(where, f"type changed: {'/'.join(sorted(old_t))} -> {'/'.join(sorted(new_t))}")
    old_r, new_r = _unwrap(docs, docs.old, old_r), _unwrap(docs, docs.new, new_r)
    if direction == "request":
        _narrowed(docs, where, old_r, new_r)
    _properties(docs, where, old_r, new_r, direction)
    if "items" in old_r and "items" in new_r:
        _schema(docs, f"{where}[]", old_r["items"], new_r["items"], direction)


def _narrowed(docs: _Docs, where: str, old_r: dict[str, Any], new_r: dict[str, Any]) -> None:
    if "enum" in new_r:
        dropped = [v for v in old_r.get("enum", []) if v not in new_r["enum"]]
        if "enum" not in old_r or dropped:
            docs.flag(where, f"enum narrowed: {dropped or 'now ' + repr(new_r['enum'])}")
    for key in TIGHTER_IF_LOWER:
        if key in new_r and (key not in old_r or new_r[key] < old_r[key]):
            docs.flag(where, f"{key} tightened: {old_r.get(key)} -> {new_r[key]}")
    for key in TIGHTER_IF_HIGHER:
        if key in new_r and (key not in old_r or new_r[key] > old_r[key]):
            docs.flag(where, f"{key} tightened: {old_r.get(key)} -> {new_r[key]}")
    if "pattern" in new_r and new_r["pattern"] != old_r.get("pattern"):
        docs.flag(where, f"pattern changed: {old_r.get('pattern')!r} -> {new_r['pattern']!r}")


def _properties(
    docs: _Docs, where: str, old_r: dict[str, Any], new_r: dict[str, Any], direction: str
) -> None:
    old_p, new_p = old_r.get("properties", {}), new_r.get("properties", {})
    if not old_p and not new_p:
        return
    old_req, new_req = set(old_r.get("required", [])), set(new_r.get("required", []))
    for name in old_p:
        if name not in new_p:
            docs.flag(where, f"{'response' if direction == 'response' else 'request'} field {name} removed")
        elif direction == "response" and name in old_req and name not in new_req:
            docs.flag(where, f"response field {name} is no longer always present")
    if direction == "request":
        for name in sorted(new_req - old_req):
            docs.flag(where, f"request field {name} is required (new, or was optional)")
    for name in old_p:
        if name in new_p:
            _schema(docs, f"{where}.{name}", old_p[name], new_p[name], direction)
