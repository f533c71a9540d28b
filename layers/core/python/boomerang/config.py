"""Function configuration: environment variables parsed once, at cold start, by pydantic."""

from __future__ import annotations

import os
from typing import Self

from pydantic import BaseModel, ConfigDict, Field


class FromEnv(BaseModel):
    model_config = ConfigDict(frozen=True)

    @classmethod
    def from_env(cls) -> Self:
        fields = cls.model_fields
        return cls.model_validate(
            {name: os.environ[name.upper()] for name in fields if name.upper() in os.environ}
        )


class WorkflowConfig(FromEnv):
    table_name: str = Field(min_length=3)
    # Empty in the task functions: they resume waits by token and never start executions.
    state_machine_arn: str = ""
    policy_cache_seconds: int = Field(default=60, ge=0)
    # The deployment's Stripe secret (boomerang.payments.secrets); empty: the sandbox adapter.
    stripe_secret_name: str = ""


class StorefrontConfig(FromEnv):
    table_name: str = Field(min_length=3)
    idempotency_table_name: str = Field(min_length=3)
    session_secret_name: str = Field(min_length=1)
    session_ttl_seconds: int = Field(default=3600, ge=60, le=86_400)
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    api_key_cache_seconds: int = Field(default=300, ge=0)
    policy_cache_seconds: int = Field(default=60, ge=0)
    # Creating a return starts its workflow execution (named by the RMA).
    state_machine_arn: str = ""


class AdminConfig(FromEnv):
    table_name: str = Field(min_length=3)
    # Staff news resumes the workflow's waits by task token; the ARN itself is not needed for that.
    state_machine_arn: str = ""
    policy_cache_seconds: int = Field(default=60, ge=0)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    # Finance's card retry asks Stripe (boomerang.payments.secrets); empty: the sandbox adapter.
    stripe_secret_name: str = ""


class StripeWebhookConfig(FromEnv):
    table_name: str = Field(min_length=3)
    idempotency_table_name: str = Field(min_length=3)
    # The deployment's Stripe secret (boomerang.payments.secrets): its webhook_secret signs events.
    stripe_secret_name: str = Field(min_length=1)
    state_machine_arn: str = ""
    # Stripe's own limit for an event is far below this; anything larger is not Stripe.
    max_body_bytes: int = Field(default=512 * 1024, ge=1024)
    signature_tolerance_seconds: int = Field(default=300, ge=1, le=3600)
