"""The website chat widget in headless Chromium against the real assistant (Rasa and action servers).

Scenarios: the demo page served by the assistant (ask in Ukrainian, answer and buttons, click a
button, reload and keep the conversation, switch to Russian); keyboard only; a 360 px phone screen;
a partner page on another origin with hostile styles and no CSP, where the XSS string stays text;
an answer full of HTML and links, rendered as text with safe links; a guided check in Russian whose
result opens as a printable checklist; the knowledge base's *Slovak terms* in italics; history older
than 24 hours dropped on load, and data-storage="session".
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, Iterator, List
from urllib.parse import urlsplit

import pytest
import requests
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.shadowroot import ShadowRoot
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from pobyt.channels.identity import conversation_of_token
from pobyt.language import detect_language
from tests.browser import chromium, require_browser
from tests.servers import API_TOKEN, MODEL, free_port, running_assistant

pytestmark = pytest.mark.e2e

REPLY_WAIT_S = 90  # the first answer also warms up the action server
XSS = "<img src=x onerror=alert(1)>"

# What a person sees in the widget, read from its (open) shadow root; screen-reader-only labels left out.
READ_WIDGET = """
const host = document.querySelector('pobyt-chat-widget');
if (!host) return null;
const root = host.shadowRoot;
const visible = (node) => { const c = node.cloneNode(true); c.querySelectorAll('.sr-only').forEach((s) => s.remove());
                            return c.textContent.trim(); };
