"""How routers reach their function's dependencies (boomerang.api.dependencies), and the one staff
dependency every staff route takes (boomerang.api.staff.access)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from aws_lambda_powertools.event_handler.request import Request

from boomerang.api.dependencies import Installed
from boomerang.api.staff.access import StaffAccess, staff_access
from boomerang.api.staff.deps import StaffDeps
from boomerang.api.storefront.deps import StorefrontDeps
from boomerang.api.tickets.deps import TicketsDeps
from boomerang.auth.staff import StaffMember
from boomerang.domain.errors import NotFound, Unauthorized


def _complete(protocol: type[Any]) -> SimpleNamespace:
    names = set(protocol.__annotations__) | {
        "clock",
        "evidence_service",
        "shipments",
        "link_key",
        "tracking_link",
    }
    return SimpleNamespace(**{name: object() for name in names})


@pytest.mark.parametrize("protocol", [StorefrontDeps, StaffDeps, TicketsDeps])
def test_a_handler_that_built_everything_installs(protocol: type[Any]) -> None:
    deps: Installed[Any] = Installed(protocol)
    with pytest.raises(RuntimeError, match="installs them at cold start"):
        deps()
    built = _complete(protocol)
    deps.install(built)
    assert deps() is built


def test_a_handler_missing_a_dependency_fails_at_cold_start_naming_it() -> None:
    deps: Installed[Any] = Installed(StorefrontDeps)
    built = _complete(StorefrontDeps)
    del built.labels, built.clock
    with pytest.raises(TypeError, match="lacks clock, labels"):
        deps.install(built)


def test_a_swapped_attribute_reaches_the_routes() -> None:
    """Routes read the installed object per request: what a test or the local stack swaps on the
    handler module is what the next request uses."""
    deps: Installed[Any] = Installed(TicketsDeps)
    built = _complete(TicketsDeps)
    deps.install(built)
    built.service = swapped = object()
    assert deps().service is swapped


def _request(context: dict[str, Any]) -> Request:
    return Request("/admin/v1/returns", {}, current_event=None, context=context)  # type: ignore[arg-type]


def test_staff_access_is_the_member_the_handler_authorized() -> None:
    member = StaffMember(username="carol", groups=frozenset({"support"}), shops=frozenset({"demo-shop"}))
    access = staff_access(_request({"staff": member}))
    assert access == StaffAccess(member)
    assert access.actor == "staff:carol"
    assert access.reach("demo-shop") == "demo-shop"
    # Another shop's things answer as ones that do not exist, each with its own 404.
    for reach, code in (
        (access.reach, "shop_not_found"),
        (access.reach_return, "return_not_found"),
        (access.reach_ticket, "ticket_not_found"),
    ):
        with pytest.raises(NotFound) as refused:
            reach("other-shop")
        assert refused.value.code == code


def test_staff_access_without_a_member_is_unauthenticated() -> None:
    with pytest.raises(Unauthorized) as refused:
        staff_access(_request({}))
    assert refused.value.code == "unauthenticated"
