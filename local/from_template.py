"""Reading the synthesized template the way the local stack needs it: the tables, the functions
(where their code lives, their handler, their environment), the API's routes with their
authorizers, and the staff user pool. What the template says is what runs locally.

Translation, documented (moto's CloudFormation is not used: it would put the tables in moto rather
than DynamoDB Local and cannot fetch the functions' code assets):
- AWS::DynamoDB::Table -> CreateTable on DynamoDB Local (keys, indexes, TTL as the template says);
- AWS::SecretsManager::Secret (GenerateSecretString) -> CreateSecret on moto with a random value;
- AWS::Cognito::UserPool, UserPoolGroup, UserPoolClient -> the same on moto (local/cognito.py);
- AWS::StepFunctions::StateMachine -> local/stepfunctions/ (moto executes the definition);
- AWS::Lambda::Function -> the module under its `boomerang:code` metadata, imported in-process with
  the function's Environment, Refs resolved to the local resources;
- AWS::ApiGateway::Resource/Method -> the local front's routes (AWS_PROXY to a function; NONE or
  COGNITO_USER_POOLS authorization).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from local.stepfunctions import TemplateResolver


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    module: str  # e.g. functions.storefront_api.handler
    attribute: str  # e.g. handler
    environment: dict[str, Any]  # unresolved, as in the template


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str
    function: str  # logical id
    cognito: bool


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def table_specs(template: dict[str, Any], stack_name: str) -> dict[str, dict[str, Any]]:
    """CreateTable arguments per table logical id; names as CloudFormation would make them."""
    specs = {}
    for logical_id, resource in of_type(template, "AWS::DynamoDB::Table").items():
        props = resource["Properties"]
        spec: dict[str, Any] = {
            "TableName": props.get("TableName", f"{stack_name}-{logical_id}"),
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": props.get("BillingMode", "PROVISIONED"),
        }
        if props.get("GlobalSecondaryIndexes"):
            spec["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        if props.get("StreamSpecification"):
            spec["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        specs[logical_id] = {"create": spec, "ttl": props.get("TimeToLiveSpecification")}
    return specs


def function_specs(template: dict[str, Any]) -> dict[str, FunctionSpec]:
    specs = {}
    for logical_id, resource in of_type(template, "AWS::Lambda::Function").items():
        code = (resource.get("Metadata") or {}).get("boomerang:code")
        if not code:
            continue  # CDK's own helper functions, if any: nothing of ours to run
        module, _, attribute = resource["Properties"]["Handler"].rpartition(".")
        package = code.strip("/").replace("/", ".")
        env = (resource["Properties"].get("Environment") or {}).get("Variables") or {}
        specs[logical_id] = FunctionSpec(logical_id, f"{package}.{module}", attribute, dict(env))
    return specs


def _function_of(integration: dict[str, Any]) -> str | None:
    found = re.search(r"'Fn::GetAtt': \['([^']+)', 'Arn'\]", str(integration.get("Uri")))
    return found.group(1) if found else None


def route_specs(template: dict[str, Any]) -> list[RouteSpec]:
    """Every method of the REST API with its full path, its function and whether Cognito guards it."""
    resources = of_type(template, "AWS::ApiGateway::Resource")

    def path_of(ref: Any) -> str:
        if isinstance(ref, dict) and "Fn::GetAtt" in ref:  # the API's root resource
            return ""
        logical_id = ref["Ref"]
        props = resources[logical_id]["Properties"]
        return path_of(props["ParentId"]) + "/" + props["PathPart"]

    routes = []
    for resource in of_type(template, "AWS::ApiGateway::Method").values():
        props = resource["Properties"]
        function = _function_of(props.get("Integration") or {})
        if props["HttpMethod"] == "OPTIONS" or function is None:
            continue  # CORS preflights are answered by the front itself
        routes.append(
            RouteSpec(
                props["HttpMethod"],
                path_of(props["ResourceId"]) or "/",
                function,
                props.get("AuthorizationType") == "COGNITO_USER_POOLS",
            )
        )
    return routes


def resolve(template: dict[str, Any], value: Any, physical: dict[str, str]) -> Any:
    """A template value with Refs and GetAtts of local resources replaced by their local names."""
    return TemplateResolver(template, physical, "123456789012", "us-east-1").resolve(value)
