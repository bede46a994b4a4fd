"""Property: whatever text arrives, the NLU + action path answers in a language the assistant speaks.

Against the real servers (REST channel -> Rasa NLU and dialogue -> action server), not in-process:
the property is about the whole path a message takes, including our channel's cleaning and the
action server's JSON round trip, and loading the model in the test process as well would double
the memory and start-up time on a 2-core machine. The number of examples is bounded (60) and the
generation derandomised, so CI always runs the same cases in about a minute; a failure prints the
smallest message that breaks the property.
"""

from __future__ import annotations

import itertools

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pobyt.channels import guard
from pobyt.language import detect_language
from tests.servers import API_TOKEN, MODEL, running_assistant

pytestmark = pytest.mark.e2e

SPEAKS = {"en", "uk", "ru"}
#: Real question fragments, so that generated messages also reach the answering actions.
PHRASES = [
    "what do I need for family reunion",
    "how much does temporary protection cost",
    "where do I apply for permanent residence",
    "які документи потрібні для тимчасового захисту",
    "скільки коштує посвідка на проживання",
    "где подать заявление на убежище",
    "сколько стоит ВНЖ",
    "hello",
    "дякую",
    "/ask_fees",
    '/ask_documents{"procedure": "asylum"}',
    "ВНЖ",
]
#: Letters of every script people may type, digits, punctuation, emoji, spaces and control characters.
ALPHABET = st.characters(
    categories=["L", "N", "P", "S", "Zs", "Cc", "Mn", "Cf"],
    include_characters="\n\t\u200d",
)
MESSAGES = st.one_of(
    st.text(ALPHABET, max_size=80),
    st.tuples(st.sampled_from(PHRASES), st.text(ALPHABET, max_size=30)).map(lambda p: f"{p[0]} {p[1]}"),
    st.tuples(st.text(ALPHABET, max_size=30), st.sampled_from(PHRASES)).map(lambda p: f"{p[0]}{p[1]}"),
    st.sampled_from(PHRASES).map(lambda p: p.upper()),
)
_senders = itertools.count()


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    if not MODEL.exists():
        pytest.skip("no trained model: run `make train` (make test does)")
    with running_assistant(tmp_path_factory.mktemp("property"), {"POBYT_TODAY": "2026-11-24"}) as url:
        yield url


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(message=MESSAGES)
def test_any_text_gets_an_answer_in_a_known_language(assistant, message):
    sender = f"property-{next(_senders)}"  # each a first message: the language is detected from it
    response = requests.post(
        f"{assistant}/webhooks/rest/webhook",
        json={"sender": sender, "message": message},
        params={"token": API_TOKEN},
        timeout=120,
    )
    assert response.status_code == 200, response.text
    replies = response.json()
    assert replies, f"no answer to {message!r}"
    for reply in replies:
        assert reply["text"].strip() or reply.get("buttons"), reply
        language = reply["custom"]["pobyt"]["language"]
        assert language in SPEAKS, reply
        # The words are in the language the answer claims (None: too short to tell).
        assert detect_language(reply["text"]) in (language, None), reply
    if guard.has_words(guard.clean_text(message)):
        assert replies[0]["text"] != guard.technical_problem(replies[0]["custom"]["pobyt"]["language"])
