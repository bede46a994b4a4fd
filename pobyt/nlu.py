"""Rasa NLU component: recognises procedures, topics and offices from the knowledge base's own names.

A new or renamed knowledge-base entry is recognised without new training examples: the component
matches the titles and aliases (lemmatised for Ukrainian and Russian, tolerant of typos).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from pobyt.answers import CHECK_OF_PROCEDURE
from pobyt.kb.loader import get_knowledge_base
from pobyt.kb.models import KnowledgeBase
from pobyt.recognition import recognise


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class KnowledgeBaseEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Adds entities ``procedure``, ``topic`` and ``office`` found by the knowledge-base search."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """Returns the default config: the knowledge folder (None: ``$POBYT_KNOWLEDGE_DIR`` or the repo's)."""
        return {"knowledge_dir": None}

    def __init__(self, config: Dict[str, Any]) -> None:
        """Keeps the config; the knowledge base is loaded on first use, not at import."""
        self._config = config
        self._kb: Optional[KnowledgeBase] = None

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KnowledgeBaseEntityExtractor:
        """Creates the component (Rasa calls this when the model is built or loaded)."""
        return cls(config)

    def _knowledge_base(self) -> KnowledgeBase:
        if self._kb is None:
            folder = self._config.get("knowledge_dir")
            self._kb = get_knowledge_base(Path(folder) if folder else None)
        return self._kb

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Leaves training data unchanged (the component learns nothing)."""
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Adds the recognised entities to each message."""
        for message in messages:
            text = message.get(TEXT) or ""
            entities = self.add_extractor_name(recognise(text, self._knowledge_base()))
            message.set(ENTITIES, message.get(ENTITIES, []) + entities, add_to_output=True)
        return messages


#: Intents that start a guided check (a questionnaire); the others of the check_* family are its buttons.
CHECK_START_INTENTS = ("check_family", "check_after_protection", "check_permanent")
#: "Which permit fits me?": offers the checks; a message describing a situation is answered instead.
CHECK_MENU_INTENT = "check_menu"
#: A message with at least this many words describes a situation: it is answered, not questioned.
LONG_MESSAGE_WORDS = 15
#: Only an aspect intent among the classifier's best this many replaces a check's intent.
RANKED_ASPECTS = 3
#: The procedures the family check decides between: a message clearly about another is answered.
FAMILY_CHECK_PROCEDURES = frozenset(p for p, check in CHECK_OF_PROCEDURE.items() if check == "family")
#: Words of a request for the questionnaire itself ("check whether I can...", "перевір", "проверь").
_CHECK_REQUEST = re.compile(r"\bcheck\b|questionnaire|\bперевір|\bпровер|\bопитуван|\bопрос", re.IGNORECASE)


def _surely_read(text: str, entities: List[Dict[str, Any]]) -> Optional[str]:
    """Returns the procedure the message names or the router reads surely, else None."""
    from pobyt.engine.reading import ROUTE_SURE, routed_procedures

    named = [e.get("value") for e in entities if e.get("entity") == "procedure"]
    if len(set(named)) == 1:
        return named[0]
    routes = routed_procedures(get_knowledge_base(), text, 1, floor=ROUTE_SURE)
    return routes[0].procedure if routes else None


def informational_intent(
    text: str, intent: Dict[str, Any], ranking: List[Dict[str, Any]], entities: List[Dict[str, Any]]
):
    """Returns the aspect intent to use instead of starting a guided check, or None to keep the intent.

    A guided check starts when asked for; a question the sources answer is answered, and the reply
    offers the check as a button. So the check's intent is replaced (by the best aspect intent of the
    ranking, else ``ask_overview``) when a question entry answers the message, when it is long, or when
    it is clearly about one procedure: "after how many years can I get citizenship" is answered with
    the 8 years, and "I'm 16 and here without my parents" is not asked who the family member is.
    The family check still starts for a short message about the procedures it decides between ("can
    I bring my wife to Slovakia": the answer depends on who the wife would join), and every check
    starts when a short message asks for it ("check whether..."). The same holds for the menu of
    checks ("what are my options?" after a long description of a situation is answered).
    """
    from pobyt.conversation import aspect_of_intent, question_for

    name = intent.get("name")
    if name not in (*CHECK_START_INTENTS, CHECK_MENU_INTENT) or not text or text.startswith("/"):
        return None
    long_message = len(text.split()) >= LONG_MESSAGE_WORDS
    if not long_message and _CHECK_REQUEST.search(text):
        return None
    answerable = long_message or question_for(text, entities, get_knowledge_base())
    if not answerable:
        procedure = _surely_read(text, entities)
        family_case = name == "check_family" and procedure in FAMILY_CHECK_PROCEDURES
        answerable = procedure is not None and not family_case
    if not answerable:
        return None
    # An aspect intent the classifier ranks far down says little: "can I stay after March?" is not about fees.
    aspect = next((i for i in ranking[:RANKED_ASPECTS] if aspect_of_intent(i.get("name"))), None)
    return {"name": aspect["name"] if aspect else "ask_overview", "confidence": intent.get("confidence")}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class QuestionFirstIntentArbiter(GraphComponent):
    """Turns a guided check's intent into a question's when the message asks something answerable.

    Runs after the intent classifier and the knowledge-base entity extractor (see
    :func:`informational_intent`).
    """

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """Returns the default config (nothing to configure)."""
        return {}

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> QuestionFirstIntentArbiter:
        """Creates the component (Rasa calls this when the model is built or loaded)."""
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Leaves training data unchanged (the component learns nothing)."""
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Replaces a check's intent by an aspect intent where the message is a question to answer."""
        for message in messages:
            intent = message.get(INTENT) or {}
            replaced = informational_intent(
                message.get(TEXT) or "", intent, message.get(INTENT_RANKING_KEY) or [], message.get(ENTITIES) or []
            )
            if replaced is not None:
                message.set(INTENT, replaced, add_to_output=True)
        return messages
