"""The return workflow: one Standard state machine per return (execution name = RMA) and its task
functions (functions/workflow/handler.py).

Every wait for a person or another system is a `.waitForTaskToken` task whose function keeps the
token on the return; whoever brings the news (staff API, carrier or payment webhook) resumes it.
Each wait has a timeout from the shop's policy (passed in by the decide step) that leads somewhere:
an escalation that waits again, or an expiry. Lambda tasks retry Lambda's own service errors with
backoff; anything else is caught into a step that records the failure on the return and alerts.

Timeouts: the steps that call providers' SDKs get a function timeout above the slowest those calls
may take (boomerang.timeouts: the label step EasyPost's calls, the resolve step a refund's), and
every task a state timeout a little above its function's. A task that timed out (the state's own
`States.Timeout`, or Lambda's `Sandbox.Timedout` / `Lambda.Unknown`) is retried with backoff: the
step is idempotent by the return's version and the provider's idempotency key.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from boomerang.timeouts import AWS, LABEL_CLAIM_LEASE_SECONDS, label_seconds, refund_seconds
from infra.cdk.constructs.data_table import DataTables
from infra.cdk.constructs.lambda_function import BoomerangFunction, LayerSource

STEPS = (
    "decide",
    "hold",
    "issue_label",
    "resolve",
    "notify",
    "close",
    "expire",
    "escalate",
    "record_failure",
)
LAMBDA_SERVICE_ERRORS = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]
# Raised by the resolve step when the payment provider rate-limits, fails (5xx) or times out
# (boomerang.payments.port): the same request, with the same idempotency key, is asked again later.
PAYMENT_PROVIDER_UNAVAILABLE = "PaymentProviderUnavailable"
# Raised by the resolve step when another invocation holds the return's payment attempt
# (boomerang.services.workflow.payment): asked again later, it finds that attempt's outcome.
PAYMENT_IN_PROGRESS = "PaymentInProgress"
# Raised by the label step when the carrier rate-limits, fails or times out (boomerang.carriers.port).
CARRIER_UNAVAILABLE = "CarrierUnavailable"
# Raised by the label step when another invocation holds the return's label purchase (a step that
# timed out and still runs): asked again after the claim's lease, it resumes that purchase.
LABEL_IN_PROGRESS = "LabelInProgress"
# Raised by the notify step when the channel is unavailable for now (SES throttling, a 5xx, no
# answer): asked again with backoff; once spent, the failure is recorded and the return goes on.
NOTIFICATION_UNAVAILABLE = "NotificationUnavailable"
# Raised by the label step when a person must fix something first (no carrier configured, no
# address, customs data missing, the carrier refused): the reason is on the return and in a ticket,
# and the step is asked again for about a day (LABEL_RETRY_*), so the label follows the fix.
LABEL_NOT_ISSUED = "LabelNotIssued"
LABEL_RETRY = {
    "interval": Duration.minutes(15),
    "max_attempts": 10,
    "backoff_rate": 2,
    "max_delay": Duration.hours(4),
}
# A task that ran out of time: the state's own timeout, or the function's (Lambda reports it as
# Sandbox.Timedout, or Lambda.Unknown on older runtimes).
TIMEOUT_ERRORS = ["States.Timeout", "Sandbox.Timedout", "Lambda.Unknown"]
# Margin of a function's timeout over the slowest provider calls it makes (DynamoDB reads, the
# transaction, cold start), and of a task's timeout over its function's.
FUNCTION_MARGIN_SECONDS = 20
TASK_MARGIN_SECONDS = 10
DEFAULT_STEP_SECONDS = 10


def step_timeout_seconds(step: str) -> int:
    """Each step function's timeout: above every SDK call's budget it makes (boomerang.timeouts)."""
    slowest = {
        "issue_label": label_seconds(),
        "resolve": refund_seconds(),
        # SES (and DynamoDB) through botocore with AWS's budget, and the idempotency record.
        "notify": AWS.worst_case_seconds(2),
    }.get(step)
    if slowest is None:
        return DEFAULT_STEP_SECONDS
    return int(slowest) + FUNCTION_MARGIN_SECONDS


class ReturnWorkflow(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code_dir: Path,
        layer: LayerSource,
        tables: DataTables,
        state_machine_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        # Known before the state machine exists, so the task functions may resume it without a
        # reference cycle (the state machine refers to the functions).
        self.state_machine_arn = stack.format_arn(
            service="states",
            resource="stateMachine",
            resource_name=state_machine_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.functions: dict[str, lambda_.Function] = {}
        for step in STEPS:
            made = BoomerangFunction(
                self,
                f"{''.join(p.title() for p in step.split('_'))}Task",
                code_dir=code_dir,
                handler=f"handler.{step}",
                description=f"Boomerang return workflow: {step.replace('_', ' ')}",
                layer=layer,
                environment={"TABLE_NAME": tables.table.table_name, "POWERTOOLS_SERVICE_NAME": "workflow"},
                timeout_seconds=step_timeout_seconds(step),
            )
            tables.grant_request_path_access(made.role)
            made.role.add_to_policy(
                iam.PolicyStatement(
                    actions=["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"],
                    resources=[self.state_machine_arn],
                )
            )
            self.functions[step] = made.function

        logs_group = logs.LogGroup(self, "ExecutionLogs", retention=logs.RetentionDays.ONE_MONTH)
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=state_machine_name,
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_chainable(self._definition()),
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=logs_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        NagSuppressions.add_resource_suppressions(
            self.state_machine.role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason=(
                        "The state machine invokes its own task functions, any version or alias of them "
                        "(`<function arn>:*`), as CDK's LambdaInvoke grants; no other function."
                    ),
                    applies_to=[{"regex": "/^Resource::<ReturnWorkflow.+TaskFunction.+\\.Arn>:\\*$/"}],
                ),
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason=(
                        "X-Ray tracing (xray:PutTraceSegments and the like) and CloudWatch Logs delivery "
                        "(logs:CreateLogDelivery and the like) support no resource-level permissions."
                    ),
                    applies_to=["Resource::*"],
                ),
            ],
            apply_to_children=True,
        )
        # Failed and timed-out executions are alarmed with the rest (constructs/monitoring.py).

    # --- the definition -------------------------------------------------------------------------

    def _task(self, name: str, step: str, result_path: str, **payload: object) -> tasks.LambdaInvoke:
        task = tasks.LambdaInvoke(
            self,
            name,
            lambda_function=self.functions[step],
            payload=sfn.TaskInput.from_object({"rma": sfn.JsonPath.string_at("$.rma"), **payload}),
            payload_response_only=True,
            result_path=result_path,
            retry_on_service_exceptions=False,
            task_timeout=sfn.Timeout.duration(
                Duration.seconds(step_timeout_seconds(step) + TASK_MARGIN_SECONDS)
            ),
        )
        task.add_retry(
            errors=LAMBDA_SERVICE_ERRORS, interval=Duration.seconds(2), max_attempts=6, backoff_rate=2
        )
        # A timed-out step is asked again, later: the provider may be slow now, not for good.
        task.add_retry(
            errors=TIMEOUT_ERRORS, interval=Duration.seconds(10), max_attempts=4, backoff_rate=2,
            max_delay=Duration.minutes(5),
        )  # fmt: skip
        task.add_catch(self._failed(name), errors=["States.ALL"], result_path="$.error")
        return task

    def _notify(self, name: str, then: sfn.IChainable, announce: str | None) -> sfn.IChainable:
        """A side channel: retried, and never the end of the execution. Whatever it raises once its
        retries are spent is recorded on the return's timeline (the same function, told the error)
        and the return goes on to `then`; even that record failing does not stop it."""
        extra = {"announce": announce} if announce else {}
        task = tasks.LambdaInvoke(
            self,
            name,
            lambda_function=self.functions["notify"],
            payload=sfn.TaskInput.from_object({"rma": sfn.JsonPath.string_at("$.rma"), **extra}),
            payload_response_only=True,
            result_path="$.notified",
            retry_on_service_exceptions=False,
            task_timeout=sfn.Timeout.duration(
                Duration.seconds(step_timeout_seconds("notify") + TASK_MARGIN_SECONDS)
            ),
        )
        task.add_retry(
            errors=LAMBDA_SERVICE_ERRORS, interval=Duration.seconds(2), max_attempts=6, backoff_rate=2
        )
        task.add_retry(
            errors=TIMEOUT_ERRORS, interval=Duration.seconds(10), max_attempts=3, backoff_rate=2,
            max_delay=Duration.minutes(5),
        )  # fmt: skip
        task.add_retry(
            errors=[NOTIFICATION_UNAVAILABLE], interval=Duration.seconds(30), max_attempts=4, backoff_rate=2
        )
        record = tasks.LambdaInvoke(
            self,
            f"Record failure of {name}",
            lambda_function=self.functions["notify"],
            payload=sfn.TaskInput.from_object(
                {"rma": sfn.JsonPath.string_at("$.rma"), "error": sfn.JsonPath.object_at("$.error"), **extra}
            ),
            payload_response_only=True,
            result_path=sfn.JsonPath.DISCARD,
            retry_on_service_exceptions=False,
        )
        record.add_retry(
            errors=LAMBDA_SERVICE_ERRORS, interval=Duration.seconds(2), max_attempts=6, backoff_rate=2
        )
        record.add_catch(then, errors=["States.ALL"], result_path=sfn.JsonPath.DISCARD)
        task.add_catch(record.next(then), errors=["States.ALL"], result_path="$.error")
        return task.next(then)

    def _refund_label(self, ended: str, then: sfn.IChainable) -> sfn.IChainable:
        """The unused label of a return that ended goes back to the carrier (the label function, which
        alone reads the carrier keys). Retried; whatever it raises once its retries are spent is
        recorded on the timeline with a ticket for finance, and the return ends all the same."""
        payload = {"rma": sfn.JsonPath.string_at("$.rma"), "unused": True}
        task = tasks.LambdaInvoke(
            self,
            f"Refund unused label ({ended})",
            lambda_function=self.functions["issue_label"],
            payload=sfn.TaskInput.from_object(payload),
            payload_response_only=True,
            result_path=sfn.JsonPath.DISCARD,
            retry_on_service_exceptions=False,
            task_timeout=sfn.Timeout.duration(
                Duration.seconds(step_timeout_seconds("issue_label") + TASK_MARGIN_SECONDS)
            ),
        )
        task.add_retry(
            errors=LAMBDA_SERVICE_ERRORS, interval=Duration.seconds(2), max_attempts=6, backoff_rate=2
        )
        task.add_retry(
            errors=[*TIMEOUT_ERRORS, CARRIER_UNAVAILABLE], interval=Duration.seconds(30), max_attempts=5,
            backoff_rate=2, max_delay=Duration.minutes(10),
        )  # fmt: skip
        record = tasks.LambdaInvoke(
            self,
            f"Record failure of Refund unused label ({ended})",
            lambda_function=self.functions["issue_label"],
            payload=sfn.TaskInput.from_object({**payload, "error": sfn.JsonPath.object_at("$.error")}),
            payload_response_only=True,
            result_path=sfn.JsonPath.DISCARD,
            retry_on_service_exceptions=False,
        )
        record.add_retry(
            errors=LAMBDA_SERVICE_ERRORS, interval=Duration.seconds(2), max_attempts=6, backoff_rate=2
        )
        record.add_catch(then, errors=["States.ALL"], result_path=sfn.JsonPath.DISCARD)
        task.add_catch(record.next(then), errors=["States.ALL"], result_path="$.error")
        return task.next(then)

    def _wait(self, name: str, wait: str, timeout_path: str) -> tasks.LambdaInvoke:
        task = tasks.LambdaInvoke(
            self,
            name,
            lambda_function=self.functions["hold"],
            integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
            payload=sfn.TaskInput.from_object(
                {"rma": sfn.JsonPath.string_at("$.rma"), "wait": wait, "token": sfn.JsonPath.task_token}
            ),
            result_path="$.news",
            task_timeout=sfn.Timeout.at(timeout_path),
            retry_on_service_exceptions=False,
        )
        task.add_retry(
            errors=LAMBDA_SERVICE_ERRORS, interval=Duration.seconds(2), max_attempts=6, backoff_rate=2
        )
        return task

    def _failed(self, step_name: str) -> sfn.IChainable:
        record = tasks.LambdaInvoke(
            self,
            f"Record failure of {step_name}",
            lambda_function=self.functions["record_failure"],
            payload=sfn.TaskInput.from_object(
                {
                    "rma": sfn.JsonPath.string_at("$.rma"),
                    "step": step_name,
                    "error": sfn.JsonPath.object_at("$.error"),
                }
            ),
            payload_response_only=True,
            result_path=sfn.JsonPath.DISCARD,
        )
        record.add_retry(
            errors=LAMBDA_SERVICE_ERRORS, interval=Duration.seconds(2), max_attempts=6, backoff_rate=2
        )
        return record.next(
            sfn.Fail(self, f"{step_name} failed", error="StepFailed", cause=f"{step_name} failed")
        )

    def _definition(self) -> sfn.IChainable:
        def notify(what: str, then: sfn.IChainable, announce: str | None = None) -> sfn.IChainable:
            # The customer hears of each step that concerns them (sent once per status). A state
            # that knows which status it announces says so: later news must not swallow it.
            return self._notify(f"Notify {what}", then, announce)

        done = sfn.Succeed(self, "Closed")
        rejected = notify("rejected", sfn.Succeed(self, "Rejected"), "rejected")
        # A return that ended hands its unused label back to the carrier first (a no-op without one).
        cancelled = self._refund_label(
            "cancelled", notify("cancelled", sfn.Succeed(self, "Cancelled"), "cancelled")
        )
        expired = self._refund_label("expired", notify("expired", sfn.Succeed(self, "Expired"), "expired"))

        begin = self._task("Begin", "decide", "$")
        issue_label = self._task("Issue label", "issue_label", "$.label")
        issue_label.add_retry(
            errors=[CARRIER_UNAVAILABLE], interval=Duration.seconds(10), max_attempts=5, backoff_rate=2
        )
        issue_label.add_retry(
            errors=[LABEL_IN_PROGRESS],
            interval=Duration.seconds(LABEL_CLAIM_LEASE_SECONDS // 4),
            max_attempts=6,
            backoff_rate=2,
        )
        issue_label.add_retry(errors=[LABEL_NOT_ISSUED], **LABEL_RETRY)  # type: ignore[arg-type]
        resolve = self._task("Resolve", "resolve", "$.resolved")
        # Retriers are tried in order; this one precedes nothing else that matches the error.
        resolve.add_retry(
            errors=[PAYMENT_PROVIDER_UNAVAILABLE, PAYMENT_IN_PROGRESS],
            interval=Duration.seconds(5),
            max_attempts=6,
            backoff_rate=2,
        )
        close = notify("resolved", self._task("Close", "close", "$.closed").next(done))
        # Returnless (the policy's keep_item): no label; the customer is told and it is resolved
        # at once. An execution started before the option existed carries no such flag.
        label_or_keep = (
            sfn.Choice(self, "Keep the item?")
            .when(
                sfn.Condition.and_(
                    sfn.Condition.is_present("$.keep_item"), sfn.Condition.boolean_equals("$.keep_item", True)
                ),
                notify("kept", resolve, "approved"),
            )
            .otherwise(issue_label)
        )

        await_review = self._wait("Await review", "review", "$.timeouts.review_seconds")
        await_evidence = self._wait("Await evidence", "evidence", "$.timeouts.evidence_seconds")
        await_carrier = self._wait("Await carrier", "carrier", "$.timeouts.label_valid_seconds")
        await_inspection = self._wait("Await inspection", "inspection", "$.timeouts.inspection_seconds")
        await_settlement = self._wait("Await settlement", "settlement", "$.timeouts.settlement_seconds")
        await_refund_retry = self._wait("Await refund retry", "refund_retry", "$.timeouts.settlement_seconds")
        await_fulfilment = self._wait("Await fulfilment", "fulfilment", "$.timeouts.fulfilment_seconds")
        await_payment = self._wait("Await payment", "payment", "$.timeouts.difference_payment_seconds")

        def on(path: str, name: str, branches: dict[str, sfn.IChainable]) -> sfn.Choice:
            choice = sfn.Choice(self, name)
            for status, target in branches.items():
                choice.when(sfn.Condition.string_equals(path, status), target)
            return choice.otherwise(
                sfn.Fail(
                    self,
                    f"{name}: unexpected status",
                    error="UnexpectedStatus",
                    cause=f"no branch of '{name}' for this status",
                )
            )

        def wire(wait: tasks.LambdaInvoke, on_timeout: sfn.IChainable, news: sfn.IChainable) -> None:
            # A wait's timeout leads to its escalation or expiry; any other error is recorded.
            wait.add_catch(on_timeout, errors=["States.Timeout"], result_path="$.timeout")
            wait.add_catch(self._failed(wait.node.id), errors=["States.ALL"], result_path="$.error")
            wait.next(news)

        def escalate(wait: str, then: sfn.IChainable) -> sfn.IChainable:
            return self._task(f"Escalate {wait}", "escalate", "$.escalated", wait=wait).next(then)

        def expire(wait: str, what: str, then: sfn.IChainable) -> sfn.IChainable:
            return self._task(f"Expire {what}", "expire", "$.news", wait=wait).next(then)

        after_label = on(
            "$.label.status",
            "Label issued?",
            {"label_issued": notify("label", await_carrier, "label_issued"), "cancelled": cancelled},
        )
        issue_label.next(after_label)

        after_delivery = (
            sfn.Choice(self, "Refund on delivery?")
            .when(sfn.Condition.boolean_equals("$.refund_on_delivery", True), resolve)
            .otherwise(await_inspection)
        )

        review_news = on(
            "$.news.status",
            "Review decided",
            {
                "approved": label_or_keep,
                "rejected": rejected,
                "awaiting_evidence": await_evidence,
                "cancelled": cancelled,
            },
        )
        wire(await_review, escalate("review", await_review), review_news)

        evidence_news = on(
            "$.news.status",
            "Evidence arrived",
            {
                "approved": label_or_keep,
                "pending_review": await_review,
                "rejected": rejected,
                "cancelled": cancelled,
                "expired": expired,
                "awaiting_evidence": expired,
            },
        )
        wire(await_evidence, expire("evidence", "evidence request", evidence_news), evidence_news)

        # A trusted customer's refund may go at the carrier's first scan (policy automation); an
        # execution started before the option existed carries no such flag and waits as before.
        first_scan = (
            sfn.Choice(self, "Refund on first scan?")
            .when(
                sfn.Condition.and_(
                    sfn.Condition.is_present("$.refund_on_first_scan"),
                    sfn.Condition.boolean_equals("$.refund_on_first_scan", True),
                ),
                resolve,
            )
            .otherwise(await_carrier)
        )
        carrier_news = on(
            "$.news.status",
            "Carrier news",
            {
                "in_transit": first_scan,
                "delivered": after_delivery,
                "cancelled": cancelled,
                "expired": expired,
                "label_issued": expired,
                "received": after_delivery,
            },
        )
        wire(await_carrier, expire("carrier", "label", carrier_news), carrier_news)

        # The parcel was scanned at the hub before its inspection resumed the wait: tell the customer.
        wire(
            await_inspection,
            escalate("inspection", await_inspection),
            notify("received", resolve, "received"),
        )

        refund_failed = notify("refund failed", await_refund_retry, "refund_failed")
        # An exchange against the catalog: its replacement is ordered; the merchant reports the
        # shipment (POST /v1/returns/{rma}/exchange-fulfilment) and the customer gets its tracking.
        # An exchange of items the catalog does not know closes as before.
        exchanged = (
            sfn.Choice(self, "Replacement ordered?")
            .when(
                sfn.Condition.is_present("$.resolved.replacement_order_id"),
                notify("exchange ordered", await_fulfilment, "exchanged"),
            )
            .otherwise(close)
        )
        shipped = on(
            "$.news.status",
            "Replacement shipped",
            {
                "replacement_shipped": notify(
                    "replacement shipped",
                    self._task("Close after shipment", "close", "$.closed").next(done),
                    "replacement_shipped",
                )
            },
        )
        wire(await_fulfilment, escalate("fulfilment", await_fulfilment), shipped)
        # A dearer replacement: the customer pays the difference first (the link is emailed); the
        # payment's news resolves again (the replacement is ordered), and so does the wait running
        # out (the exchange falls back to the policy's refund or store credit).
        wire(await_payment, expire("payment", "difference payment", resolve), resolve)
        resolved = on(
            "$.resolved.status",
            "Resolved",
            {
                "awaiting_payment": notify("payment due", await_payment, "refund_pending"),
                "refund_pending": await_settlement,
                "credited": close,
                "exchanged": exchanged,
                "closed": done,
                # The provider refused the refund (or the charge is disputed); or news came first.
                "refund_failed": refund_failed,
                "refunded": close,
            },
        )
        resolve.next(resolved)

        settled = on(
            "$.news.status",
            "Settled",
            {
                "refunded": close,
                "refund_failed": refund_failed,
            },
        )
        wire(await_settlement, escalate("settlement", await_settlement), settled)

        retried = on(
            "$.news.status", "Refund retried", {"refund_pending": resolve, "credited": close, "closed": done}
        )
        wire(await_refund_retry, escalate("refund_retry", await_refund_retry), retried)

        decided = on(
            "$.status",
            "Decision",
            {
                "approved": label_or_keep,
                "pending_review": notify("review", await_review, "pending_review"),
                "awaiting_evidence": notify("evidence request", await_evidence, "awaiting_evidence"),
                "rejected": rejected,
                "cancelled": cancelled,
                "label_issued": await_carrier,
            },
        )
        # Every request is acknowledged first, whatever the policy decided.
        return begin.next(notify("request received", decided, "requested"))
