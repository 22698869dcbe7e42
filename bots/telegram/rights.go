package telegram

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/colombiainformatica/ticketbot/bots/telegram/botapi"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// The holder's rights in chat (Ley 1581 de 2012): /mydata shows what
// ticketbot stores about the customer, /deletedata deletes it after a
// confirmation whose button is signed for the customer and expires.

// forgetWindow is how long the confirmation button of /deletedata works.
const forgetWindow = 10 * time.Minute

// maxDataEntry bounds each conversation entry shown by /mydata.
const maxDataEntry = 1000

// myData shows the customer's profile, authorization, tickets and their
// conversations (never the agents' internal notes).
func (t *turn) myData(ctx context.Context) error {
	d, err := t.b.svc.CustomerData(ctx, t.actor, t.cust.Key())
	if err != nil {
		return t.fail(0, err)
	}
	tx := t.tx
	lang := d.Profile.Language
	if lang == "" {
		lang = t.lang
	}
	r := (&botapi.Rich{}).Markup(tx.DataHeaderF, botapi.Esc(t.cust.Key()), botapi.Esc(t.cust.Name), botapi.Esc(lang))
	when := func(at time.Time) string { return at.UTC().Format("2006-01-02 15:04 UTC") }
	switch {
	case d.Profile.TermsVersion == "" && d.Profile.PrivacyVersion == "":
		r.Raw("\n" + tx.DataNoConsent)
	default:
		if d.Profile.TermsVersion != "" {
			r.Markup("\n"+tx.DataTermsF, botapi.Esc(d.Profile.TermsVersion), when(d.Profile.TermsAccepted))
		}
		if d.Profile.PrivacyVersion != "" {
			r.Markup("\n"+tx.DataPrivacyF, botapi.Esc(d.Profile.PrivacyVersion), when(d.Profile.PrivacyAccepted), botapi.Esc(t.b.privacyURL()))
		}
	}
	if len(d.Tickets) == 0 {
		r.Raw("\n\n" + tx.DataNoTickets)
	}
	t.say(r, nil, 0)
	for _, td := range d.Tickets {
		tk := td.Ticket
		r := &botapi.Rich{}
		if !tk.Erased.IsZero() {
			r.Markup(tx.DataErasedF, tk.Number, tx.Status(tk.Status), when(tk.CreatedAt))
			t.say(r, nil, 0)
			continue
		}
		r.Markup(tx.DataTicketF, tk.Number, botapi.Esc(tk.Subject), tx.Status(tk.Status), when(tk.CreatedAt), len(td.Messages))
		r.Raw("\n").Text(clip(tk.Description, maxDataEntry))
		if n := len(tk.Attachments); n > 0 {
			r.Markup(tx.DataFilesF, n)
		}
		for _, m := range td.Messages {
			who := tx.You
			if m.Kind != tickets.MessageCustomer {
				who = tx.Support
			}
			r.Raw("\n").Markup(tx.DataMessageF, when(m.At), who, "").Text(clip(m.Text, maxDataEntry))
			if n := len(m.Attachments); n > 0 {
				r.Markup(tx.DataFilesF, n)
			}
		}
		if tk.Rating.Stars > 0 {
			r.Raw("\n").Markup(tx.RatingF, tk.Rating.Stars)
		}
		t.say(r, nil, tk.Number)
	}
	t.sayf("%s", tx.DataNotes)
	return nil
}

// clip cuts s to n runes with an ellipsis.
func clip(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n]) + "…"
}

// askForget asks the customer to confirm the deletion of their data, with
// a button that works for forgetWindow.
func (t *turn) askForget(ctx context.Context) error {
	active, err := t.b.svc.ActiveTickets(ctx, t.actor, t.cust.Key())
	if err != nil {
		return t.fail(0, err)
	}
	until := strconv.FormatInt(t.b.now().Add(forgetWindow).Unix(), 36)
	kb := [][]button{{{Text: t.tx.DeleteButton, Data: t.b.data(t.user, actForget, until)}}}
	t.say((&botapi.Rich{}).Markup(t.tx.DeleteAskF, len(active)), kb, 0)
	return nil
}

// forget deletes the customer's data, if the button pressed has not
// expired.
func (t *turn) forget(ctx context.Context, until string, msgID int) error {
	deadline, err := strconv.ParseInt(until, 36, 64)
	if err != nil || t.b.now().Unix() > deadline {
		t.answer.text = t.tx.Expired
		return nil
	}
	if _, err := t.b.svc.Forget(ctx, t.actor, t.cust.Key()); err != nil {
		return t.fail(0, err)
	}
	t.answer.text = t.tx.Done
	t.edit(msgID, (&botapi.Rich{}).Raw(t.tx.DeleteDone), nil)
	return nil
}

// ChatEraser is the tickets.Eraser of the Telegram adapter: it deletes
// what the bot keeps about a Telegram customer and their chat (forms,
// references, flood counters, albums, inbound dead letters, the chat's
// delivery lane and its dead letters). It needs only the storage, so the
// Service can be given it before the Bot exists.
type ChatEraser struct{ Storage Storage }

// EraseCustomer implements tickets.Eraser.
func (e ChatEraser) EraseCustomer(ctx context.Context, c tickets.Customer, _ []tickets.Ticket) error {
	if c.Platform != Platform {
		return nil
	}
	user, err := strconv.ParseInt(c.UserID, 10, 64)
	if err != nil {
		return nil
	}
	chat, err := strconv.ParseInt(c.ChatID, 10, 64)
	if err != nil {
		chat = user
	}
	if err := e.Storage.EraseChat(ctx, user, chat); err != nil {
		return fmt.Errorf("telegram: %w", err)
	}
	return nil
}
