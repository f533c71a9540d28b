"""Staff identity from the Cognito authorizer's claims, and which groups may use which admin route."""

from __future__ import annotations

from typing import Any

import pytest

from boomerang.api.routes import ADMIN_ROUTES, STOREFRONT_ROUTES, route_template
from boomerang.auth.staff import (
    ADMIN_PERMISSIONS,
    STAFF_GROUPS,
    StaffMember,
    authorize,
    member_from_claims,
    parse_groups,
    parse_shops,
    require,
)
from boomerang.domain.errors import Forbidden, Unauthorized


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("admin", {"admin"}),
        ("support,warehouse", {"support", "warehouse"}),
        ("support, warehouse", {"support", "warehouse"}),
        ("[support warehouse]", {"support", "warehouse"}),
        ("[support, warehouse]", {"support", "warehouse"}),
        ("[admin]", {"admin"}),
        ('["support","finance"]', {"support", "finance"}),
        (["support", "finance"], {"support", "finance"}),
        (("admin",), {"admin"}),
        ("  warehouse  ", {"warehouse"}),
        ("[support warehouse", {"support", "warehouse"}),
        ("", set()),
        ("[]", set()),
        ("  ", set()),
        (None, set()),
        (42, set()),
        ({"admin": True}, set()),
        (["admin", 7, None], {"admin"}),
    ],
)
def test_groups_however_api_gateway_serializes_them(raw: Any, expected: set[str]) -> None:
    assert parse_groups(raw) == frozenset(expected)


def test_a_group_name_is_matched_whole() -> None:
    member = StaffMember("eve", parse_groups("administrators,supporter"))
    with pytest.raises(Forbidden):
        require(member, {"admin", "support"})


def test_member_from_claims_uses_the_username_and_records_staff_actor() -> None:
    member = member_from_claims(
        {"cognito:username": "alice", "sub": "uuid-1", "cognito:groups": "support", "email": "a@x.com"}
    )
    assert member == StaffMember("alice", frozenset({"support"}))  # and no shop at all
    assert member.actor == "staff:alice"


@pytest.mark.parametrize(
    ("claims", "username"),
    [
        ({"sub": "3f1c2d9e-0b7a"}, "3f1c2d9e-0b7a"),
        ({"username": "bob", "sub": "s"}, "bob"),  # an access token's claim
        ({"cognito:username": "erin@example.com", "sub": "s-1"}, "s-1"),  # never an email
        ({"cognito:username": "  ", "sub": "s-2"}, "s-2"),
    ],
)
def test_username_falls_back_to_sub_and_is_never_an_email(claims: dict[str, Any], username: str) -> None:
    assert member_from_claims(claims).username == username


@pytest.mark.parametrize(
    "claims",
    [None, {}, {"email": "erin@example.com"}, {"cognito:username": "x@y.z"}, {"sub": 12}, {"aud": "c"}],
)
def test_no_usable_identity_is_unauthenticated(claims: dict[str, Any] | None) -> None:
    with pytest.raises(Unauthorized) as raised:
        member_from_claims(claims)
    assert raised.value.code == "unauthenticated"
    assert raised.value.http_status == 401


def test_a_very_long_username_is_cut() -> None:
    assert len(member_from_claims({"cognito:username": "u" * 500}).username) == 128


def test_require_names_the_groups_that_may() -> None:
    member = StaffMember("wes", frozenset({"warehouse"}))
    with pytest.raises(Forbidden) as raised:
        require(member, {"admin", "support"})
    assert raised.value.code == "forbidden_group"
    assert raised.value.http_status == 403
    assert raised.value.message == "Only the staff groups support, admin may do this."
    assert raised.value.details == [{"allowed_groups": ["support", "admin"]}]
    assert require(member, {"warehouse", "admin"}) is member


def test_no_group_may_nothing() -> None:
    with pytest.raises(Forbidden):
        require(StaffMember("x", frozenset()), STAFF_GROUPS)


def test_permissions_cover_exactly_the_admin_routes() -> None:
    assert set(ADMIN_PERMISSIONS) == set(ADMIN_ROUTES)
    assert not set(ADMIN_ROUTES) & set(STOREFRONT_ROUTES)
    for route, groups in ADMIN_PERMISSIONS.items():
        assert groups and groups <= set(STAFF_GROUPS), route
        assert "admin" in groups, route


