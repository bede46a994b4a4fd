"""A learned model of which procedure a message is about, trained from the knowledge base itself.

BM25 (:mod:`pobyt.engine.retrieval`) finds a procedure when the message shares its words; people who
describe their situation ("my company in Poland sends me to Bratislava for four months") share few.
The router is a linear classifier (a linear SVM over word lemmas, lemma pairs and character n-grams) trained
on every text the knowledge base has about each procedure: names, aliases, statements, the question
entries' questions and variants, and the situation messages of ``knowledge/situations`` (how people
describe their case without naming the procedure). It is trained on first use (about ten seconds on
two cores) and saved under ``models/`` with the fingerprint of its examples, so the next process (the
action server, a test, the staff console) loads it in a fraction of a second; ``python -m
pobyt.engine.router`` trains it ahead (``make train`` does). Nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from pobyt.engine.facts import all_facts, procedure_names
from pobyt.engine.retrieval import QUESTION_WORDS, analyse
from pobyt.kb.models import OUT_OF_SCOPE, KnowledgeBase

#: How strongly the classifier is fitted (the SVM's inverse regularisation).
REGULARISATION_C = 0.5
#: How many recent messages' scores the router keeps (one reply asks about the same text several times).
RECENT_TEXTS = 16
#: Where trained routers are kept (``POBYT_ROUTER_DIR`` overrides): next to the trained Rasa model.
DEFAULT_CACHE_DIR = Path(__file__).resolve().parents[2] / "models"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Route:
    """A procedure and the router's score for it (the SVM's decision value: above 0 means "this one")."""

    procedure: str
    score: float


def training_examples(kb: KnowledgeBase) -> List[Tuple[str, str]]:
    """Returns ``(text, procedure)`` pairs: everything the knowledge base says about each procedure."""
    examples: List[Tuple[str, str]] = []
    for proc in kb.procedures.values():
        examples += [(name, proc.id) for name in procedure_names(proc)]
    for fact in all_facts(kb):
        if fact.procedure not in kb.procedures:
            continue
        # Each language's text is its own example: a message is in one language.
        examples += [(text, fact.procedure) for text in (*fact.texts.values(), *fact.search_texts) if text]
    for situation in kb.situations:
        # Messages about nothing the sources cover are a label of their own: the router can then
        # say that a message is about none of the procedures, not only which one is nearest.
        if situation.procedure in kb.procedures or situation.procedure == OUT_OF_SCOPE:
            examples += [(text, situation.procedure) for _, text in situation.texts()]
    return examples


def _lemmas(text: str) -> List[str]:
    words = analyse(text)
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


class ProcedureRouter:
    """Ranks procedures for a message by a classifier trained on ``(text, procedure)`` examples."""

    def __init__(self, examples: Sequence[Tuple[str, str]]) -> None:
        # Imported here: scikit-learn is only needed once a router is built (no work at import time).
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import make_pipeline, make_union
        from sklearn.svm import LinearSVC

        features = make_union(
            TfidfVectorizer(analyzer=_lemmas, sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2, lowercase=True),
        )
        self._model = make_pipeline(features, LinearSVC(C=REGULARISATION_C))
        texts, labels = zip(*examples, strict=True)
        self._model.fit(list(texts), list(labels))
        for _, vectorizer in features.transformer_list:
            vectorizer.stop_words_ = None  # the n-grams left out: not needed to predict, and most of the size
        self._classes: List[str] = list(self._model.classes_)

    def _decisions(self, text: str):
        """Returns the SVM's score of every procedure for ``text``; one reply asks several times."""
        cache = self.__dict__.setdefault("_recent", {})
        if text not in cache:
            if len(cache) >= RECENT_TEXTS:
                cache.pop(next(iter(cache)))
            cache[text] = self._model.decision_function([text])[0]
        return cache[text]

    def __getstate__(self) -> Dict[str, object]:
        """Saves the model, never the recent messages."""
        return {key: value for key, value in self.__dict__.items() if key != "_recent"}

    def score(self, text: str, procedure: str) -> float:
        """Returns the router's score for ``procedure`` (very low for a procedure it does not know)."""
        if procedure not in self._classes:
            return float("-inf")
        return float(self._decisions(text)[self._classes.index(procedure)])

    def rank(self, text: str, limit: int = 3) -> List[Route]:
        """Returns the ``limit`` likeliest procedures for ``text``, likeliest first."""
        scores = self._decisions(text)
        order = sorted(range(len(self._classes)), key=lambda i: -scores[i])[:limit]
        return [Route(self._classes[i], float(scores[i])) for i in order]


def fingerprint(examples: Sequence[Tuple[str, str]]) -> str:
    """Returns a short hash of the examples and of what else decides the trained model."""
    import sklearn

    # The words analyse() leaves out shape the features too: a change to them retrains the router.
    settings = [REGULARISATION_C, sklearn.__version__, sorted(QUESTION_WORDS)]
    digest = hashlib.sha256(json.dumps([*settings, *examples]).encode("utf-8"))
    return digest.hexdigest()[:16]


def cache_dir() -> Path:
    """Returns the folder trained routers are saved in."""
    return Path(os.environ.get("POBYT_ROUTER_DIR") or DEFAULT_CACHE_DIR)


def load_or_train(examples: Sequence[Tuple[str, str]], folder: Optional[Path] = None) -> ProcedureRouter:
    """Returns the router for ``examples``: loaded when one was saved for them, else trained and saved.

    A router that cannot be saved (read-only folder) is still returned; one that cannot be read
    (truncated, another library version) is trained again.
    """
    import joblib

    # Named by the procedures it knows, then by everything it learns from: a newer router of the same
    # knowledge base replaces the older one, and another knowledge base's (the tests') is left alone.
    family = hashlib.sha256(" ".join(sorted({label for _, label in examples})).encode("utf-8")).hexdigest()[:8]
    path = (folder or cache_dir()) / f"router-{family}-{fingerprint(examples)}.joblib"
    if path.exists():
        try:
            return joblib.load(path)
        except Exception:  # noqa: BLE001 - any unreadable file means "train again"
            logger.warning("The saved router %s could not be read; training it again.", path.name)
    router = ProcedureRouter(examples)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: a process reading at the same time never sees half a file.
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
            joblib.dump(router, handle)
        os.replace(handle.name, path)
        for stale in path.parent.glob(f"router-{family}-*.joblib"):
            if stale != path:
                stale.unlink(missing_ok=True)  # trained on examples the knowledge base no longer has
    except OSError:
        logger.warning("The router could not be saved under %s; it is kept in memory only.", path.parent)
    return router


_ROUTERS: Dict[int, Tuple[KnowledgeBase, ProcedureRouter]] = {}


def procedure_router(kb: KnowledgeBase) -> ProcedureRouter:
    """Returns the router of ``kb``, loaded or trained on first use and kept for the process."""
    cached = _ROUTERS.get(id(kb))
    if cached is None or cached[0] is not kb:
        cached = _ROUTERS[id(kb)] = (kb, load_or_train(training_examples(kb)))
    return cached[1]


if __name__ == "__main__":  # python -m pobyt.engine.router: train (or check) the saved router ahead of use
    # Through the package, not __main__: the saved router must refer to pobyt.engine.router's classes.
    from pobyt.engine import router as module
    from pobyt.kb.loader import get_knowledge_base

    examples = module.training_examples(get_knowledge_base())
    module.load_or_train(examples)
    print(f"router: {len(examples)} examples ({module.fingerprint(examples)}), saved in {cache_dir()}")
