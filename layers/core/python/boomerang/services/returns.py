"""The storefront's use cases: import orders, open customer sessions, check eligibility, and
request, read and cancel returns."""

from __future__ import annotations

import hmac
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from boomerang.auth import customer_tokens
from boomerang.auth.principal import Principal
from boomerang.domain import rma as rma_numbers
from boomerang.domain.catalog import ExchangeOption, Product, options_for
from boomerang.domain.decision import Thresholds, explain
from boomerang.domain.errors import Forbidden, NotFound, StaleVersion
from boomerang.domain.exchanges import catalog_products, choose_replacements, keep_item, out_of_stock
from boomerang.domain.models import (
    Acceptance,
    Address,
    Decision,
    Effect,
    Exchange,
    FiredRule,
    Order,
    Outcome,
    Resolution,
    Return,
    ReturnItem,
    TimelineEntry,
)
from boomerang.domain.money import Money
from boomerang.domain.policy import (
    LineEligibility,
    Policy,
    RequestedItem,
    check_request,
    line_eligibility,
)
from boomerang.domain.routing import choose_hub
from boomerang.domain.status import CANCELLABLE, ReturnStatus, event_type, transition
from boomerang.orchestration.step_functions import WorkflowEngine
from boomerang.services.customers import customer_ref
from boomerang.services.decisions import decide_request, kept_orders, recent_returns
from boomerang.services.policies import PolicySource
from boomerang.services.rates import RatesReader
from boomerang.services.retry import retry_stale
from boomerang.store import keys
from boomerang.store.catalog import CatalogStore, Hold, is_hold
from boomerang.store.rates import RatesStore
from boomerang.store.records import Event, Repository, ReturnChange, RmaTaken, iso, moved
from boomerang.store.sessions import return_stamp_put, stamp_unchanged

_RMA_ATTEMPTS = 3
# A stock hold that raced another request's for the same product is tried again on a fresh read.
_HOLD_ATTEMPTS = 8


class _HoldRaced(Exception):
    """The product's item was written by another request in the same instant: read again."""


@dataclass(frozen=True)
class ReturnRequest:
    order_id: str
    items: list[RequestedItem]
    resolution: Resolution
    notes: dict[str, str]  # line_id -> the customer's note
    locale: str | None  # the language the customer asked in; None: the shop's default
    # The customer's correction of the order's shipping address (personal data): the label's
    # ship-from, and the country the hub is chosen for.
    ship_from: Address | None = None


@dataclass(frozen=True)
class Session:
    token: str
    expires_at: datetime
    order_id: str


def holds_of(exchange: Exchange) -> list[Hold]:
    return [Hold(r.product_id, r.variant_id, r.quantity) for r in exchange.lines]


def _event_data(ret: Return, **more: object) -> dict[str, object]:
    # Ids only: events leave the system, personal data does not.
    return {"rma": ret.rma, "order_id": ret.order_id, "status": ret.status.value, **more}


