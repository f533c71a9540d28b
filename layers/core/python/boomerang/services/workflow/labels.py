"""Buying a return's label once, and handing back a label never used. The purchase takes the three
steps every payment takes (boomerang.services.workflow.payment), for a label costs money too:

1. **claim** the purchase: a conditional write on the return (on the version read) puts a LabelClaim
   on it, with the carrier reference of the purchase and a lease longer than the label step runs.
   Another step that finds a live claim asks nobody (LabelInProgress: the state machine asks again
   later); one that finds a claim whose lease ran out (its step timed out) resumes it.
2. **ask** the carrier with that reference; the carrier's shipment id is written on the claim as
   soon as the shipment exists and before it is bought. A resumed purchase retrieves that shipment
   and buys it only if it has no postage yet: a step retried after a timeout never buys a second
   label (EasyPost's API takes no idempotency key; the recorded shipment is the key).
3. **record** the label: the write that moves the return to label_issued takes the claim off.
   Where the return was cancelled meanwhile, the label is kept on it and handed back at once.

A refusal (no rate, an address the carrier cannot serve) bought nothing: the claim is taken off and
the next attempt starts afresh. A timeout or 5xx may have bought it: the claim stays, resumable at
once by the step's retry.

A label never used (the return expired, or was cancelled after its label) is refunded with the
carrier (`refund_unused`, the state machine's step after either end); its status is on the label
and on the timeline, asked once. Nothing here ever stalls a return that has ended.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from boomerang.carriers.port import CarrierUnavailable, LabelRefused
from boomerang.domain.errors import Conflict, DomainError, StaleVersion
from boomerang.domain.models import LabelClaim, Return, TimelineEntry
from boomerang.domain.providers import CarrierNotConfigured
from boomerang.services.workflow.core import Phase, S
from boomerang.store.records import Event, ReturnChange
from boomerang.timeouts import LABEL_CLAIM_LEASE_SECONDS

WRITE_ATTEMPTS = 6
ENDED = frozenset({S.CANCELLED, S.EXPIRED})


class LabelInProgress(Conflict):
    """Another invocation of the label step holds this return's purchase: nothing was asked of the
    carrier. The state machine retries the step on this error's name, after the lease."""

    code = "label_in_progress"


class LabelAbandoned(DomainError):
    """The return left `approved` (cancelled, expired) before its shipment was bought: nothing is."""

    code = "label_abandoned"
    http_status = 409


def label_key(rma: str) -> str:
    """The carrier's reference of a return's label purchase (EasyPost shipment `reference`): the
    RMA, one label per return, as staff search for it in the carrier's dashboard."""
    return rma


