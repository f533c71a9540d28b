"""Function configuration: environment variables parsed once, at cold start, by pydantic."""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict, Field


class StorefrontConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    table_name: str = Field(min_length=3)
    idempotency_table_name: str = Field(min_length=3)
    session_secret_name: str = Field(min_length=1)
    session_ttl_seconds: int = Field(default=3600, ge=60, le=86_400)
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    api_key_cache_seconds: int = Field(default=300, ge=0)
    policy_cache_seconds: int = Field(default=60, ge=0)

    @classmethod
    def from_env(cls) -> StorefrontConfig:
        fields = cls.model_fields
        return cls.model_validate(
            {name: os.environ[name.upper()] for name in fields if name.upper() in os.environ}
        )
