"""Suggested replies to "where is my refund?" from the linked return's state, in the customer's
language. The agent reviews and sends them; nothing here goes to a customer by itself."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from boomerang.domain.language import choose_language
from boomerang.domain.models import Return
from boomerang.domain.status import ReturnStatus as S

# The return's status, grouped by what the customer needs to hear.
STAGE: dict[S, str] = {
    S.REQUESTED: "reviewing",
    S.PENDING_REVIEW: "reviewing",
    S.AWAITING_EVIDENCE: "evidence",
    S.APPROVED: "ship_it",
    S.LABEL_ISSUED: "ship_it",
    S.IN_TRANSIT: "on_its_way",
    S.DELIVERED: "arrived",
    S.RECEIVED: "arrived",
    S.INSPECTED: "arrived",
    S.REFUND_PENDING: "paying",
    S.REFUNDED: "refunded",
    S.CREDITED: "credited",
    S.EXCHANGED: "exchanged",
    S.REPLACEMENT_SHIPPED: "exchanged",
    S.REFUND_FAILED: "failed",
    S.CLOSED: "closed",
    S.REJECTED: "rejected",
    S.CANCELLED: "cancelled",
    S.EXPIRED: "expired",
}

# Per language, per stage; {rma} and {amount} are filled in, nothing else of the return is shown.
TEMPLATES_PATH = Path(__file__).with_name("ticket_replies.json")


@cache
def templates() -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = json.loads(TEMPLATES_PATH.read_text(encoding="utf-8"))
    return data


def base_language(tag: str) -> str:
    return tag.split("-", 1)[0].lower()


def suggested_refund_reply(ret: Return, language: str, *fallbacks: str | None) -> tuple[str, str]:
    """(language used, text): the ticket's language where we have replies in it, else the first of
    `fallbacks` we have (the order's locale, the return's, which holds the shop's default), else English."""
    known = templates()
    lang = choose_language(language, *fallbacks, supported=known)
    texts = known[lang]
    amount = ret.refund.amount if ret.refund else ret.amount
    text = texts[STAGE[ret.status]].format(rma=ret.rma, amount=f"{amount.decimal_string()} {amount.currency}")
    return lang, text
