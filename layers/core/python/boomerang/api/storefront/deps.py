"""What the storefront routes use, built once by functions/storefront_api/handler.py at cold start
and installed there (see boomerang.api.dependencies)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from boomerang.api.dependencies import Installed

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics
    from aws_lambda_powertools.event_handler.api_gateway import Router
    from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer, IdempotencyConfig

    from boomerang.api.auth import Authenticator
    from boomerang.auth.principal import Principal
    from boomerang.carriers.labels import LabelStore
    from boomerang.orchestration.step_functions import WorkflowEngine
    from boomerang.services.catalog import CatalogService
    from boomerang.services.evidence import EvidenceService
    from boomerang.services.exchange_fulfilment import ExchangeFulfilment
    from boomerang.services.policies import PolicySource
    from boomerang.services.returns import ReturnsService
    from boomerang.services.sessions import SessionGuard, SessionRevocation
    from boomerang.services.shipments.service import ShipmentService
    from boomerang.store.records import Repository


@runtime_checkable
class StorefrontDeps(Protocol):
    logger: Logger
    metrics: Metrics
    repo: Repository
    policies: PolicySource
    service: ReturnsService
    catalog: CatalogService
    fulfilment: ExchangeFulfilment  # an exchange's replacement shipped
    auth: Authenticator
    session_guard: SessionGuard  # counts attempts at opening a session
    revocation: SessionRevocation  # signs a customer out everywhere
    engine: WorkflowEngine | None  # None: no state machine configured
    labels: LabelStore | None  # None: carrier-hosted labels only
    idempotency: IdempotencyConfig
    idempotency_store: BasePersistenceLayer
    idempotency_scope: str  # the handler module's name: see boomerang.api.idempotency.idempotent_call

    def clock(self) -> datetime: ...

    def evidence_service(self) -> EvidenceService:
        """Made on the first upload: the S3 client and the evidence code stay out of the cold start."""
        ...

    def shipments(self) -> ShipmentService:
        """Outbound parcels (made on first use)."""
        ...

    def link_key(self) -> bytes:
        """What signs the customers' tracking links (the session key)."""
        ...

    def tracking_link(self, shop: str, order_id: str) -> str:
        """The customer's signed tracking link for the order."""
        ...


deps: Installed[StorefrontDeps] = Installed(StorefrontDeps)


def caller(router: Router) -> Principal:
    """Who is calling: a storefront API key or a customer token. A route that reads the customer's
    records checks the token's revocation on them (ReturnsService); one that does not uses
    live_caller."""
    d = deps()
    return d.auth.principal(router.current_event.headers, d.clock())


def live_caller(router: Router) -> Principal:
    """Who is calling, with a customer token checked against its revocation (one more read)."""
    d = deps()
    return d.auth.live_principal(router.current_event.headers, d.clock())
