"""The API's web application firewall (AWS WAFv2, regional), on by default.

Rules, in order:
1. AWS's managed common rule set (OWASP-style request checks). Its body size rule only counts:
   Shopify order webhooks and order imports are legitimately larger than its 8 KB, and API Gateway
   already refuses bodies over its own limit (413).
2. A rate rule for `/v1/sessions` per client IP, stricter than the rest: opening a session is what a
   guesser of order numbers repeats (issue 22); the function adds its own lockout per email.
3. A rate rule per client IP over every request.

Rate rules answer 429 with the API's error body (code `throttled`, no request id: API Gateway never
saw the request) and Retry-After; the managed rules' blocks answer WAF's plain 403.

`-c waf=false` leaves the API without a firewall; `-c web_acl_arn=...` attaches a WebACL of the
merchant's own instead of this one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from aws_cdk import Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_wafv2 as wafv2
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

SESSIONS_PATH = "/v1/sessions"
# Rate rules count over a 5-minute window per client IP.
EVALUATION_WINDOW_SECONDS = 300
RETRY_AFTER_SECONDS = 60
THROTTLED_BODY = {
    "error": {
        "code": "throttled",
        "message": "Too many requests from this address; retry later.",
        "details": [],
        "request_id": None,
    }
}


@dataclass(frozen=True)
class FirewallSettings:
    """From context: `waf` (default on), `waf_rate_limit`, `waf_sessions_rate_limit`, `web_acl_arn`."""

    enabled: bool = True
    # Requests per client IP per 5 minutes over the whole API (10 a second sustained): a merchant
    # whose storefront server calls the API from one address may need more.
    rate_limit: int = 3000
    # POST /v1/sessions per client IP per 5 minutes: a person opens a session a few times at most.
    sessions_rate_limit: int = 100
    web_acl_arn: str | None = None

    def __post_init__(self) -> None:
        for name in ("rate_limit", "sessions_rate_limit"):
            # WAF's own bounds for a rate-based rule's limit.
            if not 10 <= getattr(self, name) <= 2_000_000_000:
                raise ValueError(f"waf {name}: between 10 and 2,000,000,000 requests per 5 minutes")


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )


class ApiFirewall(Construct):
    """`web_acl` (None when an ARN was given or WAF is off) and its association with the API stage."""

    def __init__(
        self, scope: Construct, construct_id: str, *, stage: apigw.Stage, settings: FirewallSettings
    ) -> None:
        super().__init__(scope, construct_id)
        self.web_acl: wafv2.CfnWebACL | None = None
        if not settings.enabled:
            NagSuppressions.add_resource_suppressions(
                stage,
                [
                    NagPackSuppression(
                        id="AwsSolutions-APIG3",
                        reason="This deployment turned the firewall off with -c waf=false; stage "
                        "throttling (-c throttling_rate_limit, throttling_burst_limit) still applies.",
                    )
                ],
            )
            return
        web_acl_arn = settings.web_acl_arn or self._web_acl(settings).attr_arn
        wafv2.CfnWebACLAssociation(self, "Association", resource_arn=stage.stage_arn, web_acl_arn=web_acl_arn)

    def _web_acl(self, settings: FirewallSettings) -> wafv2.CfnWebACL:
        prefix = Stack.of(self).stack_name
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            description="Boomerang API: AWS common rules, a stricter rate for sessions, a rate per IP",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility(f"{prefix}-api"),
            custom_response_bodies={
                "throttled": wafv2.CfnWebACL.CustomResponseBodyProperty(
                    content_type="APPLICATION_JSON",
                    content=json.dumps(THROTTLED_BODY),
                ),
            },
            rules=[
                wafv2.CfnWebACL.RuleProperty(
                    name="aws-common",
                    priority=0,
                    override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                            vendor_name="AWS",
                            name="AWSManagedRulesCommonRuleSet",
                            rule_action_overrides=[
                                wafv2.CfnWebACL.RuleActionOverrideProperty(
                                    name="SizeRestrictions_BODY",
                                    action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={}),
                                )
                            ],
                        )
                    ),
                    visibility_config=_visibility(f"{prefix}-aws-common"),
                ),
                self._rate_rule(
                    "sessions-per-ip",
                    1,
                    settings.sessions_rate_limit,
                    wafv2.CfnWebACL.StatementProperty(
                        byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
                            # Contains: the stage's URL carries /prod before it, a custom domain not.
                            positional_constraint="CONTAINS",
                            search_string=SESSIONS_PATH,
                            text_transformations=[
                                wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="URL_DECODE")
                            ],
                        )
                    ),
                ),
                self._rate_rule("requests-per-ip", 2, settings.rate_limit, None),
            ],
        )
        return self.web_acl

    def _rate_rule(
        self, name: str, priority: int, limit: int, scope_down: wafv2.CfnWebACL.StatementProperty | None
    ) -> wafv2.CfnWebACL.RuleProperty:
        return wafv2.CfnWebACL.RuleProperty(
            name=name,
            priority=priority,
            action=wafv2.CfnWebACL.RuleActionProperty(
                block=wafv2.CfnWebACL.BlockActionProperty(
                    custom_response=wafv2.CfnWebACL.CustomResponseProperty(
                        response_code=429,
                        custom_response_body_key="throttled",
                        response_headers=[
                            wafv2.CfnWebACL.CustomHTTPHeaderProperty(
                                name="Retry-After", value=str(RETRY_AFTER_SECONDS)
                            )
                        ],
                    )
                )
            ),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    aggregate_key_type="IP",
                    limit=limit,
                    evaluation_window_sec=EVALUATION_WINDOW_SECONDS,
                    scope_down_statement=scope_down,
                )
            ),
            visibility_config=_visibility(f"{Stack.of(self).stack_name}-{name}"),
        )
