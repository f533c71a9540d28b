"""RMA numbers: canonical XXX-XXX-XXX, a check character catching every single wrong character and
every swap of two different neighbours, and no collisions in practice."""

from __future__ import annotations

import random
import re

import pytest

from boomerang.domain import rma
from boomerang.domain.rma import ALPHABET, InvalidRma, check_character, generate, is_valid, normalize

CANONICAL = re.compile(r"[23456789ABCDEFGHJKLMNPQRSTVWXYZ]{3}-[23456789ABCDEFGHJKLMNPQRSTVWXYZ]{3}-"
                       r"[23456789ABCDEFGHJKLMNPQRSTVWXYZ]{3}")  # fmt: skip


def _codes(count: int, seed: int) -> list[str]:
    """Deterministic valid codes (payload from a seeded RNG) plus a few from generate()."""
    rng = random.Random(seed)
    codes = []
    for _ in range(count):
        payload = "".join(rng.choice(ALPHABET) for _ in range(rma.PAYLOAD_LENGTH))
        codes.append(payload + check_character(payload))
    codes += [generate().replace("-", "") for _ in range(20)]
    # Edge payloads: all the lowest symbol, all the highest, repeated pairs.
    for payload in ("22222222", "ZZZZZZZZ", "2Z2Z2Z2Z", "ABABABAB"):
        codes.append(payload + check_character(payload))
    return codes


def test_alphabet_avoids_confusable_characters() -> None:
    assert len(ALPHABET) == 31
    assert len(set(ALPHABET)) == 31
    for confusable in "01IOU":
        assert confusable not in ALPHABET


def test_generate_is_canonical_and_valid() -> None:
    for _ in range(500):
        code = generate()
        assert CANONICAL.fullmatch(code), code
        assert normalize(code) == code
        assert is_valid(code)


def test_check_equation_holds_independently_of_the_implementation() -> None:
    """ISO 7064 pure system mod 31: sum(value * 3^position_from_right) == 0 (mod 31)."""
    for code in _codes(200, seed=7064):
        values = [ALPHABET.index(ch) for ch in code]
        total = sum(v * pow(3, len(values) - 1 - i, 31) for i, v in enumerate(values))
        assert total % 31 == 0, code


def test_normalize_ignores_case_spaces_and_hyphens() -> None:
    for code in [generate() for _ in range(50)]:
        bare = code.replace("-", "")
        for typed in (
            bare,
            bare.lower(),
            code.lower(),
            f"  {code}  ",
            " ".join(bare),
            f"{bare[:4]}-{bare[4:]}",
            f"{bare[:3]} - {bare[3:6]}\t{bare[6:]}\n",
            "-".join(bare.lower()),
        ):
            assert normalize(typed) == code, typed


def test_every_single_character_substitution_is_refused() -> None:
    codes = _codes(300, seed=31)
    checked = 0
    for code in codes:
        assert is_valid(code)
        for position in range(rma.LENGTH):
            for symbol in ALPHABET:
                if symbol == code[position]:
                    continue
                wrong = code[:position] + symbol + code[position + 1 :]
                assert not is_valid(wrong), (code, wrong)
                checked += 1
    assert checked == len(codes) * rma.LENGTH * (len(ALPHABET) - 1)


def test_a_failed_check_character_says_so() -> None:
    code = normalize(generate()).replace("-", "")
    wrong = code[:4] + ALPHABET[(ALPHABET.index(code[4]) + 1) % len(ALPHABET)] + code[5:]
    with pytest.raises(InvalidRma, match="fails its check character"):
        normalize(wrong)


def test_every_adjacent_swap_of_different_characters_is_refused() -> None:
    codes = _codes(300, seed=37)
    swaps = 0
    check_swaps = 0
    for code in codes:
        for position in range(rma.LENGTH - 1):
            a, b = code[position], code[position + 1]
            if a == b:
                continue
            swapped = code[:position] + b + a + code[position + 2 :]
            assert not is_valid(swapped), (code, swapped)
            swaps += 1
            if position == rma.LENGTH - 2:
                check_swaps += 1  # involves the check character
    assert swaps > 2000
    assert check_swaps > 200


def test_every_adjacent_swap_is_refused_for_every_pair_of_symbols() -> None:
    """Exhaustive over the algebra: any two different symbols swapped at any neighbouring positions."""
    base = "23456789"
    tried = 0
    for position in range(rma.PAYLOAD_LENGTH - 1):
        for a in ALPHABET:
            for b in ALPHABET:
                if a == b:
                    continue
                payload = base[:position] + a + b + base[position + 2 :]
                code = payload + check_character(payload)
                swapped = code[:position] + b + a + code[position + 2 :]
                assert not is_valid(swapped), (code, swapped)
                tried += 1
    # Swaps involving the check character: the last payload symbol takes every value.
    for a in ALPHABET:
        payload = base[:-1] + a
        code = payload + check_character(payload)
        if code[-1] == code[-2]:
            continue
        assert not is_valid(code[:-2] + code[-1] + code[-2]), code
        tried += 1
    assert tried > 7 * 31 * 30


@pytest.mark.parametrize("bad", ["0", "1", "I", "O", "U", "i", "o", "u", "*", "é"])
def test_characters_outside_the_alphabet_are_refused_clearly(bad: str) -> None:
    code = generate()
    typed = bad + code[1:]
    with pytest.raises(InvalidRma) as caught:
        normalize(typed)
    message = str(caught.value)
    assert "never in an RMA number" in message
    assert bad.upper() in message


@pytest.mark.parametrize("typed", ["", "ABC", "ABC-DEF-GH", "ABC-DEF-GHJK", "ABCDEFGHJKLM", "- - -"])
def test_wrong_length_refused(typed: str) -> None:
    with pytest.raises(InvalidRma, match="9 characters"):
        normalize(typed)
    assert not is_valid(typed)


def test_wrong_length_of_a_real_code_refused() -> None:
    code = generate()
    assert not is_valid(code[:-1])
    assert not is_valid(code + "2")
    assert not is_valid(code[1:])


def test_invalid_rma_is_a_value_error() -> None:
    assert issubclass(InvalidRma, ValueError)


def test_generate_has_no_duplicates_in_20000_draws() -> None:
    # 31^8 ~ 8.5e11 payloads: the chance of any collision in 20,000 draws is about 2e-4.
    codes = [generate() for _ in range(20_000)]
    assert len(set(codes)) == len(codes)
    # And the draws are spread over the alphabet at every payload position.
    for position in (0, 1, 2, 4, 5, 6, 8, 9):
        assert len({code[position] for code in codes}) == len(ALPHABET)
