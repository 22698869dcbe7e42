// ticketbot demo page. Plain JavaScript, no dependencies.
//
// Every pane is rebuilt from a JSON snapshot of the server (GET
// /demo/api/...) whenever the event stream says it changed. Text from the
// bot, the agents and the customer is only ever put in the page as text
// nodes (textContent); markup comes from the Telegram entities and Slack
// mrkdwn that this file interprets itself. innerHTML is never used.
"use strict";

const $ = (sel) => document.querySelector(sel);

const state = {
  config: null,
  agent: "",
  tg: null,
  slack: null,
  thread: null,       // ts of the open thread
  replyTo: 0,         // Telegram message the customer replies to
  dismissed: new Set(), // modals the agent closed
  lastSeen: {},       // Slack ts → edits, to flash updated cards
};

// ---------- small helpers ----------

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

async function api(path, body) {
  const opts = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  const resp = await fetch("/demo/api/" + path, opts);
  let data = {};
  try { data = await resp.json(); } catch (_) { /* not JSON */ }
  if (!resp.ok || data.ok === false) {
    const msg = data.error || resp.status + " " + resp.statusText;
    if (body !== undefined) toast(msg, true);
    throw new Error(msg);
  }
  return data;
}

let toastTimer = 0;
function toast(msg, bad) {
  const t = $("#toast");
  t.textContent = msg;
  t.classList.toggle("bad", !!bad);
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, 4000);
}

function safeURL(href) {
  try {
    const u = new URL(href);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : "";
  } catch (_) { return ""; }
}

function link(href, label) {
  const url = safeURL(href);
  if (!url) return document.createTextNode(label);
  return el("a", { href: url, target: "_blank", rel: "noopener noreferrer nofollow", text: label });
}

