"""Replays EasyPost's recorded HTTP interactions (VCR cassettes) through the official SDK's own
HTTP layer: a requests transport adapter mounted on the client's session answers each request
with the next recorded response for the same method and URL, and keeps what was sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests
import yaml
from requests.adapters import BaseAdapter

DATA = Path(__file__).resolve().parents[1] / "data" / "easypost"


class CassetteAdapter(BaseAdapter):
    def __init__(self, *names: str) -> None:
        super().__init__()
        self.recorded: list[dict[str, Any]] = []
        for name in names:
            self.recorded += yaml.safe_load((DATA / f"{name}.yaml").read_text())["interactions"]
        self.sent: list[tuple[str, str, Any]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        url = str(request.url).split("?")[0]
        body = json.loads(request.body) if request.body else None
        self.sent.append((str(request.method), url, body))
        for n, interaction in enumerate(self.recorded):
            if interaction["request"]["method"] == request.method and interaction["request"]["uri"] == url:
                del self.recorded[n]
                response = requests.Response()
                response.status_code = interaction["response"]["status"]["code"]
                response._content = interaction["response"]["body"]["string"].encode()
                response.headers.update({"Content-Type": "application/json"})
                response.request = request
                response.url = url
                return response
        raise AssertionError(f"no recorded interaction for {request.method} {url}")

    def close(self) -> None:
        pass


def replaying_client(*names: str) -> tuple[Any, CassetteAdapter]:
    from easypost.easypost_client import EasyPostClient

    client = EasyPostClient("EZTK_test_key_not_real")
    adapter = CassetteAdapter(*names)
    # Longer than any prefix the SDK mounts its own retrying adapter on, so this one answers.
    client._requests_session.mount(client.api_base, adapter)
    return client, adapter
