"""Text fields that cannot smuggle, without AWS: what counts as a control character, what staff are
shown, and every text field of every request body (storefront, staff, tickets, webhooks admin)
refusing control characters, line breaks only where a body may hold them."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Annotated, Any, get_origin

import pydantic
import pytest
from pydantic import TypeAdapter

import boomerang.api
import boomerang.outbound
from boomerang.domain.text import control_characters, hidden_characters, hidden_in, visible_text

# The fields that are bodies: a message or a note may run over lines (line feed and tab).
MULTILINE_FIELDS = {
    "ReturnItemIn.note",
    "TicketIn.message",
    "MessageIn.message",
    "ReplyIn.message",
    "NoteIn.message",
    "ApproveIn.note",
    "GradeIn.notes",
}
# A control character of each kind: C0 (NUL, ESC, CR, unit separator), DEL, C1 (NEL, CSI).
# A value for each kind of text field: free text, an email, a URL, and the patterned ones.
SAMPLES = ("abcd", "a@b.co", "https://example.com/hook", "image/jpeg", "staff:alice", "TK-0123456789AB")
CONTROLS = ["\x00", "\x1b", "\r", "\x1f", "\x7f", "\x85", "\x9b"]


def test_control_characters_are_c0_del_and_c1_and_a_body_keeps_line_feed_and_tab() -> None:
    assert control_characters("fine, naïve, 返品, 🙂") == []
    assert control_characters("a\x00b\x1bc\x7fd\x85e\x9bf") == [
        "U+0000",
        "U+001B",
        "U+007F",
        "U+0085",
        "U+009B",
    ]
    assert control_characters("line\nnext\tcol") == ["U+000A", "U+0009"]
    assert control_characters("line\nnext\tcol", multiline=True) == []
    assert control_characters("crlf\r\n", multiline=True) == ["U+000D"]


def test_bidi_and_zero_width_characters_are_named_and_made_visible() -> None:
    text = "invoice\u202efdp.exe\u202c and\u200bmore"
    assert hidden_characters(text) == ["U+202E", "U+202C", "U+200B"]
    assert visible_text(text) == "invoice⟦U+202E RLO⟧fdp.exe⟦U+202C PDF⟧ and⟦U+200B ZWSP⟧more"
    assert visible_text("plain") == "plain"
    assert hidden_in({"subject": "ok", "messages": [{"body": "x"}, {"body": "\u2066y\u2069"}]}) == [
        ("messages[1].body", ["U+2066", "U+2069"])
    ]


def _request_models() -> dict[str, type[pydantic.BaseModel]]:
    """Every request body the APIs accept: the models named ...In in boomerang.api and
    boomerang.outbound (the webhooks admin API)."""
    found: dict[str, type[pydantic.BaseModel]] = {}
    for package in (boomerang.api, boomerang.outbound):
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            module = importlib.import_module(info.name)
            for name, cls in vars(module).items():
                if (
                    inspect.isclass(cls)
                    and issubclass(cls, pydantic.BaseModel)
                    and cls.__module__ == module.__name__
                    and name.endswith("In")
                ):
                    found[name] = cls
    return found


def _text_fields() -> list[tuple[str, Any, str]]:
    """(Model.field, a validator for the field alone, a value it accepts: text, or a list of text)
    for every field that accepts text; fields of other types (numbers, enums, nested bodies) are
    not text, and nested bodies are request models of their own."""
    fields = []
    for model_name, model in sorted(_request_models().items()):
        for field_name, info in model.model_fields.items():
            adapter: TypeAdapter[Any] = TypeAdapter(Annotated[info.annotation, info])  # type: ignore[name-defined]
            is_list = get_origin(info.annotation) is list
            for sample in SAMPLES:
                value: Any = [sample] if is_list else sample
                try:
                    adapter.validate_python(value)
                except pydantic.ValidationError:
                    continue
                fields.append((f"{model_name}.{field_name}", adapter, value))
                break
    return fields


TEXT_FIELDS = _text_fields()


def test_the_walk_finds_the_text_fields_of_every_api() -> None:
    names = {name for name, _, _ in TEXT_FIELDS}
    assert names >= MULTILINE_FIELDS
    assert {
        "OrderLineIn.title",
        "OrderIn.order_number",
        "SessionIn.email",
        "TicketIn.subject",
        "ContactIn.name",
        "RejectIn.reason",
        "RefundRetryIn.reference",
        "SubscriptionIn.event_types",
        "SubscriptionIn.url",
    } <= names


@pytest.mark.parametrize(("field", "adapter", "sample"), TEXT_FIELDS, ids=[f for f, _, _ in TEXT_FIELDS])
def test_every_text_field_refuses_control_characters(field: str, adapter: Any, sample: Any) -> None:
    def accepts(text: str) -> bool:
        value = [text] if isinstance(sample, list) else text
        try:
            adapter.validate_python(value)
        except pydantic.ValidationError:
            return False
        return True

    text = sample[0] if isinstance(sample, list) else sample
    assert accepts(text)
    # Inside the value, where no stripping of the ends can hide it.
    for control in CONTROLS:
        assert not accepts(text[:2] + control + text[2:]), (field, control)
    assert accepts(text[:2] + "\n" + text[2:]) is (field in MULTILINE_FIELDS)
    if field in MULTILINE_FIELDS:
        assert accepts("first line\n\tsecond line")