function hhmm(date) {
  const d = date instanceof Date ? date : new Date(date);
  if (isNaN(d)) return "";
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function age(from, now) {
  const s = Math.max(0, Math.round((now - new Date(from)) / 1000));
  if (s < 60) return s + "s";
  if (s < 3600) return Math.floor(s / 60) + "m";
  if (s < 86400) return Math.floor(s / 3600) + "h " + Math.floor((s % 3600) / 60) + "m";
  return Math.floor(s / 86400) + "d";
}

// keepScroll rebuilds a scrolling box, staying at the bottom if it was.
function keepScroll(box, build) {
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  const top = box.scrollTop;
  build();
  box.scrollTop = atBottom ? box.scrollHeight : top;
}

// busy disables a control while an action runs.
async function busy(control, fn) {
  if (control) control.disabled = true;
  try { return await fn(); } catch (_) { /* toasted */ } finally { if (control) control.disabled = false; }
}

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

// ---------- Slack: mrkdwn ----------

const FORMATS = [
  { re: /```([\s\S]+?)```/, tag: "pre", raw: true },
  { re: /`([^`\n]+)`/, tag: "code", raw: true },
  { re: /(^|[^\w*])\*([^*\n]+)\*(?![\w*])/, tag: "b", lead: true },
  { re: /(^|[^\w_])_([^_\n]+)_(?![\w_])/, tag: "i", lead: true },
  { re: /(^|[^\w~])~([^~\n]+)~(?![\w~])/, tag: "s", lead: true },
];

// EMOJI are the shortcodes Slack would draw; others stay as typed.
const EMOJI = {
  white_check_mark: "✅", heavy_check_mark: "✔️", x: "❌", warning: "⚠️", speech_balloon: "💬",
  large_blue_circle: "🔵", large_green_circle: "🟢", large_yellow_circle: "🟡", large_orange_circle: "🟠",
  red_circle: "🔴", white_circle: "⚪", black_circle: "⚫", hourglass: "⌛", hourglass_flowing_sand: "⏳",
  bust_in_silhouette: "👤", lock: "🔒", memo: "📝", paperclip: "📎", rotating_light: "🚨", fire: "🔥",
  star: "⭐", eyes: "👀", inbox_tray: "📥", outbox_tray: "📤", no_entry: "⛔", bell: "🔔", mailbox: "📫",
  arrow_up: "⬆️", arrow_down: "⬇️", repeat: "🔁", tada: "🎉", question: "❓", exclamation: "❗", pushpin: "📌",
  telephone_receiver: "📞", iphone: "📱", email: "📧", zap: "⚡", sos: "🆘", spiral_note_pad: "🗒️",
};

function unescapeSlack(s) {
  return s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&")
    .replace(/:([a-z0-9_+-]+):/g, (m, name) => EMOJI[name] || m);
}

// mrkdwn renders Slack's mrkdwn: <…> tokens (mentions, links), code,
// *bold*, _italic_, ~strike~ and &lt; &gt; &amp; escapes. A link becomes one
// only for an http(s) URL; everything else stays text.
function mrkdwn(text) {
  const frag = document.createDocumentFragment();
  const parts = String(text || "").split(/(<[^<>\n]+>)/);
  for (const part of parts) {
    if (part.startsWith("<") && part.endsWith(">") && part.length > 2) frag.append(angle(part.slice(1, -1)));
    else formatted(frag, part);
  }
  return frag;
}

function angle(tok) {
  const [target, label] = splitOnce(tok, "|");
  const users = (state.slack && state.slack.users) || {};
  if (target.startsWith("@")) return el("span", { class: "mention", text: "@" + (label || users[target.slice(1)] || target.slice(1)) });
  if (target.startsWith("#")) return el("span", { class: "mention", text: "#" + (label || target.slice(1)) });
  if (target.startsWith("!subteam^")) return el("span", { class: "mention", text: label || "@group" });
  if (target.startsWith("!date^")) return document.createTextNode(unescapeSlack(label || target));
  if (target.startsWith("!")) return el("span", { class: "mention", text: "@" + target.slice(1) });
  return link(unescapeSlack(target), unescapeSlack(label || target));
}

function splitOnce(s, sep) {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ""] : [s.slice(0, i), s.slice(i + 1)];
}

function formatted(parent, text) {
  while (text) {
    let best = null;
    for (const f of FORMATS) {
      const m = f.re.exec(text);
      if (!m) continue;
      const start = m.index + (f.lead ? m[1].length : 0);
      if (!best || start < best.start) best = { f, m, start, end: m.index + m[0].length };
    }
    if (!best) { parent.append(unescapeSlack(text)); return; }
    if (best.start > 0) parent.append(unescapeSlack(text.slice(0, best.start)));
    const inner = best.f.lead ? best.m[2] : best.m[1];
    const node = el(best.f.tag);
    if (best.f.raw) node.textContent = unescapeSlack(inner);
    else formatted(node, inner);
    parent.append(node);
    text = text.slice(best.end);
  }
}

function textObject(t) {
  if (!t) return document.createTextNode("");
  if (t.type === "mrkdwn") return el("span", { class: "text" }, mrkdwn(t.text));
  return el("span", { class: "text", text: t.text || "" });
}

// ---------- Slack: Block Kit ----------

function renderBlocks(blocks, ctx) {
  const box = el("div", { class: "blocks" });
  for (const b of blocks || []) box.append(renderBlock(b, ctx));
  return box;
}

function renderBlock(b, ctx) {
  switch (b.type) {
    case "header": return el("div", { class: "blk-header" }, textObject(b.text));
    case "divider": return el("hr", { class: "blk-divider" });
    case "section": {
      const main = el("div", { class: "main" });
      if (b.text) main.append(textObject(b.text));
      if (b.fields && b.fields.length) main.append(el("div", { class: "blk-fields" }, b.fields.map((f) => el("div", {}, textObject(f)))));
      const s = el("div", { class: "blk-section", dataset: { block: b.block_id || "" } }, main);
      if (b.accessory) s.append(renderElement(b.accessory, ctx));
      return s;
    }
    case "context":
      return el("div", { class: "blk-context" }, (b.elements || []).map((e) =>
        e.type === "image" ? el("span", { text: "🖼 " + (e.alt_text || "") }) : textObject(e)));
    case "actions":
      return el("div", { class: "blk-actions", dataset: { block: b.block_id || "" } }, (b.elements || []).map((e) => renderElement(e, ctx)));
    case "rich_text": return el("div", { class: "text", text: richText(b) });
    case "image": return el("div", { class: "blk-context", text: "🖼 " + (b.alt_text || "image") });
    case "input": return renderInput(b, ctx);
    default: return el("div", { class: "blk-unknown", text: "[" + b.type + " block]" });
  }
}

function richText(b) {
  const out = [];
  (function walk(node) {
    if (!node) return;
    if (typeof node.text === "string") out.push(node.text);
    else if (node.type === "user") out.push("@" + (((state.slack && state.slack.users) || {})[node.user_id] || node.user_id));
    else if (node.type === "link") out.push(node.text || node.url);
    (node.elements || []).forEach(walk);
  })(b);
  return out.join("");
}

function options(e) {
  const opts = [];
  for (const o of e.options || []) opts.push(o);
  for (const g of e.option_groups || []) for (const o of g.options || []) opts.push(o);
  return opts;
}

// renderElement draws a button or a menu of a message; ctx.ts says which
// message it belongs to, for the click.
function renderElement(e, ctx) {
  switch (e.type) {
    case "button": {
      const b = el("button", {
        type: "button", class: "sl-btn" + (e.style ? " " + e.style : ""),
        dataset: { action: e.action_id || "", value: e.value || "" },
      }, e.text ? e.text.text : "");
      if (e.url) return link(e.url, e.text ? e.text.text : e.url);
      b.addEventListener("click", () => busy(b, async () => {
        if (e.confirm && !(await confirmDialog(e.confirm))) return;
        await api("slack/click", { agent: state.agent, ts: ctx.ts, actionId: e.action_id, value: e.value || "" });
      }));
      return b;
    }
    case "static_select": case "overflow": {
      const sel = el("select", { class: "sl-select", dataset: { action: e.action_id || "" }, "aria-label": e.placeholder ? e.placeholder.text : "choose" });
      const current = e.initial_option ? e.initial_option.value : "";
      sel.append(el("option", { value: "", text: e.placeholder ? e.placeholder.text : (e.type === "overflow" ? "⋯" : "Choose…"), disabled: true, selected: !current }));
      for (const o of options(e)) sel.append(el("option", { value: o.value, text: o.text ? o.text.text : o.value, selected: o.value === current }));
      sel.addEventListener("change", () => busy(sel, () =>
        api("slack/select", { agent: state.agent, ts: ctx.ts, actionId: e.action_id, value: sel.value })));
      return sel;
    }
    case "image": return el("span", { class: "blk-context", text: "🖼 " + (e.alt_text || "") });
    default: return el("span", { class: "blk-unknown", text: "[" + e.type + "]" });
  }
}

function confirmDialog(c) {
  const d = $("#confirm");
  $("#confirm-title").textContent = c.title ? c.title.text : "Are you sure?";
  $("#confirm-text").replaceChildren(textObject(c.text));
  $("#confirm-yes").textContent = c.confirm ? c.confirm.text : "Yes";
  $("#confirm-no").textContent = c.deny ? c.deny.text : "Cancel";
  d.returnValue = "";
  d.showModal();
  return new Promise((resolve) => d.addEventListener("close", () => resolve(d.returnValue === "yes"), { once: true }));
}

// ---------- agent pane ----------

async function refreshSlack() {
  if (!state.agent) return;
  const snap = await api("slack?agent=" + encodeURIComponent(state.agent)).catch(() => null);
  if (!snap) return;
  state.slack = snap;
  renderSlack();
  renderModal();
  if (state.thread) refreshThread();
}

function renderSlack() {
  const snap = state.slack;
  $("#sl-channel").textContent = "# " + snap.channel.Name;
  const items = snap.messages.map((m) => ({ m, eph: false }))
    .concat(snap.ephemerals.map((m) => ({ m, eph: true })))
    .sort((a, b) => Number(a.m.ts) - Number(b.m.ts));
  const box = $("#sl-messages");
  keepScroll(box, () => {
    box.replaceChildren();
    if (!items.length) box.append(el("p", { class: "hint", style: null, text: "No tickets yet: open one as the customer." }));
    for (const { m, eph } of items) box.append(slackMessage(m, { eph, thread: !eph }));
  });
}

function slackMessage(m, opts) {
  const key = (opts.eph ? "e" : "m") + m.ts;
  const flash = state.lastSeen[key] !== undefined && state.lastSeen[key] !== m.edits;
  state.lastSeen[key] = m.edits;
  const isNote = state.config.noteMarker && (m.text || "").startsWith(state.config.noteMarker);
  const row = el("div", {
    class: "msg" + (m.bot ? " app" : "") + (opts.eph ? " ephemeral" : "") + (isNote ? " note" : "") + (flash ? " flash" : ""),
    dataset: { ts: m.ts, user: m.user, kind: opts.eph ? "ephemeral" : (m.bot ? "app" : "user") },
  });
  row.append(el("div", { class: "avatar", text: (m.userName || "?").slice(0, 1).toUpperCase() }));
  const body = el("div", { class: "body" });
  body.append(el("div", {},
    el("span", { class: "name", text: m.userName }),
    m.bot ? el("span", { class: "tag", text: "APP" }) : null,
    el("span", { class: "time", text: hhmm(new Date(Number(m.ts) * 1000)) + (m.edits ? " (edited)" : "") })));
  if (opts.eph) body.append(el("div", { class: "only", text: "Only visible to you" }));
  if (m.blocks && m.blocks.length && m.bot) body.append(renderBlocks(m.blocks, { ts: m.ts }));
  else body.append(el("div", { class: "text" }, mrkdwn(m.text)));
  for (const f of m.files || []) body.append(el("div", { class: "file", text: "📎 " + f }));
  if (m.reactions && m.reactions.length) {
    body.append(el("div", { class: "reactions" }, m.reactions.map((r) =>
      el("span", { title: ":" + r + ":", dataset: { reaction: r }, text: EMOJI[r] || ":" + r + ":" }))));
  }
  if (opts.thread && !m.threadTs) {
    body.append(el("button", {
      type: "button", class: "thread-link", dataset: { thread: m.ts },
      text: m.replyCount ? m.replyCount + (m.replyCount === 1 ? " reply" : " replies") : "Open thread",
      onclick: () => openThread(m.ts),
    }));
  }
  row.append(body);
  return row;
}

function openThread(ts) {
  state.thread = ts;
  $("#sl-thread").hidden = false;
  refreshThread();
  $("#sl-reply-input").focus();
}

async function refreshThread() {
  const ts = state.thread;
  if (!ts) return;
  const data = await api("slack/thread?ts=" + encodeURIComponent(ts)).catch(() => null);
  if (!data || state.thread !== ts) return;
  const box = $("#sl-thread-body");
  $("#sl-thread-title").textContent = "#" + state.slack.channel.Name;
  keepScroll(box, () => {
    box.replaceChildren(
      slackMessage(data.parent, { thread: false }),
      el("div", { class: "sep", text: data.replies.length + (data.replies.length === 1 ? " reply" : " replies") }),
      ...data.replies.map((m) => slackMessage(m, { thread: false })));
  });
}

function replyMode() {
  return document.querySelector("#sl-reply input[name=mode]:checked").value;
}

function updateReplyMode() {
  const note = replyMode() === "note";
  $("#sl-reply").classList.toggle("note", note);
  $("#sl-reply-input").placeholder = note ? "Internal note (agents only)…" : "Reply to the customer…";
}

// ---------- modals ----------

function renderModal() {
  const d = $("#sl-modal");
  const views = (state.slack.views || []).filter((v) => !state.dismissed.has(v.id));
  const v = views[views.length - 1];
  if (!v) { if (d.open) d.close(); d.dataset.view = ""; return; }
  const errors = v.errors || {};
  const sameView = d.open && d.dataset.view === v.id && d.dataset.hash === JSON.stringify(v.view.blocks) + JSON.stringify(errors);
  if (sameView) return;
  d.dataset.view = v.id;
  d.dataset.hash = JSON.stringify(v.view.blocks) + JSON.stringify(errors);
  $("#sl-modal-title").textContent = v.view.title ? v.view.title.text : "";
  $("#sl-modal-submit").textContent = v.view.submit ? v.view.submit.text : "Submit";
  $("#sl-modal-submit").hidden = !v.view.submit;
  $("#sl-modal-close").textContent = v.view.close ? v.view.close.text : "Cancel";
  $("#sl-modal-body").replaceChildren(renderBlocks(v.view.blocks, { ts: "", modal: true, errors }));
  $("#sl-modal-error").hidden = true;
  if (!d.open) d.showModal();
}

function renderInput(b, ctx) {
  const e = b.element || {};
  const label = el("label", { class: "input" }, b.label ? b.label.text : "");
  let control;
  const data = { block: b.block_id, action: e.action_id, type: e.type };
  if (e.type === "plain_text_input" && e.multiline) {
    control = el("textarea", { rows: 4, dataset: data, required: !b.optional, maxlength: e.max_length || null });
    control.value = e.initial_value || "";
  } else if (e.type === "static_select") {
    control = el("select", { dataset: data, required: !b.optional });
    control.append(el("option", { value: "", text: e.placeholder ? e.placeholder.text : "Choose…" }));
    for (const o of options(e)) control.append(el("option", { value: o.value, text: o.text.text, selected: e.initial_option && e.initial_option.value === o.value }));
  } else {
    control = el("input", { dataset: data, required: !b.optional && e.type === "plain_text_input", maxlength: e.max_length || null });
    control.value = e.initial_value || "";
  }
  label.append(control);
  if (b.hint) label.append(el("small", { class: "hint", text: b.hint.text }));
  const err = ctx.errors && ctx.errors[b.block_id];
  if (err) label.append(el("span", { class: "field-error", text: err }));
  return label;
}

async function submitModal(ev) {
  ev.preventDefault();
  const d = $("#sl-modal");
  const form = $("#sl-modal-form");
  if (!form.reportValidity()) return;
  const values = {};
  for (const c of $("#sl-modal-body").querySelectorAll("[data-block]")) {
    if (!c.dataset.action || c.value === "") continue;
    (values[c.dataset.block] = values[c.dataset.block] || {})[c.dataset.action] = c.value;
  }
  await busy($("#sl-modal-submit"), async () => {
    await api("slack/submit", { agent: state.agent, viewId: d.dataset.view, values });
    d.dataset.hash = "";
    await refreshSlack();
  });
}

// ---------- queue pane ----------

async function refreshQueue() {
  if (!state.config || !state.config.queue) return;
  const q = await api("queue").catch(() => null);
  if (!q) return;
  const now = new Date(q.now);
  $("#q-length").textContent = q.length + (q.length === 1 ? " open ticket" : " open tickets");
  const counts = $("#q-counts");
  const order = ["open", "claimed", "waiting", "resolved", "closed"];
  counts.replaceChildren(...order.filter((st) => st in (q.counts || {})).map((st) =>
    el("span", { class: st, dataset: { status: st } }, st, el("b", { text: q.counts[st] }))));
  const open = $("#q-open");
  open.replaceChildren();
  for (const t of q.queue || []) {
    open.append(el("tr", { dataset: { number: t.number } },
      el("td", { text: t.position }), el("td", { class: "num", text: "#" + t.number }),
      el("td", {}, el("span", { class: "prio " + t.priority, text: t.priority })),
      el("td", { text: t.subject }), el("td", { text: age(t.created, now) })));
  }
  if (!open.children.length) open.append(el("tr", {}, el("td", { colspan: 5, class: "empty", text: "The queue is empty." })));
  const working = $("#q-working");
  working.replaceChildren();
  for (const t of q.working || []) {
    working.append(el("tr", { dataset: { number: t.number } },
      el("td", { class: "num", text: "#" + t.number }), el("td", { text: t.status }), el("td", { text: t.assignee || "—" }),
      el("td", {}, el("span", { class: "prio " + t.priority, text: t.priority })),
      el("td", { text: age(t.created, now) })));
  }
  if (!working.children.length) working.append(el("tr", {}, el("td", { colspan: 5, class: "empty", text: "Nobody is working on a ticket." })));
  $("#q-error").hidden = !q.error;
  $("#q-error").textContent = q.error || "";
}

// ---------- live updates ----------

const pending = new Set();
let flushTimer = 0;
function schedule(pane) {
  pending.add(pane);
  if (flushTimer) return;
  flushTimer = setTimeout(() => {
    flushTimer = 0;
    const panes = new Set(pending);
    pending.clear();
    if (panes.has("telegram")) refreshTelegram();
    if (panes.has("slack")) refreshSlack();
    if (panes.has("queue")) refreshQueue();
  }, 60);
}

function connect() {
  const live = $("#live");
  const es = new EventSource("/demo/api/events");
  es.addEventListener("hello", () => {
    live.textContent = "live";
    live.classList.add("on");
    schedule("telegram"); schedule("slack"); schedule("queue");
  });
  es.addEventListener("telegram", () => { schedule("telegram"); schedule("queue"); });
  es.addEventListener("slack", () => { schedule("slack"); schedule("queue"); });
  es.addEventListener("queue", () => schedule("queue"));
  es.onerror = () => { live.textContent = "reconnecting…"; live.classList.remove("on"); };
}

// ---------- wiring ----------

async function start() {
  state.config = await api("config");
  const sel = $("#sl-agent");
  for (const a of state.config.agents) sel.append(el("option", { value: a.id, text: a.name + " (" + a.id + ")" }));
  state.agent = state.config.agents[0].id;
  sel.value = state.agent;
  sel.addEventListener("change", () => { state.agent = sel.value; state.dismissed.clear(); refreshSlack(); });

  const marker = state.config.noteMarker;
  $("#note-mode").hidden = !marker;
  $("#sl-note-hint").textContent = marker
    ? "Messages starting with “" + marker + "” are internal notes: they stay in Slack and never reach the customer. Everything else in the thread is sent to the customer."
    : "Everything written in the thread is sent to the customer.";
  if (!state.config.queue) {
    $("#queue").hidden = true;
    document.querySelector(".panes").classList.add("noqueue");
    document.querySelector('.tabs [data-pane="queue"]').hidden = true;
  }

  for (const tab of document.querySelectorAll(".tabs button")) {
    tab.addEventListener("click", () => {
      document.querySelector(".panes").dataset.active = tab.dataset.pane;
      for (const t of document.querySelectorAll(".tabs button")) t.setAttribute("aria-selected", String(t === tab));
    });
  }
  for (const b of document.querySelectorAll("[data-lang]")) {
    b.addEventListener("click", () => busy(b, async () => {
      await api("telegram/language", { language: b.dataset.lang });
      toast(b.dataset.lang === "es" ? "Telegram app in Spanish (applies to the next messages)" : "Telegram app in English (applies to the next messages)");
      refreshTelegram();
    }));
  }
  for (const b of document.querySelectorAll("[data-cmd]")) {
    b.addEventListener("click", () => busy(b, () => sendCustomer(b.dataset.cmd)));
  }
  $("#tg-replying button").addEventListener("click", () => setReplyTo(null));
  $("#tg-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const input = $("#tg-input");
    const text = input.value.trim();
    if (!text) return;
    busy($("#tg-send"), async () => { await sendCustomer(text); input.value = ""; });
  });
  $("#tg-file").addEventListener("change", (ev) => {
    const f = ev.target.files[0];
    if (!f) return;
    const caption = $("#tg-input").value.trim();
    busy($("#tg-send"), async () => {
      await api("telegram/file", { name: f.name, kind: f.type.startsWith("image/") ? "photo" : "document", caption });
      $("#tg-input").value = "";
      ev.target.value = "";
      refreshTelegram();
    });
  });

  $("#sl-command").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const input = $("#sl-command-input");
    busy(ev.submitter, async () => {
      await api("slack/command", { agent: state.agent, text: input.value });
      input.value = "";
      refreshSlack();
    });
  });
  $("#sl-thread-close").addEventListener("click", () => { state.thread = null; $("#sl-thread").hidden = true; });
  for (const r of document.querySelectorAll("#sl-reply input[name=mode]")) r.addEventListener("change", updateReplyMode);
  updateReplyMode();
  $("#sl-reply").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const input = $("#sl-reply-input");
    const text = input.value.trim();
    if (!text || !state.thread) return;
    busy(ev.submitter, async () => {
      await api("slack/post", { agent: state.agent, text, threadTs: state.thread, note: replyMode() === "note" });
      input.value = "";
      refreshThread();
    });
  });
  $("#sl-reply-input").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); $("#sl-reply").requestSubmit(); }
  });
  $("#sl-modal-form").addEventListener("submit", submitModal);
  $("#sl-modal-close").addEventListener("click", () => {
    const d = $("#sl-modal");
    state.dismissed.add(d.dataset.view);
    d.close();
  });
  $("#sl-modal").addEventListener("cancel", () => state.dismissed.add($("#sl-modal").dataset.view));

  connect();
  refreshTelegram(); refreshSlack(); refreshQueue();
  setInterval(refreshQueue, 2000); // ages move on by themselves
}

start().catch((err) => toast("The demo could not start: " + err.message, true));
