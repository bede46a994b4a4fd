"""``make kb-check``: validate the knowledge base and print coverage per language.

Usage: ``python -m pobyt.kb.check [--knowledge DIR] [--sources DIR] [--require-translations]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import List, Optional

from pobyt.kb.loader import default_knowledge_dir
from pobyt.kb.models import LANGUAGES
from pobyt.kb.problems import Problem
from pobyt.kb.validate import validate


def default_sources_dir() -> Path:
    """Returns ``../shared/sources`` next to the repository (where the curated sources live)."""
    return default_knowledge_dir().parent.parent / "shared" / "sources"


def main(argv: Optional[List[str]] = None) -> int:
    """Runs the check; returns 0 when there are no errors, 1 otherwise."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--knowledge", type=Path, default=None, help="knowledge folder")
    parser.add_argument("--sources", type=Path, default=None, help="folder of the source texts")
    parser.add_argument(
        "--allow-missing-translations", action="store_true", help="missing uk/ru lowers coverage, not an error"
    )
    parser.add_argument("--require-translations", action="store_true", help="(default) missing uk/ru is an error")
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None, help="date for expiry checks")
    parser.add_argument("--show-missing", action="store_true", help="list untranslated fields")
    args = parser.parse_args(argv)

    sources = args.sources or default_sources_dir()
    report = validate(args.knowledge, sources, args.today, require_translations=not args.allow_missing_translations)
    problems: List[Problem] = list(report.problems)

    for problem in problems:
        print(problem)
    if report.counts:
        print("entries: " + ", ".join(f"{n} {kind}" for kind, n in report.counts.items()))
    if report.sources_checked:
        print(f"numbers checked against the source texts in {sources}")
    else:
        print(f"WARNING: source texts not found at {sources}: numbers were not checked")
    cov = report.coverage
    print("coverage: " + ", ".join(f"{lang} {cov.percent(lang):.1f} % ({cov.filled[lang]}/{cov.total})"
                                   for lang in LANGUAGES))  # fmt: skip
    if args.show_missing:
        for language in LANGUAGES:
            for missing in cov.missing[language]:
                print(missing)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    print(f"kb-check: {len(errors)} errors, {len(warnings)} warnings")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
