package telegram

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/colombiainformatica/ticketbot/bots/telegram/botapi"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// pendingTTL is how long a message waits for the customer to choose its
// ticket.
const pendingTTL = 24 * time.Hour

// pending is a message waiting for the customer to choose its ticket.
type pending struct {
	Text        string               `json:"t,omitempty"`
	Attachments []tickets.Attachment `json:"a,omitempty"`
	Ref         int                  `json:"r,omitempty"`
}

// route adds a message to the customer's ticket: the one whose message
// they replied to, else the one a rating waits a comment for, else their
// only active ticket; with several, it asks which.
func (t *turn) route(ctx context.Context, text string, atts []tickets.Attachment, replyTo, ref int) error {
	if t.tooLong(text) {
		return nil
	}
	if replyTo > 0 {
		n, ok, err := t.b.store.TicketOf(ctx, t.chat, replyTo)
		if err != nil {
			return err
		}
		if ok {
			_, err := t.addMessage(ctx, n, text, atts, ref)
			return err
		}
	}
	if len(atts) == 0 && strings.TrimSpace(text) != "" {
		c, ok, err := t.ratingComment(ctx)
		if err != nil {
			return err
		}
		if ok {
			return t.comment(ctx, c, text)
		}
	}
	active, err := t.b.svc.ActiveTickets(ctx, t.actor, t.cust.Key())
	if err != nil {
		return t.fail(0, err)
	}
	switch len(active) {
	case 0:
		if t.b.svc.NeedsTerms(t.profile) {
			t.askTerms(false)
		} else {
			t.sayf("%s", t.tx.NoOpenTicket)
		}
		return nil
	case 1:
		_, err := t.addMessage(ctx, active[0].Number, text, atts, ref)
		return err
	}
	raw, _ := json.Marshal(pending{Text: text, Attachments: atts, Ref: ref})
	if err := t.b.store.SaveForm(ctx, FormKey{Kind: FormPending, User: t.user, Turn: t.key}, raw, pendingTTL); err != nil {
		return err
	}
	r, kb := t.b.routeMessage(t.tx, t.user, t.key, active)
	t.say(r, kb, 0)
	return nil
}

// maxRouteChoices is how many tickets the question "which ticket?" offers
// as buttons, well within Telegram's 100 buttons of a keyboard.
const maxRouteChoices = 10

// routeMessage asks which of the active tickets a message (of the turn
// key) goes to: one button each, for the first maxRouteChoices; the others
// are reached by replying to one of their messages.
func (b *Bot) routeMessage(tx *texts, user int64, key string, active []tickets.Ticket) (*botapi.Rich, [][]button) {
	r := (&botapi.Rich{}).Raw(tx.WhichTicket)
	if len(active) > maxRouteChoices {
		r.Markup("\n"+tx.WhichTicketMoreF, maxRouteChoices, len(active))
		active = active[:maxRouteChoices]
	}
	return r, b.routeButtons(user, key, active)
}

// routeButtons are the buttons that give the pending message of turn key
// to one of the tickets active, one a row.
func (b *Bot) routeButtons(user int64, key string, active []tickets.Ticket) [][]button {
	var kb [][]button
	for _, tk := range active {
		label := "#" + strconv.FormatInt(tk.Number, 10) + " · " + tk.Subject
		if r := []rune(label); len(r) > 40 {
			label = string(r[:39]) + "…"
		}
		kb = append(kb, []button{{Text: label, Data: b.data(user, actRoute, strconv.FormatInt(tk.Number, 10)+"."+key)}})
	}
	return kb
}

// addMessage adds a message to ticket n and reports whether it did; a
// refusal the customer can act upon is answered.
func (t *turn) addMessage(ctx context.Context, n int64, text string, atts []tickets.Attachment, ref int) (bool, error) {
	in := tickets.MessageInput{Text: text, Attachments: atts}
	if ref > 0 {
		in.Ref = strconv.Itoa(ref)
	}
	tk, _, err := t.b.svc.AddMessage(ctx, t.actor, n, in)
	if err != nil {
		return false, t.fail(n, err)
	}
	// The customer wrote: their chat works again.
	if err := t.b.reachable(tickets.WithRequestID(ctx, "tg:"+t.key+":reachable"), tk); err != nil {
		return false, err
	}
	t.say((&botapi.Rich{}).Markup(t.tx.AddedToF, n), nil, n)
	return true, nil
}

// routeChosen adds the pending message of turn key to the ticket the
// customer chose.
func (t *turn) routeChosen(ctx context.Context, n int64, key string, msgID int) error {
	k := FormKey{Kind: FormPending, User: t.user, Turn: key}
	v, ok, err := t.b.store.Form(ctx, k)
	if err != nil {
		return err
	}
	if !ok {
		// Kept before pending messages were keyed by their user.
		k.User = 0
		if v, ok, err = t.b.store.Form(ctx, k); err != nil {
			return err
		}
	}
	if !ok {
		t.answer.text = t.tx.Expired
		return nil
	}
	var p pending
	if json.Unmarshal(v, &p) != nil {
		t.answer.text = t.tx.Expired
		return t.b.store.DeleteForm(ctx, k)
	}
	// The message's own key makes the write idempotent across presses.
	added, err := t.addMessage(tickets.WithRequestID(ctx, "tg:"+key), n, p.Text, p.Attachments, p.Ref)
	if err != nil || !added {
		return err
	}
	t.edit(msgID, (&botapi.Rich{}).Markup("%s → <b>#%d</b>", t.tx.WhichTicket, n), nil)
	t.answer.text = t.tx.Done
	return t.b.store.DeleteForm(ctx, k)
}
