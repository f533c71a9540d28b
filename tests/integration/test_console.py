"""The staff console (/admin, functions/web) through its handler on DynamoDB Local and moto: sign-in
(the hosted UI's code flow with PKCE, ID tokens checked against a JWKS made here with a locally
generated RSA key; the local sign-in on moto's Cognito), the session cookie, CSRF, shop scoping, and
each action. Returns are made with the library, as tests/integration/test_admin_api.py makes them."""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import os
import re
import time
import uuid
from collections.abc import Iterator
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from boomerang.config import ConsoleConfig
from boomerang.domain.status import ReturnStatus as S
from boomerang.store.records import Repository
from boomerang.web.console.auth import IdTokenVerifier, InvalidToken
from boomerang.web.console.services import ConsoleServices, fetch_json
from local.apigw_events import LambdaContext, rest_event
from tests.integration.test_admin_api import US_HUB, RecordingEngine, new_return, on_its_way

POOL = "us-east-1_ConsoleTest"
CLIENT = "console-test-client"
ISSUER = f"https://cognito-idp.us-east-1.amazonaws.com/{POOL}"
HOSTED_UI = "https://staff-test.auth.us-east-1.amazoncognito.com"
KEY = RSAKey.generate_key(2048, parameters={"kid": "console-test-1"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "console-test-1"})  # same kid, another key
JWKS = KeySet([KEY]).as_dict(private=False)


def id_token(
    username: str = "alice", groups: list[str] | None = None, shops: str = "*", *, key: RSAKey = KEY,
    aud: str = CLIENT, iss: str = ISSUER, exp: int | None = None, use: str = "id", alg: str = "RS256",
) -> str:  # fmt: skip
    claims = {
        "sub": str(uuid.uuid4()), "iss": iss, "aud": aud, "token_use": use, "cognito:username": username,
        "cognito:groups": groups if groups is not None else ["admin"], "custom:shops": shops,
        "email": f"{username}@staff.example.com", "iat": int(time.time()),
        "exp": exp if exp is not None else int(time.time()) + 3600,
    }  # fmt: skip
    return jwt.encode({"alg": alg, "kid": key.kid}, claims, key)


