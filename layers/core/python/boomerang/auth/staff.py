"""Staff: who is calling the admin API (from the Cognito User Pools authorizer's claims), which
Cognito groups may use which admin route, and which shops the caller works for.

A staff member works for the shops named in their `custom:shops` attribute (a comma list,
"acme,brand-b"; `*` for every shop of the deployment) and for each shop of a Cognito group named
`shop:<shop id>`. Without either they reach no shop at all.

API Gateway's REST Cognito authorizer has verified the ID token before the function runs and
passes its claims in `requestContext.authorizer.claims`, every value a string. Pure functions:
no AWS, no Lambda event types.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from boomerang.domain.errors import Forbidden, Unauthorized

SUPPORT = "support"
WAREHOUSE = "warehouse"
FINANCE = "finance"
ADMIN = "admin"
STAFF_GROUPS: tuple[str, ...] = (SUPPORT, WAREHOUSE, FINANCE, ADMIN)
_EVERYONE = frozenset(STAFF_GROUPS)

SHOPS_CLAIM = "custom:shops"  # the user pool's custom attribute `shops`, as the ID token carries it
ALL_SHOPS = "*"  # in SHOPS_CLAIM: every shop of the deployment
SHOP_GROUP_PREFIX = "shop:"  # a Cognito group "shop:acme" works for shop acme

# (method, route in API Gateway's syntax) -> the groups that may call it. Same keys as
# boomerang.api.routes.ADMIN_ROUTES (a unit test keeps them equal).
ADMIN_PERMISSIONS: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/admin/v1/returns"): _EVERYONE,
    ("GET", "/admin/v1/returns/{rma}"): _EVERYONE,
    ("POST", "/admin/v1/returns/{rma}/approve"): frozenset({SUPPORT, ADMIN}),
    ("POST", "/admin/v1/returns/{rma}/reject"): frozenset({SUPPORT, ADMIN}),
    ("POST", "/admin/v1/warehouse/scans"): frozenset({WAREHOUSE, ADMIN}),
    ("POST", "/admin/v1/returns/{rma}/inspection"): frozenset({WAREHOUSE, ADMIN}),
    ("POST", "/admin/v1/returns/{rma}/evidence"): frozenset({WAREHOUSE, ADMIN}),
    ("GET", "/admin/v1/returns/{rma}/evidence"): _EVERYONE,
    ("GET", "/admin/v1/returns/{rma}/evidence/{evidence_id}"): _EVERYONE,
    ("GET", "/admin/v1/customers/{email}/export"): frozenset({SUPPORT, ADMIN}),
    ("POST", "/admin/v1/customers/{email}/erase"): frozenset({ADMIN}),
    ("POST", "/admin/v1/returns/{rma}/refund"): frozenset({FINANCE, ADMIN}),
    ("GET", "/admin/v1/shops/{shop}/policy"): frozenset({ADMIN}),
    ("PATCH", "/admin/v1/shops/{shop}/policy"): frozenset({ADMIN}),
    ("GET", "/admin/v1/shops/{shop}/policy/versions"): frozenset({ADMIN}),
    ("POST", "/admin/v1/shops/{shop}/policy/simulate"): frozenset({ADMIN}),
    ("GET", "/admin/v1/reports/{name}"): _EVERYONE,
    ("GET", "/admin/v1/openapi.json"): _EVERYONE,
}

# Separators seen in `cognito:groups` as API Gateway passes it: "a,b", "[a b]", "a, b", '["a","b"]'.
_SPLIT = re.compile(r"[\s,]+")
_MAX_USERNAME = 128


@dataclass(frozen=True)
class StaffMember:
    username: str
    groups: frozenset[str]
    shops: frozenset[str] = frozenset()  # the shops they work for (none by default)
    all_shops: bool = False  # a deployment-wide member: every shop

    @property
    def actor(self) -> str:
        """How the member appears on a return's timeline and in events: never an email."""
        return f"staff:{self.username}"

    def works_for(self, shop: str) -> bool:
        return self.all_shops or shop in self.shops


def parse_shops(raw: Any, groups: frozenset[str] = frozenset()) -> tuple[frozenset[str], bool]:
    """The shops named by a `custom:shops` claim ("acme,brand-b", "*") and by `shop:<id>` groups,
    and whether `*` (every shop) is among them. Anything that is not text names no shop."""
    attribute = [part.strip() for part in raw.split(",")] if isinstance(raw, str) else []
    # Only the attribute can say "every shop": a group "shop:*" is no shop.
    grouped = [g.removeprefix(SHOP_GROUP_PREFIX) for g in groups if g.startswith(SHOP_GROUP_PREFIX)]
    shops = frozenset(name for name in [*attribute, *grouped] if name and name != ALL_SHOPS)
    return shops, ALL_SHOPS in attribute


def parse_groups(raw: Any) -> frozenset[str]:
    """The group names in a `cognito:groups` claim, however it was serialized.

    API Gateway REST passes the token's array as one string: "admin", "support,warehouse" or
    "[support warehouse]"; a JSON array (as text or as a list) is accepted too. Anything else
    (None, a number, an empty string) is no group at all.
    """
    if raw is None:
        return frozenset()
    if isinstance(raw, list | tuple | set | frozenset):
        items = [str(item) for item in raw if isinstance(item, str)]
        return frozenset(name for item in items for name in _names(item))
    if not isinstance(raw, str):
        return frozenset()
    text = raw.strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            return parse_groups(parsed)
        text = text[1:-1] if text.endswith("]") else text[1:]
    return frozenset(_names(text))


def _names(text: str) -> list[str]:
    return [name.strip("\"'") for name in _SPLIT.split(text) if name.strip("\"'")]


def member_from_claims(claims: Mapping[str, Any] | None) -> StaffMember:
    """The signed-in staff member, or Unauthorized when the request carries no usable identity.

    The username is `cognito:username` (a username, never an email: the pool signs in with an
    email alias, which Cognito refuses as a username) or else the `sub`. A claim that looks like
    an email is not used, so an email can never reach a timeline or a log.
    """
    if not claims:
        raise Unauthorized("Sign in: the admin API needs a staff ID token.", code="unauthenticated")
    username = None
    for name in ("cognito:username", "username", "sub"):
        value = claims.get(name)
        if isinstance(value, str) and value.strip() and "@" not in value:
            username = value.strip()[:_MAX_USERNAME]
            break
    if username is None:
        raise Unauthorized("The sign-in names no staff user.", code="unauthenticated")
    groups = parse_groups(claims.get("cognito:groups"))
    shops, all_shops = parse_shops(claims.get(SHOPS_CLAIM), groups)
    return StaffMember(username=username, groups=groups, shops=shops, all_shops=all_shops)


def require(member: StaffMember, allowed: Iterable[str]) -> StaffMember:
    """The member if they are in one of the allowed groups, else Forbidden naming those groups."""
    permitted = frozenset(allowed)
    if member.groups & permitted:
        return member
    names = ", ".join(group for group in STAFF_GROUPS if group in permitted) or "none"
    raise Forbidden(
        f"Only the staff groups {names} may do this.",
        code="forbidden_group",
        details=[{"allowed_groups": [g for g in STAFF_GROUPS if g in permitted]}],
    )


def authorize(claims: Mapping[str, Any] | None, method: str, route: str | None) -> StaffMember:
    """Who is calling and whether they may call `route` (a template of ADMIN_ROUTES).

    A route outside the table gets no permission check here: the handler answers it 404.
    """
    member = member_from_claims(claims)
    if route is None:
        return member
    allowed = ADMIN_PERMISSIONS.get((method.upper(), route))
    return require(member, allowed or frozenset())
