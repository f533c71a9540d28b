"""An upload arrived in a quarantine bucket (S3 "Object Created" through EventBridge): redeem its
offer, check the bytes, copy it into the locked bucket and record it on its return (resuming the
workflow's evidence wait), or refuse it (deleted, on the timeline, the customer told by email).
An object under no open offer of its return is deleted unread and counted as an attack.

Thin: the checks and the writes are boomerang.services.evidence. Every step there is idempotent
(an offer is redeemed once, by one object version; the wait moves once), so EventBridge's retries
and a redelivered event change nothing. Logs carry the RMA and reason codes, never the object's
content or the uploader.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import S3EventBridgeNotificationEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from boomerang.carriers.fixed import NO_LABELS
from boomerang.config import EvidenceConfig, WorkflowConfig
from boomerang.notify.factory import bind_lambda_context, notifier_from
from boomerang.orchestration.step_functions import StepFunctionsEngine
from boomerang.payments.factory import payments_from
from boomerang.services.evidence import S3Clients, buckets_from
from boomerang.services.evidence.check import EvidenceChecker
from boomerang.services.policies import PolicySource
from boomerang.services.workflow import ReturnWorkflow
from boomerang.store.records import Repository

config = WorkflowConfig.from_env()
evidence_config = EvidenceConfig.from_env()
logger = Logger()
tracer = Tracer()
metrics = Metrics()
repo = Repository(config.table_name)
policies = PolicySource(repo, config.policy_cache_seconds)


def clock() -> datetime:
    return datetime.now(UTC)


workflow = ReturnWorkflow(
    repo,
    policies,
    StepFunctionsEngine(config.state_machine_arn),
    NO_LABELS,  # the workflow's label step buys labels, never this function
    payments_from(config, config.table_name, repo.ddb),  # nothing is paid here
    lambda: clock(),
)
service = EvidenceChecker(
    repo,
    policies,
    buckets_from(
        evidence_config.evidence_bucket,
        evidence_config.aws_region,
        evidence_config.evidence_regional_buckets,
        evidence_config.evidence_quarantine_bucket,
    ),
    S3Clients(),
    lambda: clock(),
    workflow,
    # A refused upload is told to the customer: SES where the stack has a sender, else the sandbox.
    notifier=notifier_from(config, repo),
    lock_mode=evidence_config.evidence_lock_mode,
)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
@event_source(data_class=S3EventBridgeNotificationEvent)
def handler(event: S3EventBridgeNotificationEvent, context: LambdaContext) -> dict[str, Any]:
    bind_lambda_context(service.notifier, context)
    detail = event.detail
    outcome = service.record_upload(detail.bucket.name, detail.object.key, detail.object.version_id)
    if outcome is None:
        metrics.add_metric(name="EvidenceIgnored", unit=MetricUnit.Count, value=1)
        return {"recorded": False}
    logger.append_keys(rma=outcome.rma, evidence_id=outcome.evidence_id)
    if outcome.attack:
        # Deleted unread: a forged key, a reused or late POST, an unknown return. The evidence
        # construct alarms on this metric.
        logger.warning("upload under no open offer deleted", extra={"reason": outcome.attack})
        metrics.add_metadata(key="reason", value=outcome.attack)
        metrics.add_metric(name="EvidenceUploadAttack", unit=MetricUnit.Count, value=1)
    elif outcome.recorded:
        logger.info("evidence recorded")
        metrics.add_metric(name="EvidenceRecorded", unit=MetricUnit.Count, value=1)
    else:
        logger.info("evidence refused", extra={"codes": [p["code"] for p in outcome.problems]})
        metrics.add_metric(name="EvidenceRefused", unit=MetricUnit.Count, value=1)
    return {
        "rma": outcome.rma,
        "evidence_id": outcome.evidence_id,
        "recorded": outcome.recorded,
        "attack": outcome.attack,
    }
