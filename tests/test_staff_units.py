"""The staff console without a server: sign-in and sessions, the request gate, notes, unanswered
questions, and the views built from the knowledge base."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import sqlite3
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict, List

import pytest

from pobyt.kb import KnowledgeBase
from pobyt.language import detect_language
from pobyt.messages import say
from pobyt.recognition import recognise
from pobyt.staff import hash_password as hash_password_cli
from pobyt.staff import views
from pobyt.staff.auth import COOKIE_NAME, StaffAuth, hash_password, parse_accounts, verify_password
from pobyt.staff.channel import STAFF_DIR, _staff_only, post_allowed, session_cookie_flags
from pobyt.staff.notes import Note, NoteStore, note_from_request
from pobyt.staff.unanswered import group_unanswered, normalise
from tests.conftest import TODAY

FAST = 1000  # PBKDF2 iterations for tests (the hash records its count)
NOW = 1_800_000_000.0


@pytest.fixture
def auth() -> StaffAuth:
    return StaffAuth({"anna": hash_password("correct horse", iterations=FAST)}, b"secret", lifetime_s=60)


# ---- Passwords and sessions


def test_password_hashes_verify_and_are_salted():
    encoded = hash_password("correct horse", iterations=FAST)
    assert encoded.startswith("pbkdf2_sha256$1000$")
    assert verify_password("correct horse", encoded)
    assert not verify_password("correct hors", encoded)
    assert encoded != hash_password("correct horse", iterations=FAST)
    for broken in ("", "pbkdf2_sha256$x$y", "md5$1$a$b", "pbkdf2_sha256$1000$!!$??"):
        assert not verify_password("correct horse", broken)


def test_accounts_are_read_from_the_environment_and_bad_entries_skipped():
    encoded = hash_password("pw", iterations=FAST)
    accounts = parse_accounts(f" anna:{encoded}, petr:plaintext, :{encoded},broken")
    assert accounts == {"anna": encoded}
    auth = StaffAuth.from_env({"POBYT_STAFF_ACCOUNTS": f"anna:{encoded}", "POBYT_STAFF_SESSION_MINUTES": "5"})
    assert auth.enabled and auth.lifetime_s == 300
    assert StaffAuth.from_env({}).lifetime_s == 480 * 60
    assert not StaffAuth.from_env({"POBYT_STAFF_ACCOUNTS": ""}).enabled


def test_check_password_refuses_unknown_users_and_wrong_passwords(auth: StaffAuth):
    assert auth.check_password("anna", "correct horse")
    assert not auth.check_password("anna", "wrong")
    assert not auth.check_password("nobody", "correct horse")


def test_a_session_cookie_names_its_user_until_it_expires(auth: StaffAuth):
    cookie = auth.issue("anna", now=NOW)
    assert auth.user_of(cookie, now=NOW + 59) == "anna"
    assert auth.user_of(cookie, now=NOW + 60) is None  # expired
    assert auth.user_of(cookie, now=NOW - 10) is None  # issued in the future


def test_a_tampered_or_foreign_cookie_is_refused(auth: StaffAuth):
    cookie = auth.issue("anna", now=NOW)
    user, issued, nonce, signature = cookie.split(".")
    later = f"{user}.{int(NOW) + 3600}.{nonce}.{signature}"
    assert auth.user_of(later, now=NOW + 3600) is None
    other_secret = StaffAuth(auth.accounts, b"another secret", 60).issue("anna", now=NOW)
    assert auth.user_of(other_secret, now=NOW) is None
    for junk in (None, "", "a.b.c", "a.b.c.d.e", "ÿ.1.2.3"):
        assert auth.user_of(junk, now=NOW) is None
    removed = StaffAuth({}, b"secret", 60)
    assert removed.user_of(cookie, now=NOW) is None  # the account was removed


def test_signing_out_revokes_the_session(auth: StaffAuth):
    cookie = auth.issue("anna")
    other = auth.issue("anna")
    auth.revoke(cookie)
    assert auth.user_of(cookie) is None
    assert auth.user_of(other) == "anna"


def test_hash_password_helper_prints_an_account_entry(monkeypatch: pytest.MonkeyPatch, capsys: Any):
    monkeypatch.setattr("sys.stdin", io.StringIO("long enough password\n"))
    assert hash_password_cli.main(["anna"]) == 0
    user, encoded = capsys.readouterr().out.strip().split(":", 1)
    assert user == "anna" and verify_password("long enough password", encoded)
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert hash_password_cli.main(["anna"]) == 1
    assert hash_password_cli.main(["an:na"]) == 2


# ---- The request gate


def test_posts_need_the_header_and_the_consoles_own_origin():
    assert post_allowed({"X-Requested-With": "pobyt-staff"}, "http", "localhost:5005")
    own = {"X-Requested-With": "pobyt-staff", "Origin": "http://localhost:5005"}
    assert post_allowed(own, "http", "localhost:5005")
    assert not post_allowed({}, "http", "localhost:5005")
    assert not post_allowed({**own, "Origin": "http://localhost:8000"}, "http", "localhost:5005")
    assert not post_allowed({"X-Requested-With": "XMLHttpRequest"}, "http", "localhost:5005")
    # The console's own host over HTTPS (a TLS proxy in front), but never another host.
    assert post_allowed({**own, "Origin": "https://localhost:5005"}, "http", "localhost:5005")
    assert not post_allowed({**own, "Origin": "https://evil.example"}, "http", "localhost:5005")


def test_the_session_cookie_flags():
    flags = session_cookie_flags(secure=False, max_age=600)
    assert flags["httponly"] and flags["samesite"] == "Strict" and flags["path"] == "/staff"
    assert flags["max-age"] == 600 and session_cookie_flags(secure=True, max_age=0)["secure"]


def _request(cookie: str = "", method: str = "GET") -> Any:
    return SimpleNamespace(cookies={COOKIE_NAME: cookie} if cookie else {}, method=method,
                           headers={"host": "localhost"}, app=SimpleNamespace(config={}), ip="127.0.0.1",
                           transport=None)  # fmt: skip


def _call(auth: StaffAuth, request: Any, page: bool) -> Any:
    async def handler(request: Any, user: str) -> str:
        return f"hello {user}"

    return asyncio.run(_staff_only(auth, page)(handler)(request))


def test_without_accounts_the_console_is_disabled_with_an_explanation():
    disabled = StaffAuth({}, b"secret")
    for page in (True, False):
        reply = _call(disabled, _request(), page)
        assert reply.status == 503
        assert b"POBYT_STAFF_ACCOUNTS" in reply.body


def test_the_gate_lets_only_a_valid_session_through(auth: StaffAuth):
    assert _call(auth, _request(auth.issue("anna")), page=False) == "hello anna"
    assert _call(auth, _request(), page=False).status == 403
    assert _call(auth, _request(), page=True).headers["Location"] == "/staff/login"
    assert _call(auth, _request(auth.issue("anna"), method="POST"), page=False).status == 403  # no CSRF header


def test_the_console_scripts_never_parse_text_as_html():
    for name in ("console.js", "login.js"):
        script = (STAFF_DIR / name).read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert sink not in script, (name, sink)
    for page in ("console.html", "login.html"):
        html = (STAFF_DIR / page).read_text(encoding="utf-8")
        assert "<script>" not in html and "http" not in html.replace(
            "http-equiv", ""
        )  # no inline code, no external assets


# ---- Notes


def test_notes_are_stored_and_listed_newest_first(tmp_path: Path):
    store = NoteStore(tmp_path / "notes.db")
    first = note_from_request({"message": "старое", "answer": "a", "language": "ru", "kb_ids": ["x", "x", 3]}, "anna")
    store.add(first, now=dt.datetime(2026, 11, 24, 10, tzinfo=dt.timezone.utc))
    second = note_from_request({"message": "нове", "kind": "missing", "comment": " why ", "language": "xx"}, "petr")
    store.add(second)
    notes = store.recent()
    assert [n.message for n in notes] == ["нове", "старое"]
    assert notes[1] == Note("wrong", "старое", "a", "ru", "anna", ["x"], "", "2026-11-24T10:00:00+00:00", first.id)
    assert notes[0].kind == "missing" and notes[0].comment == "why" and notes[0].language == ""


def test_a_note_needs_a_message_and_a_known_kind():
    with pytest.raises(ValueError):
        note_from_request({"message": "  "}, "anna")
    with pytest.raises(ValueError):
        note_from_request({"message": "x", "kind": "spam"}, "anna")
    assert len(note_from_request({"message": "x" * 10_000}, "anna").message) == 4_000


# ---- Unanswered questions


def _user(sender: str, text: str, intent: str, at: float) -> tuple:
    return (sender, "user", intent, None, at, json.dumps({"event": "user", "text": text}))


def _action(sender: str, name: str, at: float) -> tuple:
    return (sender, "action", None, name, at, "{}")


def test_unanswered_questions_are_grouped_by_text_most_frequent_first():
    rows = [
        _user("a", "Где купить билеты?", "nlu_fallback", 1),
        _action("a", "action_fallback", 2),
        _user("b", "где  купить билеты", "ask_fees", 3),
        _action("b", "action_fallback", 4),  # answered by the fallback although the intent was not
        _user("c", "blah", "out_of_scope", 5),
        _user("d", "what fees for residence", "ask_fees", 6),
        _action("d", "action_answer", 7),
        _user("e", '/ask_fees{"procedure": "x"}', "nlu_fallback", 8),  # a button, not a question
        _user("f", "Где купить билеты?!", "out_of_scope", 9),
    ]
    found = [g.to_json() for g in group_unanswered(rows)]
    assert found == [
        {"text": "Где купить билеты?!", "count": 3, "last_seen": 9},
        {"text": "blah", "count": 1, "last_seen": 5},
    ]
    assert normalise("Ёлка,  ДА!") == "елка да"


def test_unanswered_questions_are_read_from_the_tracker_store_table(tmp_path: Path):
    import sqlalchemy as sa

    from pobyt.staff.unanswered import read_unanswered, tracker_engine

    path = tmp_path / "tracker.db"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT, timestamp FLOAT,"
            " intent_name TEXT, action_name TEXT, data TEXT)"
        )
        now = dt.datetime.now().timestamp()
        rows = [("s", "user", now, "nlu_fallback", None, json.dumps({"text": "qwerty"})),
                ("s", "user", now - 90 * 86400, "nlu_fallback", None, json.dumps({"text": "too old"}))]  # fmt: skip
        connection.executemany(
            "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data) VALUES (?,?,?,?,?,?)",
            rows,
        )
    engine = sa.create_engine(f"sqlite:///{path}")
    store = SimpleNamespace(_tracker_store=SimpleNamespace(engine=engine))
    reader = tracker_engine(store)
    assert reader is not engine and reader.url == engine.url  # its own engine, not the store's connection
    assert tracker_engine(store) is reader and tracker_engine(SimpleNamespace()) is None
    assert [g.text for g in read_unanswered(reader)] == ["qwerty"]


# ---- Views


def _parse(intent: str, entities: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {"intent": {"name": intent, "confidence": 0.9}, "intent_ranking": [], "entities": entities}


def test_analysis_gives_both_drafts_with_sources_and_dates(real_kb: KnowledgeBase):
    text = "скільки коштує постійне проживання на п'ять років"
    parse = _parse("ask_fees", recognise(text, real_kb))  # as the NLU component gives them, with spans
    result = views.analyse(real_kb, text, parse, TODAY)
    assert result["detected_language"] == "uk" and result["language"] == "uk"
    client, staff = result["drafts"]["client"], result["drafts"]["staff"]
    assert (client["language"], staff["language"]) == ("uk", "en")
    proc = real_kb.procedures["permanent_residence_5_years"]
    # The fee is the answer, in both drafts, whether from the procedure or a question entry about it.
    assert "165,50 євро" in client["text"] and "EUR 165.50" in staff["text"]
    assert detect_language(client["text"]) == "uk" and detect_language(staff["text"]) == "en"
    assert client["sources"] and not client["sources_checked_only"]
    assert client["last_reviewed"]
    assert result["entities"][0]["title"] == proc.title.en
    assert "permanent_residence_5_years" in result["kb_ids"]


def test_analysis_of_a_message_nobody_understood_offers_the_fallback(real_kb: KnowledgeBase):
    result = views.analyse(real_kb, "blah blah foo", _parse("out_of_scope", []), TODAY, language="ru")
    assert result["language"] == "ru"
    assert say("fallback", "ru") in result["drafts"]["client"]["text"]
    assert say("fallback", "en") in result["drafts"]["staff"]["text"]
    assert result["drafts"]["staff"]["language"] == "en"


def test_search_finds_procedures_in_ukrainian(real_kb: KnowledgeBase):
    found = views.search(real_kb, "постійне проживання")
    assert found[0]["id"] == "permanent_residence" and found[0]["title"]["uk"].startswith("Постійне проживання")
    assert views.search(real_kb, "   ") == []


def test_a_procedure_is_shown_in_full_in_two_languages(real_kb: KnowledgeBase):
    view = views.procedure_view(real_kb, "permanent_residence_5_years", "ru", TODAY)
    assert [c["language"] for c in view["columns"]] == ["ru", "en"]
    assert [s["aspect"] for s in view["columns"][0]["sections"]] == list(views.ASPECTS)
    assert len(views.procedure_view(real_kb, "permanent_residence_5_years", "en", TODAY)["columns"]) == 1
    assert all(p["title"]["uk"] for p in views.procedure_list(real_kb))


def test_offices_come_with_hours_and_phones(real_kb: KnowledgeBase):
    offices = views.office_list(real_kb, "uk")
    iom = next(o for o in offices if o["id"] == "iom_mic")
    assert iom["phones"] and set(iom["text"]) == {"uk", "en"}
    assert any(loc["hours"] for o in offices for loc in o["locations"])


def test_a_guided_check_runs_to_its_result_in_both_languages(real_kb: KnowledgeBase):
    answers: Dict[str, Any] = {}
    for _ in range(20):
        step = views.check_step(real_kb, "after_protection", answers, None, "uk", TODAY)
        if "result" in step:
            break
        question = step["question"]
        assert set(question["text"]) == {"uk", "en"}
        if question["kind"] == "choice":
            answers[question["id"]] = question["options"][0]["id"]
        else:
            wrong = views.check_step(real_kb, "after_protection", answers, "не знаю", "uk", TODAY)
            assert wrong["error"] and wrong["question"]["id"] == question["id"]
            answers = views.check_step(real_kb, "after_protection", answers, "пів року", "uk", TODAY)["answers"]
            assert answers[question["id"]] == 6
    assert set(step["result"]["text"]) == {"uk", "en"}
    assert step["result"]["data"]["procedure"] == "temporary_protection_transition"


def test_a_check_ignores_answers_that_are_not_its_own(real_kb: KnowledgeBase):
    step = views.check_step(real_kb, "permanent", {"check_goal": "<script>", "other": "x", "x": 5}, None, "ru", TODAY)
    assert step["answers"] == {} and step["question"]["id"] == "check_goal"


def test_revoked_sessions_are_forgotten_once_they_would_have_expired(auth: StaffAuth):
    old = auth.issue("anna", now=NOW)
    auth.revoke(old, now=NOW + 1)
    assert auth.user_of(old, now=NOW + 2) is None
    new = auth.issue("anna", now=NOW + 100)
    auth.revoke(new, now=NOW + 101)
    assert list(auth.revoked) == [new.split(".")[2]]
