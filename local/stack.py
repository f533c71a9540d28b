"""The whole stack on this machine, stood up from the template production deploys
(local/from_template.py says how each resource type is translated): DynamoDB Local and moto's
server (local/environment.py), the state machine executed by moto with its task Lambdas
in-process (local/stepfunctions/), the template's API routes behind a local API Gateway
(local/http_front.py), and staff sign-in on moto's Cognito (local/cognito.py). With `workers`,
the API functions also run in worker processes, one request per worker at a time, as Lambda runs
them (local/workers.py); the rest stays in this process.

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

from boomerang.auth.tracking_links import PAGE_PATH as TRACKING_PAGE_PATH
from local.buckets import create_buckets
from local.carrier_signing import use_local_webhook_secrets
from local.cognito import LocalStaff
from local.easypost import FakeEasyPost
from local.environment import LocalAws
from local.eventbridge import LocalEvents
from local.from_template import (
    FunctionSpec,
    function_specs,
    of_type,
    resolve,
    route_specs,
    table_specs,
)
from local.http_front import LocalRoute
from local.lake import attach_local_lake
from local.notifications import give_notify_its_environment, start_ses
from local.payment_fakes import PaymentFakes, connect_shop
from local.s3_events import S3EventPoller, s3_event_poller
from local.stepfunctions import LocalStepFunctions
from local.stripe_local import configure_stripe
from local.template import cached_template
from local.workers import FunctionImport, Workers

STACK_NAME = "Boomerang"
# The demo shops (local/demo/data.py), connected to the payment fakes as a merchant connects a shop.
LOCAL_SHOPS = ("demo", "demo-hurried")


@dataclass
class LocalStack:
    aws: LocalAws = field(default_factory=LocalAws)
    staff: LocalStaff = field(default_factory=LocalStaff)
    machine: LocalStepFunctions | None = None
    modules: dict[str, ModuleType] = field(default_factory=dict)  # function logical id -> module
    routes: list[LocalRoute] = field(default_factory=list)
    physical: dict[str, str] = field(default_factory=dict)  # logical id -> local name or ARN
    events: LocalEvents | None = None  # buses, queues, rules; streams and queues feeding functions
    s3_events: S3EventPoller | None = None
    workers: Workers | None = None
    # The function (logical id) behind each route, and how a worker imports it.
    route_functions: list[str] = field(default_factory=list)
    api_functions: list[FunctionImport] = field(default_factory=list)
    # Where the customer pages' assets are served here (local/assets.py): what the functions get
    # instead of the CloudFront distribution's URL, and the assets' version now.
    assets: tuple[str, str] | None = None
    # Where this stack's pages are served (http://127.0.0.1:3000): the shipping emails' tracking links
    # point there instead of the API Gateway URL the template names. None: links stay relative.
    pages_base_url: str | None = None
    payments: PaymentFakes | None = None  # the payment providers' local fakes
    # EasyPost's API, as its recorded replies (local/easypost.py): live shops buy labels here.
    easypost: FakeEasyPost | None = None

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
        use_local_webhook_secrets(template, self.physical)
        create_buckets(template, self.physical, boto3.client("s3"))
        start_ses(template, self.aws.moto_endpoint, self.physical)  # SES on moto, senders verified
        configure_stripe(template, self.physical)
        # Stripe, Shopify and PayPal answered on loopback with their recorded replies; every function
        # (and every worker process, which inherits this environment) pays through them.
        self.payments = PaymentFakes().start()
        os.environ["PAYMENT_ENDPOINTS"] = self.payments.endpoints()
        # The task functions share one module here: the resolve step's portal URL is everyone's.
        os.environ["PORTAL_BASE_URL"] = self._portal_base()
        for shop in LOCAL_SHOPS:
            connect_shop(shop)
        self.easypost = FakeEasyPost().start()
        os.environ["EASYPOST_API_BASE"] = self.easypost.api_base  # the label step's SDK goes there
        self._user_pool(template)
        for distribution in of_type(template, "AWS::CloudFront::Distribution"):
            self.physical[f"{distribution}.DomainName"] = "assets.invalid"  # replaced in _environment
        for api in of_type(template, "AWS::ApiGateway::RestApi"):
            self.physical[api] = "local-api"  # PORTAL_BASE_URL: replaced in _environment
        self.events = LocalEvents(template, self.physical, self.aws.moto_endpoint).deploy()
        functions = function_specs(template)
        machine_ids = set(of_type(template, "AWS::StepFunctions::StateMachine"))
        # The task functions first (their environment names only tables), then the state machine
        # they serve, then the API functions, whose environment names the state machine.
        tasks = {lid: spec for lid, spec in functions.items() if not self._needs(template, spec, machine_ids)}
        for spec in tasks.values():
            self._import(template, spec)
        give_notify_its_environment(template, self.modules, self.physical)  # SES for notify alone
        handlers = {lid: getattr(self.modules[lid], spec.attribute) for lid, spec in tasks.items()}
        self.machine = LocalStepFunctions(template, handlers, endpoint=self.aws.moto_endpoint).deploy()
        for machine_id in machine_ids:
            self.physical[machine_id] = self.machine.state_machine_arn
        for lid, spec in functions.items():
            if lid not in tasks:
                self._import(template, spec)
        routes = route_specs(template)
        self.routes = [
            LocalRoute(
                r.method,
                r.path,
                getattr(self.modules[r.function], functions[r.function].attribute),
                functions[r.function].module.split(".")[1],
                r.cognito,
            )
            for r in routes
        ]
        self.route_functions = [r.function for r in routes]
        self.api_functions = [
            FunctionImport(
                lid,
                functions[lid].module,
                functions[lid].attribute,
                self._environment(template, functions[lid]),
            )
            for lid in dict.fromkeys(self.route_functions)
        ]
        self.events.connect({lid: getattr(m, functions[lid].attribute) for lid, m in self.modules.items()})
        handlers = {lid: getattr(m, functions[lid].attribute) for lid, m in self.modules.items()}
        self.s3_events = s3_event_poller(template, self.physical, handlers, boto3.client("s3")).start()
        return self

    def start_workers(self, count: int) -> Workers:
        """Spawn `count` worker processes for the API functions (they import in the background;
        `serve_on` waits for them). Call after `start`: they inherit its endpoints."""
        assert self.api_functions, "the stack is not started"
        if self.workers is None:
            self.workers = Workers(self.api_functions, count).start()
        return self.workers

    def serve_on(self, server: Any, workers: int = 0) -> None:
        """Point a local HTTP front (local/http_front.py) at this stack: its routes, the staff sign-in,
        and the /local/* helpers (simulated carrier and payment news, the mails SES on moto kept).

        With `workers` (or after `start_workers`), the routes run in that many worker processes and
        concurrent requests run side by side, as on Lambda; without, in this process, one at a time."""
        from local.notifications import mail_routes
        from local.simulations import simulations

        assert self.workflow is not None, "the stack is not started"
        server.claims_for = self.staff.claims
        server.login = self.staff.login
        server.simulations = {**simulations(self.workflow.workflow), **mail_routes()}
        if self.payments is not None:
            server.simulations["/local/payments"] = self.payments.calls_route
            server.simulations["/local/payments/shopify-order"] = self.payments.shopify_order_route
        if self.easypost is not None:
            fake = self.easypost
            server.simulations["/local/easypost/shipments"] = lambda body: (200, fake.shipments_for(body))
            server.simulations["/local/easypost/refunds"] = lambda body: (200, fake.refunds_for(body))
        if workers and self.workers is None:
            self.start_workers(workers)
        if self.workers is None:
            server.routes = self.routes
            return
        # Serving starts with the first worker ready; the others take requests as they finish
        # importing (on 2 busy cores, importing all of them at once would delay the first request).
        self.workers.wait_ready(at_least=1)
        workers_now = self.workers
        server.simulations["/local/workers"] = lambda body: (200, workers_now.status())
        server.concurrent = True
        server.routes = [
            LocalRoute(r.method, r.path, self.workers.handler(lid), r.function_name, r.cognito)
            for r, lid in zip(self.routes, self.route_functions, strict=True)
        ]

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
        for logical_id in of_type(template, "AWS::Cognito::UserPoolDomain"):
            # No hosted UI here: the console signs in with its local form (see _environment).
            self.physical[logical_id] = "hosted-ui-not-local"

    @staticmethod
    def _needs(template: dict[str, Any], spec: FunctionSpec, ids: set[str]) -> bool:
        return any(f"'{lid}'" in str(spec.environment) for lid in ids)

    def _environment(self, template: dict[str, Any], spec: FunctionSpec) -> dict[str, str]:
        env = {
            k: str(resolve(template, v, self.physical))
            for k, v in spec.environment.items()
            if k != "TRACKING_LINK_TEMPLATE"  # the API's URL in AWS; this stack's own, below
        }
        if "STAFF_USER_POOL_ID" in env:
            # The staff console signs in with a form on the local pool (no hosted UI here), and reads
            # the pool's keys from moto's Cognito. Only `make local` sets LOCAL_STAFF_SIGN_IN.
            env.update(
                LOCAL_STAFF_SIGN_IN="1",
                STAFF_SIGN_IN_URL="",
                STAFF_JWKS_URL=f"{self.aws.moto_endpoint}/{self.staff.pool_id}/.well-known/jwks.json",
            )
        if "ASSETS_BASE_URL" in env:
            url, version = self.assets or (
                "http://127.0.0.1:9/assets-not-served",
                env.get("ASSETS_VERSION", "0"),
            )
            env.update(ASSETS_BASE_URL=url, ASSETS_VERSION=version)
        if "TRACKING_LINK_TEMPLATE" in spec.environment:
            env["TRACKING_LINK_TEMPLATE"] = (self.pages_base_url or "") + TRACKING_PAGE_PATH
        if "PORTAL_BASE_URL" in env:
            env["PORTAL_BASE_URL"] = self._portal_base()
        return env

    @staticmethod
    def _portal_base() -> str:
        """The portal is the local front (python -m local: HOST, PORT)."""
        host, port = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "3000")
        return f"http://{host}:{port}/"

    def _import(self, template: dict[str, Any], spec: FunctionSpec) -> None:
        os.environ.update(self._environment(template, spec))
        self.modules[spec.logical_id] = importlib.import_module(spec.module)
        attach_local_lake(self.modules[spec.logical_id])

    def stop(self) -> None:
        if self.workers is not None:
            self.workers.close()
        if self.events is not None:
            self.events.stop()
        if self.s3_events is not None:
            self.s3_events.stop()
        if self.machine is not None:
            self.machine.close()
        if self.payments is not None:
            self.payments.stop()
            os.environ.pop("PAYMENT_ENDPOINTS", None)
        if self.easypost is not None:
            self.easypost.stop()
        self.aws.stop()
