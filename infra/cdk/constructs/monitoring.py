"""Alarms and the dashboard (cdk-monitoring-constructs), and failure handling for every
asynchronous invocation.

Made last in the stack: it looks through the stack for what to watch (the REST API, the state
machine, the outbox publisher, every Boomerang function, queue and EventBridge rule), so what another
construct adds is covered without a line here; tests/infra/test_monitoring_infra.py fails for a
function made after it.

- Every asynchronously invoked function (a resource policy letting EventBridge, SNS, S3 and the
  like invoke it) gets an on-failure destination: a queue of its own that receives the event and
  the error once Lambda's retries are spent. An EventBridge rule's target on such a function without
  a dead-letter queue gets that queue too (for events EventBridge could not deliver at all).
- Alarms, all to one SNS topic (`-c alarm_email=...` subscribes an address; SNS mails it a
  confirmation link): API 5xx and p99 latency; per function errors, throttles and p99 duration near
  its timeout; messages in any queue that has no dead-letter queue of its own (the dead-letter and
  failure queues, where failures end); failed and timed-out workflow executions; outbound webhooks
  dead-lettered; and the share of refunds that failed.
- One CloudWatch dashboard with all of it.

No function emits a refund metric: the outbox publisher logs every event it publishes ("event
published" with its type), and metric filters count refund.failed and refund.succeeded from those
lines into the Boomerang namespace (tests/integration/test_events_out.py checks the line's fields).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TypeVar

from aws_cdk import Duration, NestedStack, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from cdk_monitoring_constructs import (
    AlarmFactoryDefaults,
    CustomMetricGroup,
    CustomMetricWithAlarm,
    CustomThreshold,
    DefaultDashboardFactory,
    ErrorCountThreshold,
    ErrorRateThreshold,
    LatencyThreshold,
    MaxMessageCountThreshold,
    MetricFactoryDefaults,
    MonitoringFacade,
    SnsAlarmActionStrategy,
)
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct, IConstruct

from infra.cdk.constructs.event_bus import EventBus, dead_letter_queue
from infra.cdk.constructs.lambda_function import BoomerangFunction

T = TypeVar("T")
NAMESPACE = "Boomerang"
# Principals that invoke a function asynchronously (Lambda queues the event, retries twice, then
# drops it unless an on-failure destination takes it).
ASYNC_PRINCIPALS = frozenset(
    {
        "events.amazonaws.com",
        "sns.amazonaws.com",
        "s3.amazonaws.com",
        "ses.amazonaws.com",
        "logs.amazonaws.com",
        "iot.amazonaws.com",
        "lambda.alarms.cloudwatch.amazonaws.com",
    }
)
ASYNC_MAX_EVENT_AGE = Duration.hours(6)
# The fraction of a request's 5xx answers above which on-call hears of it, and the p99 latency.
API_5XX_RATE = 0.01
API_P99_LATENCY = Duration.seconds(3)
# Latency: 3 periods of 5 minutes out of 5, so one slow burst is not a page.
SUSTAINED = {"evaluation_periods": 5, "datapoints_to_alarm": 3}
# A function's p99 duration above this share of its timeout: it is about to time out.
DURATION_SHARE_OF_TIMEOUT = 0.8
# Refund failures: alarm above this share of the refunds settled in an hour, once there are enough.
REFUND_FAILURE_RATE_PERCENT = 10
MIN_REFUND_OUTCOMES = 3
# The outbox publisher's log line for each event published (functions/outbox_publisher/handler.py).
PUBLISHED_EVENT_LOG = {"message": "event published"}
REFUND_OUTCOMES = {"RefundFailed": "refund.failed", "RefundSucceeded": "refund.succeeded"}
WEBHOOK_DELIVERY_SERVICE = "webhook_delivery"


def friendly_name(construct: IConstruct) -> str:
    """`Boomerang/ReturnWorkflow/DecideTask` -> `ReturnWorkflow-DecideTask` (alarm and queue names)."""
    return "-".join(construct.node.path.split("/")[1:])


def published_event_pattern(event_type: str) -> logs.IFilterPattern:
    fields = {**PUBLISHED_EVENT_LOG, "type": event_type}
    return logs.FilterPattern.all(
        *(logs.FilterPattern.string_value(f"$.{k}", "=", v) for k, v in fields.items())
    )


@dataclass
class AsyncTarget:
    function: lambda_.Function
    failures: sqs.Queue


class AsyncFailureDestinations(Construct):
    """An on-failure destination for every function of the stack invoked asynchronously, and the
    same queue as the dead-letter queue of EventBridge targets that lack one. `targets` lists them."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.targets: list[AsyncTarget] = []
        for made in boomerang_functions(stack):
            function = made.function
            if not _invoked_asynchronously(function):
                _acknowledge_no_dlq(function, asynchronous=False)
                continue
            # A function of a nested stack (the parcels' delay watch) keeps its queue in that stack,
            # so the main stack's resource count does not grow with it.
            home: Construct = self if Stack.of(function) is stack else Stack.of(function)
            queue = dead_letter_queue(
                home,
                friendly_name(made),
                f"of {friendly_name(made)}'s asynchronous invocations: each event that failed after "
                "Lambda's retries, with its error",
            )
            if function.node.try_find_child("EventInvokeConfig") is None:
                function.configure_async_invoke(
                    on_failure=destinations.SqsDestination(queue),
                    max_event_age=ASYNC_MAX_EVENT_AGE,
                    retry_attempts=2,
                )
            _acknowledge_no_dlq(function, asynchronous=True)
            self.targets.append(AsyncTarget(function, queue))
        self._rule_dead_letters(stack)
        self._acknowledge_sqs_sources(stack)

    def _acknowledge_sqs_sources(self, stack: Stack) -> None:
        """An SQS event source mapping takes no on-failure destination: its queue's redrive policy
        is where failures go. Acknowledged only for queues that have one."""
        queues = {_key(stack, q.queue_arn): q for q in stack.node.find_all() if isinstance(q, sqs.Queue)}
        for mapping in (c for c in stack.node.find_all() if isinstance(c, lambda_.CfnEventSourceMapping)):
            queue = queues.get(_key(stack, mapping.event_source_arn))
            if queue is None or queue.dead_letter_queue is None:
                continue
            dlq = queue.dead_letter_queue
            NagSuppressions.add_resource_suppressions(
                mapping,
                [
                    NagPackSuppression(
                        id="Serverless-LambdaEventSourceMappingDestination",
                        reason=f"An SQS source takes no on-failure destination: a message that keeps failing "
                        f"moves, after {dlq.max_receive_count} receives, to {friendly_name(dlq.queue)}, "
                        "its queue's dead-letter queue (alarmed).",
                    )
                ],
            )

    def _rule_dead_letters(self, stack: Stack) -> None:
        queues = {_key(stack, target.function.function_arn): target.failures for target in self.targets}
        for rule in (c for c in stack.node.find_all() if isinstance(c, events.CfnRule)):
            for index, target in enumerate(stack.resolve(rule.targets) or []):
                queue = queues.get(_key(stack, target["arn"]))
                if queue is None or target.get("deadLetterConfig"):
                    continue
                # The L2 rule renders its targets late and offers no setter: an override, in the
                # template as if the rule's author had given the queue.
                rule.add_property_override(f"Targets.{index}.DeadLetterConfig.Arn", queue.queue_arn)
                queue.add_to_resource_policy(
                    iam.PolicyStatement(
                        principals=[iam.ServicePrincipal("events.amazonaws.com")],
                        actions=["sqs:SendMessage"],
                        resources=[queue.queue_arn],
                        conditions={"ArnEquals": {"aws:SourceArn": rule.attr_arn}},
                    )
                )
                NagSuppressions.add_resource_suppressions(
                    rule,
                    [
                        NagPackSuppression(
                            id="Serverless-EventBusDLQ",
                            reason=f"Target {index} has a dead-letter queue ({friendly_name(queue)}), set "
                            "by a property override that cdk-nag does not read (tests/infra/"
                            "test_monitoring_infra.py checks it in the template).",
                        )
                    ],
                )


