"""The answer engine: answers the question that was asked, from the knowledge base's facts.

``facts`` makes every statement of the knowledge base addressable, ``retrieval`` ranks facts,
question entries and whole procedures for a message, ``reading`` reads what a message asks besides
the names it gives, and ``respond`` picks the facts and question entries that answer it and renders
them. :func:`pobyt.conversation.answer_question` decides with them; the actions, the channels and the
staff console all answer through it.
"""
