package telegram_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/colombiainformatica/ticketbot/bots/telegram"
	"github.com/colombiainformatica/ticketbot/bots/telegram/telegramtest"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// countMessages counts the bot's messages to user containing s.
func (e *env) countMessages(user telegramtest.User, s string) int {
	n := 0
	for _, m := range e.fake.Messages(user.ID) {
		if m.FromBot && strings.Contains(m.PlainText, s) {
			n++
		}
	}
	return n
}

func (e *env) expectExpired(lang string) {
	e.t.Helper()
	want := map[string]string{"es": "expiró", "en": "expired"}[lang]
	if got := e.answers(1)[0].Text; !strings.Contains(got, want) {
		e.t.Errorf("answer to a stale press = %q, want the expired toast", got)
	}
}

// A second tap on a form keyboard whose step was answered is refused as
// expired and changes nothing: the nature and urgency stay the first
// choice, and the urgency is asked once.
func TestFormStepIsAnsweredOnce(t *testing.T) {
	e := newEnv(t)
	e.start()
	e.acceptTerms(maria)

	e.fake.SendCommand(maria, "new", "")
	natures := e.expect(maria, "naturaleza del problema")
	e.press(maria, natures, "Acceso y cuentas")
	urgencies := e.edited(maria, natures, "¿Qué tan urgente es?")
	e.answers(1)
	// A nature of the keyboard the edit replaced.
	e.press(maria, natures, "Servicio caído")
	e.expectExpired("es")
	if got := e.latest(maria, natures.MessageID).PlainText; !strings.Contains(got, "Acceso y cuentas") {
		t.Errorf("nature message = %q", got)
	}

	e.press(maria, urgencies, "Alta")
	e.edited(maria, urgencies, "Describa el problema")
	e.answers(1)
	// The urgency keyboard, tapped again, and the nature keyboard.
	e.press(maria, urgencies, "Crítica")
	e.expectExpired("es")
	e.press(maria, natures, "Facturación")
	e.expectExpired("es")

	e.fake.SendText(maria, "No puedo entrar a mi cuenta")
	e.expect(maria, "Ticket #1 creado")
	tk := e.ticket(1)
	if tk.Nature != tickets.NatureAccess || tk.Urgency != tickets.UrgencyHigh {
		t.Errorf("ticket nature %v urgency %v, want access, high", tk.Nature, tk.Urgency)
	}
	// The form was one message, edited at each step: the choices show
	// once, the urgency question is gone, the description asked once.
	if n := e.countMessages(maria, "Urgencia: Alta"); n != 1 {
		t.Errorf("the urgency shows in %d messages, want 1", n)
	}
	if n := e.countMessages(maria, "¿Qué tan urgente es?"); n != 0 {
		t.Errorf("the urgency question is still in %d messages", n)
	}
	if n := e.countMessages(maria, "Describa el problema"); n != 1 {
		t.Errorf("description asked %d times, want 1", n)
	}

	// The keyboards of the submitted form have expired.
	e.press(maria, urgencies, "Baja")
	e.expectExpired("es")
	e.press(maria, natures, "Pregunta técnica")
	e.expectExpired("es")
	if tk := e.ticket(1); tk.Nature != tickets.NatureAccess || tk.Urgency != tickets.UrgencyHigh {
		t.Errorf("after submission: nature %v urgency %v", tk.Nature, tk.Urgency)
	}
}

// The keyboards of a cancelled form have expired, in the customer's
// language, and do not bring the form back.
func TestCancelledFormKeyboardsExpire(t *testing.T) {
	e := newEnv(t)
	e.start()
	e.acceptTerms(john)

	e.fake.SendCommand(john, "new", "")
	natures := e.expect(john, "nature of the problem")
	e.press(john, natures, "Billing")
	urgencies := e.edited(john, natures, "How urgent is it?")
	e.answers(1)
	e.fake.SendCommand(john, "cancel", "")
	e.expect(john, "Form cancelled")

	e.press(john, urgencies, "Low")
	e.expectExpired("en")
	e.press(john, natures, "Service down")
	e.expectExpired("en")
	e.fake.SendText(john, "Is anyone there?")
	e.expect(john, "You have no open tickets")
	if n := e.countMessages(john, "How urgent is it?"); n != 1 {
		t.Errorf("urgency asked %d times, want 1", n)
	}
}

