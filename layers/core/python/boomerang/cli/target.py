"""Which Boomerang the CLI talks to, and the names it needs there: a deployed stack's CloudFormation
outputs, or `make local`'s discovery file. Either way the commands see the same output names
(TableName, UserPoolId, ApiUrl, ...), so no command needs a table name or a port.

- `--stack NAME` (or BOOMERANG_STACK): a deployment, with the AWS profile and region of the
  environment (AWS_PROFILE, AWS_REGION), through `cloudformation:DescribeStacks`.
- `--local`: the running `make local`, through `.boomerang/local.json` (found from the current
  directory upwards, or at BOOMERANG_LOCAL_FILE), which `make local` writes on start and removes on
  exit: its endpoints (DynamoDB Local, moto) and the template's outputs resolved to local names.
- Neither: `make local` if one is running here, else the stack `Boomerang`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

DEFAULT_STACK = "Boomerang"
LOCAL_FILE = Path(".boomerang") / "local.json"
LOCAL_KIND = "boomerang-local"
# Short timeouts and standard retries, as the functions use.
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=30)


class TargetError(Exception):
    """The CLI cannot reach or make sense of its target; the message says what to do."""


@dataclass
class Target:
    label: str  # "make local (http://127.0.0.1:3000/)" or "stack Boomerang (eu-west-1)"
    outputs: dict[str, str]
    session: Any  # boto3.Session
    endpoints: dict[str, str] = field(default_factory=dict)  # service (or "*") -> endpoint URL
    # make local only: the password its staff users share (it sends no invitation emails).
    local_staff_password: str | None = None
    _clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            endpoint = self.endpoints.get(service) or self.endpoints.get("*")
            self._clients[service] = self.session.client(service, endpoint_url=endpoint, config=CLIENT_CONFIG)
        return self._clients[service]

    def output(self, name: str) -> str:
        value = self.outputs.get(name)
        if not value:
            raise TargetError(
                f"{self.label} has no output {name} (it has: {', '.join(sorted(self.outputs)) or 'none'}); "
                "deploy the current version."
            )
        return value

    def actor(self) -> str:
        """Who makes a change, as versions and timelines record it: the caller's AWS identity."""
        try:
            arn = self.client("sts").get_caller_identity()["Arn"]
        except (BotoCoreError, ClientError, KeyError):
            arn = os.environ.get("USER", "unknown")
        return f"cli:{arn}"


def find_target(stack: str | None = None, local: bool = False, cwd: Path | None = None) -> Target:
    stack = stack or os.environ.get("BOOMERANG_STACK") or None
    if local and stack:
        raise TargetError("Give --local or --stack, not both.")
    if stack:
        return stack_target(stack)
    found = local_file(cwd)
    running = _running(found) if found else None
    if running:
        return local_target(running)
    if local:
        where = found or LOCAL_FILE
        why = "is stale (that make local has stopped)" if found else "is missing"
        raise TargetError(f"make local is not running: {where} {why}. Start it with `make local`.")
    return stack_target(DEFAULT_STACK)


def local_file(cwd: Path | None = None) -> Path | None:
    named = os.environ.get("BOOMERANG_LOCAL_FILE")
    if named:
        return Path(named) if Path(named).exists() else None
    here = (cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / LOCAL_FILE).exists():
            return folder / LOCAL_FILE
    return None


def _running(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
        pid = int(data["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if data.get("kind") != LOCAL_KIND:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, another user's
    return dict(data)


def local_target(data: dict[str, Any]) -> Target:
    # Local credentials only: nothing the CLI does against make local may reach an AWS account.
    session = boto3.Session(
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 (what DynamoDB Local and moto accept)
        region_name=str(data.get("region", "us-east-1")),
    )
    outputs = {str(k): str(v) for k, v in dict(data.get("outputs", {})).items()}
    base = outputs.get("ApiUrl", "")
    endpoints = {str(k): str(v) for k, v in dict(data.get("endpoints", {})).items()}
    password = data.get("staff_password")
    return Target(f"make local ({base})", outputs, session, endpoints, str(password) if password else None)


def stack_target(name: str) -> Target:
    try:
        session = boto3.Session()
        region = session.region_name
        if not region:
            raise NoRegionError()
        answer = session.client("cloudformation", config=CLIENT_CONFIG).describe_stacks(StackName=name)
    except NoRegionError:
        raise TargetError(
            f"No AWS region to find the stack {name} in: set AWS_REGION (or AWS_PROFILE with a region), "
            "or start `make local` to work locally."
        ) from None
    except NoCredentialsError:
        raise TargetError(
            f"No AWS credentials to find the stack {name}: set AWS_PROFILE (or `aws sso login`), "
            "or start `make local` to work locally."
        ) from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if error.get("Code") == "ValidationError" and "does not exist" in str(error.get("Message", "")):
            raise TargetError(
                f"No stack {name} in {region}: deploy it (make deploy), name another with --stack, "
                "or start `make local`."
            ) from None
        raise TargetError(
            f"Cannot read the stack {name} in {region}: {error.get('Code')}: {error.get('Message')}"
        ) from None
    except BotoCoreError as exc:
        raise TargetError(f"Cannot reach CloudFormation in {region}: {exc}") from None
    stacks = answer.get("Stacks") or []
    outputs = {o["OutputKey"]: o["OutputValue"] for o in (stacks[0].get("Outputs") or [])} if stacks else {}
    return Target(f"stack {name} ({region})", outputs, session)
