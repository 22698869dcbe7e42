package telegram_test

import (
	"strings"
	"testing"

	"github.com/colombiainformatica/ticketbot/bots/telegram"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// openTwo accepts the terms for user and opens two tickets.
func openTwo(e *env) {
	e.acceptTerms(maria)
	e.open(maria, "Servicio caído", "Crítica", "No hay internet en la sede")
	e.open(maria, "Facturación", "Baja", "Factura duplicada")
}

func TestListingStatusAndPushes(t *testing.T) {
	e := newEnv(t)
	e.start()
	openTwo(e)
	ctx := ctx10(t)

	e.fake.SendCommand(maria, "tickets", "")
	m := e.expect(maria, "Sus tickets")
	for _, want := range []string{"#2 · Factura duplicada · en cola", "#1 · No hay internet en la sede · en cola"} {
		if !strings.Contains(m.PlainText, want) {
			t.Errorf("list %q lacks %q", m.PlainText, want)
		}
	}

	// An agent claims #1, writes a note and a reply: the customer hears
	// of the claim and the reply, never of the note.
	if _, err := e.svc.Claim(ctx, ana, 1, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.AddMessage(ctx, ana, 1, tickets.MessageInput{Kind: tickets.MessageNote, Text: "nota interna secreta"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.AddMessage(ctx, ana, 1, tickets.MessageInput{Kind: tickets.MessageReply, Text: "¿Reinició el <router>?", Attachments: []tickets.Attachment{{Kind: "photo", FileID: "photo-agent"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetPriority(ctx, ana, 1, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetWaiting(ctx, ana, 1); err != nil {
		t.Fatal(err)
	}
	e.fake.SendPhoto(maria, "photo-agent", "", "") // makes the file id known to the fake
	e.expect(maria, "varios tickets abiertos")
	e.pump()
	e.expect(maria, "Su ticket #1 está siendo atendido por Ana <Soporte>")
	reply := e.expect(maria, "¿Reinició el <router>?")
	if !strings.HasPrefix(reply.PlainText, "💬 #1 — Ana <Soporte>:") {
		t.Errorf("reply = %q", reply.PlainText)
	}
	photo := e.expect(maria, "")
	if photo.Media == nil || photo.Media.FileID != "photo-agent" {
		t.Errorf("reply attachment = %+v", photo)
	}
	e.expect(maria, "cambió de P1 a P2")
	e.expect(maria, "espera su respuesta en el ticket #1")
	if tk := e.ticket(1); tk.Delivered != 2 {
		t.Errorf("delivered = %d, want the reply (2) marked delivered", tk.Delivered)
	}
	for _, msg := range e.fake.Messages(maria.ID) {
		if strings.Contains(msg.PlainText, "nota interna") {
			t.Errorf("the customer saw a note: %q", msg.PlainText)
		}
	}

	e.fake.SendCommand(maria, "status", "1")
	m = e.expect(maria, "Ticket #1")
	for _, want := range []string{"Estado: esperando su respuesta", "Prioridad: P2", "Atendido por: Ana <Soporte>", "Últimos mensajes", "¿Reinició el <router>?"} {
		if !strings.Contains(m.PlainText, want) {
			t.Errorf("status %q lacks %q", m.PlainText, want)
		}
	}
	if strings.Contains(m.PlainText, "nota interna") {
		t.Errorf("status shows a note: %q", m.PlainText)
	}
	// The status button of the list shows the same.
	e.fake.SendCommand(maria, "tickets", "")
	m = e.expect(maria, "Sus tickets")
	e.press(maria, m, "Estado #2")
	m = e.expect(maria, "Ticket #2")
	if !strings.Contains(m.PlainText, "Posición en la cola: 1 de 1") {
		t.Errorf("status of #2 = %q", m.PlainText)
	}

	e.fake.SendCommand(maria, "status", "99")
	e.expect(maria, "No encontré el ticket #99")
}

func TestAnotherCustomersTicketIsNotFound(t *testing.T) {
	e := newEnv(t)
	e.start()
	e.acceptTerms(maria)
	e.open(maria, "Servicio caído", "Crítica", "Secreto de María")
	e.claimAndResolve(1)
	resolved := e.expect(maria, "resuelto")

	e.fake.SendCommand(pedro, "status", "1")
	m := e.expect(pedro, "No encontré el ticket #1.")
	if strings.Contains(m.PlainText, "Secreto") {
		t.Errorf("revealed: %q", m.PlainText)
	}
	// Pedro replays María's close button, and forges one of his own.
	e.fake.PressButton(pedro, resolved.MessageID, resolved.Keyboard[0][0].CallbackData)
	e.fake.PressButton(pedro, resolved.MessageID, "c:1:AAAAAAAAAAAA")
	e.fake.PressButton(pedro, resolved.MessageID, "garbage")
	for _, a := range e.answers(3) {
		if !strings.Contains(a.Text, "expiró") {
			t.Errorf("answer to a forged press = %q", a.Text)
		}
	}
	if tk := e.ticket(1); tk.Status != tickets.StatusResolved {
		t.Errorf("status = %v, want unchanged", tk.Status)
	}
}

func TestReplyRoutingWithSeveralTickets(t *testing.T) {
	e := newEnv(t)
	e.start()
	e.acceptTerms(maria)
	first := e.open(maria, "Servicio caído", "Crítica", "No hay internet")
	e.open(maria, "Facturación", "Baja", "Factura duplicada")

	e.fake.SendText(maria, "¿Alguna novedad?")
	m := e.expect(maria, "varios tickets abiertos")
	if len(m.Buttons()) != 2 {
		t.Fatalf("buttons = %v", m.Buttons())
	}
	e.press(maria, m, "#2")
	e.expect(maria, "Mensaje añadido al ticket #2")
	e.answers(1)
	// A second press of the same question changes nothing.
	e.press(maria, m, "#1")
	if got := e.answers(1)[0].Text; !strings.Contains(got, "expiró") {
		t.Errorf("second press answer = %q", got)
	}

	// A reply to the confirmation of #1 goes to #1.
	e.fake.Reply(maria, first.MessageID, "Adjunto más datos")
	e.expect(maria, "Mensaje añadido al ticket #1")

	c1, c2 := e.conversation(1), e.conversation(2)
	if len(c1) != 1 || c1[0].Text != "Adjunto más datos" || len(c2) != 1 || c2[0].Text != "¿Alguna novedad?" {
		t.Errorf("conversations: #1 %+v, #2 %+v", c1, c2)
	}
}

func TestCloseReopenRate(t *testing.T) {
	e := newEnv(t)
	e.start()
	e.acceptTerms(maria)
	e.open(maria, "Pregunta técnica", "Normal", "¿Cómo configuro el VPN?")
	e.claimAndResolve(1)
	m := e.expect(maria, "marcado como resuelto")
	e.press(maria, m, "Cerrar")
	e.answers(1)
	if tk := e.ticket(1); tk.Status != tickets.StatusClosed {
		t.Fatalf("status = %v, want closed", tk.Status)
	}
	e.pump()
	m = e.expect(maria, "fue cerrado")
	e.press(maria, m, "4⭐")
	e.expect(maria, "con 4/5")
	e.fake.SendText(maria, "Muy <b>amable</b>")
	e.expect(maria, "Comentario guardado para el ticket #1")
	if r := e.ticket(1).Rating; r.Stars != 4 || r.Comment != "Muy <b>amable</b>" {
		t.Errorf("rating = %+v", r)
	}
	e.answers(1) // the rating
	// A rating is given once: another star on the same message is refused,
	// and the rating keeps its comment.
	e.press(maria, m, "2⭐")
	if got := e.answers(1)[0].Text; got != "El ticket #1 ya tiene su calificación. ¡Gracias!" {
		t.Errorf("answer to a second rating = %q", got)
	}
	if r := e.ticket(1).Rating; r.Stars != 4 || r.Comment != "Muy <b>amable</b>" {
		t.Errorf("rating after a second press = %+v", r)
	}
	e.press(maria, m, "Reabrir")
	e.answers(1)
	e.pump()
	e.expect(maria, "fue reabierto")
	if tk := e.ticket(1); tk.Status != tickets.StatusOpen {
		t.Errorf("status = %v, want open", tk.Status)
	}
	// Reopening an open ticket is refused politely, in Spanish.
	e.press(maria, m, "Reabrir")
	if got := e.answers(1)[0].Text; got != "El ticket #1 está en cola: eso no se puede hacer ahora." {
		t.Errorf("answer = %q", got)
	}
	// So is rating it before it is resolved again.
	e.press(maria, m, "5⭐")
	if got := e.answers(1)[0].Text; got != "El ticket #1 se podrá calificar cuando esté resuelto." {
		t.Errorf("answer = %q", got)
	}
}

// With AgentName set, customers see the team's name wherever an agent's
// name would be: the claim push, agent replies and /status.
func TestAnonymousAgents(t *testing.T) {
	e := newEnv(t, withConfig(func(c *telegram.Config) { c.AgentName = "Equipo <Soporte>" }))
	e.start()
	e.acceptTerms(maria)
	e.open(maria, "Falla", "Alta", "Algo falla")
	ctx := ctx10(t)
	if _, err := e.svc.Claim(ctx, ana, 1, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.AddMessage(ctx, ana, 1, tickets.MessageInput{Kind: tickets.MessageReply, Text: "Reinicie el equipo"}); err != nil {
		t.Fatal(err)
	}
	e.pump()
	e.expect(maria, "está siendo atendido por Equipo <Soporte>.")
	e.expect(maria, "#1 — Equipo <Soporte>:")
	e.fake.SendCommand(maria, "status", "1")
	m := e.expect(maria, "Atendido por: Equipo <Soporte>")
	if !strings.Contains(m.PlainText, "Soporte (Equipo <Soporte>)") {
		t.Errorf("status = %q", m.PlainText)
	}
	for _, m := range e.fake.Messages(maria.ID) {
		if strings.Contains(m.PlainText, "Ana") {
			t.Errorf("the agent's own name reached the customer: %q", m.PlainText)
		}
	}
}
