"""Issue 14, high 1: with a Telegram user's public id nobody reads, deletes or writes into their conversation.

A person talks to the bot on Telegram (chat id 424242, visible to anyone they ever messaged).
An attacker then tries what the issue reproduced, over the public routes: answers built from the
person's slots over REST, ``/restart`` injected into their conversation, their conversation deleted
with the widget's forget route. The channels' route handlers are called with requests shaped as
Sanic builds them; a small stand-in for Rasa stores every message in a real tracker store under
the conversation id the channel gives it and answers with what it knows of that conversation.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any, Dict, List, Optional, Tuple

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from pobyt.channels import identity
from pobyt.channels.rest import RestInput
from pobyt.channels.telegram import TelegramConfig, TelegramInput
from pobyt.channels.widget import WidgetInput
from pobyt.messages import say
from tests import fake_telegram as tg

VICTIM = 424242
#: The ids an attacker can build from the victim's public Telegram id.
GUESSES = [str(VICTIM), f"tg:{VICTIM}", f"telegram:{VICTIM}"]
API_TOKEN = "integration-token-for-the-test"
FAMILY = "temporary_residence_family_reunion"
#: Shaped like a widget token, not signed by this server.
FORGED = "A" * 22 + "." + "B" * 43


class StandInRasa:
    """Stands for Rasa: stores each message under the channel's conversation id and answers from it."""

    def __init__(self) -> None:
        self.store = InMemoryTrackerStore(Domain.empty())
        self.agent = SimpleNamespace(tracker_store=self.store, lock_store=InMemoryLockStore())
        self.procedures: Dict[str, str] = {}
        self.senders: List[str] = []

    async def __call__(self, message: UserMessage) -> None:
        self.senders.append(message.sender_id)
        tracker = await self.store.retrieve(message.sender_id)
        events = list(tracker.events) if tracker else []
        await self.store.save(DialogueStateTracker.from_events(message.sender_id, [*events, UserUttered(message.text)]))
        if "family reunion" in (message.text or ""):
            self.procedures[message.sender_id] = FAMILY
        procedure = self.procedures.get(message.sender_id)
        await message.output_channel.send_response(
            message.sender_id, {"text": f"About {procedure}", "custom": {"pobyt": {"procedure": procedure}}}
        )

    async def texts(self, conversation_id: str) -> List[str]:
        """The person's messages stored in a conversation ([] when there is none)."""
        tracker = await self.store.retrieve(conversation_id)
        return [e.text for e in tracker.events if isinstance(e, UserUttered)] if tracker else []


def request(agent: Any, body: Any, headers: Optional[Dict[str, str]] = None, args: Optional[Dict[str, str]] = None):
    """A request as Sanic builds it: JSON body, headers, query arguments, the app's agent."""
    return SimpleNamespace(
        json=body, headers=headers or {}, args=args or {}, app=SimpleNamespace(ctx=SimpleNamespace(agent=agent))
    )


def answer(response: Any) -> Tuple[int, Any]:
    return response.status, json.loads(response.body)


def route(channel: Any, uri: str, on_new_message: Any) -> Any:
    """A blueprint's handler, called directly (no server needed)."""
    return next(r.handler for r in channel.blueprint(on_new_message)._future_routes if r.uri == uri)


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch):
    """The victim has talked to the bot on Telegram about family reunion; returns the channels and Rasa."""
    monkeypatch.setenv("POBYT_API_TOKEN", API_TOKEN)
    monkeypatch.setenv("POBYT_RATE_LIMIT_PER_MINUTE", "0")  # the attacker is not slowed down: only identity stops them
    rasa = StandInRasa()
    with tg.running_fake_telegram() as fake:
        telegram = TelegramInput(TelegramConfig(tg.TOKEN, tg.SECRET, "", fake.url), known_payloads=list)

        async def victim_writes() -> str:
            await telegram.handle_update(tg.text(VICTIM, "what do I need for family reunion"), rasa, rasa.agent)
            await telegram.api.close()
            (conversation,) = set(rasa.senders)
            return conversation

        yield SimpleNamespace(rasa=rasa, fake=fake, victim_writes=victim_writes, rest=RestInput(), widget=WidgetInput())


async def test_without_the_api_token_the_rest_channel_reads_and_writes_nothing(world):
    victim = await world.victim_writes()
    receive = route(world.rest, "/webhook", world.rasa)
    for guess in GUESSES:
        for message in ("how much does it cost", "/restart"):
            status, body = answer(await receive(request(world.rasa.agent, {"sender": guess, "message": message})))
            assert status == 401 and "token" in body["error"]
            assert FAMILY not in json.dumps(body)
    wrong = {"Authorization": "Bearer not-the-token"}
    status, _ = answer(await receive(request(world.rasa.agent, {"sender": GUESSES[0], "message": "hi"}, wrong)))
    assert status == 401
    assert await world.rasa.texts(victim) == ["what do I need for family reunion"]
    assert world.rasa.senders == [victim]


