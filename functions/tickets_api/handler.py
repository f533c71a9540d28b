"""Ticket API: customers and storefronts open tickets and write on them (/v1/tickets, API key or
customer token); staff work the queues (/admin/v1/tickets, Cognito groups).

Thin: who is calling (boomerang.api.auth or the Cognito authorizer's claims), validation
(Powertools resolver + pydantic), the ticket service, the response. The classifier's model file is
read on the first ticket opened, not at cold start.
"""

# No `from __future__ import annotations`: Powertools reads the route signatures' real types.
import gc
import json
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

# The libraries' objects live as long as the container (see functions/storefront_api/handler.py).
gc.freeze()


from boomerang.api.auth import Authenticator
from boomerang.api.errors import error_body, error_response
from boomerang.api.idempotency import request_idempotency, require_idempotency_key
from boomerang.api.resolver import STOREFRONT_CORS, error_responses, install_error_handlers, request_id
from boomerang.api.routes import TICKET_ADMIN_PERMISSIONS, TICKET_ADMIN_ROUTES, route_template
from boomerang.api.schemas import utc
from boomerang.api.ticket_schemas import (
    AssignIn,
    CategoryIn,
    LinkIn,
    MergeIn,
    MessageIn,
    NoteIn,
    ReplyIn,
    StaffTicketOut,
    StatusIn,
    TicketIn,
    TicketOut,
    TicketQueueOut,
)
from boomerang.auth.principal import Principal
from boomerang.auth.staff import StaffMember, member_from_claims, require
from boomerang.classifier.model import default_classifier
from boomerang.config import TicketsApiConfig
from boomerang.domain.errors import DomainError, Unauthorized
from boomerang.domain.tickets import Channel, Contact, Group, TicketStatus
from boomerang.services.tickets import NewTicket, TicketService
from boomerang.store.records import Repository
from boomerang.store.tickets import TicketRepository

config = TicketsApiConfig.from_env()
logger = Logger()
tracer = Tracer()
metrics = Metrics()
warnings.filterwarnings("ignore", message="No application metrics to publish")
repo = Repository(config.table_name)
tickets = TicketRepository(config.table_name, repo.ddb)


def _signing_key() -> bytes:
    # Imported on first use: only customer-token calls need Secrets Manager.
    from aws_lambda_powertools.utilities import parameters

    return str(parameters.get_secret(config.session_secret_name, max_age=300)).encode()


def clock() -> datetime:
    return datetime.now(UTC)


service = TicketService(tickets, repo, default_classifier, lambda: clock())
auth = Authenticator(repo, _signing_key, config.api_key_cache_seconds)
idempotency = request_idempotency()
idempotency_store = DynamoDBPersistenceLayer(table_name=config.idempotency_table_name, boto3_client=repo.ddb)

app = APIGatewayRestResolver(enable_validation=True, cors=STOREFRONT_CORS)
ERRORS = error_responses()
install_error_handlers(app, logger, metrics)
TICKET_ID = Annotated[str, Path(max_length=32, description="The ticket id, e.g. TK-3F9A1C2B7D0E")]
IDEMPOTENCY_KEY = Annotated[str | None, Header(alias="idempotency-key", max_length=255)]


@app.exception_handler(IdempotencyValidationError)
def _idempotency_reused(exc: IdempotencyValidationError) -> Response[str]:
    message = "This Idempotency-Key was used with a different body."
    return error_response(409, "idempotency_key_reused", message, None, request_id(app))


@app.exception_handler(IdempotencyAlreadyInProgressError)
def _idempotency_in_progress(exc: IdempotencyAlreadyInProgressError) -> Response[str]:
    message = "A request with this Idempotency-Key is still running; retry shortly."
    return error_response(409, "request_in_progress", message, None, request_id(app))


def _caller() -> Principal:
    caller = auth.principal(app.current_event.headers, clock())
    logger.append_keys(shop=caller.shop)
    return caller


def _customer_id(caller: Principal) -> str:
    # The idempotency key's scope: one shop's storefront, or one customer of it.
    return f"{caller.shop}:{caller.customer_ref or 'storefront'}"


# --- storefront side -----------------------------------------------------------------------------


def _open_once(call: dict[str, Any]) -> dict[str, Any]:
    caller = _caller()
    body = TicketIn.model_validate(call["request"])
    channel = (
        Channel(body.channel) if body.channel else (Channel.PORTAL if caller.is_customer else Channel.API)
    )
    contact = Contact(name=body.contact.name, email=body.contact.email) if body.contact else None
    ticket = service.open(
        caller,
        NewTicket(
            body=body.message,
            channel=channel,
            subject=body.subject,
            order_id=body.order_id,
            rma=body.rma,
            contact=contact,
            language=body.language,
        ),
    )
    logger.append_keys(ticket_id=ticket.ticket_id, order_id=ticket.order_id, rma=ticket.rma)
    logger.info(
        "ticket opened",
        extra={"category": ticket.category, "confidence": ticket.category_confidence, "group": ticket.group},
    )
    metrics.add_metric(name="TicketOpened", unit=MetricUnit.Count, value=1)
    if ticket.group is Group.TRIAGE:
        metrics.add_metric(name="TicketTriaged", unit=MetricUnit.Count, value=1)
    opened, messages = service.view(caller, ticket.ticket_id)
    return TicketOut.of(opened, messages).model_dump(mode="json")


