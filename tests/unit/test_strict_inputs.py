"""Every body the APIs take is read strictly: an integer is a JSON integer ("1", 1.0 and true are
refused), a boolean a JSON boolean, money an ISO 4217 amount within its currency's bounds."""

from __future__ import annotations

import importlib
import pkgutil
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel, ValidationError
from pydantic.types import Strict

import boomerang.api
from boomerang.api.credit_schemas import CreditSpendIn
from boomerang.api.evidence_schemas import EvidenceIn
from boomerang.api.schemas import Body, MoneyIO, OrderIn, ReturnIn
from boomerang.outbound.subscriptions import SubscriptionIn


def _input_models() -> list[type[BaseModel]]:
    for module in pkgutil.walk_packages(boomerang.api.__path__, "boomerang.api."):
        importlib.import_module(module.name)
    found: list[type[BaseModel]] = [SubscriptionIn]
    todo: list[type[BaseModel]] = [Body]
    while todo:
        model = todo.pop()
        found.append(model)
        todo += model.__subclasses__()
    return found


def _loose(annotation: Any, metadata: list[Any], seen: set[type]) -> list[str]:
    """Paths to int or bool fields that are not strict, inside `annotation`."""
    if annotation in (int, bool):
        return [] if any(isinstance(m, Strict) and m.strict for m in metadata) else [annotation.__name__]
    if get_origin(annotation) is Annotated:
        base, *more = get_args(annotation)
        return _loose(base, [*metadata, *more], seen)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return []
        seen.add(annotation)
        return [
            f"{name}.{path}"
            for name, field in annotation.model_fields.items()
            for path in _loose(field.annotation, list(field.metadata), seen)
        ]
    if get_origin(annotation) in (Union, UnionType, list, dict, tuple, set):
        return [p for arg in get_args(annotation) for p in _loose(arg, [], seen)]
    return []


def test_every_integer_and_boolean_in_a_body_is_strict() -> None:
    models = _input_models()
    assert {OrderIn, ReturnIn, CreditSpendIn, EvidenceIn} <= set(models)
    loose = {m.__name__: _loose(m, [], set()) for m in models}
    assert {name: paths for name, paths in loose.items() if paths} == {}


def test_money_in_a_body_is_money_in() -> None:
    """Bodies take MoneyIn (active currencies); MoneyIO, which may show a withdrawn one, is for answers."""

    wrong = [
        f"{model.__name__}.{name}"
        for model in _input_models()
        if not issubclass(model, MoneyIO)
        for name, field in model.model_fields.items()
        if MoneyIO in (*get_args(field.annotation), field.annotation)
    ]
    assert wrong == []


def _order(**line: Any) -> dict[str, Any]:
    return {
        "order_id": "o-1",
        "order_number": "#1",
        "customer": {"email": "a@example.com", "country": "US"},
        "currency": line.get("currency", "USD"),
        "ordered_at": "2026-01-01T00:00:00Z",
        "lines": [
            {
                "line_id": "l-1",
                "sku": "S",
                "quantity": line.get("quantity", 1),
                "unit_price": {
                    "amount": line.get("amount", "19.99"),
                    "currency": line.get("currency", "USD"),
                },
            }
        ],
    }


def _errors(model: type[BaseModel], data: Any) -> list[tuple[str, str]]:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        return [(".".join(str(p) for p in e["loc"]), e["type"]) for e in exc.errors()]
    return []


@pytest.mark.parametrize("quantity", ["1", True, 1.0, "01", None, 0, 10_001, -1])
def test_order_quantities_are_integers_in_range(quantity: Any) -> None:
    errors = _errors(OrderIn, _order(quantity=quantity))
    assert errors and errors[0][0] == "lines.0.quantity"


@pytest.mark.parametrize("quantity", ["1", True, False, 2.0])
def test_return_quantities_are_integers(quantity: Any) -> None:
    body = {"order_id": "o-1", "items": [{"line_id": "l-1", "quantity": quantity, "reason": "other"}],
            "resolution": "refund"}  # fmt: skip
    assert [loc for loc, _ in _errors(ReturnIn, body)] == ["items.0.quantity"]


@pytest.mark.parametrize("size", ["1024", True, 1024.0, 5 * 1024**3 + 1])
def test_evidence_sizes_are_integers_in_range(size: Any) -> None:
    body = {"kind": "video", "content_type": "video/mp4", "size": size}
    assert [loc for loc, _ in _errors(EvidenceIn, body)] == ["size"]


@pytest.mark.parametrize(
    ("currency", "amount", "code"),
    [
        ("XXX", "1.00", "unknown_currency"),
        ("XTS", "1.00", "unknown_currency"),
        ("BGN", "1.00", "unknown_currency"),
        ("usd", "1.00", "string_pattern_mismatch"),
        ("JPY", "5.5", "too_many_decimals"),
        ("USD", "1.999", "too_many_decimals"),
        ("KWD", "1.9999", "string_pattern_mismatch"),
        ("USD", "1000000000000", "string_pattern_mismatch"),
        ("JPY", "1000000000000", "string_pattern_mismatch"),
    ],
)
def test_money_in_is_iso_4217_money(currency: str, amount: str, code: str) -> None:
    from boomerang.api.schemas import MoneyIn

    errors = _errors(MoneyIn, {"amount": amount, "currency": currency})
    assert [c for _, c in errors] == [code]


@pytest.mark.parametrize(
    ("currency", "amount"), [("JPY", "999999999999"), ("USD", "999999999999.99"), ("KWD", "999999999999.999")]
)
def test_the_largest_amount_of_each_currency_is_taken(currency: str, amount: str) -> None:
    assert _errors(OrderIn, _order(currency=currency, amount=amount)) == []


@pytest.mark.parametrize(
    ("currency", "amount", "quantity"),
    [("USD", "999999999999.99", 2), ("JPY", "100000000000", 10), ("KWD", "500000000000", 2)],
)
def test_a_line_past_the_largest_amount_is_refused_naming_the_line(
    currency: str, amount: str, quantity: int
) -> None:
    assert _errors(OrderIn, _order(currency=currency, amount=amount, quantity=quantity)) == [
        ("lines.0", "amount_too_large")
    ]


def test_an_order_total_past_the_largest_amount_is_refused_naming_the_lines() -> None:
    body = _order(amount="600000000000.00")
    body["lines"].append({**body["lines"][0], "line_id": "l-2"})
    assert _errors(OrderIn, body) == [("lines", "amount_too_large")]


def test_an_answer_shows_what_is_stored_without_validating_it_again() -> None:
    from boomerang.domain.money import Money

    # A currency withdrawn since the amount was stored: never taken in, always shown.
    assert MoneyIO.of(Money(amount=1999, currency="BGN")).model_dump() == {
        "amount": "19.99",
        "currency": "BGN",
    }
