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
from rasa.shared.importers.rasa import RasaFileImporter
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from pobyt.kb.models import KnowledgeBase

#: At most this many variants per language and entry, so no single entry outweighs data/.
MAX_VARIANTS = 4
#: At most this many examples per intent, so that the entries do not tilt the classifier; taken
#: round-robin over the entries. With 120 per intent the held-out intent F1 fell (en 0.965 -> 0.937).
MAX_PER_INTENT = 30
#: Only aspects whose questions have their own words ("how much", "how long", "where"): an entry's
#: "who can apply" or "overview" label is a curator's judgement that taught the classifier noise.
TEACHING_ASPECTS = frozenset({"fees", "processing_time", "documents", "where", "contacts"})


def question_examples(kb: KnowledgeBase) -> List[Dict[str, str]]:
    """Returns ``{"text", "intent"}`` for the questions and variants of the entries with an aspect."""
    by_intent: Dict[str, List[List[str]]] = {}
    for question in kb.questions.values():
        if question.aspect is None or question.aspect.value not in TEACHING_ASPECTS:
            continue
        texts = []
        for rank in range(MAX_VARIANTS + 1):
            for language in ("en", "uk", "ru"):
                variants = [getattr(question.question, language), *question.variants.get(language)]
                if rank < len(variants) and variants[rank].strip():
                    texts.append(variants[rank].strip())
        by_intent.setdefault(f"ask_{question.aspect.value}", []).append(texts)
    examples: List[Dict[str, str]] = []
    seen = set()
    for intent, entries in by_intent.items():
        chosen = 0
        for rank in range(max(len(texts) for texts in entries)):
            for texts in entries:
                if chosen < MAX_PER_INTENT and rank < len(texts) and texts[rank].lower() not in seen:
                    seen.add(texts[rank].lower())
                    examples.append({"text": texts[rank], "intent": intent})
                    chosen += 1
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
        """Keeps the project's paths: its own examples win over the knowledge base's (no conflicts)."""
        self._project = RasaFileImporter(config_file, domain_path, training_data_paths)

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

        known = {str(m.get(TEXT)).strip().lower() for m in self._project.get_nlu_data(language).training_examples}
        messages = [
            Message(data={TEXT: example["text"], INTENT: example["intent"]})
            for example in question_examples(get_knowledge_base())
            if example["text"].lower() not in known
        ]
        return TrainingData(training_examples=messages)
