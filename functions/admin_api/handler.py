"""Staff (admin) API: the queues and the human steps of a return's workflow (review, warehouse scan,
inspection) for the merchant's support, warehouse, finance and admin staff.

Thin: API Gateway's Cognito User Pools authorizer has verified the staff ID token; this checks the
caller's groups against the route (boomerang.auth.staff), validates the body, calls the workflow
library and shapes the response.
"""

# No `from __future__ import annotations`: Powertools reads the route signatures' real types.
import gc
import json
import re
import warnings
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import unquote

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

# The libraries' objects live as long as the container: out of the garbage collector's way
# (see functions/storefront_api/handler.py).
gc.freeze()


from boomerang.api.admin_schemas import (
    ApproveIn,
    InspectionIn,
    QueueOut,
    RefundRetryIn,
    RejectIn,
    ScanIn,
    StaffReturnOut,
)
from boomerang.api.errors import (
    error_body,
)
from boomerang.api.evidence_schemas import (
    EvidenceIn,
    EvidenceListOut,
    EvidenceOut,
    EvidenceUploadOut,
    EvidenceViewOut,
    PrivacyOut,
)
from boomerang.api.resolver import error_responses, install_error_handlers, request_id
from boomerang.api.routes import ADMIN_ROUTES, route_template
from boomerang.auth.staff import StaffMember, authorize
from boomerang.carriers.sandbox import SandboxCarrier
from boomerang.config import AdminConfig, EvidenceConfig
from boomerang.domain import rma as rma_numbers
from boomerang.domain.errors import DomainError, NotFound, Unauthorized, Unprocessable
from boomerang.domain.evidence import Uploader
from boomerang.domain.status import ReturnStatus
from boomerang.payments.port import Payments
from boomerang.payments.sandbox import SandboxPayments
from boomerang.payments.secrets import SecretPayments
from boomerang.services.evidence import EvidenceService, S3Clients, buckets_from
from boomerang.services.policies import PolicySource
from boomerang.services.privacy import PrivacyService, Subject, standard_holders
from boomerang.services.workflow import ReturnWorkflow
from boomerang.store.records import Repository
from boomerang.workflow.engine import StepFunctionsEngine

config = AdminConfig.from_env()
logger = Logger()
tracer = Tracer()
metrics = Metrics()
warnings.filterwarnings("ignore", message="No application metrics to publish")
repo = Repository(config.table_name)
# Stripe through the deployment's secret (read on the first refund); the sandbox where none is named.
payments: Payments = (
    SecretPayments(config.stripe_secret_name) if config.stripe_secret_name else SandboxPayments()
)


def clock() -> datetime:
    return datetime.now(UTC)


# Staff news resumes the workflow's waits by task token (its client is made on first use).
workflow = ReturnWorkflow(
    repo,
    PolicySource(repo, config.policy_cache_seconds),
    StepFunctionsEngine(config.state_machine_arn),
    SandboxCarrier(),
    payments,
    lambda: clock(),
)

cors = CORSConfig(allow_origin="*", allow_headers=["Content-Type", "Authorization"], max_age=600)
app = APIGatewayRestResolver(enable_validation=True, cors=cors)

ERRORS = error_responses()
install_error_handlers(app, logger, metrics)
RMA = Annotated[str, Path(max_length=32, description="The RMA number, e.g. K7Q-4M2-XAC")]


def _request_id() -> str | None:
    return request_id(app)


# --- routes -----------------------------------------------------------------------------------


def _staff() -> StaffMember:
    """The caller, authorized for this route by `handler` before routing."""
    member = app.context.get("staff")
    if not isinstance(member, StaffMember):
        raise Unauthorized("Sign in: the admin API needs a staff ID token.", code="unauthenticated")
    return member


def _canonical(rma: str) -> str:
    # A path that is not an RMA number answers as a missing return (as the storefront does).
    try:
        canonical = rma_numbers.normalize(rma)
    except rma_numbers.InvalidRma as exc:
        raise NotFound(str(exc), code="invalid_rma") from exc
    logger.append_keys(rma=canonical)
    return canonical


def _staff_view(rma: str) -> StaffReturnOut:
    ret, timeline = repo.get_return(rma)
    logger.append_keys(shop=ret.shop, order_id=ret.order_id)
    return StaffReturnOut.of_staff(ret, timeline)


@app.get(
    "/admin/v1/returns",
    summary="A queue: a shop's returns in one status, oldest first (support, warehouse, finance, admin)",
    responses=ERRORS,
    tags=["staff"],
)
@tracer.capture_method
def list_returns(
    shop: Annotated[str, Query(min_length=1, max_length=128, description="The shop id")],
    status: Annotated[ReturnStatus, Query(description="The queue, e.g. pending_review")],
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=4096, description="next_cursor of the last page")] = None,
) -> QueueOut:
    _staff()
    logger.append_keys(shop=shop)
    page = repo.returns_by_status(shop, status, limit, cursor)
    return QueueOut(items=[StaffReturnOut.of_staff(r) for r in page.items], next_cursor=page.next_cursor)


