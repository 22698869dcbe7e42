package slack

import (
	"strings"
	"testing"

	slackapi "github.com/slack-go/slack"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// The card offers what the lifecycle allows from the ticket's status, the
// same for every agent: the owner's reply while it is claimed or waiting,
// the priority menu while it is active.
func TestCardActions(t *testing.T) {
	ana := tickets.Agent{ID: "UANA", Name: "Ana"}
	cases := []struct {
		status   tickets.Status
		assignee tickets.Agent
		want     string
	}{
		{tickets.StatusOpen, tickets.Agent{}, "ticket_claim:Claim:primary ticket_note:Internal note: ticket_priority"},
		{tickets.StatusClaimed, ana, "ticket_reply:Reply to customer:primary ticket_waiting:Waiting: ticket_resolve:Resolve: ticket_release:Release: ticket_note:Internal note: ticket_priority"},
		{tickets.StatusWaiting, ana, "ticket_reply:Reply to customer:primary ticket_claim:Resume: ticket_resolve:Resolve: ticket_release:Release: ticket_note:Internal note: ticket_priority"},
		{tickets.StatusResolved, ana, "ticket_close:Close: ticket_reopen:Reopen: ticket_note:Internal note:"},
		{tickets.StatusClosed, ana, "ticket_reopen:Reopen: ticket_note:Internal note:"},
	}
	for _, c := range cases {
		tk := tickets.Ticket{Number: 42, Status: c.status, Priority: tickets.HighestPriority, Assignee: c.assignee}
		var got []string
		for _, el := range cardActions(tk, "42") {
			switch el := el.(type) {
			case *slackapi.ButtonBlockElement:
				if el.Value != "42" {
					t.Errorf("%s: %s carries %q, want the ticket number", c.status, el.ActionID, el.Value)
				}
				got = append(got, el.ActionID+":"+el.Text.Text+":"+string(el.Style))
			case *slackapi.SelectBlockElement:
				got = append(got, el.ActionID)
			default:
				t.Errorf("%s: unexpected element %T", c.status, el)
			}
		}
		if g := strings.Join(got, " "); g != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.status, g, c.want)
		}
	}
}

// The customer's rating shows on the card, the comment as escaped,
// verbatim text.
func TestCardShowsRating(t *testing.T) {
	tk := tickets.Ticket{Number: 7, Status: tickets.StatusResolved, Priority: 3, Nature: tickets.NatureQuestion,
		Subject: "x", Description: "y", Rating: tickets.Rating{Stars: 4, Comment: "<!channel> *bien*"}}
	var found bool
	for _, b := range card(tk, tk.CreatedAt, ThreadReplies) {
		sec, ok := b.(*slackapi.SectionBlock)
		if !ok || sec.BlockID != "rating" {
			continue
		}
		found = true
		if !sec.Text.Verbatim || !strings.Contains(sec.Text.Text, "Rated 4/5") || strings.Contains(sec.Text.Text, "<!channel>") {
			t.Errorf("rating section = %+v", sec.Text)
		}
	}
	if !found {
		t.Fatal("no rating on the card of a rated ticket")
	}
	tk.Rating = tickets.Rating{}
	for _, b := range card(tk, tk.CreatedAt, ThreadReplies) {
		if sec, ok := b.(*slackapi.SectionBlock); ok && sec.BlockID == "rating" {
			t.Fatal("a rating section on an unrated ticket")
		}
	}
}
