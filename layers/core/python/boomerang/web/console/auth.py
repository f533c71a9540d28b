"""Staff sign-in for the console: the ID token from Cognito verified against the user pool's keys,
and the console's own session cookie made from its claims.

    hosted UI (authorization code + PKCE) -> /admin/callback?code -> token endpoint -> ID token
    local sign-in (make local only) -> AdminInitiateAuth on the local pool -> ID token
    ID token -> verified (signature by the pool's JWKS, issuer, audience, token_use, expiry)
             -> StaffMember (boomerang.auth.staff, the same claims the staff API reads)
             -> session cookie: the member and an expiry, signed with HMAC-SHA256

The cookie holds no token and no email: only the username, groups and shops it was made from. It is
HttpOnly, Secure, SameSite=Lax and scoped to /admin; every POST also carries a CSRF token bound to
the session (a page from another site cannot read the cookie, so cannot make the token).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from boomerang.auth.staff import StaffMember, member_from_claims
from boomerang.domain.errors import Unauthorized

SESSION_COOKIE = "boomerang_staff"
PKCE_COOKIE = "boomerang_staff_pkce"
MAX_SESSION_SECONDS = 12 * 3600  # never longer than a working day, whatever the token says
CLOCK_SKEW_SECONDS = 60
JWKS_REFRESH_SECONDS = 300
Fetch = Callable[[str], dict[str, Any]]  # URL -> parsed JSON


class InvalidToken(Unauthorized):
    def __init__(self, why: str):
        super().__init__(f"The sign-in token was refused: {why}.", code="invalid_token")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# RS256 is RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 3.3). Verified as RFC 8017 8.2.2 says: encode the
# expected message and compare it whole with the signature's (no parsing of what the signature holds).
_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


def rs256_valid(jwk: Mapping[str, Any], signing_input: bytes, signature: bytes) -> bool:
    try:
        n = int.from_bytes(_unb64(str(jwk["n"])), "big")
        e = int.from_bytes(_unb64(str(jwk["e"])), "big")
    except (KeyError, ValueError):
        return False
    size = (n.bit_length() + 7) // 8
    if n.bit_length() < 2048 or len(signature) != size:
        return False
    s = int.from_bytes(signature, "big")
    if s >= n:
        return False
    decoded = pow(s, e, n).to_bytes(size, "big")
    digest = _SHA256_DIGEST_INFO + hashlib.sha256(signing_input).digest()
    expected = b"\x00\x01" + b"\xff" * (size - len(digest) - 3) + b"\x00" + digest
    return hmac.compare_digest(decoded, expected)


class IdTokenVerifier:
    """Checks a Cognito ID token as API Gateway's Cognito authorizer does: RS256 signature by a key
    of the pool's JWKS (fetched once, and again for an unknown key id), issuer, audience (the
    console's app client), token_use "id", and expiry."""

    def __init__(self, issuer: str, audience: str, jwks_url: str, fetch: Fetch):
        self.issuer, self.audience, self.jwks_url, self.fetch = issuer, audience, jwks_url, fetch
        self._keys: dict[str, Mapping[str, Any]] | None = None
        self._fetched_at = 0.0

    def _key_set(self, refresh: bool = False) -> dict[str, Mapping[str, Any]]:
        # Read again for an unknown key id (the pool rotated its keys), but at most every few
        # minutes: tokens naming made-up key ids cannot turn each request into a fetch.
        stale = refresh and time.monotonic() - self._fetched_at > JWKS_REFRESH_SECONDS
        if self._keys is None or stale:
            try:
                found = self.fetch(self.jwks_url).get("keys")
            except Exception as exc:  # the pool's keys unreadable: nobody signs in, nothing breaks
                raise InvalidToken("the user pool's keys could not be read") from exc
            self._fetched_at = time.monotonic()
            self._keys = {
                str(k["kid"]): k
                for k in (found if isinstance(found, list) else [])
                if isinstance(k, dict) and k.get("kty") == "RSA" and "kid" in k
            }
        return self._keys

    def claims(self, token: str, now: float | None = None) -> dict[str, Any]:
        parts = (token or "").split(".")
        if len(parts) != 3:
            raise InvalidToken("not a JWT")
        try:
            header = json.loads(_unb64(parts[0]))
            payload = json.loads(_unb64(parts[1]))
            signature = _unb64(parts[2])
        except ValueError as exc:
            raise InvalidToken("unreadable") from exc
        if not isinstance(header, dict) or not isinstance(payload, dict):
            raise InvalidToken("unreadable")
        if header.get("alg") != "RS256":  # never "none", never a symmetric algorithm
            raise InvalidToken("algorithm")
        kid = str(header.get("kid"))
        key = self._key_set().get(kid) or self._key_set(refresh=True).get(kid)  # the pool rotated
        if key is None or not rs256_valid(key, f"{parts[0]}.{parts[1]}".encode(), signature):
            raise InvalidToken("signature")
        data: dict[str, Any] = payload
        at = time.time() if now is None else now
        if data.get("iss") != self.issuer:
            raise InvalidToken("issuer")
        if data.get("aud") != self.audience:
            raise InvalidToken("audience")
        if data.get("token_use") != "id":
            raise InvalidToken("not an ID token")
        exp = data.get("exp")
        if not isinstance(exp, int) or isinstance(exp, bool) or exp + CLOCK_SKEW_SECONDS < at:
            raise InvalidToken("expired")
        return data

    def member(self, token: str, now: float | None = None) -> tuple[StaffMember, int]:
        """The staff member the token names and when the token expires (epoch seconds)."""
        data = self.claims(token, now)
        claims = {k: (" ".join(v) if isinstance(v, list) else v) for k, v in data.items()}
        return member_from_claims(claims), int(data["exp"])


