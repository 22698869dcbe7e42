package telegram_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/bots/telegram"
	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// TestHolderRightsInChat: /misdatos shows the profile, the authorization
// and the tickets without the agents' notes; /borrardatos asks, and the
// button deletes the data: the ticket is closed and erased, the profile
// gone, the draft of a form too.
func TestHolderRightsInChat(t *testing.T) {
	e := newEnv(t)
	e.svc = tickets.NewService(e.st, e.st, e.st, tickets.Config{TermsVersion: "v1",
		Erasers: []tickets.Eraser{telegram.ChatEraser{Storage: store.NewTelegram(e.st)}}})
	e.bot = e.newBot(e.cfg)
	e.start()
	e.acceptTerms(maria)
	e.open(maria, "Acceso", "Alta", "No puedo entrar al correo corporativo")
	if _, _, err := e.svc.AddMessage(ctx10(t), tickets.AgentActor(tickets.Agent{ID: "U1", Name: "Ana"}), 1,
		tickets.MessageInput{Kind: tickets.MessageNote, Text: "nota secreta del agente"}); err != nil {
		t.Fatal(err)
	}
	e.fake.SendCommand(maria, "misdatos", "")
	m := e.expect(maria, "Sus datos en ticketbot")
	if !strings.Contains(m.PlainText, "telegram:1001") || !strings.Contains(m.PlainText, "versión v1") {
		t.Errorf("profile part = %q", m.PlainText)
	}
	m = e.expect(maria, "Ticket #1")
	if !strings.Contains(m.PlainText, "No puedo entrar al correo corporativo") {
		t.Errorf("ticket part = %q", m.PlainText)
	}
	e.expect(maria, "notas internas")
	for _, msg := range e.fake.Messages(maria.ID) {
		if strings.Contains(msg.PlainText, "nota secreta") {
			t.Errorf("an internal note was shown: %q", msg.PlainText)
		}
	}

	e.fake.SendCommand(maria, "borrardatos", "")
	ask := e.expect(maria, "¿Borrar todos sus datos")
	if !strings.Contains(ask.PlainText, "(1)") {
		t.Errorf("ask = %q; want the active tickets counted", ask.PlainText)
	}
	// A draft of a new form, to be deleted with the rest.
	e.fake.SendCommand(maria, "new", "")
	e.expect(maria, "naturaleza del problema")
	e.press(maria, ask, "Sí, borrar")
	e.edited(maria, ask, "Sus datos fueron borrados")
	tk := e.ticket(1)
	if tk.Erased.IsZero() || tk.Status != tickets.StatusClosed || tk.Customer.UserID != "" || tk.Description != "" {
		t.Errorf("ticket after deletion = %+v", tk)
	}
	p, _ := e.svc.Profile(ctx10(t), tickets.Customer{Platform: "telegram", UserID: "1001"})
	if p.TermsVersion != "" || p.PrivacyVersion != "" {
		t.Errorf("profile after deletion = %+v", p)
	}
	if _, ok, _ := store.NewTelegram(e.st).Form(ctx10(t), telegram.FormKey{Kind: telegram.FormDraft, User: maria.ID}); ok {
		t.Error("the form's draft survived")
	}
	// Terms are asked again.
	e.fake.SendCommand(maria, "new", "")
	e.expect(maria, "Antes de abrir un ticket")
}

// TestDeleteDataButtonExpires: the confirmation of /borrardatos works for
// ten minutes; pressed later it is answered as expired and deletes nothing.
func TestDeleteDataButtonExpires(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	now := time.Now()
	deps := e.deps()
	deps.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	b, err := telegram.New(e.cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	e.inline.Add(b)
	e.bot = b
	e.start()
	e.acceptTerms(maria)
	e.fake.SendCommand(maria, "borrardatos", "")
	ask := e.expect(maria, "¿Borrar todos sus datos")
	mu.Lock()
	now = now.Add(11 * time.Minute)
	mu.Unlock()
	e.press(maria, ask, "Sí, borrar")
	if got := e.answers(1)[0].Text; !strings.Contains(got, "expiró") {
		t.Errorf("answer = %q; want expired", got)
	}
	p, _ := e.svc.Profile(ctx10(t), tickets.Customer{Platform: "telegram", UserID: "1001"})
	if p.TermsVersion != "v1" {
		t.Errorf("profile after an expired press = %+v", p)
	}
}
