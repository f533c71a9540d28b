"""A shop's branding on its customer pages: name, logo, colours and support email.

Plain Python, no AWS. Colours are chosen by merchants, so the pages never trust them for contrast:
`on_colour` picks black or white text for a brand colour by WCAG 2.1's contrast formula, and a brand
colour too light to carry text on white is darkened until it does (`text_safe`).
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
# WCAG 2.1 AA: normal text needs 4.5:1 against its background.
AA_NORMAL_TEXT = 4.5


class Branding(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=120)
    logo_url: str | None = Field(
        default=None, max_length=2048, description="https:// image, shown in the header"
    )
    primary_colour: str = Field(default="#1f4e79", description="#rrggbb: header and buttons")
    accent_colour: str = Field(default="#b85c00", description="#rrggbb: links and highlights")
    support_email: str | None = Field(default=None, max_length=254)

    @field_validator("primary_colour", "accent_colour")
    @classmethod
    def _hex(cls, value: str) -> str:
        if not HEX_COLOUR.fullmatch(value):
            raise ValueError("a colour is #rrggbb")
        return value.lower()

    @field_validator("logo_url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError("a logo is an https:// URL")
        return value

    @field_validator("support_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            raise ValueError("not an email address")
        return value


def default_branding(shop_name: str) -> Branding:
    return Branding(name=shop_name or "Returns")


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def on_colour(background: str) -> str:
    """Black or white: whichever reads better on `background`."""
    return "#000000" if contrast(background, "#000000") >= contrast(background, "#ffffff") else "#ffffff"


def text_safe(colour: str, background: str = "#ffffff") -> str:
    """`colour`, darkened in steps until it has AA contrast for text on `background`."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    current = colour
    while contrast(current, background) < AA_NORMAL_TEXT and (r or g or b):
        r, g, b = (int(v * 0.9) for v in (r, g, b))
        current = f"#{r:02x}{g:02x}{b:02x}"
    return current