class Browser:
    """Calls the web handler with API Gateway REST proxy events and keeps its cookies, as a browser."""

    def __init__(self, module: ModuleType):
        self.module = module
        self.cookies: dict[str, str] = {}

    def call(
        self, method: str, path: str, form: dict[str, str] | None = None, *, json_body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        parts = urlsplit(path)
        headers = {"Host": "console.example.com", "Accept-Language": "en", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urlencode(form)
        if json_body is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(json_body)
        query = {k: v for k, v in parse_qs(parts.query).items()} or None
        event = rest_event(method, parts.path, headers=headers, body=body, query=query)
        result: dict[str, Any] = self.module.handler(event, LambdaContext(function_name="web"))
        for cookie in (result.get("multiValueHeaders") or {}).get("Set-Cookie", []):
            name, _, rest = cookie.partition("=")
            value = rest.split(";")[0]
            if "Max-Age=0" in cookie:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return result

    def get(self, path: str) -> dict[str, Any]:
        return self.call("GET", path)

    def post(self, path: str, form: dict[str, str]) -> dict[str, Any]:
        return self.call("POST", path, form)

    def csrf(self, path: str = "/admin") -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', self.get(path)["body"])
        assert found, "no CSRF token on the page"
        return found.group(1)


def header(result: dict[str, Any], name: str) -> str:
    """A header of the answer (Powertools puts them all in multiValueHeaders once it sets cookies)."""
    many = (result.get("multiValueHeaders") or {}).get(name)
    return str(many[0]) if many else str((result.get("headers") or {}).get(name, ""))


def location(result: dict[str, Any]) -> str:
    return header(result, "Location")


def set_cookies(result: dict[str, Any]) -> list[str]:
    return list((result.get("multiValueHeaders") or {}).get("Set-Cookie", []))


class TokenEndpoint:
    """Cognito's /oauth2/token for one code: checks the PKCE verifier against the challenge."""

    def __init__(self) -> None:
        self.challenge = ""
        self.token = ""
        self.calls: list[dict[str, str]] = []

    def __call__(self, url: str, data: dict[str, str], **_: Any) -> Any:
        self.calls.append(data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data["code_verifier"].encode()).digest())
        ok = url == f"{HOSTED_UI}/oauth2/token" and digest.rstrip(b"=").decode() == self.challenge

        class Answer:
            status_code = 200 if ok else 400

            def json(inner) -> dict[str, str]:
                return {"id_token": self.token} if ok else {"error": "invalid_grant"}

        return Answer()


@pytest.fixture(scope="module")
def web(local_aws: Any) -> ModuleType:
    os.environ.setdefault("ASSETS_BASE_URL", "https://assets.example.com")
    os.environ.setdefault("ASSETS_VERSION", "test")
    return importlib.import_module("functions.web.handler")


@pytest.fixture
def endpoint(web: ModuleType, monkeypatch: pytest.MonkeyPatch) -> Iterator[TokenEndpoint]:
    config = ConsoleConfig(
        staff_user_pool_id=POOL, staff_client_id=CLIENT, staff_sign_in_url=HOSTED_UI, aws_region="us-east-1"
    )
    services = ConsoleServices(config, web.repo, lambda: web.clock(), web._signing_key, fetch=lambda _: JWKS)
    token_endpoint = TokenEndpoint()
    services.post = token_endpoint
    monkeypatch.setattr(web, "console", services)
    monkeypatch.setattr(services.workflow, "engine", RecordingEngine())
    yield token_endpoint


@pytest.fixture
def shop(repo: Repository) -> str:
    from boomerang.domain.providers import Mode, ProviderSettings
    from boomerang.store.providers import ProviderSettingsStore

    name = f"con-{uuid.uuid4().hex[:10]}"
    ProviderSettingsStore(repo.table, repo.ddb).put(name, ProviderSettings(mode=Mode.TEST))
    return name


def signed_in(web: ModuleType, endpoint: TokenEndpoint, token: str) -> tuple[Browser, dict[str, Any]]:
    browser = Browser(web)
    started = browser.get("/admin/sign-in?next=%2Fadmin%3Fqueue%3Dreview")
    assert started["statusCode"] == 303, started
    query = parse_qs(urlsplit(location(started)).query)
    endpoint.challenge, endpoint.token = query["code_challenge"][0], token
    done = browser.get(f"/admin/callback?code=abc123&state={query['state'][0]}")
    return browser, done


def staff(
    web: ModuleType, endpoint: TokenEndpoint, shops: str = "*", groups: list[str] | None = None
) -> Browser:
    browser, done = signed_in(web, endpoint, id_token(groups=groups, shops=shops))
    assert done["statusCode"] == 303 and "boomerang_staff" in browser.cookies, done
    return browser


# --- sign-in ------------------------------------------------------------------------------------


def test_hosted_ui_sign_in_uses_pkce_and_sets_a_signed_http_only_session_cookie(
    web: ModuleType, endpoint: TokenEndpoint
) -> None:
    browser = Browser(web)
    started = browser.get("/admin/sign-in?next=%2Fadmin%3Fqueue%3Dreview")
    target = urlsplit(location(started))
    query = parse_qs(target.query)
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{HOSTED_UI}/oauth2/authorize"
    assert query["code_challenge_method"] == ["S256"] and query["client_id"] == [CLIENT]
    assert query["redirect_uri"] == ["https://console.example.com/admin/callback"]
    endpoint.challenge, endpoint.token = query["code_challenge"][0], id_token("alice", ["support"])
    done = browser.get(f"/admin/callback?code=abc123&state={query['state'][0]}")
    assert done["statusCode"] == 303 and location(done) == "/admin?queue=review"
    session = next(c for c in set_cookies(done) if c.startswith("boomerang_staff="))
    for attribute in ("HttpOnly", "Secure", "SameSite=Lax", "Path=/admin"):
        assert attribute in session
    assert endpoint.calls[0]["grant_type"] == "authorization_code"
    assert "alice@" not in session  # no email, no token in the cookie
    page = browser.get("/admin?queue=review")
    assert page["statusCode"] == 200 and "alice (support)" in page["body"]
    assert header(page, "Cache-Control") == "no-store"


def test_a_callback_with_another_state_or_verifier_signs_nobody_in(
    web: ModuleType, endpoint: TokenEndpoint
) -> None:
    browser = Browser(web)
    started = browser.get("/admin/sign-in")
    query = parse_qs(urlsplit(location(started)).query)
    endpoint.challenge, endpoint.token = query["code_challenge"][0], id_token()
    forged = browser.get("/admin/callback?code=abc123&state=not-the-state")
    assert forged["statusCode"] == 401 and "boomerang_staff" not in browser.cookies
    endpoint.challenge = "another-challenge"  # the token endpoint refuses the verifier
    refused = browser.get(f"/admin/callback?code=abc123&state={query['state'][0]}")
    assert refused["statusCode"] == 401 and "boomerang_staff" not in browser.cookies


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda: id_token(key=OTHER_KEY), id="forged-signature"),
        pytest.param(lambda: id_token(exp=int(time.time()) - 3600), id="expired"),
        pytest.param(lambda: id_token(aud="another-client"), id="wrong-audience"),
        pytest.param(lambda: id_token(iss=ISSUER.replace(POOL, "us-east-1_Other")), id="wrong-issuer"),
        pytest.param(lambda: id_token(use="access"), id="access-token"),
        pytest.param(lambda: id_token().rsplit(".", 1)[0] + ".", id="no-signature"),
    ],
)  # fmt: skip
def test_forged_expired_and_foreign_tokens_are_refused(
    web: ModuleType, endpoint: TokenEndpoint, token: Any
) -> None:
    browser, done = signed_in(web, endpoint, token())
    assert done["statusCode"] == 401 and "boomerang_staff" not in browser.cookies
    assert browser.get("/admin")["statusCode"] == 303  # still signed out


