"""Staff sign-in for the local stack: a Cognito user pool on moto's server with the four staff
groups and one user in each, and the check API Gateway's Cognito authorizer makes on a token.

    POST /local/login {"username": "support", "password": "Local-Boomerang-1"} -> {"id_token": ...}
    then call /admin/v1/... with `Authorization: <id_token>`, as the deployed API expects.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from joserfc import jwt
from joserfc.jwk import KeySet
from moto.utilities.utils import load_resource

from boomerang.auth.staff import ALL_SHOPS, SHOPS_CLAIM

GROUPS = ("support", "warehouse", "finance", "admin")
PASSWORD = "Local-Boomerang-1"


class InvalidToken(Exception):
    pass


@dataclass
class LocalStaff:
    pool_id: str = ""
    client_id: str = ""
    users: dict[str, str] = field(default_factory=dict)  # username -> group

    def start(self, groups: tuple[str, ...] | list[str] = GROUPS) -> LocalStaff:
        """The pool with these groups and one user per group, named as the group, for every shop."""
        idp = boto3.client("cognito-idp")
        self.pool_id = idp.create_user_pool(
            PoolName="boomerang-local-staff",
            # As the CDK's pool: the shops a staff user works for (`boomerang staff invite`).
            Schema=[{"Name": "shops", "AttributeDataType": "String", "Mutable": True}],
        )["UserPool"]["Id"]
        self.client_id = idp.create_user_pool_client(
            UserPoolId=self.pool_id, ClientName="console", ExplicitAuthFlows=["ADMIN_USER_PASSWORD_AUTH"]
        )["UserPoolClient"]["ClientId"]
        for group in groups:
            idp.create_group(UserPoolId=self.pool_id, GroupName=group)
            # Deployment-wide (`custom:shops` "*"): the local users work on every demo shop.
            idp.admin_create_user(
                UserPoolId=self.pool_id,
                Username=group,
                MessageAction="SUPPRESS",
                UserAttributes=[{"Name": SHOPS_CLAIM, "Value": ALL_SHOPS}],
            )
            idp.admin_set_user_password(
                UserPoolId=self.pool_id, Username=group, Password=PASSWORD, Permanent=True
            )
            idp.admin_add_user_to_group(UserPoolId=self.pool_id, Username=group, GroupName=group)
            self.users[group] = group
        return self

    def login(self, username: str, password: str) -> str:
        answer = boto3.client("cognito-idp").admin_initiate_auth(
            UserPoolId=self.pool_id,
            ClientId=self.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
        return str(answer["AuthenticationResult"]["IdToken"])

    def claims(self, token: str) -> dict[str, str]:
        """Verify an ID token as the authorizer does (signature, issuer, audience, expiry) and give
        its claims the way API Gateway hands them to the function: every value a string."""
        keys = KeySet.import_key_set(load_resource("cognitoidp/resources/jwks-public.json"))
        try:
            decoded = jwt.decode(token.removeprefix("Bearer ").strip(), keys)
        except Exception as exc:
            raise InvalidToken(str(exc)) from exc
        data: dict[str, Any] = dict(decoded.claims)
        if not str(data.get("iss", "")).endswith(f"/{self.pool_id}") or data.get("aud") != self.client_id:
            raise InvalidToken("token from another user pool or client")
        if data.get("token_use") != "id" or int(data.get("exp", 0)) < time.time():
            raise InvalidToken("not a current ID token")
        return {key: _as_api_gateway_string(key, value) for key, value in data.items()}


def _as_api_gateway_string(key: str, value: Any) -> str:
    if isinstance(value, list):
        return "[" + " ".join(str(v) for v in value) + "]"
    if key in ("exp", "iat", "auth_time") and isinstance(value, int):
        return datetime.fromtimestamp(value, tz=UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
    return str(value)
