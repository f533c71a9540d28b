"""The lake's Firehose record transformation: each domain event (from the EventBridge bus) becomes a
row of the lake's table (boomerang.analytics.lake) with its shop and day as the S3 partition."""

import gc
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

gc.freeze()

from boomerang.analytics.records import Snapshots, transform
from boomerang.config import LakeRecordsConfig
from boomerang.store.records import Repository

config = LakeRecordsConfig.from_env()
logger = Logger()
tracer = Tracer()
metrics = Metrics()
repo = Repository(config.table_name)


def _get_return(rma: str) -> Any:
    return repo.get_return(rma)[0]


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = transform(event.get("records") or [], Snapshots(_get_return, repo.get_order))
    failed = sum(1 for r in records if r["result"] != "Ok")
    metrics.add_metric(name="LakeRows", unit=MetricUnit.Count, value=len(records) - failed)
    if failed:
        metrics.add_metric(name="LakeRowsFailed", unit=MetricUnit.Count, value=failed)
    return {"records": records}
