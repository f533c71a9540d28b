"""An optional custom domain for the API (`-c domain_name=returns.example.com`).

A regional API Gateway domain (TLS 1.2) mapped at its root to the API's stage, so the API answers
at https://returns.example.com/v1/... instead of https://<id>.execute-api.<region>.amazonaws.com/prod/...
The certificate is either one the merchant already has in ACM in the stack's region
(`-c certificate_arn=...`) or a new one validated by DNS. With a Route 53 hosted zone for the domain
(`-c hosted_zone_id=... -c hosted_zone_name=example.com`) the validation records and an alias record
for the domain are made here; without one, the deploy waits until the validation CNAME that ACM
shows (console, or `aws acm describe-certificate`) is added at the merchant's DNS provider, and the
merchant then points the domain (CNAME) at the `ApiDomainTarget` output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as route53_targets
from constructs import Construct

_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


@dataclass(frozen=True)
class DomainSettings:
    """From context: `domain_name`, and `certificate_arn` or `hosted_zone_id` + `hosted_zone_name`."""

    domain_name: str
    certificate_arn: str | None = None
    hosted_zone_id: str | None = None
    hosted_zone_name: str | None = None

    def __post_init__(self) -> None:
        if not _HOSTNAME.match(self.domain_name):
            raise ValueError(
                f"domain_name: a lowercase host name such as returns.example.com, not {self.domain_name!r}"
            )
        if bool(self.hosted_zone_id) != bool(self.hosted_zone_name):
            raise ValueError("hosted_zone_id and hosted_zone_name go together")
        if self.hosted_zone_name and not (
            self.domain_name == self.hosted_zone_name
            or self.domain_name.endswith("." + self.hosted_zone_name)
        ):
            raise ValueError(f"{self.domain_name} is not in the hosted zone {self.hosted_zone_name}")
        if self.certificate_arn and not self.certificate_arn.startswith("arn:"):
            raise ValueError("certificate_arn: the ARN of an ACM certificate in the stack's region")


class ApiDomain(Construct):
    """`domain` (the API Gateway domain name), `url` (https://<domain>/)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, api: apigw.RestApi, settings: DomainSettings
    ) -> None:
        super().__init__(scope, construct_id)
        zone = (
            route53.HostedZone.from_hosted_zone_attributes(
                self, "Zone", hosted_zone_id=settings.hosted_zone_id, zone_name=settings.hosted_zone_name
            )
            if settings.hosted_zone_id and settings.hosted_zone_name
            else None
        )
        if settings.certificate_arn:
            certificate: acm.ICertificate = acm.Certificate.from_certificate_arn(
                self, "Certificate", settings.certificate_arn
            )
        else:
            certificate = acm.Certificate(
                self,
                "Certificate",
                domain_name=settings.domain_name,
                validation=acm.CertificateValidation.from_dns(zone),
            )
        self.domain = apigw.DomainName(
            self,
            "Domain",
            domain_name=settings.domain_name,
            certificate=certificate,
            endpoint_type=apigw.EndpointType.REGIONAL,
            security_policy=apigw.SecurityPolicy.TLS_1_2,
        )
        # The root of the domain is the stage: /v1/..., /admin/v1/..., /webhooks/...
        self.domain.add_base_path_mapping(api, stage=api.deployment_stage)
        if zone is not None:
            route53.ARecord(
                self,
                "Alias",
                zone=zone,
                record_name=settings.domain_name,
                target=route53.RecordTarget.from_alias(route53_targets.ApiGatewayDomain(self.domain)),
            )
        self.url = f"https://{settings.domain_name}/"
        CfnOutput(
            Stack.of(self),
            "ApiDomainTarget",
            value=self.domain.domain_name_alias_domain_name,
            description=f"Point {settings.domain_name} here (CNAME) unless Route 53 does it (hosted_zone_id)",
        )
