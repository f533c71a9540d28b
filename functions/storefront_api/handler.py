"""Storefront API: the public REST API that storefronts and customer portals call.

Thin: parse and validate (Powertools resolver + pydantic), call the library, shape the response.
"""

# No `from __future__ import annotations`: Powertools reads the route signatures' real types
# through the tracer's wrappers to validate bodies and build the OpenAPI.
import gc
import json
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
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

# The libraries' objects live as long as the container: freeze them out of the garbage collector,
# so building our models and routes below (and every request after) never rescans them. This
# halves the init time of the code below; `make bench` measures it against the libraries alone.
gc.freeze()


from boomerang.api.auth import Authenticator
from boomerang.api.credit_schemas import (
    CreditAccountOut,
    CreditSpendIn,
    CreditSpendOut,
    account_out,
    spend_out,
)
from boomerang.api.errors import (
    error_body,
    error_response,
)
from boomerang.api.evidence_schemas import EvidenceIn, EvidenceUploadOut
from boomerang.api.idempotency import request_idempotency, require_idempotency_key
from boomerang.api.label_schemas import LabelOut
from boomerang.api.resolver import STOREFRONT_CORS, error_responses, install_error_handlers, request_id
from boomerang.api.schemas import (
    EligibilityOut,
    LineEligibilityOut,
    OrderIn,
    OrderOut,
    PolicyOut,
    ReturnIn,
    ReturnOut,
    SessionIn,
    SessionOut,
    utc,
)
from boomerang.carriers.labels import LabelStore
from boomerang.config import StorefrontConfig
from boomerang.domain.errors import Forbidden, Unprocessable
from boomerang.domain.money import Money
from boomerang.domain.policy import RequestedItem
from boomerang.orchestration.step_functions import StepFunctionsEngine
from boomerang.services.policies import PolicySource
from boomerang.services.returns import ReturnRequest, ReturnsService
from boomerang.store.records import Repository

config = StorefrontConfig.from_env()
logger = Logger()
tracer = Tracer()
metrics = Metrics()
# A read publishes no business metric; Powertools would warn about it on every such request.
warnings.filterwarnings("ignore", message="No application metrics to publish")
repo = Repository(config.table_name)


def _signing_key() -> bytes:
    # Imported on first use: only session and token calls need Secrets Manager.
    from aws_lambda_powertools.utilities import parameters

    return str(parameters.get_secret(config.session_secret_name, max_age=300)).encode()


def clock() -> datetime:
    return datetime.now(UTC)


policies = PolicySource(repo, config.policy_cache_seconds)
# Its Step Functions client is made on the first return, not at cold start.
engine = StepFunctionsEngine(config.state_machine_arn) if config.state_machine_arn else None
service = ReturnsService(repo, policies, _signing_key, timedelta(seconds=config.session_ttl_seconds), engine)
auth = Authenticator(repo, _signing_key, config.api_key_cache_seconds)
idempotency = request_idempotency()
# One DynamoDB client for both tables: each client costs a parse of the service model at cold start.
idempotency_store = DynamoDBPersistenceLayer(table_name=config.idempotency_table_name, boto3_client=repo.ddb)

app = APIGatewayRestResolver(enable_validation=True, cors=STOREFRONT_CORS)
# No enable_swagger(): it imports Powertools' OpenAPI models (~200 ms) at every cold start;
# /v1/openapi.json builds the document on request instead.

ERRORS = error_responses()
install_error_handlers(app, logger, metrics)


def _request_id() -> str | None:
    return request_id(app)


# --- errors and limits ------------------------------------------------------------------------


@app.exception_handler(IdempotencyValidationError)
def _idempotency_reused(exc: IdempotencyValidationError) -> Response[str]:
    return error_response(
        409,
        "idempotency_key_reused",
        "This Idempotency-Key was used with a different body.",
        None,
        _request_id(),
    )


