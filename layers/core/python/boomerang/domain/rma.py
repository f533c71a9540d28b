"""RMA numbers: short, readable, random, with a check character.

Alphabet: 31 symbols, digits 2-9 and the letters without I, O and U, so 0/O and 1/I cannot be
confused. The check character follows ISO 7064's pure-system construction over the prime 31:
sum(value_i * w_i) + check * w_0 = 0 (mod 31) with weights w_i = 3^i, 3 being a primitive root of 31.
Because 31 is prime and neighbouring weights differ, every single wrong character and every swap
of two different neighbouring characters changes the sum and is refused.

Canonical form: 9 symbols shown as three groups, e.g. `K7Q-4M2-XAC`; parsing ignores case,
spaces and hyphens.
"""

from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTVWXYZ"
_MOD = len(ALPHABET)  # 31, prime
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
PAYLOAD_LENGTH = 8
LENGTH = PAYLOAD_LENGTH + 1

assert _MOD == 31


class InvalidRma(ValueError):
    """The code is not an RMA number: wrong characters, wrong length or a failed check character."""


def _weights(n: int) -> list[int]:
    # Position i from the right (the check character is position 0).
    return [pow(3, i, _MOD) for i in range(n, 0, -1)]


def check_character(payload: str) -> str:
    total = sum(_VALUE[ch] * w for ch, w in zip(payload, _weights(len(payload)), strict=True))
    # check * 3^0 = -total (mod 31)
    return ALPHABET[(-total) % _MOD]


def _format(code: str) -> str:
    return f"{code[0:3]}-{code[3:6]}-{code[6:9]}"


def generate() -> str:
    payload = "".join(secrets.choice(ALPHABET) for _ in range(PAYLOAD_LENGTH))
    return _format(payload + check_character(payload))


def normalize(raw: str) -> str:
    """Parse what a person typed or a scanner read; return the canonical form or raise InvalidRma."""
    code = "".join(raw.split()).replace("-", "").upper()
    if len(code) != LENGTH:
        raise InvalidRma(f"an RMA number has {LENGTH} characters, '{raw}' has {len(code)}")
    bad = sorted({ch for ch in code if ch not in _VALUE})
    if bad:
        raise InvalidRma(f"'{raw}' contains characters that are never in an RMA number: {''.join(bad)}")
    if check_character(code[:-1]) != code[-1]:
        raise InvalidRma(f"'{raw}' fails its check character: a character is wrong or two are swapped")
    return _format(code)


def is_valid(raw: str) -> bool:
    try:
        normalize(raw)
    except InvalidRma:
        return False
    return True
