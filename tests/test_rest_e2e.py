"""The README's conversation over the real REST channel: real Rasa server, real action server.

The REST channel is for integrations: it needs the API token, and its conversation ``X`` is stored
as ``rest:X`` (so a Telegram chat's or a widget's conversation cannot be addressed from it).
"""

from __future__ import annotations

import json

import pytest
import requests

from pobyt.channels.identity import conversation_of_token
from pobyt.language import detect_language
from tests.servers import API_TOKEN, MODEL, running_assistant

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    if not MODEL.exists():
        pytest.skip("no trained model: run `make train` (make test does)")
    with running_assistant(tmp_path_factory.mktemp("e2e"), {"POBYT_TODAY": "2026-11-24"}) as url:
        yield url


def say(url: str, sender: str, message: str) -> list:
    response = requests.post(
        f"{url}/webhooks/rest/webhook",
        json={"sender": sender, "message": message},
        headers={"Authorization": f"Bearer {API_TOKEN}"},
        timeout=60,
    )
    response.raise_for_status()
    return response.json()


def conversation(url: str, conversation_id: str) -> dict:
    return requests.get(
        f"{url}/conversations/{conversation_id}/tracker", params={"token": API_TOKEN}, timeout=30
    ).json()


def slots(url: str, sender: str) -> dict:
    return conversation(url, f"rest:{sender}")["slots"]


def test_family_reunion_documents_then_fees(assistant):
    sender = "e2e-family"
    disclaimer, choice = say(assistant, sender, "what do I need for family reunion")
    assert disclaimer["text"].startswith("I give information, not legal advice.")
    assert choice["text"] == "Who is your family member in Slovakia?"
    assert [b["title"] for b in choice["buttons"]] == [
        "My family member is a Slovak citizen",
        "My family member is a foreigner living in Slovakia",
    ]
    payload = choice["buttons"][1]["payload"]
    assert json.loads(payload[len("/ask_documents") :]) == {"procedure": "temporary_residence_family_reunion"}
    assert slots(assistant, sender)["language"] == "en"

    (documents,) = say(assistant, sender, payload)
    lines = documents["text"].split("\n")
    assert lines[0] == "Temporary residence for family reunion (Prechodný pobyt na účel zlúčenia rodiny)"
    assert lines[1] == "Documents you need:"
    assert any(line.startswith("• 2 × ") and "3 x 3.5 cm" in line for line in lines)
    assert lines[-1] == "Source: Guide to legal stay in Slovakia (as of 2017-2019). Checked on 24 November 2026."
    assert slots(assistant, sender)["procedure"] == "temporary_residence_family_reunion"
    assert documents["custom"]["pobyt"] == {
        "procedure": "temporary_residence_family_reunion",
        "aspect": "documents",
        "language": "en",
        "sources": ["legal_stay_guide"],
        "offices": [],
    }

    (fees,) = say(assistant, sender, "how much does it cost")
    lines = fees["text"].split("\n")
    assert lines[1:3] == ["Fees:", "• EUR 132.50: Application for temporary residence (paid when you apply)"]
    assert lines[3].startswith("⚠ Residence fees are reported to have changed")
    assert "0850 211 478" in lines[3]
    assert lines[-1].startswith("Source: Guide to legal stay in Slovakia (as of 2017-2019).")
    state = slots(assistant, sender)
    assert (state["procedure"], state["language"], state["aspect"]) == (
        "temporary_residence_family_reunion",
        "en",
        "fees",
    )


def test_spouse_of_a_slovak_citizen_gets_permanent_residence_fees(assistant):
    sender = "e2e-spouse"
    _disclaimer, answer = say(assistant, sender, "I am married to a Slovak, how much does it cost?")
    assert answer["text"].startswith(
        "Permanent residence for five years (Trvalý pobyt na 5 rokov)\nFees:\n• EUR 165.50"
    )
    assert slots(assistant, sender)["procedure"] == "permanent_residence_5_years"


@pytest.mark.parametrize(
    "body",
    [{"sender": "x"}, {"message": "hi"}, {"sender": 5, "message": "hi"}, [], {"sender": "x", "message": "a" * 4001}],
)
def test_malformed_requests_get_a_4xx(assistant, body):
    response = requests.post(f"{assistant}/webhooks/rest/webhook", json=body, params={"token": API_TOKEN}, timeout=30)
    assert response.status_code in (400, 413)
    assert "error" in response.json()


