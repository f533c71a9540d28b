"""Configuration of the ticket functions: environment variables parsed once, at cold start."""

from __future__ import annotations

from pydantic import Field

from boomerang.config import FromEnv


class TicketsApiConfig(FromEnv):
    table_name: str = Field(min_length=3)
    idempotency_table_name: str = Field(min_length=3)
    session_secret_name: str = Field(min_length=1)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    api_key_cache_seconds: int = Field(default=300, ge=0)


class SystemTicketsConfig(FromEnv):
    # One ticket per source event is kept by a conditional write on the table itself.
    table_name: str = Field(min_length=3)
