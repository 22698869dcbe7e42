// ticketbot demo page: the customer's mail client. The customer writes to
// the support address, reads the acknowledgement, the agents' answers and
// the status mails in the inbox, and replies to them; a reply is threaded
// and quotes the original (the server writes it as a mail client would).
// Loaded after app.js, whose helpers it uses. Subjects and bodies are put
// in the page as text only, never as markup.
"use strict";

const mail = {
  folder: "inbox", // or "sent"
  snap: null,      // the folder shown
  open: 0,         // UID of the mail in the reader
  replyTo: 0,      // UID (inbox) of the mail being answered; 0: a new mail
};

async function refreshEmail() {
  if (!state.config || !state.config.email) return;
  const folder = mail.folder;
  const snap = await api("email?folder=" + folder).catch(() => null);
  if (!snap || folder !== mail.folder) return;
  mail.snap = snap;
  renderEmail();
}

function address(a) {
  if (!a) return "";
  return a.name ? a.name + " <" + a.address + ">" : a.address;
}

// snippet is the start of a mail's text on one line, without quotes.
function snippet(text) {
  const line = (text || "").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith(">")).join(" ");
  return line.length > 140 ? line.slice(0, 139) + "…" : line;
}

function renderEmail() {
  const snap = mail.snap;
  const unread = $("#em-unread");
  unread.textContent = snap.unread;
  unread.hidden = !snap.unread;
  for (const b of document.querySelectorAll("[data-folder]")) b.setAttribute("aria-selected", String(b.dataset.folder === mail.folder));
  const list = $("#em-list");
  keepScroll(list, () => {
    list.replaceChildren();
    for (const m of snap.messages) {
      const who = mail.folder === "sent" ? "To: " + m.to.join(", ") : (m.from.name || m.from.address);
      const item = el("li", {
        class: "em-item" + (m.seen ? "" : " unread") + (m.uid === mail.open ? " open" : ""),
        dataset: { uid: m.uid }, tabindex: 0, role: "button",
        onclick: () => openMail(m.uid),
        onkeydown: (ev) => { if (ev.key === "Enter") openMail(m.uid); },
      },
      el("span", { class: "em-who", text: who }),
      m.ticket ? el("span", { class: "ticket-badge", title: "ticket", text: "#" + m.ticket }) : null,
      el("span", { class: "em-date", text: hhmm(m.date) }),
      el("span", { class: "em-subj", text: m.subject || "(no subject)" }),
      el("span", { class: "em-snippet", text: snippet(m.text) }));
      list.append(item);
    }
    if (!snap.messages.length) {
      list.append(el("li", { class: "empty", text: mail.folder === "sent" ? "Nothing sent yet." : "No mail yet: write to support with Compose." }));
    }
  });
  renderReader();
}

function currentMail() {
  return mail.snap && mail.snap.messages.find((m) => m.uid === mail.open);
}

function openMail(uid) {
  mail.open = uid;
  const m = currentMail();
  if (m && mail.folder === "inbox" && !m.seen) {
    m.seen = true;
    mail.snap.unread = Math.max(0, mail.snap.unread - 1);
    api("email/read", { uid }).catch(() => {}).finally(refreshEmail);
  }
  renderEmail();
}

function renderReader() {
  const m = currentMail();
  $("#em-reader").hidden = !m;
  if (!m) return;
  $("#em-subject").textContent = m.subject || "(no subject)";
  $("#em-from").textContent = address(m.from);
  $("#em-to").textContent = "to " + m.to.join(", ");
  $("#em-date").textContent = new Date(m.date).toLocaleString();
  const badge = $("#em-ticket");
  badge.textContent = m.ticket ? "ticket #" + m.ticket : "";
  badge.hidden = !m.ticket;
  const auto = $("#em-auto");
  auto.textContent = m.automatic ? "automatic (" + m.automatic + ")" : "";
  auto.hidden = !m.automatic;
  $("#em-body").textContent = m.text;
  const files = $("#em-files");
  files.replaceChildren(...(m.files || []).map((f) => el("span", { class: "file", text: "📎 " + f })));
  files.hidden = !(m.files || []).length;
  $("#em-reply-btn").hidden = mail.folder !== "inbox";
}

function reSubject(s) {
  return /^re:/i.test(s) ? s : "Re: " + s;
}

// compose opens the form: a new mail, or a reply to the mail in the reader.
function compose(reply) {
  const m = reply ? currentMail() : null;
  mail.replyTo = m ? m.uid : 0;
  const subject = $("#em-subject-input");
  subject.value = m ? reSubject(m.subject) : "";
  subject.readOnly = !!m;
  $("#em-replying").hidden = !m;
  $("#em-replying").textContent = m
    ? "Replying to " + address(m.from) + ". Your mail client quotes the original below your text."
    : "";
  $("#em-text").value = "";
  $("#em-compose").hidden = false;
  (m ? $("#em-text") : subject).focus();
}

function closeCompose() {
  mail.replyTo = 0;
  $("#em-compose").hidden = true;
}

function wireEmail() {
  const cfg = state.config.email;
  if (!cfg) {
    $("#email").hidden = true;
    document.querySelector(".panes").classList.add("nomail");
    document.querySelector('.tabs [data-pane="email"]').hidden = true;
    return;
  }
  $("#em-me").textContent = address(cfg.me);
  $("#em-name").textContent = address(cfg.me);
  $("#em-support").textContent = "support: " + cfg.support;
  $("#em-to-addr").textContent = cfg.support;
  for (const b of document.querySelectorAll("[data-folder]")) {
    b.addEventListener("click", () => {
      mail.folder = b.dataset.folder;
      mail.open = 0;
      refreshEmail();
    });
  }
  $("#em-compose-btn").addEventListener("click", () => compose(false));
  $("#em-reply-btn").addEventListener("click", () => compose(true));
  $("#em-reader-close").addEventListener("click", () => { mail.open = 0; renderEmail(); });
  $("#em-cancel").addEventListener("click", closeCompose);
  $("#em-compose").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = $("#em-text").value.trim();
    const subject = $("#em-subject-input").value.trim();
    if (!text || (!mail.replyTo && !subject)) {
      toast(mail.replyTo ? "Write your reply first." : "A mail needs a subject and a text.", true);
      return;
    }
    busy($("#em-send"), async () => {
      await api("email/send", { subject: mail.replyTo ? "" : subject, text, replyTo: mail.replyTo });
      toast("Sent to " + cfg.support);
      closeCompose();
      refreshEmail();
    });
  });
}
