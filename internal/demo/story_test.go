package demo

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// runStory plays the whole product on the page at base, as a person trying
// the demo would: the customer accepts the terms and opens a ticket through
// the form; its card appears for the agents and in the queue; Ana claims
// it; her reply in the thread reaches the customer and her internal note
// does not; the customer answers in the chat and it appears in the thread;
// Ana resolves the ticket and the customer rates it. The queue pane
// follows every step. Each step leaves a screenshot.
func runStory(t *testing.T, b *browser, base string) {
	b.run(chromedp.Navigate(base + "/"))
	b.waitJS("the live stream", `document.querySelector("#live").classList.contains("on")`)
	b.waitText("#sl-agent option", "Ana")
	b.shot("start")

	// Terms.
	b.click("#tg-commands button", "/start")
	b.waitText("#tg-chat .bubble", "Colombia Informática")
	b.click("#tg-chat .keyboard button", "Acepto")
	b.waitText("#tg-chat .bubble", "Términos aceptados")
	b.shot("terms")

	// A ticket through the form: nature, urgency, description.
	b.click("#tg-commands button", "/new")
	b.click("#tg-chat .keyboard button", "Falla o error")
	b.click("#tg-chat .keyboard button", "Alta")
	b.waitText("#tg-chat .bubble", "Describa el problema")
	b.fill("#tg-input", "La impresora de la oficina no imprime <b>nada</b> desde ayer")
	b.waitText("#tg-chat .bubble", "Ticket #1")
	b.shot("ticket-opened")

	// Its card appears for the agents, and the queue shows it first.
	b.waitText("#sl-messages .msg.app", "#1")
	b.waitText("#sl-messages .msg.app", "<b>nada</b>") // customer text stays text
	b.waitJS("ticket #1 first in the queue", `(() => { const r = document.querySelector('#q-open tr[data-number="1"]'); return r && r.cells[0].textContent === "1"; })()`)
	b.waitText(`#q-counts [data-status="open"]`, "1")
	// At 1280 px the ticket's number stays on one line.
	b.run(chromedp.EmulateViewport(1280, 900))
	if lines := eval[int](b, `(() => { const r = document.createRange(); r.selectNodeContents(document.querySelector('#q-open tr[data-number="1"] .num')); return r.getClientRects().length; })()`); lines != 1 {
		t.Errorf("at 1280px the queue's #1 takes %d lines", lines)
	}
	b.shot("card")

	// Ana claims it; the card is updated in place; the customer is told.
	b.click("#sl-messages .msg.app .sl-btn", "Claim")
	b.waitText("#tg-chat .bubble", "atendido por")
	b.waitText("#sl-messages .msg.app .sl-btn", "Resolve")
	b.waitJS("one card", `document.querySelectorAll("#sl-messages .msg.app .blk-header, #sl-messages .msg.app .blocks").length >= 1`)
	b.waitText(`#q-working tr[data-number="1"]`, "Ana")
	b.waitText(`#q-counts [data-status="claimed"]`, "1")
	b.waitJS("an empty queue", `document.querySelector('#q-open tr[data-number="1"]') === null`)
	b.shot("claimed")

	// A reply in the thread reaches the customer.
	b.click("#sl-messages .msg.app .thread-link", "")
	b.waitJS("the thread", `!document.querySelector("#sl-thread").hidden`)
	b.fill("#sl-reply-input", "Hola Carla, reinicie la impresora por favor.")
	b.waitText("#tg-chat .bubble", "reinicie la impresora por favor")
	// Delivered: the reaction is drawn as its emoji, not as its name.
	b.waitText("#sl-thread-body .reactions", "✅")
	if eval[bool](b, `document.querySelector("#agents").textContent.includes(":white_check_mark:")`) {
		t.Error("a reaction shows as its name")
	}
	b.shot("reply")

	// An internal note stays in Slack.
	b.click("#sl-reply label", "Internal note")
	b.fill("#sl-reply-input", "Cliente VIP: revisar contrato")
	b.waitText("#sl-thread-body", "Cliente VIP")

	// The customer answers in the chat: it appears in the thread.
	b.fill("#tg-input", "Ya la reinicié y sigue igual")
	b.waitText("#sl-thread-body", "Ya la reinicié y sigue igual")
	b.shot("thread")
	if eval[bool](b, `document.querySelector("#tg-chat").textContent.includes("VIP")`) {
		t.Error("the internal note reached the customer")
	}

	// Ana resolves it; the customer rates it.
	b.click("#sl-thread-close", "")
	b.click("#sl-messages .msg.app .sl-btn", "Resolve")
	b.waitText("#tg-chat .bubble", "resuelto")
	b.waitText(`#q-counts [data-status="resolved"]`, "1")
	b.waitJS("nobody working", `document.querySelector('#q-working tr[data-number="1"]') === null`)
	b.shot("resolved")
	b.click("#tg-chat .keyboard button", "5")
	b.waitText("#tg-chat .bubble", "5/5")
	b.shot("rated")
	if eval[bool](b, `document.querySelector("#tg-chat").textContent.includes("VIP")`) {
		t.Error("the internal note reached the customer")
	}
}
