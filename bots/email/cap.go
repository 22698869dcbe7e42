package email

import (
	"context"
	"fmt"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// cappedF tells a sender at the cap of active tickets where their mail
// went (tickets.MailCapped), by language; %d: the ticket.
var cappedF = map[string]string{
	"es": "Ya tiene el máximo de tickets activos permitido, así que no abrimos un ticket nuevo: " +
		"su correo se añadió a su ticket más reciente, el #%[1]d, y nada se perdió. " +
		"Responda a este correo para escribir en el ticket #%[1]d.",
	"en": "You already have the most active tickets allowed, so we did not open a new one: " +
		"your e-mail was added to your most recent ticket, #%[1]d, and nothing was lost. " +
		"Reply to this e-mail to write on ticket #%[1]d.",
}

// tellCapped answers mail m (intake id) of customer c, which the core
// added to their ticket t because they are at the cap of active tickets
// instead of opening a new one. The answer's subject carries t's tag, so
// that a reply reaches t.
func (b *Bot) tellCapped(ctx context.Context, m *Mail, id string, c tickets.Customer, t tickets.Ticket) error {
	lang := c.Language
	if _, ok := cappedF[lang]; !ok {
		lang = "es"
	}
	answer := *m
	answer.From = Address{Name: c.Name, Address: c.UserID}
	answer.Subject = ReplySubject(m.Subject, t.Number)
	body := textsFor(lang).greeting(c.Name) + "\n\n" + fmt.Sprintf(cappedF[lang], t.Number)
	return b.answer(ctx, &answer, id, "capped", lang, body)
}