@app.get(
    "/admin/v1/returns/<rma>",
    summary="A return with everything staff need: timeline, label, inspection, refund, failure, wait",
    responses=ERRORS,
    tags=["staff"],
)
@tracer.capture_method
def get_return(rma: RMA) -> StaffReturnOut:
    _staff()
    return _staff_view(_canonical(rma))


@app.post(
    "/admin/v1/returns/<rma>/approve",
    summary="Approve a return waiting for review (support, admin)",
    responses=ERRORS,
    tags=["staff"],
)
@tracer.capture_method
def approve_return(rma: RMA, body: ApproveIn) -> StaffReturnOut:
    member = _staff()
    canonical = _canonical(rma)
    workflow.approve(canonical, member.actor, body.note)
    logger.info("approved", extra={"actor": member.actor})
    metrics.add_metric(name="StaffApproved", unit=MetricUnit.Count, value=1)
    return _staff_view(canonical)


@app.post(
    "/admin/v1/returns/<rma>/reject",
    summary="Reject a return waiting for review, with the reason (support, admin)",
    responses=ERRORS,
    tags=["staff"],
)
@tracer.capture_method
def reject_return(rma: RMA, body: RejectIn) -> StaffReturnOut:
    member = _staff()
    canonical = _canonical(rma)
    workflow.reject(canonical, member.actor, body.reason)
    logger.info("rejected", extra={"actor": member.actor})
    metrics.add_metric(name="StaffRejected", unit=MetricUnit.Count, value=1)
    return _staff_view(canonical)


@app.post(
    "/admin/v1/warehouse/scans",
    summary="The warehouse scanned a parcel's RMA at a hub: the return is received (warehouse, admin)",
    responses=ERRORS,
    tags=["warehouse"],
)
@tracer.capture_method
def post_scan(body: ScanIn) -> StaffReturnOut:
    member = _staff()
    logger.append_keys(hub=body.hub)
    received = workflow.scan(body.code, body.hub, member.actor)
    logger.append_keys(rma=received.rma)
    logger.info("received", extra={"actor": member.actor})
    metrics.add_metric(name="WarehouseReceived", unit=MetricUnit.Count, value=1)
    return _staff_view(received.rma)


@app.post(
    "/admin/v1/returns/<rma>/inspection",
    summary="Grade every item of a received return; the grades decide the refund (warehouse, admin)",
    responses=ERRORS,
    tags=["warehouse"],
)
@tracer.capture_method
def post_inspection(rma: RMA, body: InspectionIn) -> StaffReturnOut:
    member = _staff()
    canonical = _canonical(rma)
    workflow.inspect(canonical, body.gradings(), member.actor)
    logger.info("inspected", extra={"actor": member.actor})
    metrics.add_metric(name="WarehouseInspected", unit=MetricUnit.Count, value=1)
    return _staff_view(canonical)


# --- evidence and a customer's data rights ---------------------------------------------------

evidence_config = EvidenceConfig.from_env()
evidence = EvidenceService(
    repo,
    workflow.policy_for,
    buckets_from(
        evidence_config.evidence_bucket, evidence_config.aws_region, evidence_config.evidence_regional_buckets
    ),
    S3Clients(),
    lambda: clock(),
)
privacy = PrivacyService(standard_holders(repo), lambda: clock())
EVIDENCE_ID = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="An evidence id")]
EMAIL = Annotated[str, Path(min_length=3, max_length=960, description="The customer's email (URL-encoded)")]
EMAIL_SHAPE = re.compile(r"^[^@\s/]+@[^@\s/]+\.[^@\s/]+$")
SHOP = Annotated[str, Query(min_length=1, max_length=128, description="The shop id")]


def _subject(email: str, shop: str) -> Subject:
    # API Gateway may pass the path segment URL-encoded (%40): the email is checked once decoded.
    decoded = unquote(email).strip()
    if not EMAIL_SHAPE.fullmatch(decoded):
        raise Unprocessable(
            "Not an email address.",
            code="validation_failed",
            details=[{"field": "path.email", "code": "invalid_email", "message": "Not an email address."}],
        )
    logger.append_keys(shop=shop)
    return Subject(shop, decoded)


@app.post(
    "/admin/v1/returns/<rma>/evidence",
    summary="Attach inspection photos or video: answers a presigned POST (warehouse, admin)",
    responses=ERRORS,
    tags=["warehouse"],
)
@tracer.capture_method(capture_response=False)
def attach_evidence(rma: RMA, body: EvidenceIn) -> Response[EvidenceUploadOut]:
    member = _staff()
    ret, _ = repo.get_return(_canonical(rma))
    made = evidence.presign_upload(
        ret, body.evidence_kind, body.content_type, body.size, Uploader.STAFF, member.actor, body.content_md5
    )
    return Response(
        status_code=201, content_type=content_types.APPLICATION_JSON, body=EvidenceUploadOut.of(made)
    )