def _key(stack: Stack, value: object) -> str:
    return json.dumps(stack.resolve(value), sort_keys=True)


def boomerang_functions(stack: Stack) -> list[BoomerangFunction]:
    return [c for c in stack.node.find_all() if isinstance(c, BoomerangFunction)]


def _invoked_asynchronously(function: lambda_.Function) -> bool:
    """Whether a resource policy (a CfnPermission, wherever CDK put it) lets an asynchronous
    invoker call the function."""
    stack = Stack.of(function)
    names = {_key(stack, function.function_arn), _key(stack, function.function_name)}
    return any(
        stack.resolve(permission.principal) in ASYNC_PRINCIPALS
        and _key(stack, permission.function_name) in names
        for permission in stack.node.find_all()
        if isinstance(permission, lambda_.CfnPermission)
    )


def _acknowledge_no_dlq(function: lambda_.Function, *, asynchronous: bool) -> None:
    reason = (
        "Asynchronous invocations fail to an on-failure destination (a queue of its own, alarmed), "
        "which keeps the event and the error; a dead-letter queue would keep the event only."
        if asynchronous
        else "Invoked only synchronously (API Gateway, a Step Functions task or an event source mapping): "
        "the caller receives each error and retries or records it. A dead-letter queue serves "
        "asynchronous invocations, and nothing invokes this function asynchronously."
    )
    NagSuppressions.add_resource_suppressions(
        function, [NagPackSuppression(id="Serverless-LambdaDLQ", reason=reason)]
    )


