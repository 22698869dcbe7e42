package telegram

import (
	"strings"
	"testing"

	"github.com/colombiainformatica/ticketbot/bots/telegram/botapi"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// A customer is offered close while their ticket is resolved, reopen and the
// rating once it is resolved or closed, and nothing on an active ticket or
// on someone else's.
func TestCustomerButtons(t *testing.T) {
	b := &Bot{key: []byte("test key")}
	tx := textsFor("en")
	maria := tickets.Customer{Platform: Platform, UserID: "7", ChatID: "7", Name: "María"}
	other := tickets.Customer{Platform: Platform, UserID: "8", ChatID: "8"}
	stars := "1⭐ 2⭐ 3⭐ 4⭐ 5⭐"
	cases := []struct {
		status tickets.Status
		who    tickets.Customer
		want   string
	}{
		{tickets.StatusOpen, maria, ""},
		{tickets.StatusClaimed, maria, ""},
		{tickets.StatusWaiting, maria, ""},
		{tickets.StatusResolved, maria, tx.CloseButton + " " + tx.ReopenButton + " | " + stars},
		{tickets.StatusClosed, maria, tx.ReopenButton + " | " + stars},
		{tickets.StatusResolved, other, ""},
	}
	for _, c := range cases {
		tk := tickets.Ticket{Number: 42, Status: c.status, Customer: maria, Assignee: tickets.Agent{ID: "UANA", Name: "Ana"}}
		kb := b.customerButtons(tx, 7, tickets.CustomerActor(c.who), tk)
		var rows []string
		for _, row := range kb {
			var labels []string
			for _, bt := range row {
				if _, _, ok := b.parseData(7, bt.Data); !ok {
					t.Errorf("%s: %q carries data the bot does not accept", c.status, bt.Text)
				}
				labels = append(labels, bt.Text)
			}
			rows = append(rows, strings.Join(labels, " "))
		}
		if got := strings.Join(rows, " | "); got != c.want {
			t.Errorf("%s for %s: got %q, want %q", c.status, c.who.UserID, got, c.want)
		}
	}
}

// "Which ticket?" offers at most maxRouteChoices buttons, whatever the
// number of active tickets (Telegram refuses a keyboard of more than 100),
// and says how to reach the others.
func TestRouteOffersBoundedChoices(t *testing.T) {
	b := &Bot{key: []byte("test key")}
	tx := textsFor("es")
	var active []tickets.Ticket
	for i := range 150 {
		active = append(active, tickets.Ticket{Number: int64(i + 1), Subject: "s"})
	}
	r, kb := b.routeMessage(tx, 7, "u1", active)
	if len(kb) != maxRouteChoices {
		t.Errorf("%d buttons", len(kb))
	}
	if text := strings.Join(r.Messages(botapi.MaxText), ""); !strings.Contains(text, "10 de sus 150") {
		t.Errorf("text %q", text)
	}
	r, kb = b.routeMessage(tx, 7, "u1", active[:3])
	if len(kb) != 3 || strings.Contains(strings.Join(r.Messages(botapi.MaxText), ""), "Se muestran") {
		t.Errorf("3 tickets: %d buttons", len(kb))
	}
}
