"""CDK entry point. From the repository root: `npx cdk synth` (cdk.json runs `python -m infra.cdk.app`).

Context values (`-c key=value`):
  stack_name    CloudFormation stack name (default Boomerang)
  web_acl_arn   ARN of a regional WAFv2 WebACL to attach to the API stage (default: none)
  admin_mfa_required  "true": staff must sign in with a TOTP second factor (default: optional)
  notify_sender the address customer emails come from, through SES (default: none, emails stay in
                the sandbox); SES mails it a verification link on deploy
  notify_domain the sender's domain: an SES domain identity with DKIM instead of the address's own
                identity (publish the three DKIM CNAME records it lists)
  evidence_regions  JSON, region -> hub ids whose evidence stays there,
                e.g. '{"eu-central-1": ["eu-pl-gls"]}': a RegionalEvidenceStack per region
                (default: every return's evidence in the home bucket)
  home_region   the main stack's region, needed with evidence_regions (default: CDK_DEFAULT_REGION)
  evidence_lock_mode  governance (default) or compliance: the Object Lock mode of every evidence
                bucket, its default retention and what the upload check writes (docs/EVIDENCE.md)
"""

from __future__ import annotations

import os

from aws_cdk import App, Aspects, Environment
from cdk_nag import AwsSolutionsChecks

from infra.cdk.constructs.evidence_buckets import RegionalEvidenceStack, evidence_regions, lock_mode
from infra.cdk.stacks.boomerang_stack import BoomerangStack

DEFAULT_STACK_NAME = "Boomerang"


def build_app(app: App | None = None) -> tuple[App, BoomerangStack]:
    """The app as `cdk synth` builds it, cdk-nag AwsSolutions checks included."""
    app = app or App()
    mode = lock_mode(app.node.try_get_context("evidence_lock_mode"))
    stack = BoomerangStack(
        app,
        app.node.try_get_context("stack_name") or DEFAULT_STACK_NAME,
        description="Boomerang returns platform: storefront and staff APIs, return workflow, data tables",
        web_acl_arn=app.node.try_get_context("web_acl_arn") or None,
        admin_mfa_required=str(app.node.try_get_context("admin_mfa_required") or "").lower() == "true",
        notify_sender=app.node.try_get_context("notify_sender") or None,
        notify_domain=app.node.try_get_context("notify_domain") or None,
        evidence_regions=evidence_regions(app.node.try_get_context("evidence_regions")),
        evidence_lock_mode=mode,
    )
    regions = evidence_regions(app.node.try_get_context("evidence_regions"))
    home_region = app.node.try_get_context("home_region") or os.environ.get("CDK_DEFAULT_REGION")
    if regions and not home_region:
        raise ValueError("evidence_regions needs the home region: -c home_region=<region>")
    for region in regions:
        RegionalEvidenceStack(
            app,
            f"{stack.stack_name}-evidence-{region}",
            home_stack_name=stack.stack_name,
            home_region=str(home_region),
            mode=mode,
            env=Environment(region=region),
        )
    # Every synth is checked; a finding without a suppression fails `cdk synth`.
    Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    return app, stack


if __name__ == "__main__":
    build_app()[0].synth()