return {
  open: !root.querySelector('.panel').hidden,
  messages: [...root.querySelectorAll('.message')].map((m) => ({
      who: m.classList.contains('user') ? 'user' : 'bot', text: visible(m), lang: m.getAttribute('lang')})),
  buttons: [...root.querySelectorAll('.choices')].map((g) => [...g.querySelectorAll('button')].map((b) => b.textContent)),
  placeholder: root.querySelector('textarea').placeholder,
  typing: !root.querySelector('.typing').hidden,
};
"""
# The focused element inside the widget, named by its data-language, class or tag.
FOCUSED = """
const host = document.querySelector('pobyt-chat-widget');
if (document.activeElement !== host) return document.activeElement ? document.activeElement.tagName : null;
const el = host.shadowRoot.activeElement;
return el ? (el.dataset.language || el.className || el.tagName.toLowerCase()) : 'host';
"""


@dataclass
class Partner:
    """A partner's website on another origin: ``pages`` maps paths to the HTML it serves."""

    origin: str
    pages: Dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def partner() -> Iterator[Partner]:
    """Serves a partner's pages from a local HTTP server on another port (another origin)."""
    port = free_port()
    pages: Dict[str, str] = {"/": "<!doctype html><title>Partner</title>"}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            body = pages.get(self.path.split("?")[0], "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Partner(f"http://127.0.0.1:{port}", pages)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory, partner: Partner) -> Iterator[str]:
    require_browser()
    if not MODEL.exists():
        pytest.skip("no trained model: run `make train` (make test does)")
    workdir = tmp_path_factory.mktemp("widget")
    with running_assistant(workdir, {"POBYT_TODAY": "2026-11-24"}, rasa_args=["--cors", partner.origin]) as url:
        yield url


@pytest.fixture(scope="module")
def browser(assistant: str) -> Iterator[WebDriver]:
    with chromium() as driver:
        yield driver


@pytest.fixture
def fresh(browser: WebDriver, assistant: str) -> Callable[[str], None]:
    """Opens ``url`` as a first-time visitor: no stored conversation for any origin used here."""

    def open_fresh(url: str) -> None:
        page = urlsplit(url)
        for origin in {assistant, f"{page.scheme}://{page.netloc}"}:
            browser.get(f"{origin}/")  # a page of that origin, to reach its localStorage
            browser.execute_script("window.localStorage.clear()")
        browser.get(url)
        wait(browser, lambda d: widget(d) is not None)

    return open_fresh


def wait(driver: WebDriver, condition: Callable[[WebDriver], Any], timeout: float = REPLY_WAIT_S) -> Any:
    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(condition)


def widget(driver: WebDriver) -> Dict[str, Any]:
    return driver.execute_script(READ_WIDGET)


def shadow(driver: WebDriver) -> ShadowRoot:
    return driver.find_element("css selector", "pobyt-chat-widget").shadow_root


def messages(driver: WebDriver) -> List[Dict[str, str]]:
    return widget(driver)["messages"]


def wait_for_replies(driver: WebDriver, count_before: int) -> List[Dict[str, str]]:
    """Waits until the bot has answered the last user message (typing indicator gone); returns new messages."""

    def answered(d: WebDriver) -> Any:
        state = widget(d)
        new = state["messages"][count_before:]
        return new if not state["typing"] and any(m["who"] == "bot" for m in new) else False

    return wait(driver, answered)


def open_panel(driver: WebDriver) -> None:
    if not widget(driver)["open"]:
        shadow(driver).find_element("css selector", ".launcher").click()
    wait(driver, lambda d: widget(d)["open"], timeout=10)


def type_and_send(driver: WebDriver, text: str) -> List[Dict[str, str]]:
    before = len(messages(driver))
    field = shadow(driver).find_element("css selector", "textarea")
    field.send_keys(text)
    field.send_keys(Keys.ENTER)
    return wait_for_replies(driver, before)


def bot_texts(new: List[Dict[str, str]]) -> List[str]:
    return [m["text"] for m in new if m["who"] == "bot"]


def test_demo_conversation_in_ukrainian_survives_a_reload_and_switches_to_russian(browser, assistant, fresh):
    demo = f"{assistant}/webhooks/widget/demo"
    fresh(demo)
    open_panel(browser)
    assert widget(browser)["placeholder"] == "Напишіть ваше запитання…"  # data-language="uk" on the demo page

    # The typing indicator shows while the assistant works (recorded by an observer, not by timing).
    browser.execute_script(
        """const root = document.querySelector('pobyt-chat-widget').shadowRoot; window.__typingSeen = false;
        new MutationObserver(() => { if (!root.querySelector('.typing').hidden) window.__typingSeen = true; })
          .observe(root.querySelector('.typing'), {attributes: true});"""
    )
    new = type_and_send(browser, "які документи потрібні для возз'єднання сім'ї")
    assert browser.execute_script("return window.__typingSeen") is True
    assert new[0] == {"who": "user", "text": "які документи потрібні для возз'єднання сім'ї", "lang": None}
    texts = bot_texts(new)
    assert texts[0].startswith("Я надаю інформацію, а не юридичну консультацію.")
    assert texts[-1] == "Хто ваш родич у Словаччині?"
    assert all(detect_language(text) == "uk" for text in texts), texts
    assert widget(browser)["buttons"][-1] == [
        "Член моєї родини — громадянин Словаччини",
        "Член моєї родини — іноземець, який живе в Словаччині",
    ]

    # A button sends its payload and shows its title as what the person said.
    before = len(messages(browser))
    shadow(browser).find_elements("css selector", ".choices button")[-1].click()
    new = wait_for_replies(browser, before)
    assert new[0] == {"who": "user", "text": "Член моєї родини — іноземець, який живе в Словаччині", "lang": None}
    (documents,) = bot_texts(new)
    assert documents.startswith(
        "Тимчасове проживання з метою возз'єднання родини (Prechodný pobyt na účel zlúčenia rodiny)"
    )
    assert "Потрібні документи:" in documents
    # "• " lines are a list, with one item per document.
    items = browser.execute_script(
        "const m = [...document.querySelector('pobyt-chat-widget').shadowRoot.querySelectorAll('.message')].pop();"
        "return [...m.querySelectorAll('ul > li')].map((li) => li.textContent);"
    )
    assert items[0] == "Дійсний паспорт (проїзний документ)"
    assert len(items) >= 4

    # A reload keeps the history, the open panel and the conversation (same sender token).
    history = messages(browser)
    storage_key = f"pobyt-widget:v2:{assistant}"
    sender = json.loads(browser.execute_script("return localStorage.getItem(arguments[0])", storage_key))["sender"]
    browser.refresh()
    wait(browser, lambda d: (widget(d) or {}).get("messages") == history, timeout=30)
    assert widget(browser)["open"]
    assert (
        json.loads(browser.execute_script("return localStorage.getItem(arguments[0])", storage_key))["sender"] == sender
    )
    tracker_url = f"{assistant}/conversations/{conversation_of_token(sender)}/tracker"
    slots = requests.get(tracker_url, params={"token": API_TOKEN}, timeout=30).json()["slots"]
    assert slots["procedure"] == "temporary_residence_family_reunion"

    # The language switch: the widget's own words and the assistant's replies turn Russian.
    before = len(messages(browser))
    shadow(browser).find_element("css selector", ".languages button[data-language='ru']").click()
    new = wait_for_replies(browser, before)
    assert new[0]["text"] == "Русский"
    assert bot_texts(new) == ["Я буду отвечать на русском."]
    assert new[-1]["lang"] == "ru"
    assert widget(browser)["placeholder"] == "Напишите ваш вопрос…"
    (fees,) = bot_texts(type_and_send(browser, "сколько это стоит"))
    assert fees.startswith("Временное проживание с целью воссоединения семьи")
    assert detect_language(fees) == "ru"


def test_keyboard_alone_opens_sends_and_closes(browser, assistant, fresh):
    fresh(f"{assistant}/webhooks/widget/demo")
    keys = ActionChains(browser)

    def press(*sequence: str) -> None:
        for key in sequence:
            keys.send_keys(key)
        keys.perform()
        keys.reset_actions()

    # Tab through the host page to the launcher, open it with Enter: focus lands in the input.
    for _ in range(10):
        press(Keys.TAB)
        if browser.execute_script(FOCUSED) == "launcher":
            break
    assert browser.execute_script(FOCUSED) == "launcher"
    press(Keys.ENTER)
    wait(browser, lambda d: d.execute_script(FOCUSED) == "textarea", timeout=10)

    # Escape closes and gives focus back to the launcher.
    press(Keys.ESCAPE)
    wait(browser, lambda d: not widget(d)["open"] and d.execute_script(FOCUSED) == "launcher", timeout=10)

    # Reopened, the Tab order inside the panel is the visual order: back to the launcher, then forward to the input.
    press(Keys.ENTER)
    wait(browser, lambda d: widget(d)["open"] and d.execute_script(FOCUSED) == "textarea", timeout=10)
    backwards = []
    for _ in range(8):
        keys.key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
        keys.reset_actions()
        backwards.append(browser.execute_script(FOCUSED))
        if backwards[-1] == "launcher":
            break
    assert backwards == ["log", "close", "forget", "ru", "uk", "en", "launcher"], backwards
    forwards = []
    for _ in range(8):
        press(Keys.TAB)
        forwards.append(browser.execute_script(FOCUSED))
        if forwards[-1] == "textarea":
            break
    assert forwards == ["en", "uk", "ru", "forget", "close", "log", "textarea"], forwards

    before = len(messages(browser))
    press("привіт", Keys.ENTER)
    new = wait_for_replies(browser, before)
    assert new[0] == {"who": "user", "text": "привіт", "lang": None}
    assert all(detect_language(text) == "uk" for text in bot_texts(new))
    press(Keys.TAB)
    assert browser.execute_script(FOCUSED) == "send"
    press(Keys.ESCAPE)
    wait(browser, lambda d: not widget(d)["open"] and d.execute_script(FOCUSED) == "launcher", timeout=10)


def test_fits_a_360_px_phone_screen(browser, assistant, fresh):
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 360, "height": 740, "deviceScaleFactor": 2, "mobile": True}
    )
    try:
        fresh(f"{assistant}/webhooks/widget/demo")
        open_panel(browser)
        type_and_send(
            browser, "як зв'язатися з МОМ https://slovakia.iom.int/a-very-long-link-without-any-spaces-at-all"
        )
        layout = browser.execute_script(
            """const root = document.querySelector('pobyt-chat-widget').shadowRoot;
            const rects = [...root.querySelectorAll('.panel, .message, .choices, .header, .composer, button')]
              .filter((e) => e.getClientRects().length).map((e) => e.getBoundingClientRect());
            const log = root.querySelector('.log');
            return {page: document.documentElement.scrollWidth, viewport: window.innerWidth,
                    left: Math.min(...rects.map((r) => r.left)), right: Math.max(...rects.map((r) => r.right)),
                    logOverflow: log.scrollWidth - log.clientWidth};"""
        )
        assert layout["viewport"] == 360
        assert layout["page"] <= 360, layout
        assert layout["left"] >= 0 and layout["right"] <= 360, layout
        assert layout["logOverflow"] <= 0, layout
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_partner_page_on_another_origin_keeps_its_styles_and_html_stays_text(browser, assistant, partner, fresh):
    # A page without CSP, with global styles and a global of its own: the widget must not touch either.
    page = f"""<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Partner</title>
    <style>* {{ color: rgb(255, 0, 0) !important; font-family: Georgia, serif !important; }}
    button {{ background: rgb(255, 105, 180); }} div {{ display: block; }}</style></head>
    <body><h1>Partner</h1><button id="own">Own button</button>
    <script>window.PARTNER_GLOBAL = 42;</script>
    <script src="{assistant}/webhooks/widget/widget.js" data-server="{assistant}" data-language="ru"
      data-color="#b00020" async></script></body></html>"""
    partner.pages["/partner.html"] = page
    fresh(f"{partner.origin}/partner.html")
    open_panel(browser)
    assert widget(browser)["placeholder"] == "Напишите ваш вопрос…"

    new = type_and_send(browser, XSS)
    assert new[0] == {"who": "user", "text": XSS, "lang": None}  # shown as the characters typed
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 - reading it is the check
    counts = browser.execute_script(
        "const root = document.querySelector('pobyt-chat-widget').shadowRoot;"
        "return {widget: root.querySelectorAll('img').length, page: document.querySelectorAll('img').length};"
    )
    assert counts == {"widget": 0, "page": 0}

    looks = browser.execute_script(
        """const root = document.querySelector('pobyt-chat-widget').shadowRoot;
        const user = [...root.querySelectorAll('.message.user')].pop();
        return {userColor: getComputedStyle(user).color, userBackground: getComputedStyle(user).backgroundColor,
                widgetFont: getComputedStyle(root.querySelector('.root')).fontFamily,
                ownButton: getComputedStyle(document.getElementById('own')).backgroundColor,
                ownColor: getComputedStyle(document.querySelector('h1')).color,
                partnerGlobal: window.PARTNER_GLOBAL,
                globals: Object.keys(window).filter((k) => /pobyt/i.test(k))};"""
    )
    assert looks == {
        "userColor": "rgb(255, 255, 255)",
        "userBackground": "rgb(176, 0, 32)",  # data-color
        "widgetFont": looks["widgetFont"],
        "ownButton": "rgb(255, 105, 180)",
        "ownColor": "rgb(255, 0, 0)",
        "partnerGlobal": 42,
        "globals": ["PobytWidget"],
    }
    assert "Georgia" not in looks["widgetFont"]


