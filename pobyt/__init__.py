"""pobyt: shared code of the assistant (knowledge base, answers, language)."""
