"""Unit tests of the Telegram channel: rendering, buttons, configuration, commands, privacy, the script."""

from __future__ import annotations

import html
import json
import logging
from types import SimpleNamespace

import pytest
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from pobyt.answers import aspect_payload
from pobyt.channels.telegram import (
    TelegramConfig,
    TelegramInput,
    command_message,
    language_hint,
)
from pobyt.channels.telegram_api import BotApi, BotApiError
from pobyt.channels.telegram_render import (
    MAX_CALLBACK_BYTES,
    PayloadRegistry,
    inline_keyboard,
    render_chunks,
    split_text,
    telegram_length,
)
from pobyt.messages import say
from pobyt.privacy import forget_conversation
from scripts.telegram_webhook import main as webhook_main
from tests import fake_telegram as tg

INJECTION = "<b>x</b> & <img src=x onerror=alert(1)>"
LONG_PAYLOAD = aspect_payload("documents", "temporary_residence_family_reunion")


# Rendering


def test_text_is_escaped_and_only_a_title_is_bold():
    assert render_chunks(INJECTION) == ["&lt;b&gt;x&lt;/b&gt; &amp; &lt;img src=x onerror=alert(1)&gt;"]
    assert render_chunks(f"Title {INJECTION}\n• a < b", titled=True) == [
        "<b>Title &lt;b&gt;x&lt;/b&gt; &amp; &lt;img src=x onerror=alert(1)&gt;</b>\n• a &lt; b"
    ]
    # A message that is not about a procedure or an office has no title.
    assert render_chunks("Topics:\n• Visas") == ["Topics:\n• Visas"]


def test_long_text_is_split_at_paragraphs_then_lines():
    paragraphs = [f"P{i} " + "word & more " * 60 for i in range(20)]
    text = "Title\n" + "\n\n".join(paragraphs)
    chunks = render_chunks(text, titled=True, limit=1000)
    assert len(chunks) > 1
    assert all(telegram_length(c) <= 1000 for c in chunks)
    assert chunks[0].startswith("<b>Title</b>\nP0 ")
    assert all(c.startswith("P") for c in chunks[1:])  # each part starts with a whole paragraph
    plain = [html.unescape(c.replace("<b>", "").replace("</b>", "")) for c in chunks]
    assert "\n\n".join(plain) == text

    lines = "\n".join(f"• line {i} " + "x" * 80 for i in range(40))  # one paragraph, many lines
    parts = split_text(lines, lambda chunk: len(chunk) <= 500)
    assert all(len(p) <= 500 for p in parts)
    assert "\n".join(parts) == lines


def test_a_split_never_falls_inside_an_escape_and_counts_utf16():
    text = "&" * 5000 + "\n" + "😀" * 3000
    chunks = render_chunks(text)
    assert all(telegram_length(c) <= 4096 for c in chunks)
    assert all(not c.endswith(("&", "&a", "&am", "&amp")) or c.endswith("&amp;") for c in chunks)
    assert "".join(html.unescape(c) for c in chunks).replace("\n", "") == text.replace("\n", "")


def test_slovak_terms_in_asterisks_are_italic_and_stay_escaped():
    assert render_chunks("Тимчасовий захист (*dočasné útočisko*)") == ["Тимчасовий захист (<i>dočasné útočisko</i>)"]
    assert render_chunks("Asylum (*azyl*)\n• apply at the *cudzinecká polícia*", titled=True) == [
        "<b>Asylum (<i>azyl</i>)</b>\n• apply at the <i>cudzinecká polícia</i>"
    ]
    # Markup inside the asterisks stays text; lone or spaced asterisks stay asterisks.
    assert render_chunks(f"*{INJECTION}*") == ["<i>&lt;b&gt;x&lt;/b&gt; &amp; &lt;img src=x onerror=alert(1)&gt;</i>"]
    assert render_chunks("5 * 3 = 15, ** and * not this *") == ["5 * 3 = 15, ** and * not this *"]
    # The <i> markup counts towards the limit.
    chunks = render_chunks(" ".join(["*azyl*"] * 2000), limit=1000)
    assert all(telegram_length(c) <= 1000 for c in chunks)


# Buttons


