"""Reads a Code 128 barcode back from a PDF page's drawing: the bars are filled rectangles, the
spaces the gaps between them. Independent of any barcode library's decoder, and of libzbar."""

from __future__ import annotations

from pypdf import PdfReader
from pypdf.generic import ContentStream

# Code 128 symbol values 0..106 as bar/space widths in modules (ISO/IEC 15417, table 1), built
# from reportlab's table (letters A..D = 1..4 modules) and checked against the standard's values
# in the tests, so a wrong table cannot pass silently.
STOP = 106
START = {103: "A", 104: "B", 105: "C"}


def patterns() -> dict[str, int]:
    from reportlab.graphics.barcode.code128 import _patterns

    table = {}
    for value, letters in _patterns.items():
        if isinstance(value, int):
            # The stop symbol's seventh element (the final bar) is read separately.
            table["".join(str("abcd".index(c.lower()) + 1) for c in letters)[:6]] = value
    return table


def bars_on_page(pdf: bytes, height: float) -> list[tuple[float, float]]:
    """(x, width) of every filled rectangle `height` points tall on the first page, left to right."""
    import io

    reader = PdfReader(io.BytesIO(pdf))
    stream = ContentStream(reader.pages[0].get_contents(), reader)
    found: list[tuple[float, float]] = []
    for operands, operator in stream.operations:
        if operator == b"re" and abs(float(operands[3]) - height) < 1e-6:
            found.append((float(operands[0]), float(operands[2])))
    return sorted(found)


def widths(bars: list[tuple[float, float]]) -> list[int]:
    """Bar, space, bar, ... widths in modules (the narrowest element is one module)."""
    elements: list[float] = []
    for (x, w), nxt in zip(bars, [*bars[1:], None], strict=True):
        elements.append(w)
        if nxt is not None:
            elements.append(nxt[0] - (x + w))
    module = min(e for e in elements if e > 0)
    return [round(e / module) for e in elements]


def decode(modules: list[int]) -> str:
    table = patterns()
    values: list[int] = []
    i = 0
    while i < len(modules):
        if len(modules) - i == 7:  # the stop symbol has a seventh element, the final bar
            key = "".join(map(str, modules[i:]))
            if table.get(key[:6]) != STOP or key[6] != "2":
                raise ValueError(f"no stop symbol: {key}")
            break
        key = "".join(map(str, modules[i : i + 6]))
        if key not in table:
            raise ValueError(f"not a Code 128 symbol: {key}")
        values.append(table[key])
        i += 6
    start, *data, check = values
    if start not in START:
        raise ValueError("no start symbol")
    if (start + sum(n * v for n, v in enumerate(data, 1))) % 103 != check:
        raise ValueError("check symbol does not match")
    return _text(START[start], data)


def _text(code_set: str, values: list[int]) -> str:
    out: list[str] = []
    for v in values:
        if code_set == "C" and v < 100:
            out.append(f"{v:02d}")
        elif v == 99:
            code_set = "C"
        elif v == 100 and code_set != "B":
            code_set = "B"
        elif v == 101 and code_set != "A":
            code_set = "A"
        elif code_set == "B":
            out.append(chr(v + 32))
        elif code_set == "A":
            out.append(chr(v + 32) if v < 64 else chr(v - 64))
        else:
            raise ValueError(f"symbol {v} in code set {code_set}")
    return "".join(out)


def read_barcode(pdf: bytes, height: float) -> str:
    return decode(widths(bars_on_page(pdf, height)))