@dataclass(frozen=True)
class StaffSession:
    member: StaffMember
    expires: int  # epoch seconds
    nonce: str  # per sign-in: the CSRF token is bound to it

    def csrf(self, key: bytes) -> str:
        return hmac.new(key, f"csrf:{self.nonce}".encode(), hashlib.sha256).hexdigest()[:40]

    def csrf_holds(self, key: bytes, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(self.csrf(key), str(given))


def _sign(key: bytes, payload: dict[str, Any]) -> str:
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    mac = _b64(hmac.new(key, f"staff-session:{body}".encode(), hashlib.sha256).digest())
    return f"{body}.{mac}"


def _unsign(key: bytes, value: str) -> dict[str, Any] | None:
    body, _, mac = value.partition(".")
    wanted = _b64(hmac.new(key, f"staff-session:{body}".encode(), hashlib.sha256).digest())
    if not body or not hmac.compare_digest(wanted, mac):
        return None
    try:
        data = json.loads(_unb64(body))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def make_session(key: bytes, member: StaffMember, token_expires: int, now: float) -> tuple[StaffSession, str]:
    expires = min(int(token_expires), int(now) + MAX_SESSION_SECONDS)
    session = StaffSession(member=member, expires=expires, nonce=secrets.token_urlsafe(16))
    payload = {
        "u": member.username,
        "g": sorted(member.groups),
        "s": sorted(member.shops),
        "a": member.all_shops,
        "x": expires,
        "n": session.nonce,
    }
    return session, _sign(key, payload)


def read_session(key: bytes, value: str | None, now: float) -> StaffSession | None:
    """The session in a cookie value, or None: missing, forged, altered or expired."""
    data = _unsign(key, value or "")
    if data is None:
        return None
    try:
        expires = int(data["x"])
        member = StaffMember(
            username=str(data["u"]),
            groups=frozenset(str(g) for g in data["g"]),
            shops=frozenset(str(s) for s in data["s"]),
            all_shops=bool(data["a"]),
        )
        nonce = str(data["n"])
    except (KeyError, TypeError, ValueError):
        return None
    if expires <= now:
        return None
    return StaffSession(member=member, expires=expires, nonce=nonce)


# The hosted UI's authorization code flow with PKCE (RFC 7636): the verifier and the state wait in a
# short-lived signed cookie between the redirect to Cognito and the callback.
PKCE_SECONDS = 600


def start_pkce(key: bytes, now: float, back_to: str = "") -> tuple[str, str, str]:
    """(state, code_challenge, cookie value)."""
    verifier = secrets.token_urlsafe(48)
    state = secrets.token_urlsafe(16)
    challenge = _b64(hashlib.sha256(verifier.encode()).digest())
    cookie = _sign(key, {"v": verifier, "st": state, "x": int(now) + PKCE_SECONDS, "b": back_to})
    return state, challenge, cookie


def finish_pkce(key: bytes, cookie: str | None, state: str | None, now: float) -> tuple[str, str]:
    """The code verifier and where to go after, if the callback's state is the one this browser
    started with; else Unauthorized (a forged or replayed callback)."""
    data = _unsign(key, cookie or "")
    if not data or not state or not hmac.compare_digest(str(data.get("st", "")), state):
        raise Unauthorized("The sign-in was not started here. Sign in again.", code="sign_in_state")
    if int(data.get("x", 0)) < now:
        raise Unauthorized("The sign-in took too long. Sign in again.", code="sign_in_expired")
    return str(data["v"]), str(data.get("b") or "")


def authorize_url(domain: str, client_id: str, redirect_uri: str, state: str, challenge: str) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid email profile",
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return f"{domain.rstrip('/')}/oauth2/authorize?{urlencode(query)}"


def exchange_code(
    domain: str, client_id: str, redirect_uri: str, code: str, verifier: str, post: Callable[..., Any]
) -> str:
    """The ID token for an authorization code (the token endpoint, a public client with PKCE)."""
    form = {
        "grant_type": "authorization_code",
        "client_id": client_id,
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    try:
        answer = post(
            f"{domain.rstrip('/')}/oauth2/token",
            data=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=5,
        )
    except Exception as exc:  # no answer from Cognito: nobody is signed in, the page says so
        raise Unauthorized("Cognito did not answer. Sign in again.", code="sign_in_refused") from exc
    if answer.status_code != 200:
        raise Unauthorized("Cognito refused the sign-in code. Sign in again.", code="sign_in_refused")
    token = answer.json().get("id_token")
    if not isinstance(token, str):
        raise Unauthorized("Cognito answered no ID token.", code="sign_in_refused")
    return token