EXPECTED = {
    ("GET", "/admin/v1/returns"): {"support", "warehouse", "finance", "admin"},
    ("GET", "/admin/v1/returns/{rma}"): {"support", "warehouse", "finance", "admin"},
    ("POST", "/admin/v1/returns/{rma}/approve"): {"support", "admin"},
    ("POST", "/admin/v1/returns/{rma}/reject"): {"support", "admin"},
    ("POST", "/admin/v1/warehouse/scans"): {"warehouse", "admin"},
    ("POST", "/admin/v1/returns/{rma}/inspection"): {"warehouse", "admin"},
}


@pytest.mark.parametrize("route", sorted(EXPECTED))
@pytest.mark.parametrize("group", STAFF_GROUPS)
def test_who_may_call_what(route: tuple[str, str], group: str) -> None:
    method, template = route
    path = template.replace("{rma}", "K7Q-4M2-XAC")
    claims = {"cognito:username": "u", "cognito:groups": group}
    if group in EXPECTED[route]:
        assert authorize(claims, method, route_template(ADMIN_ROUTES, method, path)).username == "u"
    else:
        with pytest.raises(Forbidden):
            authorize(claims, method, route_template(ADMIN_ROUTES, method, path))


def test_authorize_checks_identity_first_and_denies_unknown_routes() -> None:
    with pytest.raises(Unauthorized):
        authorize(None, "GET", "/admin/v1/returns")
    with pytest.raises(Forbidden):
        authorize({"cognito:username": "u", "cognito:groups": "admin"}, "DELETE", "/admin/v1/returns")
    # No route matched: the handler answers 404 itself.
    assert authorize({"cognito:username": "u"}, "GET", None).username == "u"


@pytest.mark.parametrize(
    ("method", "path", "template"),
    [
        ("GET", "/admin/v1/returns", "/admin/v1/returns"),
        ("GET", "/admin/v1/returns/K7Q-4M2-XAC", "/admin/v1/returns/{rma}"),
        ("get", "/admin/v1/returns/k7q4m2xac", "/admin/v1/returns/{rma}"),
        ("POST", "/admin/v1/returns/K7Q-4M2-XAC/approve", "/admin/v1/returns/{rma}/approve"),
        ("POST", "/admin/v1/warehouse/scans", "/admin/v1/warehouse/scans"),
        ("GET", "/admin/v1/returns/", None),
        ("GET", "/admin/v1/returns/a/b", None),
        ("POST", "/admin/v1/returns", None),
        ("GET", "/admin/v1/returnsX", None),
        ("POST", "/admin/v1/returns/X/approve/", None),
        ("GET", "/v1/returns/K7Q-4M2-XAC", None),
    ],
)
def test_route_template(method: str, path: str, template: str | None) -> None:
    assert route_template(ADMIN_ROUTES, method, path) == template


@pytest.mark.parametrize(
    ("claim", "groups", "shops", "everywhere"),
    [
        ("acme", "support", {"acme"}, False),
        ("acme, brand-b ,", "support", {"acme", "brand-b"}, False),
        ("*", "admin", set(), True),
        ("acme,*", "admin", {"acme"}, True),
        (None, "support,shop:acme,shop:brand-b", {"acme", "brand-b"}, False),
        ("acme", "[support shop:brand-b]", {"acme", "brand-b"}, False),
        (None, "support", set(), False),  # no attribute and no shop group: no shop
        ("", "support", set(), False),
        (None, "admin,shop:*", set(), False),  # only the attribute says "every shop"
    ],
)
def test_the_shops_a_member_works_for(claim: Any, groups: str, shops: set[str], everywhere: bool) -> None:
    claims = {"cognito:username": "sam", "cognito:groups": groups}
    if claim is not None:
        claims["custom:shops"] = claim
    member = member_from_claims(claims)
    assert (member.shops, member.all_shops) == (frozenset(shops), everywhere)
    assert member.works_for("acme") is (everywhere or "acme" in shops)
    assert member.works_for("elsewhere") is everywhere
    assert parse_shops(claim, parse_groups(groups)) == (frozenset(shops), everywhere)
