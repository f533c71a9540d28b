"""The tickets inbox: a queue per shop, group and status; a ticket with its category, language,
messages and suggested reply; reply, assign and merge, through the same TicketService as the tickets
API's staff routes (never the API over HTTP), with their permissions (TICKET_ADMIN_PERMISSIONS).

    GET  /admin/tickets?shop=&group=&status=
    GET  /admin/tickets/{ticket_id}
    POST /admin/tickets/{ticket_id}/replies | /assign | /merge
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import ValidationError

from boomerang.api.routes import TICKET_ADMIN_PERMISSIONS
from boomerang.api.ticket_schemas import AssignIn, MergeIn, ReplyIn
from boomerang.auth.staff import StaffMember
from boomerang.domain.errors import DomainError, Forbidden, NotFound
from boomerang.domain.tickets import Group, TicketStatus
from boomerang.web import pages
from boomerang.web.console import pages as console
from boomerang.web.console.pages import N_
from boomerang.web.deps import deps

router = Router()  # type: ignore[no-untyped-call]
LIST = ("GET", "/admin/v1/tickets")
REPLY = ("POST", "/admin/v1/tickets/{ticket_id}/replies")
ASSIGN = ("POST", "/admin/v1/tickets/{ticket_id}/assign")
MERGE = ("POST", "/admin/v1/tickets/{ticket_id}/merge")


def may(member: StaffMember, route: tuple[str, str]) -> bool:
    return bool(member.groups & TICKET_ADMIN_PERMISSIONS.get(route, frozenset()))


def _require(member: StaffMember, route: tuple[str, str]) -> None:
    if not may(member, route):
        raise Forbidden("Your staff groups may not do this.", code="forbidden_group")


def _reached(member: StaffMember, ticket_id: str) -> Any:
    d = deps()
    ticket = d.console.tickets.ticket(ticket_id[:64])
    console.reach(member, ticket.shop, code="ticket_not_found")
    d.logger.append_keys(ticket_id=ticket.ticket_id, shop=ticket.shop)
    return ticket


@router.get("/admin/tickets")
def get_inbox() -> Response[str]:
    found = console.signed_in(router)
    if isinstance(found, Response):
        return found
    member = found.member
    _require(member, LIST)
    query = pages.query(router)
    group = query.get("group", "support")
    status = query.get("status", "open")
    if group not in {g.value for g in Group}:
        group = "support"
    if status not in {s.value for s in TicketStatus}:
        status = "open"
    shops = console.shops_of(member)
    shop = query.get("shop", "")
    if shop:
        console.reach(member, shop, code="shop_not_found")
        shops = [shop]
    rows: list[Any] = []
    for one in shops:
        rows.extend(deps().console.tickets.queue(one, Group(group), TicketStatus(status), 50, None).items)
    page = console.page_of(router, found, "tickets")
    return console.html(
        page, "tickets.html", rows=rows, shops=console.shops_of(member), shop=shop, group=group,
        wanted=status, groups=[g.value for g in Group], statuses=[s.value for s in TicketStatus],
    )  # fmt: skip


def ticket_page(
    found: Any, ticket_id: str, status: int = 200, errors: dict[str, str] | None = None
) -> Response[str]:
    d = deps()
    _reached(found.member, ticket_id)
    view = d.console.tickets.staff_view(ticket_id)
    page = console.page_of(router, found, "tickets")
    return console.html(
        page, "ticket.html", status=status, view=view, t=view.ticket, errors=errors or {},
        notice=pages.query(router).get("done", ""), groups=[g.value for g in Group],
        can_reply=may(found.member, REPLY), can_assign=may(found.member, ASSIGN),
        can_merge=may(found.member, MERGE),
    )  # fmt: skip


@router.get("/admin/tickets/<ticket_id>")
def get_ticket(ticket_id: str) -> Response[str]:
    found = console.signed_in(router)
    if isinstance(found, Response):
        return found
    _require(found.member, LIST)
    return ticket_page(found, ticket_id)


def _act(ticket_id: str, route: tuple[str, str], field: str, act: Any) -> Response[str]:
    done = console.posted(router)
    if isinstance(done, Response):
        return done
    found, sent = done
    _require(found.member, route)
    ticket = _reached(found.member, ticket_id)
    try:
        act(ticket, found.member, sent)
    except ValidationError:
        return ticket_page(
            found, ticket_id, 422, {field: N_("Fill this in (plain text, within its length).")}
        )
    except DomainError as exc:
        if isinstance(exc, NotFound) and field != "into":
            raise
        deps().logger.info("ticket action refused", extra={"code": exc.code})
        return ticket_page(found, ticket_id, exc.http_status, {field: exc.message})
    what = route[1].rsplit("/", 1)[1]
    return pages.redirect(f"{pages.base_path(router)}{console.ROOT}/tickets/{ticket.ticket_id}?done={what}")


@router.post("/admin/tickets/<ticket_id>/replies")
def post_reply(ticket_id: str) -> Response[str]:
    def reply(ticket: Any, member: StaffMember, sent: dict[str, str]) -> None:
        body = ReplyIn.model_validate({"message": sent.get("message", "")})
        deps().console.tickets.reply(ticket.ticket_id, member.actor, body.message, None)

    return _act(ticket_id, REPLY, "message", reply)


@router.post("/admin/tickets/<ticket_id>/assign")
def post_assign(ticket_id: str) -> Response[str]:
    def assign(ticket: Any, member: StaffMember, sent: dict[str, str]) -> None:
        body = AssignIn.model_validate(
            {"assignee": sent.get("assignee", "").strip() or None, "group": sent.get("group") or None}
        )
        group = Group(body.group) if body.group else None
        deps().console.tickets.assign(ticket.ticket_id, member.actor, body.assignee, group)

    return _act(ticket_id, ASSIGN, "assignee", assign)


@router.post("/admin/tickets/<ticket_id>/merge")
def post_merge(ticket_id: str) -> Response[str]:
    def merge(ticket: Any, member: StaffMember, sent: dict[str, str]) -> None:
        body = MergeIn.model_validate({"into": sent.get("into", "").strip()})
        _reached(member, body.into)  # another shop's ticket is no ticket to merge into
        deps().console.tickets.merge(ticket.ticket_id, body.into, member.actor)

    return _act(ticket_id, MERGE, "into", merge)
