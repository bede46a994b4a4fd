"""The answer engine: answers the question that was asked, from the knowledge base's facts.

``facts`` makes every statement of the knowledge base addressable, ``retrieval`` ranks facts and
question entries for a message, and ``respond`` decides and composes the reply. The actions, the
channels and the staff console all answer through :func:`pobyt.engine.respond.respond`.
"""
