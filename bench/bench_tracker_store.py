"""Benchmark: pobyt's SQLite tracker store against Rasa's own SQLTrackerStore on the same file type.

One conversation grows turn by turn; each turn retrieves the tracker, adds a user message, an action,
a bot message and a slot, saves it and retrieves it again (what the Rasa server does per message).
Prints the median milliseconds per turn for both stores and the ratio (baseline: Rasa's store).

Usage: python bench/bench_tracker_store.py [--turns 80]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


async def turn_durations(store_classes: List[type], folder: str, turns: int) -> List[List[float]]:
    """Returns each store's turn durations (s); the stores take turns, so load hits them alike."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load(str(ROOT / "domain.yml"))
    stores = [cls(domain=domain, dialect="sqlite", db=f"{folder}/{i}.db") for i, cls in enumerate(store_classes)]
    durations: List[List[float]] = [[] for _ in stores]
    for turn in range(turns):
        order = list(range(len(stores)))
        if turn % 2:
            order.reverse()
        for index in order:
            store, start = stores[index], time.perf_counter()
            tracker = await store.retrieve("bench") or DialogueStateTracker("bench", domain.slots)
            tracker.update(UserUttered(f"question {turn}", {"name": "ask_fees", "confidence": 1.0}))
            tracker.update(ActionExecuted("action_answer"))
            tracker.update(BotUttered("answer"))
            tracker.update(SlotSet("language", "en"))
            tracker.update(ActionExecuted("action_listen"))
            await store.save(tracker)
            await store.retrieve("bench")
            durations[index].append(time.perf_counter() - start)
    return durations


def main() -> None:
    """Runs both stores in the same run and prints the table."""
    from rasa.core.tracker_store import SQLTrackerStore

    from pobyt.storage import SQLiteTrackerStore

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=80)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rasa, ours = asyncio.run(turn_durations([SQLTrackerStore, SQLiteTrackerStore], tmp, args.turns))
    rasa_ms, ours_ms = statistics.median(rasa) * 1000, statistics.median(ours) * 1000
    print(f"{'store':<32}{'median ms/turn':>15}")
    print(f"{'rasa SQLTrackerStore (baseline)':<32}{rasa_ms:>15.1f}")
    print(f"{'pobyt SQLiteTrackerStore':<32}{ours_ms:>15.1f}")
    print(f"speed-up over the baseline: {rasa_ms / ours_ms:.2f}x ({args.turns} turns, one conversation)")


if __name__ == "__main__":
    main()