class LabelAttempts(Phase):
    def claim(self, ret: Return) -> tuple[Return, LabelClaim]:
        """Take the return's label purchase, or resume the one whose step stopped (its shipment).
        StaleVersion on a lost race (the caller's retry_stale reads again and finds the claim)."""
        now = self.core.clock()
        held = ret.label_claim
        if held is not None and held.until > now:
            raise LabelInProgress(
                f"Return {ret.rma}'s label is being bought by another step: nothing was asked of the "
                "carrier.",
                details=[{"claimed_at": held.at.strftime("%Y-%m-%dT%H:%M:%SZ")}],
            )
        until = now + timedelta(seconds=LABEL_CLAIM_LEASE_SECONDS)
        if held is not None:
            claim = held.model_copy(update={"at": now, "until": until})
            what = "Label purchase resumed" + (
                f" with its shipment {held.shipment_id}." if held.shipment_id else "."
            )
        else:
            claim = LabelClaim(key=label_key(ret.rma), at=now, until=until)
            what = "Label purchase claimed."
        return self.note(ret, what, "label.claimed", label_claim=claim), claim

    def created(self, ret: Return, claim: LabelClaim) -> Callable[[str], None]:
        """What the carrier calls with a shipment it created, before buying it: the id goes on the
        claim. A return that left `approved` meanwhile raises LabelAbandoned: nothing is bought."""

        def record(shipment_id: str) -> None:
            recorded = claim.model_copy(update={"shipment_id": shipment_id})
            self._while_held(
                ret,
                claim,
                lambda current: self.note(
                    current,
                    f"Carrier shipment {shipment_id} created.",
                    "label.shipment",
                    label_claim=recorded,
                ),
                abandon_if_ended=True,
            )

        return record

    def record(self, ret: Return, claim: LabelClaim, outcome: Callable[[Return], Return]) -> Return:
        """Apply `outcome` to the return while it holds the claim; a lost race reads it again."""
        return self._while_held(ret, claim, outcome, abandon_if_ended=False)

    def release(self, ret: Return, claim: LabelClaim, *, keep: bool) -> None:
        """The purchase ended without a label: `keep` its claim (the carrier may have bought it),
        resumable at once by the step's retry, or take it off (the carrier bought nothing)."""
        latest = self.core.get(ret.rma).label_claim or claim
        if latest.key != claim.key or latest.at != claim.at:
            return  # another step's claim now
        interrupted = latest.model_copy(update={"until": self.core.clock()})
        with contextlib.suppress(LabelInProgress, StaleVersion):
            # Else the lease ends by itself, and the step's retry resumes then.
            self._while_held(
                ret,
                latest,
                lambda current: self.note(
                    current,
                    "Label purchase interrupted: the carrier did not answer; it is resumed."
                    if keep
                    else "Label purchase ended: the carrier bought nothing.",
                    "label.interrupted" if keep else "label.released",
                    label_claim=interrupted if keep else None,
                ),
                abandon_if_ended=False,
            )

    def refund_unused(self, rma: str) -> dict[str, Any]:
        """Hand the label of a return that ended unused back to the carrier, once."""
        ret = self.core.get(rma)
        label = ret.label
        answer = {
            "rma": rma,
            "status": ret.status.value,
            "label_refund": label.refund_status if label else None,
        }
        if (
            ret.status not in ENDED
            or label is None
            or label.specimen
            or label.refund_status is not None
            or not label.shipment_id
        ):
            return answer
        try:
            carrier = self.core.carriers.for_hub(ret.shop, ret.hub.hub_id)
            refund = getattr(carrier, "refund", None)
            if refund is None:
                return answer
            status = str(refund(label))
            message = (
                f"The unused {label.carrier} label was handed back to the carrier for a refund ({status})."
            )
        except CarrierUnavailable:
            raise  # asked again by the state machine, with backoff
        except (CarrierNotConfigured, LabelRefused) as exc:
            status, message = (
                "not_refunded",
                f"The unused {label.carrier} label could not be refunded: {exc.code}.",
            )
        refunded = label.model_copy(update={"refund_status": status})
        data = {
            "rma": rma,
            "carrier": label.carrier,
            "tracking_number": label.tracking_number,
            "status": status,
        }
        events = [Event("label.refund", data)]
        if status == "not_refunded":  # finance refunds it in the carrier's dashboard (a ticket)
            events.append(Event("label.refund_failed", {k: v for k, v in data.items() if k != "status"}))
        done = self._while_ended(
            rma, lambda current: self.note(current, message, "label.refund", events, label=refunded)
        )
        return {"rma": rma, "status": done.status.value, "label_refund": status}

    def refund_failed(self, rma: str, error: str) -> dict[str, Any]:
        """The refund step's retries are spent: say so once; the return has ended all the same."""
        ret, timeline = self.core.repo.get_return(rma)
        if ret.label is None or any(e.event == "label.refund_failed" for e in timeline):
            return {"rma": rma, "status": ret.status.value}
        message = (
            f"The unused {ret.label.carrier} label could not be handed back ({error[:100]}): "
            "refund it by hand."
        )
        data = {"rma": rma, "carrier": ret.label.carrier, "tracking_number": ret.label.tracking_number}
        done = self._while_ended(
            rma,
            lambda current: self.note(
                current, message, "label.refund_failed", [Event("label.refund_failed", data)]
            ),
        )
        return {"rma": rma, "status": done.status.value}

    def _while_held(
        self, ret: Return, claim: LabelClaim, outcome: Callable[[Return], Return], *, abandon_if_ended: bool
    ) -> Return:
        current = ret
        for n in range(WRITE_ATTEMPTS):
            held = current.label_claim
            if held is None or held.key != claim.key or held.at != claim.at:
                raise LabelInProgress(f"Return {ret.rma}'s label purchase was taken over by another step.")
            if abandon_if_ended and current.status is not S.APPROVED:
                raise LabelAbandoned(f"Return {ret.rma} is {current.status.value}: no label is bought.")
            try:
                return outcome(current)
            except StaleVersion:
                time.sleep(0.02 * (n + 1))
                current = self.core.get(ret.rma)
        raise StaleVersion(f"Return {ret.rma} kept changing while its label was bought.")

    def _while_ended(self, rma: str, write: Callable[[Return], Return]) -> Return:
        for n in range(WRITE_ATTEMPTS):
            try:
                return write(self.core.get(rma))
            except StaleVersion:
                time.sleep(0.02 * (n + 1))
        raise StaleVersion(f"Return {rma} kept changing.")

    def note(
        self, ret: Return, message: str, event: str, events: list[Event] | None = None, **changes: Any
    ) -> Return:
        """A change that keeps the return's status: the version moves, the timeline says why."""
        at = self.core.clock()
        new = ret.model_copy(update={**changes, "version": ret.version + 1, "updated_at": at})
        entry = TimelineEntry(
            version=new.version, at=at, status=ret.status, event=event, message=message, actor="workflow"
        )
        self.core.repo.save(ReturnChange(new, ret.version, [entry], events or []))
        return new
