"""`make deploy`: every Boomerang stack into the caller's AWS account, then what to do with it.

    make deploy ARGS='-c alarm_email=oncall@example.com'
    .venv/bin/python -m scripts.deploy --profile shop --region us-east-1 -c alarm_email=... [--yes]

1. Who and where: the AWS profile and region of the caller (AWS_PROFILE / AWS_REGION, or --profile
   and --region), the account from STS.
2. Synthesizes the app into cdk.out (the layers are built then), with the context given.
3. Reads the stacks from cdk.out/manifest.json: the main stack in the caller's region, a regional
   evidence stack per region of `evidence_regions`. Checks the CDK bootstrap of every region they
   go to (the version SSM parameter the assembly names, at least the version it requires); a
   region that lacks it is bootstrapped with --bootstrap, else its command is printed and nothing
   is deployed.
4. Deploys every stack of that assembly (`cdk deploy --app cdk.out --all`), outputs to a file.
5. Prints the outputs a merchant needs: the API URL, the console URL, the webhook URLs to register
   with Stripe, Shopify and the carriers, the staff user pool, where alarms go.

--plan prints the steps (commands and checks) without running anything. Nothing here has been
run against a real AWS account in development (no account there): the steps are tested with the
AWS calls and the CDK CLI faked (tests/unit/test_deploy_script.py).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parent.parent
ASSEMBLY = ROOT / "cdk.out"
OUTPUTS_FILE = ROOT / ".build" / "deploy" / "outputs.json"
CDK = ["npx", "--no-install", "cdk"]
DEFAULT_BOOTSTRAP_PARAMETER = "/cdk-bootstrap/hnb659fds/version"
# infra/cdk/context.py's default (not imported: that would start jsii for nothing).
DEFAULT_STACK_NAME = "Boomerang"


class DeployError(RuntimeError):
    """A step that cannot go on; its message says what to do."""


class Aws(Protocol):
    def caller(self) -> tuple[str, str]:
        """(account id, region) of the caller's profile."""
        ...

    def bootstrap_version(self, region: str, parameter: str) -> int | None:
        """The CDK bootstrap version of `region` (None: not bootstrapped)."""
        ...