def test_short_payloads_are_sent_as_they_are_and_long_ones_by_a_key():
    registry = PayloadRegistry()
    assert registry.callback_data("/help") == "/help"
    data = registry.callback_data(LONG_PAYLOAD)
    assert len(LONG_PAYLOAD.encode()) > MAX_CALLBACK_BYTES >= len(data.encode())
    assert data.startswith("#")
    assert registry.payload(data) == LONG_PAYLOAD
    assert registry.payload("/help") == "/help"
    assert registry.payload("#unknown") is None
    cyrillic = "/ask_overview" + json.dumps({"procedure": "тимчасовий_захист"}, ensure_ascii=False)
    assert len(registry.callback_data(cyrillic).encode()) <= MAX_CALLBACK_BYTES


def test_old_buttons_still_work_after_a_restart_or_eviction():
    data = PayloadRegistry().callback_data(LONG_PAYLOAD)
    restarted = PayloadRegistry(known_payloads=lambda: [LONG_PAYLOAD])
    assert restarted.payload(data) == LONG_PAYLOAD
    small = PayloadRegistry(capacity=1)
    first = small.callback_data(LONG_PAYLOAD)
    small.callback_data(LONG_PAYLOAD + " ")
    assert small.payload(first) is None  # evicted and not a knowledge-base payload


def test_inline_keyboard_has_one_button_per_row():
    markup = inline_keyboard(
        [{"title": "A <b>", "payload": "/help"}, {"title": "B", "payload": LONG_PAYLOAD}], PayloadRegistry()
    )
    assert [[b["text"] for b in row] for row in markup["inline_keyboard"]] == [["A <b>"], ["B"]]
    assert markup["inline_keyboard"][0][0]["callback_data"] == "/help"


# Configuration, language, commands


def test_configuration_comes_from_credentials_then_environment():
    env = {
        "TELEGRAM_BOT_TOKEN": "1:env",
        "TELEGRAM_WEBHOOK_SECRET": "env_secret",
        "TELEGRAM_API_URL": "http://bot.local",
    }
    config = TelegramConfig.load({"token": "1:file", "webhook_secret": None}, env)
    assert (config.token, config.webhook_secret, config.api_url) == ("1:file", "env_secret", "http://bot.local")
    assert TelegramConfig.load(None, {}).api_url == "https://api.telegram.org"
    assert "TELEGRAM_BOT_TOKEN" in TelegramConfig.load(None, {}).problem()
    assert "TELEGRAM_WEBHOOK_SECRET" in TelegramConfig(token="1:x", webhook_secret="has spaces").problem()
    assert TelegramConfig(token="1:x", webhook_secret=tg.SECRET).problem() is None


@pytest.mark.parametrize(
    "code, expected",
    [("uk", "uk"), ("uk-UA", "uk"), ("RU_ru", "ru"), ("en-GB", "en"), ("de", None), ("", None), (None, None)],
)
def test_language_hint(code, expected):
    assert language_hint(code) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("/start", "/greet"),
        ("/start@pobyt_bot", "/greet"),
        ("/start campaign-7", "/greet"),
        ("/help", "/help"),
        ("/language", "/choose_language"),
        ("/human", "/ask_human"),
        ("/forget", "forget"),
        ('/ask_documents{"procedure": "asylum"}', "/help"),  # no intent payloads typed by hand
        ("/", "/help"),
        ("hello", None),
    ],
)
def test_commands(text, expected):
    assert command_message(text) == expected


def route(channel: TelegramInput, uri: str, on_new_message=None):
    # The blueprint's handler, called directly (no server needed for these checks).
    return next(r.handler for r in channel.blueprint(on_new_message)._future_routes if r.uri == uri)


def request(body, secret=None, agent=None):
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
    app = SimpleNamespace(ctx=SimpleNamespace(agent=agent), config=SimpleNamespace(REQUEST_MAX_SIZE=65536))

    async def receive_body():  # the webhook streams its body: Sanic's request reads it on demand
        pass

    return SimpleNamespace(headers=headers, json=body, app=app, stream=None, receive_body=receive_body)


async def test_without_a_token_the_channel_is_disabled_and_calls_nobody():
    channel = TelegramInput(TelegramConfig(), known_payloads=list)
    response = await route(channel, "/webhook")(request(tg.text(1, "/start"), secret="anything"))
    assert response.status == 503
    assert json.loads((await route(channel, "/")(request(None))).body) == {"status": "disabled"}


