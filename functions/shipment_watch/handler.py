"""The delay watch for outbound parcels (EventBridge schedule, hourly): every shop's parcels still
on their way; a late one's customer is told once, in their language, and `shipment.delayed` goes
on the bus (boomerang.services.shipments.watch). A failed run raises: the schedule's retries and
the function's error alarm follow it; a parcel told already is never told again."""

import gc
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.typing import LambdaContext

gc.freeze()

from boomerang.aws import bound_secrets
from boomerang.carriers.tracking_providers import Registrars
from boomerang.config import ShipmentWatchConfig
from boomerang.notify.shipments import shipment_notifier
from boomerang.services.shipments.service import ShipmentService
from boomerang.services.shipments.watch import watch
from boomerang.store.parcels import ParcelStore
from boomerang.store.providers import ProviderSettingsStore
from boomerang.store.records import Repository
from boomerang.store.shops import ShopStore

config = ShipmentWatchConfig.from_env()
logger = Logger()
metrics = Metrics()
repo = Repository(config.table_name)


def clock() -> datetime:
    return datetime.now(UTC)


def tracking_link(shop: str, order_id: str) -> str:
    if not config.session_secret_name:
        return ""
    from boomerang.auth import tracking_links

    bound_secrets()  # bounded by boomerang.timeouts.AWS, before the first read
    key = str(parameters.get_secret(config.session_secret_name, max_age=300)).encode()
    link = tracking_links.issue(key, shop, order_id, clock())
    return config.tracking_link_template.format(shop=shop, order_id=order_id, link=link)


notifier = shipment_notifier(
    config.notifier,
    repo,
    config.notify_sender,
    idempotency_table=config.idempotency_table_name or None,
    configuration_set=config.ses_configuration_set or None,
    template_cache_seconds=config.template_cache_seconds,
)
service = ShipmentService(
    repo,
    ParcelStore(config.table_name, repo.ddb),
    ProviderSettingsStore(config.table_name, repo.ddb).get,
    Registrars(),  # nothing is registered here
    notifier,
    clock,
    tracking_link,
)
shops = ShopStore(repo)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    register = getattr(getattr(notifier, "ses", None), "register_lambda_context", None)
    if register is not None:
        register(context)
    report = watch(service, [s["shop"] for s in shops.all()], clock())
    metrics.add_metric(name="ParcelsLookedAt", unit=MetricUnit.Count, value=report.looked_at)
    metrics.add_metric(name="ParcelDelayTold", unit=MetricUnit.Count, value=report.told)
    logger.info(
        "delay watch",
        extra={"looked_at": report.looked_at, "told": report.told, "by_reason": report.by_reason},
    )
    return {"looked_at": report.looked_at, "told": report.told, "by_reason": report.by_reason}
