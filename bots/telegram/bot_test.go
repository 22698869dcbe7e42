package telegram_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/colombiainformatica/ticketbot/bots/telegram"
	"github.com/colombiainformatica/ticketbot/tickets"
)

func TestTermsThenFormInSpanish(t *testing.T) {
	e := newEnv(t)
	e.start()

	// No ticket before the terms are accepted.
	e.fake.SendCommand(maria, "new", "")
	m := e.expect(maria, "términos")
	if !strings.Contains(m.PlainText, "v1") || !strings.Contains(m.PlainText, "https://example.com/terms") {
		t.Errorf("terms prompt = %q, want version and link", m.PlainText)
	}
	e.press(maria, m, "Acepto")
	e.expect(maria, "Términos aceptados (versión v1)")
	p, err := e.svc.Profile(ctx10(t), tickets.Customer{Platform: "telegram", UserID: "1001"})
	if err != nil || p.TermsVersion != "v1" {
		t.Fatalf("profile = %+v, %v; want terms v1 recorded", p, err)
	}

	e.fake.SendCommand(maria, "new", "")
	m = e.expect(maria, "naturaleza del problema")
	e.press(maria, m, "Servicio caído")
	// One edit answers the step: the choice, and the next question.
	m = e.edited(maria, m, "urgente")
	if !strings.HasPrefix(m.PlainText, "Naturaleza: Servicio caído\n") || !hasButton(m, "Alta") || hasButton(m, "Facturación") {
		t.Errorf("form message after the nature = %q %v", m.PlainText, m.Keyboard)
	}
	e.press(maria, m, "Alta")
	m = e.edited(maria, m, "Describa el problema")
	if !strings.HasPrefix(m.PlainText, "Naturaleza: Servicio caído\nUrgencia: Alta\n") || len(m.Keyboard) != 0 {
		t.Errorf("form message after the urgency = %q %v", m.PlainText, m.Keyboard)
	}
	e.fake.SendPhoto(maria, "photo-1", "", "")
	e.expect(maria, "Adjuntos recibidos: 1")
	e.fake.SendVoice(maria, "voice-1", 3)
	e.expect(maria, "Adjuntos recibidos: 2")
	e.fake.SendText(maria, "El servidor de correo no responde")
	m = e.expect(maria, "Ticket #1 creado")
	for _, want := range []string{"Prioridad: P1", "Posición en la cola: 1 de 1", "no podemos estimar la espera (sin ETA)"} {
		if !strings.Contains(m.PlainText, want) {
			t.Errorf("confirmation %q lacks %q", m.PlainText, want)
		}
	}
	tk := e.ticket(1)
	if tk.Nature != tickets.NatureOutage || tk.Urgency != tickets.UrgencyHigh || tk.Description != "El servidor de correo no responde" {
		t.Errorf("ticket = %+v", tk)
	}
	if len(tk.Attachments) != 2 || tk.Attachments[0].FileID != "photo-1" || tk.Attachments[1].Kind != "voice" {
		t.Errorf("attachments = %+v", tk.Attachments)
	}
	if tk.Customer.ChatID != "1001" || tk.Customer.Name != "María" || tk.Customer.Language != "es" {
		t.Errorf("customer = %+v", tk.Customer)
	}

	// The commands were registered in both languages.
	if es, en := e.fake.Commands("es"), e.fake.Commands("en"); len(es) == 0 || len(en) == 0 || es[0].Description == en[0].Description {
		t.Errorf("commands es=%v en=%v", es, en)
	}
}

