"""Profiles the per-message work of the answer engine, in process, without servers.

Runs what the two servers do for each message: the Rasa server's knowledge-base entity extractor
(:func:`pobyt.recognition.recognise`) and intent arbiter (:func:`pobyt.nlu.informational_intent`,
given a guided check's intent so that it does its full work), and the action server's
:func:`pobyt.conversation.names_knowledge` and :func:`pobyt.conversation.answer_question`. The texts
are the REST bench's messages and those of the answer sets (tests/answers*/); each text is read once
per pass, and the per-text caches are emptied before each server's part (the two servers are two
processes), so that they do not hide the cost of a new message; word-level caches (lemmas, similar
name tokens) stay, as in a running server. Prints milliseconds per message for each part, then the
top of a cProfile of the whole run.

Usage: python bench/profile_engine.py [--passes 1] [--top 30] [--sort cumulative] [--bench-only] [--no-profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.bench_rest import MESSAGES  # noqa: E402
from pobyt.conversation import answer_question, names_knowledge  # noqa: E402
from pobyt.engine import retrieval  # noqa: E402
from pobyt.kb import search  # noqa: E402
from pobyt.kb.loader import get_knowledge_base  # noqa: E402
from pobyt.nlu import informational_intent  # noqa: E402
from pobyt.recognition import recognise, search_index  # noqa: E402

#: What the intent classifier ranked, as the arbiter sees it (a check first, an aspect next).
RANKING = [{"name": "check_family", "confidence": 0.6}, {"name": "ask_documents", "confidence": 0.3}]


def texts() -> List[str]:
    """Returns the bench's messages and every text of the answer sets."""
    found = list(MESSAGES)
    for path in sorted(ROOT.glob("tests/answers*/*.yml")):
        found += [item["text"] for item in yaml.safe_load(path.read_text(encoding="utf-8"))["items"]]
    return found


def timed(parts: Dict[str, float], name: str, call: Callable[[], object]) -> object:
    """Runs ``call`` and adds its wall time to ``parts[name]``."""
    start = time.perf_counter()
    result = call()
    parts[name] = parts.get(name, 0.0) + time.perf_counter() - start
    return result


def forget_texts() -> None:
    """Empties the caches keyed by a message's text (those that exist: older code has none)."""
    kb = get_knowledge_base()
    owners = [search, retrieval, search_index(kb), retrieval.fact_index(kb), retrieval.procedure_index(kb)]
    for owner in owners:
        for name in ("_spanned_tokens", "_analysed", "_matches", "_scores"):
            cache = getattr(owner, name, None)
            if hasattr(cache, "cache_clear"):
                cache.cache_clear()


def one_pass(messages: List[str], parts: Dict[str, float]) -> None:
    """Runs every part once for every message, as a new message to each server."""
    kb = get_knowledge_base()
    for text in messages:
        forget_texts()
        entities = timed(parts, "recognise (NLU extractor)", lambda t=text: recognise(t, kb))
        timed(parts, "informational_intent (arbiter)", lambda t=text, e=entities: informational_intent(
            t, RANKING[0], RANKING, e))  # fmt: skip
        forget_texts()
        timed(parts, "names_knowledge (action)", lambda t=text, e=entities: names_knowledge(t, e, kb))
        timed(parts, "answer_question (action)", lambda t=text, e=entities: answer_question(t, None, e, {}, kb))


def main() -> None:
    """Warms up (indexes, dictionaries), then times and profiles the passes."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--passes", type=int, default=1, help="passes over the texts")
    parser.add_argument("--top", type=int, default=30, help="profile lines to print")
    parser.add_argument("--sort", default="cumulative", help="pstats sort key (cumulative, tottime...)")
    parser.add_argument("--bench-only", action="store_true", help="only the REST bench's messages")
    parser.add_argument("--no-profile", action="store_true", help="time only (cProfile slows Python code down)")
    args = parser.parse_args()
    messages = list(MESSAGES) if args.bench_only else texts()
    one_pass(["warm-up: what documents for temporary residence?"], {})
    parts: Dict[str, float] = {}
    profiler = cProfile.Profile()
    if not args.no_profile:
        profiler.enable()
    for _ in range(args.passes):
        one_pass(messages, parts)
    profiler.disable()
    count = len(messages) * args.passes
    how = "" if args.no_profile else " (under cProfile)"
    print(f"{count} messages")
    for name, seconds in parts.items():
        print(f"{name:<34}{seconds * 1000 / count:8.2f} ms/message{how}")
    if not args.no_profile:
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