// A rated ticket's status shows the rating and offers no rating buttons;
// close (or reopen) is still offered as the core allows.
func TestStatusOfRatedTicketShowsRating(t *testing.T) {
	e := newEnv(t)
	e.start()
	e.acceptTerms(maria)
	e.open(maria, "Falla o error", "Normal", "La impresora no imprime")
	e.claimAndResolve(1)
	e.expect(maria, "marcado como resuelto")

	hasStars := func(m telegramtest.Message) bool {
		for _, b := range m.Buttons() {
			if strings.Contains(b.Text, "⭐") {
				return true
			}
		}
		return false
	}
	e.fake.SendCommand(maria, "status", "1")
	m := e.expect(maria, "Ticket #1")
	if !hasStars(m) || strings.Contains(m.PlainText, "Calificación") {
		t.Fatalf("unrated resolved status = %q %v, want rating buttons", m.PlainText, m.Buttons())
	}
	e.press(maria, m, "5⭐")
	e.expect(maria, "Calificó el ticket #1 con 5/5")
	e.answers(1)

	e.fake.SendCommand(maria, "status", "1")
	m = e.expect(maria, "Ticket #1")
	if !strings.Contains(m.PlainText, "Calificación: 5/5") {
		t.Errorf("rated status = %q, want the rating", m.PlainText)
	}
	if hasStars(m) {
		t.Errorf("rated status offers rating buttons: %v", m.Buttons())
	}
	found := false
	for _, b := range m.Buttons() {
		found = found || b.Text == "Cerrar"
	}
	if !found {
		t.Errorf("rated status buttons = %v, want close still offered", m.Buttons())
	}

	// Closed after the rating: the push offers no rating buttons either.
	if _, err := e.svc.Close(ctx10(t), tickets.CustomerActor(e.ticket(1).Customer), 1); err != nil {
		t.Fatal(err)
	}
	e.pump()
	m = e.expect(maria, "fue cerrado")
	if hasStars(m) {
		t.Errorf("push after rating offers rating buttons: %v", m.Buttons())
	}
	e.fake.SendCommand(maria, "status", "1")
	m = e.expect(maria, "Ticket #1")
	if !strings.Contains(m.PlainText, "Calificación: 5/5") || hasStars(m) {
		t.Errorf("closed rated status = %q %v", m.PlainText, m.Buttons())
	}
	if tk := e.ticket(1); tk.Rating.Stars != 5 {
		t.Errorf("rating = %d, want 5", tk.Rating.Stars)
	}
}

// Files past the form's cap are not dropped silently: the customer is
// told how many the form takes and how to send the rest; the ticket opens
// with the files it took.
func TestFormFilesPastTheCapAreAnswered(t *testing.T) {
	e := newEnv(t, withConfig(func(c *telegram.Config) { c.FloodLimit = 100 }))
	e.start()
	e.acceptTerms(maria)
	e.formTo(maria, "Falla", "Alta")
	for i := range tickets.MaxAttachments {
		e.fake.SendDocument(maria, fmt.Sprintf("doc-%d", i), fmt.Sprintf("f%d.pdf", i), "")
		e.expect(maria, fmt.Sprintf("Adjuntos recibidos: %d", i+1))
	}
	if n := e.countMessages(maria, "como máximo"); n != 0 {
		t.Fatalf("told about the cap %d times before it was reached", n)
	}
	e.fake.SendDocument(maria, "doc-20", "f20.pdf", "")
	e.expect(maria, fmt.Sprintf("como máximo %d archivos", tickets.MaxAttachments))
	e.fake.SendText(maria, "La impresora no imprime")
	e.expect(maria, "#1")
	if tk := e.ticket(1); len(tk.Attachments) != tickets.MaxAttachments {
		t.Errorf("ticket with %d attachments", len(tk.Attachments))
	}
}

// An album that takes the form past its cap is answered the same way.
func TestFormAlbumPastTheCapIsAnswered(t *testing.T) {
	e := newEnv(t, withConfig(func(c *telegram.Config) { c.FloodLimit = 100 }))
	e.start()
	e.acceptTerms(maria)
	e.formTo(maria, "Falla", "Alta")
	for i := range 15 {
		e.fake.SendDocument(maria, fmt.Sprintf("doc-%d", i), fmt.Sprintf("f%d.pdf", i), "")
		e.expect(maria, fmt.Sprintf("Adjuntos recibidos: %d", i+1))
	}
	for i := range 10 {
		e.fake.SendPhoto(maria, fmt.Sprintf("photo-%d", i), "", "album-cap")
	}
	e.expect(maria, fmt.Sprintf("como máximo %d archivos: 5 no se adjuntaron", tickets.MaxAttachments))
	e.fake.SendText(maria, "La impresora no imprime")
	e.expect(maria, "#1")
	if tk := e.ticket(1); len(tk.Attachments) != tickets.MaxAttachments {
		t.Errorf("ticket with %d attachments", len(tk.Attachments))
	}
}
