"""What the ticket routes use, built once by functions/tickets_api/handler.py at cold start and
installed there (see boomerang.api.dependencies)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from boomerang.api.dependencies import Installed

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics
    from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer, IdempotencyConfig

    from boomerang.api.auth import Authenticator
    from boomerang.services.tickets import TicketService


@runtime_checkable
class TicketsDeps(Protocol):
    logger: Logger
    metrics: Metrics
    service: TicketService
    auth: Authenticator
    idempotency: IdempotencyConfig
    idempotency_store: BasePersistenceLayer
    idempotency_scope: str  # the handler module's name: see boomerang.api.idempotency.idempotent_call

    def clock(self) -> datetime: ...


deps: Installed[TicketsDeps] = Installed(TicketsDeps)
