"""The Rasa NLU component adds the knowledge base's procedures, topics and offices as entities."""

from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from pobyt.nlu import KnowledgeBaseEntityExtractor
from tests.conftest import FIXTURE_KNOWLEDGE


def entities(text: str):
    component = KnowledgeBaseEntityExtractor({"knowledge_dir": str(FIXTURE_KNOWLEDGE)})
    (message,) = component.process([Message({TEXT: text})])
    return [(e["entity"], e["value"], text[e["start"] : e["end"]], e["extractor"]) for e in message.get(ENTITIES)]


def test_a_topic_is_recognised_with_its_span():
    assert entities("what do I need for family reunion?") == [
        ("topic", "family_reunion", "family reunion", "KnowledgeBaseEntityExtractor")
    ]


def test_inflected_and_slovak_names_are_recognised():
    assert entities("що потрібно для тимчасового захисту")[0][:2] == ("procedure", "temporary_protection")
    assert entities("docasne utocisko")[0][:2] == ("procedure", "temporary_protection")


def test_a_message_naming_nothing_gets_no_entities():
    assert entities("how much does it cost") == []
