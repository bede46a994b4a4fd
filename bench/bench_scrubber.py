"""Benchmark: the log scrubber (pobyt/logging_filter.py) on large adversarial log records.

Each record is 20,000 characters built to make a pattern scan the rest of the record from every
position (long runs of address characters or digits). Prints the milliseconds per record for the
whole scrub (cut, then patterns) and for the patterns alone on the uncut record.

Usage: python bench/bench_scrubber.py [--length 20000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Callable, Dict

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def adversarial_records(length: int) -> Dict[str, str]:
    """Returns the records by name, each ``length`` characters long."""
    return {
        "letters (no @)": "a" * length,
        "letters then @": "a" * (length - 1) + "@",
        "dotted words": ("a." * length)[:length],
        "digits": "1" * length,
        "spaced zeros then ':'": ("0 " * length)[: length - 1] + ":",
        "document-like runs": ("AB1234567" * length)[:length],
    }


def milliseconds(function: Callable[[str], str], text: str, repeat: int) -> float:
    """Returns the best of ``repeat`` runs of ``function(text)``, in milliseconds."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        function(text)
        best = min(best, time.perf_counter() - started)
    return best * 1000


def main() -> int:
    """Prints one line per record: the full scrub and the patterns alone (ms)."""
    from pobyt.logging_filter import _scrub, scrub_message

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'record':24} {'scrub_message ms':>17} {'patterns, uncut ms':>19}")
    for name, text in adversarial_records(args.length).items():
        whole = milliseconds(scrub_message, text, args.repeat)
        patterns = milliseconds(_scrub, text, args.repeat)
        print(f"{name:24} {whole:17.2f} {patterns:19.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