async def test_an_integration_with_the_token_stays_in_its_own_conversations(world):
    victim = await world.victim_writes()
    receive = route(world.rest, "/webhook", world.rasa)
    for guess in GUESSES:
        for headers, args in (({"Authorization": f"Bearer {API_TOKEN}"}, None), (None, {"token": API_TOKEN})):
            body = {"sender": guess, "message": "/restart"}
            status, replies = answer(await receive(request(world.rasa.agent, body, headers, args)))
            assert status == 200
            assert replies[0]["recipient_id"] == guess  # the integration's own id comes back
            assert FAMILY not in json.dumps(replies)  # nothing of the person's conversation
    assert await world.rasa.texts(victim) == ["what do I need for family reunion"]
    assert all(sender.startswith("rest:") for sender in world.rasa.senders[1:])


async def test_the_widget_forget_route_deletes_nothing_by_a_public_id(world):
    victim = await world.victim_writes()
    forget = route(world.widget, "/forget", world.rasa)
    for guess in [*GUESSES, FORGED, f"web:{'A' * 22}"]:
        status, body = answer(await forget(request(world.rasa.agent, {"sender": guess})))
        assert status == 403 and body["text"] == say("widget.bad_sender", "en")
        assert await world.rasa.texts(victim) == ["what do I need for family reunion"]


async def test_the_widget_message_route_refuses_ids_it_did_not_issue(world):
    victim = await world.victim_writes()
    receive = route(world.widget, "/webhook", world.rasa)
    for guess in [*GUESSES, FORGED, f"web:{'A' * 22}"]:
        status, body = answer(await receive(request(world.rasa.agent, {"sender": guess, "message": "/restart"})))
        assert status == 403 and FAMILY not in json.dumps(body)
    uk = {"sender": str(VICTIM), "message": "привіт", "metadata": {"language": "uk"}}
    assert answer(await receive(request(world.rasa.agent, uk)))[1]["text"] == say("widget.bad_sender", "uk")
    # The person's conversation is whole, and nobody else's message reached Rasa.
    assert await world.rasa.texts(victim) == ["what do I need for family reunion"]
    assert world.rasa.senders == [victim]


async def test_a_widget_token_works_for_its_own_conversation_only(world):
    victim = await world.victim_writes()
    session = route(world.widget, "/session", world.rasa)
    receive = route(world.widget, "/webhook", world.rasa)
    forget = route(world.widget, "/forget", world.rasa)
    status, issued = answer(await session(request(world.rasa.agent, None)))
    assert status == 200
    token = issued["sender"]
    other = answer(await session(request(world.rasa.agent, None)))[1]["sender"]
    assert token != other

    body = {"sender": token, "message": "what do I need for family reunion"}
    status, replies = answer(await receive(request(world.rasa.agent, body)))
    assert status == 200 and replies[0]["text"] == f"About {FAMILY}"
    conversation = world.rasa.senders[-1]
    assert conversation.startswith("web:") and token not in conversation  # the stored id is not the credential
    # Another widget's token does not see this conversation.
    status, replies = answer(await receive(request(world.rasa.agent, {"sender": other, "message": "fees"})))
    assert status == 200 and replies[0]["text"] == "About None"

    assert answer(await forget(request(world.rasa.agent, {"sender": token}))) == (200, {"forgotten": True})
    assert await world.rasa.texts(conversation) == []
    assert await world.rasa.texts(victim) == ["what do I need for family reunion"]


async def test_without_an_api_token_the_rest_channel_is_off(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("POBYT_API_TOKEN", raising=False)
    rasa = StandInRasa()
    channel = RestInput(token="")
    receive = route(channel, "/webhook", rasa)
    status, body = answer(await receive(request(rasa.agent, {"sender": "x", "message": "hi"})))
    assert status == 503 and "token" in body["error"]
    assert rasa.senders == []


# The pieces: the API token the REST channel checks, the widget's signing secret.


@pytest.mark.parametrize(
    ("argv", "environ", "expected"),
    [
        (["rasa", "run", "--enable-api", "--auth-token", "from-argv"], {"POBYT_API_TOKEN": "env"}, "from-argv"),
        (["rasa", "run", "--auth-token=-starts-with-a-dash"], {}, "-starts-with-a-dash"),
        (["rasa", "run", "-t", "short-option"], {}, "short-option"),
        (["rasa", "run"], {"POBYT_API_TOKEN": " from-env "}, "from-env"),
        (["rasa", "run", "--auth-token"], {}, None),
        (["rasa", "run"], {}, None),
    ],
)
def test_the_rest_channel_uses_the_token_rasa_checks(argv, environ, expected):
    assert identity.api_token(environ, argv) == expected


def test_servers_sharing_the_secret_accept_each_others_tokens_and_a_short_secret_is_refused():
    secret = {identity.SECRET_VARIABLE: "0123456789abcdef" * 4}
    first, second = identity.SenderTokens.from_environment(secret), identity.SenderTokens.from_environment(secret)
    token = first.issue()
    assert second.conversation(token) == first.conversation(token) == identity.conversation_of_token(token)
    # Without the variable each start has its own secret: another server's (or an earlier run's) token is refused.
    assert identity.SenderTokens.from_environment({}).conversation(token) is None
    with pytest.raises(ValueError, match=identity.SECRET_VARIABLE):
        identity.SenderTokens.from_environment({identity.SECRET_VARIABLE: "too short"})