class Monitoring(Construct):
    """`topic` (alarms), `alarms_stack` (the nested stack of the alarms and the `dashboard`),
    `async_failures`; see the module's docstring."""

    def __init__(self, scope: Construct, construct_id: str, *, alarm_email: str | None = None) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        api = _only(stack, apigw.RestApi)
        state_machine = _only(stack, sfn.StateMachine)
        outbox_log_group = _only(stack, EventBus).function.log_group
        self.topic = self._topic(alarm_email)
        # First: its queues are among the queues alarmed below.
        self.async_failures = AsyncFailureDestinations(self, "AsyncFailures")
        functions, queues = boomerang_functions(stack), last_stop_queues(stack)
        # The alarms, their metric filters and the dashboard (some 80 resources) in a nested stack:
        # CloudFormation allows 500 resources per stack, and the API's routes alone take 200.
        self.alarms_stack = NestedStack(
            self, "AlarmsAndDashboard", description="Boomerang alarms and dashboard"
        )
        scope = self.alarms_stack
        facade = MonitoringFacade(
            scope,
            "Facade",
            alarm_factory_defaults=AlarmFactoryDefaults(
                actions_enabled=True,
                alarm_name_prefix=stack.stack_name,
                action=SnsAlarmActionStrategy(on_alarm_topic=self.topic),
                # One failed execution, one dead letter: each is news in the 5 minutes it happens.
                # Latency alarms ask for 3 periods of 5 (SUSTAINED).
                evaluation_periods=1,
                datapoints_to_alarm=1,
            ),
            metric_factory_defaults=MetricFactoryDefaults(namespace=NAMESPACE),
            dashboard_factory=DefaultDashboardFactory(
                scope,
                "Dashboards",
                dashboard_name_prefix=stack.stack_name,
                create_dashboard=True,
                create_alarm_dashboard=False,
                create_summary_dashboard=False,
            ),
        )
        self.facade = facade
        facade.add_large_header("Boomerang: API, functions, workflow, queues, refunds")
        facade.monitor_api_gateway(
            api=api,
            api_stage=api.deployment_stage.stage_name,
            alarm_friendly_name="Api",
            add5_xx_fault_rate_alarm={"Critical": ErrorRateThreshold(max_error_rate=API_5XX_RATE)},
            add_latency_p99_alarm={"Warning": LatencyThreshold(max_latency=API_P99_LATENCY, **SUSTAINED)},
        )
        facade.monitor_step_function(
            state_machine=state_machine,
            alarm_friendly_name="ReturnWorkflow",
            add_failed_execution_count_alarm={"Critical": ErrorCountThreshold(max_error_count=0)},
            add_timed_out_execution_count_alarm={"Critical": ErrorCountThreshold(max_error_count=0)},
        )
        for made in functions:
            function = made.function
            assert function.timeout is not None
            facade.monitor_lambda_function(
                lambda_function=function,
                alarm_friendly_name=friendly_name(made),
                human_readable_name=friendly_name(made),
                add_fault_count_alarm={"Critical": ErrorCountThreshold(max_error_count=0)},
                add_throttles_count_alarm={"Warning": ErrorCountThreshold(max_error_count=0)},
                add_latency_p99_alarm={
                    "Warning": LatencyThreshold(
                        max_latency=Duration.millis(
                            int(function.timeout.to_milliseconds() * DURATION_SHARE_OF_TIMEOUT)
                        ),
                        **SUSTAINED,
                    )
                },
            )
        for queue in queues:
            facade.monitor_sqs_queue(
                queue=queue,
                alarm_friendly_name=friendly_name(queue),
                human_readable_name=friendly_name(queue),
                add_queue_max_size_alarm={"Critical": MaxMessageCountThreshold(max_message_count=0)},
            )
        facade.monitor_custom(
            alarm_friendly_name="Outcomes",
            human_readable_name="Dead-lettered webhooks and refund failures",
            metric_groups=[
                CustomMetricGroup(
                    title="Outbound webhooks dead-lettered (after a day of retries)",
                    metrics=[self._dead_lettered_webhooks()],
                ),
                CustomMetricGroup(
                    title="Refunds failed, % of refunds settled",
                    metrics=[self._refunds(scope, outbox_log_group)],
                ),
            ],
        )
        self.dashboard = facade.created_dashboard()

    def _topic(self, alarm_email: str | None) -> sns.Topic:
        # CloudWatch publishes to an encrypted topic only with a customer managed key it may use.
        key = kms.Key(self, "AlarmsKey", description="Boomerang alarms topic", enable_key_rotation=True)
        key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*")
        topic = sns.Topic(self, "Alarms", display_name="Boomerang alarms", master_key=key, enforce_ssl=True)
        if alarm_email:
            # Notifications SNS could not deliver to the address land here (and are alarmed, like
            # every queue where failures end, which at least shows on the dashboard).
            undelivered = dead_letter_queue(self, "UndeliveredAlarms", "of the alarm email subscription")
            topic.add_subscription(
                subscriptions.EmailSubscription(alarm_email, dead_letter_queue=undelivered)
            )
        return topic

    def _dead_lettered_webhooks(self) -> CustomMetricWithAlarm:
        return CustomMetricWithAlarm(
            alarm_friendly_name="WebhooksDeadLettered",
            metric=cloudwatch.Metric(
                namespace=NAMESPACE,
                metric_name="WebhookDeadLettered",
                dimensions_map={"service": WEBHOOK_DELIVERY_SERVICE},
                statistic="Sum",
                period=Duration.minutes(5),
                label="dead-lettered",
            ),
            add_alarm={
                "Critical": CustomThreshold(
                    threshold=0,
                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    treat_missing_data_override=cloudwatch.TreatMissingData.NOT_BREACHING,
                    additional_description="An outbound webhook gave up after a day of retries: "
                    "GET /admin/v1/webhooks/dead-letters lists it, and its redrive route sends it again.",
                )
            },
        )

    def _refunds(self, scope: Construct, outbox_log_group: logs.ILogGroup) -> CustomMetricWithAlarm:
        counts = {}
        for metric_name, event_type in REFUND_OUTCOMES.items():
            logs.MetricFilter(
                scope,
                metric_name,
                log_group=outbox_log_group,
                metric_namespace=NAMESPACE,
                metric_name=metric_name,
                filter_pattern=published_event_pattern(event_type),
                metric_value="1",
            )
            counts[metric_name] = cloudwatch.Metric(
                namespace=NAMESPACE, metric_name=metric_name, statistic="Sum", period=Duration.hours(1)
            )
        rate = cloudwatch.MathExpression(
            expression=(
                f"IF((failed + succeeded) >= {MIN_REFUND_OUTCOMES}, 100 * failed / (failed + succeeded), 0)"
            ),
            using_metrics={"failed": counts["RefundFailed"], "succeeded": counts["RefundSucceeded"]},
            period=Duration.hours(1),
            label="refunds failed (%)",
        )
        return CustomMetricWithAlarm(
            alarm_friendly_name="RefundFailureRate",
            metric=rate,
            add_alarm={
                "Critical": CustomThreshold(
                    threshold=REFUND_FAILURE_RATE_PERCENT,
                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    treat_missing_data_override=cloudwatch.TreatMissingData.NOT_BREACHING,
                    additional_description=f"More than {REFUND_FAILURE_RATE_PERCENT}% of the refunds settled "
                    f"in an hour failed (at least {MIN_REFUND_OUTCOMES} settled). Each failure also opens a "
                    "ticket for finance; many at once point at the payment provider or its credentials.",
                )
            },
        )


def _only(stack: Stack, kind: type[T]) -> T:
    found = [c for c in stack.node.find_all() if isinstance(c, kind)]
    if len(found) != 1:
        raise ValueError(f"monitoring expects one {kind.__name__} in {stack.stack_name}, found {len(found)}")
    return found[0]


def last_stop_queues(stack: Stack) -> list[sqs.Queue]:
    """Queues without a dead-letter queue of their own: where failures end (AwsSolutions-SQS3
    asks every other queue for one)."""
    return [c for c in stack.node.find_all() if isinstance(c, sqs.Queue) and c.dead_letter_queue is None]
