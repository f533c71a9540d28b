"""How the `boomerang` CLI finds a running `make local`: `.boomerang/local.json` in the repository
(or BOOMERANG_LOCAL_FILE), written when the stack is ready and removed when it stops.

It holds what CloudFormation's outputs give the CLI for a deployment: the template's own outputs
(TableName, UserPoolId, ApiUrl, the webhook URLs, ...) resolved to the local resources, plus the
local endpoints (DynamoDB Local; moto's server for everything else) and the process id, so a file
left behind by a killed run is recognised as stale. Nothing secret: local names and ports, and the
local staff users' fixed password.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from local.from_template import of_type
from local.stepfunctions import TemplateError, TemplateResolver

ROOT = Path(__file__).resolve().parents[1]
KIND = "boomerang-local"  # what the CLI checks (boomerang/cli/target.py)
REST_API = "local-rest-api"  # stands for the API id; the URL is rewritten to the local front's


def discovery_path() -> Path:
    named = os.environ.get("BOOMERANG_LOCAL_FILE")
    return Path(named) if named else ROOT / ".boomerang" / "local.json"


def local_outputs(template: dict[str, Any], physical: dict[str, str], base_url: str) -> dict[str, str]:
    """The template's outputs with local values; an API Gateway URL becomes the local front's."""
    overrides = dict(physical)
    for logical_id in of_type(template, "AWS::ApiGateway::RestApi"):
        overrides[logical_id] = REST_API
    for logical_id, stage in of_type(template, "AWS::ApiGateway::Stage").items():
        overrides[logical_id] = str(stage["Properties"].get("StageName", "prod"))
    resolver = TemplateResolver(template, overrides, "123456789012", "us-east-1")
    api = re.compile(rf"^https://{REST_API}\.execute-api\.[^/]+/[^/]+/")
    found: dict[str, str] = {}
    for name, output in template.get("Outputs", {}).items():
        try:
            value = str(resolver.resolve(output["Value"]))
        except TemplateError:
            continue  # a resource the local stack does not stand up: no output for it
        found[name] = api.sub(base_url.rstrip("/") + "/", value)
    return found


def write(path: Path, outputs: dict[str, str], endpoints: dict[str, str], staff_password: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "kind": KIND,
        "pid": os.getpid(),
        "region": "us-east-1",
        "endpoints": endpoints,
        "outputs": outputs,
        "staff_password": staff_password,
    }
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(document, indent=2))
    partial.replace(path)


def remove(path: Path) -> None:
    """Remove the file if it is this process's (another make local may have written it since)."""
    try:
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass
