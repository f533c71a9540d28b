"""The whole stack on this machine: DynamoDB Local and moto's server (local/environment.py), the
state machine synthesized from the CDK app and executed by moto with its task Lambdas in-process
(local/stepfunctions.py), the storefront and staff APIs behind a local API Gateway
(local/http_front.py), and staff sign-in on moto's Cognito (local/cognito.py)."""

from __future__ import annotations

import importlib
import logging
import os
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from boomerang.api.routes import ADMIN_ROUTES, STOREFRONT_ROUTES
from local.cognito import LocalStaff
from local.environment import LocalAws
from local.http_front import LocalRoute, routes_for
from local.stepfunctions import LocalStepFunctions
from local.template import synthesize_template

WORKFLOW_STEPS = (
    "decide",
    "hold",
    "issue_label",
    "resolve",
    "notify",
    "close",
    "expire",
    "escalate",
    "record_failure",
)


def task_function_id(step: str) -> str:
    """The task function's logical id in the template, without CDK's hash."""
    return f"ReturnWorkflow{''.join(part.title() for part in step.split('_'))}TaskFunction"


@dataclass
class LocalStack:
    aws: LocalAws = field(default_factory=LocalAws)
    staff: LocalStaff = field(default_factory=LocalStaff)
    machine: LocalStepFunctions | None = None
    storefront: ModuleType | None = None
    admin: ModuleType | None = None
    workflow: ModuleType | None = None
    routes: list[LocalRoute] = field(default_factory=list)

    def start(self, template: dict[str, Any] | None = None) -> LocalStack:
        # moto logs every caught failure of an execution as an ERROR; the timeline says it better.
        logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.aws.start()
        os.environ.update(self.aws.function_environment())
        template = template or synthesize_template()
        # Task functions first: their module reads the table name; the machine's ARN comes after.
        self.workflow = importlib.import_module("functions.workflow.handler")
        handlers = {task_function_id(step): getattr(self.workflow, step) for step in WORKFLOW_STEPS}
        self.machine = LocalStepFunctions(template, handlers, endpoint=self.aws.moto_endpoint).deploy()
        os.environ["STATE_MACHINE_ARN"] = self.machine.state_machine_arn
        self.storefront = importlib.import_module("functions.storefront_api.handler")
        self.admin = importlib.import_module("functions.admin_api.handler")
        self.staff.start()
        self.routes = [
            *routes_for(self.storefront.handler, STOREFRONT_ROUTES, "storefront_api"),
            *routes_for(self.admin.handler, ADMIN_ROUTES, "admin_api", cognito=True),
        ]
        return self

    def stop(self) -> None:
        if self.machine is not None:
            self.machine.close()
        self.aws.stop()
