"""HTTP limits without a server: settings, NLU text cut, the credentials entry, and a 429 that stays cheap."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any, List

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain

from pobyt.channels.rest import RestInput
from pobyt.http_limits import DEFAULT_REQUEST_MAX_BYTES, HttpLimits, HttpLimitSettings, nlu_text
from tests.conftest import ROOT


def test_the_default_body_limit_holds_the_longest_message_the_channels_accept():
    # 4,000 characters, each escaped as \\uXXXX by the most careful JSON encoder, plus the sender.
    longest = json.dumps({"sender": "x" * 128, "message": "й" * 4000, "metadata": {"language": "uk"}})
    assert len(longest.encode()) < DEFAULT_REQUEST_MAX_BYTES
    assert DEFAULT_REQUEST_MAX_BYTES == 64 * 1024


def test_settings_come_from_the_environment_and_a_typo_stops_the_start():
    settings = HttpLimitSettings.from_environment({"POBYT_REQUEST_MAX_BYTES": "32768", "POBYT_MAX_IN_FLIGHT": "0"})
    assert (settings.request_max_bytes, settings.max_in_flight, settings.nlu_max_chars) == (32768, 0, 1000)
    for variable, value in (("POBYT_REQUEST_MAX_BYTES", "64k"), ("POBYT_REQUEST_MAX_BYTES", "10"),
                            ("POBYT_NLU_MAX_CHARS", "-1"), ("POBYT_MAX_IN_FLIGHT", "many")):  # fmt: skip
        with pytest.raises(ValueError, match=variable):
            HttpLimitSettings.from_environment({variable: value})


def test_nlu_reads_whole_words_up_to_the_limit():
    assert nlu_text("short question", 100) == "short question"
    text = "family reunion " * 100
    cut = nlu_text(text, 100)
    assert len(cut) <= 100 and text.startswith(cut) and text[len(cut)] == " "  # ends with a whole word
    assert nlu_text("x" * 500, 100) == "x" * 100  # no space to cut at: a hard cut


def test_the_projects_credentials_install_the_limits(monkeypatch):
    from rasa.core.run import create_http_input_channels

    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    channels = create_http_input_channels(None, str(ROOT / "credentials.yml"))
    assert any(isinstance(channel, HttpLimits) for channel in channels)


# ---- a sender over the per-sender limit costs no tracker load


class CountingStore(InMemoryTrackerStore):
    """Counts the conversations loaded."""

    def __init__(self) -> None:
        super().__init__(Domain.empty())
        self.loads: List[str] = []

    async def retrieve(self, sender_id: str) -> Any:
        self.loads.append(sender_id)
        return await super().retrieve(sender_id)


def rest_request(body: dict, agent: Any) -> Any:
    return SimpleNamespace(
        json=body,
        app=SimpleNamespace(ctx=SimpleNamespace(agent=agent)),
        headers={"Authorization": "Bearer unit-test-token"},
        args={},
    )


async def test_a_429_does_not_load_the_conversation(monkeypatch):
    monkeypatch.setenv("POBYT_RATE_LIMIT_BURST", "1")
    channel = RestInput(token="unit-test-token")

    async def rasa(message: UserMessage) -> None:
        await message.output_channel.send_response(message.sender_id, {"text": "an answer"})

    handler = next(r.handler for r in channel.blueprint(rasa)._future_routes if r.uri == "/webhook")
    store = CountingStore()
    agent = SimpleNamespace(tracker_store=store)
    body = {"sender": "flood", "message": "hello", "metadata": {"language": "ru"}}
    assert (await handler(rest_request(body, agent))).status == 200
    store.loads.clear()
    refused = await handler(rest_request(body, agent))
    assert refused.status == 429
    assert json.loads(refused.body)["text"].startswith("Вы отправляете сообщения")  # the hinted language
    assert store.loads == []
