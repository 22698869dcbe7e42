package ticketstest

import (
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/tickets"
)

var createTests = []subtest{
	{"Numbering", func(t *testing.T, f *fixture) {
		for i := int64(1); i <= 3; i++ {
			tk := f.ticket(f.customer(), 3, tickets.IntakeChat)
			got := f.create(t, tk, f.rid("open"))
			want := tk
			want.Number, want.Version = i, 1
			diff(t, "created ticket", want, got, ignoreOpenedBy)
			diff(t, "stored ticket", want, f.get(t, i), ignoreOpenedBy)
			f.clock.Advance(time.Millisecond)
		}
		if q := f.queue(t); len(q) != 3 {
			t.Errorf("queue = %v; want the three tickets", q)
		}
	}},
	{"EveryField", func(t *testing.T, f *fixture) {
		// Everything a ticket holds comes back as it went in.
		c := tickets.Customer{Platform: "telegram", UserID: "42", ChatID: "-100042", Name: `Zoë "<b>" O'Brien 😀`, Language: "en"}
		tk := f.ticket(c, 2, tickets.IntakeEmail)
		tk.Nature, tk.Urgency = tickets.NatureAccess, tickets.UrgencyHigh
		tk.Subject, tk.Description = "No entra", "No puedo entrar\n<script>alert(1)</script> & ñandú"
		tk.Attachments = []tickets.Attachment{{Kind: "photo", FileID: "AgAD-1", Name: "pantalla.png", Size: 1234}, {Kind: "document", FileID: "F1", Source: "slack"}}
		got := f.create(t, tk, "open-1")
		want := tk
		want.Number, want.Version = 1, 1
		diff(t, "created ticket", want, got, ignoreOpenedBy)
		diff(t, "stored ticket", want, f.get(t, 1), ignoreOpenedBy)
		// And so does a ticket after changes to every field that changes.
		next := f.get(t, 1)
		next.Version++
		next.Status, next.Assignee = tickets.StatusResolved, ana
		next.Priority, next.Messages, next.Delivered, next.Unreachable = 1, 3, 2, "blocked"
		next.Rating = tickets.Rating{Stars: 4, Comment: "¡gracias!", At: start.Add(time.Hour)}
		next.UpdatedAt = start.Add(2 * time.Hour)
		if _, err := f.Store.Apply(f.ctx, tickets.Change{RequestID: "r1", Ticket: next, Event: tickets.Event{Number: 1, Kind: tickets.EventRated}}); err != nil {
			t.Fatal(err)
		}
		diff(t, "changed ticket", next, f.get(t, 1), ignoreOpenedBy)
	}},
	{"Event", func(t *testing.T, f *fixture) {
		tk := f.ticket(f.customer(), 3, tickets.IntakeChat)
		got := f.create(t, tk, "open-1")
		want := []tickets.Event{{Number: got.Number, Kind: tickets.EventOpened, To: tickets.StatusOpen, Actor: tickets.CustomerActor(tk.Customer), At: tk.CreatedAt, Priority: 3}}
		diff(t, "event log", want, f.events(t))
	}},
	{"RepeatedRequestID", func(t *testing.T, f *fixture) {
		c := f.customer()
		first := f.create(t, f.ticket(c, 3, tickets.IntakeChat), "tg:update:1")
		f.clock.Advance(time.Second)
		again := f.create(t, f.ticket(c, 3, tickets.IntakeChat), "tg:update:1")
		diff(t, "repeated Create", first, again)
		if n := len(f.events(t)); n != 1 {
			t.Errorf("%d events; want one", n)
		}
		if q := f.queue(t); len(q) != 1 {
			t.Errorf("queue = %v; want one ticket", q)
		}
		if mine, err := f.Queue.ByCustomer(f.ctx, c.Key(), 0, 10); err != nil || len(mine) != 1 {
			t.Errorf("ByCustomer = %v, %v; want one ticket", numbers(mine), err)
		}
		// Nothing was numbered either: the next ticket is #2.
		if next := f.create(t, f.ticket(c, 3, tickets.IntakeChat), "tg:update:2"); next.Number != 2 {
			t.Errorf("the next ticket is #%d; want #2", next.Number)
		}
	}},
	{"RepeatedRequestIDAfterAChange", func(t *testing.T, f *fixture) {
		// A late retry finds the ticket as it is now.
		c := f.customer()
		first := f.create(t, f.ticket(c, 3, tickets.IntakeChat), "tg:update:1")
		claimed, err := f.Store.Apply(f.ctx, f.change(first, ana, "claim-1"))
		if err != nil {
			t.Fatal(err)
		}
		n := len(f.events(t))
		again := f.create(t, f.ticket(c, 3, tickets.IntakeChat), "tg:update:1")
		diff(t, "late repeated Create", claimed, again, ignoreOpenedBy)
		if evs := f.eventsSince(t, n); len(evs) != 0 {
			t.Errorf("the late repeated Create appended %+v", evs)
		}
	}},
	{"OpenRequestKept", func(t *testing.T, f *fixture) {
		// The ticket keeps the request that opened it, like any field,
		// and a change writes it as the Service carries it.
		tk, err := f.svc.Open(tickets.WithRequestID(f.ctx, "tg:update:9"), tickets.OpenRequest{
			Customer: f.customer(), Nature: tickets.NatureQuestion, Urgency: tickets.UrgencyLow, Description: "hola"})
		if err != nil {
			t.Fatal(err)
		}
		if tk.OpenRequest != "tg:update:9" {
			t.Errorf("opened ticket's OpenRequest = %q; want %q", tk.OpenRequest, "tg:update:9")
		}
		if got := f.get(t, tk.Number).OpenRequest; got != "tg:update:9" {
			t.Errorf("stored ticket's OpenRequest = %q; want %q", got, "tg:update:9")
		}
		if _, err := f.svc.Claim(f.ctx, tickets.AgentActor(ana), tk.Number, false); err != nil {
			t.Fatal(err)
		}
		if got := f.get(t, tk.Number).OpenRequest; got != "tg:update:9" {
			t.Errorf("claimed ticket's OpenRequest = %q; want %q", got, "tg:update:9")
		}
	}},
}

