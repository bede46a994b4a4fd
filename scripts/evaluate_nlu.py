"""Scores the trained model on the held-out NLU sets in tests/nlu/ and fails below the bars.

For each language: intent macro-F1 (over the intents in the set) and the accuracy of recognising
the procedure, topic or office a message names (the subject the dialogue would act on).

Usage: python scripts/evaluate_nlu.py [--model models/pobyt.tar.gz] [--errors]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Any, Dict, List

import yaml
from sklearn.metrics import f1_score

ROOT = Path(__file__).resolve().parents[1]
INTENT_F1_BAR = 0.93
RECOGNITION_BAR = 0.95


def load_sets(folder: Path) -> Dict[str, List[Dict[str, Any]]]:
    """Returns the held-out examples per language."""
    sets = {}
    for path in sorted(folder.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        sets[data["language"]] = data["examples"]
    return sets


async def evaluate(model: Path, folder: Path, show_errors: bool) -> bool:
    """Prints the figures per language; returns True when every bar is met."""
    import structlog
    from rasa.core.agent import Agent

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    from pobyt.conversation import decide_subject
    from pobyt.kb.loader import get_knowledge_base

    agent = Agent.load(str(model))
    kb = get_knowledge_base()
    ok = True
    print(f"{'language':<9}{'examples':>9}{'intent macro-F1':>17}{'labelled':>10}{'recognition':>13}")
    for language, examples in load_sets(folder).items():
        gold, predicted, hits, labelled, errors = [], [], 0, 0, []
        for example in examples:
            parsed = await agent.parse_message(example["text"])
            intent = (parsed.get("intent") or {}).get("name")
            gold.append(example["intent"])
            predicted.append(intent)
            if intent != example["intent"]:
                errors.append(f"  intent  {example['text']!r}: {intent} (expected {example['intent']})")
            label = next(((k, example[k]) for k in ("procedure", "topic", "office") if example.get(k)), None)
            if label:
                labelled += 1
                subject = decide_subject(parsed.get("entities") or [], kb)
                got = (subject.kind, subject.id) if subject and subject.kind != "choice" else (
                    ("choice", ",".join(subject.choices)) if subject else None)  # fmt: skip
                if got == label:
                    hits += 1
                else:
                    errors.append(f"  subject {example['text']!r}: {got} (expected {label})")
        f1 = f1_score(gold, predicted, labels=sorted(set(gold)), average="macro", zero_division=0)
        accuracy = hits / labelled if labelled else 1.0
        ok &= f1 >= INTENT_F1_BAR and accuracy >= RECOGNITION_BAR
        print(f"{language:<9}{len(examples):>9}{f1:>17.3f}{labelled:>10}{accuracy:>13.3f}")
        if show_errors:
            print("\n".join(errors))
    print(f"bars: intent macro-F1 >= {INTENT_F1_BAR}, recognition accuracy >= {RECOGNITION_BAR}: "
          f"{'met' if ok else 'NOT met'}")  # fmt: skip
    return ok


def main() -> int:
    """Runs the evaluation; exit code 1 when a bar is not met."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "pobyt.tar.gz")
    parser.add_argument("--sets", type=Path, default=ROOT / "tests" / "nlu")
    parser.add_argument("--errors", action="store_true", help="list every wrong prediction")
    parser.add_argument("--report-only", type=Path, default=None, help="also score this set, without bars")
    args = parser.parse_args()
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    logging.disable(logging.WARNING)
    ok = asyncio.run(evaluate(args.model, args.sets, args.errors))
    if args.report_only:
        print(f"\n{args.report_only} (reported, not gated):")
        asyncio.run(evaluate(args.model, args.report_only, args.errors))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
