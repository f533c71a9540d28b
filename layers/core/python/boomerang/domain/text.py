"""Text as people type it: what no text field may hold, and what a screen must show visibly.

Control characters (C0, DEL, C1) have no business in a name, a subject or a note: they are how a
value smuggles a second line into a log, a terminal escape into a console or a NUL into a parser.
Only a multi-line body keeps line feeds and tabs. The API refuses the rest (boomerang.api.text).

Bidirectional controls and zero-width characters are different: real text uses them (a Hebrew
name inside an English sentence, a joiner in an emoji or an Indic script), so they are kept as
written. But they can also make text read differently from what it is (an RLO turns "gpj.exe" into
"exe.jpg" on screen), so wherever staff read customer text, they are shown: `hidden_characters`
names them and `visible_text` writes each one as a visible mark.
"""

from __future__ import annotations

import unicodedata

LINE_BREAKS = frozenset("\n\t")

# Shown to staff by name: the bidirectional formatting characters, and the invisible ones.
HIDDEN: dict[str, str] = {
    "\u061c": "ALM",  # Arabic letter mark
    "\u200e": "LRM",
    "\u200f": "RLM",
    "\u202a": "LRE",
    "\u202b": "RLE",
    "\u202c": "PDF",
    "\u202d": "LRO",
    "\u202e": "RLO",
    "\u2066": "LRI",
    "\u2067": "RLI",
    "\u2068": "FSI",
    "\u2069": "PDI",
    "\u200b": "ZWSP",  # zero-width space
    "\u200c": "ZWNJ",
    "\u200d": "ZWJ",
    "\u2060": "WJ",  # word joiner
    "\ufeff": "ZWNBSP",  # byte order mark inside text
}


def is_control(ch: str) -> bool:
    """C0 (U+0000-U+001F), DEL (U+007F) or C1 (U+0080-U+009F): Unicode's category Cc."""
    return unicodedata.category(ch) == "Cc"


def code_point(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def control_characters(text: str, *, multiline: bool = False) -> list[str]:
    """The control characters in `text` (as U+XXXX, in order of first appearance) that a field of
    this kind refuses; a multi-line field allows line feed and tab."""
    found: dict[str, None] = {}
    for ch in text:
        if is_control(ch) and not (multiline and ch in LINE_BREAKS):
            found.setdefault(code_point(ch))
    return list(found)


def hidden_characters(text: str) -> list[str]:
    """The bidirectional and zero-width characters in `text` (as U+XXXX, in order of first
    appearance): kept in the data, shown to staff."""
    found: dict[str, None] = {}
    for ch in text:
        if ch in HIDDEN:
            found.setdefault(code_point(ch))
    return list(found)


def visible_text(text: str) -> str:
    """`text` with each hidden character written out as a mark, e.g. "invoice⟦U+202E RLO⟧fdp.exe",
    for a console that shows customer text to staff. The text itself is not changed."""
    if not any(ch in HIDDEN for ch in text):
        return text
    return "".join(f"⟦{code_point(ch)} {HIDDEN[ch]}⟧" if ch in HIDDEN else ch for ch in text)


def hidden_in(value: object, path: str = "") -> list[tuple[str, list[str]]]:
    """Where hidden characters are in a JSON-like value: (field path, code points) per string,
    the path as the API's error details write it ("messages[2].body")."""
    if isinstance(value, str):
        found = hidden_characters(value)
        return [(path, found)] if found else []
    flagged: list[tuple[str, list[str]]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            flagged += hidden_in(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for n, item in enumerate(value):
            flagged += hidden_in(item, f"{path}[{n}]")
    return flagged
