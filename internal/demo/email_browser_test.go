package demo

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// runEmailStory plays the e-mail story on the page at base, after
// runStory (whose ticket is #1): the customer writes to support from the
// mail pane, with markup in the subject and the body, which stays text;
// the card names e-mail; the acknowledgement arrives unread with the
// ticket's badge and no ETA; Ana claims the card and answers in its
// thread; the answer arrives by mail; the customer replies to it (the
// client quotes the original) and only the new text reaches the thread;
// the queue pane shows the e-mail ticket being worked.
func runEmailStory(t *testing.T, b *browser, base string) {
	// A new mail.
	b.click("#em-compose-btn", "")
	b.set("#em-subject-input", "Sin internet <i>urgente</i>")
	b.fill("#em-text", "Desde esta mañana no hay internet en la oficina. <script>alert(1)</script>")
	b.waitJS("the compose form closed", `document.querySelector("#em-compose").hidden`)

	// Its card names e-mail and the address.
	card := `Array.from(document.querySelectorAll("#sl-messages .msg.app")).find((e) => e.textContent.includes("e-mail: cliente@example.com"))`
	b.waitJS("the e-mail ticket's card", card+` !== undefined`)
	b.waitText(`#sl-messages .msg.app`, "Sin internet <i>urgente</i>")

	// The acknowledgement: unread, ticket #2, no ETA.
	b.waitText("#em-list .em-item.unread .ticket-badge", "#2")
	b.waitText("#em-unread", "1")
	b.shot("email-ack")
	b.click("#em-list .em-item", "abrimos el ticket #2")
	b.waitText("#em-body", "sin ETA")
	b.waitText("#em-subject", "Sin internet <i>urgente</i>")
	b.waitJS("the inbox read", `document.querySelector("#em-unread").hidden`)
	if etaRE.MatchString(eval[string](b, `document.querySelector("#em-body").textContent`)) {
		t.Error("the acknowledgement shows a time estimate")
	}

	// Markup in mails is text: no element came from a subject or a body.
	b.click(`[data-folder="sent"]`, "Sent")
	b.click("#em-list .em-item", "Sin internet")
	b.waitText("#em-body", "<script>alert(1)</script>")
	if n := eval[int](b, `document.querySelectorAll("#email i, #email script, #sl-messages i").length`); n != 0 {
		t.Errorf("markup from a mail became %d elements", n)
	}
	b.shot("email-sent")
	b.click(`[data-folder="inbox"]`, "Inbox")

	// Ana claims it and answers in its thread.
	b.waitJS("the Claim button of the e-mail card", fmt.Sprintf(`(() => { const c = %s; const btn = c && Array.from(c.querySelectorAll(".sl-btn")).find((e) => e.textContent.includes("Claim") && !e.disabled); if (!btn) return false; btn.click(); return true; })()`, card))
	b.waitText(`#q-working tr[data-number="2"]`, "Ana")
	b.waitJS("the e-mail card's thread", fmt.Sprintf(`(() => { const c = %s; const l = c && c.querySelector(".thread-link"); if (!l) return false; l.click(); return true; })()`, card))
	b.waitJS("the thread", `!document.querySelector("#sl-thread").hidden`)
	b.click("#sl-reply label", "Reply to customer")
	b.fill("#sl-reply-input", "Hola Carla, ¿el módem tiene las luces encendidas?")

	// The answer arrives by mail; the customer replies to it.
	b.click("#em-list .em-item", "módem")
	b.waitText("#em-body", "¿el módem tiene las luces encendidas?")
	b.click("#em-reply-btn", "Reply")
	b.waitJS("a reply subject", `document.querySelector("#em-subject-input").value.startsWith("Re: ")`)
	b.fill("#em-text", "Sí, todas las luces están encendidas.")
	b.waitText("#sl-thread-body", "Sí, todas las luces están encendidas.")
	b.shot("email-reply")
	if eval[bool](b, `document.querySelector("#sl-thread-body").textContent.includes("escribió")`) {
		t.Error("the quoted original reached the thread")
	}
	if eval[bool](b, `document.querySelector("#sl-messages").textContent.includes("#3")`) {
		t.Error("the reply opened another ticket")
	}

	// Mid-size and phone widths: the mail pane stays usable.
	b.run(chromedp.EmulateViewport(1000, 900))
	b.waitJS("the mail pane beside the queue", `(() => { const r = document.querySelector("#email").getBoundingClientRect(); return r.width > 300 && r.height > 300; })()`)
	b.shot("email-midsize")
	b.run(chromedp.EmulateViewport(390, 800))
	b.click(`.tabs [data-pane="email"]`, "E-mail")
	b.waitJS("only the mail pane", `document.querySelector("#email").offsetParent !== null && document.querySelector("#customer").offsetParent === null`)
	if w := eval[int](b, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("at 390px the page is %dpx wide", w)
	}
	b.shot("email-phone")
}
