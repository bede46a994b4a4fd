"""Number extraction, used to prove that every number in the knowledge base is sourced."""

from __future__ import annotations

import datetime as dt
import re
from typing import Iterable, Iterator, Set

NUMBER_WORDS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "fifteen": "15",
    "twenty": "20",
    "thirty": "30",
    "sixty": "60",
    "ninety": "90",
    "hundred": "100",
}
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_CLOCK = re.compile(r"\b(\d{1,2}):00\b")
_WORD = re.compile(r"[a-z]+")


def _canonical(token: str) -> str:
    return token.replace(",", ".")


def numbers_in_text(text: str) -> Set[str]:
    """Returns the numbers written in ``text`` ("165.50", "90", "0850"), clock times as hours.

    ``9:00`` counts as ``9`` so that opening hours written as "9:00-17:00" match a source that
    writes "9 - 17".
    """
    text = _CLOCK.sub(r"\1", text)
    return {_canonical(token) for token in _NUMBER.findall(text)}


def numbers_in_source(text: str) -> Set[str]:
    """Returns every number a source states, in all the shapes content may write it.

    Besides each token as written, its dot- or comma-separated parts ("30.3.2022" gives 30, 3 and
    2022), decimals with and without a trailing zero, and English number words ("five" -> 5).
    """
    found: Set[str] = set()
    for token in _NUMBER.findall(text):
        canonical = _canonical(token)
        found.add(canonical)
        parts = canonical.split(".")
        found.update(parts)
        found.update(part.lstrip("0") or "0" for part in parts)
        if len(parts) == 2 and parts[1].endswith("0"):
            found.add(f"{parts[0]}.{parts[1].rstrip('0')}".rstrip("."))
    for word in _WORD.findall(text.lower()):
        if word in NUMBER_WORDS:
            found.add(NUMBER_WORDS[word])
    return found


def amount_forms(amount: float) -> Iterator[str]:
    """Yields the ways an amount may appear in a source: 165.5 -> '165.50', '165.5'."""
    if float(amount).is_integer():
        yield str(int(amount))
    else:
        yield f"{amount:.2f}"
        yield f"{amount:g}"


def date_numbers(value: dt.date) -> Iterable[str]:
    """The numbers a written-out date shows: day and year ("4 March 2027" -> 4, 2027)."""
    return (str(value.day), str(value.year))