async def test_messages_reach_rasa_with_the_language_hint():
    with tg.running_fake_telegram() as fake:
        channel = TelegramInput(TelegramConfig(tg.TOKEN, tg.SECRET, "", fake.url), known_payloads=list)
        received = []

        async def on_new_message(message):
            received.append(message)

        agent = SimpleNamespace(tracker_store=InMemoryTrackerStore(Domain.empty()))
        for update in (tg.text(7, "/start", "uk-UA"), tg.text(7, "hi", None), tg.callback(7, "/help", "ru")):
            await channel.handle_update(update, on_new_message, agent)
        assert [(m.text, m.sender_id, m.input_channel, m.metadata) for m in received] == [
            ("/greet", "tg:7", "telegram", {"language": "uk"}),
            ("hi", "tg:7", "telegram", None),
            ("/help", "tg:7", "telegram", {"language": "ru"}),
        ]
        assert len(fake.calls_of("answerCallbackQuery")) == 1
        await channel.api.close()


async def test_a_failing_button_is_still_answered():
    with tg.running_fake_telegram() as fake:
        channel = TelegramInput(TelegramConfig(tg.TOKEN, tg.SECRET, "", fake.url), known_payloads=list)

        async def broken(_message):
            raise RuntimeError("the dialogue failed")

        agent = SimpleNamespace(tracker_store=InMemoryTrackerStore(Domain.empty()))
        update = tg.callback(8, "/help")
        response = await route(channel, "/webhook", broken)(request(update, tg.SECRET, agent))
        assert response.status == 200
        assert fake.calls_of("answerCallbackQuery") == [{"callback_query_id": update["callback_query"]["id"]}]
        await channel.api.close()


# Groups: the bot answers in private chats only


async def test_a_group_is_told_once_to_write_privately_and_nothing_of_it_is_stored():
    with tg.running_fake_telegram() as fake:
        channel = TelegramInput(TelegramConfig(tg.TOKEN, tg.SECRET, "", fake.url), known_payloads=list)
        received = []

        async def on_new_message(message):
            received.append(message)

        agent = SimpleNamespace(tracker_store=InMemoryTrackerStore(Domain.empty()), lock_store=InMemoryLockStore())
        for update in (
            tg.group_text(-1001, 7, "what do I need for family reunion", "uk"),
            tg.group_text(-1001, 8, "/start"),
            tg.group_text(-1001, 8, "/forget"),
            tg.callback(7, "/help") | {"callback_query": {**tg.callback(7, "/help")["callback_query"],
                                                          "message": {"message_id": 1, "chat": tg.group(-1001)}}},
        ):  # fmt: skip
            await channel.handle_update(update, on_new_message, agent)
        assert received == []  # nothing of the group reached Rasa (nor the tracker store)
        assert fake.texts(-1001) == [say("telegram.private_only", "uk")]  # once, in the first writer's language
        assert len(fake.calls_of("answerCallbackQuery")) == 1  # the button's spinner still stops
        await channel.handle_update(tg.group_text(-1002, 7, "hi", "ru"), on_new_message, agent)
        assert fake.texts(-1002) == [say("telegram.private_only", "ru")]
        # The same person in a private chat is answered as always.
        await channel.handle_update(tg.text(7, "hi"), on_new_message, agent)
        assert [m.sender_id for m in received] == ["tg:7"]
        await channel.api.close()


async def test_forget_in_a_group_does_not_delete_a_members_private_conversation():
    with tg.running_fake_telegram() as fake:
        channel = TelegramInput(TelegramConfig(tg.TOKEN, tg.SECRET, "", fake.url), known_payloads=list)
        store = InMemoryTrackerStore(Domain.empty())
        await store.save(tracker("tg:7"))
        agent = SimpleNamespace(tracker_store=store, lock_store=InMemoryLockStore())
        await channel.handle_update(tg.group_text(-1001, 8, "/forget"), None, agent)
        assert await store.retrieve("tg:7") is not None
        assert fake.texts(-1001) == [say("telegram.private_only", "en")]
        await channel.handle_update(tg.text(7, "/forget"), None, agent)
        assert await store.retrieve("tg:7") is None
        assert fake.texts(7) == [say("privacy.forgotten", "en")]
        await channel.api.close()


