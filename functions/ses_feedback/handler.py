"""SES bounces and complaints: the notify step's configuration set publishes them to SNS, SNS
invokes this function (asynchronously: a failure is retried, then parked in the on-failure queue,
which alarms). A permanent bounce or a complaint marks the customer's address suppressed and says
so on the return's timeline (boomerang.services.email_feedback). Logs carry the RMA and the kind
of news, never the address or SES's diagnostic."""

import gc
import json
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

gc.freeze()

from boomerang.config import EmailFeedbackConfig
from boomerang.services.email_feedback import EmailFeedback
from boomerang.store.records import Repository
from boomerang.store.suppressions import SuppressionStore

config = EmailFeedbackConfig.from_env()
logger = Logger()
tracer = Tracer()
metrics = Metrics()
repo = Repository(config.table_name)
feedback = EmailFeedback(repo, SuppressionStore(config.table_name, repo.ddb), lambda: datetime.now(UTC))


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in event.get("Records", []):
        message = json.loads(record["Sns"]["Message"])
        done = feedback.receive(message)
        counts[done.outcome] = counts.get(done.outcome, 0) + 1
        logger.info("ses feedback", extra={"rma": done.rma, "outcome": done.outcome, "reason": done.reason})
        if done.outcome == "suppressed":
            metrics.add_metric(name="EmailSuppressed", unit=MetricUnit.Count, value=1)
    return counts
