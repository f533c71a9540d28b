"""A customer's data rights: export everything the shop holds about them, or erase it."""

# No `from __future__ import annotations`: see returns.py.
import re
from typing import Annotated
from urllib.parse import unquote

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.metrics import MetricUnit

from boomerang.api.evidence_schemas import PrivacyOut
from boomerang.api.staff import ERRORS
from boomerang.api.staff.access import Staff, StaffAccess
from boomerang.api.staff.deps import deps
from boomerang.domain.errors import Unprocessable
from boomerang.services.privacy import Subject

router = Router()  # type: ignore[no-untyped-call]
tracer = Tracer()
EMAIL = Annotated[str, Path(min_length=3, max_length=960, description="The customer's email (URL-encoded)")]
EMAIL_SHAPE = re.compile(r"^[^@\s/]+@[^@\s/]+\.[^@\s/]+$")
SHOP = Annotated[str, Query(min_length=1, max_length=128, description="The shop id")]


def _subject(staff: StaffAccess, email: str, shop: str) -> Subject:
    # API Gateway may pass the path segment URL-encoded (%40): the email is checked once decoded.
    decoded = unquote(email).strip()
    if not EMAIL_SHAPE.fullmatch(decoded):
        raise Unprocessable(
            "Not an email address.",
            code="validation_failed",
            details=[{"field": "path.email", "code": "invalid_email", "message": "Not an email address."}],
        )
    deps().logger.append_keys(shop=staff.reach(shop))
    return Subject(shop, decoded)


@router.get(
    "/admin/v1/customers/<email>/export",
    summary="Everything the shop holds about a customer, as JSON (GDPR Art. 15/20; support, admin)",
    responses=ERRORS,
    tags=["privacy"],
)
@tracer.capture_method(capture_response=False)
def export_customer(staff: Staff, email: EMAIL, shop: SHOP) -> PrivacyOut:
    d = deps()
    subject = _subject(staff, email, shop)
    d.logger.info("customer data exported")  # never the email
    return PrivacyOut.model_validate(d.privacy.export(subject))


@router.post(
    "/admin/v1/customers/<email>/erase",
    summary="Erase a customer's personal data; financial records and locked evidence kept (admin)",
    responses=ERRORS,
    tags=["privacy"],
)
@tracer.capture_method(capture_response=False)
def erase_customer(staff: Staff, email: EMAIL, shop: SHOP) -> PrivacyOut:
    d = deps()
    done = d.privacy.erase(_subject(staff, email, shop))
    d.logger.info("customer data erased")
    d.metrics.add_metric(name="CustomerErased", unit=MetricUnit.Count, value=1)
    return PrivacyOut.model_validate(done)