# The Bot API client


async def test_an_unreachable_bot_api_is_logged_without_the_token(caplog):
    api = BotApi("1:very-secret-token", "http://127.0.0.1:9", timeout_s=2)
    with caplog.at_level(logging.INFO):
        assert await api.call("sendMessage", {"chat_id": 1, "text": "private words"}) is None
    with pytest.raises(BotApiError):
        await api.request("getMe", {})
    await api.close()
    assert "Telegram sendMessage failed" in caplog.text
    assert "very-secret-token" not in caplog.text and "private words" not in caplog.text


# Privacy


def tracker(sender: str) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(sender, [UserUttered(f"hi from {sender}")])


@pytest.mark.parametrize("kind", ["memory", "sql", "pobyt-sqlite"])
async def test_forget_deletes_only_that_conversation(kind, tmp_path):
    if kind == "sql":
        store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.db"))
    elif kind == "pobyt-sqlite":  # the store endpoints.yml configures
        storage = pytest.importorskip("pobyt.storage")
        store = storage.SQLiteTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.db"))
    else:
        store = InMemoryTrackerStore(Domain.empty())
    for sender in ("a", "b"):
        await store.save(tracker(sender))
    agent = SimpleNamespace(tracker_store=FailSafeTrackerStore(store), lock_store=InMemoryLockStore())
    assert await forget_conversation(agent, "a") is True
    assert await store.retrieve("a") is None
    kept = await store.retrieve("b")
    assert [e.text for e in kept.events if isinstance(e, UserUttered)] == ["hi from b"]


async def test_forget_on_an_unknown_store_says_it_could_not():
    agent = SimpleNamespace(tracker_store=object(), lock_store=InMemoryLockStore())
    assert await forget_conversation(agent, "a") is False
    assert say("privacy.not_deleted", "uk").startswith("Вибачте")


# make telegram-webhook


def env(fake, **extra):
    return {"TELEGRAM_BOT_TOKEN": tg.TOKEN, "TELEGRAM_WEBHOOK_SECRET": tg.SECRET, "TELEGRAM_API_URL": fake.url, **extra}


async def test_the_webhook_script_registers_the_webhook_with_the_secret():
    with tg.running_fake_telegram() as fake:
        url = "https://pobyt.example.org/webhooks/telegram/webhook"
        printed = await webhook_main(["set"], env(fake, TELEGRAM_WEBHOOK_URL=url))
        assert printed == f"webhook set: {url} (pending updates: 0)"
        (call,) = fake.calls_of("setWebhook")
        assert call == {
            "url": url,
            "secret_token": tg.SECRET,
            "allowed_updates": ["message", "edited_message", "callback_query"],
            "drop_pending_updates": False,
        }
        # Polling is refused while the webhook is set; deleting it first works.
        with pytest.raises(SystemExit, match="delete-webhook"):
            await webhook_main(["poll", "--local", "http://127.0.0.1:9/"], env(fake))
        assert await webhook_main(["delete"], env(fake)) == "webhook deleted"


async def test_the_webhook_script_refuses_an_unusable_configuration():
    with tg.running_fake_telegram() as fake:
        with pytest.raises(SystemExit, match="https://"):
            await webhook_main(["set"], env(fake, TELEGRAM_WEBHOOK_URL="http://insecure.example.org/"))
        with pytest.raises(SystemExit, match="TELEGRAM_BOT_TOKEN"):
            await webhook_main(["set"], {})
        assert fake.calls_of("setWebhook") == []


def test_the_projects_credentials_start_without_any_telegram_setting(monkeypatch):
    from rasa.core.run import create_http_input_channels

    for variable in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "TELEGRAM_WEBHOOK_URL", "TELEGRAM_API_URL"):
        monkeypatch.delenv(variable, raising=False)
    channels = create_http_input_channels(None, str(tg.ROOT / "credentials.yml"))
    (telegram,) = [c for c in channels if isinstance(c, TelegramInput)]
    assert telegram.problem == "TELEGRAM_BOT_TOKEN is not set"
    assert telegram.config.api_url == "https://api.telegram.org"
