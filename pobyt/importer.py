"""A Rasa training-data importer that turns the knowledge base's question entries into NLU examples.

Each question entry that answers one aspect ("how long does the decision take?": processing time)
teaches the intent ``ask_<aspect>`` its question and variants in the three languages, so the
intent classifier learns the ways people ask from the knowledge base itself: a curator who adds a
question entry adds training examples without touching ``data/``.

Configured in ``config.yml`` next to Rasa's own importer::

    importers:
      - name: RasaFileImporter
      - name: pobyt.importer.KnowledgeBaseImporter
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Union

from rasa.shared.core.domain import Domain
from rasa.shared.core.training_data.structures import StoryGraph
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from pobyt.kb.models import KnowledgeBase

#: At most this many variants per language and entry, so no single entry outweighs data/.
MAX_VARIANTS = 4


def question_examples(kb: KnowledgeBase) -> List[Dict[str, str]]:
    """Returns ``{"text", "intent"}`` for the question and variants of every entry with an aspect."""
    examples: List[Dict[str, str]] = []
    seen = set()
    for question in kb.questions.values():
        if question.aspect is None:
            continue
        intent = f"ask_{question.aspect.value}"
        for language in ("en", "uk", "ru"):
            texts = [getattr(question.question, language), *question.variants.get(language)[:MAX_VARIANTS]]
            for text in texts:
                key = text.strip().lower()
                if key and key not in seen:
                    seen.add(key)
                    examples.append({"text": text.strip(), "intent": intent})
    return examples


class KnowledgeBaseImporter(TrainingDataImporter):
    """Provides NLU examples from the knowledge base; no domain, stories or config of its own."""

    def __init__(
        self,
        config_file: Optional[str] = None,
        domain_path: Optional[str] = None,
        training_data_paths: Optional[Union[List[str], str]] = None,
        **kwargs: Any,
    ) -> None:
        """Keeps nothing: the knowledge base is read when the NLU data is asked for."""

    def get_domain(self) -> Domain:
        """Returns an empty domain (the project's domain.yml comes from Rasa's own importer)."""
        return Domain.empty()

    def get_stories(self, exclusion_percentage: Optional[int] = None) -> StoryGraph:
        """Returns no stories."""
        return StoryGraph([])

    def get_config(self) -> Dict:
        """Returns no configuration."""
        return {}

    def get_config_file_for_auto_config(self) -> Optional[str]:
        """Returns None: the project's config.yml is complete."""
        return None

    def get_nlu_data(self, language: Optional[str] = "en") -> TrainingData:
        """Returns the question entries' questions and variants as intent examples."""
        from pobyt.kb.loader import get_knowledge_base

        messages = [
            Message(data={TEXT: example["text"], INTENT: example["intent"]})
            for example in question_examples(get_knowledge_base())
        ]
        return TrainingData(training_examples=messages)
