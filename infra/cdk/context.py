"""The deployment's settings, read from CDK context (`-c key=value`, cdk.json or cdk.context.json)
and checked before anything is built, so a typo fails the synth with the key's name.

| key | default | what |
|---|---|---|
| stack_name | Boomerang | CloudFormation stack name |
| alarm_email | none | address subscribed to the alarm topic (SNS mails it a confirmation link) |
| waf | true | false: no firewall in front of the API |
| waf_rate_limit | 3000 | requests per client IP per 5 minutes, whole API |
| waf_sessions_rate_limit | 100 | POST /v1/sessions per client IP per 5 minutes |
| web_acl_arn | none | a regional WAFv2 WebACL of your own, attached instead of Boomerang's |
| throttling_rate_limit | 50 | API stage: steady requests per second (all clients) |
| throttling_burst_limit | 100 | API stage: burst |
| cors_origins | * | comma-separated origins browsers may call the storefront API from |
| domain_name | none | custom domain for the API (see constructs/api_domain.py) |
| certificate_arn | none | an ACM certificate for domain_name, in the stack's region |
| hosted_zone_id, hosted_zone_name | none | the Route 53 zone of domain_name: DNS validation and alias |
| admin_mfa_required | false | true: staff must sign in with a TOTP second factor |
| notify_sender | none | address customer emails come from, through SES |
| notify_domain | none | the sender's domain: an SES domain identity with DKIM (publish its three CNAMEs) |
| evidence_lock_mode | governance | or compliance: the evidence buckets' Object Lock (docs/EVIDENCE.md) |
| evidence_regions | none | JSON, region -> hub ids whose evidence stays there |
| home_region | CDK_DEFAULT_REGION | the main stack's region, needed with evidence_regions |
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from constructs import Node

from infra.cdk.constructs.api_domain import DomainSettings
from infra.cdk.constructs.evidence_buckets import evidence_regions, lock_mode
from infra.cdk.constructs.firewall import FirewallSettings

DEFAULT_STACK_NAME = "Boomerang"
_EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")
_ORIGIN = re.compile(r"^https?://[a-z0-9.-]+(:\d{1,5})?$")


def parse_bool(key: str, raw: Any, default: bool) -> bool:
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise ValueError(f"{key}: true or false, not {raw!r}")


def parse_number(key: str, raw: Any, default: float, *, minimum: float) -> float:
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ValueError(f"{key}: a number, not {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{key}: at least {minimum:g}, not {raw!r}")
    return value


def parse_origins(raw: Any) -> tuple[str, ...]:
    """`*`, or origins such as `https://shop.example.com,https://www.example.com` (no path, no
    trailing slash: browsers send the origin exactly so)."""
    if raw is None or raw == "":
        return ("*",)
    items = raw if isinstance(raw, list) else str(raw).split(",")
    origins = tuple(str(item).strip() for item in items if str(item).strip())
    if origins == ("*",):
        return origins
    bad = [o for o in origins if not _ORIGIN.match(o)]
    if bad or not origins:
        raise ValueError(f"cors_origins: '*' or origins like https://shop.example.com, not {bad or raw!r}")
    return origins


@dataclass(frozen=True)
class DeploySettings:
    stack_name: str = DEFAULT_STACK_NAME
    alarm_email: str | None = None
    firewall: FirewallSettings = field(default_factory=FirewallSettings)
    throttling_rate_limit: float = 50
    throttling_burst_limit: int = 100
    cors_origins: tuple[str, ...] = ("*",)
    domain: DomainSettings | None = None
    admin_mfa_required: bool = False
    notify_sender: str | None = None
    notify_domain: str | None = None
    evidence_lock_mode: str = "GOVERNANCE"
    evidence_regions: dict[str, list[str]] = field(default_factory=dict)
    home_region: str | None = None

    @classmethod
    def from_context(cls, node: Node) -> DeploySettings:
        def get(key: str) -> Any:
            value = node.try_get_context(key)
            return None if value == "" else value

        alarm_email = get("alarm_email")
        if alarm_email is not None and not _EMAIL.match(str(alarm_email)):
            raise ValueError(f"alarm_email: one email address, not {alarm_email!r}")
        domain_name = get("domain_name")
        domain = (
            DomainSettings(
                domain_name=str(domain_name).lower(),
                certificate_arn=get("certificate_arn"),
                hosted_zone_id=get("hosted_zone_id"),
                hosted_zone_name=get("hosted_zone_name"),
            )
            if domain_name
            else None
        )
        defaults = FirewallSettings()
        regions = evidence_regions(get("evidence_regions"))
        home_region = get("home_region") or os.environ.get("CDK_DEFAULT_REGION")
        if regions and not home_region:
            raise ValueError("evidence_regions needs the home region: -c home_region=<region>")
        return cls(
            stack_name=str(get("stack_name") or DEFAULT_STACK_NAME),
            alarm_email=alarm_email,
            firewall=FirewallSettings(
                enabled=parse_bool("waf", get("waf"), True),
                rate_limit=int(
                    parse_number("waf_rate_limit", get("waf_rate_limit"), defaults.rate_limit, minimum=10)
                ),
                sessions_rate_limit=int(
                    parse_number(
                        "waf_sessions_rate_limit",
                        get("waf_sessions_rate_limit"),
                        defaults.sessions_rate_limit,
                        minimum=10,
                    )
                ),
                web_acl_arn=get("web_acl_arn"),
            ),
            throttling_rate_limit=parse_number(
                "throttling_rate_limit", get("throttling_rate_limit"), 50, minimum=1
            ),
            throttling_burst_limit=int(
                parse_number("throttling_burst_limit", get("throttling_burst_limit"), 100, minimum=1)
            ),
            cors_origins=parse_origins(get("cors_origins")),
            domain=domain,
            admin_mfa_required=parse_bool("admin_mfa_required", get("admin_mfa_required"), False),
            notify_sender=get("notify_sender"),
            notify_domain=get("notify_domain"),
            evidence_lock_mode=lock_mode(get("evidence_lock_mode")),
            evidence_regions=regions,
            home_region=home_region,
        )
