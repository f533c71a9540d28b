"""What a return costs on AWS, everything it causes counted, and what an idle deployment costs a month.

Prices are AWS list prices for us-east-1 (on-demand, x86 Lambda, first tiers, free tiers left out,
so a small shop pays less), written here so the arithmetic can be checked and updated: they are
inputs, not measurements. They are the published prices as of PRICES_AS_OF; this machine has no
network, so they were not re-read from aws.amazon.com on the day of the run.

Usage (what is multiplied by the prices) comes from the bench's counts on the local stack
(bench/journey_cost.py): requests per function with their measured duration, INIT per cold start,
state transitions, DynamoDB capacity, events, emails, log bytes and objects; the few figures that
cannot be measured locally are ASSUMPTIONS below, each with its reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

PRICES_AS_OF = "2025-08-01"  # Lambda bills INIT for every on-demand function from this date on

DYNAMODB_PER_MILLION_WRU = 0.625  # on-demand, since the 2024-11-01 price cut
DYNAMODB_PER_MILLION_RRU = 0.125
DYNAMODB_STORAGE_GB_MONTH = 0.25
DYNAMODB_PITR_GB_MONTH = 0.20
LAMBDA_PER_GB_SECOND = 0.0000166667  # x86
LAMBDA_PER_MILLION_REQUESTS = 0.20
APIGW_REST_PER_MILLION_REQUESTS = 3.50
WAF_PER_MILLION_REQUESTS = 0.60
WAF_PER_WEB_ACL_MONTH = 5.00
WAF_PER_RULE_MONTH = 1.00  # a managed rule group counts as one rule
SFN_PER_THOUSAND_TRANSITIONS = 0.025  # Standard workflows
EVENTBRIDGE_PER_MILLION_EVENTS = 1.00  # custom events put on a bus (64 KB chunks)
SQS_PER_MILLION_REQUESTS = 0.40  # standard queues (send, receive, delete each count)
SES_PER_THOUSAND_EMAILS = 0.10
SES_PER_GB_ATTACHMENTS = 0.12
LOGS_INGEST_PER_GB = 0.50
LOGS_STORAGE_GB_MONTH = 0.03
XRAY_PER_MILLION_TRACES = 5.00  # recorded
S3_PER_THOUSAND_PUTS = 0.005
S3_PER_THOUSAND_GETS = 0.0004
S3_STANDARD_GB_MONTH = 0.023
SECRET_PER_MONTH = 0.40
ALARM_PER_MONTH = 0.10  # standard resolution metric alarm
DASHBOARD_PER_MONTH = 3.00
KMS_KEY_PER_MONTH = 1.00
CUSTOM_METRIC_PER_MONTH = 0.30

# What cannot be measured on this machine, and why each figure is what it is.
ASSUMPTIONS: dict[str, tuple[float, str]] = {
    "carrier_webhooks": (
        6,
        "carrier tracking webhooks per label (EasyPost posts a tracker.updated per scan: pre-transit, "
        "accepted, in transit, out for delivery, delivered, one more)",
    ),
    "stripe_webhooks": (2, "Stripe events per card refund (refund.created and refund.updated)"),
    "cold_share": (
        0.10,
        "share of invocations that start a container (INIT billed): a function called a few times a "
        "minute keeps a warm container for minutes; at 1,000 returns a day most calls are warm",
    ),
    "platform_log_bytes": (
        350,
        "bytes per invocation Lambda writes itself (START, END and REPORT lines), beside the "
        "function's own JSON logs, which are measured",
    ),
    "label_months": (6, "months a label PDF stays in S3 (the bucket's lifecycle)"),
    "sqs_idle_requests_month": (
        648_000,
        "ReceiveMessage calls a month by Lambda's idle poller of one SQS event source (5 pollers, "
        "20-second long polls)",
    ),
}


def assumed(name: str) -> float:
    return ASSUMPTIONS[name][0]


@dataclass
class FunctionUse:
    """One function's part in a return: invocations, their measured time, its memory and INIT."""

    invocations: int = 0
    millis: list[float] = field(default_factory=list)
    memory_mb: int = 512
    init_ms: float = 0.0

    def gb_seconds(self) -> float:
        billed: float = sum(math.ceil(ms) for ms in self.millis)  # Lambda bills by the millisecond
        # A cold start bills its INIT too (on-demand functions, since PRICES_AS_OF).
        billed += self.invocations * assumed("cold_share") * self.init_ms
        return billed / 1000 * self.memory_mb / 1024