class ReturnsService:
    def __init__(
        self,
        repo: Repository,
        policy_for: Callable[[str], Policy],
        signing_key: Callable[[], bytes],
        session_ttl: timedelta = timedelta(hours=1),
        engine: WorkflowEngine | None = None,
        rates: RatesReader | None = None,
    ):
        self.repo = repo
        self.policy_for = policy_for
        self.signing_key = signing_key
        self.session_ttl = session_ttl
        self.engine = engine
        self.rates = rates or RatesReader(RatesStore(repo.table, repo.ddb))
        self.catalog = CatalogStore(repo.table, repo.ddb)

    # --- orders and sessions -------------------------------------------------------------------

    def import_order(self, caller: Principal, order: Order) -> Order:
        if caller.is_customer:
            raise Forbidden("Only the storefront's server may import orders.", code="api_key_required")
        if order.shop != caller.shop:
            raise Forbidden("The API key belongs to another shop.", code="wrong_shop")
        return self.repo.upsert_order(order)

    def match_order(self, shop: str, order_number: str, email: str) -> Order:
        """The shop's order with this number, if it was placed with this email (any case)."""
        order = self.repo.find_order_by_number(shop, order_number)
        # A wrong number and a wrong email answer alike, so neither can be probed.
        same_email = order is not None and hmac.compare_digest(
            order.customer_email.strip().lower().encode(), email.strip().lower().encode()
        )
        if order is None or not same_email:
            raise NotFound("No order matches that order number and email.", code="order_not_found")
        return order

    def open_session(self, shop: str, order_number: str, email: str, now: datetime) -> Session:
        order = self.match_order(shop, order_number, email)
        expires = now + self.session_ttl
        claims = customer_tokens.CustomerClaims(
            shop=shop,
            order_id=order.order_id,
            customer_ref=customer_ref(shop, order.customer_email),
            expires_at=expires,
            issued_at=now,
        )
        token = customer_tokens.issue(self.signing_key(), claims)
        return Session(token=token, expires_at=expires, order_id=order.order_id)

    def eligibility(
        self, caller: Principal, order_id: str, now: datetime
    ) -> tuple[Order, list[LineEligibility], Policy]:
        """The order, each line's eligibility, and the policy that judged them (its version)."""
        caller.ensure_order(caller.shop, order_id)
        wanted = [keys.order(caller.shop, order_id)]
        if caller.customer_ref is not None:
            # The customer's sessions' revocation stamp comes along in the same read.
            wanted.extend(self.repo.customer_keys(caller.shop, caller.customer_ref))
        found, policy = self._read_with_policy(caller.shop, wanted)
        order = self.repo.order_in(found, caller.shop, order_id)
        if caller.customer_ref is not None:
            caller.ensure_live(self.repo.customer_in(found, caller.shop, caller.customer_ref).revoked_ms)
        return order, [line_eligibility(policy, order, line, now) for line in order.lines], policy

    def exchange_options(
        self, order: Order, lines: list[LineEligibility], policy: Policy
    ) -> dict[str, list[ExchangeOption]]:
        """Per returnable line that may be exchanged and is in the catalog: its replacements with
        their availability (one BatchGetItem for the lines' products, one Query per category where
        the policy allows other products)."""
        eligible = {e.line_id for e in lines if e.eligible and Resolution.EXCHANGE in e.resolutions}
        linked = [line for line in order.lines if line.line_id in eligible and line.product_id]
        if not linked:
            return {}
        products = self.catalog.many(order.shop, {line.product_id for line in linked if line.product_id})
        by_category: dict[str, list[Product]] = {}
        if policy.exchanges.other_products:
            for category in sorted({line.category for line in linked}):
                by_category[category] = self.catalog.in_category(order.shop, category)
        found: dict[str, list[ExchangeOption]] = {}
        for line in linked:
            own = [products[line.product_id]] if line.product_id in products else []
            others = [p for p in by_category.get(line.category, []) if p.product_id != line.product_id]
            found[line.line_id] = options_for(line, [*own, *others], policy.exchanges.other_products)
        return found

    def _read_with_policy(
        self, shop: str, wanted: list[dict[str, str]]
    ) -> tuple[dict[tuple[str, str], dict[str, Any]], Policy]:
        """The items wanted and the shop's current policy, in one BatchGetItem: the policy's version
        pointer rides along, so a version saved a moment ago applies to this request at no extra call."""
        if isinstance(self.policy_for, PolicySource):
            found = self.repo.get_many([*wanted, self.policy_for.pointer_key(shop)])
            return found, self.policy_for.from_found(shop, found)
        return self.repo.get_many(wanted), self.policy_for(shop)

    # --- returns -------------------------------------------------------------------------------

    def create_return(self, caller: Principal, request: ReturnRequest, now: datetime) -> Return:
        """Check, decide, route, then one transactional save: the return, its timeline and events,
        the order's returned quantities, the customer's history and, for an exchange, the hold on
        its replacement's units (a conditional write on what is available: the last unit goes to
        one request only, and a request that finds none answers 422 out_of_stock)."""
        for attempt in range(1, _HOLD_ATTEMPTS + 1):
            try:
                return self._create_return(caller, request, now)
            except _HoldRaced:
                time.sleep(random.uniform(0.005, 0.02 * attempt))  # noqa: S311 - jitter, not a secret
        raise StaleVersion("The replacement's stock")

    def _create_return(self, caller: Principal, request: ReturnRequest, now: datetime) -> Return:
        caller.ensure_order(caller.shop, request.order_id)
        wanted = [keys.order(caller.shop, request.order_id)]
        if caller.customer_ref is not None:
            # A customer token names the customer: order, customer (with their sessions' revocation
            # stamp) and policy come in one read.
            wanted.extend(self.repo.customer_keys(caller.shop, caller.customer_ref))
        found, policy = self._read_with_policy(caller.shop, wanted)
        order = self.repo.order_in(found, caller.shop, request.order_id)
        if caller.customer_ref is not None:
            customer = self.repo.customer_in(found, caller.shop, caller.customer_ref)
        else:
            customer = self.repo.get_customer(caller.shop, customer_ref(order.shop, order.customer_email))
        caller.ensure_live(customer.revoked_ms)
        check_request(policy, order, request.items, request.resolution, now)

        recent = recent_returns(customer, now)  # earlier returns: this one is not among them yet
        rates = self.rates.rates_for(policy, order)  # read (once per container and hour) only if needed
        kept = kept_orders(customer, order.order_id)
        exchange = self._replacements(policy, order, request, rates)
        decision, status = decide_request(policy, order, request.items, len(recent), now, rates, kept)
        lines = {line.line_id: line for line in order.lines}
        categories = {lines[i.line_id].category for i in request.items if i.line_id in lines}
        country = request.ship_from.country if request.ship_from else order.customer_country
        market_hub = decision.market.return_hub_id if decision.market else None
        hub = choose_hub(policy, country, categories, preferred=market_hub)
        items = [self._item(order, item, request.notes.get(item.line_id), decision) for item in request.items]
        if exchange is not None:
            held = {r.line_id: r.variant_id for r in exchange.lines}
            items = [i.model_copy(update={"exchange_variant_id": held.get(i.line_id)}) for i in items]
        value = Money(amount=sum(i.amount.amount for i in items), currency=order.currency)
        categories_kept = [i.category for i in items]
        kept_because = (
            keep_item(policy.keep_item, categories_kept, value, hub)
            if decision.outcome is Outcome.APPROVED
            else None
        )
        if kept_because is not None:
            rule = FiredRule(rule_id="keep_item", effect=Effect.APPROVE, message=kept_because)
            decision = decision.model_copy(update={"keep_item": True, "rules": [*decision.rules, rule]})
        holds: list[Hold] = []
        if exchange is not None and status is not ReturnStatus.REJECTED:
            holds = [Hold(r.product_id, r.variant_id, r.quantity) for r in exchange.lines]
        elif exchange is not None:
            exchange = exchange.model_copy(update={"hold": "released"})  # nothing held for a refusal

        returned = dict(order.returned)
        if status is not ReturnStatus.REJECTED:
            for item in request.items:
                returned[item.line_id] = returned.get(item.line_id, 0) + item.quantity

        for _attempt in range(_RMA_ATTEMPTS):
            ret = Return(
                rma=rma_numbers.generate(),
                shop=order.shop,
                order_id=order.order_id,
                customer_ref=customer.customer_ref,
                status=status,
                resolution=request.resolution,
                locale=request.locale or policy.default_language,
                items=items,
                decision=decision,
                hub=hub,
                created_at=now,
                updated_at=now,
                ship_from=request.ship_from,
                exchange=exchange,
            )
            timeline = [
                TimelineEntry(
                    version=1,
                    at=now,
                    status=ReturnStatus.REQUESTED,
                    event="return.requested",
                    message=f"Return requested for {sum(i.quantity for i in items)} item(s).",
                    actor="customer" if caller.is_customer else "storefront",
                ),
                TimelineEntry(
                    version=1,
                    at=now,
                    status=status,
                    event=event_type(status),
                    message=explain(decision),
                    actor=f"policy:v{policy.version}",
                ),
            ]
            events = [
                Event("return.requested", _event_data(ret, items=len(items))),
                Event(event_type(status), _event_data(ret, outcome=decision.outcome.value)),
            ]
            extra = [
                self.repo.order_returned_update(order, returned),
                self.repo.customer_put(
                    order.shop, customer, [*recent, {"rma": ret.rma, "at": iso(now)}], order.order_id
                ),
                # A customer's revoked sessions stay revoked on this return too (store/sessions.py).
                stamp_unchanged(self.repo.table, order.shop, customer.customer_ref, customer.revoked_ms),
            ]
            if customer.revoked_ms is not None:
                extra.append(return_stamp_put(self.repo.table, ret.rma, customer.revoked_ms))
            extra += self.catalog.reserve_items(order.shop, holds)
            try:
                self.repo.save(ReturnChange(ret, None, timeline, events, extra))
            except RmaTaken:
                continue
            except StaleVersion as exc:
                if exc.failed_item is None or not is_hold(exc.failed_item):
                    raise
                if exc.reason == "ConditionalCheckFailed":
                    names = exc.failed_item["Update"].get("ExpressionAttributeNames", {})
                    raise out_of_stock(", ".join(names.values())) from exc
                raise _HoldRaced() from exc
            return ret
        raise RuntimeError("could not draw an unused RMA number")  # 31^8 numbers: practically unreachable

    def _replacements(
        self, policy: Policy, order: Order, request: ReturnRequest, rates: object
    ) -> Exchange | None:
        """The exchange's replacements, checked by the policy against the catalog as read now."""
        if request.resolution is not Resolution.EXCHANGE and not any(
            i.exchange_variant_id for i in request.items
        ):
            return None
        products = self.catalog.many(order.shop, catalog_products(order, request.items))
        categories: dict[str, list[Product]] = {}

        def in_category(category: str) -> list[Product]:
            if category not in categories:
                categories[category] = self.catalog.in_category(order.shop, category)
            return categories[category]

        limits = Thresholds(policy.base_currency, order.currency, rates)  # type: ignore[arg-type]
        return choose_replacements(
            policy, order, request.items, request.resolution, products, in_category, limits
        )

    @staticmethod
    def _item(order: Order, item: RequestedItem, note: str | None, decision: Decision) -> ReturnItem:
        line = order.line(item.line_id)
        assert line is not None  # check_request refused unknown lines
        acceptance = (
            Acceptance.MANUAL_INTERVENTION_REQUIRED if decision.review_required else Acceptance.PENDING
        )
        return ReturnItem(
            line_id=line.line_id,
            sku=line.sku,
            category=line.category,
            quantity=item.quantity,
            reason=item.reason,
            note=note,
            unit_price=line.unit_price,
            acceptance=acceptance,
        )

    def get_return(self, caller: Principal, rma: str) -> tuple[Return, list[TimelineEntry]]:
        canonical = self._rma(rma)
        ret, timeline, revoked_ms = self.repo.read_return(canonical)
        caller.ensure_order(ret.shop, ret.order_id, missing="return_not_found")
        caller.ensure_live(revoked_ms)
        return ret, timeline

    @retry_stale
    def cancel_return(self, caller: Principal, rma: str, now: datetime) -> tuple[Return, list[TimelineEntry]]:
        ret, timeline = self.get_return(caller, rma)
        if ret.status not in CANCELLABLE:
            transition(ret.status, ReturnStatus.CANCELLED)  # raises, naming both states
        order = self.repo.get_order(ret.shop, ret.order_id)
        cancelled = moved(ret, ReturnStatus.CANCELLED, now)
        # A workflow waiting on this return hears of the cancel (the token leaves with the write).
        token = ret.task_token if ret.waiting_for else None
        if token:
            cancelled = cancelled.model_copy(update={"waiting_for": None, "task_token": None})
        returned = dict(order.returned)
        for item in ret.items:
            returned[item.line_id] = max(0, returned.get(item.line_id, 0) - item.quantity)
        release: list[dict[str, Any]] = []
        if ret.exchange is not None and ret.exchange.hold == "held":
            # The replacement's units go back to what other customers may exchange for.
            release = self.catalog.release_items(ret.shop, holds_of(ret.exchange))
            cancelled = cancelled.model_copy(
                update={"exchange": ret.exchange.model_copy(update={"hold": "released"})}
            )
        entry = TimelineEntry(
            version=cancelled.version,
            at=now,
            status=ReturnStatus.CANCELLED,
            event="return.cancelled",
            message="Return cancelled; the items can be requested again while the window is open.",
            actor="customer" if caller.is_customer else "storefront",
        )
        self.repo.save(
            ReturnChange(
                cancelled,
                ret.version,
                [entry],
                [Event("return.cancelled", _event_data(cancelled))],
                [self.repo.order_returned_update(order, returned), *release],
            )
        )
        if token and self.engine:
            self.engine.resume(token, {"rma": cancelled.rma, "status": cancelled.status.value})
        return cancelled, [*timeline, entry]

    @staticmethod
    def _rma(raw: str) -> str:
        try:
            return rma_numbers.normalize(raw)
        except rma_numbers.InvalidRma as exc:
            raise NotFound(str(exc), code="invalid_rma") from exc
