package telegram

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// Every refusal a customer can cause is explained in their language; the
// core's English message never reaches them.
func TestRefusalsAreLocalized(t *testing.T) {
	reasoned := func(reason string, st tickets.Status) error {
		return fmt.Errorf("wrapped: %w", &tickets.Error{Code: tickets.EINVALID, Message: "ENGLISH CORE TEXT", Reason: reason, Status: st})
	}
	cases := []struct {
		err    error
		es, en string
	}{
		{reasoned(tickets.ReasonTransition, tickets.StatusClosed), "El ticket #7 está cerrado: eso no se puede hacer ahora.", "Ticket #7 is closed: that is not possible now."},
		{reasoned(tickets.ReasonInactive, tickets.StatusResolved), "El ticket #7 está resuelto. Reábralo", "Ticket #7 is resolved. Reopen it"},
		{reasoned(tickets.ReasonTooLong, 0), "demasiado largo", "too long"},
		{reasoned(tickets.ReasonAttachments, 0), fmt.Sprintf("máximo %d", tickets.MaxAttachments), fmt.Sprintf("at most %d", tickets.MaxAttachments)},
		{reasoned(tickets.ReasonEmpty, 0), "vacío", "empty"},
		{reasoned(tickets.ReasonTermsOutdated, 0), "ya no está vigente", "no longer current"},
		{reasoned(tickets.ReasonRating, 0), "de 1 a 5", "from 1 to 5"},
		{reasoned(tickets.ReasonActiveCap, 0), "máximo de tickets activos", "most active tickets allowed"},
		{reasoned(tickets.ReasonNotRateable, tickets.StatusOpen), "El ticket #7 se podrá calificar cuando esté resuelto.", "Ticket #7 can be rated once it is resolved."},
		{&tickets.Error{Code: tickets.ECONFLICT, Message: "ENGLISH CORE TEXT"}, "Eso no es posible en este momento.", "That is not possible right now."},
		{&tickets.Error{Code: tickets.EFORBIDDEN, Message: "ENGLISH CORE TEXT"}, "Eso no es posible en este momento.", "That is not possible right now."},
		{reasoned("a reason added later", 0), "Eso no es posible en este momento.", "That is not possible right now."},
	}
	for _, c := range cases {
		for lang, want := range map[string]string{"es": c.es, "en": c.en} {
			tn := &turn{key: "u1", chat: 42}
			tn.setLanguage(lang)
			if err := tn.fail(7, c.err); err != nil {
				t.Fatalf("%s %v: fail returned %v", lang, c.err, err)
			}
			if len(tn.msgs) != 1 {
				t.Fatalf("%s %v: %d messages, want 1", lang, c.err, len(tn.msgs))
			}
			got := string(tn.msgs[0].Payload)
			if !strings.Contains(got, want) || strings.Contains(got, "ENGLISH") {
				t.Errorf("%s %v: reply %s, want %q", lang, c.err, got, want)
			}
		}
	}
	// Without a ticket number the reply still says something sensible.
	for _, lang := range []string{"es", "en"} {
		if got := textsFor(lang).Refusal(0, reasoned(tickets.ReasonTransition, tickets.StatusClosed)); got != textsFor(lang).NotPossible {
			t.Errorf("%s: refusal without a number = %q", lang, got)
		}
	}
	// Internal errors are not replied to: the update is retried.
	tn := &turn{key: "u1", chat: 42}
	tn.setLanguage("es")
	if err := tn.fail(7, errors.New("redis down")); err == nil || len(tn.msgs) != 0 {
		t.Errorf("internal error: %v, %d messages", err, len(tn.msgs))
	}
}

// Durations read naturally in both languages, and the wait is always
// labelled as an estimate.
func TestDurationAndEstimateWording(t *testing.T) {
	cases := []struct {
		d      time.Duration
		es, en string
	}{
		{10 * time.Second, "1 minuto", "1 minute"},
		{time.Minute, "1 minuto", "1 minute"},
		{30 * time.Minute, "30 minutos", "30 minutes"},
		{59*time.Minute + 40*time.Second, "1 hora", "1 hour"},
		{time.Hour, "1 hora", "1 hour"},
		{80 * time.Minute, "1 hora", "1 hour"},
		{3 * time.Hour, "3 horas", "3 hours"},
		{47 * time.Hour, "47 horas", "47 hours"},
		{47*time.Hour + 40*time.Minute, "2 días", "2 days"},
		{5 * 24 * time.Hour, "5 días", "5 days"},
	}
	for _, c := range cases {
		if got := textsFor("es").Duration(c.d); got != c.es {
			t.Errorf("es %v = %q, want %q", c.d, got, c.es)
		}
		if got := textsFor("en").Duration(c.d); got != c.en {
			t.Errorf("en %v = %q, want %q", c.d, got, c.en)
		}
	}
	for _, c := range []struct {
		lang string
		d    time.Duration
		want string
	}{
		{"es", time.Hour, "Espera estimada: aproximadamente 1 hora (es una estimación, no una garantía)."},
		{"es", 30 * time.Minute, "Espera estimada: aproximadamente 30 minutos (es una estimación, no una garantía)."},
		{"en", time.Hour, "Estimated wait: about 1 hour (an estimate, not a guarantee)."},
		{"en", 30 * time.Minute, "Estimated wait: about 30 minutes (an estimate, not a guarantee)."},
	} {
		if got := textsFor(c.lang).Estimate(c.d); got != c.want {
			t.Errorf("%s estimate %v = %q, want %q", c.lang, c.d, got, c.want)
		}
	}
	if got := fmt.Sprintf(textsFor("es").AgoF, textsFor("es").Duration(2*time.Hour)); got != "hace 2 horas" {
		t.Errorf("age = %q", got)
	}
}