var getTests = []subtest{
	{"NotFound", func(t *testing.T, f *fixture) {
		_, err := f.Store.Get(f.ctx, 1)
		wantErr(t, "Get of a ticket never created", err, tickets.ErrNotFound)
		f.create(t, f.ticket(f.customer(), 3, tickets.IntakeChat), "open-1")
		_, err = f.Store.Get(f.ctx, 2)
		wantErr(t, "Get(#2)", err, tickets.ErrNotFound)
	}},
}

var applyTests = []subtest{
	{"Writes", func(t *testing.T, f *fixture) {
		tk := f.create(t, f.ticket(f.customer(), 3, tickets.IntakeChat), "open-1")
		f.clock.Advance(time.Minute)
		c := f.change(tk, ana, "claim-1")
		got, err := f.Store.Apply(f.ctx, c)
		if err != nil {
			t.Fatalf("Apply: %v", err)
		}
		diff(t, "returned ticket", c.Ticket, got, ignoreOpenedBy)
		diff(t, "stored ticket", c.Ticket, f.get(t, tk.Number), ignoreOpenedBy)
		diff(t, "appended event", []tickets.Event{c.Event}, f.eventsSince(t, 1))
		// No message was given: none is stored.
		if msgs, err := f.Store.LastMessages(f.ctx, tk.Number, 10); err != nil || len(msgs) != 0 {
			t.Errorf("LastMessages = %+v, %v; want none", msgs, err)
		}
	}},
	{"Message", func(t *testing.T, f *fixture) {
		tk := f.create(t, f.ticket(f.customer(), 3, tickets.IntakeChat), "open-1")
		next := tk
		next.Version, next.Messages = 2, 1
		m := tickets.Message{ID: 1, Kind: tickets.MessageCustomer, Author: tickets.CustomerActor(tk.Customer), Text: "hola", At: f.clock.Now()}
		ev := tickets.Event{Number: tk.Number, Kind: tickets.EventMessage, From: tickets.StatusOpen, To: tickets.StatusOpen, Actor: m.Author, At: m.At, Priority: 3, MessageID: 1}
		if _, err := f.Store.Apply(f.ctx, tickets.Change{RequestID: "msg-1", Ticket: next, Message: &m, Event: ev}); err != nil {
			t.Fatal(err)
		}
		msgs, err := f.Store.LastMessages(f.ctx, tk.Number, 10)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "conversation", []tickets.Message{m}, msgs)
		diff(t, "appended event", []tickets.Event{ev}, f.eventsSince(t, 1))
	}},
	{"VersionConflict", func(t *testing.T, f *fixture) {
		tk := f.create(t, f.ticket(f.customer(), 3, tickets.IntakeChat), "open-1")
		if _, err := f.Store.Apply(f.ctx, f.change(tk, ana, "claim-ana")); err != nil {
			t.Fatal(err)
		}
		stored := f.get(t, tk.Number)
		// Beto's change was computed from version 1 too.
		_, err := f.Store.Apply(f.ctx, f.change(tk, beto, "claim-beto"))
		wantErr(t, "stale Apply", err, tickets.ErrVersionConflict)
		diff(t, "stored ticket after a conflict", stored, f.get(t, tk.Number))
		if n := len(f.events(t)); n != 2 {
			t.Errorf("%d events; want opened and Ana's claim", n)
		}
		if got := f.byAgent(t, beto.ID); len(got) != 0 {
			t.Errorf("Beto's index = %v after his change failed", got)
		}
		// A version from the future conflicts as well.
		c := f.change(stored, beto, "claim-beto-2")
		c.Ticket.Version += 5
		_, err = f.Store.Apply(f.ctx, c)
		wantErr(t, "Apply of a version ahead", err, tickets.ErrVersionConflict)
	}},
	{"NotFound", func(t *testing.T, f *fixture) {
		tk := f.ticket(f.customer(), 3, tickets.IntakeChat)
		tk.Number, tk.Version = 9, 1
		_, err := f.Store.Apply(f.ctx, f.change(tk, ana, "claim-9"))
		wantErr(t, "Apply to a ticket never created", err, tickets.ErrNotFound)
		if n := len(f.events(t)); n != 0 {
			t.Errorf("%d events; want none", n)
		}
	}},
	{"RepeatedRequestID", func(t *testing.T, f *fixture) {
		tk := f.create(t, f.ticket(f.customer(), 3, tickets.IntakeChat), "open-1")
		c := f.change(tk, ana, "slack:action:1")
		m := tickets.Message{ID: 1, Kind: tickets.MessageNote, Author: tickets.AgentActor(ana), Text: "mío", At: f.clock.Now()}
		c.Message, c.Ticket.Messages = &m, 1
		if ok, err := f.Store.Applied(f.ctx, tk.Number, c.RequestID); err != nil || ok {
			t.Errorf("Applied before the change = %v, %v; want false", ok, err)
		}
		first, err := f.Store.Apply(f.ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		again, err := f.Store.Apply(f.ctx, c)
		if err != nil {
			t.Fatalf("repeated Apply: %v", err)
		}
		diff(t, "repeated Apply", first, again, ignoreOpenedBy)
		if ok, err := f.Store.Applied(f.ctx, tk.Number, c.RequestID); err != nil || !ok {
			t.Errorf("Applied after the change = %v, %v; want true", ok, err)
		}
		if ok, err := f.Store.Applied(f.ctx, tk.Number+1, c.RequestID); err != nil || ok {
			t.Errorf("Applied for another ticket = %v, %v; want false", ok, err)
		}
		// Repeated after another change: still a no-op, which returns the
		// ticket as it is now.
		f.clock.Advance(time.Second)
		released := again
		released.Version++
		released.Status, released.Assignee, released.UpdatedAt = tickets.StatusOpen, tickets.Agent{}, f.clock.Now()
		if _, err := f.Store.Apply(f.ctx, tickets.Change{RequestID: "release-1", Ticket: released, PreviousAssignee: ana.ID, Queue: tickets.QueueAdd,
			Event: tickets.Event{Number: tk.Number, Kind: tickets.EventReleased, From: tickets.StatusClaimed, To: tickets.StatusOpen, Actor: tickets.AgentActor(ana), At: f.clock.Now(), Priority: 3}}); err != nil {
			t.Fatal(err)
		}
		late, err := f.Store.Apply(f.ctx, c)
		if err != nil {
			t.Fatalf("late repeated Apply: %v", err)
		}
		diff(t, "late repeated Apply", released, late, ignoreOpenedBy)
		diff(t, "stored ticket", released, f.get(t, tk.Number), ignoreOpenedBy)
		if n := len(f.events(t)); n != 3 {
			t.Errorf("%d events; want opened, claimed, released", n)
		}
		if msgs, _ := f.Store.LastMessages(f.ctx, tk.Number, 10); len(msgs) != 1 {
			t.Errorf("%d messages; want the one", len(msgs))
		}
		if q := f.queue(t); len(q) != 1 {
			t.Errorf("queue = %v; want the released ticket", q)
		}
		if got := f.byAgent(t, ana.ID); len(got) != 0 {
			t.Errorf("Ana's index = %v; want empty", got)
		}
	}},
	{"QueueOps", func(t *testing.T, f *fixture) {
		a := f.create(t, f.ticket(f.customer(), 3, tickets.IntakeChat), "open-a")
		f.clock.Advance(time.Millisecond)
		b := f.create(t, f.ticket(f.customer(), 3, tickets.IntakeChat), "open-b")
		step := func(cur tickets.Ticket, op tickets.QueueOp, p tickets.Priority, rid string) tickets.Ticket {
			t.Helper()
			next := cur
			next.Version++
			next.Priority = p
			got, err := f.Store.Apply(f.ctx, tickets.Change{RequestID: rid, Ticket: next, Queue: op,
				Event: tickets.Event{Number: cur.Number, Kind: tickets.EventPriority, From: cur.Status, To: cur.Status, Priority: p, OldPriority: cur.Priority}})
			if err != nil {
				t.Fatalf("Apply %s: %v", rid, err)
			}
			return got
		}
		a = step(a, tickets.QueueRemove, 3, "remove")
		diff(t, "queue after QueueRemove", []int64{b.Number}, f.queue(t))
		a = step(a, tickets.QueueKeep, 3, "keep")
		diff(t, "queue after QueueKeep", []int64{b.Number}, f.queue(t))
		a = step(a, tickets.QueueAdd, 3, "add")
		diff(t, "queue after QueueAdd: back at its arrival", []int64{a.Number, b.Number}, f.queue(t))
		b = step(b, tickets.QueueAdd, 1, "raise")
		diff(t, "queue after raising #2 to P1", []int64{b.Number, a.Number}, f.queue(t))
		step(b, tickets.QueueKeep, 4, "keep-lower")
		diff(t, "queue after QueueKeep with another priority: unmoved", []int64{b.Number, a.Number}, f.queue(t))
	}},
}
