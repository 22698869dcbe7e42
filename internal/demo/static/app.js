// ticketbot demo page. Plain JavaScript, no dependencies, in four files
// loaded in order: app.js (state, helpers, the queue pane, live updates and
// the wiring, which runs once all are loaded), telegram.js, slack.js and
// email.js (one pane each).
//
// Every pane is rebuilt from a JSON snapshot of the server (GET
// /demo/api/...) whenever the event stream says it changed. Text from the
// bot, the agents and the customer is only ever put in the page as text
// nodes (textContent); markup comes from the Telegram entities and Slack
// mrkdwn that telegram.js and slack.js interpret themselves, and mail is
// shown as plain text. innerHTML is never used.
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
    if (panes.has("email")) refreshEmail();
    if (panes.has("queue")) refreshQueue();
  }, 60);
}

function connect() {
  const live = $("#live");
  const es = new EventSource("/demo/api/events");
  es.addEventListener("hello", () => {
    live.textContent = "live";
    live.classList.add("on");
    schedule("telegram"); schedule("slack"); schedule("email"); schedule("queue");
  });
  es.addEventListener("telegram", () => { schedule("telegram"); schedule("queue"); });
  es.addEventListener("slack", () => { schedule("slack"); schedule("queue"); });
  es.addEventListener("email", () => { schedule("email"); schedule("queue"); });
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

  wireEmail();
  connect();
  refreshTelegram(); refreshSlack(); refreshEmail(); refreshQueue();
  setInterval(refreshQueue, 2000); // ages move on by themselves
}

// The deferred scripts have all run by DOMContentLoaded.
document.addEventListener("DOMContentLoaded", () => {
  start().catch((err) => toast("The demo could not start: " + err.message, true));
});
