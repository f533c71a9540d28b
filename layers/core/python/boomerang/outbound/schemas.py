"""The staff API's answers about webhooks (pydantic: validated and documented in the OpenAPI)."""

from __future__ import annotations

from pydantic import BaseModel

from boomerang.outbound.delivery import Delivery, iso
from boomerang.outbound.subscriptions import Subscription


class SubscriptionOut(BaseModel):
    subscription_id: str
    shop: str
    url: str
    event_types: list[str]
    created_at: str
    created_by: str

    @classmethod
    def of(cls, s: Subscription) -> SubscriptionOut:
        return cls(
            subscription_id=s.subscription_id,
            shop=s.shop,
            url=s.url,
            event_types=s.event_types,
            created_at=s.created_at,
            created_by=s.created_by,
        )


class SubscriptionCreatedOut(SubscriptionOut):
    secret: str  # shown once: the receiver verifies Boomerang-Signature with it


class SubscriptionsOut(BaseModel):
    items: list[SubscriptionOut]
    next_cursor: str | None


class DeadLetterOut(BaseModel):
    delivery_id: str
    subscription_id: str
    event_id: str
    event_type: str
    first_attempt_at: str
    parked_at: str | None
    last_error: str | None

    @classmethod
    def of(cls, d: Delivery, parked_at: str | None) -> DeadLetterOut:
        return cls(
            delivery_id=d.delivery_id,
            subscription_id=d.subscription_id,
            event_id=d.event.id,
            event_type=d.event.type,
            first_attempt_at=iso(d.first_attempt_at),
            parked_at=parked_at,
            last_error=d.last_error,
        )


class DeadLettersOut(BaseModel):
    items: list[DeadLetterOut]
    next_cursor: str | None
