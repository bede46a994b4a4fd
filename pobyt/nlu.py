"""Rasa NLU component: recognises procedures, topics and offices from the knowledge base's own names.

A new or renamed knowledge-base entry is recognised without new training examples: the component
matches the titles and aliases (lemmatised for Ukrainian and Russian, tolerant of typos).
"""

from __future__ import annotations

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
#: A message with at least this many words describes a situation: it is answered, not questioned.
LONG_MESSAGE_WORDS = 15


def informational_intent(
    text: str, intent: Dict[str, Any], ranking: List[Dict[str, Any]], entities: List[Dict[str, Any]]
):
    """Returns the aspect intent to use instead of starting a guided check, or None to keep the intent.

    "Is my protection over in March?" or a long message about a situation was asked to be answered,
    not to fill in a questionnaire: when a question entry answers it, or it is long, the best aspect
    intent of the ranking (else ``ask_overview``) replaces the check's intent, and the reply offers
    the check as a button. A short "can I bring my wife to Slovakia" still starts the check.
    """
    from pobyt.conversation import aspect_of_intent, question_for

    if intent.get("name") not in CHECK_START_INTENTS or not text or text.startswith("/"):
        return None
    if len(text.split()) < LONG_MESSAGE_WORDS and question_for(text, entities, get_knowledge_base()) is None:
        return None
    aspect = next((i for i in ranking if aspect_of_intent(i.get("name"))), None)
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
