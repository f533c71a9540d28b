"""Outbound parcels: a storefront or ERP reports a fulfilment (API key); the customer follows the
order's parcels with their session (order number and email: POST /v1/sessions) or with the signed
link from the shipping email (`?link=`). JSON only: the tracking page itself is the web stack's."""

# No `from __future__ import annotations`: see orders.py.
from typing import Annotated, Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from boomerang.api.idempotency import IdempotencyKey, Made, answer_once
from boomerang.api.shipment_schemas import FulfilmentIn, ParcelOut, TrackingOut
from boomerang.api.shipment_views import tracking_out
from boomerang.api.storefront import ERRORS
from boomerang.api.storefront.deps import caller, deps, live_caller
from boomerang.auth import tracking_links
from boomerang.domain.errors import NotFound
from boomerang.services.shipments.service import Fulfilment, require_api_key

router = Router()  # type: ignore[no-untyped-call]
tracer = Tracer()
Language = Annotated[
    str | None,
    Query(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", description="The reader's language (BCP 47)"),
]


def _fulfil_once(sent: dict[str, Any]) -> Made[ParcelOut]:
    d = deps()
    who = caller(router)
    body = FulfilmentIn.model_validate(sent["body"])
    parcel, _ = d.shipments().fulfil(
        who.shop,
        sent["order_id"],
        Fulfilment(
            tracking_number=body.tracking_number,
            carrier=body.carrier,
            lines=[(line.line_id, line.quantity) for line in body.lines],
            origin_country=body.origin_country,
            shipped_at=body.shipped_at,
        ),
    )
    d.logger.append_keys(parcel_id=parcel.parcel_id)
    d.logger.info("fulfilment", extra={"registered": parcel.registered, "provider": parcel.provider})
    return Made(
        {"parcel_id": parcel.parcel_id}, ParcelOut.of(parcel, d.tracking_link(who.shop, parcel.order_id))
    )


def _reach(shop: str, order_id: str) -> None:
    deps().repo.get_order(shop, order_id)  # another shop's order answers 404, key used or not


@router.post(
    "/v1/orders/<order_id>/fulfillments",
    summary="Report a shipped parcel (storefront API key): registered with the shop's tracking provider",
    responses=ERRORS,
    tags=["shipments"],
)
@tracer.capture_method
def post_fulfillment(
    order_id: Annotated[str, Path(max_length=128)], body: FulfilmentIn, idempotency_key: IdempotencyKey
) -> Response[ParcelOut]:
    d = deps()
    who = caller(router)
    require_api_key(who.is_customer)
    d.logger.append_keys(shop=who.shop, order_id=order_id)
    answer = answer_once(
        d,
        who,
        idempotency_key,
        {"order_id": order_id, "body": body.model_dump(mode="json")},
        reach=lambda: _reach(who.shop, order_id),
        operation=_fulfil_once,
        replay=lambda stored: ParcelOut.of(
            d.shipments().parcels.get(who.shop, stored["parcel_id"]), d.tracking_link(who.shop, order_id)
        ),
    )
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=answer)


@router.get(
    "/v1/orders/<order_id>/tracking",
    summary=(
        "Where the order's parcels are: progress, checkpoints and estimated delivery. A customer token, "
        "the storefront's API key, or `link`: the signed link of the shipping email (no sign-in)"
    ),
    responses=ERRORS,
    tags=["shipments"],
)
@tracer.capture_method
def get_tracking(
    order_id: Annotated[str, Path(max_length=128)],
    lang: Language = None,
    link: Annotated[str | None, Query(max_length=512, description="The shipping email's signed link")] = None,
) -> TrackingOut:
    d = deps()
    if link:
        found = tracking_links.verify(d.link_key(), link, d.clock())
        if found.order_id != order_id:  # a link shows its own order only
            raise NotFound("No such order.", code="order_not_found")
        shop = found.shop
    else:
        who = live_caller(router)
        who.ensure_order(who.shop, order_id)
        shop = who.shop
    order, tracked = d.shipments().progress_of(shop, order_id, d.clock())
    return tracking_out(order, tracked, lang, router.current_event.headers)