def test_html_and_links_in_an_answer_are_rendered_safely(browser, assistant, partner, fresh):
    # The page stands in for the server with a hostile answer, so the widget's renderer meets HTML,
    # javascript: text, links with trailing punctuation, e-mails, lists and paragraphs.
    answer = [
        {
            "recipient_id": "x",
            "text": "<b>bold</b> <img src=x onerror=alert(2)> javascript:alert(3)\n\n"
            "• see https://example.org/a?b=1&c=2.\n• write to help@example.org\nlast line",
            "buttons": [{"title": "<i>italic</i>", "payload": "/greet"}],
            "custom": {"pobyt": {"language": "en"}},
        }
    ]
    partner.pages["/stub.html"] = stub_page(assistant, answer)
    fresh(f"{partner.origin}/stub.html")
    open_panel(browser)
    (reply,) = bot_texts(type_and_send(browser, "hello"))
    assert reply.startswith("<b>bold</b> <img src=x onerror=alert(2)> javascript:alert(3)")
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 - reading it is the check
    rendered = browser.execute_script(
        """const root = document.querySelector('pobyt-chat-widget').shadowRoot;
        const m = [...root.querySelectorAll('.message.bot')].pop();
        return {elements: [...m.querySelectorAll('*')].map((e) => e.tagName.toLowerCase()).filter((t) => t !== 'span'),
                paragraphs: [...m.querySelectorAll('p')].map((p) => p.textContent),
                items: [...m.querySelectorAll('li')].map((li) => li.textContent),
                links: [...m.querySelectorAll('a')].map((a) => [a.textContent, a.getAttribute('href'), a.rel]),
                buttons: [...root.querySelectorAll('.choices button')].map((b) => [b.textContent, b.children.length])};"""
    )
    assert rendered == {
        "elements": ["p", "ul", "li", "a", "li", "a", "p"],
        "paragraphs": ["<b>bold</b> <img src=x onerror=alert(2)> javascript:alert(3)", "last line"],
        "items": ["see https://example.org/a?b=1&c=2.", "write to help@example.org"],
        "links": [
            ["https://example.org/a?b=1&c=2", "https://example.org/a?b=1&c=2", "noopener noreferrer nofollow"],
            ["help@example.org", "mailto:help@example.org", ""],
        ],
        "buttons": [["<i>italic</i>", 0]],
    }


