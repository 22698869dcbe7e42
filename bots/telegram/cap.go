package telegram

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/colombiainformatica/ticketbot/bots/telegram/botapi"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// The cap on a customer's active tickets (tickets.Config.MaxActiveTickets)
// as the customer meets it: /new at the cap lists the active tickets, each
// with a button to add a message to it (actAddTo: the bot asks for a reply
// to its prompt, which the reply routing then takes to that ticket); a
// form submitted after the cap was reached opens nothing and keeps its
// description and files as a pending message, which the customer gives
// to one of the active tickets (actRoute, as for any message that needs a
// ticket chosen). A refused reopening is explained (i18n's Refusal).

// atCap answers /new refused with err: at the cap, the list of active
// tickets; another refusal as usual.
func (t *turn) atCap(ctx context.Context, err error) error {
	if tickets.ErrorReason(err) != tickets.ReasonActiveCap {
		return t.fail(0, err)
	}
	active, err := t.b.svc.ActiveTickets(ctx, t.actor, t.cust.Key())
	if err != nil {
		return t.fail(0, err)
	}
	cx := t.tx.Cap
	r := (&botapi.Rich{}).Markup(cx.AtCapF, len(active))
	var bts []button
	for i, tk := range active {
		if i == maxRouteChoices {
			break
		}
		r.Markup("\n"+cx.TicketLineF, tk.Number, botapi.Esc(tk.Subject), t.tx.Status(tk.Status))
		bts = append(bts, button{Text: fmt.Sprintf(cx.AddButtonF, tk.Number), Data: t.b.data(t.user, actAddTo, itoa(tk.Number))})
	}
	t.say(r, pairs(bts), 0)
	return nil
}

// addTo answers the button to add a message to ticket n: a prompt whose
// reply reaches the ticket. The ticket must be the presser's and active.
func (t *turn) addTo(ctx context.Context, n int64) error {
	tk, err := t.b.svc.Get(ctx, t.actor, n)
	if err != nil {
		return t.fail(n, err)
	}
	if !tk.Status.Active() {
		t.answer.text = t.tx.Expired
		return nil
	}
	t.answer.text = ""
	t.say((&botapi.Rich{}).Markup(t.tx.Cap.AddPromptF, n), nil, n)
	return nil
}

// formAtCap handles form d submitted with text while its customer is at
// the cap: no ticket is opened; the description and the form's files wait
// (as the turn's pending message) for the customer to choose which active
// ticket gets them. The form is over; this turn, handled again, does the
// same again.
func (t *turn) formAtCap(ctx context.Context, d *draft, text string) error {
	active, err := t.b.svc.ActiveTickets(ctx, t.actor, t.cust.Key())
	if err != nil {
		return t.fail(0, err)
	}
	raw, _ := json.Marshal(pending{Text: text, Attachments: d.Attachments})
	if err := t.b.store.SaveForm(ctx, FormKey{Kind: FormPending, User: t.user, Turn: t.key}, raw, pendingTTL); err != nil {
		return err
	}
	d.Done, d.Ticket = t.key, 0
	if err := t.saveDraft(ctx, d); err != nil {
		return err
	}
	r := (&botapi.Rich{}).Markup(t.tx.Cap.FormAtCapF, len(active))
	if len(active) > maxRouteChoices {
		active = active[:maxRouteChoices]
	}
	t.say(r, t.b.routeButtons(t.user, t.key, active), 0)
	return nil
}
