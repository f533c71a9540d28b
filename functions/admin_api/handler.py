"""Staff (admin) API: the queues and the human steps of a return's workflow (review, warehouse scan,
inspection) for the merchant's support, warehouse, finance and admin staff, and a shop's policy
for its administrators (read, change by merge patch, versions, simulate).

Wiring only: API Gateway's Cognito User Pools authorizer has verified the staff ID token; this
checks the caller's groups against the route (boomerang.auth.staff) before routing, and holds the
configuration, what the routes use (built once, at cold start), the resolver with the routes of
boomerang.api.staff and the Lambda entry point.
"""

import gc
import sys
import warnings
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

# The libraries' objects live as long as the container: out of the garbage collector's way
# (see functions/storefront_api/handler.py).
gc.freeze()


from boomerang.analytics.athena import AthenaEngine
from boomerang.analytics.reports import ReportEngine
from boomerang.api.headers import security_headers
from boomerang.api.policy_schemas import MERGE_PATCH
from boomerang.api.resolver import as_json_body, guard_body, install_error_handlers, refusal
from boomerang.api.routes import ADMIN_ROUTES, route_template
from boomerang.api.staff import customers, decisions, meta, policy, refunds, returns, warehouse
from boomerang.api.staff import evidence as evidence_routes
from boomerang.api.staff import reports as report_routes
from boomerang.api.staff.deps import deps as staff_deps
from boomerang.auth.staff import authorize
from boomerang.carriers.fixed import NO_LABELS
from boomerang.config import AdminConfig, EvidenceConfig
from boomerang.domain.errors import DomainError
from boomerang.orchestration.step_functions import StepFunctionsEngine
from boomerang.payments.factory import payments_from
from boomerang.services.evidence import EvidenceService, S3Clients, buckets_from
from boomerang.services.policies import PolicySource
from boomerang.services.policy_admin import PolicyAdmin
from boomerang.services.privacy import PrivacyService, standard_holders
from boomerang.services.shops import ShopAdmin
from boomerang.services.workflow import ReturnWorkflow
from boomerang.store.records import Repository

config = AdminConfig.from_env()
logger = Logger()
tracer = Tracer()
metrics = Metrics()
warnings.filterwarnings("ignore", message="No application metrics to publish")
repo = Repository(config.table_name)
# Finance's card retry and PayPal payouts, through each order's provider with its shop's
# credentials; the sandbox only for a shop in test mode (boomerang.payments.router).
payments = payments_from(config, config.table_name, repo.ddb)


def clock() -> datetime:
    return datetime.now(UTC)


# Staff news resumes the workflow's waits by task token (its client is made on first use).
workflow = ReturnWorkflow(
    repo,
    PolicySource(repo, config.policy_cache_seconds),
    StepFunctionsEngine(config.state_machine_arn),
    NO_LABELS,  # the workflow's label step buys labels, never this function
    payments,
    lambda: clock(),
)
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
policy_admin = PolicyAdmin(repo)
shops = ShopAdmin(repo)
# The reports run on Athena over the lake (the local stack swaps in DuckDB over local Parquet files).
reports: ReportEngine | None = (
    AthenaEngine(config.reports_workgroup, config.reports_database) if config.reports_workgroup else None
)

# The routes read what this module built (boomerang.api.dependencies).
staff_deps.install(sys.modules[__name__])

cors = CORSConfig(
    allow_origin="*",
    allow_headers=["Content-Type", "Authorization", "If-Match"],
    expose_headers=["ETag"],  # a console reads the policy's ETag to send it back as If-Match
    max_age=600,
)
app = APIGatewayRestResolver(enable_validation=True, cors=cors)
for routes in (
    returns,
    decisions,
    warehouse,
    evidence_routes,
    customers,
    refunds,
    policy,
    report_routes,
    meta,
):
    app.include_router(routes.router)
install_error_handlers(app, logger, metrics)


gc.freeze()  # and the same for what init built


@security_headers  # X-Content-Type-Options: nosniff on every answer (boomerang.api.headers)
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
        return refusal(event, exc.http_status, exc.code, exc.message, exc.details, cors)
    logger.append_keys(actor=member.actor)
    # A policy change may come as RFC 7396's own media type; its body is JSON all the same.
    merge_patch = route is not None and route.startswith("/admin/v1/shops/")
    refused = guard_body(event, config.max_body_bytes, cors, also=(MERGE_PATCH,) if merge_patch else ())
    if refused is not None:
        return refused
    if merge_patch:
        event = as_json_body(event, MERGE_PATCH)
    if method in ("POST", "PATCH") and not (event.get("body") or "").strip():
        # An empty body reads as {}: approve needs nothing, and the others then name each field
        # they miss (422) instead of answering "body required".
        event = {**event, "body": "{}", "isBase64Encoded": False}
    app.append_context(staff=member)
    return app.resolve(event, context)