@app.exception_handler(IdempotencyAlreadyInProgressError)
def _idempotency_in_progress(exc: IdempotencyAlreadyInProgressError) -> Response[str]:
    return error_response(
        409,
        "request_in_progress",
        "A request with this Idempotency-Key is still running; retry shortly.",
        None,
        _request_id(),
    )


# --- routes -----------------------------------------------------------------------------------


def _caller() -> Any:
    return auth.principal(app.current_event.headers, clock())


@app.post(
    "/v1/orders", summary="Create or update an order (storefront API key)", responses=ERRORS, tags=["orders"]
)
@tracer.capture_method
def post_order(order: OrderIn) -> Response[OrderOut]:
    caller = _caller()
    saved = service.import_order(caller, order.to_order(caller.shop))
    logger.append_keys(shop=caller.shop, order_id=saved.order_id)
    status = 201 if saved.version == 1 else 200
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=OrderOut.of(saved))


@app.post(
    "/v1/sessions", summary="Open a customer session for one order", responses=ERRORS, tags=["sessions"]
)
@tracer.capture_method
def post_session(session: SessionIn) -> Response[SessionOut]:
    shop = auth.optional_shop(app.current_event.headers) or session.shop
    if shop is None:
        raise Unprocessable(
            "Name the shop (field 'shop') or call with the storefront's API key.",
            code="shop_required",
            details=[{"field": "shop", "code": "missing", "message": "Field required without an API key."}],
        )
    opened = service.open_session(shop, session.order_number, session.email, clock())
    body = SessionOut(token=opened.token, expires_at=utc(opened.expires_at), order_id=opened.order_id)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=body)


@app.get(
    "/v1/orders/<order_id>/eligibility",
    summary="What on the order can be returned, until when, why and why not",
    responses=ERRORS,
    tags=["orders"],
)
@tracer.capture_method
def get_eligibility(order_id: Annotated[str, Path(max_length=128)]) -> EligibilityOut:
    caller = _caller()
    order, lines = service.eligibility(caller, order_id, clock())
    return EligibilityOut(
        order_id=order.order_id,
        policy_version=policies(caller.shop).version,
        lines=[LineEligibilityOut.of(line) for line in lines],
    )


def _create_return_once(call: dict[str, Any]) -> dict[str, Any]:
    """Create the return; Powertools idempotency stores the answer under the Idempotency-Key."""
    caller = _caller()
    body = ReturnIn.model_validate(call["request"])
    request = ReturnRequest(
        order_id=body.order_id,
        items=[RequestedItem(line_id=i.line_id, quantity=i.quantity, reason=i.reason) for i in body.items],
        resolution=body.resolution,
        notes={i.line_id: i.note for i in body.items if i.note},
        locale=body.locale,
    )
    created = service.create_return(caller, request, clock())
    logger.append_keys(rma=created.rma)
    if engine is not None:
        try:
            engine.start(created.rma)
        except Exception:
            # The return is saved and answered either way. A failed start is logged and counted
            # (the metric is what on-call watches); the outbox publisher starts it again on the
            # `return.requested` event, which is safe: executions are named by the RMA.
            logger.exception("workflow start failed")
            metrics.add_metric(name="WorkflowStartFailed", unit=MetricUnit.Count, value=1)
    logger.info("return created", extra={"status": created.status.value, "outcome": created.decision.outcome})
    metrics.add_metric(
        name=f"ReturnDecision_{created.decision.outcome.value}", unit=MetricUnit.Count, value=1
    )
    return ReturnOut.of(created).model_dump(mode="json")


create_return_once: Callable[..., dict[str, Any]] = idempotent_function(
    data_keyword_argument="call", config=idempotency, persistence_store=idempotency_store
)(_create_return_once)


