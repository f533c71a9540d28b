"""A customer's page (their returns; GDPR export and erase) and the policy editor (simulate, then
save), over the same services as the staff API's privacy and policy routes, with their permissions.

    GET  /admin/customers                       the form: shop and email
    POST /admin/customers                       their returns (POST: an email stays out of URLs and logs)
    POST /admin/customers/export                everything held about them, a JSON download (support, admin)
    POST /admin/customers/erase                 erased, after a confirmation (admin)
    GET  /admin/policy?shop=                    the shop's policy document and version (admin)
    POST /admin/policy                          action=simulate: the draft replayed on recent returns;
                                                action=save: saved under the version it was made from
                                                (another version saved meanwhile: 412, nothing saved)
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from boomerang.api.staff.customers import EMAIL_SHAPE
from boomerang.domain.errors import DomainError, NotFound
from boomerang.services.customers import customer_ref
from boomerang.services.privacy import Subject
from boomerang.web import pages
from boomerang.web.console import pages as console
from boomerang.web.console.pages import N_
from boomerang.web.deps import deps

router = Router()  # type: ignore[no-untyped-call]
EXPORT = ("GET", "/admin/v1/customers/{email}/export")
ERASE = ("POST", "/admin/v1/customers/{email}/erase")
POLICY = ("PATCH", "/admin/v1/shops/{shop}/policy")
SIMULATION_DAYS = 30


def _customer_page(
    found: Any, shop: str = "", email: str = "", status: int = 200, **values: Any
) -> Response[str]:
    page = console.page_of(router, found, "customers")
    returns: list[Any] = []
    if shop and email:
        ref = customer_ref(shop, email)
        returns = deps().repo.returns_of_customer_since(shop, ref, datetime(2000, 1, 1, tzinfo=UTC)).items
    return console.html(
        page, "customer.html", status=status, shops=console.shops_of(found.member), shop=shop, email=email,
        returns=returns, export=page.may(*EXPORT), erase=page.may(*ERASE), **values,
    )  # fmt: skip


def _subject(found: Any, sent: dict[str, str]) -> Subject | str:
    shop, email = sent.get("shop", "").strip()[:128], sent.get("email", "").strip()[:254]
    if not EMAIL_SHAPE.fullmatch(email):
        return N_("Not an email address.")
    console.reach(found.member, shop, code="shop_not_found")
    return Subject(shop, email)


@router.get("/admin/customers")
def get_customers() -> Response[str]:
    found = console.signed_in(router)
    if isinstance(found, Response):
        return found
    return _customer_page(found)


@router.post("/admin/customers")
def post_customers() -> Response[str]:
    done = console.posted(router)
    if isinstance(done, Response):
        return done
    found, sent = done
    subject = _subject(found, sent)
    if isinstance(subject, str):
        return _customer_page(found, sent.get("shop", ""), "", 422, error=subject)
    return _customer_page(found, subject.shop, subject.email)


@router.post("/admin/customers/export")
def post_export() -> Response[str]:
    done = console.posted(router)
    if isinstance(done, Response):
        return done
    found, sent = done
    console.require_group(found.member, *EXPORT)
    subject = _subject(found, sent)
    if isinstance(subject, str):
        return _customer_page(found, sent.get("shop", ""), "", 422, error=subject)
    d = deps()
    data = d.console.privacy.export(subject)
    d.logger.info("customer data exported in the console", extra={"shop": subject.shop})  # never the email
    name = f"customer-{customer_ref(subject.shop, subject.email)}.json"
    return Response(
        status_code=200,
        content_type="application/json",
        body=json.dumps(data, ensure_ascii=False, indent=2, default=str),
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/admin/customers/erase")
def post_erase() -> Response[str]:
    done = console.posted(router)
    if isinstance(done, Response):
        return done
    found, sent = done
    console.require_group(found.member, *ERASE)
    subject = _subject(found, sent)
    if isinstance(subject, str):
        return _customer_page(found, sent.get("shop", ""), "", 422, error=subject)
    if sent.get("confirm") != "yes":
        return _customer_page(
            found, subject.shop, subject.email, 422, erase_error=N_("Tick the box to confirm.")
        )
    d = deps()
    erased = d.console.privacy.erase(subject)
    d.logger.info("customer data erased in the console", extra={"shop": subject.shop})
    return _customer_page(found, subject.shop, "", erased=erased)


def _policy_page(found: Any, shop: str, status: int = 200, **values: Any) -> Response[str]:
    d = deps()
    current = d.console.policy_admin.current(shop)
    page = console.page_of(router, found, "policy")
    values.setdefault("draft", json.dumps(current.document, indent=2, ensure_ascii=False))
    values.setdefault("based_on", current.etag)
    return console.html(page, "policy.html", status=status, shop=shop, current=current, **values)


def _policy_shop(found: Any, shop: str) -> str:
    console.require_group(found.member, *POLICY)
    console.reach(found.member, shop, code="shop_not_found")
    if not deps().console.shops.exists(shop):
        raise NotFound("No such shop.", code="shop_not_found")
    return shop


@router.get("/admin/policy")
def get_policy() -> Response[str]:
    found = console.signed_in(router)
    if isinstance(found, Response):
        return found
    shop = pages.query(router).get("shop", "") or next(iter(console.shops_of(found.member)), "")
    return _policy_page(found, _policy_shop(found, shop))


@router.post("/admin/policy")
def post_policy() -> Response[str]:
    done = console.posted(router)
    if isinstance(done, Response):
        return done
    found, sent = done
    d = deps()
    shop = _policy_shop(found, sent.get("shop", ""))
    draft, based_on = sent.get("draft", ""), sent.get("based_on", "")
    try:
        patch = json.loads(draft)
        if not isinstance(patch, dict):
            raise ValueError("not an object")
    except ValueError:
        return _policy_page(found, shop, 422, draft=draft, based_on=based_on, error=N_("Not a JSON object."))
    now = d.clock()
    try:
        if sent.get("action") == "save":
            saved = d.console.policy_admin.update(shop, patch, based_on, found.member.actor, now)
            d.logger.info("policy saved in the console", extra={"version": saved.version})
            return _policy_page(found, shop, saved_version=saved.version)
        report = d.console.policy_admin.simulate(shop, patch, SIMULATION_DAYS, now)
    except DomainError as exc:
        d.logger.info("policy change refused", extra={"code": exc.code})
        return _policy_page(
            found, shop, exc.http_status, draft=draft, based_on=based_on, error=exc.message,
            details=exc.details or [],
        )  # fmt: skip
    return _policy_page(found, shop, draft=draft, based_on=based_on, simulation=report.document())