def test_unsigned_and_hmac_tokens_are_refused_by_the_verifier() -> None:
    verifier = IdTokenVerifier(ISSUER, CLIENT, "unused", lambda _: JWKS)
    header = base64.urlsafe_b64encode(b'{"alg":"none","kid":"console-test-1"}').rstrip(b"=").decode()
    payload = id_token().split(".")[1]
    with pytest.raises(InvalidToken):
        verifier.claims(f"{header}.{payload}.")
    hs = base64.urlsafe_b64encode(b'{"alg":"HS256","kid":"console-test-1"}').rstrip(b"=").decode()
    with pytest.raises(InvalidToken):
        verifier.claims(f"{hs}.{payload}.c2lnbmF0dXJl")
    assert verifier.member(id_token("bob", ["warehouse"], "acme,brand-b"))[0].shops == {"acme", "brand-b"}


def test_an_altered_session_cookie_is_no_session(web: ModuleType, endpoint: TokenEndpoint) -> None:
    browser = staff(web, endpoint, shops="acme")
    body, _, mac = browser.cookies["boomerang_staff"].partition(".")
    data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).replace(b'"a":false', b'"a":true')
    browser.cookies["boomerang_staff"] = base64.urlsafe_b64encode(data).rstrip(b"=").decode() + "." + mac
    answer = browser.get("/admin/returns/AAA-AAA-AAA")
    assert answer["statusCode"] == 303 and location(answer).startswith("/admin/sign-in?next=")


def test_signing_out_ends_the_session(web: ModuleType, endpoint: TokenEndpoint) -> None:
    browser = staff(web, endpoint)
    out = browser.post("/admin/sign-out", {"csrf": browser.csrf()})
    assert out["statusCode"] == 303 and location(out).startswith(f"{HOSTED_UI}/logout?client_id={CLIENT}")
    assert "boomerang_staff" not in browser.cookies


def test_the_local_sign_in_form_exists_only_with_its_flag(web: ModuleType, endpoint: TokenEndpoint) -> None:
    browser = Browser(web)
    refused = browser.post("/admin/sign-in", {"username": "support", "password": "x"})
    assert refused["statusCode"] == 404 and "boomerang_staff" not in browser.cookies


