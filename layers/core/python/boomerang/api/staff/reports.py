"""Reports over the analytics lake: `GET /admin/v1/reports/{name}?shop=&from=&to=` answers JSON, and
`&format=csv` a CSV download. The shop is checked where every staff route checks it (access.py)."""

# No `from __future__ import annotations`: Powertools reads the parameters' annotations at run time.
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, ConfigDict, Field

from boomerang.analytics.reports import REPORTS, ReportQuery, ReportsUnavailable, run_report
from boomerang.api.staff import ERRORS
from boomerang.api.staff.access import Staff
from boomerang.api.staff.deps import deps

router = Router()  # type: ignore[no-untyped-call]
tracer = Tracer()
NAME = Annotated[str, Path(min_length=1, max_length=64, description="One of: " + ", ".join(REPORTS))]
SHOP = Annotated[str, Query(min_length=1, max_length=128, description="The shop id")]
FROM = Annotated[
    date | None, Query(alias="from", description="First day (UTC, included); default: 29 days before `to`")
]
TO = Annotated[date | None, Query(alias="to", description="Last day (UTC, included); default: today")]
FORMAT = Annotated[Literal["json", "csv"], Query(alias="format", description="`csv`: a CSV download")]


class ReportOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    report: str = Field(description="The report's name")
    shop: str
    from_: date = Field(alias="from")
    to: date
    columns: list[str] = Field(description="The rows' keys, in the report's order")
    rows: list[dict[str, Any]] = Field(description="Amounts are minor units of the row's currency")


OK = {
    200: {
        "description": "The report (JSON), or with `format=csv` the same rows as a CSV file",
        "content": {"application/json": {"model": ReportOut}, "text/csv": {"schema": {"type": "string"}}},
    }
}


@router.get(
    "/admin/v1/reports/<name>",
    summary="A report over the analytics lake, for one shop and a date range (JSON or CSV; all staff)",
    responses={**ERRORS, **OK},  # type: ignore[dict-item]
    tags=["reports"],
)
@tracer.capture_method(capture_response=False)
def get_report(
    staff: Staff, name: NAME, shop: SHOP, start: FROM = None, end: TO = None, output: FORMAT = "json"
) -> Response[str]:
    d = deps()
    query = ReportQuery.of(name, staff.reach(shop), start, end, today=datetime.now(UTC).date())
    d.logger.append_keys(shop=query.shop, report=query.name)
    if d.reports is None:
        raise ReportsUnavailable("Reports are not configured in this deployment (no Athena workgroup).")
    result = run_report(d.reports, query)
    d.logger.info("report run", extra={"rows": len(result.rows)})
    if output == "csv":
        filename = f"{query.name}-{query.shop}-{query.start}-{query.end}.csv"
        return Response(
            status_code=200,
            content_type="text/csv; charset=utf-8",
            body=result.as_csv(),
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    body = ReportOut.model_validate(result.as_json(query)).model_dump_json(by_alias=True)
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=body)
