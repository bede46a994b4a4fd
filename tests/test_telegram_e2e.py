"""The Telegram channel in a real Rasa server (with the real action server) against a fake Bot API.

Updates are shaped as Telegram sends them; assertions are on what the person sees: the messages
sent to their chat (HTML, split, buttons) and the answered button presses.
"""

from __future__ import annotations

import asyncio
import html
import re
import shutil
import sqlite3

import pytest
import requests
import yaml

from pobyt.channels.telegram_api import BotApi
from pobyt.channels.telegram_render import MAX_CALLBACK_BYTES, telegram_length
from pobyt.messages import say
from scripts.telegram_webhook import poll
from tests import fake_telegram as tg
from tests.servers import MODEL, ROOT, running_assistant

pytestmark = pytest.mark.e2e

INJECTION = "<b>x</b> & <img src=x onerror=alert(1)>"
WEBHOOK = "/webhooks/telegram/webhook"
#: The only markup the bot writes: the title in bold, the knowledge base's Slovak terms in italics.
ALLOWED_TAGS = {"<b>", "</b>", "<i>", "</i>"}


def long_knowledge(target) -> None:
    """Copies the knowledge base; the apostille overview gets hostile markup and ~12,000 characters."""
    shutil.copytree(ROOT / "knowledge", target)
    path = target / "procedures" / "apostille.yml"
    procedure = yaml.safe_load(path.read_text(encoding="utf-8"))
    paragraphs = [f"Paragraph {i}: " + "An apostille verifies a document issued abroad. " * 25 for i in range(10)]
    procedure["summary"]["en"] = "\n\n".join([f"Beware of {INJECTION} in documents.", *paragraphs])
    path.write_text(yaml.safe_dump(procedure, allow_unicode=True), encoding="utf-8")


@pytest.fixture(scope="module")
def telegram(tmp_path_factory):
    if not MODEL.exists():
        pytest.skip("no trained model: run `make train` (make test does)")
    workdir = tmp_path_factory.mktemp("telegram")
    long_knowledge(workdir / "knowledge")
    with tg.running_fake_telegram() as fake:
        credentials = workdir / "credentials.yml"
        credentials.write_text(
            "pobyt.channels.rest.RestInput:\n"
            "pobyt.channels.telegram.TelegramInput:\n"
            f"  token: '{tg.TOKEN}'\n  webhook_secret: '{tg.SECRET}'\n  api_url: '{fake.url}'\n"
        )
        env = {"POBYT_TODAY": "2026-11-24", "POBYT_KNOWLEDGE_DIR": str(workdir / "knowledge")}
        with running_assistant(workdir, env, credentials=credentials) as url:
            yield url, fake, workdir


def post(url: str, update: dict, secret: str | None = tg.SECRET) -> requests.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return requests.post(f"{url}{WEBHOOK}", json=update, headers=headers, timeout=120)


def deliver(url: str, update: dict) -> None:
    response = post(url, update)
    assert response.status_code == 200, response.text


def sent(fake: tg.FakeTelegram, chat_id: int) -> list:
    return fake.calls_of("sendMessage", chat_id)


def tags(text: str) -> set:
    return set(re.findall(r"<[^>]*>", text))


def test_the_channel_is_up_without_calling_telegram(telegram):
    url, fake, _ = telegram
    assert requests.get(f"{url}/webhooks/telegram/", timeout=30).json() == {"status": "ok"}
    assert [c.method for c in fake.calls] == []  # nothing at start-up (this test runs first)


def test_start_with_ukrainian_app_greets_in_ukrainian(telegram):
    url, fake, _ = telegram
    deliver(url, tg.text(1001, "/start", language_code="uk"))
    greeting, disclaimer = sent(fake, 1001)
    assert greeting["text"] == say("greet", "uk")
    assert greeting["text"].startswith("Вітаю!")
    assert greeting["parse_mode"] == "HTML"
    assert disclaimer["text"] == say("disclaimer", "uk")


def test_start_with_region_code_and_without_language_code(telegram):
    url, fake, _ = telegram
    deliver(url, tg.text(1002, "/start", language_code="ru-RU"))
    assert sent(fake, 1002)[0]["text"] == say("greet", "ru")
    deliver(url, tg.text(1003, "/start", language_code=None))
    assert sent(fake, 1003)[0]["text"].startswith("Hello! I answer questions about legal stay in Slovakia")


