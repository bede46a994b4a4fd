/*
 * pobyt website chat widget.
 *
 * Embed with one tag:
 *   <script src="https://ASSISTANT/webhooks/widget/widget.js" data-language="uk" data-color="#0057b7" async></script>
 * Attributes (all optional):
 *   data-server      the assistant's base URL (default: where this script was loaded from)
 *   data-language    en | uk | ru: the widget's language and the hint sent with every message (default: en)
 *   data-color       accent colour (default #0057b7); data-text-color: text on the accent (default #ffffff)
 *   data-position    right | left (default right)
 *   data-storage     local | session: keep the conversation on this device for HISTORY_HOURS (local, the
 *                    default) or only until the browser tab is closed (session: sessionStorage)
 *
 * Everything lives in a Shadow DOM, so the host page's styles and the widget's styles never meet.
 * The only global is window.PobytWidget (open/close/reset). The header's "Delete conversation" button
 * asks for confirmation inside the panel, deletes the conversation on the server (POST
 * /webhooks/widget/forget) and then starts a new one on this device. Text from people and from the assistant
 * is only ever put into the page with textContent: it is never parsed as HTML (the assistant's *term*
 * emphasis becomes an <i> element holding a text node).
 *
 * The conversation is known to the server by a sender token it signs (POST /webhooks/widget/session,
 * asked for with the first message); the widget keeps it with the history and sends it with every
 * message (POST /webhooks/widget/webhook). Messages older than HISTORY_HOURS are dropped when the
 * widget loads, and with them the token once none is left: a partner site's storage does not keep a
 * person's questions for ever.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script) {
    var candidates = document.querySelectorAll('script[src*="widget.js"]');
    script = candidates[candidates.length - 1];
  }
  if (!script || window.PobytWidget) {
    return; // loaded twice: keep the first widget
  }

  var LANGUAGES = ["en", "uk", "ru"];
  var LANGUAGE_NAMES = { en: "English", uk: "Українська", ru: "Русский" };
  var LANGUAGE_CODES = { en: "EN", uk: "УК", ru: "РУ" };
  var MAX_HISTORY = 200; // messages kept in the browser's storage
  var HISTORY_HOURS = 24; // older messages are dropped when the widget loads
  var HISTORY_MS = HISTORY_HOURS * 3600 * 1000;
  var REQUEST_TIMEOUT_MS = 60000;

  // The widget's own words; what the assistant says comes from the server already translated.
  var STRINGS = {
    en: {
      title: "Legal stay in Slovakia",
      open: "Open the chat about legal stay in Slovakia",
      close: "Close the chat",
      dialog: "Chat with the assistant about legal stay in Slovakia",
      log: "Conversation",
      input: "Your question",
      placeholder: "Type your question…",
      send: "Send",
      language: "Language",
      typing: "The assistant is typing…",
      you: "You",
      bot: "Assistant",
      error: "The assistant could not be reached. Please try again.",
      intro: "Ask about residence, protection, visas, citizenship or documents in Slovakia.",
      answerButtons: "Choices",
      printable: "Printable checklist",
      checklist: "Your checklist",
      print: "Print",
      forget: "Delete conversation",
      forgetQuestion: "Delete this conversation? The assistant will forget it too.",
      forgetYes: "Yes, delete",
      forgetNo: "No, keep it",
      forgotten: "The conversation was deleted.",
      forgetError: "The conversation could not be deleted. Please try again.",
    },
    uk: {
      title: "Легальне перебування у Словаччині",
      open: "Відкрити чат про легальне перебування у Словаччині",
      close: "Закрити чат",
      dialog: "Чат з помічником про легальне перебування у Словаччині",
      log: "Розмова",
      input: "Ваше запитання",
      placeholder: "Напишіть ваше запитання…",
      send: "Надіслати",
      language: "Мова",
      typing: "Помічник друкує…",
      you: "Ви",
      bot: "Помічник",
      error: "Не вдалося зв'язатися з помічником. Спробуйте ще раз.",
      intro: "Запитайте про проживання, захист, візи, громадянство чи документи у Словаччині.",
      answerButtons: "Варіанти",
      printable: "Список для друку",
      checklist: "Ваш список",
      print: "Друкувати",
      forget: "Видалити розмову",
      forgetQuestion: "Видалити цю розмову? Помічник теж її забуде.",
      forgetYes: "Так, видалити",
      forgetNo: "Ні, залишити",
      forgotten: "Розмову видалено.",
      forgetError: "Не вдалося видалити розмову. Спробуйте ще раз.",
    },
    ru: {
      title: "Легальное пребывание в Словакии",
      open: "Открыть чат о легальном пребывании в Словакии",
      close: "Закрыть чат",
      dialog: "Чат с помощником о легальном пребывании в Словакии",
      log: "Разговор",
      input: "Ваш вопрос",
      placeholder: "Напишите ваш вопрос…",
      send: "Отправить",
      language: "Язык",
      typing: "Помощник печатает…",
      you: "Вы",
      bot: "Помощник",
      error: "Не удалось связаться с помощником. Попробуйте еще раз.",
      intro: "Спросите о проживании, защите, визах, гражданстве или документах в Словакии.",
      answerButtons: "Варианты",
      printable: "Список для печати",
      checklist: "Ваш список",
      print: "Печать",
      forget: "Удалить разговор",
      forgetQuestion: "Удалить этот разговор? Помощник тоже его забудет.",
      forgetYes: "Да, удалить",
      forgetNo: "Нет, оставить",
      forgotten: "Разговор удален.",
      forgetError: "Не удалось удалить разговор. Попробуйте еще раз.",
    },
  };

  var STYLES = [
    ":host { all: initial; }",
    "*, *::before, *::after { box-sizing: border-box; }",
    ".root { --accent: #0057b7; --on-accent: #ffffff; font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif;",
    "  color: #1b1b1b; }",
    ".launcher { position: fixed; bottom: 16px; right: 16px; z-index: 2147483646; width: 56px; height: 56px; border-radius: 50%;",
    "  border: 0; background: var(--accent); color: var(--on-accent); cursor: pointer; box-shadow: 0 4px 14px rgba(0,0,0,.3);",
    "  display: flex; align-items: center; justify-content: center; padding: 0; }",
    ".left .launcher, .left .panel { right: auto; left: 16px; }",
    ".launcher svg { width: 28px; height: 28px; fill: currentColor; }",
    "button:focus-visible, textarea:focus-visible, a:focus-visible, .log:focus-visible { outline: 3px solid #ffbf00; outline-offset: 2px; }",
    ".panel { position: fixed; bottom: 84px; right: 16px; z-index: 2147483647; width: 380px; max-width: calc(100vw - 16px);",
    "  height: 560px; max-height: calc(100vh - 100px); display: flex; flex-direction: column; background: #fff;",
    "  border-radius: 12px; box-shadow: 0 8px 30px rgba(0,0,0,.3); overflow: hidden; }",
    ".panel[hidden] { display: none; }",
    "@media (max-width: 480px) { .panel { left: 8px; right: 8px; width: auto; max-width: none; bottom: 80px; max-height: calc(100vh - 96px); }",
    "  .left .panel { left: 8px; } }",
    ".header { display: flex; align-items: center; gap: 8px; padding: 10px 12px; background: var(--accent); color: var(--on-accent); }",
    ".title { flex: 1; min-width: 0; margin: 0; font-size: 16px; font-weight: 600; overflow-wrap: anywhere; }",
    ".languages { display: flex; gap: 2px; }",
    ".languages button, .close { border: 1px solid currentColor; background: transparent; color: inherit; border-radius: 6px;",
    "  font: inherit; font-size: 12px; padding: 3px 6px; cursor: pointer; min-width: 32px; min-height: 28px; }",
    ".languages button[aria-pressed='true'] { background: var(--on-accent); color: var(--accent); }",
    ".close { font-size: 18px; line-height: 1; border-color: transparent; }",
    ".forget { border: 1px solid transparent; background: transparent; color: inherit; border-radius: 6px; padding: 3px 4px;",
    "  cursor: pointer; min-width: 32px; min-height: 28px; display: flex; align-items: center; justify-content: center; }",
    ".forget svg { width: 18px; height: 18px; fill: currentColor; }",
    ".confirm { padding: 10px 12px; background: #fff4e5; border-bottom: 1px solid #e0c9a6; }",
    ".confirm[hidden] { display: none; }",
    ".confirm p { margin: 0 0 8px; }",
    ".confirm button { font: inherit; font-size: 14px; border-radius: 6px; padding: 4px 10px; cursor: pointer; margin-right: 6px;",
    "  border: 1px solid var(--accent); background: #fff; color: var(--accent); }",
    ".confirm .yes { background: #a00000; border-color: #a00000; color: #fff; }",
    ".log { position: relative; flex: 1; overflow-y: auto; overflow-x: hidden; padding: 12px; display: flex; flex-direction: column; gap: 8px;",
    "  background: #f5f6f8; }",
    ".message { max-width: 88%; padding: 8px 11px; border-radius: 12px; overflow-wrap: anywhere; word-break: break-word; }",
    ".message p { margin: 0 0 6px; } .message p:last-child { margin-bottom: 0; }",
    ".message ul { margin: 4px 0 6px; padding-left: 18px; } .message li { margin: 2px 0; }",
    ".message a { color: inherit; text-decoration: underline; }",
    ".bot { align-self: flex-start; background: #fff; border: 1px solid #dde1e6; }",
    ".user { align-self: flex-end; background: var(--accent); color: var(--on-accent); white-space: pre-wrap; }",
    ".notice { align-self: center; color: #555; font-size: 13px; text-align: center; }",
    ".error { align-self: center; color: #a00000; font-size: 13px; }",
    ".choices { align-self: flex-start; display: flex; flex-wrap: wrap; gap: 6px; max-width: 100%; }",
    ".choices button { font: inherit; font-size: 14px; text-align: left; border: 1px solid var(--accent); color: var(--accent);",
    "  background: #fff; border-radius: 16px; padding: 6px 12px; cursor: pointer; max-width: 100%; overflow-wrap: anywhere; }",
    ".choices button:hover { background: #eef3fb; }",
    ".typing { align-self: flex-start; display: flex; gap: 4px; padding: 12px; background: #fff; border: 1px solid #dde1e6;",
    "  border-radius: 12px; }",
    ".typing[hidden] { display: none; }",
    ".typing span.dot { width: 7px; height: 7px; border-radius: 50%; background: #777; animation: pobyt-blink 1.2s infinite; }",
    ".typing span.dot:nth-child(2) { animation-delay: .2s; } .typing span.dot:nth-child(3) { animation-delay: .4s; }",
    "@keyframes pobyt-blink { 0%, 80%, 100% { opacity: .25; } 40% { opacity: 1; } }",
    "@media (prefers-reduced-motion: reduce) { .typing span.dot { animation: none; } }",
    ".sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0,0,0,0);",
    "  white-space: nowrap; border: 0; }",
    ".composer { display: flex; gap: 8px; padding: 10px; border-top: 1px solid #dde1e6; background: #fff; }",
    ".composer textarea { flex: 1; min-width: 0; resize: none; font: inherit; padding: 8px 10px; border: 1px solid #8a9099;",
    "  border-radius: 8px; height: 42px; max-height: 120px; overflow-y: hidden; color: #1b1b1b; background: #fff; }",
    ".composer textarea::placeholder { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; color: #5f6670; }",
    ".composer .send { font: inherit; border: 0; border-radius: 8px; padding: 0 14px; background: var(--accent);",
    "  color: var(--on-accent); cursor: pointer; }",
  ].join("\n");

  // ---- configuration from the script tag --------------------------------------------------

  function attribute(name) {
    var value = script.getAttribute(name);
    return value === null ? "" : value.trim();
  }

  function isColor(value) {
    return Boolean(value) && Boolean(window.CSS && window.CSS.supports) && window.CSS.supports("color", value);
  }

  var server = (attribute("data-server") || new URL(script.src, document.baseURI).origin).replace(/\/+$/, "");
  var pageLanguage = LANGUAGES.indexOf(attribute("data-language")) >= 0 ? attribute("data-language") : "en";
  // v2: the sender is a token the server signed (v1 kept an id the widget made up, now refused).
  var storageKey = "pobyt-widget:v2:" + server;

  // ---- persisted state: sender token, messages, language, open or closed ---------------------

  /** The storage the page asked for (data-storage="session": until the tab closes), or null when disabled. */
  function openStorage() {
    try {
      // The old format's history stays on no device: its sender id no longer reaches the server.
      window.localStorage.removeItem("pobyt-widget:v1:" + server);
      return attribute("data-storage") === "session" ? window.sessionStorage : window.localStorage;
    } catch (e) {
      return null; // storage disabled (privacy settings, sandboxed frames)
    }
  }

  var storage = openStorage();

  function freshState(language, open) {
    // No sender yet: the server issues one with the first message.
    return { sender: "", messages: [], language: language, open: open };
  }

  function loadState() {
    try {
      var stored = JSON.parse((storage && storage.getItem(storageKey)) || "null");
      if (stored && typeof stored.sender === "string" && Array.isArray(stored.messages)) {
        var now = Date.now();
        var kept = stored.messages.filter(function (message) {
          return message && typeof message.at === "number" && now - message.at < HISTORY_MS;
        });
        if (!kept.length && stored.messages.length) {
          return freshState(stored.language, Boolean(stored.open)); // everything expired: a new conversation
        }
        stored.messages = kept;
        return stored;
      }
    } catch (e) {
      // Storage corrupt: start a fresh conversation.
    }
    return freshState(pageLanguage, false);
  }

  var state = loadState();
  if (LANGUAGES.indexOf(state.language) < 0) {
    state.language = pageLanguage;
  }
  // Written back at once: expired messages leave the device's storage now, not at the next message.
  saveState();

  function saveState() {
    state.messages = state.messages.slice(-MAX_HISTORY);
    try {
      if (storage) {
        storage.setItem(storageKey, JSON.stringify(state));
      }
    } catch (e) {
      // Storage full or disabled: the conversation still works, it just is not kept.
    }
  }

  // ---- DOM helpers: text nodes only, nothing is ever parsed as HTML ---------------------------

  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (key) {
      node.setAttribute(key, attributes[key]);
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  // http(s) URLs and e-mail addresses; trailing punctuation is not part of a link.
  var LINK = /(https?:\/\/[^\s<>"'()]+[^\s<>"'().,;:!?])|([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})/g;

  function appendLinked(parent, text) {
    var last = 0;
    text.replace(LINK, function (match, url, email, offset) {
      parent.appendChild(document.createTextNode(text.slice(last, offset)));
      var link = el("a", url ? { href: url, target: "_blank", rel: "noopener noreferrer nofollow" } : { href: "mailto:" + email });
      link.textContent = match;
      parent.appendChild(link);
      last = offset + match.length;
      return match;
    });
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  // The knowledge base's emphasis of Slovak terms: *term* on one line, no space just inside the asterisks.
  var EMPHASIS = /\*([^\s*](?:[^*\n]*[^\s*])?)\*/g;

  /** Appends text with its *term* emphasis as <i> elements (text nodes inside) and its links. */
  function appendRich(parent, text) {
    var last = 0;
    text.replace(EMPHASIS, function (match, term, offset) {
      appendLinked(parent, text.slice(last, offset));
      appendLinked(parent.appendChild(el("i")), term);
      last = offset + match.length;
      return match;
    });
    appendLinked(parent, text.slice(last));
  }

  /** Renders the assistant's plain text: blank lines make paragraphs, "• " lines make lists. */
  function renderText(container, text) {
    text.split(/\n\s*\n/).forEach(function (block) {
      var paragraph = null;
      var list = null;
      block.split("\n").forEach(function (line) {
        if (line.indexOf("• ") === 0) {
          if (!list) {
            list = container.appendChild(el("ul"));
            paragraph = null;
          }
          appendRich(list.appendChild(el("li")), line.slice(2));
          return;
        }
        list = null;
        if (paragraph) {
          paragraph.appendChild(el("br"));
        } else {
          paragraph = container.appendChild(el("p"));
        }
        appendRich(paragraph, line);
      });
    });
  }

  // ---- the widget ----------------------------------------------------------------------------

  var host = document.createElement("pobyt-chat-widget");
  // CSSOM, not a style attribute, so a host page's strict style-src CSP does not block it.
  host.style.setProperty("all", "initial", "important");
  var shadow = host.attachShadow({ mode: "open" });
  if (shadow.adoptedStyleSheets !== undefined && typeof CSSStyleSheet === "function" && CSSStyleSheet.prototype.replaceSync) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLES);
    shadow.adoptedStyleSheets = [sheet];
  } else {
    shadow.appendChild(el("style", {}, [STYLES]));
  }

  var root = el("div", { class: "root" + (attribute("data-position") === "left" ? " left" : "") });
  if (isColor(attribute("data-color"))) {
    root.style.setProperty("--accent", attribute("data-color"));
  }
  if (isColor(attribute("data-text-color"))) {
    root.style.setProperty("--on-accent", attribute("data-text-color"));
  }

  var ICON = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z";
  var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  var path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("d", ICON);
  svg.appendChild(path);

  var panelId = "pobyt-panel";
  var launcher = el("button", { type: "button", class: "launcher", "aria-expanded": "false", "aria-controls": panelId }, [svg]);
  var title = el("h2", { class: "title" });
  var languageGroup = el("div", { class: "languages", role: "group" });
  var languageButtons = {};
  LANGUAGES.forEach(function (code) {
    var button = el("button", { type: "button", lang: code, "data-language": code, "aria-label": LANGUAGE_NAMES[code] }, [
      LANGUAGE_CODES[code],
    ]);
    button.addEventListener("click", function () {
      chooseLanguage(code);
    });
    languageButtons[code] = button;
    languageGroup.appendChild(button);
  });
  var closeButton = el("button", { type: "button", class: "close" }, ["×"]);
  var TRASH = "M9 3h6l1 2h4v2H4V5h4l1-2zM6 9h12l-1 12H7L6 9zm4 2v8h1.5v-8H10zm2.5 0v8H14v-8h-1.5z";
  var trash = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  trash.setAttribute("viewBox", "0 0 24 24");
  trash.setAttribute("aria-hidden", "true");
  var trashPath = document.createElementNS("http://www.w3.org/2000/svg", "path");
  trashPath.setAttribute("d", TRASH);
  trash.appendChild(trashPath);
  var forgetButton = el("button", { type: "button", class: "forget", "aria-controls": "pobyt-confirm", "aria-expanded": "false" }, [
    trash,
  ]);
  // The confirmation is part of the panel (no window.confirm: it blocks the page and ignores the widget's language).
  var confirmText = el("p", { id: "pobyt-confirm-text" });
  var confirmYes = el("button", { type: "button", class: "yes" });
  var confirmNo = el("button", { type: "button", class: "no" });
  var confirmBox = el("div", { class: "confirm", id: "pobyt-confirm", role: "group", "aria-labelledby": "pobyt-confirm-text", hidden: "" }, [
    confirmText,
    confirmYes,
    confirmNo,
  ]);
  var log = el("div", { class: "log", role: "log", "aria-live": "polite", tabindex: "0" });
  var typing = el("div", { class: "typing", hidden: "" }, [
    el("span", { class: "dot", "aria-hidden": "true" }),
    el("span", { class: "dot", "aria-hidden": "true" }),
    el("span", { class: "dot", "aria-hidden": "true" }),
    el("span", { class: "sr-only typing-text" }),
  ]);
  log.appendChild(typing); // stays last: messages are inserted before it
  var inputId = "pobyt-input";
  var inputLabel = el("label", { class: "sr-only", for: inputId });
  var input = el("textarea", { id: inputId, rows: "1", maxlength: "4000", autocomplete: "off" });
  var sendButton = el("button", { type: "submit", class: "send" });
  var form = el("form", { class: "composer" }, [inputLabel, input, sendButton]);
  var panel = el("div", { class: "panel", id: panelId, role: "dialog", hidden: "" }, [
    el("div", { class: "header" }, [title, languageGroup, forgetButton, closeButton]),
    confirmBox,
    log,
    form,
  ]);
  root.appendChild(launcher);
  root.appendChild(panel);
  shadow.appendChild(root);

  function t(key) {
    return STRINGS[state.language][key];
  }

  /** Puts the widget's own words in the current language (the conversation itself stays as it was). */
  function applyLanguage() {
    root.setAttribute("lang", state.language);
    launcher.setAttribute("aria-label", panel.hidden ? t("open") : t("close"));
    title.textContent = t("title");
    panel.setAttribute("aria-label", t("dialog"));
    languageGroup.setAttribute("aria-label", t("language"));
    LANGUAGES.forEach(function (code) {
      languageButtons[code].setAttribute("aria-pressed", String(code === state.language));
    });
    closeButton.setAttribute("aria-label", t("close"));
    forgetButton.setAttribute("aria-label", t("forget"));
    forgetButton.setAttribute("title", t("forget"));
    confirmText.textContent = t("forgetQuestion");
    confirmYes.textContent = t("forgetYes");
    confirmNo.textContent = t("forgetNo");
    log.setAttribute("aria-label", t("log"));
    typing.querySelector(".typing-text").textContent = t("typing");
    inputLabel.textContent = t("input");
    input.setAttribute("placeholder", t("placeholder"));
    sendButton.textContent = t("send");
    var intro = log.querySelector(".notice");
    if (intro) {
      intro.textContent = t("intro");
    }
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  /** Scrolls so that a long answer is read from its beginning. */
  function scrollToStartOf(node) {
    log.scrollTop = Math.max(0, node.offsetTop - 12);
  }

  /** Grows the input with its text, up to its maximum height (then it scrolls). */
  function fitInput() {
    input.style.height = "";
    if (input.scrollHeight > input.clientHeight) {
      input.style.height = Math.min(input.scrollHeight + 2, 120) + "px";
      input.style.overflowY = input.scrollHeight + 2 > 120 ? "auto" : "hidden";
    }
  }

  /** Shows one stored message ({from: "user"|"bot", text, buttons?, language?}); returns its bubble. */
  function renderMessage(message) {
    // The intro and a "conversation deleted" notice make way for the conversation.
    Array.prototype.slice.call(log.querySelectorAll(".notice")).forEach(function (notice) {
      notice.remove();
    });
    var bubble = el("div", { class: "message " + (message.from === "user" ? "user" : "bot") });
    if (message.language) {
      bubble.setAttribute("lang", message.language);
    }
    // Screen readers hear who speaks; the bubbles' colours say it to everyone else.
    var speaker = el("span", { class: "sr-only" }, [(message.from === "user" ? t("you") : t("bot")) + ": "]);
    bubble.appendChild(speaker);
    var text = String(message.text || "");
    if (message.from === "user") {
      bubble.appendChild(document.createTextNode(text));
    } else {
      renderText(bubble, text);
    }
    log.insertBefore(bubble, typing);
    if (Array.isArray(message.buttons) && message.buttons.length) {
      var choices = el("div", { class: "choices", role: "group", "aria-label": t("answerButtons") });
      message.buttons.forEach(function (button) {
        var node = el("button", { type: "button" }, [String(button.title)]);
        node.addEventListener("click", function () {
          send(String(button.payload), String(button.title));
        });
        choices.appendChild(node);
      });
      log.insertBefore(choices, typing);
    }
    if (message.printable) {
      var printable = el("button", { type: "button", class: "printable" }, [t("printable")]);
      printable.addEventListener("click", function () {
        openPrintable(text, message.language);
      });
      log.insertBefore(el("div", { class: "choices" }, [printable]), typing);
    }
    scrollToEnd();
    return bubble;
  }

  /**
   * Opens a guided check's result (a personal checklist) as a page of its own, to print or save.
   * The page is built with DOM calls on an empty window: the text stays text, never HTML.
   */
  function openPrintable(text, language) {
    var page = window.open("", "_blank");
    if (!page) {
      return; // a pop-up blocker: the checklist stays readable in the chat
    }
    var doc = page.document;
    doc.documentElement.setAttribute("lang", language || state.language);
    doc.title = t("checklist");
    var style = doc.createElement("style");
    style.textContent = "body { font: 15px/1.5 system-ui, Arial, sans-serif; max-width: 46em; margin: 2em auto; padding: 0 1em; }" +
      " .text { white-space: pre-wrap; } @media print { button { display: none; } }";
    doc.head.appendChild(style);
    var heading = doc.createElement("h1");
    heading.textContent = t("checklist");
    var body = doc.createElement("div");
    body.className = "text";
    body.textContent = text;
    var button = doc.createElement("button");
    button.type = "button";
    button.textContent = t("print");
    button.addEventListener("click", function () {
      page.print();
    });
    doc.body.appendChild(heading);
    doc.body.appendChild(button);
    doc.body.appendChild(body);
  }

  function showIntro() {
    if (!state.messages.length && !log.querySelector(".notice")) {
      log.insertBefore(el("p", { class: "notice" }, [t("intro")]), typing);
    }
  }

  /** Stores (with the time, for the expiry) and shows a message; returns its bubble. */
  function remember(message) {
    message.at = Date.now();
    state.messages.push(message);
    saveState();
    return renderMessage(message);
  }

  function showError(key) {
    var error = el("p", { class: "error", role: "alert" }, [t(key || "error")]);
    log.insertBefore(error, typing);
    scrollToEnd();
  }

  // Messages are sent one after another so answers arrive in the order of the questions.
  var queue = Promise.resolve();
  var pending = 0;

  function setTyping(on) {
    pending += on ? 1 : -1;
    typing.hidden = pending === 0;
    if (on) {
      scrollToEnd();
    }
  }

  /** POSTs ``body`` as JSON to one of the widget's routes; resolves with the response (bounded wait). */
  function postJson(path, body) {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS) : null;
    return fetch(server + "/webhooks/widget/" + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      signal: controller ? controller.signal : undefined,
      credentials: "omit",
    }).finally(function () {
      clearTimeout(timer);
    });
  }

  /** Resolves with the conversation's sender token, asking the server for one the first time. */
  function ensureSender() {
    if (state.sender) {
      return Promise.resolve(state.sender);
    }
    return postJson("session", {})
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (answer) {
        if (!answer || typeof answer.sender !== "string" || !answer.sender) {
          throw new Error("no sender token");
        }
        state.sender = answer.sender;
        saveState();
        return state.sender;
      });
  }

  function post(message, retried) {
    return ensureSender()
      .then(function (sender) {
        return postJson("webhook", { sender: sender, message: message, metadata: { language: state.language } });
      })
      .then(function (response) {
        // 403: the server no longer knows the token (its secret changed): a new conversation, once.
        if (response.status === 403 && !retried) {
          state.sender = "";
          return post(message, true);
        }
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      });
  }

  /** Shows the assistant's replies; returns the first new bubble. */
  function showReplies(replies) {
    var first = null;
    (Array.isArray(replies) ? replies : []).forEach(function (reply) {
      if (!reply || typeof reply !== "object") {
        return;
      }
      var custom = (reply.custom && reply.custom.pobyt) || {};
      var buttons = (Array.isArray(reply.buttons) ? reply.buttons : []).filter(function (button) {
        return button && button.title && button.payload;
      });
      var text = typeof reply.text === "string" ? reply.text : "";
      if (!text && !buttons.length) {
        return; // images, attachments: nothing this widget shows
      }
      var language = LANGUAGES.indexOf(custom.language) >= 0 ? custom.language : undefined;
      // A guided check's result (custom.pobyt.outcome) is a personal checklist: offer it as a printable page.
      var printable = typeof custom.check === "string" && typeof custom.outcome === "string";
      var bubble = remember({ from: "bot", text: text, buttons: buttons, language: language, printable: printable });
      first = first || bubble;
      // The widget speaks the language the assistant answers in.
      if (language && language !== state.language) {
        state.language = language;
        saveState();
        applyLanguage();
      }
    });
    return first;
  }

  /** Sends ``message`` to the assistant, showing ``shown`` (a button's title) as what the person said. */
  function send(message, shown) {
    if (!message.trim()) {
      return;
    }
    remember({ from: "user", text: shown || message });
    setTyping(true);
    queue = queue
      .then(function () {
        return post(message);
      })
      .then(showReplies, function () {
        showError("error");
        return null;
      })
      .then(function (first) {
        setTyping(false);
        // A long answer is read from its beginning, not from its last line.
        if (first && log.scrollHeight - first.offsetTop > log.clientHeight) {
          scrollToStartOf(first);
        } else {
          scrollToEnd();
        }
      });
  }

  function chooseLanguage(code) {
    state.language = code;
    saveState();
    applyLanguage();
    send("/choose_language" + JSON.stringify({ language: code }), LANGUAGE_NAMES[code]);
  }

  function setOpen(open, focus) {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    state.open = open;
    saveState();
    applyLanguage();
    if (open) {
      scrollToEnd();
      if (focus) {
        input.focus();
      }
    } else if (focus) {
      launcher.focus();
    }
  }

  /** Forgets the conversation on this device and starts a new one (the server's copy is not touched). */
  function resetLocally() {
    state = freshState(state.language, !panel.hidden);
    saveState();
    Array.prototype.slice.call(log.children).forEach(function (child) {
      if (child !== typing) {
        child.remove();
      }
    });
    showIntro();
    applyLanguage();
  }

  function askToForget(ask) {
    confirmBox.hidden = !ask;
    forgetButton.setAttribute("aria-expanded", String(ask));
    (ask ? confirmNo : forgetButton).focus();
  }

  /** Deletes the conversation on the server, then here; on failure the history stays and an error is shown. */
  function forget() {
    confirmBox.hidden = true;
    forgetButton.setAttribute("aria-expanded", "false");
    var sender = state.sender;
    // After the messages already on their way, so none of them lands in the deleted conversation.
    queue = queue
      .then(function () {
        // Without a token nothing reached the server; with one the server no longer knows (403),
        // nobody can reach that conversation any more and retention deletes it.
        return sender ? postJson("forget", { sender: sender }) : { ok: true };
      })
      .then(function (response) {
        if (!response.ok && response.status !== 403) {
          throw new Error("HTTP " + response.status);
        }
        resetLocally();
        log.insertBefore(el("p", { class: "notice forgotten", role: "status" }, [t("forgotten")]), typing);
      })
      .catch(function () {
        showError("forgetError");
      })
      .then(function () {
        forgetButton.focus();
      });
  }

  forgetButton.addEventListener("click", function () {
    askToForget(confirmBox.hidden);
  });
  confirmYes.addEventListener("click", forget);
  confirmNo.addEventListener("click", function () {
    askToForget(false);
  });

  launcher.addEventListener("click", function () {
    setOpen(panel.hidden, true);
  });
  closeButton.addEventListener("click", function () {
    setOpen(false, true);
  });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      setOpen(false, true);
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    input.value = "";
    fitInput();
    send(text);
  });
  input.addEventListener("input", fitInput);
  input.addEventListener("keydown", function (event) {
    // Enter sends; Shift+Enter adds a line; Enter while an input method composes is not a send.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });

  state.messages.forEach(renderMessage);
  showIntro();
  applyLanguage();

  function mount() {
    document.body.appendChild(host);
    if (state.open) {
      setOpen(true, false);
    }
  }
  if (document.body) {
    mount();
  } else {
    document.addEventListener("DOMContentLoaded", mount);
  }

  window.PobytWidget = Object.freeze({
    open: function () { setOpen(true, true); },
    close: function () { setOpen(false, true); },
    /** Forgets the conversation on this device and starts a new one. */
    reset: function () {
      state = freshState(pageLanguage, !panel.hidden);
      saveState();
      Array.prototype.slice.call(log.children).forEach(function (child) {
        if (child !== typing) {
          child.remove();
        }
      });
      showIntro();
      applyLanguage();
    },
  });
})();
