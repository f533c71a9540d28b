"""What a deployment's context changes (infra/cdk/context.py): the firewall (on by default), the
custom domain, CORS origins, throttling, the alarm address; and the outputs `make deploy` prints."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App

from infra.cdk.constructs.firewall import SESSIONS_PATH, THROTTLED_BODY
from infra.cdk.constructs.outputs import CONSOLE_PENDING, webhook_output_name
from infra.cdk.context import DeploySettings
from tests.infra.conftest import Synthesized, synthesize

pytestmark = pytest.mark.infra

DOMAIN = "returns.example.com"
ORIGINS = "https://shop.example.com,https://www.example.com"


@pytest.fixture(scope="module")
def customized() -> Synthesized:
    """Every other setting at once (one synth): no WAF, a domain in a Route 53 zone, two origins,
    throttling, an alarm address."""
    return synthesize(
        waf="false",
        domain_name=DOMAIN,
        hosted_zone_id="Z0123456789ABCDEFGHIJ",
        hosted_zone_name="example.com",
        cors_origins=ORIGINS,
        throttling_rate_limit="20",
        throttling_burst_limit="40",
        alarm_email="oncall@example.com",
    )


# --- the firewall, on by default ------------------------------------------------------------------


def test_waf_by_default_common_rules_and_two_rate_rules(synthesized: Synthesized) -> None:
    (acl_id, acl), = synthesized.of_type("AWS::WAFv2::WebACL").items()  # fmt: skip
    props = acl["Properties"]
    assert props["Scope"] == "REGIONAL" and props["DefaultAction"] == {"Allow": {}}
    rules = {rule["Name"]: rule for rule in props["Rules"]}
    assert list(rules) == ["aws-common", "sessions-per-ip", "requests-per-ip"]
    common = rules["aws-common"]["Statement"]["ManagedRuleGroupStatement"]
    assert (common["VendorName"], common["Name"]) == ("AWS", "AWSManagedRulesCommonRuleSet")
    assert common["RuleActionOverrides"] == [{"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}]
    sessions = rules["sessions-per-ip"]["Statement"]["RateBasedStatement"]
    assert sessions["AggregateKeyType"] == "IP" and sessions["Limit"] == 100
    match = sessions["ScopeDownStatement"]["ByteMatchStatement"]
    assert match["SearchString"] == SESSIONS_PATH and match["PositionalConstraint"] == "CONTAINS"
    overall = rules["requests-per-ip"]["Statement"]["RateBasedStatement"]
    assert overall["Limit"] == 3000 and "ScopeDownStatement" not in overall
    for name in ("sessions-per-ip", "requests-per-ip"):
        response = rules[name]["Action"]["Block"]["CustomResponse"]
        assert response["ResponseCode"] == 429
        assert response["ResponseHeaders"] == [{"Name": "Retry-After", "Value": "60"}]
    assert json.loads(props["CustomResponseBodies"]["throttled"]["Content"]) == THROTTLED_BODY
    (association,) = synthesized.of_type("AWS::WAFv2::WebACLAssociation").values()
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    stage_id, _ = synthesized.one("AWS::ApiGateway::Stage", StageName="prod")
    assert json.dumps({"Ref": stage_id}) in json.dumps(association["Properties"]["ResourceArn"])


def test_waf_off_from_context_is_acknowledged_as_such(customized: Synthesized) -> None:
    assert not customized.of_type("AWS::WAFv2::WebACL")
    assert not customized.of_type("AWS::WAFv2::WebACLAssociation")
    stage_id, _ = customized.one("AWS::ApiGateway::Stage", StageName="prod")
    rules = customized.resources[stage_id]["Metadata"]["cdk_nag"]["rules_to_suppress"]
    (apig3,) = [r for r in rules if r["id"] == "AwsSolutions-APIG3"]
    assert "waf=false" in apig3["reason"]


# --- domain, CORS, throttling, alarm address ------------------------------------------------------


def test_custom_domain_certificate_mapping_and_alias(customized: Synthesized) -> None:
    (domain_id, domain), = customized.of_type("AWS::ApiGateway::DomainName").items()  # fmt: skip
    props = domain["Properties"]
    assert props["DomainName"] == DOMAIN
    assert props["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    assert props["SecurityPolicy"] == "TLS_1_2"
    cert_id = props["RegionalCertificateArn"]["Ref"]
    certificate = customized.resources[cert_id]["Properties"]
    assert certificate["DomainName"] == DOMAIN and certificate["ValidationMethod"] == "DNS"
    assert certificate["DomainValidationOptions"] == [
        {"DomainName": DOMAIN, "HostedZoneId": "Z0123456789ABCDEFGHIJ"}
    ]
    (mapping,) = customized.of_type("AWS::ApiGateway::BasePathMapping").values()
    assert mapping["Properties"]["DomainName"] == {"Ref": domain_id}
    assert "BasePath" not in mapping["Properties"]  # the stage at the domain's root
    (record,) = customized.of_type("AWS::Route53::RecordSet").values()
    assert record["Properties"]["Name"] == f"{DOMAIN}." and record["Properties"]["Type"] == "A"
    outputs = customized.template.to_json()["Outputs"]
    assert outputs["ApiUrl"]["Value"] == f"https://{DOMAIN}/"
    assert outputs["WebhookUrlStripe"]["Value"] == f"https://{DOMAIN}/webhooks/stripe"
    assert "execute-api" in json.dumps(outputs["ApiGatewayUrl"]["Value"])
    assert outputs["ApiDomainTarget"]["Value"] == {"Fn::GetAtt": [domain_id, "RegionalDomainName"]}


def test_cors_origins_reach_the_gateway_and_both_storefront_facing_functions(customized: Synthesized) -> None:
    for service in ("storefront_api", "tickets_api"):
        _, props = customized.function(service)
        assert props["Environment"]["Variables"]["CORS_ALLOW_ORIGINS"] == ORIGINS
    options = [
        m
        for (verb, path), m in customized.api_methods().items()
        if verb == "OPTIONS" and path == "/v1/returns"
    ]
    template = json.dumps(options[0]["Integration"]["IntegrationResponses"])
    assert "https://shop.example.com" in template and "https://www.example.com" in template
    (bucket,) = [
        r["Properties"]["CorsConfiguration"]["CorsRules"]
        for r in customized.of_type("AWS::S3::Bucket").values()
        if "CorsConfiguration" in r["Properties"]
    ]
    assert bucket[0]["AllowedOrigins"] == ORIGINS.split(",")


def test_throttling_and_alarm_address_from_context(customized: Synthesized) -> None:
    _, stage = customized.one("AWS::ApiGateway::Stage", StageName="prod")
    (settings,) = stage["MethodSettings"]
    assert (settings["ThrottlingRateLimit"], settings["ThrottlingBurstLimit"]) == (20, 40)
    (subscription,) = customized.of_type("AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == "oncall@example.com"


def test_nag_clean_with_every_setting(customized: Synthesized) -> None:
    from aws_cdk.assertions import Annotations, Match

    annotations = Annotations.from_stack(customized.stack)
    pattern = Match.string_like_regexp("(AwsSolutions|Serverless)-.*")
    assert not annotations.find_error("*", pattern) and not annotations.find_warning("*", pattern)


# --- outputs ----------------------------------------------------------------------------------------


def test_a_webhook_url_output_per_webhook_route(synthesized: Synthesized) -> None:
    outputs = synthesized.template.to_json()["Outputs"]
    routes = sorted(
        path for verb, path in synthesized.api_methods() if verb == "POST" and path.startswith("/webhooks/")
    )
    assert routes == [
        "/webhooks/carriers/17track",
        "/webhooks/carriers/aftership",
        "/webhooks/carriers/easypost",
        "/webhooks/shopify",
        "/webhooks/stripe",
    ]
    assert sorted(k for k in outputs if k.startswith("WebhookUrl")) == sorted(
        webhook_output_name(p) for p in routes
    )
    assert webhook_output_name("/webhooks/carriers/17track") == "WebhookUrlCarriers17track"
    stripe = json.dumps(outputs["WebhookUrlStripe"]["Value"])
    assert "execute-api" in stripe and "webhooks/stripe" in stripe
    assert outputs["ConsoleUrl"]["Value"] == CONSOLE_PENDING


# --- the settings themselves ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"alarm_email": "not-an-address"}, "alarm_email"),
        ({"alarm_email": "a@example.com,b@example.com"}, "alarm_email"),
        ({"waf": "maybe"}, "waf"),
        ({"waf_rate_limit": "5"}, "waf_rate_limit"),
        ({"waf_sessions_rate_limit": "lots"}, "waf_sessions_rate_limit"),
        ({"throttling_rate_limit": "0"}, "throttling_rate_limit"),
        ({"cors_origins": "https://shop.example.com/"}, "cors_origins"),
        ({"cors_origins": "shop.example.com"}, "cors_origins"),
        ({"domain_name": "Returns Example"}, "domain_name"),
        ({"domain_name": DOMAIN, "hosted_zone_id": "Z1"}, "hosted_zone"),
        (
            {"domain_name": DOMAIN, "hosted_zone_id": "Z1", "hosted_zone_name": "other.com"},
            "not in the hosted zone",
        ),
        ({"evidence_regions": '{"eu-central-1": ["eu-pl-gls"]}'}, "home_region"),
    ],
)
def test_bad_context_fails_naming_its_key(
    context: dict[str, Any], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CDK_DEFAULT_REGION", raising=False)
    with pytest.raises(ValueError, match=message):
        DeploySettings.from_context(App(context=context).node)


def test_defaults() -> None:
    settings = DeploySettings.from_context(App().node)
    assert settings.firewall.enabled and settings.firewall.rate_limit == 3000
    assert settings.cors_origins == ("*",) and settings.domain is None and settings.alarm_email is None
    assert settings.stack_name == "Boomerang"


def test_a_secret_output_per_secret(synthesized: Synthesized) -> None:
    outputs = synthesized.template.to_json()["Outputs"]
    named = {key: out["Value"] for key, out in outputs.items() if key.startswith("Secret")}
    assert sorted(value["Ref"] for value in named.values()) == sorted(
        synthesized.of_type("AWS::SecretsManager::Secret")
    )
    assert {"SecretStripeWebhooksStripe", "SecretSessionSigningKey", "SecretCarrierWebhooksEasypost"} <= set(
        named
    )
