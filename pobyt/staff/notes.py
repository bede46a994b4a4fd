"""Notes staff file for curators ("this answer is wrong / missing"), kept in a small SQLite file.

The file is ``POBYT_STAFF_DB`` (default ``staff_notes.db`` in the working directory). Each call opens
its own connection: notes are rare, and the console's requests may run on any thread.

Notes quote clients' messages, so they go with the conversation: when a conversation is forgotten
or expires, the notes quoting its messages are deleted (:meth:`NoteStore.delete_quoting`), and
deleted rows are overwritten in the file (``secure_delete``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from contextlib import closing
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

DEFAULT_PATH = "staff_notes.db"
#: What a note says is wrong with the answer.
KINDS = ("wrong", "missing")
#: Longest texts kept (a pasted e-mail thread must not fill the disk).
MAX_MESSAGE = 4_000
MAX_ANSWER = 20_000
MAX_COMMENT = 2_000
MAX_IDS = 50

_SCHEMA = """
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    user TEXT NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    answer TEXT NOT NULL,
    language TEXT NOT NULL,
    kb_ids TEXT NOT NULL,
    comment TEXT NOT NULL
)
"""


@dataclass
class Note:
    """One note: what the client asked, what the assistant answered, and what staff say about it."""

    kind: str
    message: str
    answer: str
    language: str
    user: str
    kb_ids: List[str] = field(default_factory=list)
    comment: str = ""
    created: str = ""
    id: Optional[int] = None

    def to_json(self) -> Dict[str, Any]:
        """Returns the note as a JSON-ready dict."""
        return asdict(self)


def note_from_request(body: Mapping[str, Any], user: str) -> Note:
    """Builds a note from the console's JSON body, trimming every field to its limit.

    Raises:
        ValueError: when the message is empty or the kind is unknown.
    """
    kind = str(body.get("kind") or "wrong")
    message = str(body.get("message") or "").strip()[:MAX_MESSAGE]
    if kind not in KINDS:
        raise ValueError("unknown kind")
    if not message:
        raise ValueError("empty message")
    ids = body.get("kb_ids") or []
    kb_ids = [str(i)[:100] for i in ids if isinstance(i, str) and i][:MAX_IDS] if isinstance(ids, list) else []
    language = str(body.get("language") or "")
    return Note(
        kind=kind,
        message=message,
        answer=str(body.get("answer") or "")[:MAX_ANSWER],
        language=language if language in ("en", "uk", "ru") else "",
        user=user,
        kb_ids=list(dict.fromkeys(kb_ids)),
        comment=str(body.get("comment") or "").strip()[:MAX_COMMENT],
    )


class NoteStore:
    """The notes in a SQLite file (created on first use)."""

    def __init__(self, path: Path | str = DEFAULT_PATH) -> None:
        """Remembers the file; nothing is opened until a note is added or read."""
        self.path = str(path)

    @classmethod
    def from_environment(cls) -> NoteStore:
        """The notes file of this process: ``POBYT_STAFF_DB``, else ``staff_notes.db``."""
        return cls(os.environ.get("POBYT_STAFF_DB") or DEFAULT_PATH)

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=5)
        connection.execute("PRAGMA secure_delete=ON")  # deleted notes are overwritten, not left in free pages
        connection.execute(_SCHEMA)
        return connection

    def delete_quoting(self, messages: Iterable[str]) -> int:
        """Deletes the notes whose message is one of ``messages`` (as a note keeps it); returns how many.

        Does nothing (and creates no file) when there are no notes yet.
        """
        quoted = list({m.strip()[:MAX_MESSAGE] for m in messages if m and m.strip()})
        if not quoted or not Path(self.path).exists():
            return 0
        deleted = 0
        with closing(self._connect()) as connection, connection:
            for start in range(0, len(quoted), 500):  # SQLite's limit on parameters per statement
                batch = quoted[start : start + 500]
                marks = ",".join("?" * len(batch))
                statement = f"DELETE FROM notes WHERE message IN ({marks})"  # noqa: S608 - only "?" marks
                deleted += connection.execute(statement, batch).rowcount
        return deleted

    def add(self, note: Note, now: Optional[dt.datetime] = None) -> Note:
        """Stores ``note`` and returns it with its id and time (UTC, ISO 8601)."""
        note.created = (now or dt.datetime.now(dt.timezone.utc)).isoformat(timespec="seconds")
        with closing(self._connect()) as connection, connection:
            cursor = connection.execute(
                "INSERT INTO notes (created, user, kind, message, answer, language, kb_ids, comment)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (note.created, note.user, note.kind, note.message, note.answer, note.language,
                 json.dumps(note.kb_ids), note.comment),
            )  # fmt: skip
            note.id = cursor.lastrowid
        return note

    def recent(self, limit: int = 200) -> List[Note]:
        """Returns the newest ``limit`` notes, newest first."""
        with closing(self._connect()) as connection:
            rows: Sequence[tuple] = connection.execute(
                "SELECT id, created, user, kind, message, answer, language, kb_ids, comment FROM notes"
                " ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            Note(id=r[0], created=r[1], user=r[2], kind=r[3], message=r[4], answer=r[5], language=r[6],
                 kb_ids=json.loads(r[7]), comment=r[8])
            for r in rows
        ]  # fmt: skip
