"""The one error body of every Boomerang API: {"error": {code, message, details, request_id}}."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types

from boomerang.domain.errors import DomainError

# Every error code the API answers with, by HTTP status. Codes are stable: clients branch on
# them. The OpenAPI document lists them under each response; a test keeps this table complete.
ERROR_CODES: dict[int, dict[str, str]] = {
    400: {
        "malformed_json": "The body is not JSON, or nests deeper than 32 levels.",
        "idempotency_key_required": "A POST that creates something needs an Idempotency-Key header.",
        "invalid_cursor": "The list cursor was not one this API gave out.",
        "bad_request": "The request cannot be read.",
        "malformed_webhook": "A signed webhook whose body is not the provider's event shape.",
        "missing_webhook_header": "A webhook lacks its provider's topic or event id header.",
        "invalid_signature": "A webhook's signature is missing, does not match the raw body, or is too old.",
    },
    401: {
        "unauthenticated": "No credentials: no API key or customer token; on /admin, no staff sign-in.",
        "invalid_api_key": "The x-api-key is not a key of any shop.",
        "invalid_token": "The customer token is malformed or its signature does not match.",
        "token_expired": "The customer token has expired; open a new session.",
        "session_revoked": "The customer signed out everywhere, or their data was erased, since the token "
        "was issued.",
        "webhook_signature_missing": "A webhook without its provider's signature header.",
        "webhook_signature_invalid": "A webhook whose signature does not match its raw body.",
        "unknown_shop_domain": "A Shopify webhook names a shop domain not connected to Boomerang.",
        "invalid_webhook_signature": "The webhook's signature does not match its body and the shop's secret.",
        "invalid_tracking_link": "The tracking link is malformed or its signature does not match.",
        "tracking_link_expired": "The tracking link has expired; sign in with the order number and email.",
        "sign_in_state": "Console: the sign-in came back without the state it started with; sign in again.",
        "sign_in_expired": "Console: the sign-in took longer than its few minutes; sign in again.",
        "sign_in_refused": "Console: Cognito refused the sign-in code, did not answer or gave no ID token.",
    },
    403: {
        "api_key_required": "Only the storefront's server (API key) may do this.",
        "wrong_shop": "The body names another shop than the API key's.",
        "forbidden_group": "The staff member's groups may not do this; the message names those that may.",
        "csrf_failed": "Console: the form was not sent from the console page; reload it. Nothing done.",
        "customer_token_required": "Only a customer's own token may do this (signing out everywhere).",
        "access_denied": "API Gateway refused the request (its authorizer or the firewall).",
    },
    404: {
        "order_not_found": "No such order, or not yours; also a wrong order number or email for a session.",
        "return_not_found": "No such return, or not yours.",
        "label_not_issued": "The return has no label yet (not approved, or the label is being issued).",
        "invalid_rma": "Not an RMA number: wrong characters, length or check character (a typo).",
        "route_not_found": "No such route.",
        "subscription_not_found": "No such webhook subscription for the shop.",
        "dead_letter_not_found": "No such dead-lettered webhook delivery (or it was redriven already).",
        "evidence_not_found": "The return has no evidence with that id.",
        "evidence_missing": "The evidence is recorded but its file is gone (on the timeline, alarmed).",
        "ticket_not_found": "No such ticket, or not yours (a customer token reaches its own tickets only).",
        "policy_version_not_found": "The shop has no policy version of that number.",
        "shop_not_found": "No such shop.",
        "api_key_not_found": "No such API key of the shop (already revoked, or another shop's).",
        "parcel_not_found": "No such parcel of the shop.",
        "report_not_found": "No report of that name (GET /admin/v1/reports/{name} lists the names).",
    },
    409: {
        "stale_version": "Someone changed the record since it was read; read again and retry.",
        "illegal_transition": "The return's status does not allow this (both states named).",
        "no_replacement": "The return has no replacement order (yet) to report a shipment for.",
        "idempotency_key_reused": "The Idempotency-Key was used with another body.",
        "request_in_progress": "A request with this Idempotency-Key is still running.",
        "wrong_hub": "The scanned parcel belongs to another hub: set it aside.",
        "evidence_not_expected": "The return's status takes no (more) evidence from this uploader.",
        "evidence_offer_limit": "The return had as many uploads offered as its policy allows (per uploader).",
        "ticket_closed": "The ticket is closed; a customer opens a new one.",
        "illegal_ticket_transition": "The ticket's status does not allow this (both states named).",
        "merge_conflict": "A ticket cannot be merged into itself.",
        "ticket_full": "The ticket has as many messages as it may hold; open a new one.",
        "return_disputed": "The return's payment is disputed (chargeback): nothing is refunded again.",
        "refund_not_failed": "Only a return whose refund failed can be paid another way.",
        "payment_in_progress": "Another request holds this return's payment attempt; nothing was paid twice.",
        "credit_already_spent": "This store credit spend is already recorded.",
        "shop_exists": "A shop with that id exists already.",
        "tracking_number_taken": "Another order's parcel has this tracking number.",
    },
    412: {"precondition_failed": "If-Match names a version that is no longer current: read again, reapply."},
    428: {"precondition_required": "A change of a versioned document needs If-Match (the ETag read)."},
    413: {"payload_too_large": "The body is over the size limit."},
    415: {"unsupported_media_type": "A body sent as anything but JSON (Content-Type: application/json)."},
    429: {
        "throttled": "Too many requests; retry with backoff (API Gateway's stage throttling).",
        "too_many_attempts": "Too many failed session attempts for the email or the client; retry after "
        "the Retry-After header's seconds.",
    },
    422: {
        "validation_failed": "A field is missing or has the wrong type or format; details name each field "
        "(a control character in a text field: detail code `control_character`).",
        "line_not_on_order": "A returned line is not on the order.",
        "duplicate_line": "A line is listed twice in one request.",
        "quantity_exceeds_returnable": "More units than are left to return.",
        "already_returned": "Every unit of the line is already in a return.",
        "reason_not_allowed": "The policy does not allow that reason for the item.",
        "resolution_not_allowed": "The policy does not offer that resolution for the item.",
        "return_window_closed": "The return window has passed.",
        "category_not_returnable": "The item's category cannot be returned.",
        "no_hub_for_country": "No open return hub serves the customer's country.",
        "shop_required": "A session without an API key must name the shop.",
        "invalid_rma": "A scanned or typed code is not an RMA number (its check character fails).",
        "inspection_incomplete": "An inspection must grade every item of the return once.",
        "unmappable_order": "A storefront order lacks what a returnable order needs (email, country).",
        "evidence_not_acceptable": "The declared file's type or size is outside the policy.",
        "unknown_event_type": "No system ticket is opened for this event type.",
        "method_not_possible": "The refund failure rules out that payout method (e.g. a lost card).",
        "refund_refused": "The payment provider refused the refund; details name the reason.",
        "insufficient_credit": "The store credit balance is less than the amount to spend.",
        "out_of_stock": "The replacement variant has too few units available; details name the variant.",
        "exchange_not_requested": "A return item names a replacement, but the return is no exchange.",
        "exchange_not_offered": "The item is not in the catalog, so no replacement can be chosen.",
        "exchange_variant_required": "An exchange of this item must name its replacement variant.",
        "exchange_variant_not_found": "No such variant to exchange for (in the item's currency).",
        "exchange_product_not_allowed": "The policy allows only another variant of the same product.",
        "exchange_costs_more": "The replacement costs more than the item returned (no dearer one here).",
        "price_difference_too_large": "The prices differ by more than the policy allows for an exchange.",
    },
    500: {
        "internal_error": (
            "The server failed; the request id finds it in the logs (API Gateway answers a failed function "
            "with this code and its own 5xx status)."
        )
    },
    502: {"payment_provider_misconfigured": "The payment integration is misconfigured (e.g. its key)."},
    503: {
        "payment_provider_unavailable": "The payment provider is unavailable; retry shortly.",
        "payment_not_recorded": "The provider answered but the outcome was not saved; retry the same method.",
        "reports_unavailable": "The report could not be run (the lake's query engine failed or timed out); "
        "retry shortly.",
    },
    504: {"gateway_timeout": "The function did not answer in time (API Gateway's limit); retry."},
}


def error_body(
    code: str, message: str, details: list[dict[str, Any]] | None = None, request_id: str | None = None
) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or [], "request_id": request_id}}


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    request_id: str | None = None,
) -> Response[str]:
    body = error_body(code, message, details, request_id)
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


def domain_error_response(exc: DomainError, request_id: str | None) -> Response[str]:
    response = error_response(exc.http_status, exc.code, exc.message, exc.details, request_id)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def validation_details(errors: Any) -> tuple[str, str, list[dict[str, Any]]]:
    """Turn pydantic/Powertools validation errors into (code, message, details naming each field)."""
    details: list[dict[str, Any]] = []
    malformed = False
    for err in errors:
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body",)]
        kind = str(err.get("type", "invalid"))
        if kind == "json_invalid":
            malformed = True
            loc = []
        field = ""
        for part in loc:
            field += f"[{part}]" if part.isdigit() else (f".{part}" if field else part)
        details.append(
            {"field": field or None, "code": kind, "message": str(err.get("msg", "invalid value"))}
        )
    if malformed:
        return "malformed_json", "The request body is not valid JSON.", details
    fields = ", ".join(d["field"] for d in details if d["field"]) or "the request"
    return "validation_failed", f"Invalid value in {fields}.", details