@app.get("/admin/v1/returns/<rma>/evidence", summary="A return's evidence", responses=ERRORS, tags=["staff"])
@tracer.capture_method
def list_evidence(rma: RMA) -> EvidenceListOut:
    member = _staff()
    # The listing checks each file is still there (a file found gone goes on the timeline, alarmed).
    return EvidenceListOut(items=[EvidenceOut.of(e) for e in evidence.listing(_canonical(rma), member.actor)])


@app.get(
    "/admin/v1/returns/<rma>/evidence/<evidence_id>",
    summary="A short-lived URL to view one piece of evidence; the view goes on the timeline",
    responses=ERRORS,
    tags=["staff"],
)
@tracer.capture_method(capture_response=False)
def view_evidence(rma: RMA, evidence_id: EVIDENCE_ID) -> EvidenceViewOut:
    member = _staff()
    view = evidence.view_url(_canonical(rma), evidence_id, member.actor)
    logger.info("evidence viewed", extra={"evidence_id": evidence_id})
    return EvidenceViewOut.of(view)


@app.get(
    "/admin/v1/customers/<email>/export",
    summary="Everything the shop holds about a customer, as JSON (GDPR Art. 15/20; support, admin)",
    responses=ERRORS,
    tags=["privacy"],
)
@tracer.capture_method(capture_response=False)
def export_customer(email: EMAIL, shop: SHOP) -> PrivacyOut:
    _staff()
    subject = _subject(email, shop)
    logger.info("customer data exported")  # never the email
    return PrivacyOut.model_validate(privacy.export(subject))


@app.post(
    "/admin/v1/customers/<email>/erase",
    summary="Erase a customer's personal data; financial records and locked evidence kept (admin)",
    responses=ERRORS,
    tags=["privacy"],
)
@tracer.capture_method(capture_response=False)
def erase_customer(email: EMAIL, shop: SHOP) -> PrivacyOut:
    _staff()
    done = privacy.erase(_subject(email, shop))
    logger.info("customer data erased")
    metrics.add_metric(name="CustomerErased", unit=MetricUnit.Count, value=1)
    return PrivacyOut.model_validate(done)


@app.post(
    "/admin/v1/returns/<rma>/refund",
    summary="Pay a failed refund another way: card, store credit, PayPal or bank transfer (finance, admin)",
    responses=ERRORS,
    tags=["finance"],
)
@tracer.capture_method
def retry_refund(rma: RMA, body: RefundRetryIn) -> StaffReturnOut:
    member = _staff()
    canonical = _canonical(rma)
    workflow.retry_refund(canonical, body.method, member.actor, body.reference)
    logger.info("refund paid another way", extra={"actor": member.actor, "method": body.method.value})
    metrics.add_metric(name=f"RefundRetried_{body.method.value}", unit=MetricUnit.Count, value=1)
    return _staff_view(canonical)


gc.freeze()  # and the same for what init built


def _refuse(event: dict[str, Any], status: int, code: str, message: str, details: Any) -> dict[str, Any]:
    """An answer given before routing, in the API's error body, with the CORS headers a browser needs."""
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    request_id = (event.get("requestContext") or {}).get("requestId")
    return {
        "statusCode": status,
        "headers": {"Content-Type": content_types.APPLICATION_JSON, **cors.to_dict(headers.get("origin"))},
        "body": json.dumps(error_body(code, message, details, request_id)),
    }


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Who is calling and whether their groups may use this route, before anything reads the body:
    # a caller who may not act learns nothing about what a valid body would be.
    method = str(event.get("httpMethod") or "")
    route = route_template(ADMIN_ROUTES, method, str(event.get("path") or ""))
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    claims = authorizer.get("claims") if isinstance(authorizer, dict) else None
    try:
        member = authorize(claims if isinstance(claims, dict) else None, method, route)
    except DomainError as exc:
        logger.info("refused", extra={"code": exc.code, "status": exc.http_status, "route": route})
        metrics.add_metric(name="ClientError", unit=MetricUnit.Count, value=1)
        return _refuse(event, exc.http_status, exc.code, exc.message, exc.details)
    logger.append_keys(actor=member.actor)
    body = event.get("body") or ""
    if len(body) > config.max_body_bytes:
        message = f"The body is over {config.max_body_bytes} bytes."
        return _refuse(event, 413, "payload_too_large", message, None)
    if method == "POST" and not body.strip():
        # An empty body reads as {}: approve needs nothing, and the others then name each field
        # they miss (422) instead of answering "body required".
        event = {**event, "body": "{}", "isBase64Encoded": False}
    app.append_context(staff=member)
    return app.resolve(event, context)