def _message_once(call: dict[str, Any]) -> dict[str, Any]:
    caller = _caller()
    body = MessageIn.model_validate(call["request"])
    ticket, messages = service.add_customer_message(caller, call["ticket_id"], body.message)
    logger.append_keys(ticket_id=ticket.ticket_id)
    metrics.add_metric(name="TicketCustomerMessage", unit=MetricUnit.Count, value=1)
    return TicketOut.of(ticket, messages).model_dump(mode="json")


open_once: Callable[..., dict[str, Any]] = idempotent_function(
    data_keyword_argument="call", config=idempotency, persistence_store=idempotency_store
)(_open_once)
message_once: Callable[..., dict[str, Any]] = idempotent_function(
    data_keyword_argument="call", config=idempotency, persistence_store=idempotency_store
)(_message_once)


@app.post("/v1/tickets", summary="Open a support ticket", responses=ERRORS, tags=["tickets"])
@tracer.capture_method
def post_ticket(body: TicketIn, idempotency_key: IDEMPOTENCY_KEY = None) -> Response[TicketOut]:
    key = require_idempotency_key(idempotency_key)
    caller = _caller()
    result = open_once(call={"key": f"{_customer_id(caller)}:{key}", "request": body.model_dump(mode="json")})
    return Response(
        status_code=201, content_type=content_types.APPLICATION_JSON, body=TicketOut.model_validate(result)
    )


@app.get(
    "/v1/tickets/<ticket_id>", summary="A ticket and its conversation", responses=ERRORS, tags=["tickets"]
)
@tracer.capture_method
def get_ticket(ticket_id: TICKET_ID) -> TicketOut:
    ticket, messages = service.view(_caller(), ticket_id)
    logger.append_keys(ticket_id=ticket.ticket_id)
    return TicketOut.of(ticket, messages)


@app.post(
    "/v1/tickets/<ticket_id>/messages",
    summary="Write on a ticket (reopens it if it was solved or waiting for the customer)",
    responses=ERRORS,
    tags=["tickets"],
)
@tracer.capture_method
def post_message(
    ticket_id: TICKET_ID, body: MessageIn, idempotency_key: IDEMPOTENCY_KEY = None
) -> Response[TicketOut]:
    key = require_idempotency_key(idempotency_key)
    caller = _caller()
    result = message_once(
        call={
            "key": f"{_customer_id(caller)}:{ticket_id}:{key}",
            "ticket_id": ticket_id,
            "request": body.model_dump(mode="json"),
        }
    )
    return Response(
        status_code=201, content_type=content_types.APPLICATION_JSON, body=TicketOut.model_validate(result)
    )


# --- staff side ----------------------------------------------------------------------------------


def _staff() -> StaffMember:
    member = app.context.get("staff")
    if not isinstance(member, StaffMember):
        raise Unauthorized("Sign in: the admin API needs a staff ID token.", code="unauthenticated")
    return member


def _staff_out(ticket_id: str) -> StaffTicketOut:
    view = service.staff_view(ticket_id)
    logger.append_keys(ticket_id=view.ticket.ticket_id, shop=view.ticket.shop, rma=view.ticket.rma)
    return StaffTicketOut.of(view.ticket, utc(clock()), view.messages, view.returns, view.suggested_reply)


@app.get(
    "/admin/v1/tickets",
    summary="A queue: a shop's tickets of one group in one status, oldest first",
    responses=ERRORS,
    tags=["staff tickets"],
)
@tracer.capture_method
def list_tickets(
    shop: Annotated[str, Query(min_length=1, max_length=128)],
    group: Annotated[
        Group, Query(description="support, finance, warehouse, admin or triage")
    ] = Group.SUPPORT,
    status: Annotated[TicketStatus, Query()] = TicketStatus.OPEN,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
) -> TicketQueueOut:
    _staff()
    logger.append_keys(shop=shop)
    page = service.queue(shop, group, status, limit, cursor)
    now = utc(clock())
    return TicketQueueOut(items=[StaffTicketOut.of(t, now) for t in page.items], next_cursor=page.next_cursor)


@app.get(
    "/admin/v1/tickets/<ticket_id>",
    summary="A ticket with its messages, notes, linked return's status and a suggested reply",
    responses=ERRORS,
    tags=["staff tickets"],
)
@tracer.capture_method
def get_staff_ticket(ticket_id: TICKET_ID) -> StaffTicketOut:
    _staff()
    return _staff_out(ticket_id)