def test_question_buttons_and_a_long_payload_round_trip(telegram):
    url, fake, _ = telegram
    deliver(url, tg.text(1004, "what do I need for family reunion"))
    disclaimer, choice = sent(fake, 1004)
    assert disclaimer["text"].startswith("I give information, not legal advice.")
    assert "reply_markup" not in disclaimer
    assert choice["text"] == "Who is your family member in Slovakia?"
    rows = choice["reply_markup"]["inline_keyboard"]
    assert [row[0]["text"] for row in rows] == [
        "My family member is a Slovak citizen",
        "My family member is a foreigner living in Slovakia",
    ]
    assert all(len(row[0]["callback_data"].encode()) <= MAX_CALLBACK_BYTES for row in rows)
    # This payload is 65 bytes: the button carries a short key for it instead.
    assert rows[1][0]["callback_data"].startswith("#")

    press = tg.callback(1004, rows[1][0]["callback_data"])
    deliver(url, press)
    assert fake.calls_of("answerCallbackQuery")[-1] == {"callback_query_id": press["callback_query"]["id"]}
    documents = sent(fake, 1004)[-1]
    lines = documents["text"].split("\n")
    assert lines[0] == "<b>Temporary residence for family reunion (Prechodný pobyt na účel zlúčenia rodiny)</b>"
    assert lines[1] == "Documents you need:"
    assert tags(documents["text"]) <= ALLOWED_TAGS


def test_an_unknown_button_is_answered_and_explained(telegram):
    url, fake, _ = telegram
    press = tg.callback(1005, "#AAAAAAAAAAAAAAAA", language_code="ru")
    deliver(url, press)
    assert fake.calls_of("answerCallbackQuery")[-1] == {"callback_query_id": press["callback_query"]["id"]}
    assert [m["text"] for m in sent(fake, 1005)] == [say("telegram.button_expired", "ru")]


def test_a_retried_update_is_answered_once(telegram):
    url, fake, _ = telegram
    update = tg.text(1006, "/help", language_code="en")
    deliver(url, update)
    first = len(sent(fake, 1006))
    assert first >= 1
    response = post(url, update)
    assert response.status_code == 200
    assert len(sent(fake, 1006)) == first


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", tg.SECRET + "x"])
def test_a_wrong_or_missing_secret_is_refused(telegram, secret):
    url, fake, _ = telegram
    response = post(url, tg.text(1007, "/start"), secret=secret)
    assert response.status_code == 403
    assert sent(fake, 1007) == []


def test_stickers_photos_voice_documents_locations_and_edits_get_a_polite_reply_in_the_users_language(telegram):
    url, fake, _ = telegram
    deliver(url, tg.sticker(1008, language_code="uk"))
    deliver(url, tg.photo(1008, language_code="uk"))
    deliver(url, tg.voice(1008, language_code="uk"))
    deliver(url, tg.document(1008, language_code="uk"))
    deliver(url, tg.location(1008, language_code="uk"))
    deliver(url, tg.edited(1008, "які документи потрібні для возз'єднання родини", language_code="uk"))
    assert [m["text"] for m in sent(fake, 1008)] == [
        *[say("telegram.not_text", "uk")] * 5,
        say("telegram.edited", "uk"),
    ]


def test_a_long_answer_is_split_and_content_markup_is_escaped(telegram):
    url, fake, _ = telegram
    deliver(url, tg.callback(1009, '/ask_overview{"procedure": "apostille"}'))
    disclaimer, *parts = [m["text"] for m in sent(fake, 1009)]
    assert disclaimer == say("disclaimer", "en")
    assert len(parts) >= 3
    assert all(telegram_length(p) <= 4096 for p in parts)
    assert parts[0].startswith(
        "<b>Apostille (Apostilačná doložka)</b>\nBeware of " + html.escape(INJECTION, quote=False)
    )
    assert all(tags(p) <= ALLOWED_TAGS for p in parts)
    # Split at paragraph boundaries: every part starts with a whole paragraph.
    assert all(p.startswith("Paragraph ") for p in parts[1:])
    text = "\n\n".join(html.unescape(p.replace("<b>", "").replace("</b>", "")) for p in parts)
    assert text.count("Paragraph ") == 10
    # The related procedures' buttons come under the last part only.
    buttons = sent(fake, 1009)[-1]["reply_markup"]["inline_keyboard"]
    assert buttons[0][0]["text"] == "Superlegalisation (consular legalisation)"
    assert all("reply_markup" not in m for m in sent(fake, 1009)[:-1])


