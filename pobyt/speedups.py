"""Two fixes of Rasa 3.6 hot spots, installed in the Rasa server process (not at import time).

Profiled with py-spy on the REST bench (bench/bench_rest.py), these two took half of the Rasa
server's time per message, without doing anything useful more than once:

- ``RemoteAction._validate_action_result`` calls ``jsonschema.validate`` for every action server
  reply, which first checks the (constant) response schema against the JSON Schema meta-schema:
  34 % of the server's time. Here the schema is checked once and its validator kept; every reply is
  still validated against it, and an invalid one still raises ``ValidationError`` with Rasa's hint.
- ``Event.resolve_by_type`` walks all subclasses of ``Event`` (``inspect.isabstract`` on each) for
  every stored event it deserialises, i.e. for every event of the conversation on every message:
  13 %. Here the type names are looked up in a table, rebuilt when a name is unknown (a subclass
  imported later), with the same first-match order and the same fallbacks.

tests/test_speedups.py checks both give the same results as Rasa's own code.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional, Type

logger = logging.getLogger(__name__)
_installed = False
#: Rasa's own functions, kept for the tests that compare results.
originals: Dict[str, Any] = {}


def install() -> None:
    """Replaces the two Rasa functions (idempotent; called by our channels and tracker store)."""
    global _installed
    if _installed:
        return
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event

    originals.update(validate=RemoteAction._validate_action_result, resolve=Event.resolve_by_type)
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign]
    _installed = True
    logger.debug("Rasa speed-ups installed (cached action response validator, event type table)")


_response_validator: Optional[Any] = None


def _validate_action_result(self: Any, result: Dict[str, Any]) -> bool:
    """Rasa's ``RemoteAction._validate_action_result`` with the schema checked only once."""
    from jsonschema import ValidationError
    from jsonschema.validators import validator_for

    global _response_validator
    if _response_validator is None:
        schema = self.action_response_format_spec()
        validator_class = validator_for(schema)
        validator_class.check_schema(schema)
        _response_validator = validator_class(schema)
    try:
        _response_validator.validate(result)
        return True
    except ValidationError as e:
        from rasa.shared.constants import DOCS_BASE_URL

        e.message += (
            ". Failed to validate Action server response from API, make sure your response from the Action "
            f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise e


_event_types: Dict[str, Type[Any]] = {}


def _event_type_table() -> Dict[str, Type[Any]]:
    """Returns type name -> the first concrete ``Event`` subclass of that name, as Rasa orders them."""
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    table: Dict[str, Type[Any]] = {}
    for cls in all_subclasses(Event):
        table.setdefault(cls.type_name, cls)
    return table


def resolve_by_type(type_name: str, default: Optional[Type[Any]] = None) -> Optional[Type[Any]]:
    """Rasa's ``Event.resolve_by_type`` with a lookup table instead of a class-tree walk per event."""
    global _event_types
    cls = _event_types.get(type_name)
    if cls is None:
        _event_types = _event_type_table()
        cls = _event_types.get(type_name)
    if cls is not None:
        return cls
    if type_name == "topic":
        return None  # backwards compatibility to support old TopicSet events (as Rasa)
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")
