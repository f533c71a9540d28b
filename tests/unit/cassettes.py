"""Replays recorded HTTP interactions (VCR-style YAML cassettes, the format of EasyPost's SDK test
suite: ../shared/fixtures/easypost) through a `requests` session: a transport adapter mounted on
the session answers each request with the first recorded interaction for the same method and URL
(then drops it, so a sequence plays in order), and keeps what was sent (method, URL, headers,
body). The SDKs above it (EasyPost's, PayPal's server SDK) and our own HTTP code run unchanged.

Every cassette under tests/data/<provider>/ says where its replies come from in that folder's
README.md."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import requests
import yaml
from requests.adapters import BaseAdapter

DATA = Path(__file__).resolve().parents[1] / "data"


@dataclass
class Sent:
    method: str
    url: str
    headers: dict[str, str]
    body: Any  # JSON decoded, a form as a dict of lists, or None

    # (method, url, body), as the EasyPost tests unpack and index it.
    def __iter__(self) -> Any:
        return iter((self.method, self.url, self.body))

    def __getitem__(self, index: int) -> Any:
        return (self.method, self.url, self.body)[index]


def _body(request: requests.PreparedRequest) -> Any:
    raw = request.body
    if not raw:
        return None
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    if "x-www-form-urlencoded" in str(request.headers.get("Content-Type", "")):
        return parse_qs(text)
    return json.loads(text)


class CassetteAdapter(BaseAdapter):
    def __init__(self, provider: str, *names: str) -> None:
        super().__init__()
        self.recorded: list[dict[str, Any]] = []
        for name in names:
            self.recorded += yaml.safe_load((DATA / provider / f"{name}.yaml").read_text())["interactions"]
        self.sent: list[Sent] = []
        self.timeouts: list[Any] = []  # what each request was sent with (connect, read) or seconds

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        url = str(request.url).split("?")[0]
        self.sent.append(Sent(str(request.method), url, dict(request.headers), _body(request)))
        self.timeouts.append(kwargs.get("timeout"))
        for n, interaction in enumerate(self.recorded):
            if interaction["request"]["method"] == request.method and interaction["request"]["uri"] == url:
                del self.recorded[n]
                answer = interaction["response"]
                if answer.get("raise") == "timeout":
                    raise requests.exceptions.ReadTimeout(f"recorded timeout for {url}")
                response = requests.Response()
                response.status_code = answer["status"]["code"]
                response.reason = answer["status"].get("message", "")
                response._content = answer["body"]["string"].encode()
                response.headers.update({"Content-Type": "application/json", **(answer.get("headers") or {})})
                response.request = request
                response.url = url
                return response
        raise AssertionError(f"no recorded interaction for {request.method} {url}")

    def close(self) -> None:
        pass


def replaying_session(
    provider: str, *names: str, prefix: str = "https://"
) -> tuple[requests.Session, CassetteAdapter]:
    session = requests.Session()
    adapter = CassetteAdapter(provider, *names)
    session.mount(prefix, adapter)
    return session, adapter
