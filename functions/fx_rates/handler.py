"""Reference exchange rates: once a working day (EventBridge schedule), fetch the ECB's
eurofxref-daily.xml and store it with its date (boomerang.services.rates). Decisions convert policy
thresholds at the latest stored table and name its date.

A failed fetch or a document that is not the ECB's raises: the invocation fails, Lambda retries it
(asynchronous invocation) and the construct's alarm on the function's errors tells whoever is on
call; decisions meanwhile use the latest table stored, whose date they name.
"""

import gc
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

gc.freeze()

from boomerang.config import FxRatesConfig
from boomerang.services.rates import fetch_ecb_daily, refresh
from boomerang.store.dynamo import client
from boomerang.store.rates import RatesStore

config = FxRatesConfig.from_env()
logger = Logger()
metrics = Metrics()
store = RatesStore(config.table_name, client())


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    table, newest = refresh(
        store, lambda: fetch_ecb_daily(config.rates_url, config.fetch_timeout_seconds), datetime.now(UTC)
    )
    metrics.add_metric(name="ReferenceRatesStored", unit=MetricUnit.Count, value=1)
    logger.info("reference rates", extra={"day": table.date.isoformat(), "latest": newest})
    return {"day": table.date.isoformat(), "currencies": len(table.rates), "latest": newest}