def test_markup_typed_by_the_user_is_never_sent_as_markup(telegram):
    url, fake, _ = telegram
    deliver(url, tg.text(1010, INJECTION))
    replies = [m["text"] for m in sent(fake, 1010)]
    assert replies
    assert all(tags(text) <= ALLOWED_TAGS and "<img" not in text for text in replies)


def test_commands_help_human_language(telegram):
    url, fake, _ = telegram
    deliver(url, tg.text(1011, "/help@pobyt_bot", language_code="en"))
    menu = sent(fake, 1011)[-1]
    assert menu["text"].startswith(html.escape(say("help", "en"), quote=False))
    assert menu["reply_markup"]["inline_keyboard"][-1][0]["text"] == say("button.human", "en")
    deliver(url, tg.text(1011, "/human", language_code="en"))
    assert "0850 211 478" in sent(fake, 1011)[-1]["text"]
    deliver(url, tg.text(1011, "/language", language_code="en"))
    choose = sent(fake, 1011)[-1]
    assert choose["text"] == say("language.choose", "en")
    assert len(choose["reply_markup"]["inline_keyboard"]) == 3


def events_of(workdir, sender: str) -> int:
    with sqlite3.connect(workdir / "tracker.db") as db:
        return db.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0]


def test_forget_deletes_the_conversation_and_confirms_in_its_language(telegram):
    url, fake, workdir = telegram
    deliver(url, tg.text(1012, "які документи потрібні для возз'єднання родини", language_code="en"))
    assert events_of(workdir, "tg:1012") > 0
    deliver(url, tg.text(1012, "/forget", language_code="en"))
    assert events_of(workdir, "tg:1012") == 0
    assert sent(fake, 1012)[-1]["text"] == say("privacy.forgotten", "uk")
    deliver(url, tg.text(1012, "/start", language_code="en"))
    assert sent(fake, 1012)[-2]["text"] == say("greet", "en")


def test_a_failing_bot_api_is_logged_and_the_webhook_still_answers_200(telegram):
    url, fake, workdir = telegram
    fake.failing.add("sendMessage")
    try:
        response = post(url, tg.text(1013, "secret question about my family", language_code="en"))
    finally:
        fake.failing.discard("sendMessage")
    assert response.status_code == 200
    assert fake.calls_of("sendMessage", 1013)  # it tried
    log = (workdir / "rasa.log").read_text()
    assert "Telegram sendMessage failed: Bad Request: chat not found" in log
    assert "secret question" not in log
    assert tg.TOKEN not in log


def test_long_polling_forwards_updates_to_the_local_webhook(telegram):
    url, fake, _ = telegram
    fake.updates = [tg.text(1014, "/start", language_code="uk"), tg.sticker(1014, language_code="uk")]
    config = type("Config", (), {"webhook_secret": tg.SECRET})()

    async def one_round() -> int:
        api = BotApi(tg.TOKEN, fake.url)
        try:
            return await poll(api, config, f"{url}{WEBHOOK}", max_rounds=1, wait_s=0)
        finally:
            await api.close()

    assert asyncio.run(one_round()) == 2
    assert [m["text"] for m in sent(fake, 1014)] == [
        say("greet", "uk"),
        say("disclaimer", "uk"),
        say("telegram.not_text", "uk"),
    ]
    assert fake.calls_of("getUpdates")[-1]["allowed_updates"] == ["message", "edited_message", "callback_query"]


def test_custom_data_is_not_sent_to_telegram(telegram):
    _, fake, _ = telegram
    messages = fake.calls_of("sendMessage")
    assert messages
    assert all(set(m) <= {"chat_id", "text", "parse_mode", "link_preview_options", "reply_markup"} for m in messages)
    assert not any('"aspect"' in m["text"] or "'aspect'" in m["text"] for m in messages)


def test_slovak_terms_are_italic_and_a_group_is_told_to_write_privately(telegram):
    url, fake, workdir = telegram
    deliver(url, tg.text(1015, "чи можу я залишитися після березня 2027?", language_code="uk"))
    question = sent(fake, 1015)[-1]["text"]
    assert "<i>dočasné útočisko</i>" in question or "<i>prechodný pobyt</i>" in question
    assert "*" not in question

    deliver(url, tg.group_text(-1015, 1016, "what do I need for family reunion"))
    deliver(url, tg.group_text(-1015, 1017, "/forget"))
    assert [m["text"] for m in sent(fake, -1015)] == [say("telegram.private_only", "en")]
    assert events_of(workdir, "tg:-1015") == 0
