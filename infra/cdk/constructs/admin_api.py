"""The staff (admin) API: a Cognito user pool for the merchant's staff, its groups, and the /admin
routes on the storefront's REST API, each behind a Cognito User Pools authorizer, proxied to their
own Lambda function (functions/admin_api).

API Gateway verifies the staff ID token and passes its claims to the function; the function checks
the caller's groups against the route (boomerang.auth.staff). Every route is declared here (no
greedy proxy), as for the storefront.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from boomerang.timeouts import API_GATEWAY_SECONDS
from infra.cdk.constructs.data_table import DataTables
from infra.cdk.constructs.lambda_function import BoomerangFunction, LayerSource
from infra.cdk.constructs.storefront_api import Route, StorefrontApi

SERVICE_NAME = "admin_api"

# Precedence: the lowest number wins when a role is derived from groups (none is, today).
STAFF_GROUPS = {
    "admin": (0, "Everything staff can do, and managing the shop"),
    "support": (10, "Review queue: approve and reject returns"),
    "warehouse": (20, "Receiving: scan parcels at a hub and grade their items"),
    "finance": (30, "Refunds and their failures: pay a failed refund another way"),
}

ROUTES = (
    Route("GET", "/admin/v1/returns", "listStaffQueue"),
    Route("GET", "/admin/v1/returns/{rma}", "getStaffReturn"),
    Route("POST", "/admin/v1/returns/{rma}/approve", "approveReturn"),
    Route("POST", "/admin/v1/returns/{rma}/reject", "rejectReturn"),
    Route("POST", "/admin/v1/warehouse/scans", "scanParcel"),
    Route("POST", "/admin/v1/returns/{rma}/inspection", "inspectReturn"),
    Route("POST", "/admin/v1/returns/{rma}/evidence", "attachEvidence"),
    Route("GET", "/admin/v1/returns/{rma}/evidence", "listEvidence"),
    Route("GET", "/admin/v1/returns/{rma}/evidence/{evidence_id}", "viewEvidence"),
    Route("GET", "/admin/v1/customers/{email}/export", "exportCustomerData"),
    Route("POST", "/admin/v1/customers/{email}/erase", "eraseCustomerData"),
    Route("POST", "/admin/v1/returns/{rma}/refund", "retryRefund"),
    Route("GET", "/admin/v1/shops/{shop}/policy", "getShopPolicy"),
    Route("PATCH", "/admin/v1/shops/{shop}/policy", "patchShopPolicy"),
    Route("GET", "/admin/v1/shops/{shop}/policy/versions", "listPolicyVersions"),
    Route("POST", "/admin/v1/shops/{shop}/policy/simulate", "simulateShopPolicy"),
    Route("GET", "/admin/v1/reports/{name}", "getReport"),
    Route("GET", "/admin/v1/openapi.json", "getStaffOpenApi"),
)


class AdminApi(Construct):
    """`user_pool` and `client` (the staff console's), `function`, and the /admin `methods` on the
    storefront's REST API."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        storefront: StorefrontApi,
        code_dir: Path,
        layer: LayerSource,
        tables: DataTables,
        state_machine_arn: str,
        mfa_required: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = self._user_pool(mfa_required)
        self.client = self.user_pool.add_client(
            "ConsoleClient",
            user_pool_client_name="staff-console",
            # A browser app cannot keep a secret; it signs in with SRP (or the password flow for the
            # CLI and the local login), and sends the ID token, which carries cognito:groups.
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True, user_password=True),
            disable_o_auth=True,
            prevent_user_existence_errors=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.hours(12),
            enable_token_revocation=True,
            # Staff may change their own email through the client, never `custom:shops` (which
            # shops they reach): only an administrator sets it (`boomerang staff invite`).
            write_attributes=cognito.ClientAttributes().with_standard_attributes(email=True),
        )
        self.groups = {
            name: cognito.CfnUserPoolGroup(
                self,
                f"{name.title()}Group",
                user_pool_id=self.user_pool.user_pool_id,
                group_name=name,
                description=description,
                precedence=precedence,
            )
            for name, (precedence, description) in STAFF_GROUPS.items()
        }

        made = BoomerangFunction(
            self,
            "Function",
            code_dir=code_dir,
            handler="handler.handler",
            description="Boomerang staff API (queues, review, warehouse scans, inspection)",
            layer=layer,
            environment={
                "TABLE_NAME": tables.table.table_name,
                "STATE_MACHINE_ARN": state_machine_arn,
                "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
            },
            # Finance's pay-another-way asks a payment provider synchronously: its calls' budget
            # (boomerang.timeouts) fits under API Gateway's 29 s, and so does this.
            timeout_seconds=API_GATEWAY_SECONDS - 1,
        )
        self.function = made.function
        self.role = made.role
        tables.grant_request_path_access(self.role)
        # Staff decisions and scans resume the workflow's waiting task by its token.
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["states:SendTaskSuccess", "states:SendTaskFailure"], resources=[state_machine_arn]
            )
        )

        self.authorizer = apigw.CognitoUserPoolsAuthorizer(
            self,
            "Authorizer",
            cognito_user_pools=[self.user_pool],
            authorizer_name="boomerang-staff",
            identity_source=apigw.IdentitySource.header("Authorization"),
            results_cache_ttl=Duration.minutes(5),
        )
        # The authorizer's refusals answer in the API's error body: the UNAUTHORIZED Gateway Response
        # of the shared REST API (boomerang.api.gateway_errors).
        self.methods = self._routes(storefront)

    def _user_pool(self, mfa_required: bool) -> cognito.UserPool:
        pool = cognito.UserPool(
            self,
            "UserPool",
            # Staff are invited by an admin (AdminCreateUser); nobody signs themselves up.
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(username=True, email=True),
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            # The shops a staff user works for: "acme,brand-b", or "*" for every shop.
            custom_attributes={"shops": cognito.StringAttribute(min_len=1, max_len=2048, mutable=True)},
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            # TOTP only: no SMS, so no SNS role and no per-message cost.
            mfa=cognito.Mfa.REQUIRED if mfa_required else cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(sms=False, otp=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            # Plus: threat protection (compromised credentials, risky sign-ins) for accounts that
            # approve refunds; billed per monthly active staff user (see README).
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            user_invitation=cognito.UserInvitationConfig(
                email_subject="Your Boomerang staff account",
                email_body=(
                    "Your Boomerang staff username is {username} and your temporary password is "
                    "{####}. Sign in to the staff console within 3 days to choose your own."
                ),
            ),
            # Staff accounts outlive a `cdk destroy`, like the merchant's data.
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        if not mfa_required:
            NagSuppressions.add_resource_suppressions(
                pool,
                [
                    NagPackSuppression(
                        id="AwsSolutions-COG2",
                        reason=(
                            "MFA is OPTIONAL (TOTP only, no SMS): with REQUIRED, a staff user's first "
                            "sign-in answers an MFA_SETUP challenge, which no Boomerang client answers "
                            "yet; threat protection (Plus) still blocks compromised credentials. Deploy with "
                            "-c admin_mfa_required=true once staff enrol TOTP through Cognito's API."
                        ),
                    )
                ],
            )
        return pool

    def _routes(self, storefront: StorefrontApi) -> list[apigw.Method]:
        # A Lambda proxy integration without LambdaIntegration's permission per method: one
        # permission lets this API's stage invoke the function on /admin/v1/* paths (the function
        # routes only its own; the tickets and webhook routes integrate other functions). Sixteen
        # resources fewer, in a main stack near CloudFormation's limit (test_monitoring_infra.py).
        integration = apigw.Integration(
            type=apigw.IntegrationType.AWS_PROXY,
            integration_http_method="POST",
            uri=(
                f"arn:{Aws.PARTITION}:apigateway:{Aws.REGION}:lambda:path/2015-03-31/functions/"
                f"{self.function.function_arn}/invocations"
            ),
        )
        self.function.add_permission(
            "InvokedByAdminRoutes",
            principal=iam.ServicePrincipal("apigateway.amazonaws.com"),
            source_arn=storefront.api.arn_for_execute_api(
                "*", "/admin/v1/*", storefront.api.deployment_stage.stage_name
            ),
        )
        methods = []
        for route in ROUTES:
            parameters = {f"method.request.path.{name}": True for name in route.path_parameters}
            methods.append(
                storefront.api.root.resource_for_path(route.path).add_method(
                    route.method,
                    integration,
                    operation_name=route.operation_name,
                    authorization_type=apigw.AuthorizationType.COGNITO,
                    authorizer=self.authorizer,
                    request_validator=storefront.request_validator,
                    request_parameters=parameters or None,
                )
            )
        return methods
