"""Which of the assistant's languages a message is written in."""

from __future__ import annotations

import re
from typing import Optional

_CYRILLIC = re.compile(r"[а-яіїєґёыэъ]", re.IGNORECASE)
_UKRAINIAN_ONLY = re.compile(r"[іїєґ]", re.IGNORECASE)
_RUSSIAN_ONLY = re.compile(r"[ыэъё]", re.IGNORECASE)
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)


def detect_language(text: str) -> Optional[str]:
    """Returns ``en``, ``uk`` or ``ru`` when the script gives clear evidence, else None.

    Letters only one of the two Cyrillic languages uses decide between Ukrainian and Russian;
    Cyrillic text with neither (or both) is not decided here.
    """
    cyrillic = len(_CYRILLIC.findall(text))
    latin = len(_LATIN.findall(text))
    if cyrillic > latin:
        uk, ru = bool(_UKRAINIAN_ONLY.search(text)), bool(_RUSSIAN_ONLY.search(text))
        if uk != ru:
            return "uk" if uk else "ru"
        return None
    if latin:
        return "en"
    return None
