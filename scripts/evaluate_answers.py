"""Asks the running assistant every question of an answer set and checks each first reply against its key.

An item is **answered** when the reply is in the person's language and contains every key fact (a
regular expression matched against the reply's texts and button titles), or, for a question the
sources do not cover (``no_source: true``), when the reply names the IOM MIC helpline. **Routing**
counts the replies that are about one of the key's procedures. Each question starts a new
conversation, so each is a first message.

Usage::

    python scripts/evaluate_answers.py tests/answers [--gate 0.90] [--misses] [--url http://localhost:5005]

Without ``--url`` it starts the action and Rasa servers itself (tests/servers.py), with a throwaway
SQLite tracker store.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import requests
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: A reply that names the helpline gives the person someone to ask.
HELPLINE = re.compile(r"0850\s*211\s*478")
CYRILLIC = re.compile(r"[а-яіїєґ]", re.IGNORECASE)


@dataclass
class Result:
    """One item's outcome."""

    item: Dict[str, Any]
    language: str
    reply: List[Dict[str, Any]]
    answered: bool = False
    routed: Optional[bool] = None
    missing: List[str] = field(default_factory=list)
    wrong_language: bool = False


def reply_text(reply: List[Dict[str, Any]]) -> str:
    """Returns the reply's texts and button titles, one per line."""
    lines: List[str] = []
    for message in reply:
        lines.append(message.get("text") or "")
        lines += [button.get("title", "") for button in message.get("buttons") or []]
    return "\n".join(lines)


def reply_procedures(reply: List[Dict[str, Any]]) -> List[str]:
    """Returns the procedures the reply is about (its ``custom.pobyt`` data), in order."""
    found: List[str] = []
    for message in reply:
        data = (message.get("custom") or {}).get("pobyt") or {}
        found += [data["procedure"]] if data.get("procedure") else []
        found += data.get("choices") or []
    return found


def reply_language(reply: List[Dict[str, Any]]) -> Optional[str]:
    """Returns the language of the reply's last message (its ``custom.pobyt.language``)."""
    for message in reversed(reply):
        language = ((message.get("custom") or {}).get("pobyt") or {}).get("language")
        if language:
            return language
    return None


def score(item: Dict[str, Any], language: str, reply: List[Dict[str, Any]]) -> Result:
    """Checks one reply against the item's key."""
    result = Result(item, language, reply)
    key = item.get("key") or {}
    text = reply_text(reply)
    body = "\n".join((m.get("text") or "") for m in reply)
    result.wrong_language = reply_language(reply) != language or (language != "en") != bool(CYRILLIC.search(body))
    if key.get("no_source"):
        result.missing = [] if HELPLINE.search(text) else ["(helpline for a question the sources do not cover)"]
    else:
        result.missing = [fact for fact in key.get("facts") or [] if not re.search(fact, text, re.IGNORECASE)]
    result.answered = not result.missing and not result.wrong_language
    wanted = key.get("procedures") or []
    if wanted:
        result.routed = any(p in wanted for p in reply_procedures(reply))
    return result


def ask(url: str, token: str, text: str, language: str) -> List[Dict[str, Any]]:
    """Sends ``text`` as the first message of a new conversation; returns the reply messages."""
    sender = f"eval-{uuid.uuid4().hex}"
    response = requests.post(
        f"{url}/webhooks/rest/webhook",
        params={"token": token},
        headers={"Authorization": f"Bearer {token}"},
        json={"sender": sender, "message": text, "metadata": {"language": language}},
        timeout=60,
    )
    response.raise_for_status()
    return response.json()


def load_set(folder: Path) -> Dict[str, List[Dict[str, Any]]]:
    """Returns the items of each language file in ``folder``."""
    sets: Dict[str, List[Dict[str, Any]]] = {}
    for path in sorted(folder.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        sets[data["language"]] = data["items"]
    return sets


def evaluate(url: str, token: str, folder: Path, workers: int) -> Dict[str, List[Result]]:
    """Asks every question of the set; returns the results per language."""
    results: Dict[str, List[Result]] = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for language, items in load_set(folder).items():
            # The channel's language hint is not sent: the text alone must tell the language.
            replies = pool.map(lambda item: ask(url, token, item["text"], ""), items)
            results[language] = [score(item, language, reply) for item, reply in zip(items, replies, strict=True)]
    return results


def report(results: Dict[str, List[Result]], show_misses: bool) -> Dict[str, float]:
    """Prints the figures per language (and the misses); returns answered share per language."""
    shares: Dict[str, float] = {}
    print(f"{'language':<9}{'items':>6}{'answered':>10}{'routing':>9}{'wrong language':>16}")
    for language, items in results.items():
        answered = sum(r.answered for r in items) / len(items)
        routed = [r.routed for r in items if r.routed is not None]
        routing = sum(routed) / len(routed) if routed else 1.0
        wrong = sum(r.wrong_language for r in items)
        shares[language] = answered
        print(f"{language:<9}{len(items):>6}{answered:>10.3f}{routing:>9.3f}{wrong:>16}")
    by_style: Dict[str, List[bool]] = {}
    for items in results.values():
        for r in items:
            by_style.setdefault(r.item.get("style", "?"), []).append(r.answered)
    print("by style: " + ", ".join(f"{s} {sum(v) / len(v):.3f} ({len(v)})" for s, v in sorted(by_style.items())))
    if show_misses:
        for items in results.values():
            for r in items:
                if r.answered:
                    continue
                print(f"\n--- {r.item['id']} ({r.item.get('style')}): {r.item['text']}")
                print(f"    missing: {r.missing}{' WRONG LANGUAGE' if r.wrong_language else ''}; routed: {r.routed}")
                print("    reply: " + reply_text(r.reply).replace("\n", " | ")[:700])
    return shares


def main(argv: Optional[List[str]] = None) -> int:
    """Runs the evaluation; returns 1 when a language is below the gate."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--gate", type=float, default=None, help="fail when a language's answered share is below")
    parser.add_argument("--misses", action="store_true", help="print every item not answered")
    parser.add_argument("--url", default=None, help="a running assistant (default: start one)")
    parser.add_argument("--token", default=None, help="its API token (default: the test servers' token)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--json", type=Path, default=None, help="write every reply to this file")
    args = parser.parse_args(argv)

    from tests.servers import API_TOKEN, running_assistant

    with ExitStack() as stack:
        url = args.url
        if url is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            url = stack.enter_context(running_assistant(workdir, {}))
        results = evaluate(url, args.token or API_TOKEN, args.folder, args.workers)
    if args.json:
        dump = {lang: [{"id": r.item["id"], "text": r.item["text"], "reply": r.reply, "answered": r.answered}
                       for r in items] for lang, items in results.items()}  # fmt: skip
        args.json.write_text(json.dumps(dump, ensure_ascii=False, indent=1), encoding="utf-8")
    shares = report(results, args.misses)
    if args.gate is not None and any(share < args.gate for share in shares.values()):
        print(f"answer-eval: below the gate {args.gate:.2f}")
        return 1
    print("answer-eval: done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
