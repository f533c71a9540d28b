"""What the staff routes use, built once by functions/admin_api/handler.py at cold start and
installed there (see boomerang.api.dependencies)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from boomerang.api.dependencies import Installed

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics

    from boomerang.analytics.reports import ReportEngine
    from boomerang.services.evidence import EvidenceService
    from boomerang.services.policy_admin import PolicyAdmin
    from boomerang.services.privacy import PrivacyService
    from boomerang.services.shops import ShopAdmin
    from boomerang.services.workflow import ReturnWorkflow
    from boomerang.store.records import Repository


@runtime_checkable
class StaffDeps(Protocol):
    logger: Logger
    metrics: Metrics
    repo: Repository
    workflow: ReturnWorkflow  # staff news resumes the workflow's waits
    evidence: EvidenceService
    privacy: PrivacyService
    policy_admin: PolicyAdmin  # a shop's policy: read, change, versions, simulate
    shops: ShopAdmin  # whether a shop exists
    reports: ReportEngine | None  # Athena in AWS, DuckDB on this machine; None: not configured


deps: Installed[StaffDeps] = Installed(StaffDeps)
