"""The AWS side of a local run: DynamoDB Local for the tables, moto's server for the rest.

Both listen on loopback; boto3 reaches them through the service-specific endpoint variables
(AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SECRETS_MANAGER), so handlers run unchanged.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field

import boto3
from moto.server import ThreadedMotoServer

from local.dynamodb_local import DynamoDBLocal, free_port
from local.tables import create_tables

REGION = "us-east-1"


@dataclass
class LocalAws:
    table: str = "boomerang-local"
    idempotency_table: str = "boomerang-local-idempotency"
    session_secret_name: str = "boomerang/local/session-signing-key"
    ddb: DynamoDBLocal = field(default_factory=DynamoDBLocal)
    moto: ThreadedMotoServer | None = None
    moto_endpoint: str = ""

    def start(self, resources: bool = True) -> LocalAws:
        """Start the servers; with `resources`, also the tables and secret tests use (the local
        stack creates its own from the template instead)."""
        # Fake credentials: nothing here may ever reach a real AWS account.
        os.environ.update(
            {
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
            }
        )
        os.environ.pop("AWS_PROFILE", None)
        self.ddb.start()
        port = free_port()
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self.moto.start()
        self.moto_endpoint = f"http://127.0.0.1:{port}"
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = self.ddb.endpoint
        os.environ["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = self.moto_endpoint
        os.environ["AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"] = self.moto_endpoint
        # Presigned S3 URLs the API hands out point at moto's server on loopback, so a browser or
        # curl can use them as they would the real ones.
        os.environ["AWS_ENDPOINT_URL_S3"] = self.moto_endpoint
        if not resources:
            return self
        create_tables(boto3.client("dynamodb"), self.table, self.idempotency_table)
        boto3.client("secretsmanager").create_secret(
            Name=self.session_secret_name, SecretString=secrets.token_urlsafe(48)
        )
        return self

    def function_environment(self) -> dict[str, str]:
        """What the CDK stack gives the storefront function, pointed at the local resources."""
        return {
            "TABLE_NAME": self.table,
            "IDEMPOTENCY_TABLE_NAME": self.idempotency_table,
            "SESSION_SECRET_NAME": self.session_secret_name,
            "SESSION_TTL_SECONDS": "3600",
            "POWERTOOLS_SERVICE_NAME": "storefront_api",
            "POWERTOOLS_METRICS_NAMESPACE": "Boomerang",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_DEV": "false",
            "LOG_LEVEL": "WARNING",
        }

    def stop(self) -> None:
        if self.moto:
            self.moto.stop()
            self.moto = None
        self.ddb.stop()
