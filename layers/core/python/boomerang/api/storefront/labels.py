"""GET /v1/returns/{rma}/label: a short-lived link to the return's label PDF."""

# No `from __future__ import annotations`: see orders.py.
from typing import Annotated

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from boomerang.api.label_schemas import LabelOut
from boomerang.api.storefront import ERRORS
from boomerang.api.storefront.deps import caller, deps

router = Router()  # type: ignore[no-untyped-call]
tracer = Tracer()


@router.get(
    "/v1/returns/<rma>/label",
    summary="The return's label: a short-lived link to the PDF to print",
    responses=ERRORS,
    tags=["returns"],
)
@tracer.capture_method
def get_label(rma: Annotated[str, Path(max_length=32)]) -> LabelOut:
    d = deps()
    ret, _ = d.service.get_return(caller(router), rma)
    d.logger.append_keys(rma=ret.rma)
    return LabelOut.of(ret, d.labels, d.clock())
