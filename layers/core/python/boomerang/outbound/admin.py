"""What staff do with outbound webhooks: subscribe a URL, list and delete subscriptions, see the
deliveries given up on and send them again."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from boomerang.outbound.delivery import DeadLetters, Delivery, iso, message_body, redriven
from boomerang.outbound.subscriptions import Subscription, SubscriptionIn, SubscriptionStore


class WebhookAdmin:
    def __init__(
        self,
        store: SubscriptionStore,
        dead_letters: DeadLetters,
        secrets_client: Any,
        sqs: Any,
        queue_url: str,
        secrets_prefix: str,
        clock: Callable[[], datetime],
    ):
        self.store = store
        self.dead_letters = dead_letters
        self.secrets_client = secrets_client
        self.sqs = sqs
        self.queue_url = queue_url
        self.secrets_prefix = secrets_prefix
        self.clock = clock

    def subscribe(self, request: SubscriptionIn, actor: str) -> tuple[Subscription, str]:
        """The new subscription and its signing secret, which is shown this once and kept only in
        Secrets Manager."""
        subscription_id = f"wh_{uuid.uuid4().hex[:20]}"
        secret = f"whsec_{secrets.token_urlsafe(32)}"
        name = f"{self.secrets_prefix}{request.shop}/{subscription_id}"
        self.secrets_client.create_secret(
            Name=name, SecretString=secret, Description="Boomerang outbound webhook signing secret"
        )
        subscription = Subscription(
            subscription_id=subscription_id,
            shop=request.shop,
            url=str(request.url),
            event_types=sorted(set(request.event_types)),
            secret_name=name,
            created_at=iso(self.clock()),
            created_by=actor,
        )
        self.store.put(subscription)
        return subscription, secret

    def unsubscribe(self, shop_id: str, subscription_id: str) -> Subscription:
        gone = self.store.delete(shop_id, subscription_id)
        # Recoverable for a week, in case the delete was a mistake.
        self.secrets_client.delete_secret(SecretId=gone.secret_name, RecoveryWindowInDays=7)
        return gone

    def redrive(self, shop_id: str, delivery_id: str) -> Delivery:
        delivery = redriven(self.dead_letters.take(shop_id, delivery_id), self.clock())
        try:
            self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=message_body(delivery))
        except Exception:
            # Not sent: put it back so it stays visible (parking it anew is conditional, so at most
            # one copy exists).
            self.dead_letters.restore(delivery)
            raise
        return delivery
