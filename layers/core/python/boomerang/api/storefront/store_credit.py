"""Store credit: a customer's balance and ledger, and spending it on a checkout (API key)."""

# No `from __future__ import annotations`: see orders.py.
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.metrics import MetricUnit

from boomerang.api.credit_schemas import (
    CreditAccountOut,
    CreditSpendIn,
    CreditSpendOut,
    account_out,
    spend_out,
)
from boomerang.api.idempotency import IdempotencyKey, Made, answer_once
from boomerang.api.storefront import ERRORS
from boomerang.api.storefront.deps import caller, deps, live_caller
from boomerang.auth.principal import Principal
from boomerang.domain.currency import UnknownCurrency, check_known
from boomerang.domain.errors import Forbidden, Unprocessable
from boomerang.domain.money import Money

if TYPE_CHECKING:
    from boomerang.services.store_credit import StoreCredit

router = Router()  # type: ignore[no-untyped-call]
tracer = Tracer()


def _store_credit() -> "StoreCredit":
    # Imported on first use: the ledger's code stays out of the cold start.
    from boomerang.services.store_credit import StoreCredit

    return StoreCredit(deps().repo)


def _credit_customer(who: Principal, customer_email: str | None) -> str:
    """The customer_ref whose credit the call reaches: a token's own customer; with the API key,
    the shop's customer named by email (required)."""
    from boomerang.services.customers import customer_ref

    if who.is_customer:
        if customer_email is not None:
            raise Forbidden(
                "A customer token reaches its own store credit only; leave out customer_email.",
                code="api_key_required",
            )
        return str(who.customer_ref)
    if not customer_email:
        raise Unprocessable(
            "Name the customer (customer_email) when calling with the storefront's API key.",
            code="validation_failed",
            details=[
                {"field": "customer_email", "code": "missing", "message": "Field required with an API key."}
            ],
        )
    return customer_ref(who.shop, customer_email)


@router.get(
    "/v1/store-credit",
    summary="A customer's store credit in one currency: balance and ledger entries, oldest first",
    responses=ERRORS,
    tags=["store-credit"],
)
@tracer.capture_method
def get_store_credit(
    currency: Annotated[str, Query(pattern=r"^[A-Z]{3}$", description="ISO 4217, e.g. USD")],
    customer_email: Annotated[
        str | None, Query(max_length=320, description="The shop's customer; with the API key only")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=4096, description="next_cursor of the last page")] = None,
) -> CreditAccountOut:
    try:
        check_known(currency)  # credit may be held in a currency withdrawn since it was issued
    except UnknownCurrency as exc:
        raise Unprocessable(
            str(exc),
            code="validation_failed",
            details=[{"field": "currency", "code": "unknown_currency", "message": str(exc)}],
        ) from None
    who = live_caller(router)
    deps().logger.append_keys(shop=who.shop)
    account = _store_credit().account(who.shop, _credit_customer(who, customer_email), currency)
    return account_out(account, limit, cursor)


def _spend_credit_once(request: dict[str, Any]) -> Made[dict[str, Any]]:
    """Spend; the idempotency record keeps the answer itself (status and body: amounts, the
    checkout reference and the returns drawn from, no personal data)."""
    d = deps()
    amount = Money(amount=request["amount"], currency=request["currency"])
    account, spent = _store_credit().spend_once(
        request["shop"], request["customer_ref"], amount, request["reference"], d.clock()
    )
    if spent:
        d.metrics.add_metric(name="StoreCreditSpent", unit=MetricUnit.Count, value=1)
    body = spend_out(account, request["reference"], amount).model_dump(mode="json")
    answer = {"status": 201 if spent else 200, "body": body}
    return Made(answer, answer)


def _spender(who: Principal) -> None:
    if who.is_customer:
        raise Forbidden(
            "Only the storefront's server (API key) may spend store credit.", code="api_key_required"
        )


@router.post(
    "/v1/store-credit/spend",
    summary="Spend a customer's store credit on a checkout (storefront API key); one spend per reference",
    responses=ERRORS,
    tags=["store-credit"],
)
@tracer.capture_method
def post_store_credit_spend(body: CreditSpendIn, idempotency_key: IdempotencyKey) -> Response[CreditSpendOut]:
    d = deps()
    who = caller(router)
    d.logger.append_keys(shop=who.shop)
    amount = body.amount.to_money()
    # The customer as its one-way reference: the idempotency record holds no email.
    request = {
        "shop": who.shop,
        "customer_ref": _credit_customer(who, body.customer_email),
        "amount": amount.amount,
        "currency": amount.currency,
        "reference": body.reference,
    }
    result = answer_once(
        d,
        who,
        idempotency_key,
        request,
        reach=lambda: _spender(who),
        operation=_spend_credit_once,
        replay=dict,
    )
    return Response(
        status_code=int(result["status"]),
        content_type=content_types.APPLICATION_JSON,
        body=CreditSpendOut.model_validate(result["body"]),
    )
