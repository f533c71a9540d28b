"""What the web pages use, built once by functions/web/handler.py at cold start and installed there
(see boomerang.api.dependencies)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from boomerang.api.dependencies import Installed

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics

    from boomerang.api.auth import Authenticator
    from boomerang.carriers.labels import LabelStore
    from boomerang.config import WebConfig
    from boomerang.orchestration.step_functions import WorkflowEngine
    from boomerang.services.evidence import EvidenceService
    from boomerang.services.policies import PolicySource
    from boomerang.services.returns import ReturnsService
    from boomerang.services.sessions import SessionGuard
    from boomerang.services.shipments.progress import ShipmentProgress
    from boomerang.store.records import Repository
    from boomerang.store.shops import ShopStore
    from boomerang.web.console.services import ConsoleServices


@runtime_checkable
class WebDeps(Protocol):
    config: WebConfig
    logger: Logger
    metrics: Metrics
    repo: Repository
    shops: ShopStore
    policies: PolicySource
    service: ReturnsService
    auth: Authenticator  # reads the portal's session cookie as a customer token
    session_guard: SessionGuard
    labels: LabelStore | None
    engine: WorkflowEngine | None  # creating a return starts its workflow
    assets_version: str
    console: ConsoleServices  # the staff console's sign-in and the staff services (built on first use)

    def clock(self) -> datetime: ...

    def evidence_service(self) -> EvidenceService: ...

    def link_key(self) -> bytes: ...  # signs and checks the tracking page's links (the session key)

    def shipments(self) -> ShipmentProgress: ...  # the tracking page's parcels


deps: Installed[WebDeps] = Installed(WebDeps)
