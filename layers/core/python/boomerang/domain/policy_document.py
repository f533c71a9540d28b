"""The policy document as its administrators read and write it: the admin form, JSON Merge Patch
(RFC 7396), validation that names each bad field, the changes between two documents, and the ETag.

The admin form is the stored document (domain/policy.py) with every amount written as the API
writes money: `{"amount": "5.99", "currency": "USD"}` where the model holds `Money`, and
`{"USD": "50.00"}` where it holds a table of amounts by currency (`AmountsByCurrency`). Stored,
both stay integer minor units. `admin_document` and `policy_from_admin` are the one place that
converts, in both directions; they walk the pydantic model, so a field added to the policy with
one of those two types is converted without a change here.

Plain Python, no AWS.
"""

from __future__ import annotations

import copy
import json
import types
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from boomerang.domain.errors import Unprocessable
from boomerang.domain.money import MinorUnitsByCurrency, Money
from boomerang.domain.policy import Policy

Document = dict[str, Any]
Problem = dict[str, Any]  # {"field", "code", "message"}, as the API's 422 details


# --- merge patch -----------------------------------------------------------------------------------


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: an object patch merges member by member (null removes a member), anything else
    replaces the target whole, arrays included. Neither argument is modified."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    merged = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = merge_patch(merged.get(name), value)
    return merged


# --- money, both ways ------------------------------------------------------------------------------


def admin_document(policy: Policy) -> Document:
    """The policy as an administrator reads it: amounts as decimal strings."""
    converted: Document = decimal_amounts(Policy, policy.model_dump(mode="json"))
    return converted


def decimal_amounts(model: type[BaseModel], data: Any) -> Any:
    """JSON data of `model` with its amounts (Money, AmountsByCurrency) as decimal strings."""
    return _walk(model, (), data, "", _MinorToDecimal())


def minor_amounts(model: type[BaseModel], data: Any) -> tuple[Any, list[Problem]]:
    """The reverse: decimal strings to minor units, and each amount that is not one (by field)."""
    to_minor = _DecimalToMinor()
    return _walk(model, (), data, "", to_minor), to_minor.problems


def policy_from_admin(document: Any, problems: list[Problem] | None = None) -> Policy:
    """Validate a document in the admin form; Unprocessable names each bad field (after any
    `problems` the caller found already).

    Strict, as the API is: "45" or true is no integer. Validated as JSON, so enums, durations
    ("P14D") and lists for tuples read as they are written."""
    found = list(problems or [])
    if not isinstance(document, dict):
        found.append({"field": None, "code": "object_expected", "message": "A JSON object is expected."})
        raise _invalid(found)
    stored, problems_in_amounts = minor_amounts(Policy, document)
    found += problems_in_amounts
    try:
        policy = Policy.model_validate_json(json.dumps(stored), strict=True)
    except ValidationError as exc:
        raise _invalid(found + [_problem(error) for error in exc.errors()]) from None
    if found:
        raise _invalid(found)
    return policy


def _invalid(problems: list[Problem]) -> Unprocessable:
    fields = ", ".join(dict.fromkeys(str(p["field"]) for p in problems if p["field"])) or "the document"
    return Unprocessable(f"Invalid policy: {fields}.", code="validation_failed", details=problems)


