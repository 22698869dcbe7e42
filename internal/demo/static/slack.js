// ticketbot demo page: the agents' Slack channel (mrkdwn, Block Kit,
// messages, threads and modals). Loaded after app.js, whose helpers it
// uses; text is only ever put in the page as text nodes.
"use strict";

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
