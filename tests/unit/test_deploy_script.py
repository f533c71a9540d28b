"""`make deploy` (scripts/deploy.py) with AWS and the CDK CLI faked: what it checks, in which
regions, what it runs, in which order, and what it prints. Nothing here reaches AWS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scripts import deploy as script

ACCOUNT = "123456789012"
HOME = "us-east-1"


class FakeAws:
    def __init__(self, versions: dict[str, int | None]) -> None:
        self.versions = versions
        self.asked: list[tuple[str, str]] = []

    def caller(self) -> tuple[str, str]:
        return ACCOUNT, HOME

    def bootstrap_version(self, region: str, parameter: str) -> int | None:
        self.asked.append((region, parameter))
        return self.versions.get(region)


def _stack(name: str, region: str, requires: int = 6) -> dict[str, Any]:
    return {
        "type": "aws:cloudformation:stack",
        "environment": f"aws://unknown-account/{region}",
        "properties": {
            "templateFile": f"{name}.template.json",
            "stackName": name,
            "requiresBootstrapStackVersion": requires,
            "bootstrapStackVersionSsmParameter": "/cdk-bootstrap/hnb659fds/version",
        },
    }


def write_manifest(assembly: Path, regional: bool = True) -> None:
    artifacts: dict[str, Any] = {
        "Tree": {"type": "cdk:tree"},
        "Boomerang": _stack("Boomerang", "unknown-region"),
    }
    if regional:
        artifacts["Boomerang-evidence-eu-central-1"] = _stack(
            "Boomerang-evidence-eu-central-1", "eu-central-1", 21
        )
    assembly.mkdir(parents=True, exist_ok=True)
    (assembly / "manifest.json").write_text(json.dumps({"version": "48.0.0", "artifacts": artifacts}))


OUTPUTS = {
    "Boomerang": {
        "ApiUrl": "https://abc123.execute-api.us-east-1.amazonaws.com/prod/",
        "ApiGatewayUrl": "https://abc123.execute-api.us-east-1.amazonaws.com/prod/",
        "ConsoleUrl": "pending: this deployment has no staff console yet",
        "WebhookUrlStripe": "https://abc123.execute-api.us-east-1.amazonaws.com/prod/webhooks/stripe",
        "WebhookUrlShopify": "https://abc123.execute-api.us-east-1.amazonaws.com/prod/webhooks/shopify",
        "WebhookUrlCarriersEasypost": "https://abc123.execute-api.us-east-1.amazonaws.com/prod/webhooks/carriers/easypost",
        "UserPoolId": "us-east-1_AbCdEf",
        "UserPoolClientId": "client123",
        "AlarmTopicArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:alarms",
        "DashboardName": "Boomerang-Dashboard",
        "TableName": "Boomerang-Table",
    },
    "Boomerang-evidence-eu-central-1": {},
}


class FakeCli:
    """Records each command; `cdk deploy` writes the outputs file as the CLI would."""

    def __init__(self, fail: str | None = None) -> None:
        self.commands: list[list[str]] = []
        self.env: dict[str, str] = {}
        self.fail = fail

    def __call__(self, command: list[str], env: dict[str, str]) -> int:
        self.commands.append(command)
        self.env = env
        verb = command[3]
        if verb == self.fail:
            return 1
        if verb == "deploy":
            script.OUTPUTS_FILE.write_text(json.dumps(OUTPUTS))
        return 0


@pytest.fixture(autouse=True)
def outputs_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "outputs.json"
    monkeypatch.setattr(script, "OUTPUTS_FILE", path)
    return path


def _options(*argv: str) -> script.Options:
    return script.parse_args(list(argv))


def test_synth_then_checks_every_region_then_deploys_everything(tmp_path: Path, capsys: Any) -> None:
    write_manifest(tmp_path / "cdk.out")
    aws = FakeAws({HOME: 27, "eu-central-1": 27})
    cli = FakeCli()
    options = _options(
        "--profile",
        "shop",
        "-c",
        "alarm_email=oncall@example.com",
        "-c",
        'evidence_regions={"eu-central-1": ["eu-pl-gls"]}',
    )

    assert script.deploy(options, aws, cli, tmp_path / "cdk.out") == 0

    synth, deploy = cli.commands
    assert synth[:4] == ["npx", "--no-install", "cdk", "synth"]
    assert synth[synth.index("--profile") : synth.index("--profile") + 2] == ["--profile", "shop"]
    assert "alarm_email=oncall@example.com" in synth
    assert f"home_region={HOME}" in synth  # regional evidence stacks need the home region
    assert deploy[:4] == ["npx", "--no-install", "cdk", "deploy"]
    assert deploy[deploy.index("--app") + 1] == "cdk.out" and "--all" in deploy
    assert deploy[deploy.index("--require-approval") + 1] == "broadening"
    assert cli.env["AWS_REGION"] == HOME
    # Both regions checked, against the parameter the assembly names.
    assert sorted(aws.asked) == [
        ("eu-central-1", "/cdk-bootstrap/hnb659fds/version"),
        (HOME, "/cdk-bootstrap/hnb659fds/version"),
    ]
    out = capsys.readouterr().out
    assert "Boomerang (us-east-1), Boomerang-evidence-eu-central-1 (eu-central-1)" in out
    assert "Register these webhook URLs:" in out and "/webhooks/stripe" in out


def test_an_unbootstrapped_region_stops_before_deploying_and_names_the_command(tmp_path: Path) -> None:
    write_manifest(tmp_path / "cdk.out")
    cli = FakeCli()
    aws = FakeAws({HOME: 27, "eu-central-1": None})
    with pytest.raises(script.DeployError) as refused:
        script.deploy(_options("--profile", "shop"), aws, cli, tmp_path / "cdk.out")
    assert f"npx --no-install cdk bootstrap aws://{ACCOUNT}/eu-central-1 --profile shop" in str(refused.value)
    assert [c[3] for c in cli.commands] == ["synth"]


def test_too_old_a_bootstrap_counts_as_missing_and_bootstrap_fixes_it(tmp_path: Path) -> None:
    write_manifest(tmp_path / "cdk.out")
    cli = FakeCli()
    aws = FakeAws({HOME: 27, "eu-central-1": 20})  # the regional stack requires 21
    assert script.deploy(_options("--bootstrap", "--yes"), aws, cli, tmp_path / "cdk.out") == 0
    assert [c[3] for c in cli.commands] == ["synth", "bootstrap", "deploy"]
    assert cli.commands[1][4] == f"aws://{ACCOUNT}/eu-central-1"
    assert cli.commands[2][cli.commands[2].index("--require-approval") + 1] == "never"


def test_one_region_without_evidence_regions(tmp_path: Path) -> None:
    write_manifest(tmp_path / "cdk.out", regional=False)
    aws = FakeAws({HOME: 27})
    cli = FakeCli()
    assert script.deploy(_options(), aws, cli, tmp_path / "cdk.out") == 0
    assert aws.asked == [(HOME, "/cdk-bootstrap/hnb659fds/version")]
    assert not any(part.startswith("home_region=") for part in cli.commands[0])
    assert "--profile" not in cli.commands[0]


@pytest.mark.parametrize("failing", ["synth", "deploy"])
def test_a_failed_cdk_step_stops_with_a_message(tmp_path: Path, failing: str) -> None:
    write_manifest(tmp_path / "cdk.out")
    with pytest.raises(script.DeployError, match=f"cdk {failing} failed"):
        script.deploy(
            _options(), FakeAws({HOME: 27, "eu-central-1": 27}), FakeCli(fail=failing), tmp_path / "cdk.out"
        )


def test_plan_runs_nothing(tmp_path: Path, capsys: Any) -> None:
    cli = FakeCli()
    assert script.deploy(_options("--plan"), FakeAws({}), cli, tmp_path / "cdk.out") == 0
    assert cli.commands == []
    assert "cdk deploy --app cdk.out --all" in capsys.readouterr().out


def test_the_outputs_as_a_merchant_reads_them() -> None:
    text = script.format_outputs(OUTPUTS, "Boomerang")
    assert "API                    https://abc123.execute-api.us-east-1.amazonaws.com/prod/" in text
    assert "API (gateway URL)" not in text  # the same URL without a custom domain
    assert "Staff console          pending: this deployment has no staff console yet" in text
    assert "Stripe (Developers > Webhooks: refund and dispute events):\n      https://" in text
    assert "EasyPost (Webhooks: tracker.updated):" in text
    assert "User pool              us-east-1_AbCdEf" in text
    assert "Regional evidence stacks: Boomerang-evidence-eu-central-1" in text
    domain = {
        "Boomerang": {
            **OUTPUTS["Boomerang"],
            "ApiUrl": "https://returns.example.com/",
            "ApiDomainTarget": "d-1.execute-api.us-east-1.amazonaws.com",
        }
    }
    text = script.format_outputs(domain, "Boomerang")
    assert "API (gateway URL)" in text and "CNAME) at d-1.execute-api" in text


def test_bad_arguments_and_the_stack_name_default() -> None:
    with pytest.raises(script.DeployError, match="key=value"):
        script.parse_context(["alarm_email"])
    assert script.main(["-c", "oops"], aws=FakeAws({})) == 2
    from infra.cdk.context import DEFAULT_STACK_NAME

    assert script.DEFAULT_STACK_NAME == DEFAULT_STACK_NAME


def test_the_manifest_of_a_real_synth_names_what_the_script_reads() -> None:
    """The fields read above are those `cdk synth` writes (aws-cdk-lib 2.275's cloud assembly)."""
    stacks = script.stacks_from_manifest(Path(__file__).parent / "data" / "deploy_manifest", HOME)
    assert [(s.stack_name, s.region) for s in stacks] == [("Boomerang", HOME)]
    assert stacks[0].requires_bootstrap_version >= 6