@dataclass
class ReturnUsage:
    """Everything one return caused (its journey), counted on the local stack."""

    api_requests: dict[str, int] = field(default_factory=dict)  # audience -> requests
    functions: dict[str, FunctionUse] = field(default_factory=dict)  # function name -> use
    transitions: int = 0
    read_units: float = 0.0
    write_units: float = 0.0
    events_put: int = 0  # EventBridge entries
    sqs_requests: int = 0  # send + receive + delete
    emails: int = 0
    email_attachment_bytes: int = 0
    log_bytes: int = 0  # the functions' own log output
    s3_puts: int = 0
    s3_gets: int = 0
    s3_bytes: int = 0
    traces: int = 0

    @property
    def invocations(self) -> int:
        return sum(f.invocations for f in self.functions.values())


@dataclass(frozen=True)
class Line:
    service: str
    usage: str
    usd: float  # per 1,000 returns


def per_thousand(u: ReturnUsage) -> list[Line]:
    """The bill of 1,000 returns like `u`, line by line."""
    k = 1000
    requests = sum(u.api_requests.values())
    gb_s = sum(f.gb_seconds() for f in u.functions.values())
    init_s = sum(f.invocations * assumed("cold_share") * f.init_ms for f in u.functions.values()) / 1000
    run_s = sum(sum(f.millis) for f in u.functions.values()) / 1000
    log_gb = (u.log_bytes + u.invocations * assumed("platform_log_bytes")) / 1e9
    audiences = ", ".join(f"{n} {a}" for a, n in u.api_requests.items())
    return [
        Line(
            "API Gateway REST + WAF",
            f"{requests * k} requests ({audiences}, per return)",
            requests * k * (APIGW_REST_PER_MILLION_REQUESTS + WAF_PER_MILLION_REQUESTS) / 1e6,
        ),
        Line(
            "Lambda requests",
            f"{u.invocations * k} invocations ({len(u.functions)} functions)",
            u.invocations * k * LAMBDA_PER_MILLION_REQUESTS / 1e6,
        ),
        Line(
            "Lambda duration (measured) and INIT",
            f"{run_s * k:.0f} s run + {init_s * k:.0f} s INIT = {gb_s * k:.0f} GB-s",
            gb_s * k * LAMBDA_PER_GB_SECOND,
        ),
        Line(
            "Step Functions Standard",
            f"{u.transitions * k} transitions",
            u.transitions * k * SFN_PER_THOUSAND_TRANSITIONS / 1000,
        ),
        Line(
            "DynamoDB (every function's calls)",
            f"{u.read_units * k:.0f} RRU + {u.write_units * k:.0f} WRU",
            k * (u.read_units * DYNAMODB_PER_MILLION_RRU + u.write_units * DYNAMODB_PER_MILLION_WRU) / 1e6,
        ),
        Line(
            "EventBridge + SQS (events pipeline)",
            f"{u.events_put * k} events, {u.sqs_requests * k} SQS requests",
            k
            * (u.events_put * EVENTBRIDGE_PER_MILLION_EVENTS + u.sqs_requests * SQS_PER_MILLION_REQUESTS)
            / 1e6,
        ),
        Line(
            "SES",
            f"{u.emails * k} emails, {u.email_attachment_bytes * k / 1e6:.1f} MB attached",
            k * u.emails * SES_PER_THOUSAND_EMAILS / 1000
            + k * u.email_attachment_bytes / 1e9 * SES_PER_GB_ATTACHMENTS,
        ),
        Line(
            "CloudWatch Logs (ingest + a month stored)",
            f"{log_gb * k * 1000:.1f} MB",
            log_gb * k * (LOGS_INGEST_PER_GB + LOGS_STORAGE_GB_MONTH),
        ),
        Line(
            "X-Ray (active tracing)", f"{u.traces * k} traces", u.traces * k * XRAY_PER_MILLION_TRACES / 1e6
        ),
        Line(
            "S3 (labels and evidence)",
            f"{u.s3_puts * k} PUT, {u.s3_gets * k} GET, {u.s3_bytes * k / 1e6:.1f} MB "
            f"kept {assumed('label_months'):g} months",
            k * (u.s3_puts * S3_PER_THOUSAND_PUTS + u.s3_gets * S3_PER_THOUSAND_GETS) / 1000
            + k * u.s3_bytes / 1e9 * S3_STANDARD_GB_MONTH * assumed("label_months"),
        ),
    ]


