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
from rasa.shared.nlu.constants import ENTITIES, TEXT
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