@app.post(
    "/admin/v1/tickets/<ticket_id>/assign",
    summary="Assign to someone and/or a group",
    responses=ERRORS,
    tags=["staff tickets"],
)
@tracer.capture_method
def assign_ticket(ticket_id: TICKET_ID, body: AssignIn) -> StaffTicketOut:
    member = _staff()
    service.assign(ticket_id, member.actor, body.assignee, Group(body.group) if body.group else None)
    return _staff_out(ticket_id)


@app.post(
    "/admin/v1/tickets/<ticket_id>/replies",
    summary="Reply to the customer",
    responses=ERRORS,
    tags=["staff tickets"],
)
@tracer.capture_method
def reply_ticket(ticket_id: TICKET_ID, body: ReplyIn) -> StaffTicketOut:
    member = _staff()
    service.reply(ticket_id, member.actor, body.message, TicketStatus(body.status) if body.status else None)
    metrics.add_metric(name="TicketStaffReply", unit=MetricUnit.Count, value=1)
    return _staff_out(ticket_id)


@app.post(
    "/admin/v1/tickets/<ticket_id>/notes",
    summary="An internal note (staff only)",
    responses=ERRORS,
    tags=["staff tickets"],
)
@tracer.capture_method
def note_ticket(ticket_id: TICKET_ID, body: NoteIn) -> StaffTicketOut:
    member = _staff()
    service.note(ticket_id, member.actor, body.message)
    return _staff_out(ticket_id)


@app.post(
    "/admin/v1/tickets/<ticket_id>/status",
    summary="Change the status",
    responses=ERRORS,
    tags=["staff tickets"],
)
@tracer.capture_method
def status_ticket(ticket_id: TICKET_ID, body: StatusIn) -> StaffTicketOut:
    member = _staff()
    service.set_status(ticket_id, member.actor, body.status)
    return _staff_out(ticket_id)


@app.post(
    "/admin/v1/tickets/<ticket_id>/category",
    summary="Set the category (triage); the ticket moves to support's queue",
    responses=ERRORS,
    tags=["staff tickets"],
)
@tracer.capture_method
def categorize_ticket(ticket_id: TICKET_ID, body: CategoryIn) -> StaffTicketOut:
    member = _staff()
    service.categorize(ticket_id, member.actor, body.category)
    return _staff_out(ticket_id)


@app.post(
    "/admin/v1/tickets/<ticket_id>/merge",
    summary="Merge this duplicate into another ticket (it is closed, pointing there)",
    responses=ERRORS,
    tags=["staff tickets"],
)
@tracer.capture_method
def merge_ticket(ticket_id: TICKET_ID, body: MergeIn) -> StaffTicketOut:
    member = _staff()
    service.merge(ticket_id, body.into, member.actor)
    return _staff_out(ticket_id)


@app.post(
    "/admin/v1/tickets/<ticket_id>/link",
    summary="Link to a return (and its order)",
    responses=ERRORS,
    tags=["staff tickets"],
)
@tracer.capture_method
def link_ticket(ticket_id: TICKET_ID, body: LinkIn) -> StaffTicketOut:
    member = _staff()
    service.link_return(ticket_id, member.actor, body.rma)
    return _staff_out(ticket_id)


gc.freeze()  # and the same for what init built


def _refuse(event: dict[str, Any], status: int, code: str, message: str, details: Any) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    rid = (event.get("requestContext") or {}).get("requestId")
    return {
        "statusCode": status,
        "headers": {
            "Content-Type": content_types.APPLICATION_JSON,
            **STOREFRONT_CORS.to_dict(headers.get("origin")),
        },
        "body": json.dumps(error_body(code, message, details, rid)),
    }


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    idempotency.register_lambda_context(context)
    body = event.get("body") or ""
    if len(body) > config.max_body_bytes:
        return _refuse(
            event, 413, "payload_too_large", f"The body is over {config.max_body_bytes} bytes.", None
        )
    path = str(event.get("path") or "")
    if path.startswith("/admin/"):
        # Staff: who is calling and whether their groups may use this route, before the body is read.
        method = str(event.get("httpMethod") or "")
        route = route_template(TICKET_ADMIN_ROUTES, method, path)
        authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
        claims = authorizer.get("claims") if isinstance(authorizer, dict) else None
        try:
            member = member_from_claims(claims if isinstance(claims, dict) else None)
            if route is not None:
                require(member, TICKET_ADMIN_PERMISSIONS[(method.upper(), route)])
        except DomainError as exc:
            logger.info("refused", extra={"code": exc.code, "status": exc.http_status, "route": route})
            metrics.add_metric(name="ClientError", unit=MetricUnit.Count, value=1)
            return _refuse(event, exc.http_status, exc.code, exc.message, exc.details)
        logger.append_keys(actor=member.actor)
        app.append_context(staff=member)
    return app.resolve(event, context)
