"""Shared fixtures: knowledge bases (real and a small fixture), trackers and dispatchers.

Under `make test` (``POBYT_TESTS_REQUIRE_ALL=1``) and CI (``CI=true``) a test skipped because software
or the trained model is missing counts as failed: `make test` installs and builds all of it, so such
a skip means a check did not run. Run by hand, such tests are skipped with the command that fixes it.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from pobyt.kb import KnowledgeBase, load

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_KNOWLEDGE = FIXTURES / "knowledge"
FIXTURE_SOURCES = FIXTURES / "sources"
#: The date every date-bound fact in the tests is computed against.
TODAY = dt.date(2026, 11, 24)
#: Set by `make test`: a test whose software or model is missing fails instead of skipping.
REQUIRE_ALL_VARIABLE = "POBYT_TESTS_REQUIRE_ALL"
#: Skip reasons that mean "something `make test` provides is missing" (tests/browser.py, tests/pg_redis.py, the model).
MISSING_SOFTWARE = ("make browser", "make services", "make train")


def everything_required() -> bool:
    """Returns whether a skip for missing software or model must fail (`make test`, CI)."""
    return any(
        os.environ.get(name, "").strip().lower() not in ("", "0", "false") for name in (REQUIRE_ALL_VARIABLE, "CI")
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    """Turns a skip for missing software or model into a failure when everything is required."""
    outcome = yield
    report = outcome.get_result()
    if not (report.skipped and call.excinfo is not None and everything_required()):
        return
    reason = str(call.excinfo.value)
    if call.excinfo.errisinstance(pytest.skip.Exception) and any(hint in reason for hint in MISSING_SOFTWARE):
        report.outcome = "failed"
        report.longrepr = f"make test must run every test, but it was skipped: {reason}"


@pytest.fixture(scope="session")
def real_kb() -> KnowledgeBase:
    """The project's curated knowledge base."""
    return load(ROOT / "knowledge")


@pytest.fixture(scope="session")
def fixture_kb() -> KnowledgeBase:
    """A small knowledge base with stable content for exact assertions."""
    return load(FIXTURE_KNOWLEDGE)


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    """A writable copy of the fixture knowledge base (to break in tests)."""
    target = tmp_path / "knowledge"
    shutil.copytree(FIXTURE_KNOWLEDGE, target)
    return target


@pytest.fixture
def use_fixture_kb(monkeypatch: pytest.MonkeyPatch) -> None:
    """Makes the actions read the fixture knowledge base and fixes today's date."""
    monkeypatch.setenv("POBYT_KNOWLEDGE_DIR", str(FIXTURE_KNOWLEDGE))
    monkeypatch.setenv("POBYT_TODAY", TODAY.isoformat())


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    """Collects what an action sends."""
    return CollectingDispatcher()


@pytest.fixture
def make_tracker() -> Callable[..., Tracker]:
    """Builds a tracker whose latest message has the given text, intent, entities and slots."""

    def build(
        text: str,
        intent: Optional[str] = None,
        entities: Optional[List[Dict[str, Any]]] = None,
        slots: Optional[Dict[str, Any]] = None,
        metadata: Optional[Dict[str, Any]] = None,
    ) -> Tracker:
        latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities or []}
        if metadata is not None:
            latest["metadata"] = metadata
        return Tracker(
            sender_id="test",
            slots={"procedure": None, "language": None, "aspect": None, **(slots or {})},
            latest_message=latest,
            events=[],
            paused=False,
            followup_action=None,
            active_loop={},
            latest_action_name="action_listen",
        )

    return build
