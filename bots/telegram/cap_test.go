package telegram_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/colombiainformatica/ticketbot/bots/telegram"
	"github.com/colombiainformatica/ticketbot/bots/telegram/telegramtest"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// newAtTheCap has user, at a cap of 2 active tickets, send /new: the
// answer lists the two, each with a button to add a message to it; the
// second's button asks for a reply, which reaches that ticket.
func newAtTheCap(t *testing.T, user telegramtest.User, w capWords) {
	e := newEnv(t, withCap(2))
	e.start()
	e.acceptTerms(user)
	e.open(user, w.nature, w.urgency, "Primero")
	e.open(user, w.nature, w.urgency, "Segundo")
	e.fake.SendCommand(user, "new", "")
	m := e.expect(user, w.atCap)
	for _, n := range []string{"1", "2"} {
		if !strings.Contains(m.PlainText, "#"+n) || !hasButton(m, w.addTo+n) {
			t.Errorf("answer to /new lacks ticket #%s or its button: %q %v", n, m.PlainText, m.Buttons())
		}
	}
	e.press(user, m, w.addTo+"2")
	prompt := e.expect(user, w.prompt)
	e.answers(1)
	e.fake.Reply(user, prompt.MessageID, "Más datos")
	e.expect(user, w.added+"2")
	if c := e.conversation(2); len(c) != 1 || c[0].Text != "Más datos" {
		t.Errorf("conversation of #2 = %+v, want the reply", c)
	}
	// Nothing was opened, and no form waits for a description.
	if _, err := e.svc.Get(ctx10(t), tickets.SystemActor, 3); tickets.ErrorCode(err) != tickets.ENOTFOUND {
		t.Errorf("ticket #3: %v, want none", err)
	}
}

type capWords struct{ nature, urgency, atCap, addTo, prompt, added string }

func TestNewAtTheCap(t *testing.T) {
	newAtTheCap(t, maria, capWords{"Falla", "Alta", "Ya tiene 2 tickets activos", "Añadir a #",
		"Responda a este mensaje con lo que quiere añadir al ticket #2", "Mensaje añadido al ticket #"})
}

func TestNewAtTheCapEnglish(t *testing.T) {
	newAtTheCap(t, john, capWords{"Malfunction", "High", "You already have 2 active tickets", "Add to #",
		"Reply to this message with what you want to add to ticket #2", "Message added to ticket #"})
}

// A form started under the cap and submitted once the cap was reached
// (another ticket opened meanwhile) opens nothing: its description and
// files go to the active ticket the customer picks.
func TestFormSubmittedAtTheCap(t *testing.T) {
	e := newEnv(t, withCap(2))
	e.start()
	e.acceptTerms(maria)
	e.open(maria, "Falla", "Alta", "Primero")
	e.formTo(maria, "Falla", "Alta")
	e.fake.SendPhoto(maria, "foto-1", "", "")
	e.expect(maria, "Adjuntos recibidos: 1")
	// Meanwhile a second ticket of hers is opened elsewhere.
	id := strconv.FormatInt(maria.ID, 10)
	if _, err := e.svc.Open(ctx10(t), tickets.OpenRequest{
		Customer: tickets.Customer{Platform: telegram.Platform, UserID: id, ChatID: id, Name: maria.FirstName},
		Nature:   tickets.NatureQuestion, Urgency: tickets.UrgencyLow, Description: "Segundo",
	}); err != nil {
		t.Fatal(err)
	}
	e.fake.SendText(maria, "La pantalla parpadea")
	m := e.expect(maria, "no abrí un ticket nuevo")
	if !hasButton(m, "#1") || !hasButton(m, "#2") {
		t.Fatalf("buttons = %v, want one per active ticket", m.Buttons())
	}
	if _, err := e.svc.Get(ctx10(t), tickets.SystemActor, 3); tickets.ErrorCode(err) != tickets.ENOTFOUND {
		t.Errorf("ticket #3: %v, want none", err)
	}
	e.press(maria, m, "#1")
	e.expect(maria, "Mensaje añadido al ticket #1")
	c := e.conversation(1)
	if len(c) != 1 || c[0].Text != "La pantalla parpadea" || fileIDs(c[0]) != "foto-1" {
		t.Errorf("conversation of #1 = %+v, want the form's description and photo", c)
	}
	// The form is over: a new text is a message, not a description.
	e.fake.SendText(maria, "otra cosa")
	e.expect(maria, "¿A cuál añado su mensaje?")
}

// A customer at the cap cannot reopen a resolved ticket of theirs; an
// agent can.
func TestReopenAtTheCap(t *testing.T) {
	e := newEnv(t, withCap(1))
	e.start()
	e.acceptTerms(maria)
	e.open(maria, "Falla", "Alta", "Primero")
	e.claimAndResolve(1)
	resolved := e.expect(maria, "marcado como resuelto")
	e.open(maria, "Falla", "Alta", "Segundo")
	e.press(maria, resolved, "Reabrir")
	if got := e.answers(1)[0].Text; !strings.Contains(got, "Ya tiene el máximo de tickets activos") {
		t.Errorf("answer to Reopen at the cap = %q", got)
	}
	if st := e.ticket(1).Status; st != tickets.StatusResolved {
		t.Errorf("status of #1 = %s, want resolved", st)
	}
	if tk, err := e.svc.Reopen(ctx10(t), ana, 1); err != nil || tk.Status != tickets.StatusOpen {
		t.Errorf("agent Reopen = %s, %v; want open", tk.Status, err)
	}
}
