"""The storefront's use cases: import orders, open customer sessions, check eligibility, and
request, read and cancel returns."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from boomerang.auth import customer_tokens
from boomerang.auth.principal import Principal
from boomerang.domain import rma as rma_numbers
from boomerang.domain.decision import explain
from boomerang.domain.errors import Forbidden, NotFound
from boomerang.domain.models import (
    Acceptance,
    Address,
    Decision,
    Order,
    Resolution,
    Return,
    ReturnItem,
    TimelineEntry,
)
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
from boomerang.store.rates import RatesStore
from boomerang.store.records import Event, Repository, ReturnChange, RmaTaken, iso, moved
from boomerang.store.sessions import return_stamp_put, stamp_unchanged

_RMA_ATTEMPTS = 3


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

    # --- orders and sessions -------------------------------------------------------------------

    def import_order(self, caller: Principal, order: Order) -> Order:
        if caller.is_customer:
            raise Forbidden("Only the storefront's server may import orders.", code="api_key_required")
        if order.shop != caller.shop:
            raise Forbidden("The API key belongs to another shop.", code="wrong_shop")
        return self.repo.upsert_order(order)

    def open_session(self, shop: str, order_number: str, email: str, now: datetime) -> Session:
        order = self.repo.find_order_by_number(shop, order_number)
        # A wrong number and a wrong email answer alike, so neither can be probed.
        same_email = order is not None and hmac.compare_digest(
            order.customer_email.strip().lower().encode(), email.strip().lower().encode()
        )
        if order is None or not same_email:
            raise NotFound("No order matches that order number and email.", code="order_not_found")
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
        decision, status = decide_request(policy, order, request.items, len(recent), now, rates, kept)
        lines = {line.line_id: line for line in order.lines}
        categories = {lines[i.line_id].category for i in request.items if i.line_id in lines}
        country = request.ship_from.country if request.ship_from else order.customer_country
        market_hub = decision.market.return_hub_id if decision.market else None
        hub = choose_hub(policy, country, categories, preferred=market_hub)
        items = [self._item(order, item, request.notes.get(item.line_id), decision) for item in request.items]

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
            try:
                self.repo.save(ReturnChange(ret, None, timeline, events, extra))
            except RmaTaken:
                continue
            return ret
        raise RuntimeError("could not draw an unused RMA number")  # 31^8 numbers: practically unreachable

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
                [self.repo.order_returned_update(order, returned)],
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
