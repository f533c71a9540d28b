"""Support tickets: the ticket API function with its routes on the storefront's REST API
(/v1/tickets: API key or customer token, checked in the function; /admin/v1/tickets: the staff
user pool's Cognito authorizer), and the system-ticket function fed by EventBridge.

The EventBridge bus is built elsewhere: given `bus`, a rule sends the domain events that open
tickets to the system-ticket function; without it the function exists and nothing invokes it.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sqs as sqs
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from infra.cdk.constructs.admin_api import AdminApi
from infra.cdk.constructs.data_table import DataTables
from infra.cdk.constructs.lambda_function import BoomerangFunction, LayerSource
from infra.cdk.constructs.session_key import SessionSigningKey
from infra.cdk.constructs.storefront_api import (
    IDEMPOTENCY_KEY_HEADER,
    METRICS_NAMESPACE,
    Route,
    StorefrontApi,
)

SERVICE_NAME = "tickets_api"
SYSTEM_SERVICE_NAME = "system_tickets"

ROUTES = (
    Route("POST", "/v1/tickets", "openTicket", required_headers=(IDEMPOTENCY_KEY_HEADER,)),
    Route("GET", "/v1/tickets/{ticket_id}", "getTicket"),
    Route(
        "POST",
        "/v1/tickets/{ticket_id}/messages",
        "addTicketMessage",
        required_headers=(IDEMPOTENCY_KEY_HEADER,),
    ),
)
ADMIN_ROUTES = (
    Route("GET", "/admin/v1/tickets", "listTicketQueue"),
    Route("GET", "/admin/v1/tickets/{ticket_id}", "getStaffTicket"),
    Route("POST", "/admin/v1/tickets/{ticket_id}/assign", "assignTicket"),
    Route("POST", "/admin/v1/tickets/{ticket_id}/replies", "replyToTicket"),
    Route("POST", "/admin/v1/tickets/{ticket_id}/notes", "noteOnTicket"),
    Route("POST", "/admin/v1/tickets/{ticket_id}/status", "setTicketStatus"),
    Route("POST", "/admin/v1/tickets/{ticket_id}/category", "categorizeTicket"),
    Route("POST", "/admin/v1/tickets/{ticket_id}/merge", "mergeTicket"),
    Route("POST", "/admin/v1/tickets/{ticket_id}/link", "linkTicketToReturn"),
)
# The domain events that open a system ticket (boomerang.services.tickets.SYSTEM_TICKETS).
SYSTEM_EVENT_TYPES = (
    "return.carrier_exception",
    "label.not_issued",
    "label.refund_failed",
    "refund.failed",
    "dispute.created",
    "webhook.dead_lettered",
    "shipment.exception",
)


class TicketsApi(Construct):
    """`function` (the ticket API), `system_function` (system tickets), `methods`, and `rule` when a
    bus was given."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        storefront: StorefrontApi,
        admin: AdminApi,
        api_code_dir: Path,
        system_code_dir: Path,
        layer: LayerSource,
        tables: DataTables,
        session_key: SessionSigningKey,
        bus: events.IEventBus | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        made = BoomerangFunction(
            self,
            "Api",
            code_dir=api_code_dir,
            handler="handler.handler",
            description="Boomerang ticket API (customer tickets, staff queues)",
            layer=layer,
            environment={
                "TABLE_NAME": tables.table.table_name,
                "IDEMPOTENCY_TABLE_NAME": tables.idempotency_table.table_name,
                "SESSION_SECRET_NAME": session_key.secret.secret_name,
                "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            },
        )
        self.function = made.function
        tables.grant_request_path_access(made.role)
        tables.grant_idempotency_access(made.role)
        session_key.grant_read_value(made.role)
        self.methods = self._routes(storefront, admin)

        system = BoomerangFunction(
            self,
            "System",
            code_dir=system_code_dir,
            handler="handler.handler",
            description="Boomerang system tickets (carrier exceptions, refund failures, disputes)",
            layer=layer,
            environment={
                "TABLE_NAME": tables.table.table_name,
                "POWERTOOLS_SERVICE_NAME": SYSTEM_SERVICE_NAME,
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            },
        )
        self.system_function = system.function
        tables.grant_request_path_access(system.role)
        self.rule: events.Rule | None = None
        self.dead_letters: sqs.Queue | None = None
        if bus is not None:
            self._rule(bus)

    def _routes(self, storefront: StorefrontApi, admin: AdminApi) -> list[apigw.Method]:
        integration = apigw.LambdaIntegration(
            self.function, proxy=True, allow_test_invoke=False, scope_permission_to_method=False
        )
        methods: list[apigw.Method] = []
        for route in ROUTES:
            parameters = {f"method.request.path.{name}": True for name in route.path_parameters}
            parameters |= {f"method.request.header.{name}": True for name in route.required_headers}
            methods.append(
                storefront.api.root.resource_for_path(route.path).add_method(
                    route.method,
                    integration,
                    operation_name=route.operation_name,
                    # Authenticated in the function, as the storefront's routes are.
                    authorization_type=apigw.AuthorizationType.NONE,
                    request_validator=storefront.request_validator,
                    request_parameters=parameters,
                )
            )
        NagSuppressions.add_resource_suppressions(
            methods,
            [
                NagPackSuppression(
                    id="AwsSolutions-APIG4",
                    reason=(
                        "Authentication happens in the function, as for the storefront routes: a storefront "
                        "API key or a signed customer token, which no single API Gateway authorizer covers."
                    ),
                ),
                NagPackSuppression(
                    id="AwsSolutions-COG4",
                    reason="Customers and storefronts are not Cognito users: API key or customer token.",
                ),
            ],
        )
        for route in ADMIN_ROUTES:
            parameters = {f"method.request.path.{name}": True for name in route.path_parameters}
            methods.append(
                storefront.api.root.resource_for_path(route.path).add_method(
                    route.method,
                    integration,
                    operation_name=route.operation_name,
                    authorization_type=apigw.AuthorizationType.COGNITO,
                    authorizer=admin.authorizer,
                    request_validator=storefront.request_validator,
                    request_parameters=parameters or None,
                )
            )
        return methods

    def _rule(self, bus: events.IEventBus) -> None:
        self.dead_letters = sqs.Queue(
            self,
            "DeadLetters",
            retention_period=Duration.days(14),
            enforce_ssl=True,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
        )
        NagSuppressions.add_resource_suppressions(
            self.dead_letters,
            [
                NagPackSuppression(
                    id=rule,
                    reason="This queue is itself the dead-letter queue of the system-ticket rule's target.",
                )
                for rule in ("AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy")
            ],
        )
        self.rule = events.Rule(
            self,
            "SystemTicketEvents",
            event_bus=bus,
            description="Domain events that open a system ticket",
            event_pattern=events.EventPattern(source=["boomerang"], detail_type=list(SYSTEM_EVENT_TYPES)),
            targets=[
                targets.LambdaFunction(
                    self.system_function,
                    dead_letter_queue=self.dead_letters,
                    retry_attempts=8,
                    max_event_age=Duration.hours(24),
                )
            ],
        )
