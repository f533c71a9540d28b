"""CDK entry point. From the repository root: `npx cdk synth` (cdk.json runs `python -m infra.cdk.app`);
`make deploy` (scripts/deploy.py) checks the bootstrap, synthesizes and deploys every stack.

Context values (`-c key=value`): see infra/cdk/context.py, which checks them all before anything is
built, and docs/DEPLOY.md.
"""

from __future__ import annotations

from aws_cdk import App, Aspects, Environment
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from infra.cdk.constructs.evidence_buckets import RegionalEvidenceStack
from infra.cdk.context import DeploySettings
from infra.cdk.stacks.boomerang_stack import BoomerangStack


def build_app(app: App | None = None) -> tuple[App, BoomerangStack]:
    """The app as `cdk synth` builds it, cdk-nag's AwsSolutions and Serverless checks included."""
    app = app or App()
    settings = DeploySettings.from_context(app.node)
    stack = BoomerangStack(
        app,
        settings.stack_name,
        description="Boomerang returns platform: storefront and staff APIs, return workflow, data tables",
        throttling_rate_limit=settings.throttling_rate_limit,
        throttling_burst_limit=settings.throttling_burst_limit,
        cors_allow_origins=settings.cors_origins,
        firewall=settings.firewall,
        domain=settings.domain,
        alarm_email=settings.alarm_email,
        admin_mfa_required=settings.admin_mfa_required,
        notify_sender=settings.notify_sender,
        notify_domain=settings.notify_domain,
        evidence_regions=settings.evidence_regions,
        evidence_lock_mode=settings.evidence_lock_mode,
    )
    for region in settings.evidence_regions:
        RegionalEvidenceStack(
            app,
            f"{stack.stack_name}-evidence-{region}",
            home_stack_name=stack.stack_name,
            home_region=str(settings.home_region),
            mode=settings.evidence_lock_mode,
            env=Environment(region=region),
        )
    # Every synth is checked; a finding without a suppression fails `cdk synth`.
    Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    Aspects.of(app).add(ServerlessChecks(verbose=True))
    return app, stack


if __name__ == "__main__":
    build_app()[0].synth()
