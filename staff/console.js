// The staff console. Every text from users or the knowledge base goes into the page as text
// (textContent / text nodes), never as HTML.
"use strict";
(function () {
  const LANGUAGE_NAMES = { en: "English", uk: "Ukrainian", ru: "Russian" };
  const $ = (id) => document.getElementById(id);

  // Builds an element: el("p", {className: "x"}, "text", child). Strings become text nodes.
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    Object.entries(props || {}).forEach(([key, value]) => {
      if (key === "dataset") Object.assign(node.dataset, value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key in node) node[key] = value;
      else node.setAttribute(key, value);
    });
    children.flat().forEach((child) => {
      if (child === null || child === undefined || child === false) return;
      node.append(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
    });
    return node;
  }

  function showError(message) {
    const box = $("global-error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  // Calls the console's JSON API; a 403 means the session ended: back to the sign-in page.
  async function api(path, body) {
    const options = { credentials: "same-origin", headers: { "X-Requested-With": "pobyt-staff" } };
    if (body !== undefined) {
      options.method = "POST";
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const reply = await fetch("/staff/api/" + path, options);
    if (reply.status === 403) {
      window.location.assign("/staff/login?expired=1");
      throw new Error("signed out");
    }
    const data = await reply.json().catch(() => ({}));
    if (!reply.ok) throw new Error(data.error || "The server answered " + reply.status + ".");
    showError("");
    return data;
  }

  function clientLanguage() {
    return $("client-language").value;
  }

  // Copies text: the Clipboard API where allowed, else a hidden textarea and execCommand.
  async function copyText(text, status) {
    let done = false;
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await Promise.race([
          navigator.clipboard.writeText(text),
          new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), 1000)),
        ]);
        done = true;
      } catch (e) {
        done = false;
      }
    }
    if (!done) {
      const area = el("textarea", { className: "offscreen", readOnly: true, value: text });
      document.body.append(area);
      area.select();
      try {
        done = document.execCommand("copy");
      } catch (e) {
        done = false;
      }
      area.remove();
    }
    status.textContent = done ? "Copied" : "Copy failed: select the text and press Ctrl+C";
    document.dispatchEvent(new CustomEvent("staff-copied", { detail: { text: text, ok: done } }));
  }

  function copyBlock(text, label) {
    const status = el("span", { className: "copied", role: "status" });
    const button = el("button", { type: "button", className: "copy", onclick: () => copyText(text, status) }, label || "Copy");
    return el("div", { className: "copy-row" }, button, status);
  }

  function languageName(code) {
    return (LANGUAGE_NAMES[code] || code) + " (" + code + ")";
  }

  // ---- Tabs
  function showTab(name) {
    document.querySelectorAll(".tab").forEach((tab) => {
      const active = tab.dataset.tab === name;
      if (active) tab.setAttribute("aria-current", "page");
      else tab.removeAttribute("aria-current");
      $("tab-" + tab.dataset.tab).hidden = !active;
    });
    if (name === "checks") loadChecks();
    if (name === "curators") loadCurators();
  }
  document.querySelectorAll(".tab").forEach((tab) => tab.addEventListener("click", () => showTab(tab.dataset.tab)));

  // ---- Analyse
  let lastAnalysis = null;

  function sourcesList(draft) {
    const items = draft.sources.map((s) => el("li", {}, s.title + (s.date ? " (as of " + s.date + ")" : " (undated)")));
    const heading = draft.sources_checked_only ? "Sources checked (they say nothing on this)" : "Sources";
    return el("div", { className: "sources" },
      el("h4", {}, heading), el("ul", {}, items),
      draft.last_reviewed ? el("p", { className: "reviewed" }, "Last reviewed: " + draft.last_reviewed) : null);
  }

  function draftColumn(draft, title) {
    return el("section", { className: "draft", dataset: { language: draft.language } , lang: draft.language},
      el("h3", {}, title),
      el("pre", { className: "draft-text" }, draft.text),
      copyBlock(draft.text, "Copy " + LANGUAGE_NAMES[draft.language] + " text"),
      draft.buttons.length ? el("p", { className: "buttons" }, "Buttons: " + draft.buttons.join(" · ")) : null,
      draft.choices.length
        ? el("p", {}, "Open in the knowledge base: ",
            draft.choices.map((id) => el("button", { type: "button", className: "link", onclick: () => openProcedure(id) }, id)))
        : null,
      el("p", { className: "disclaimer" }, "Disclaimer (sent once per conversation): " + draft.disclaimer),
      sourcesList(draft));
  }

  function renderAnalysis(a) {
    lastAnalysis = a;
    // The knowledge base and the checks then open in the client's language too.
    $("client-language").value = a.language;
    $("an-language").textContent = a.detected_language
      ? languageName(a.detected_language) + (a.language !== a.detected_language ? "; answering in " + languageName(a.language) : "")
      : "not clear; answering in " + languageName(a.language);
    const confidence = typeof a.intent.confidence === "number" ? a.intent.confidence.toFixed(2) : "–";
    $("an-intent").textContent = (a.intent.name || "none") + " (confidence " + confidence + ")";
    const rows = a.entities.map((e) => el("tr", {},
      el("td", {}, e.kind),
      el("td", {}, e.kind === "procedure"
        ? el("button", { type: "button", className: "link", onclick: () => openProcedure(e.id) }, e.title)
        : e.title, el("span", { className: "id" }, " " + e.id)),
      el("td", {}, typeof e.score === "number" ? e.score.toFixed(3) : "–")));
    $("an-entities").replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colSpan: 3 }, "Nothing recognised."))]));
    const columns = [draftColumn(a.drafts.client, "Draft for the client: " + languageName(a.drafts.client.language))];
    if (a.drafts.client.language !== a.drafts.staff.language) {
      columns.push(draftColumn(a.drafts.staff, "For you: " + languageName(a.drafts.staff.language)));
    }
    $("drafts").replaceChildren(...columns);
    $("note-status").textContent = "";
    $("note-comment").value = "";
    $("analysis").hidden = false;
  }

  async function analyse() {
    const text = $("message").value.trim();
    if (!text) {
      showError("Paste the client's message first.");
      $("message").focus();
      return;
    }
    $("analyse").disabled = true;
    try {
      renderAnalysis(await api("analyse", { text: text, language: $("analyse-language").value || null }));
    } catch (e) {
      showError(e.message);
    } finally {
      $("analyse").disabled = false;
    }
  }
  $("analyse-form").addEventListener("submit", (event) => {
    event.preventDefault();
    analyse();
  });
  $("message").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      analyse();
    }
  });

  async function fileNote(kind) {
    if (!lastAnalysis) return;
    const draft = lastAnalysis.drafts.client;
    try {
      const reply = await api("notes", {
        kind: kind, message: lastAnalysis.text, answer: draft.text, language: draft.language,
        kb_ids: lastAnalysis.kb_ids, comment: $("note-comment").value,
      });
      $("note-status").textContent = "Note #" + reply.note.id + " saved for the curators.";
    } catch (e) {
      $("note-status").textContent = "Not saved: " + e.message;
    }
  }
  $("note-wrong").addEventListener("click", () => fileNote("wrong"));
  $("note-missing").addEventListener("click", () => fileNote("missing"));

  // ---- Knowledge base
  function resultButton(item) {
    const lang = clientLanguage();
    const label = item.title.en + (lang !== "en" ? " / " + item.title[lang] : "");
    if (item.kind === "procedure") {
      return el("button", { type: "button", className: "link", onclick: () => openProcedure(item.id) }, label);
    }
    if (item.kind === "office") {
      return el("button", { type: "button", className: "link", onclick: () => showOffices(item.id) }, label);
    }
    return el("span", {}, label);
  }

  async function searchKb() {
    const query = $("kb-query").value.trim();
    if (!query) return;
    try {
      const { results } = await api("kb/search", { q: query });
      const items = results.map((r) => el("li", { className: "result" }, el("span", { className: "kind" }, r.kind), " ", resultButton(r)));
      $("kb-results").replaceChildren(
        el("h3", {}, results.length + " found"),
        results.length ? el("ul", { className: "results" }, items) : el("p", {}, "Nothing found. Try other words or browse all."));
    } catch (e) {
      showError(e.message);
    }
  }
  $("kb-form").addEventListener("submit", (event) => {
    event.preventDefault();
    searchKb();
  });

  $("kb-browse-all").addEventListener("click", async () => {
    try {
      const { procedures } = await api("kb/procedures");
      const groups = new Map();
      procedures.forEach((p) => {
        if (!groups.has(p.category)) groups.set(p.category, []);
        groups.get(p.category).push(el("li", {}, resultButton({ kind: "procedure", id: p.id, title: p.title })));
      });
      $("kb-results").replaceChildren(el("h3", {}, "All procedures (" + procedures.length + ")"),
        ...[...groups].map(([category, items]) => el("div", { className: "group" }, el("h4", {}, category), el("ul", { className: "results" }, items))));
    } catch (e) {
      showError(e.message);
    }
  });

  async function openProcedure(id) {
    showTab("kb");
    try {
      const p = await api("kb/procedures/" + encodeURIComponent(id) + "?language=" + clientLanguage());
      const box = $("kb-procedure");
      // One row per aspect, the languages side by side, so that a fact can be compared line by line.
      const heads = p.columns.map((column) => el("h3", { className: "kb-head", lang: column.language, dataset: { language: column.language } },
        languageName(column.language) + ": " + p.title[column.language]));
      const rows = p.columns[0].sections.map((section, i) => el("section", { className: "aspect-row", dataset: { aspect: section.aspect } },
        el("h3", {}, section.label),
        el("div", { className: "columns" }, p.columns.map((column) => el("div", { className: "kb-cell", lang: column.language },
          el("pre", {}, column.sections[i].text), copyBlock(column.sections[i].text, "Copy"))))));
      box.replaceChildren(
        el("h2", {}, p.title.en + (p.official_name ? " (" + p.official_name + ")" : "")),
        el("p", { className: "reviewed" }, "Last reviewed: " + p.last_reviewed + " · Sources: " +
          p.sources.map((s) => s.title + (s.date ? " (as of " + s.date + ")" : "")).join("; ")),
        el("div", { className: "columns" }, heads),
        ...rows);
      box.dataset.id = p.id;
      box.hidden = false;
      $("kb-offices").hidden = true;
      box.focus();
    } catch (e) {
      showError(e.message);
    }
  }

  async function showOffices(focusId) {
    showTab("kb");
    try {
      const lang = clientLanguage();
      const { offices } = await api("kb/offices?language=" + lang);
      const box = $("kb-offices");
      box.replaceChildren(el("h2", {}, "Offices"), ...offices.map((o) => el("article", { className: "office", id: "office-" + o.id },
        el("h3", {}, o.name.en + (lang !== "en" ? " / " + o.name[lang] : "")),
        o.locations.map((loc) => el("p", {}, [loc.city, loc.address].filter(Boolean).join(", "),
          loc.hours ? el("span", { className: "hours" }, " · Hours: " + loc.hours.en) : null,
          loc.phones.length ? " · Phone: " + loc.phones.join(", ") : null)),
        o.phones.length || o.emails.length ? el("p", {}, [...o.phones, ...o.emails].join(", ")) : null,
        el("div", { className: "columns" }, Object.entries(o.text).map(([code, text]) =>
          el("div", { lang: code }, el("h4", {}, languageName(code)), el("pre", {}, text), copyBlock(text, "Copy")))))));
      box.hidden = false;
      $("kb-procedure").hidden = true;
      const target = focusId ? $("office-" + focusId) : box;
      if (target) target.scrollIntoView();
    } catch (e) {
      showError(e.message);
    }
  }
  $("kb-offices-show").addEventListener("click", () => showOffices(null));

  // ---- Guided checks
  let checksLoaded = false;
  let current = null; // {id, answers, history}

  async function loadChecks() {
    if (checksLoaded) return;
    try {
      const { checks } = await api("checks");
      $("check-list").replaceChildren(...checks.map((c) =>
        el("button", { type: "button", className: "check-start", dataset: { check: c.id }, onclick: () => startCheck(c.id) }, c.title.en)));
      checksLoaded = true;
    } catch (e) {
      showError(e.message);
    }
  }

  function startCheck(id) {
    current = { id: id, answers: {}, history: [] };
    step(null);
  }

  async function step(typed) {
    try {
      const reply = await api("checks/" + encodeURIComponent(current.id),
        { answers: current.answers, typed: typed, language: clientLanguage() });
      current.answers = reply.answers;
      renderStep(reply);
    } catch (e) {
      showError(e.message);
    }
  }

  function answer(questionId, value) {
    current.history.push(Object.assign({}, current.answers));
    current.answers[questionId] = value;
    step(null);
  }

  function renderStep(reply) {
    const box = $("check-step");
    const controls = el("div", { className: "row" },
      current.history.length ? el("button", { type: "button", id: "check-back", onclick: () => { current.answers = current.history.pop(); step(null); } }, "Back") : null,
      el("button", { type: "button", id: "check-restart", onclick: () => startCheck(current.id) }, "Start again"));
    if (reply.question) {
      const q = reply.question;
      const langs = Object.keys(q.text);
      const parts = [el("div", { className: "question" }, langs.map((code) => el("p", { lang: code, className: "q-" + code }, q.text[code])))];
      if (q.kind === "choice") {
        parts.push(el("div", { className: "options" }, q.options.map((o) => el("button", {
          type: "button", className: "option", dataset: { option: o.id }, onclick: () => answer(q.id, o.id),
        }, langs.map((code, i) => (i ? " / " : "") + o.label[code])))));
      } else {
        const input = el("input", { id: "check-number", inputMode: "numeric", autocomplete: "off" });
        parts.push(el("form", { className: "row", onsubmit: (event) => { event.preventDefault(); current.history.push(Object.assign({}, current.answers)); step(input.value); } },
          el("label", { htmlFor: "check-number" }, q.kind === "months" ? "Number of months" : "Number of years"),
          input, el("button", { type: "submit" }, "Next")));
      }
      if (reply.error) parts.push(el("p", { className: "error", role: "alert" }, reply.error));
      box.replaceChildren(...parts, controls);
      const first = box.querySelector(".option, #check-number");
      if (first) first.focus();
      return;
    }
    const texts = reply.result.text;
    const client = clientLanguage();
    box.replaceChildren(
      el("h3", {}, "Result"),
      el("div", { className: "columns" }, Object.keys(texts).map((code) => el("section", { className: "check-result", lang: code, dataset: { language: code } },
        el("h4", {}, languageName(code) + (code === client ? " (for the client)" : "")),
        el("pre", {}, texts[code]),
        copyBlock(texts[code], code === client ? "Copy the client's checklist" : "Copy")))),
      controls);
    box.querySelector(".check-result .copy").focus();
  }

  // ---- Curators
  async function loadCurators() {
    try {
      const [{ notes }, unanswered] = await Promise.all([api("notes"), api("unanswered")]);
      $("notes").replaceChildren(notes.length ? el("table", { className: "notes" },
        el("thead", {}, el("tr", {}, ["When (UTC)", "Who", "Kind", "Message", "Answer", "KB ids", "Comment"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, notes.map((n) => el("tr", { className: "note" },
          el("td", {}, n.created.replace("T", " ").slice(0, 16)), el("td", {}, n.user), el("td", {}, n.kind),
          el("td", { lang: n.language || "" }, n.message), el("td", {}, el("details", {}, el("summary", {}, "answer"), el("pre", {}, n.answer))),
          el("td", {}, n.kb_ids.join(", ")), el("td", {}, n.comment))))) : el("p", {}, "No notes yet."));
      const questions = unanswered.questions;
      $("unanswered").replaceChildren(!unanswered.available ? el("p", {}, "The tracker store is not an SQL database: not available.")
        : questions.length ? el("table", { className: "unanswered" },
          el("thead", {}, el("tr", {}, ["Times", "Question (latest wording)", "Last seen"].map((h) => el("th", { scope: "col" }, h)))),
          el("tbody", {}, questions.map((q) => el("tr", {}, el("td", {}, q.count), el("td", {}, q.text),
            el("td", {}, new Date(q.last_seen * 1000).toISOString().replace("T", " ").slice(0, 16))))))
          : el("p", {}, "None in the last 30 days."));
    } catch (e) {
      showError(e.message);
    }
  }
  $("curators-refresh").addEventListener("click", loadCurators);

  // ---- Session
  $("sign-out").addEventListener("click", async () => {
    try {
      await api("logout", {});
    } finally {
      window.location.assign("/staff/login?signed-out=1");
    }
  });
  $("client-language").addEventListener("change", () => {
    const open = $("kb-procedure");
    if (!open.hidden && open.dataset.id) openProcedure(open.dataset.id);
  });

  api("session").then((s) => {
    $("staff-user").textContent = s.user;
  }).catch((e) => showError(e.message));
})();