class Boto3Aws:
    def __init__(self, profile: str | None, region: str | None) -> None:
        import boto3

        self.session = boto3.Session(profile_name=profile, region_name=region)

    def caller(self) -> tuple[str, str]:
        from botocore.exceptions import BotoCoreError, ClientError

        region = self.session.region_name
        if not region:
            raise DeployError("No AWS region: set AWS_REGION (or the profile's region), or pass --region.")
        try:
            account = self.session.client("sts").get_caller_identity()["Account"]
        except (BotoCoreError, ClientError) as exc:
            raise DeployError(
                f"No usable AWS credentials ({exc}): set AWS_PROFILE or pass --profile."
            ) from exc
        return str(account), region

    def bootstrap_version(self, region: str, parameter: str) -> int | None:
        from botocore.exceptions import ClientError

        ssm = self.session.client("ssm", region_name=region)
        try:
            return int(ssm.get_parameter(Name=parameter)["Parameter"]["Value"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ParameterNotFound":
                return None
            raise


Runner = Callable[[list[str], dict[str, str]], int]


def run_command(command: list[str], env: dict[str, str]) -> int:
    print("$ " + " ".join(command), flush=True)
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


# --- the plan ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StackTarget:
    artifact_id: str
    stack_name: str
    region: str
    requires_bootstrap_version: int
    bootstrap_parameter: str


@dataclass
class Options:
    profile: str | None = None
    region: str | None = None
    context: dict[str, str] = field(default_factory=dict)
    bootstrap: bool = False
    yes: bool = False
    plan_only: bool = False


def parse_context(pairs: Sequence[str]) -> dict[str, str]:
    context: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise DeployError(f"-c takes key=value, not {pair!r}")
        context[key] = value
    return context


def cli_args(options: Options) -> list[str]:
    """What every CDK CLI call gets: the caller's profile and the context."""
    args = ["--profile", options.profile] if options.profile else []
    for key, value in options.context.items():
        args += ["-c", f"{key}={value}"]
    return args


def with_home_region(context: dict[str, str], region: str) -> dict[str, str]:
    """Regional evidence stacks need to know the main stack's region: it is the caller's."""
    if context.get("evidence_regions") and not context.get("home_region"):
        return {**context, "home_region": region}
    return context


def _shown(path: Path) -> str:
    """A path as the CDK CLI (run from the repository's root) is given it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def synth_command(options: Options) -> list[str]:
    return [*CDK, "synth", "--quiet", "--output", _shown(ASSEMBLY), *cli_args(options)]


def stacks_from_manifest(assembly: Path, default_region: str) -> list[StackTarget]:
    """The stacks of a synthesized assembly and the region each goes to."""
    manifest = json.loads((assembly / "manifest.json").read_text())
    stacks = []
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        region = artifact.get("environment", "aws://unknown-account/unknown-region").rsplit("/", 1)[-1]
        properties = artifact.get("properties", {})
        stacks.append(
            StackTarget(
                artifact_id=artifact_id,
                stack_name=properties.get("stackName", artifact_id),
                region=default_region if region == "unknown-region" else region,
                requires_bootstrap_version=int(properties.get("requiresBootstrapStackVersion", 0)),
                bootstrap_parameter=properties.get(
                    "bootstrapStackVersionSsmParameter", DEFAULT_BOOTSTRAP_PARAMETER
                ),
            )
        )
    if not stacks:
        raise DeployError(f"{assembly}/manifest.json names no stack: did the synth fail?")
    return stacks


@dataclass(frozen=True)
class BootstrapCheck:
    region: str
    parameter: str
    required: int
    found: int | None

    @property
    def ok(self) -> bool:
        return self.found is not None and self.found >= self.required

    def command(self, account: str, options: Options) -> list[str]:
        profile = ["--profile", options.profile] if options.profile else []
        return [*CDK, "bootstrap", f"aws://{account}/{self.region}", *profile]

    def describe(self) -> str:
        if self.found is None:
            return f"{self.region}: not bootstrapped (needs version {self.required})"
        state = "ok" if self.ok else f"too old, needs {self.required}"
        return f"{self.region}: bootstrap version {self.found} ({state})"


def bootstrap_checks(stacks: list[StackTarget], aws: Aws) -> list[BootstrapCheck]:
    """One check per region the stacks go to, for the highest version any of them requires."""
    by_region: dict[str, tuple[str, int]] = {}
    for stack in stacks:
        parameter, required = by_region.get(stack.region, (stack.bootstrap_parameter, 0))
        by_region[stack.region] = (parameter, max(required, stack.requires_bootstrap_version))
    return [
        BootstrapCheck(region, parameter, required, aws.bootstrap_version(region, parameter))
        for region, (parameter, required) in sorted(by_region.items())
    ]


def deploy_command(options: Options) -> list[str]:
    return [
        *CDK,
        "deploy",
        "--app",
        _shown(ASSEMBLY),
        "--all",
        "--require-approval",
        "never" if options.yes else "broadening",
        "--outputs-file",
        _shown(OUTPUTS_FILE),
        *(["--profile", options.profile] if options.profile else []),
    ]


# --- the outputs ----------------------------------------------------------------------------------

WEBHOOK_PROVIDERS = {
    "WebhookUrlStripe": "Stripe (Developers > Webhooks: refund and dispute events)",
    "WebhookUrlShopify": "Shopify (each shop's app: orders/create, updated, fulfilled, cancelled)",
    "WebhookUrlCarriersEasypost": "EasyPost (Webhooks: tracker.updated)",
    "WebhookUrlCarriersAftership": "AfterShip (Notifications > Webhooks)",
    "WebhookUrlCarriers17track": "17TRACK (API settings > Webhook URL)",
}


def format_outputs(outputs: dict[str, dict[str, str]], main_stack: str) -> str:
    """The deploy's outputs, as a merchant reads them: what to open, what to register where."""
    main = outputs.get(main_stack, {})
    lines = [f"Boomerang is deployed ({main_stack}).", ""]

    def row(label: str, key: str) -> None:
        if key in main:
            lines.append(f"  {label:<22} {main[key]}")

    lines.append("Open:")
    row("API", "ApiUrl")
    if main.get("ApiUrl") != main.get("ApiGatewayUrl"):
        row("API (gateway URL)", "ApiGatewayUrl")
    row("Staff console", "ConsoleUrl")
    row("Dashboard (CloudWatch)", "DashboardName")
    lines += ["", "Register these webhook URLs:"]
    webhooks = sorted(key for key in main if key.startswith("WebhookUrl"))
    for key in webhooks:
        lines.append(f"  {WEBHOOK_PROVIDERS.get(key, key.removeprefix('WebhookUrl'))}:")
        lines.append(f"      {main[key]}")
    if not webhooks:
        lines.append("  (none in the outputs)")
    lines += ["", "Staff and operations:"]
    row("User pool", "UserPoolId")
    row("App client", "UserPoolClientId")
    row("Alarm topic", "AlarmTopicArn")
    row("Table", "TableName")
    row("Evidence bucket", "EvidenceBucket")
    if "ApiDomainTarget" in main:
        lines += ["", f"Custom domain: point it (CNAME) at {main['ApiDomainTarget']} unless Route 53 does."]
    others = sorted(name for name in outputs if name != main_stack)
    if others:
        lines += ["", "Regional evidence stacks: " + ", ".join(others)]
    lines += [
        "",
        "Next (docs/DEPLOY.md): confirm the alarm email SNS sent, store the provider secrets, "
        "create a shop, its API key and staff.",
    ]
    return "\n".join(lines)


# --- the run ----------------------------------------------------------------------------------------


def deploy(options: Options, aws: Aws, run: Runner = run_command, assembly: Path = ASSEMBLY) -> int:
    account, region = aws.caller()
    options.context = with_home_region(options.context, region)
    env = {**os.environ, "AWS_REGION": region, "AWS_DEFAULT_REGION": region}
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    print(f"Deploying Boomerang to account {account}, region {region}.", flush=True)
    if options.plan_only:
        print("Plan: " + " ".join(synth_command(options)))
        print("      then a bootstrap check of each region the stacks go to, then:")
        print("      " + " ".join(deploy_command(options)))
        return 0
    if run(synth_command(options), env) != 0:
        raise DeployError("cdk synth failed (its output above says why).")
    stacks = stacks_from_manifest(assembly, region)
    print("Stacks: " + ", ".join(f"{s.stack_name} ({s.region})" for s in stacks), flush=True)
    checks = bootstrap_checks(stacks, aws)
    for check in checks:
        print("Bootstrap " + check.describe(), flush=True)
    missing = [check for check in checks if not check.ok]
    if missing and not options.bootstrap:
        commands = "\n".join("  " + " ".join(check.command(account, options)) for check in missing)
        raise DeployError(f"Bootstrap first (or run again with --bootstrap):\n{commands}")
    for check in missing:
        if run(check.command(account, options), env) != 0:
            raise DeployError(f"cdk bootstrap of {check.region} failed.")
    OUTPUTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    if run(deploy_command(options), env) != 0:
        raise DeployError(
            "cdk deploy failed: the stack's CloudFormation events (`aws cloudformation "
            "describe-stack-events`) name the resource; fix it, then run make deploy again."
        )
    outputs = json.loads(OUTPUTS_FILE.read_text()) if OUTPUTS_FILE.exists() else {}
    main_stack = options.context.get("stack_name") or DEFAULT_STACK_NAME
    print()
    print(format_outputs(outputs, main_stack))
    return 0


def parse_args(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(prog="make deploy", description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default=os.environ.get("AWS_PROFILE"))
    parser.add_argument(
        "--region", default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    )
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--bootstrap", action="store_true", help="bootstrap the regions that need it")
    parser.add_argument("--yes", action="store_true", help="deploy without asking about new IAM rights")
    parser.add_argument("--plan", action="store_true", help="print the steps, run nothing")
    args = parser.parse_args(argv)
    return Options(
        profile=args.profile,
        region=args.region,
        context=parse_context(args.context),
        bootstrap=args.bootstrap,
        yes=args.yes,
        plan_only=args.plan,
    )


def main(argv: Sequence[str] | None = None, aws: Any = None) -> int:
    try:
        options = parse_args(sys.argv[1:] if argv is None else argv)
        return deploy(options, aws or Boto3Aws(options.profile, options.region))
    except DeployError as exc:
        print(f"make deploy: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