def total(lines: list[Line]) -> float:
    return sum(line.usd for line in lines)


def _count(template: dict[str, Any], kind: str) -> int:
    return sum(1 for r in template.get("Resources", {}).values() if r.get("Type") == kind)


def idle_month(templates: list[dict[str, Any]]) -> list[Line]:
    """The fixed monthly cost of a deployment that serves nothing, from its synthesized templates."""

    def count(kind: str) -> int:
        return sum(_count(t, kind) for t in templates)

    acls = [
        r for t in templates for r in t.get("Resources", {}).values() if r.get("Type") == "AWS::WAFv2::WebACL"
    ]
    rules = sum(len(r.get("Properties", {}).get("Rules", [])) for r in acls)
    sqs_sources = sum(
        1
        for t in templates
        for r in t.get("Resources", {}).values()
        if r.get("Type") == "AWS::Lambda::EventSourceMapping"
        and "Queue" in str(r.get("Properties", {}).get("EventSourceArn", ""))
    )
    secrets, alarms = count("AWS::SecretsManager::Secret"), count("AWS::CloudWatch::Alarm")
    composite, dashboards = count("AWS::CloudWatch::CompositeAlarm"), count("AWS::CloudWatch::Dashboard")
    keys = count("AWS::KMS::Key")
    idle_sqs = sqs_sources * assumed("sqs_idle_requests_month")
    return [
        Line(
            "WAF web ACL and rules",
            f"{len(acls)} web ACL, {rules} rules",
            len(acls) * WAF_PER_WEB_ACL_MONTH + rules * WAF_PER_RULE_MONTH,
        ),
        Line("Secrets Manager", f"{secrets} secrets", secrets * SECRET_PER_MONTH),
        Line(
            "CloudWatch alarms and dashboards",
            f"{alarms} alarms, {composite} composite, {dashboards} dashboards",
            alarms * ALARM_PER_MONTH + composite * 0.50 + dashboards * DASHBOARD_PER_MONTH,
        ),
        Line("KMS customer keys", f"{keys} keys", keys * KMS_KEY_PER_MONTH),
        Line(
            "SQS polled by idle Lambda event sources",
            f"{sqs_sources} queues x {assumed('sqs_idle_requests_month'):,.0f} ReceiveMessage",
            idle_sqs * SQS_PER_MILLION_REQUESTS / 1e6,
        ),
        Line(
            "Everything else idle",
            "Lambda, API Gateway, Step Functions, DynamoDB on demand, EventBridge, SES, X-Ray bill per use",
            0.0,
        ),
    ]


def deployment_templates() -> list[dict[str, Any]]:
    """The main stack's template and its nested stacks' (monitoring's alarms live in one), as
    `make deploy` would synthesize them for the idle month."""
    from aws_cdk import App, NestedStack
    from aws_cdk.assertions import Template

    from infra.cdk.app import build_app
    from local.template import offline_context

    _, stack = build_app(App(context=offline_context()))
    nested = [c for c in stack.node.find_all() if isinstance(c, NestedStack)]
    return [
        dict(Template.from_stack(stack).to_json()),
        *(dict(Template.from_stack(n).to_json()) for n in nested),
    ]
