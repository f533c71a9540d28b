"""Paying a return once. Every way of paying it (the workflow's refund, finance's card retry, store
credit, PayPal, bank transfer) takes three steps, in this order:

1. **claim** the attempt: a conditional write on the return (on the version read) puts a
   PaymentClaim on it: attempt n, the method, the attempt's idempotency key, the amount, a lease.
   Of two callers who read the same version one writes; the other's write fails, and reading
   again it finds the claim (409 `payment_in_progress`) or the payment's outcome. It asks nobody.
2. **ask** the provider with the claim's key (a provider answers a repeated key with its first
   answer), or nobody, for store credit and a bank transfer finance made;
3. **record** the outcome: the write that moves the return takes the claim off it, conditional on
   the version the claim wrote (re-read on a lost race, while the claim is still the same).

An attempt that ends without an outcome keeps its claim: after a provider timeout or 5xx the money
may have moved, so only the same method may resume it, with the same key, at once (the caller
gave the lease back) or once the lease has run out (the caller was stopped). A configuration error
reached no money (an unusable key, a refused request): the claim is taken off, any method may pay.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from boomerang.domain.errors import Conflict, DomainError, StaleVersion
from boomerang.domain.models import PaymentClaim, Refund, Return, TimelineEntry
from boomerang.domain.money import Money
from boomerang.payments.port import PaymentConfigurationError, PaymentProviderUnavailable, RefundRefused
from boomerang.services.workflow.core import Phase, refund_key
from boomerang.store.records import ReturnChange
from boomerang.timeouts import PAYMENT_CLAIM_LEASE_SECONDS

RECORD_ATTEMPTS = 6


class PaymentInProgress(Conflict):
    """Another caller holds this return's payment attempt: nothing was asked of any provider. The
    state machine retries its step on this error's name, after the attempt has an outcome."""

    code = "payment_in_progress"


class PaymentNotRecorded(DomainError):
    """The provider answered but the outcome could not be written (the return kept changing): the
    claim stays, and resuming the same method asks with the same key."""

    code = "payment_not_recorded"
    http_status = 503


Ask = Callable[[Return, PaymentClaim], Refund | None]


class PaymentAttempts(Phase):
    def claim(
        self, ret: Return, method: str, amount: Money, actor: str, attempt: int
    ) -> tuple[Return, PaymentClaim]:
        """Take the return's payment attempt for `method`, or resume the interrupted one of the same
        method (its attempt, amount and key). Raises StaleVersion on a lost race (the callers'
        retry_stale reads again and finds the claim) and PaymentInProgress where one is held."""
        now = self.core.clock()
        held = ret.payment_claim
        if held is not None:
            if held.until > now or held.method != method:
                raise PaymentInProgress(
                    f"Return {ret.rma} is being paid (attempt {held.attempt}, {held.method}) by another "
                    "request: nothing was asked of any provider."
                    + ("" if held.until > now else f" Only {held.method} may resume that attempt."),
                    details=[
                        {
                            "attempt": held.attempt,
                            "method": held.method,
                            "claimed_at": held.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                            "resumable": held.until <= now,
                        }
                    ],
                )
            attempt, amount, key = held.attempt, held.amount, held.key
            what = f"Payment attempt {attempt} ({method}) resumed with its idempotency key."
        else:
            key = refund_key(ret.rma, attempt)
            what = f"Payment attempt {attempt} ({method}, {amount}) claimed."
        claim = PaymentClaim(
            attempt=attempt,
            method=method,
            key=key,
            amount=amount,
            actor=actor,
            at=now,
            until=now + timedelta(seconds=PAYMENT_CLAIM_LEASE_SECONDS),
        )
        return self.note(ret, what, actor, "payment.claimed", payment_claim=claim), claim

    def pay(
        self,
        ret: Return,
        method: str,
        amount: Money,
        actor: str,
        attempt: int,
        ask: Ask,
        settle: Callable[[Return, PaymentClaim, Refund | None], Return],
        refused: Callable[[Return, PaymentClaim, RefundRefused], Return] | None = None,
    ) -> Return:
        """Claim, ask, record. `settle` writes the outcome, `refused` a provider's refusal; each is
        one write that sets payment_claim=None (whatever follows it is written after, by the
        caller, and can be finished by anyone who reads the return)."""
        ret, claim = self.claim(ret, method, amount, actor, attempt)
        try:
            paid = ask(ret, claim)
        except RefundRefused as exc:
            if refused is None:
                raise
            refusal, record_refusal = exc, refused
            return self.record(ret, claim, lambda current: record_refusal(current, claim, refusal))
        except PaymentProviderUnavailable:
            self.release(ret, claim, keep=True)
            raise
        except PaymentConfigurationError:
            self.release(ret, claim, keep=False)
            raise
        return self.record(ret, claim, lambda current: settle(current, claim, paid))

    def record(self, ret: Return, claim: PaymentClaim, outcome: Callable[[Return], Return]) -> Return:
        """Apply `outcome` to the return while it still holds `claim`; a lost race reads it again."""
        current = ret
        for n in range(RECORD_ATTEMPTS):
            if current.payment_claim != claim:
                raise PaymentInProgress(
                    f"Return {ret.rma}'s payment attempt {claim.attempt} was taken over: its outcome is "
                    "recorded by the request that holds it."
                )
            try:
                return outcome(current)
            except StaleVersion:
                time.sleep(0.02 * (n + 1))
                current = self.core.get(ret.rma)
        raise PaymentNotRecorded(
            f"The outcome of return {ret.rma}'s payment attempt {claim.attempt} could not be written; "
            f"retry with method {claim.method}: the same idempotency key asks once."
        )

    def release(self, ret: Return, claim: PaymentClaim, *, keep: bool) -> None:
        """The attempt ended without an outcome: `keep` it for the same method to resume at once
        (the provider may have paid), or take it off (nothing reached the provider's money)."""
        now = self.core.clock()
        interrupted = claim.model_copy(update={"until": now})
        with contextlib.suppress(PaymentInProgress, PaymentNotRecorded):
            # Else the lease ends by itself, and the same method resumes then.
            self.record(
                ret,
                claim,
                lambda current: self.note(
                    current,
                    f"Payment attempt {claim.attempt} ({claim.method}) "
                    + (
                        "interrupted: only it may resume."
                        if keep
                        else "not made: the integration refused it."
                    ),
                    claim.actor,
                    "payment.interrupted" if keep else "payment.released",
                    payment_claim=interrupted if keep else None,
                ),
            )

    def note(
        self,
        ret: Return,
        message: str,
        actor: str,
        event: str,
        *,
        extra_items: list[dict[str, Any]] | None = None,
        **changes: Any,
    ) -> Return:
        """A change that keeps the return's status: the version moves, the timeline says why."""
        at = self.core.clock()
        new = ret.model_copy(update={**changes, "version": ret.version + 1, "updated_at": at})
        entry = TimelineEntry(
            version=new.version, at=at, status=ret.status, event=event, message=message, actor=actor
        )
        self.core.repo.save(ReturnChange(new, ret.version, [entry], [], list(extra_items or [])))
        return new
