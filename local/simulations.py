"""Local-only stand-ins for the carrier and payment webhooks, until their endpoints exist (the
carriers and payments issues add them): they make the same library calls those webhooks will.

    POST /local/simulate/carrier {"rma": "...", "status": "in_transit" | "delivered"}
    POST /local/simulate/payment {"rma": "...", "outcome": "succeeded" | "failed", "failure_reason": "..."}
    POST /local/simulate/shipment-watch {"at": "2026-01-10T00:00:00Z" (optional: the watch's "now")}
      runs the outbound parcels' hourly delay watch once (its function is scheduled on AWS)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from boomerang.domain import rma as rma_numbers
from boomerang.domain.errors import DomainError
from boomerang.domain.status import ReturnStatus
from boomerang.services.workflow import ReturnWorkflow

Simulation = Callable[[dict[str, Any]], tuple[int, Any]]


def _error(status: int, code: str, message: str) -> tuple[int, Any]:
    return status, {"error": {"code": code, "message": message, "details": [], "request_id": None}}


def simulations(flow: ReturnWorkflow) -> dict[str, Simulation]:
    def rma_of(body: dict[str, Any]) -> str:
        return rma_numbers.normalize(str(body.get("rma", "")))

    def carrier(body: dict[str, Any]) -> tuple[int, Any]:
        status = {"in_transit": ReturnStatus.IN_TRANSIT, "delivered": ReturnStatus.DELIVERED}.get(
            body.get("status")
        )
        if status is None:
            return _error(400, "validation_failed", "status must be in_transit or delivered")
        try:
            ret = flow.carrier_update(rma_of(body), status, "carrier:local-simulation")
        except rma_numbers.InvalidRma as exc:
            return _error(404, "invalid_rma", str(exc))
        except DomainError as exc:
            return _error(exc.http_status, exc.code, exc.message)
        return 200, {"rma": ret.rma, "status": ret.status.value}

    def payment(body: dict[str, Any]) -> tuple[int, Any]:
        outcome = body.get("outcome")
        if outcome not in ("succeeded", "failed"):
            return _error(400, "validation_failed", "outcome must be succeeded or failed")
        try:
            ret = flow.settlement(
                rma_of(body), outcome == "succeeded", "payments:local-simulation", body.get("failure_reason")
            )
        except rma_numbers.InvalidRma as exc:
            return _error(404, "invalid_rma", str(exc))
        except DomainError as exc:
            return _error(exc.http_status, exc.code, exc.message)
        return 200, {"rma": ret.rma, "status": ret.status.value}

    def shipment_watch(body: dict[str, Any]) -> tuple[int, Any]:
        from datetime import UTC, datetime

        from boomerang.carriers.tracking_providers import Registrars
        from boomerang.notify.shipments import shipment_notifier
        from boomerang.services.shipments.service import ShipmentService
        from boomerang.services.shipments.watch import watch
        from boomerang.store.parcels import ParcelStore
        from boomerang.store.providers import ProviderSettingsStore
        from boomerang.store.shops import ShopStore
        from local.template import LOCAL_SENDER

        try:
            at = datetime.fromisoformat(str(body["at"])) if body.get("at") else datetime.now(UTC)
        except ValueError:
            return _error(400, "validation_failed", "at must be an ISO 8601 time")
        repo = flow.repo
        # As the scheduled function does, mailing through SES (on moto: POST /local/mails reads them).
        service = ShipmentService(
            repo,
            ParcelStore(repo.table, repo.ddb),
            ProviderSettingsStore(repo.table, repo.ddb).get,
            Registrars(),
            shipment_notifier(
                "ses",
                repo,
                LOCAL_SENDER,
                idempotency_table=None,
                configuration_set=None,
                template_cache_seconds=0,
            ),
            lambda: at,
        )
        report = watch(service, [s["shop"] for s in ShopStore(repo).all()], at)
        return 200, {"looked_at": report.looked_at, "told": report.told, "by_reason": report.by_reason}

    return {
        "/local/simulate/carrier": carrier,
        "/local/simulate/payment": payment,
        "/local/simulate/shipment-watch": shipment_watch,
    }
