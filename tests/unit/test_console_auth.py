"""The console's sign-in pieces without AWS: the session cookie (signed, expiring, no token or
email in it), the PKCE round trip, the hosted UI's URL, and where a sign-in may send the browser."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from boomerang.auth.staff import StaffMember
from boomerang.domain.errors import Unauthorized
from boomerang.web.console.auth import (
    MAX_SESSION_SECONDS,
    authorize_url,
    exchange_code,
    finish_pkce,
    make_session,
    read_session,
    start_pkce,
)

KEY = b"k" * 32
NOW = 1_800_000_000.0
MEMBER = StaffMember(username="alice", groups=frozenset({"support"}), shops=frozenset({"acme"}))


def test_a_session_reads_back_until_it_expires_and_never_outlives_a_working_day() -> None:
    session, value = make_session(KEY, MEMBER, int(NOW) + 3600, NOW)
    assert read_session(KEY, value, NOW + 10) == session
    assert read_session(KEY, value, NOW + 3600) is None  # expired with the token
    assert read_session(b"x" * 32, value, NOW) is None  # another key
    long, _ = make_session(KEY, MEMBER, int(NOW) + 7 * 86400, NOW)
    assert long.expires == int(NOW) + MAX_SESSION_SECONDS
    body = base64.urlsafe_b64decode(value.split(".")[0] + "==")
    assert json.loads(body)["u"] == "alice" and b"@" not in body


def test_the_csrf_token_is_the_sessions_own() -> None:
    first, _ = make_session(KEY, MEMBER, int(NOW) + 3600, NOW)
    second, _ = make_session(KEY, MEMBER, int(NOW) + 3600, NOW)
    assert first.csrf_holds(KEY, first.csrf(KEY))
    assert not first.csrf_holds(KEY, second.csrf(KEY)) and not first.csrf_holds(KEY, None)


def test_pkce_round_trip_and_refusals() -> None:
    state, challenge, cookie = start_pkce(KEY, NOW, "/admin/tickets")
    verifier, back = finish_pkce(KEY, cookie, state, NOW + 60)
    assert back == "/admin/tickets"
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert digest == challenge
    for cookie_value, given, at in ((cookie, "other", NOW), (None, state, NOW), (cookie, state, NOW + 3600)):
        with pytest.raises(Unauthorized):
            finish_pkce(KEY, cookie_value, given, at)


def test_the_hosted_ui_url_and_the_code_exchange() -> None:
    url = authorize_url(
        "https://s.auth.us-east-1.amazoncognito.com/", "client", "https://x/admin/callback", "st", "ch"
    )
    query = parse_qs(urlsplit(url).query)
    assert url.startswith("https://s.auth.us-east-1.amazoncognito.com/oauth2/authorize?")
    assert query["code_challenge_method"] == ["S256"] and query["response_type"] == ["code"]
    sent: dict[str, Any] = {}

    class Answer:
        status_code = 200

        def json(self) -> dict[str, str]:
            return {"id_token": "a.b.c"}

    def post(url: str, **kwargs: Any) -> Answer:
        sent.update(kwargs["data"], url=url)
        return Answer()

    assert exchange_code("https://s.example", "client", "https://x/cb", "code1", "ver", post) == "a.b.c"
    assert sent["code_verifier"] == "ver" and sent["url"] == "https://s.example/oauth2/token"
    Answer.status_code = 400
    with pytest.raises(Unauthorized):
        exchange_code("https://s.example", "client", "https://x/cb", "code1", "ver", post)


@pytest.mark.parametrize(
    ("given", "goes_to"),
    [
        ("/admin/tickets?shop=a", "/admin/tickets?shop=a"),
        ("/admin", "/admin"),
        ("//evil.example/admin", "/admin"),
        ("https://evil.example/admin", "/admin"),
        ("/adminx", "/admin"),
        ("/admin/\\evil", "/admin"),
        ("", "/admin"),
    ],
)
def test_a_sign_in_only_sends_the_browser_back_into_the_console(given: str, goes_to: str) -> None:
    from boomerang.web.console.pages import back_to

    class Event:
        raw_event: dict[str, Any] = {"requestContext": {"stage": "prod"}}
        headers = {"Host": "console.example.com"}

    class Router:
        current_event = Event()

    assert back_to(Router(), given) == goes_to  # type: ignore[arg-type]


def test_unknown_key_ids_refetch_the_keys_at_most_every_few_minutes_and_a_dead_pool_signs_nobody_in() -> None:
    from boomerang.web.console.auth import IdTokenVerifier, InvalidToken

    calls: list[str] = []

    def fetch(url: str) -> dict[str, Any]:
        calls.append(url)
        return {"keys": []}

    verifier = IdTokenVerifier("iss", "aud", "https://keys", fetch)
    header = base64.urlsafe_b64encode(b'{"alg":"RS256","kid":"made-up"}').rstrip(b"=").decode()
    for _ in range(5):
        with pytest.raises(InvalidToken):
            verifier.claims(f"{header}.e30.c2ln")
    assert len(calls) == 1  # read once: unknown key ids within five minutes of a read fetch nothing
    verifier._fetched_at -= 600  # five minutes on: an unknown key id reads the keys again, once
    for _ in range(3):
        with pytest.raises(InvalidToken):
            verifier.claims(f"{header}.e30.c2ln")
    assert len(calls) == 2

    def down(url: str) -> dict[str, Any]:
        raise ConnectionError("no route")

    with pytest.raises(InvalidToken):
        IdTokenVerifier("iss", "aud", "https://keys", down).claims(f"{header}.e30.c2ln")


@pytest.mark.parametrize("language", ["zh", "es", "de", "fr", "ja"])
def test_every_console_catalog_translates_every_message_with_the_same_placeholders(language: str) -> None:
    import re
    from importlib import resources

    from babel.messages.pofile import read_po

    locale = resources.files("boomerang.web").joinpath("locale")
    wanted = {m.id for m in read_po(locale.joinpath("console.pot").open("rb")) if m.id}
    catalog = read_po(locale.joinpath(language, "LC_MESSAGES", "console.po").open("rb"), locale=language)
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    assert wanted - set(translated) == set(), "untranslated (run `make i18n`, then translate)"
    for msgid in wanted:
        assert sorted(re.findall(r"%\(\w+\)s", msgid)) == sorted(re.findall(r"%\(\w+\)s", translated[msgid]))


def test_console_text_from_outside_the_templates_is_translated_but_never_trusted() -> None:
    from boomerang.web.console.pages import environment

    template = environment("de").from_string("{{ message|tr }} {{ _('Sign in') }}")
    assert (
        template.render(message="Wrong username or password.")
        == "Falscher Benutzername oder falsches Passwort. Anmelden"
    )
    assert "&lt;script&gt;" in template.render(message="<script>alert(1)</script>")
