"""Replays EasyPost's recorded HTTP interactions (VCR cassettes) through the official SDK's own
HTTP layer: the cassette adapter (tests/unit/cassettes.py) is mounted on the client's session, so
it answers each request with the next recorded response for the same method and URL, and keeps
what was sent."""

from __future__ import annotations

from typing import Any

from tests.unit.cassettes import CassetteAdapter


def replaying_client(*names: str) -> tuple[Any, CassetteAdapter]:
    from easypost.easypost_client import EasyPostClient

    client = EasyPostClient("EZTK_test_key_not_real")
    adapter = CassetteAdapter("easypost", *names)
    # Longer than any prefix the SDK mounts its own retrying adapter on, so this one answers.
    client._requests_session.mount(client.api_base, adapter)
    return client, adapter