@app.post(
    "/v1/returns",
    summary="Request a return; the policy decides in the same request",
    responses=ERRORS,
    tags=["returns"],
)
@tracer.capture_method
def post_return(
    body: ReturnIn,
    idempotency_key: Annotated[str | None, Header(alias="idempotency-key", max_length=255)] = None,
) -> Response[ReturnOut]:
    require_idempotency_key(idempotency_key)
    caller = _caller()
    logger.append_keys(shop=caller.shop, order_id=body.order_id)
    result = create_return_once(
        call={"key": f"{caller.shop}:{idempotency_key}", "request": body.model_dump(mode="json")}
    )
    return Response(
        status_code=201, content_type=content_types.APPLICATION_JSON, body=ReturnOut.model_validate(result)
    )


@app.get(
    "/v1/returns/<rma>", summary="A return with its decision and timeline", responses=ERRORS, tags=["returns"]
)
@tracer.capture_method
def get_return(rma: Annotated[str, Path(max_length=32)]) -> ReturnOut:
    ret, timeline = service.get_return(_caller(), rma)
    logger.append_keys(rma=ret.rma)
    return ReturnOut.of(ret, timeline)


@app.post(
    "/v1/returns/<rma>/cancel", summary="Cancel a return before it ships", responses=ERRORS, tags=["returns"]
)
@tracer.capture_method
def cancel_return(rma: Annotated[str, Path(max_length=32)]) -> ReturnOut:
    ret, timeline = service.cancel_return(_caller(), rma, clock())
    logger.append_keys(rma=ret.rma)
    return ReturnOut.of(ret, timeline)


labels = LabelStore(config.label_bucket_name) if config.label_bucket_name else None


@app.get(
    "/v1/returns/<rma>/label",
    summary="The return's label: a short-lived link to the PDF to print",
    responses=ERRORS,
    tags=["returns"],
)
@tracer.capture_method
def get_label(rma: Annotated[str, Path(max_length=32)]) -> LabelOut:
    ret, _ = service.get_return(_caller(), rma)
    logger.append_keys(rma=ret.rma)
    return LabelOut.of(ret, labels, clock())


_evidence: Any = None


def _evidence_service() -> Any:
    # Made on the first upload: the S3 client and the evidence code stay out of the cold start.
    global _evidence
    if _evidence is None:
        from boomerang.config import EvidenceConfig
        from boomerang.services.evidence import EvidenceService, S3Clients, buckets_from

        env = EvidenceConfig.from_env()
        buckets = buckets_from(env.evidence_bucket, env.aws_region, env.evidence_regional_buckets)
        _evidence = EvidenceService(repo, policies, buckets, S3Clients(), clock)
    return _evidence


@app.post(
    "/v1/returns/<rma>/evidence",
    summary="Upload an unboxing photo or video: answers a presigned POST (type, size range, 15 minutes)",
    responses=ERRORS,
    tags=["returns"],
)
@tracer.capture_method(capture_response=False)
def post_evidence(rma: Annotated[str, Path(max_length=32)], body: EvidenceIn) -> Response[EvidenceUploadOut]:
    from boomerang.domain.evidence import Uploader

    ret, _ = service.get_return(_caller(), rma)
    logger.append_keys(shop=ret.shop, order_id=ret.order_id, rma=ret.rma)
    made = _evidence_service().presign_upload(
        ret, body.evidence_kind, body.content_type, body.size, Uploader.CUSTOMER, "customer", body.content_md5
    )
    metrics.add_metric(name="EvidenceUploadOffered", unit=MetricUnit.Count, value=1)
    return Response(
        status_code=201, content_type=content_types.APPLICATION_JSON, body=EvidenceUploadOut.of(made)
    )


@app.get("/v1/policy", summary="The shop's current return policy", responses=ERRORS, tags=["policy"])
@tracer.capture_method
def get_policy() -> PolicyOut:
    return PolicyOut.of(policies(_caller().shop))


# --- store credit -----------------------------------------------------------------------------


def _store_credit() -> Any:
    # Imported on first use: the ledger's code stays out of the cold start.
    from boomerang.services.store_credit import StoreCredit

    return StoreCredit(repo)