func TestTermsAskedAgainWhenTheVersionChanges(t *testing.T) {
	e := newEnv(t)
	e.start()
	e.acceptTerms(maria)
	old := e.fake.Messages(maria.ID)
	e.stop()

	cfg := e.cfg
	e.svc = tickets.NewService(e.st, e.st, e.st, tickets.Config{TermsVersion: "v2"})
	b := e.newBot(cfg)
	e.stop = e.run(b)
	e.fake.SendCommand(maria, "new", "")
	m := e.expect(maria, "v2")
	if !strings.Contains(m.PlainText, "términos") {
		t.Errorf("want the new terms asked, got %q", m.PlainText)
	}
	// The old accept button no longer accepts anything.
	var oldTerms int
	for _, om := range old {
		if om.FromBot && len(om.Keyboard) > 0 && strings.Contains(om.PlainText, "v1") {
			oldTerms = om.MessageID
			e.fake.PressButton(maria, om.MessageID, om.Keyboard[0][0].CallbackData)
			break
		}
	}
	if oldTerms == 0 {
		t.Fatal("old terms message not found")
	}
	answers, err := e.fake.WaitCallbackAnswers(ctx10(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := answers[len(answers)-1].Text; !strings.Contains(got, "expiró") {
		t.Errorf("old button answer = %q", got)
	}
	p, _ := e.svc.Profile(ctx10(t), tickets.Customer{Platform: "telegram", UserID: "1001"})
	if p.TermsVersion != "v1" {
		t.Errorf("terms version = %q, want still v1", p.TermsVersion)
	}
	m = e.expect(maria, "v2")
	e.press(maria, m, "Acepto")
	e.expect(maria, "versión v2")
}

func TestFormInEnglish(t *testing.T) {
	e := newEnv(t)
	e.start()
	e.fake.SendCommand(john, "start", "")
	m := e.expect(john, "Hello, John")
	if !strings.Contains(m.PlainText, "estimates, not guarantees") {
		t.Errorf("policy lines missing: %q", m.PlainText)
	}
	e.press(john, m, "I accept")
	e.expect(john, "Terms accepted")
	m = e.open(john, "Billing", "Low", "Invoice 12 is wrong")
	if !strings.Contains(m.PlainText, "Ticket #1 created") || !strings.Contains(m.PlainText, "Priority: P4") || !strings.Contains(m.PlainText, "an estimate") && !strings.Contains(m.PlainText, "no ETA") {
		t.Errorf("confirmation = %q", m.PlainText)
	}
	// The language can be changed; the profile keeps it.
	e.fake.SendCommand(john, "language", "es")
	e.expect(john, "Idioma: español")
	e.fake.SendCommand(john, "tickets", "")
	m = e.expect(john, "Sus tickets")
	if !strings.Contains(m.PlainText, "#1 · Invoice 12 is wrong · en cola") {
		t.Errorf("list = %q", m.PlainText)
	}
}

func TestConfigErrors(t *testing.T) {
	e := newEnv(t)
	// Each refusal names the Config field (cmd names its variable).
	for field, cfg := range map[string]telegram.Config{
		"Token":           {},
		"WebhookSecret":   {Token: testToken, WebhookURL: "https://x/telegram/webhook"},
		"DefaultLanguage": {Token: testToken, DefaultLanguage: "fr"},
		"APIEndpoint":     {Token: testToken, APIEndpoint: "http://127.0.0.1:1/"},
	} {
		_, err := telegram.New(cfg, e.deps())
		var ce *telegram.ConfigError
		if !errors.As(err, &ce) || ce.Field != field {
			t.Errorf("%s: err = %v", field, err)
		}
	}
	// A token Telegram rejects fails at start, with an error that hides it.
	wrong := "999999:WRONG-token"
	_, err := telegram.New(telegram.Config{Token: wrong, APIEndpoint: e.fake.Endpoint()}, e.deps())
	var ce *telegram.ConfigError
	if !errors.As(err, &ce) || ce.Field != "Token" || strings.Contains(err.Error(), wrong) {
		t.Errorf("rejected token: err = %v, want a redacted error naming the token", err)
	}
	// An unreachable Telegram does not stop the start (calls are retried
	// later); the warning it logs hides the token.
	var logs syncBuffer
	_, err = telegram.New(telegram.Config{Token: testToken, APIEndpoint: "http://127.0.0.1:1/bot%s/%s"},
		func() telegram.Deps { d := e.deps(); d.Logger = zerolog.New(&logs); return d }())
	if err != nil {
		t.Errorf("unreachable endpoint: err = %v, want a start that retries later", err)
	}
	if l := logs.String(); !strings.Contains(l, "getMe failed") || strings.Contains(l, testToken) || !strings.Contains(l, "<token>") {
		t.Errorf("unreachable endpoint logged %q, want a redacted getMe warning", l)
	}
}