def stub_page(assistant: str, answer: List[Dict[str, Any]], attributes: str = "") -> str:
    """A partner page whose fetch stands in for the server: a sender token, then ``answer`` to every message."""
    token = json.dumps(json.dumps({"sender": "stub-token"}))
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Stub</title></head><body>
    <script>window.fetch = (url) => Promise.resolve(new Response(
      String(url).endsWith("/session") ? {token} : {json.dumps(json.dumps(answer))},
      {{headers: {{"Content-Type": "application/json"}}}}));</script>
    <script src="{assistant}/webhooks/widget/widget.js" data-language="en" {attributes}></script></body></html>"""


def test_slovak_terms_in_asterisks_are_italic_and_stay_text(browser, assistant, partner, fresh):
    answer = [
        {
            "recipient_id": "x",
            "text": "Temporary protection (*dočasné útočisko*)\n• ask the *cudzinecká polícia* at https://example.org/a\n"
            "*<img src=x onerror=alert(5)>* and 5 * 3 *",
            "custom": {"pobyt": {"language": "en"}},
        }
    ]
    partner.pages["/italic.html"] = stub_page(assistant, answer)
    fresh(f"{partner.origin}/italic.html")
    open_panel(browser)
    (reply,) = bot_texts(type_and_send(browser, "hello"))
    assert reply.startswith("Temporary protection (dočasné útočisko)")
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 - reading it is the check
    rendered = browser.execute_script(
        """const m = [...document.querySelector('pobyt-chat-widget').shadowRoot.querySelectorAll('.message.bot')].pop();
        return {italics: [...m.querySelectorAll('i')].map((i) => [i.textContent, i.children.length]),
                images: m.querySelectorAll('img').length, lastLine: m.querySelector('p:last-of-type').textContent};"""
    )
    assert rendered == {
        "italics": [["dočasné útočisko", 0], ["cudzinecká polícia", 0], ["<img src=x onerror=alert(5)>", 0]],
        "images": 0,
        "lastLine": "<img src=x onerror=alert(5)> and 5 * 3 *",
    }


def test_history_older_than_a_day_is_dropped_and_session_storage_is_kept_apart(browser, assistant, partner, fresh):
    answer = [{"recipient_id": "x", "text": "An answer", "custom": {"pobyt": {"language": "en"}}}]
    partner.pages["/expiry.html"] = stub_page(assistant, answer)
    partner.pages["/session.html"] = stub_page(assistant, answer, 'data-storage="session"')
    key = f"pobyt-widget:v2:{assistant}"
    hour_ms = 3600 * 1000

    def stored_state(messages_at_hours_ago: List[float]) -> str:
        return json.dumps(
            {
                "sender": "old-token",
                "language": "en",
                "open": True,
                "messages": [
                    {"from": "user", "text": f"asked {hours} h ago", "at": f"NOW - {hours * hour_ms}"}
                    for hours in messages_at_hours_ago
                ],
            }
        )

    def load_with(state: str, page: str = "/expiry.html") -> None:
        browser.get(f"{partner.origin}/")  # a page of the partner's origin without the widget, to set its storage
        browser.execute_script("localStorage.clear()")
        # The stored times are made in the browser, against its own clock.
        browser.execute_script(
            'localStorage.setItem(arguments[0], arguments[1].replace(/"NOW - (\\d+)"/g, (_, ms) => Date.now() - ms));'
            'localStorage.setItem(\'pobyt-widget:v1:\' + arguments[2], \'{"sender": "web-old", "messages": []}\');',
            key,
            state,
            assistant,
        )
        browser.get(f"{partner.origin}{page}")
        wait(browser, lambda d: widget(d) is not None, timeout=30)

    def stored(kind: str = "localStorage") -> Any:
        return browser.execute_script(f"return JSON.parse({kind}.getItem(arguments[0]) || 'null')", key)

    # A day and more: dropped; the recent message stays with its conversation.
    load_with(stored_state([30, 25, 2]))
    assert [m["text"] for m in messages(browser)] == ["asked 2 h ago"]
    assert browser.execute_script("return localStorage.getItem('pobyt-widget:v1:' + arguments[0])", assistant) is None
    type_and_send(browser, "hello")
    assert stored()["sender"] == "old-token" and len(stored()["messages"]) == 3

    # Everything older than a day: a new conversation, without the old token.
    load_with(stored_state([48, 26]))
    assert messages(browser) == []
    assert stored()["sender"] == "" and stored()["messages"] == []

    # data-storage="session": nothing in localStorage, the conversation in sessionStorage.
    fresh(f"{partner.origin}/session.html")
    open_panel(browser)
    type_and_send(browser, "hello")
    assert stored() is None
    assert [m["text"] for m in stored("sessionStorage")["messages"]] == ["hello", "An answer"]
    assert stored("sessionStorage")["sender"] == "stub-token"
    browser.execute_script("sessionStorage.clear()")


def test_an_unreachable_assistant_gives_a_message_in_the_widgets_language(browser, assistant, partner, fresh):
    partner.pages["/offline.html"] = f"""<!doctype html><html><head><meta charset="utf-8"><title>Offline</title></head>
    <body><script>window.fetch = () => Promise.reject(new TypeError("Failed to fetch"));</script>
    <script src="{assistant}/webhooks/widget/widget.js" data-language="ru"></script></body></html>"""
    fresh(f"{partner.origin}/offline.html")
    open_panel(browser)
    field = shadow(browser).find_element("css selector", "textarea")
    field.send_keys("здравствуйте", Keys.ENTER)
    error = wait(browser, lambda d: shadow(d).find_elements("css selector", ".error[role='alert']"), timeout=10)
    assert error[0].text == "Не удалось связаться с помощником. Попробуйте еще раз."
    state = widget(browser)
    assert state["messages"] == [{"who": "user", "text": "здравствуйте", "lang": None}]
    assert not state["typing"]


def test_a_guided_check_in_russian_ends_with_a_printable_checklist(browser, assistant, fresh):
    fresh(f"{assistant}/webhooks/widget/demo")
    open_panel(browser)
    shadow(browser).find_element("css selector", ".languages button[data-language='ru']").click()
    wait(browser, lambda d: any(m["who"] == "bot" for m in messages(d)))
    new = type_and_send(browser, "могу ли я привезти жену в словакию")
    assert bot_texts(new)[-1] == "Кто член вашей семьи в Словакии?"  # the family check's first question

    # Answer every question with its first button (the last two of each question are "Назад"/"Остановить").
    for _ in range(8):
        if shadow(browser).find_elements("css selector", ".printable"):
            break
        before = len(messages(browser))
        shadow(browser).find_elements("css selector", ".choices")[-1].find_elements("css selector", "button")[0].click()
        wait_for_replies(browser, before)
    result = messages(browser)[-1]
    assert result["who"] == "bot" and result["lang"] == "ru"
    assert detect_language(result["text"]) == "ru"
    assert widget(browser)["buttons"][-1] == ["Список для печати"]

    # The checklist opens as a page of its own, as text, ready to print.
    widget_window = browser.current_window_handle
    shadow(browser).find_element("css selector", ".printable").click()
    wait(browser, lambda d: len(d.window_handles) == 2, timeout=10)
    browser.switch_to.window([h for h in browser.window_handles if h != widget_window][0])
    try:
        assert browser.title == "Ваш список"
        assert browser.find_element("css selector", "html").get_attribute("lang") == "ru"
        assert browser.find_element("css selector", "h1").text == "Ваш список"
        assert browser.find_element("css selector", "button").text == "Печать"
        printed = browser.find_element("css selector", ".text").get_attribute("textContent")
        assert printed.split("\n")[0] in result["text"]
        assert not browser.find_elements("css selector", ".text *")  # text only, no markup
    finally:
        browser.close()
        browser.switch_to.window(widget_window)


def test_delete_conversation_forgets_it_on_the_server_and_in_the_widget(browser, assistant, partner, fresh):
    # The route itself: broken requests get a JSON 4xx, an id the server did not issue 403, a token without a
    # conversation is fine, partner origins pass CORS.
    forget_url = f"{assistant}/webhooks/widget/forget"
    for body in (b"{not json", b"{}", b'{"sender": 5}'):
        answer = requests.post(forget_url, data=body, headers={"Content-Type": "application/json"}, timeout=30)
        assert answer.status_code == 400 and answer.json()["error"]
    answer = requests.post(forget_url, json={"sender": "web-never-seen"}, timeout=30)
    assert answer.status_code == 403 and answer.json()["text"]
    token = requests.post(f"{assistant}/webhooks/widget/session", timeout=30).json()["sender"]
    answer = requests.post(forget_url, json={"sender": token}, headers={"Origin": partner.origin}, timeout=30)
    assert answer.json() == {"forgotten": True}
    assert answer.headers.get("Access-Control-Allow-Origin") == partner.origin

    fresh(f"{assistant}/webhooks/widget/demo")
    open_panel(browser)
    type_and_send(browser, "скільки коштує тимчасове проживання")
    storage_key = f"pobyt-widget:v2:{assistant}"
    sender = json.loads(browser.execute_script("return localStorage.getItem(arguments[0])", storage_key))["sender"]

    def user_events(token: str) -> List[Dict[str, Any]]:
        tracker = requests.get(
            f"{assistant}/conversations/{conversation_of_token(token)}/tracker", params={"token": API_TOKEN}, timeout=30
        ).json()
        return [event for event in tracker["events"] if event["event"] == "user"]

    assert user_events(sender)

    # The button asks first, inside the panel; "No" keeps everything.
    forget_button = shadow(browser).find_element("css selector", ".forget")
    assert forget_button.get_attribute("aria-label") == "Видалити розмову"
    forget_button.click()
    confirm = shadow(browser).find_element("css selector", ".confirm")
    assert confirm.is_displayed()
    assert confirm.find_element("css selector", "p").text == "Видалити цю розмову? Помічник теж її забуде."
    assert browser.execute_script(FOCUSED) == "no"
    history = messages(browser)
    confirm.find_element("css selector", ".no").click()
    assert not confirm.is_displayed()
    assert messages(browser) == history

    # The server failing to delete: an error in the widget's language, and the history stays.
    browser.execute_script(
        """window.__fetch = window.fetch; window.fetch = (url, options) => String(url).endsWith('/forget')
             ? Promise.resolve(new Response('{"error": "down"}', {status: 503})) : window.__fetch(url, options);"""
    )
    forget_button.click()
    confirm.find_element("css selector", ".yes").click()
    error = wait(browser, lambda d: shadow(d).find_elements("css selector", ".error[role='alert']"), timeout=10)
    assert error[0].text == "Не вдалося видалити розмову. Спробуйте ще раз."
    assert messages(browser) == history and user_events(sender)
    browser.execute_script("window.fetch = window.__fetch;")

    forget_button.click()
    confirm.find_element("css selector", ".yes").click()
    notice = wait(browser, lambda d: shadow(d).find_elements("css selector", ".notice.forgotten"), timeout=30)
    assert notice[0].text == "Розмову видалено."
    assert messages(browser) == []
    assert user_events(sender) == []
    stored = json.loads(browser.execute_script("return localStorage.getItem(arguments[0])", storage_key))
    assert stored["messages"] == [] and stored["sender"] != sender

    # A reload shows the empty widget with its introduction.
    browser.refresh()
    wait(browser, lambda d: widget(d) is not None and widget(d)["open"], timeout=30)
    assert messages(browser) == []
    intro = shadow(browser).find_element("css selector", ".notice")
    assert intro.text.startswith("Запитайте про проживання")
