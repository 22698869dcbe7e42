package main

import (
	"strings"
	"testing"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// TestEmailAtTheCap: a new mail from a customer at MAX_ACTIVE_TICKETS opens
// nothing; it is a message on their most recent active ticket, and they
// are told so by mail, with the ticket's tag for their reply.
func TestEmailAtTheCap(t *testing.T) {
	e := newMailEnv(t, "MAX_ACTIVE_TICKETS", "2")
	e.send(rawMail{From: "Carla <" + mailCustomer + ">", Subject: "Sin internet", MessageID: "cap1@example.com", Text: "No tengo internet."})
	e.ticket(1, "the first ticket", func(tickets.Ticket) bool { return true })
	e.send(rawMail{From: "Carla <" + mailCustomer + ">", Subject: "Factura", MessageID: "cap2@example.com", Text: "La factura está mal."})
	e.ticket(2, "the second ticket", func(tickets.Ticket) bool { return true })
	e.sent(2) // the acknowledgements
	e.send(rawMail{From: "Carla <" + mailCustomer + ">", Subject: "Impresora", MessageID: "cap3@example.com", Text: "La impresora no imprime."})
	got := e.sent(3)[2]
	if s := got.Header.Get("Subject"); !strings.Contains(s, "[#2]") || !strings.Contains(s, "Impresora") {
		t.Errorf("answer's subject = %q, want the mail's with ticket 2's tag", s)
	}
	if b := body(t, got); !strings.Contains(b, "se añadió a su ticket más reciente, el #2") {
		t.Errorf("answer = %q, want it to say the mail went to #2", b)
	}
	if m := e.lastMessage(2); m.Text != "La impresora no imprime." || m.Kind != tickets.MessageCustomer {
		t.Errorf("last message of #2 = %+v, want the customer's mail", m)
	}
	if n := e.barrier(1); n != 3 {
		t.Errorf("the barrier opened #%d; the mail at the cap opened a ticket", n)
	}
}