def test_local_sign_in_on_the_local_user_pool(
    web: ModuleType, local_aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from local.cognito import PASSWORD, LocalStaff

    pool = LocalStaff().start()
    config = ConsoleConfig(
        staff_user_pool_id=pool.pool_id, staff_client_id=pool.client_id, local_staff_sign_in=True,
        staff_jwks_url=f"{local_aws.moto_endpoint}/{pool.pool_id}/.well-known/jwks.json",
    )  # fmt: skip
    services = ConsoleServices(config, web.repo, lambda: web.clock(), web._signing_key, fetch_json)
    monkeypatch.setattr(web, "console", services)
    browser = Browser(web)
    form = browser.get("/admin/sign-in")
    assert form["statusCode"] == 200 and 'name="password"' in form["body"]
    wrong = browser.post("/admin/sign-in", {"username": "support", "password": "wrong-password-1"})
    assert wrong["statusCode"] == 401 and 'role="alert"' in wrong["body"]
    done = browser.post("/admin/sign-in", {"username": "support", "password": PASSWORD, "next": "/admin"})
    assert done["statusCode"] == 303 and location(done) == "/admin", done
    assert "support (support)" in browser.get("/admin")["body"]


# --- queues, scoping, CSRF, actions -----------------------------------------------------------------


def test_the_review_queue_and_search_by_rma_order_number_and_email(
    web: ModuleType, endpoint: TokenEndpoint, repo: Repository, shop: str
) -> None:
    waiting = new_return(repo, shop, email="Mae@Example.com")
    elsewhere = new_return(repo, f"{shop}-b")
    browser = staff(web, endpoint, shops=shop)
    review = browser.get("/admin?queue=review")["body"]
    assert f"/admin/returns/{waiting.rma}" in review and elsewhere.rma not in review
    order = repo.get_order(shop, waiting.order_id)
    for text in (waiting.rma.lower().replace("-", ""), order.order_number.lstrip("#"), "mae@example.com"):
        found = browser.get(f"/admin?{urlencode({'q': text})}")["body"]
        assert f"/admin/returns/{waiting.rma}" in found, f"searching {text!r}"
    assert f"/admin/returns/{elsewhere.rma}" not in browser.get(f"/admin?q={elsewhere.rma}")["body"]
    assert browser.get(f"/admin?shop={shop}-b")["statusCode"] == 404


def test_a_staff_member_of_shop_a_cannot_see_or_act_on_shop_b(
    web: ModuleType, endpoint: TokenEndpoint, repo: Repository, shop: str
) -> None:
    theirs = new_return(repo, f"{shop}-b")
    browser = staff(web, endpoint, shops=shop)
    page = browser.get(f"/admin/returns/{theirs.rma}")
    assert page["statusCode"] == 404 and header(page, "X-Error-Code") == "return_not_found"
    csrf = browser.csrf()
    approve = browser.post(f"/admin/returns/{theirs.rma}/approve", {"csrf": csrf})
    assert approve["statusCode"] == 404
    assert repo.get_return(theirs.rma)[0].status is S.PENDING_REVIEW


def test_a_post_without_its_csrf_token_does_nothing(
    web: ModuleType, endpoint: TokenEndpoint, repo: Repository, shop: str
) -> None:
    ret = new_return(repo, shop)
    browser = staff(web, endpoint, shops=shop)
    for form in ({}, {"csrf": "0" * 40}, {"csrf": staff(web, endpoint, shops=shop).csrf()}):
        refused = browser.post(f"/admin/returns/{ret.rma}/approve", form)
        assert refused["statusCode"] == 403 and header(refused, "X-Error-Code") == "csrf_failed"
    assert repo.get_return(ret.rma)[0].status is S.PENDING_REVIEW
    anonymous = Browser(web).post(f"/admin/returns/{ret.rma}/approve", {"csrf": "x"})
    assert anonymous["statusCode"] == 303 and "/admin/sign-in" in location(anonymous)


def test_support_approves_and_rejects_with_a_reason(
    web: ModuleType, endpoint: TokenEndpoint, repo: Repository, shop: str
) -> None:
    first, second = new_return(repo, shop), new_return(repo, shop)
    browser = staff(web, endpoint, shops=shop, groups=["support"])
    page = browser.get(f"/admin/returns/{first.rma}")["body"]
    assert "Approve</button>" in page and "Reject</button>" in page
    csrf = browser.csrf(f"/admin/returns/{first.rma}")
    done = browser.post(f"/admin/returns/{first.rma}/approve", {"csrf": csrf, "note": "photos fine"})
    assert done["statusCode"] == 303 and location(done) == f"/admin/returns/{first.rma}?done=approved"
    ret, timeline = repo.get_return(first.rma)
    assert ret.status is S.APPROVED and timeline[-1].actor == "staff:alice"
    missing = browser.post(f"/admin/returns/{second.rma}/reject", {"csrf": csrf, "reason": ""})
    assert missing["statusCode"] == 422 and 'aria-describedby="reason-error"' in missing["body"]
    done = browser.post(f"/admin/returns/{second.rma}/reject", {"csrf": csrf, "reason": "Worn and washed."})
    assert done["statusCode"] == 303 and repo.get_return(second.rma)[0].status is S.REJECTED
    again = browser.post(f"/admin/returns/{second.rma}/approve", {"csrf": csrf})
    assert again["statusCode"] == 409 and 'role="alert"' in again["body"]  # no longer waiting: refused


def test_the_groups_decide_which_actions_show_and_work(
    web: ModuleType, endpoint: TokenEndpoint, repo: Repository, shop: str
) -> None:
    ret = new_return(repo, shop)
    browser = staff(web, endpoint, shops=shop, groups=["warehouse"])
    page = browser.get(f"/admin/returns/{ret.rma}")["body"]
    assert "Approve</button>" not in page and ">Warehouse</a>" in page
    refused = browser.post(f"/admin/returns/{ret.rma}/approve", {"csrf": browser.csrf()})
    assert refused["statusCode"] == 403 and header(refused, "X-Error-Code") == "forbidden_group"
    support = staff(web, endpoint, shops=shop, groups=["support"])
    assert ">Warehouse</a>" not in support.get("/admin")["body"]
    assert support.get("/admin/warehouse")["statusCode"] == 403


def test_customer_text_is_escaped_and_hidden_characters_are_shown(
    web: ModuleType, endpoint: TokenEndpoint, repo: Repository, shop: str
) -> None:
    ret = new_return(repo, shop)
    note = "<img src=x onerror=alert(1)>\u202egpj.exe"
    items = [item.model_copy(update={"note": note}) for item in ret.items]
    from boomerang.store.records import ReturnChange

    changed = ret.model_copy(update={"items": items, "version": ret.version + 1})
    repo.save(ReturnChange(changed, ret.version, [], []))
    page = staff(web, endpoint, shops=shop).get(f"/admin/returns/{ret.rma}")["body"]
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "\u202e" not in page and "U+202E" in page


def test_warehouse_scans_a_parcel_and_grades_its_items(
    web: ModuleType, endpoint: TokenEndpoint, admin: ModuleType, repo: Repository, shop: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(admin.workflow, "engine", RecordingEngine())
    ret = on_its_way(admin, repo, shop, lines=2)
    browser = staff(web, endpoint, shops=shop, groups=["warehouse"])
    screen = browser.get(f"/admin/warehouse?hub={US_HUB}")["body"]
    assert re.search(r'id="code"[^>]*autofocus', screen)
    csrf = browser.csrf(f"/admin/warehouse?hub={US_HUB}")
    bad = browser.post("/admin/warehouse/scans", {"csrf": csrf, "hub": US_HUB, "code": "K7Q-4M2-XAB"})
    assert bad["statusCode"] == 422 and 'aria-describedby="code-error"' in bad["body"]
    elsewhere = browser.post("/admin/warehouse/scans", {"csrf": csrf, "hub": "eu-pl", "code": ret.rma})
    assert elsewhere["statusCode"] == 409 and "set it aside" in elsewhere["body"]  # the wrong hub
    scanned = browser.post("/admin/warehouse/scans", {"csrf": csrf, "hub": US_HUB, "code": ret.rma.lower()})
    assert scanned["statusCode"] == 303, scanned["body"]
    assert location(scanned) == f"/admin/warehouse/returns/{ret.rma}?hub={US_HUB}"
    assert repo.get_return(ret.rma)[0].status is S.RECEIVED
    again = browser.post("/admin/warehouse/scans", {"csrf": csrf, "hub": US_HUB, "code": ret.rma})
    assert again["statusCode"] == 303 and location(again) == location(scanned)  # a second scan opens it
    grading = browser.get(location(scanned))["body"]
    assert re.search(r'id="grade_L1"[^>]*autofocus', grading)
    one_grade = {"csrf": csrf, "hub": US_HUB, "grade_L1": "resellable"}
    partial = browser.post(f"/admin/returns/{ret.rma}/inspection", one_grade)
    assert partial["statusCode"] == 422 and repo.get_return(ret.rma)[0].status is S.RECEIVED
    graded = browser.post(
        f"/admin/returns/{ret.rma}/inspection",
        {"csrf": csrf, "hub": US_HUB, "grade_L1": "resellable", "grade_L2": "scrap", "notes_L2": "torn"},
    )
    assert graded["statusCode"] == 303 and location(graded) == f"/admin/warehouse?hub={US_HUB}&done={ret.rma}"
    inspected = repo.get_return(ret.rma)[0]
    assert inspected.inspection is not None
    assert [i.grade.value for i in inspected.inspection.items] == ["resellable", "scrap"]
    assert inspected.inspection.inspected_by == "staff:alice"