def _credit_customer(caller: Any, customer_email: str | None) -> str:
    """The customer_ref whose credit the call reaches: a token's own customer; with the API key,
    the shop's customer named by email (required)."""
    from boomerang.services.customers import customer_ref

    if caller.is_customer:
        if customer_email is not None:
            raise Forbidden(
                "A customer token reaches its own store credit only; leave out customer_email.",
                code="api_key_required",
            )
        return str(caller.customer_ref)
    if not customer_email:
        raise Unprocessable(
            "Name the customer (customer_email) when calling with the storefront's API key.",
            code="validation_failed",
            details=[
                {"field": "customer_email", "code": "missing", "message": "Field required with an API key."}
            ],
        )
    return customer_ref(caller.shop, customer_email)


@app.get(
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
    caller = _caller()
    logger.append_keys(shop=caller.shop)
    account = _store_credit().account(caller.shop, _credit_customer(caller, customer_email), currency)
    return account_out(account, limit, cursor)


def _spend_credit_once(call: dict[str, Any]) -> dict[str, Any]:
    """Spend; Powertools idempotency stores the answer (status and body) under the Idempotency-Key."""
    request = call["request"]
    amount = Money(amount=request["amount"], currency=request["currency"])
    account, spent = _store_credit().spend_once(
        call["shop"], request["customer_ref"], amount, request["reference"], clock()
    )
    if spent:
        metrics.add_metric(name="StoreCreditSpent", unit=MetricUnit.Count, value=1)
    body = spend_out(account, request["reference"], amount).model_dump(mode="json")
    return {"status": 201 if spent else 200, "body": body}


spend_credit_once: Callable[..., dict[str, Any]] = idempotent_function(
    data_keyword_argument="call", config=idempotency, persistence_store=idempotency_store
)(_spend_credit_once)


@app.post(
    "/v1/store-credit/spend",
    summary="Spend a customer's store credit on a checkout (storefront API key); one spend per reference",
    responses=ERRORS,
    tags=["store-credit"],
)
@tracer.capture_method
def post_store_credit_spend(
    body: CreditSpendIn,
    idempotency_key: Annotated[str | None, Header(alias="idempotency-key", max_length=255)] = None,
) -> Response[CreditSpendOut]:
    require_idempotency_key(idempotency_key)
    caller = _caller()
    if caller.is_customer:
        raise Forbidden(
            "Only the storefront's server (API key) may spend store credit.", code="api_key_required"
        )
    logger.append_keys(shop=caller.shop)
    amount = body.amount.to_money()
    # The customer as its one-way reference: the idempotency record holds no email.
    request = {
        "customer_ref": _credit_customer(caller, body.customer_email),
        "amount": amount.amount,
        "currency": amount.currency,
        "reference": body.reference,
    }
    result = spend_credit_once(
        call={"key": f"{caller.shop}:{idempotency_key}", "shop": caller.shop, "request": request}
    )
    return Response(
        status_code=int(result["status"]),
        content_type=content_types.APPLICATION_JSON,
        body=CreditSpendOut.model_validate(result["body"]),
    )


@app.get("/v1/openapi.json", summary="This API's OpenAPI document", tags=["meta"], include_in_schema=False)
def get_openapi() -> Response[str]:
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=app.get_openapi_json_schema(title="Boomerang storefront API", version="1.0.0"),
    )


gc.freeze()  # and the same for what init built


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    idempotency.register_lambda_context(context)
    body = event.get("body") or ""
    if len(body) > config.max_body_bytes:
        # Checked before routing: Powertools validates the body before any middleware runs.
        request_id = (event.get("requestContext") or {}).get("requestId")
        message = f"The body is over {config.max_body_bytes} bytes."
        return {
            "statusCode": 413,
            "headers": {"Content-Type": content_types.APPLICATION_JSON},
            "body": json.dumps(error_body("payload_too_large", message, None, request_id)),
        }
    return app.resolve(event, context)
