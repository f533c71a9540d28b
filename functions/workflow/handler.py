"""The return workflow's task functions, one Lambda each (the CDK stack points each at one of the
handlers below). Thin: parse the state's input, call the library, return what the next state reads.
Inputs and outputs carry ids and statuses, never personal data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict

from boomerang.carriers.factory import carrier_factory
from boomerang.config import WorkflowConfig
from boomerang.domain.models import Wait
from boomerang.domain.status import ReturnStatus
from boomerang.notify.factory import bind_lambda_context, notifier_from
from boomerang.orchestration.step_functions import StepFunctionsEngine
from boomerang.payments.factory import payments_from
from boomerang.services.policies import PolicySource
from boomerang.services.workflow import ReturnWorkflow
from boomerang.store.records import Repository

config = WorkflowConfig.from_env()
logger = Logger()
tracer = Tracer()
repo = Repository(config.table_name)
# Each order's money goes back the way it came, with its shop's credentials (read on the first
# refund); the sandbox only for a shop in test mode (boomerang.payments.router).
payments = payments_from(config, config.table_name, repo.ddb)
workflow = ReturnWorkflow(
    repo,
    PolicySource(repo, config.policy_cache_seconds),
    StepFunctionsEngine(config.state_machine_arn),
    # Each shop's carrier per hub (EasyPost with its key; the sandbox for a shop in test mode only),
    # PDFs Boomerang renders into the label bucket. Only the label step buys labels.
    carrier_factory(config.table_name, repo.ddb, config.label_bucket_name, config.easypost_api_base),
    payments,
    lambda: datetime.now(UTC),
    notifier=notifier_from(config, repo),  # SES in the stack, the sandbox where no sender is configured
)
workflow.portal_base_url = config.portal_base_url


class Step(BaseModel):
    model_config = ConfigDict(extra="ignore")
    rma: str


class WaitStep(Step):
    wait: Wait


class HoldStep(WaitStep):
    token: str


class NotifyStep(Step):
    announce: ReturnStatus | None = None
    # Set by the state machine when the notify step failed for good (its retries spent): the
    # failure is recorded on the timeline and the return moves on.
    error: dict[str, Any] | None = None


class LabelStep(Step):
    # The state machine's step after a return ended (cancelled, expired): hand its unused label back.
    unused: bool = False
    # Set when that step's retries are spent: the failure is recorded, the return has ended.
    error: dict[str, Any] | None = None


class FailedStep(Step):
    step: str
    error: dict[str, Any]


def _run(event: dict[str, Any], name: str) -> Step:
    step = Step.model_validate(event)
    logger.append_keys(rma=step.rma, step=name)
    return step


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def decide(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return workflow.decide(_run(event, "decide").rma)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def hold(event: dict[str, Any], context: LambdaContext) -> None:
    step = HoldStep.model_validate(event)
    logger.append_keys(rma=step.rma, step=f"hold:{step.wait.value}")
    workflow.hold(step.rma, step.wait, step.token)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def issue_label(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Buys the return's label; the same function (it alone reads the carrier keys) refunds a label
    never used, once the return has ended."""
    step = LabelStep.model_validate(event)
    logger.append_keys(rma=step.rma, step="refund_unused_label" if step.unused else "issue_label")
    if step.unused and step.error is not None:
        error = str(step.error.get("Error", "Unknown"))
        logger.error("unused label not refunded", extra={"error": error})
        return workflow.label_refund_failed(step.rma, error)
    if step.unused:
        return workflow.refund_unused_label(step.rma)
    return workflow.issue_label(step.rma)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def resolve(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return workflow.resolve(_run(event, "resolve").rma)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def notify(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = NotifyStep.model_validate(event)
    logger.append_keys(rma=step.rma, step="notify")
    if step.error is not None:
        error = str(step.error.get("Error", "Unknown"))
        logger.warning("customer notification failed; the return goes on", extra={"error": error})
        return workflow.notification_failed(step.rma, step.announce, error)
    bind_lambda_context(workflow.notifier, context)
    return workflow.notify(step.rma, step.announce)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def close(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return workflow.close(_run(event, "close").rma)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def expire(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = WaitStep.model_validate(event)
    logger.append_keys(rma=step.rma, step="expire")
    return workflow.expire(step.rma, step.wait)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def escalate(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = WaitStep.model_validate(event)
    logger.append_keys(rma=step.rma, step="escalate")
    logger.warning("wait timed out; escalated", extra={"wait": step.wait.value})
    return workflow.escalate(step.rma, step.wait)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def record_failure(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = FailedStep.model_validate(event)
    logger.append_keys(rma=step.rma, step="record_failure")
    error = str(step.error.get("Error", "Unknown"))
    cause = str(step.error.get("Cause", ""))
    # An ERROR log line is what the stack's alarm counts: the on-call engineer sees it.
    logger.error("workflow step failed", extra={"failed_step": step.step, "error": error})
    return workflow.record_failure(step.rma, step.step, error, cause)
