"""The API reference for people: GET /docs and /docs/{file} on the storefront's REST API, served by
a small function (functions/api_docs) with Swagger UI's assets (npm swagger-ui-dist, pinned in
package-lock.json) and the committed OpenAPI documents copied beside it at synth. Public: the
documents are published in the repository anyway, and the page makes no calls to the API."""

from __future__ import annotations

import shutil
from pathlib import Path

from aws_cdk import aws_apigateway as apigw
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from boomerang.api.routes import DOCS_ROUTES
from functions.api_docs.handler import FILES
from infra.cdk.constructs.lambda_function import REPO_ROOT, BoomerangFunction, LayerSource
from infra.cdk.constructs.storefront_api import Route, StorefrontApi

ROUTES = (Route("GET", "/docs", "getApiReference"), Route("GET", "/docs/{file}", "getApiReferenceFile"))
assert {(r.method, r.path) for r in ROUTES} == set(DOCS_ROUTES)


def build_site(code_dir: Path) -> Path:
    """Copy the page, Swagger UI's assets and the documents into `code_dir`/site (not committed)."""
    site = code_dir / "site"
    site.mkdir(exist_ok=True)
    for name, (where, _) in FILES.items():
        source = REPO_ROOT / where
        if not source.exists():
            raise FileNotFoundError(f"{where} is missing: run `make setup` (npm ci) first")
        shutil.copyfile(source, site / name)
    return site


class ApiDocs(Construct):
    """`function` and its `methods` (GET /docs, GET /docs/{file})."""

    def __init__(
        self, scope: Construct, construct_id: str, *, storefront: StorefrontApi, layer: LayerSource
    ) -> None:
        super().__init__(scope, construct_id)
        code_dir = REPO_ROOT / "functions" / "api_docs"
        build_site(code_dir)
        made = BoomerangFunction(
            self,
            "Function",
            code_dir=code_dir,
            handler="handler.handler",
            description="Boomerang API reference (Swagger UI over the OpenAPI documents)",
            layer=layer,
            memory_size=256,
            environment={"POWERTOOLS_SERVICE_NAME": "api_docs"},
        )
        self.function = made.function
        integration = apigw.LambdaIntegration(
            self.function, proxy=True, allow_test_invoke=False, scope_permission_to_method=False
        )
        self.methods = [
            storefront.api.root.resource_for_path(route.path).add_method(
                route.method,
                integration,
                operation_name=route.operation_name,
                authorization_type=apigw.AuthorizationType.NONE,
                request_validator=storefront.request_validator,
                request_parameters={f"method.request.path.{p}": True for p in route.path_parameters} or None,
            )
            for route in ROUTES
        ]
        NagSuppressions.add_resource_suppressions(
            self.methods,
            [
                NagPackSuppression(
                    id="AwsSolutions-APIG4",
                    reason="The API reference is public: the OpenAPI documents are published with the code.",
                ),
                NagPackSuppression(
                    id="AwsSolutions-COG4",
                    reason="The API reference is public: nobody signs in to read it.",
                ),
            ],
        )
