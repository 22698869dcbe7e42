// ticketbot demo page: the customer's Telegram chat (text with entities,
// bubbles, inline keyboards, replies). Loaded after app.js, whose helpers
// it uses; text is only ever put in the page as text nodes.
"use strict";

// ---------- Telegram: text with entities ----------

// renderEntities builds the message text with its formatting. Offsets are
// UTF-16 code units, as JavaScript strings count them. Only the formats
// Telegram's HTML mode supports become elements; a link becomes one only
// for an http(s) URL.
function renderEntities(text, entities) {
  const frag = document.createDocumentFragment();
  const list = (entities || []).filter((e) => e.length > 0)
    .slice().sort((a, b) => a.offset - b.offset || b.length - a.length);
  build(frag, 0, text.length, list);
  return frag;

  function build(parent, start, end, ents) {
    let pos = start;
    let i = 0;
    while (i < ents.length) {
      const e = ents[i];
      const eEnd = Math.min(e.offset + e.length, end);
      const inner = [];
      let j = i + 1;
      while (j < ents.length && ents[j].offset < eEnd) { inner.push(ents[j]); j++; }
      if (e.offset > pos) parent.append(text.slice(pos, e.offset));
      const node = entityElement(e, text.slice(e.offset, eEnd));
      build(node, Math.max(e.offset, pos), eEnd, inner);
      parent.append(node);
      pos = Math.max(pos, eEnd);
      i = j;
    }
    if (pos < end) parent.append(text.slice(pos, end));
  }
}

function entityElement(e, inner) {
  switch (e.type) {
    case "bold": return el("b");
    case "italic": return el("i");
    case "underline": return el("u");
    case "strikethrough": return el("s");
    case "code": return el("code");
    case "pre": return el("pre", { "data-language": e.language || null });
    case "blockquote": case "expandable_blockquote": return el("blockquote");
    case "spoiler": {
      const s = el("span", { class: "spoiler", title: "spoiler" });
      s.addEventListener("click", () => s.classList.add("shown"));
      return s;
    }
    case "text_link": case "url": {
      const url = safeURL(e.type === "url" ? inner : e.url);
      return url ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer nofollow" }) : el("span");
    }
    case "bot_command": return el("span", { class: "cmd" });
    default: return el("span");
  }
}

// ---------- customer pane ----------

async function refreshTelegram() {
  const snap = await api("telegram").catch(() => null);
  if (!snap) return;
  state.tg = snap;
  renderTelegram();
}

function renderTelegram() {
  const snap = state.tg;
  $("#tg-customer").textContent = snap.customer.name + " (Telegram user " + snap.customer.id + ")";
  for (const lang of ["es", "en"]) $("#lang-" + lang).classList.toggle("on", snap.customer.language === lang);
  const box = $("#tg-chat");
  const byID = new Map(snap.messages.map((m) => [m.id, m]));
  keepScroll(box, () => {
    box.replaceChildren();
    if (!snap.messages.length) {
      box.append(el("div", { class: "bubble", text: "Say /start to the bot." }));
    }
    for (const m of snap.messages) {
      box.append(bubble(m, byID));
      if (m.fromBot && m.keyboard && m.keyboard.length && !m.deleted) box.append(keyboard(m));
    }
  });
}

function bubble(m, byID) {
  const b = el("div", {
    class: "bubble" + (m.fromBot ? "" : " me") + (m.deleted ? " deleted" : ""),
    dataset: { id: m.id, from: m.fromBot ? "bot" : "me" },
  });
  if (m.fromBot && !m.deleted) {
    b.append(el("button", {
      class: "replyto", title: "Reply to this message", "aria-label": "Reply to this message", text: "↩",
      onclick: () => setReplyTo(m),
    }));
  }
  if (m.replyTo && byID.has(m.replyTo)) {
    const q = byID.get(m.replyTo);
    b.append(el("span", { class: "quote", text: (q.text || (q.media ? q.media.type : "")).slice(0, 80) }));
  }
  if (m.media) b.append(el("span", { class: "media", text: (m.media.type === "photo" ? "🖼 " : "📄 ") + (m.media.name || m.media.type) }));
  if (m.deleted) b.append("message deleted");
  else b.append(el("span", { class: "content" }, renderEntities(m.text || "", m.entities)));
  // Only the message's own date: an undated one shows no time rather than now.
  b.append(el("span", { class: "meta", text: (m.edited ? "edited " : "") + (m.date ? hhmm(m.date) : "") }));
  return b;
}

function keyboard(m) {
  const kb = el("div", { class: "keyboard", dataset: { id: m.id } });
  for (const row of m.keyboard) {
    const r = el("div", { class: "row" });
    for (const btn of row) {
      if (btn.URL) { r.append(link(btn.URL, btn.Text)); continue; }
      r.append(el("button", {
        type: "button", text: btn.Text, dataset: { data: btn.CallbackData },
        onclick: (ev) => busy(ev.currentTarget, () => api("telegram/press", { messageId: m.id, data: btn.CallbackData })),
      }));
    }
    kb.append(r);
  }
  return kb;
}

function setReplyTo(m) {
  state.replyTo = m ? m.id : 0;
  const bar = $("#tg-replying");
  bar.hidden = !m;
  if (m) bar.querySelector("span").textContent = "Replying to: " + (m.text || "").slice(0, 80);
  $("#tg-input").focus();
}

async function sendCustomer(text) {
  const body = { text };
  if (state.replyTo) body.replyTo = state.replyTo;
  await api("telegram/send", body);
  setReplyTo(null);
  refreshTelegram();
}