def test_a_ukrainian_message_is_answered_in_ukrainian(assistant):
    sender = "e2e-uk"
    replies = say(assistant, sender, "Добрий день! Мені потрібна допомога")
    assert replies
    assert slots(assistant, sender)["language"] == "uk"
    assert all(detect_language(reply["text"]) == "uk" for reply in replies), replies


def test_the_http_api_needs_the_token(assistant):
    say(assistant, "e2e-private", "hello")
    assert requests.get(f"{assistant}/conversations/rest:e2e-private/tracker", timeout=30).status_code == 401
    assert (
        requests.get(
            f"{assistant}/conversations/rest:e2e-private/tracker", params={"token": "wrong"}, timeout=30
        ).status_code
        == 401
    )


def test_the_rest_channel_needs_the_token_and_cannot_reach_a_widget_conversation(assistant):
    # A person asks about family reunion in the widget (its server-issued token is its only key).
    widget = f"{assistant}/webhooks/widget"
    token = requests.post(f"{widget}/session", timeout=30).json()["sender"]
    question = "I am married to a Slovak, how much does it cost?"
    asked = requests.post(f"{widget}/webhook", json={"sender": token, "message": question}, timeout=60)
    assert (
        asked.status_code == 200 and asked.json()[-1]["custom"]["pobyt"]["procedure"] == "permanent_residence_5_years"
    )
    person = conversation_of_token(token)
    assert conversation(assistant, person)["slots"]["procedure"] == "permanent_residence_5_years"

    message = {"sender": person, "message": "how much does it cost"}
    for attempt in (message, {**message, "sender": token}):
        refused = requests.post(f"{assistant}/webhooks/rest/webhook", json=attempt, timeout=30)
        assert refused.status_code == 401 and "token" in refused.json()["error"]
        wrong = requests.post(f"{assistant}/webhooks/rest/webhook", json=attempt, params={"token": "x"}, timeout=30)
        assert wrong.status_code == 401
        # With the token, an integration still only reaches rest:<its id>: a new conversation.
        (disclaimer, *_) = say(assistant, attempt["sender"], "how much does it cost")
        assert disclaimer["text"].startswith("I give information, not legal advice.")
    # The widget refuses ids it did not sign; the person's conversation is untouched.
    tampered = token[:-1] + ("B" if token.endswith("A") else "A")
    for sender in (person, person.replace("web:", ""), "tg:1", tampered):
        forged = requests.post(f"{widget}/forget", json={"sender": sender}, timeout=30)
        assert forged.status_code == 403 and forged.json()["text"].startswith("This chat has expired.")
    events = conversation(assistant, person)["events"]
    assert [e["text"] for e in events if e["event"] == "user"] == [question]


def test_a_mother_in_kosice_checks_in_ukrainian_whether_she_can_stay_after_march_2027(assistant):
    sender = "e2e-check-uk"
    # The question is answered first, with the check offered as a button...
    answer = say(assistant, sender, "чи можу я залишитися після березня 2027?")[-1]
    assert "4 березня 2027" in answer["text"]
    assert "/check_after_protection" in [b["payload"] for b in answer["buttons"]]
    # ...which starts it.
    questions = []
    for message in ("/check_after_protection", "так", "нічого з цього", "працевлаштування"):
        replies = say(assistant, sender, message)
        questions.append(replies[-1]["text"])
        assert [b["title"] for b in replies[-1]["buttons"]][-1] == "Зупинити"
    assert questions == [
        "У вас є тимчасовий захист (*dočasné útočisko*) у Словаччині (або був станом на 3 березня 2027 року)?",
        "Чи стосується вас щось із цього?",
        "Чим ви зараз займаєтеся в Словаччині, що може бути метою вашого перебування?",
        "Скільки місяців поспіль, аж до сьогодні, ви цим займаєтеся? Наприклад: 8\n"
        "Будь ласка, напишіть кількість місяців.",
    ]
    (result,) = say(assistant, sender, "9")
    assert "тож можете подати заяву вже зараз. Тимчасовий захист діє до 4 березня 2027" in result["text"]
    assert detect_language(result["text"]) == "uk"
    assert result["custom"]["pobyt"]["outcome"] == "eligible"
    assert result["custom"]["pobyt"]["procedure"] == "temporary_protection_transition"
    assert slots(assistant, sender)["procedure"] == "temporary_protection_transition"
    assert slots(assistant, sender)["language"] == "uk"
