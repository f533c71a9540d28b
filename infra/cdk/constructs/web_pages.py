"""The customer's web pages: the returns portal and the policy page (functions/web), and the staff
console (/admin, the same function), their routes on the storefront's REST API, and their static
assets in S3 behind CloudFront. All in a nested stack of their own: the main stack is near
CloudFormation's 500-resource limit, and this capability adds some fifty resources (the function,
its routes, the assets bucket, the distribution, the deployment of the files, the console's hosted
sign-in: its app client and domain on the staff user pool).

The console's routes hang under the main stack's /admin resource (imported by id: a second "admin"
resource under the root would be refused by API Gateway). Its app client uses the hosted UI's
authorization code flow (a public client: PKCE, no secret) and calls back to /admin/callback on the
API's own URL, and on the custom domain where the deployment has one (`-c domain_name=`).

The routes are added to the storefront's REST API from the nested stack (the API imported by id);
the API's deployment in the main stack depends on the nested stack and its logical id carries the
route table, so a change of the web routes deploys the stage again.

Assets (boomerang/web/assets.py): our CSS and script, and htmx from npm (package-lock.json), under
/<version>/ in the bucket, served with a year's Cache-Control: their version changes with their
content, and so does every URL the pages give out.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from aws_cdk import Aws, Duration, NestedStack, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from aws_cdk import aws_stepfunctions as sfn
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from boomerang.api.routes import WEB_ROUTES
from boomerang.web.assets import asset_files, assets_version
from infra.cdk.constructs.data_table import DataTables
from infra.cdk.constructs.evidence_store import EvidenceStore
from infra.cdk.constructs.label_bucket import LabelBucket
from infra.cdk.constructs.lambda_function import REPO_ROOT, BoomerangFunction, LayerSource
from infra.cdk.constructs.session_key import SessionSigningKey
from infra.cdk.constructs.storefront_api import SESSION_TTL_SECONDS, STAGE_NAME, StorefrontApi

ASSET_MAX_AGE = Duration.days(365)
PUBLIC = (
    "The customer's pages are public, as a shop's returns page is: the policy page is for anyone, and "
    "the portal asks for the order number and email (the same proof and attempt limits as POST "
    "/v1/sessions) before it shows anything of an order."
    " The console's routes (/admin...) are not API Gateway's to guard: a browser sends no Authorization"
    " header. The function signs staff in through Cognito (ID token checked against the pool's keys)"
    " and checks its signed session cookie, groups and shops on every request, and a CSRF token on"
    " every POST."
)


def stage_assets(repo: Path = REPO_ROOT) -> Path:
    """The assets copied into .build/web-assets/<version>/ for the deployment (not committed)."""
    version = assets_version(repo)
    target = repo / ".build" / "web-assets" / version
    target.mkdir(parents=True, exist_ok=True)
    for name, source in asset_files(repo).items():
        shutil.copyfile(source, target / name)
    return target


class WebPages(Construct):
    """`stack` (the nested stack), `function`, `bucket` and `distribution` (the assets), `assets_url`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        storefront: StorefrontApi,
        layer: LayerSource,
        tables: DataTables,
        session_key: SessionSigningKey,
        state_machine: sfn.IStateMachine,
        labels: LabelBucket,
        evidence: EvidenceStore,
        staff_pool: cognito.IUserPool,
        callback_urls: list[str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.stack = NestedStack(self, "Stack", description="Boomerang customer pages (portal, policy page)")
        self.bucket, self.distribution = self._assets(self.stack)
        self.assets_url = f"https://{self.distribution.distribution_domain_name}"
        made = BoomerangFunction(
            self.stack,
            "Function",
            code_dir=REPO_ROOT / "functions" / "web",
            handler="handler.handler",
            description="Boomerang customer pages: returns portal and policy page (HTML)",
            layer=layer,
            memory_size=512,
            # The console's dashboard waits for its reports on Athena (a few seconds each, side by
            # side): up to API Gateway's 29 s, as the admin API. The pages themselves answer in ms.
            timeout_seconds=28,
            environment={
                "TABLE_NAME": tables.table.table_name,
                "SESSION_SECRET_NAME": session_key.secret.secret_name,
                "SESSION_TTL_SECONDS": str(SESSION_TTL_SECONDS),
                "STATE_MACHINE_ARN": state_machine.state_machine_arn,
                "LABEL_BUCKET_NAME": labels.bucket.bucket_name,
                "ASSETS_BASE_URL": self.assets_url,
                "ASSETS_VERSION": assets_version(REPO_ROOT),
                "POWERTOOLS_SERVICE_NAME": "web",
            },
        )
        self.function, self.role = made.function, made.role
        self._console_sign_in(storefront, staff_pool, callback_urls or [])
        tables.grant_request_path_access(made.role)
        session_key.grant_read_value(made.role)
        state_machine.grant_start_execution(self.function)
        labels.grant_read(self.function, made.role)
        evidence.grant_upload(self.function, "customer")
        # The console acts as the staff API does: staff photos, evidence views, the workflow's waits.
        evidence.grant_upload(self.function, "staff")
        evidence.grant_view(made.role)
        made.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["states:SendTaskSuccess", "states:SendTaskFailure"],
                resources=[state_machine.state_machine_arn],
            )
        )
        self._routes(storefront)

    def _console_sign_in(
        self, storefront: StorefrontApi, pool: cognito.IUserPool, extra_callbacks: list[str]
    ) -> None:
        # The stage by its name, not a reference: the stage's deployment waits for this stack.
        base = f"https://{storefront.api.rest_api_id}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}/{STAGE_NAME}"
        self.console_client = cognito.UserPoolClient(
            self.stack,
            "ConsoleWebClient",
            user_pool=pool,
            user_pool_client_name="staff-console-web",
            generate_secret=False,  # a public client: the code flow with PKCE (boomerang.web.console.auth)
            auth_flows=cognito.AuthFlow(user_srp=True),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
                callback_urls=[f"{base}/admin/callback", *extra_callbacks],
                logout_urls=[f"{base}/admin", *[u.removesuffix("/callback") for u in extra_callbacks]],
            ),
            prevent_user_existence_errors=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.hours(12),
            enable_token_revocation=True,
            read_attributes=cognito.ClientAttributes()
            .with_standard_attributes(email=True)
            .with_custom_attributes("shops"),
            write_attributes=cognito.ClientAttributes(),
        )
        self.console_domain = cognito.UserPoolDomain(
            self.stack,
            "ConsoleDomain",
            user_pool=pool,
            cognito_domain=cognito.CognitoDomainOptions(domain_prefix=f"boomerang-staff-{Aws.ACCOUNT_ID}"),
        )
        self.function.add_environment("STAFF_USER_POOL_ID", pool.user_pool_id)
        self.function.add_environment("STAFF_CLIENT_ID", self.console_client.user_pool_client_id)
        self.function.add_environment("STAFF_SIGN_IN_URL", self.console_domain.base_url())

    def _assets(self, scope: Construct) -> tuple[s3.Bucket, cloudfront.Distribution]:
        bucket = s3.Bucket(
            scope,
            "Assets",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            encryption=s3.BucketEncryption.S3_MANAGED,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            # Built from the repository at every deploy: nothing in it is worth keeping.
            removal_policy=RemovalPolicy.DESTROY,
        )
        distribution = cloudfront.Distribution(
            scope,
            "Cdn",
            comment="Boomerang customer pages: CSS and scripts",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
                compress=True,
            ),
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
        )
        s3deploy.BucketDeployment(
            scope,
            "Deploy",
            sources=[s3deploy.Source.asset(str(stage_assets().parent))],
            destination_bucket=bucket,
            # Every version stays: a page rendered a moment before a deploy still finds its assets.
            prune=False,
            cache_control=[
                s3deploy.CacheControl.from_string(
                    f"public, max-age={int(ASSET_MAX_AGE.to_seconds())}, immutable"
                )
            ],
            memory_limit=256,
        )
        self._acknowledge_asset_findings(scope, bucket, distribution)
        return bucket, distribution

    def _routes(self, storefront: StorefrontApi) -> None:
        api = apigw.RestApi.from_rest_api_attributes(
            self.stack,
            "Api",
            rest_api_id=storefront.api.rest_api_id,
            root_resource_id=storefront.api.rest_api_root_resource_id,
        )
        # One invoke permission for the API's routes (it names no stage: the stage lives in the main
        # stack, whose deployment waits for this one).
        integration = apigw.LambdaIntegration(self.function, proxy=True, scope_permission_to_method=False)
        # /admin exists in the main stack (the staff API's): the console's routes hang under it.
        admin = storefront.api.root.get_resource("admin")
        assert admin is not None, "the staff API's /admin resource comes first"
        under_admin = apigw.Resource.from_resource_attributes(
            self.stack, "AdminResource", resource_id=admin.resource_id, rest_api=api, path="/admin"
        )
        methods = []
        for method, path in WEB_ROUTES:
            parameters = re.findall(r"{(\w+)}", path)
            if path == "/admin":
                resource = under_admin
            elif path.startswith("/admin/"):
                resource = under_admin.resource_for_path(path.removeprefix("/admin/"))
            else:
                resource = api.root.resource_for_path(path)
            methods.append(
                resource.add_method(
                    method,
                    integration,
                    authorization_type=apigw.AuthorizationType.NONE,
                    request_parameters={f"method.request.path.{p}": True for p in parameters},
                )
            )
        # The stage is deployed by the main stack: after these methods exist, and again when they change.
        deployment = storefront.api.latest_deployment
        assert deployment is not None
        deployment.node.add_dependency(self.stack)
        deployment.add_to_logical_id({"web_routes": [list(route) for route in WEB_ROUTES]})
        NagSuppressions.add_resource_suppressions(
            methods,
            [
                NagPackSuppression(id="AwsSolutions-APIG4", reason=PUBLIC),
                NagPackSuppression(id="AwsSolutions-COG4", reason=PUBLIC),
            ],
        )

    def _acknowledge_asset_findings(
        self, scope: Construct, bucket: s3.Bucket, distribution: cloudfront.Distribution
    ) -> None:
        NagSuppressions.add_resource_suppressions(
            bucket,
            [
                NagPackSuppression(
                    id="AwsSolutions-S1",
                    reason="Public, versioned CSS and scripts with no personal data; CloudFront serves them.",
                )
            ],
        )
        NagSuppressions.add_resource_suppressions(
            distribution,
            [
                NagPackSuppression(
                    id="AwsSolutions-CFR1", reason="Customers of a shop return from any country."
                ),
                NagPackSuppression(
                    id="AwsSolutions-CFR2",
                    reason="Static, public, immutable CSS and scripts: nothing a web ACL would protect.",
                ),
                NagPackSuppression(
                    id="AwsSolutions-CFR3",
                    reason="Public static files with no personal data: their access logs would say nothing.",
                ),
                NagPackSuppression(
                    id="AwsSolutions-CFR4",
                    reason=(
                        "The default CloudFront certificate (*.cloudfront.net) allows TLS 1.0 viewers; "
                        "only CSS and scripts are served, no data. A custom domain would set TLS 1.2."
                    ),
                ),
            ],
        )
        # CDK's own function that copies the files into the bucket at deploy time (BucketDeployment).
        cdk_helpers = [
            child
            for child in scope.node.children
            if child.node.id.startswith("Custom::CDKBucketDeployment") or child.node.id == "Deploy"
        ]
        NagSuppressions.add_resource_suppressions(
            cdk_helpers,
            [
                NagPackSuppression(
                    id=rule,
                    reason=(
                        "CDK's BucketDeployment helper: runs only during a deployment to copy the "
                        "assets into the bucket; its runtime, role and settings are CDK's own."
                    ),
                )
                for rule in (
                    "AwsSolutions-IAM4",
                    "AwsSolutions-IAM5",
                    "AwsSolutions-L1",
                    "Serverless-LambdaTracing",
                    "Serverless-LambdaDLQ",
                    "Serverless-LambdaDefaultMemorySize",
                    "Serverless-LambdaLatestVersion",
                    "Serverless-LambdaLogRetention",
                    "Serverless-LambdaAsyncFailureDestination",
                )
            ],
            apply_to_children=True,
        )
