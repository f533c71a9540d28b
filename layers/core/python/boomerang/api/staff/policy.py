"""A shop's return policy for its administrators: read it with its ETag, change it by JSON Merge
Patch (RFC 7396) under If-Match, list its versions, simulate a draft on recent returns.

The admin group only (boomerang.auth.staff), on the shops the member works for. The work is
services/policy_admin.py, which `boomerang policy` calls too: docs/POLICIES.md.
"""

# No `from __future__ import annotations`: see returns.py.
from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from aws_lambda_powertools.metrics import MetricUnit

from boomerang.api.policy_schemas import MERGE_PATCH, PolicyDocumentOut, PolicyVersionsOut, SimulationOut
from boomerang.api.staff import ERRORS
from boomerang.api.staff.access import Staff, StaffAccess
from boomerang.api.staff.deps import deps
from boomerang.domain.errors import NotFound
from boomerang.services.policy_admin import MAX_SIMULATION_DAYS, PolicyVersion

router = Router()  # type: ignore[no-untyped-call]
tracer = Tracer()

SHOP = Annotated[str, Path(max_length=63, description="The shop id")]
IF_MATCH = Annotated[
    str | None,
    Header(
        alias="if-match",
        max_length=1024,
        description=(
            'Required: the ETag of the policy the change was made from (e.g. "v3"). Missing: 428 '
            "precondition_required; another version is current: 412 precondition_failed."
        ),
    ),
]
PATCH = Annotated[
    dict[str, Any],
    Body(
        media_type=MERGE_PATCH,
        description=(
            "A JSON Merge Patch (RFC 7396) of the document: only the members that change, null removes "
            'one, arrays replace whole; amounts as the API writes money ("5.99"). Sent as '
            "application/merge-patch+json or application/json."
        ),
    ),
]


def _shop(staff: StaffAccess, shop: str) -> str:
    """The shop, if the member works for it and it exists: 404 shop_not_found otherwise."""
    d = deps()
    staff.reach(shop)
    if not d.shops.exists(shop):
        raise NotFound("No such shop.", code="shop_not_found")
    d.logger.append_keys(shop=shop)
    return shop


def _document(version: PolicyVersion) -> Response[PolicyDocumentOut]:
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=PolicyDocumentOut(version.document),
        headers={"ETag": version.etag, "Cache-Control": "no-store"},
    )


@router.get(
    "/admin/v1/shops/<shop>/policy",
    summary="The shop's policy document, with its version's ETag (admin)",
    responses=ERRORS,
    tags=["policy"],
)
@tracer.capture_method
def get_shop_policy(staff: Staff, shop: SHOP) -> Response[PolicyDocumentOut]:
    return _document(deps().policy_admin.current(_shop(staff, shop)))


@router.patch(
    "/admin/v1/shops/<shop>/policy",
    summary="Change the shop's policy: a JSON Merge Patch under If-Match, numbered by the server (admin)",
    responses=ERRORS,
    tags=["policy"],
)
@tracer.capture_method
def patch_shop_policy(
    staff: Staff, shop: SHOP, body: PATCH, if_match: IF_MATCH = None
) -> Response[PolicyDocumentOut]:
    d = deps()
    target = _shop(staff, shop)
    before = d.policy_admin.current(target)
    saved = d.policy_admin.update(target, body, if_match, staff.actor, datetime.now(UTC))
    if saved.version != before.version:
        d.logger.info("policy changed", extra={"version": saved.version, "based_on": before.version})
        d.metrics.add_metric(name="PolicyChanged", unit=MetricUnit.Count, value=1)
    return _document(saved)


@router.get(
    "/admin/v1/shops/<shop>/policy/versions",
    summary="Every version of the shop's policy, newest first, with who made it and when (admin)",
    responses=ERRORS,
    tags=["policy"],
)
@tracer.capture_method
def list_policy_versions(
    staff: Staff,
    shop: SHOP,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=4096, description="next_cursor of the last page")] = None,
) -> PolicyVersionsOut:
    return PolicyVersionsOut.of(deps().policy_admin.versions(_shop(staff, shop), limit, cursor))


@router.post(
    "/admin/v1/shops/<shop>/policy/simulate",
    summary="Replay a draft (a merge patch) on the last N days' returns: counts and flips (admin)",
    responses=ERRORS,
    tags=["policy"],
)
@tracer.capture_method(capture_response=False)
def simulate_shop_policy(
    staff: Staff,
    shop: SHOP,
    body: PATCH,
    days: Annotated[int, Query(ge=1, le=MAX_SIMULATION_DAYS, description="Returns of the last N days")] = 30,
) -> SimulationOut:
    d = deps()
    report = d.policy_admin.simulate(_shop(staff, shop), body, days, datetime.now(UTC))
    d.logger.info("policy simulated", extra={"days": days, "flips": len(report.result.flips)})
    return SimulationOut.model_validate(report.document())
