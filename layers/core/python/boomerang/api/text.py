"""Text fields that cannot smuggle: every text field of every API refuses control characters.

- `PlainText`: a line (a name, a subject, a reference, a reason, an order number, an email): no
  control character at all (C0 including CR, LF and tab, DEL, C1).
- `MultilineText`: a body (a message, a note): line feed and tab are allowed, nothing else.

A refused value answers 422 `validation_failed` whose details name the field, with detail code
`control_character` and the code points found. Bidirectional and zero-width characters are kept
(real text uses them); staff views flag them (boomerang.domain.text).

Use them as the field's type, with the field's own limits in `Field(...)`:

    sku: PlainText = Field(min_length=1, max_length=128)

or, for an optional field or an alias with StringConstraints, put the check LAST, after the
constraints, so that it sees the raw value (before any stripping) and the constraints keep their
own error codes:

    note: Annotated[str, Field(max_length=2000), MULTILINE] | None = None
    Subject = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), PLAIN]

tests/unit/test_text_fields.py checks every request body's text fields against this.
"""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import BaseModel, BeforeValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from boomerang.domain.text import control_characters, hidden_in


def _refuse(value: Any, *, multiline: bool) -> Any:
    if isinstance(value, str):
        found = control_characters(value, multiline=multiline)
        if found:
            kind = "line feed and tab only" if multiline else "no control characters"
            raise PydanticCustomError(
                "control_character",
                "Control character {characters} is not allowed here ({kind}).",
                {"characters": ", ".join(found), "kind": kind},
            )
    return value  # anything else is the field's type's to refuse


def _single_line(value: Any) -> Any:
    return _refuse(value, multiline=False)


def _multi_line(value: Any) -> Any:
    return _refuse(value, multiline=True)


PLAIN = BeforeValidator(_single_line)
MULTILINE = BeforeValidator(_multi_line)

PlainText = Annotated[str, PLAIN]
MultilineText = Annotated[str, MULTILINE]


class HiddenTextOut(BaseModel):
    field: str = Field(description="Where, as error details name fields, e.g. messages[2].body")
    characters: list[str] = Field(description="The hidden characters, e.g. U+202E (right-to-left override)")


class FlagsHiddenText(BaseModel):
    """A staff view: names the fields whose text holds bidirectional or zero-width characters, so a
    console shows them visibly (boomerang.domain.text.visible_text) instead of letting them reorder
    or hide what staff read. The text itself is answered as stored."""

    hidden_characters: list[HiddenTextOut] = Field(
        default_factory=list,
        description="Fields holding bidirectional or zero-width characters (kept as written; show them)",
    )

    @model_validator(mode="after")
    def _flag_hidden(self) -> Self:
        shown = self.model_dump(mode="json", exclude={"hidden_characters"})
        self.hidden_characters = [HiddenTextOut(field=f, characters=c) for f, c in hidden_in(shown)]
        return self
