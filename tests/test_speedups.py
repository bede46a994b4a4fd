"""pobyt.speedups gives the same results as the Rasa functions it replaces."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core import events
from rasa.shared.core.events import Event

from pobyt import speedups

# Rasa's own functions (also when another test already installed the speed-ups in this process).
speedups.install()
ORIGINAL_RESOLVE = speedups.originals["resolve"]
ORIGINAL_VALIDATE = speedups.originals["validate"]


def remote_action() -> RemoteAction:
    return RemoteAction("action_answer", None)


def all_type_names() -> list:
    from rasa.shared.utils.common import all_subclasses

    return sorted({cls.type_name for cls in all_subclasses(Event)})


def test_every_event_type_resolves_to_the_same_class():
    names = all_type_names()
    assert "user" in names and "slot" in names and "active_loop" in names
    for name in names:
        assert speedups.resolve_by_type(name) is ORIGINAL_RESOLVE(name)


def test_unknown_event_types_fall_back_as_in_rasa():
    assert speedups.resolve_by_type("topic") is None
    assert speedups.resolve_by_type("no-such-event", events.UserUttered) is events.UserUttered
    with pytest.raises(ValueError, match="Unknown event name 'no-such-event'"):
        speedups.resolve_by_type("no-such-event")


def test_stored_events_deserialise_the_same():
    stored = [
        {"event": "user", "text": "hello", "parse_data": {"intent": {"name": "greet", "confidence": 1.0}}},
        {"event": "slot", "name": "language", "value": "uk"},
        {"event": "action", "name": "action_answer"},
        {"event": "bot", "text": "Привіт"},
    ]
    expected = [ORIGINAL_RESOLVE(e["event"]).from_parameters(e) for e in stored]
    assert [Event.from_parameters(e) for e in stored] == expected
    assert Event.resolve_by_type("bot") is events.BotUttered


@pytest.mark.parametrize(
    "reply",
    [
        {"events": [{"event": "slot", "name": "procedure", "value": "asylum"}], "responses": [{"text": "hi"}]},
        {"events": [], "responses": []},
    ],
)
def test_valid_action_replies_pass(reply):
    assert ORIGINAL_VALIDATE(remote_action(), reply) is True
    assert speedups._validate_action_result(remote_action(), reply) is True


@pytest.mark.parametrize(
    "reply",
    [
        {"events": [{"name": "no event key"}], "responses": []},
        {"events": "not a list", "responses": []},
        {"events": [{"event": "slot", "name": "x", "timestamp": "yesterday"}], "responses": []},
    ],
)
def test_invalid_action_replies_raise_as_in_rasa(reply):
    with pytest.raises(jsonschema.ValidationError):
        ORIGINAL_VALIDATE(remote_action(), reply)
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response"):
        speedups._validate_action_result(remote_action(), reply)


def test_install_is_idempotent():
    speedups.install()
    speedups.install()
    assert RemoteAction._validate_action_result is speedups._validate_action_result
    assert ORIGINAL_VALIDATE is not speedups._validate_action_result