def field_path(loc: tuple[Any, ...] | list[Any]) -> str | None:
    """("rules", 3, "when", "return_amount_below", "USD") -> "rules[3].when.return_amount_below.USD"."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part == "[key]":
            continue
        else:
            path += f".{part}" if path else str(part)
    return path or None


def _problem(error: Any) -> Problem:
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    return {"field": field_path(tuple(error.get("loc", ()))), "code": str(error["type"]), "message": message}


class _MinorToDecimal:
    def money(self, value: Any, path: str) -> Any:
        if isinstance(value, dict) and isinstance(value.get("amount"), int) and "currency" in value:
            return {**value, "amount": _decimal(value["amount"], str(value["currency"]))}
        return value

    def table(self, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            return value
        return {
            cur: _decimal(amount, cur) if isinstance(amount, int) else amount for cur, amount in value.items()
        }


def _decimal(amount: int, currency: str) -> str:
    return Money(amount=amount, currency=currency).decimal_string()


class _DecimalToMinor:
    """Decimal strings to minor units, noting each amount that is not one (a number, "5.999")."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def money(self, value: Any, path: str) -> Any:
        if not isinstance(value, dict) or "amount" not in value or not isinstance(value.get("currency"), str):
            return value  # the model's own validation names what is missing
        return {**value, "amount": self._minor(value["amount"], value["currency"], f"{path}.amount")}

    def table(self, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            return value
        return {cur: self._minor(amount, str(cur), f"{path}.{cur}") for cur, amount in value.items()}

    def _minor(self, amount: Any, currency: str, path: str) -> Any:
        if not isinstance(amount, str):
            self.problems.append(
                {
                    "field": path,
                    "code": "decimal_string_expected",
                    "message": f'Write amounts as the API does: a decimal string ("5.99"), not {amount!r}.',
                }
            )
            return 0
        try:
            return Money.parse(amount, currency).amount
        except ValueError as exc:
            self.problems.append({"field": path, "code": "invalid_amount", "message": str(exc)})
            return 0


def _walk(annotation: Any, metadata: Any, value: Any, path: str, convert: Any) -> Any:
    """`value` (JSON data of a field typed `annotation`) with its amounts converted by `convert`."""
    if value is None:
        return None
    if any(isinstance(m, MinorUnitsByCurrency) for m in metadata):
        return convert.table(value, path)
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *more = get_args(annotation)
        return _walk(base, more, value, path, convert)
    if origin in (Union, types.UnionType):
        arms = [arm for arm in get_args(annotation) if arm is not type(None)]
        return _walk(arms[0], (), value, path, convert) if len(arms) == 1 else value
    if origin in (list, tuple, set, frozenset) and isinstance(value, list):
        item = get_args(annotation)[0]
        return [_walk(item, (), v, f"{path}[{i}]", convert) for i, v in enumerate(value)]
    if origin is dict and isinstance(value, dict):
        item = get_args(annotation)[1]
        return {k: _walk(item, (), v, f"{path}.{k}" if path else str(k), convert) for k, v in value.items()}
    if isinstance(annotation, type) and issubclass(annotation, Money):
        return convert.money(value, path)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and isinstance(value, dict):
        walked = dict(value)
        for name, field in annotation.model_fields.items():
            if name in value:
                sub = f"{path}.{name}" if path else name
                walked[name] = _walk(field.annotation, field.metadata, value[name], sub, convert)
        return walked
    return value


# --- a new version from a patch --------------------------------------------------------------------


def patched(current: Policy, patch: Any, version: int) -> Policy:
    """The policy `patch` (a merge patch of the admin form) makes of `current`, as `version`.

    The server assigns versions: a patch may repeat the current one (a document read, edited and
    sent back whole) but not name another."""
    if not isinstance(patch, dict):
        raise Unprocessable(
            "A policy change is a JSON merge patch: a JSON object of the members to change.",
            code="validation_failed",
            details=[{"field": None, "code": "object_expected", "message": "A JSON object is expected."}],
        )
    problems: list[Problem] = []
    if "version" in patch and patch["version"] != current.version:
        problems.append(
            {
                "field": "version",
                "code": "read_only",
                "message": (
                    f"The server numbers versions: this change becomes version {version}. "
                    f"Leave 'version' out (the current one is {current.version})."
                ),
            }
        )
    document = merge_patch(admin_document(current), patch)
    document["version"] = version
    return policy_from_admin(document, problems)


# --- changes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    path: str
    kind: str  # added, removed, changed
    before: Any = None
    after: Any = None


def changes(before: Any, after: Any, path: str = "") -> list[Change]:
    """Every leaf that differs between two JSON documents, by path (lists compared by position)."""
    if isinstance(before, dict) and isinstance(after, dict):
        found: list[Change] = []
        for name in [*before, *(k for k in after if k not in before)]:
            sub = f"{path}.{name}" if path else str(name)
            if name not in after:
                found.append(Change(sub, "removed", before=before[name]))
            elif name not in before:
                found.append(Change(sub, "added", after=after[name]))
            else:
                found += changes(before[name], after[name], sub)
        return found
    if isinstance(before, list) and isinstance(after, list):
        found = []
        for i in range(max(len(before), len(after))):
            sub = f"{path}[{i}]"
            if i >= len(after):
                found.append(Change(sub, "removed", before=before[i]))
            elif i >= len(before):
                found.append(Change(sub, "added", after=after[i]))
            else:
                found += changes(before[i], after[i], sub)
        return found
    return [] if before == after else [Change(path, "changed", before, after)]


# --- ETag ------------------------------------------------------------------------------------------


def etag(version: int) -> str:
    """The strong ETag of a shop's policy at `version` (a version's document never changes)."""
    return f'"v{version}"'


def if_match_holds(if_match: str, version: int) -> bool:
    """Whether an If-Match header value matches `version`: one of its listed tags, or `*`.
    A weak tag (W/"...") never matches: If-Match compares strongly (RFC 9110, 13.1.1)."""
    tags = [tag.strip() for tag in if_match.split(",")]
    return "*" in tags or etag(version) in tags
