package slack

import (
	"strings"
	"testing"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// When messages reach the customer again, the card's "unreachable" mark
// goes away and the thread says so.
func TestReachableClearsTheCardMark(t *testing.T) {
	h := newHarness(t)
	tk := h.open("VPN", tickets.NatureAccess, tickets.UrgencyNormal)
	if _, err := h.svc.FlagUnreachable(h.ctx, tk.Number, "blocked"); err != nil {
		t.Fatal(err)
	}
	h.pump()
	if got := h.card(tk.Number).PlainText(); !strings.Contains(got, "Customer unreachable") {
		t.Fatalf("card not flagged:\n%s", got)
	}
	if _, err := h.svc.MarkReachable(h.ctx, tk.Number); err != nil {
		t.Fatal(err)
	}
	evs := h.pump()
	if !hasKind(evs, tickets.EventReachable) {
		t.Fatalf("events %v", kinds(evs))
	}
	if got := h.card(tk.Number).PlainText(); strings.Contains(got, "unreachable") {
		t.Errorf("card still flagged:\n%s", got)
	}
	thread := h.fake.Thread(queue, h.cardTS(tk.Number))
	if last := thread[len(thread)-1].PlainText(); !strings.Contains(last, "reach the customer again") {
		t.Errorf("thread ends with %q", last)
	}
}
