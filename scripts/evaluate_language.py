"""Scores the reply-language decisions on the sets in tests/language/ and fails below the bars.

* first message of a conversation: the reply language is the message's (en, uk, ru): >= 0.95;
* inside a Ukrainian or Russian conversation, a message of the other language switches: >= 0.95;
* an ambiguous message (tests/language/ambiguous.yml) keeps the current language: >= 0.99.

Usage: python scripts/evaluate_language.py [--errors]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Dict, List

import yaml

from pobyt.language import choose_language
from pobyt.messages import DEFAULT_LANGUAGE

ROOT = Path(__file__).resolve().parents[1]
FIRST_BAR, SWITCH_BAR, KEEP_BAR = 0.95, 0.95, 0.99


def load(folder: Path) -> Dict[str, List[str]]:
    """Returns the messages per label (en, uk, ru, ambiguous)."""
    sets = {}
    for path in sorted(folder.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        sets[data["language"]] = data["messages"]
    return sets


def main() -> int:
    """Prints the scores and the uk/ru confusions; exit code 1 when a bar is not met."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sets", type=Path, default=ROOT / "tests" / "language")
    parser.add_argument("--errors", action="store_true", help="list every wrong decision")
    args = parser.parse_args()
    sets = load(args.sets)
    ok, confusions = True, []
    print(f"{'decision':<34}{'messages':>9}{'short':>7}{'score':>8}{'bar':>6}")
    for language in ("en", "uk", "ru"):
        messages = sets[language]
        short = sum(1 for m in messages if len(m.split()) <= 3)
        first = [m for m in messages if (choose_language(m, None) or DEFAULT_LANGUAGE) != language]
        score = 1 - len(first) / len(messages)
        ok &= score >= FIRST_BAR
        print(f"{'first message in ' + language:<34}{len(messages):>9}{short:>7}{score:>8.3f}{FIRST_BAR:>6}")
        confusions += [f"  first {language} -> {choose_language(m, None)}: {m!r}" for m in first]
        if language in ("uk", "ru"):
            other = "ru" if language == "uk" else "uk"
            stay = [m for m in messages if choose_language(m, other) != language]
            score = 1 - len(stay) / len(messages)
            ok &= score >= SWITCH_BAR
            print(f"{other + ' conversation, ' + language + ' message':<34}{len(messages):>9}{short:>7}"
                  f"{score:>8.3f}{SWITCH_BAR:>6}")  # fmt: skip
            confusions += [f"  switch {other}->{language} kept {other}: {m!r}" for m in stay]
    ambiguous = sets["ambiguous"]
    for current in ("uk", "ru"):
        moved = [m for m in ambiguous if choose_language(m, current) != current]
        score = 1 - len(moved) / len(ambiguous)
        ok &= score >= KEEP_BAR
        short = sum(1 for m in ambiguous if len(m.split()) <= 3)
        print(f"{current + ' conversation, ambiguous':<34}{len(ambiguous):>9}{short:>7}{score:>8.3f}{KEEP_BAR:>6}")
        confusions += [f"  keep {current} moved to {choose_language(m, current)}: {m!r}" for m in moved]
    print("uk/ru confusions and other errors:" if confusions else "no confusions")
    if args.errors or len(confusions) <= 40:
        print("\n".join(confusions))
    print(f"bars {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
