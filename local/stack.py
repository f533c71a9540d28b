"""The whole stack on this machine, stood up from the template production deploys
(local/from_template.py says how each resource type is translated): DynamoDB Local and moto's
server (local/environment.py), the state machine executed by moto with its task Lambdas
in-process (local/stepfunctions.py), the template's API routes behind a local API Gateway
(local/http_front.py), and staff sign-in on moto's Cognito (local/cognito.py).

Each function's module is imported with the Environment the template gives it, its Refs resolved
to the local resources."""

from __future__ import annotations

import importlib
import logging
import os
import secrets
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import boto3

from local.cognito import LocalStaff
from local.environment import LocalAws
from local.from_template import (
    FunctionSpec,
    function_specs,
    of_type,
    resolve,
    route_specs,
    table_specs,
)
from local.http_front import LocalRoute
from local.stepfunctions import LocalStepFunctions
from local.stripe_local import configure_stripe
from local.template import cached_template

STACK_NAME = "Boomerang"


@dataclass
class LocalStack:
    aws: LocalAws = field(default_factory=LocalAws)
    staff: LocalStaff = field(default_factory=LocalStaff)
    machine: LocalStepFunctions | None = None
    modules: dict[str, ModuleType] = field(default_factory=dict)  # function logical id -> module
    routes: list[LocalRoute] = field(default_factory=list)
    physical: dict[str, str] = field(default_factory=dict)  # logical id -> local name or ARN

    @property
    def storefront(self) -> ModuleType | None:
        return self._module("functions.storefront_api.handler")

    @property
    def admin(self) -> ModuleType | None:
        return self._module("functions.admin_api.handler")

    @property
    def workflow(self) -> ModuleType | None:
        return self._module("functions.workflow.handler")

    def _module(self, name: str) -> ModuleType | None:
        return next((m for m in self.modules.values() if m.__name__ == name), None)

    def start(self, template: dict[str, Any] | None = None) -> LocalStack:
        # moto logs every caught failure of an execution as an ERROR; the timeline says it better.
        logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        template = template or cached_template()
        self.aws.start(resources=False)
        os.environ.update(self.aws.function_environment())
        self._tables(template)
        self._secrets(template)
        configure_stripe(template, self.physical)
        self._user_pool(template)
        functions = function_specs(template)
        machine_ids = set(of_type(template, "AWS::StepFunctions::StateMachine"))
        # The task functions first (their environment names only tables), then the state machine
        # they serve, then the API functions, whose environment names the state machine.
        tasks = {lid: spec for lid, spec in functions.items() if not self._needs(template, spec, machine_ids)}
        for spec in tasks.values():
            self._import(template, spec)
        handlers = {lid: getattr(self.modules[lid], spec.attribute) for lid, spec in tasks.items()}
        self.machine = LocalStepFunctions(template, handlers, endpoint=self.aws.moto_endpoint).deploy()
        for machine_id in machine_ids:
            self.physical[machine_id] = self.machine.state_machine_arn
        for lid, spec in functions.items():
            if lid not in tasks:
                self._import(template, spec)
        self.routes = [
            LocalRoute(
                r.method,
                r.path,
                getattr(self.modules[r.function], functions[r.function].attribute),
                functions[r.function].module.split(".")[1],
                r.cognito,
            )
            for r in route_specs(template)
        ]
        return self

    def _tables(self, template: dict[str, Any]) -> None:
        ddb = boto3.client("dynamodb")
        for logical_id, spec in table_specs(template, STACK_NAME).items():
            ddb.create_table(**spec["create"])
            if spec["ttl"]:
                ddb.update_time_to_live(
                    TableName=spec["create"]["TableName"], TimeToLiveSpecification=spec["ttl"]
                )
            self.physical[logical_id] = spec["create"]["TableName"]

    def _secrets(self, template: dict[str, Any]) -> None:
        manager = boto3.client("secretsmanager")
        for logical_id in of_type(template, "AWS::SecretsManager::Secret"):
            # Named as CloudFormation names secrets (<logical id>-<suffix>), so the template's
            # expression that derives the name from the ARN gives it back.
            made = manager.create_secret(Name=f"{logical_id}-local", SecretString=secrets.token_urlsafe(48))
            self.physical[logical_id] = made["ARN"]

    def _user_pool(self, template: dict[str, Any]) -> None:
        pools = of_type(template, "AWS::Cognito::UserPool")
        if not pools:
            return
        groups = [
            g["Properties"]["GroupName"] for g in of_type(template, "AWS::Cognito::UserPoolGroup").values()
        ]
        self.staff.start(groups=groups)
        for logical_id in pools:
            self.physical[logical_id] = self.staff.pool_id
        for logical_id in of_type(template, "AWS::Cognito::UserPoolClient"):
            self.physical[logical_id] = self.staff.client_id

    @staticmethod
    def _needs(template: dict[str, Any], spec: FunctionSpec, ids: set[str]) -> bool:
        return any(f"'{lid}'" in str(spec.environment) for lid in ids)

    def _import(self, template: dict[str, Any], spec: FunctionSpec) -> None:
        os.environ.update({k: str(resolve(template, v, self.physical)) for k, v in spec.environment.items()})
        self.modules[spec.logical_id] = importlib.import_module(spec.module)

    def stop(self) -> None:
        if self.machine is not None:
            self.machine.close()
        self.aws.stop()
