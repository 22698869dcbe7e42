package tickets_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/tickets"
	"github.com/google/go-cmp/cmp"
)

func TestOpen(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	m := e.mark()
	att := []tickets.Attachment{{Kind: "photo", FileID: "F1"}}
	tk, err := e.svc.Open(e.ctx, tickets.OpenRequest{
		Customer: alice, Nature: tickets.NatureMalfunction, Urgency: tickets.UrgencyHigh,
		Description: "  \n  The printer is on fire  \nand the fax too\n", Attachments: att,
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	want := tickets.Ticket{
		Number: 1, Version: 1, Customer: alice, Intake: tickets.IntakeChat,
		Nature: tickets.NatureMalfunction, Urgency: tickets.UrgencyHigh, Priority: 2,
		Subject:     "The printer is on fire",
		Description: "The printer is on fire  \nand the fax too",
		Attachments: att, Status: tickets.StatusOpen, CreatedAt: start, UpdatedAt: start,
	}
	// Without WithRequestID the Service makes a request ID of its own.
	if tk.OpenRequest == "" {
		t.Error("the opened ticket has no OpenRequest")
	}
	want.OpenRequest = tk.OpenRequest
	if diff := cmp.Diff(want, tk); diff != "" {
		t.Errorf("Open returned (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, e.get(t, 1)); diff != "" {
		t.Errorf("stored ticket (-want +got):\n%s", diff)
	}
	ev := e.expectEvent(t, m, 1, tickets.EventOpened, 0, tickets.StatusOpen)
	if ev.Actor != aliceA || ev.Priority != 2 {
		t.Errorf("opened event actor %+v priority %s; want %+v P2", ev.Actor, ev.Priority, aliceA)
	}
	if got := e.queueNumbers(t); !cmp.Equal(got, []int64{1}) {
		t.Errorf("queue = %v; want [1]", got)
	}
	mine, err := e.svc.CustomerTickets(e.ctx, aliceA, alice.Key(), 0, 0)
	if err != nil || len(mine) != 1 || mine[0].Number != 1 {
		t.Errorf("CustomerTickets = %v, %v; want ticket #1", mine, err)
	}
}

func TestOpenPriorityFromPolicy(t *testing.T) {
	policy, err := tickets.ParsePolicy("question.low=1")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, tickets.Config{Policy: policy})
	for _, c := range []struct {
		n    tickets.Nature
		u    tickets.Urgency
		want tickets.Priority
	}{
		{tickets.NatureOutage, tickets.UrgencyLow, 1},
		{tickets.NatureQuestion, tickets.UrgencyLow, 1}, // overridden
		{tickets.NatureQuestion, tickets.UrgencyNormal, 4},
		{tickets.NatureAccess, tickets.UrgencyHigh, 2},
	} {
		if tk := e.open(t, alice, c.n, c.u); tk.Priority != c.want {
			t.Errorf("%s.%s opened at %s; want %s", c.n, c.u, tk.Priority, c.want)
		}
	}
	if got := e.svc.Policy().Priority(tickets.NatureQuestion, tickets.UrgencyLow); got != 1 {
		t.Errorf("Service.Policy() lost the override: %s", got)
	}
}

func TestOpenValidation(t *testing.T) {
	valid := func() tickets.OpenRequest {
		return tickets.OpenRequest{Customer: alice, Nature: tickets.NatureQuestion, Urgency: tickets.UrgencyLow, Description: "help"}
	}
	tooMany := make([]tickets.Attachment, tickets.MaxAttachments+1)
	for _, c := range []struct {
		name   string
		change func(r *tickets.OpenRequest)
		msg    string
	}{
		{"empty description", func(r *tickets.OpenRequest) { r.Description = "" }, "description is empty"},
		{"blank description", func(r *tickets.OpenRequest) { r.Description = " \n\t " }, "description is empty"},
		{"description too long", func(r *tickets.OpenRequest) { r.Description = strings.Repeat("ñ", tickets.MaxTextRunes+1) }, "too long"},
		{"too many attachments", func(r *tickets.OpenRequest) { r.Attachments = tooMany }, "too many attachments"},
		{"unknown nature", func(r *tickets.OpenRequest) { r.Nature = "fire" }, "unknown nature"},
		{"no nature", func(r *tickets.OpenRequest) { r.Nature = "" }, "unknown nature"},
		{"no urgency", func(r *tickets.OpenRequest) { r.Urgency = 0 }, "unknown urgency"},
		{"urgency out of range", func(r *tickets.OpenRequest) { r.Urgency = tickets.UrgencyCritical + 1 }, "unknown urgency"},
		{"unknown intake", func(r *tickets.OpenRequest) { r.Intake = "fax" }, "unknown intake"},
		{"anonymous customer", func(r *tickets.OpenRequest) { r.Customer.UserID = "" }, "not identified"},
		{"subject too long", func(r *tickets.OpenRequest) { r.Subject = strings.Repeat("a", tickets.MaxSubjectRunes+1) }, "subject is too long"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, tickets.Config{})
			r := valid()
			c.change(&r)
			_, err := e.svc.Open(e.ctx, r)
			wantCode(t, err, tickets.EINVALID)
			wantMessage(t, err, c.msg)
			if n := e.store.Len(); n != 0 {
				t.Errorf("%d tickets stored; want none", n)
			}
			e.expectNoEvent(t, mark{})
		})
	}
	t.Run("at the limits", func(t *testing.T) {
		e := newEnv(t, tickets.Config{})
		r := valid()
		r.Description = strings.Repeat("ñ", tickets.MaxTextRunes)
		r.Subject = strings.Repeat("a", tickets.MaxSubjectRunes)
		r.Attachments = make([]tickets.Attachment, tickets.MaxAttachments)
		if _, err := e.svc.Open(e.ctx, r); err != nil {
			t.Fatalf("Open at the limits: %v", err)
		}
	})
}

func TestOpenSubject(t *testing.T) {
	long := "The printer on the third floor prints every page twice and then jams forever"
	accented := strings.Repeat("á", 20) + " " + strings.Repeat("é", 45)
	for _, c := range []struct{ name, subject, description, want string }{
		{"given", "  Printer  ", "it is broken", "Printer"},
		{"first non-empty line", "", "\n\n  Cannot log in \nsince Monday", "Cannot log in"},
		{"cut at a word", "", long, "The printer on the third floor prints every page twice and…"},
		{"no space to cut at", "", strings.Repeat("x", 70), strings.Repeat("x", 60) + "…"},
		// The only space is at rune 20 (byte 40): too early to cut there.
		{"accented", "", accented, strings.Repeat("á", 20) + " " + strings.Repeat("é", 39) + "…"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, tickets.Config{})
			tk, err := e.svc.Open(e.ctx, tickets.OpenRequest{Customer: alice, Nature: tickets.NatureQuestion, Urgency: tickets.UrgencyLow, Subject: c.subject, Description: c.description})
			if err != nil {
				t.Fatal(err)
			}
			if tk.Subject != c.want {
				t.Errorf("subject = %q; want %q", tk.Subject, c.want)
			}
		})
	}
}

func TestOpenTerms(t *testing.T) {
	e := newEnv(t, tickets.Config{TermsVersion: "v2"})
	req := tickets.OpenRequest{Customer: alice, Nature: tickets.NatureQuestion, Urgency: tickets.UrgencyLow, Description: "help"}
	_, err := e.svc.Open(e.ctx, req)
	if !errors.Is(err, tickets.ErrTermsNotAccepted) {
		t.Fatalf("Open before accepting the terms: %v; want ErrTermsNotAccepted", err)
	}
	wantCode(t, err, tickets.ETERMS)
	if n := e.store.Len(); n != 0 {
		t.Fatalf("%d tickets stored without terms", n)
	}
	e.expectNoEvent(t, mark{})

	_, err = e.svc.AcceptTerms(e.ctx, alice, tickets.Consent{Terms: "v1"})
	wantCode(t, err, tickets.EINVALID)
	if p, _ := e.svc.Profile(e.ctx, alice); !e.svc.NeedsTerms(p) {
		t.Fatal("accepting an old version satisfied the terms")
	}

	p, err := e.svc.AcceptTerms(e.ctx, alice, tickets.Consent{Terms: "v2"})
	if err != nil {
		t.Fatalf("AcceptTerms(v2): %v", err)
	}
	if p.CustomerKey != alice.Key() || p.TermsVersion != "v2" || !p.TermsAccepted.Equal(start) {
		t.Errorf("profile = %+v", p)
	}
	if _, err := e.svc.Open(e.ctx, req); err != nil {
		t.Fatalf("Open after accepting: %v", err)
	}

	// E-mail intake accepts the terms by being sent.
	if _, err := e.svc.Open(e.ctx, tickets.OpenRequest{Customer: mailer, Intake: tickets.IntakeEmail, Nature: tickets.NatureQuestion, Urgency: tickets.UrgencyLow, Description: "help"}); err != nil {
		t.Fatalf("e-mail Open without terms: %v", err)
	}

	// A new version of the terms is asked again.
	next := tickets.NewService(e.store, e.store, e.store, tickets.Config{TermsVersion: "v3", Clock: e.clock})
	if _, err := next.Open(e.ctx, req); !errors.Is(err, tickets.ErrTermsNotAccepted) {
		t.Errorf("Open under new terms: %v; want ErrTermsNotAccepted", err)
	}
	if _, err := next.AcceptTerms(e.ctx, alice, tickets.Consent{Terms: "v2"}); tickets.ErrorCode(err) != tickets.EINVALID {
		t.Errorf("AcceptTerms(v2) under v3: %v; want EINVALID", err)
	}

	// Without a terms version nothing is asked.
	none := newEnv(t, tickets.Config{})
	if _, err := none.svc.Open(none.ctx, req); err != nil {
		t.Errorf("Open with no terms configured: %v", err)
	}
}

func TestProfileLanguage(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	p, err := e.svc.SetLanguage(e.ctx, alice, "en")
	if err != nil || p.Language != "en" {
		t.Fatalf("SetLanguage(en) = %+v, %v", p, err)
	}
	if _, err := e.svc.SetLanguage(e.ctx, alice, "fr"); tickets.ErrorCode(err) != tickets.EINVALID {
		t.Errorf("SetLanguage(fr): %v; want EINVALID", err)
	}
	if p, _ := e.svc.Profile(e.ctx, alice); p.Language != "en" {
		t.Errorf("language = %q after a refused change", p.Language)
	}
	if p, _ := e.svc.Profile(e.ctx, bob); p.CustomerKey != bob.Key() || p.Language != "" {
		t.Errorf("unknown customer profile = %+v", p)
	}
}

func TestOpenRequestID(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	req := tickets.OpenRequest{Customer: alice, Nature: tickets.NatureQuestion, Urgency: tickets.UrgencyLow, Description: "help"}
	ctx := tickets.WithRequestID(e.ctx, "telegram:update:42")
	first, err := e.svc.Open(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Second)
	again, err := e.svc.Open(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("the repeated Open returned another ticket (-first +again):\n%s", diff)
	}
	if first.OpenRequest != "telegram:update:42" {
		t.Errorf("OpenRequest = %q; want the request ID", first.OpenRequest)
	}
	if n := e.store.Len(); n != 1 {
		t.Errorf("%d tickets stored; want 1", n)
	}
	if n := len(e.store.Events()); n != 1 {
		t.Errorf("%d events stored; want 1", n)
	}
	if got := e.queueNumbers(t); !cmp.Equal(got, []int64{1}) {
		t.Errorf("queue = %v; want [1]", got)
	}
	// Every change carries OpenRequest, so a late retry still finds the
	// ticket.
	if claimed, err := e.svc.Claim(e.ctx, anaA, first.Number, false); err != nil || claimed.OpenRequest != first.OpenRequest {
		t.Errorf("claimed ticket's OpenRequest = %q, %v; want %q", claimed.OpenRequest, err, first.OpenRequest)
	}
	if late, err := e.svc.Open(ctx, req); err != nil || late.Number != first.Number || late.Status != tickets.StatusClaimed {
		t.Errorf("late repeated Open = #%d %s, %v; want #%d as it is now, claimed", late.Number, late.Status, err, first.Number)
	}
	// Another request ID is another ticket; so is a call without one.
	if tk, _ := e.svc.Open(tickets.WithRequestID(e.ctx, "telegram:update:43"), req); tk.Number != 2 {
		t.Errorf("second request opened #%d; want #2", tk.Number)
	}
	if tk, _ := e.svc.Open(e.ctx, req); tk.Number != 3 {
		t.Errorf("call without a request ID opened #%d; want #3", tk.Number)
	}
	if tk, _ := e.svc.Open(e.ctx, req); tk.Number != 4 {
		t.Errorf("another call without a request ID opened #%d; want #4", tk.Number)
	}
}

func TestClaim(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	tk := e.open(t, alice, tickets.NatureAccess, tickets.UrgencyHigh)
	e.open(t, bob, tickets.NatureAccess, tickets.UrgencyHigh)

	m := e.mark()
	got, err := e.svc.Claim(e.ctx, anaA, tk.Number, false)
	if err != nil {
		t.Fatalf("Claim: %v", err)
	}
	if got.Status != tickets.StatusClaimed || got.Assignee != ana || got.Version != 2 || !got.UpdatedAt.Equal(e.clock.Now()) {
		t.Errorf("claimed ticket = %+v", got)
	}
	e.expectEvent(t, m, tk.Number, tickets.EventClaimed, tickets.StatusOpen, tickets.StatusClaimed)
	changes := e.store.Changes()
	if c := changes[len(changes)-1]; c.Queue != tickets.QueueRemove || c.PreviousAssignee != "" || c.Ticket.Assignee != ana || c.Message != nil {
		t.Errorf("store received %+v; want QueueRemove to ana", c)
	}
	if q := e.queueNumbers(t); !cmp.Equal(q, []int64{2}) {
		t.Errorf("queue = %v; want [2]", q)
	}
	if mine, _ := e.svc.AgentTickets(e.ctx, anaA, ana.ID, 0, 0); len(mine) != 1 || mine[0].Number != tk.Number {
		t.Errorf("Ana's tickets = %v", mine)
	}

	// The owner claiming again changes nothing.
	m = e.mark()
	if again, err := e.svc.Claim(e.ctx, anaA, tk.Number, false); err != nil || again.Version != 2 {
		t.Errorf("second claim by the owner = v%d, %v; want v2, nil", again.Version, err)
	}
	e.expectNoEvent(t, m)

	// A second agent learns who holds it.
	_, err = e.svc.Claim(e.ctx, betoA, tk.Number, false)
	if ce := wantCode(t, err, tickets.ECONFLICT); ce.Holder != "Ana" {
		t.Errorf("Holder = %q; want Ana", ce.Holder)
	}
	wantMessage(t, err, "claimed by Ana")
	e.expectNoEvent(t, m)

	// Customers never claim.
	_, err = e.svc.Claim(e.ctx, aliceA, 2, false)
	wantCode(t, err, tickets.EFORBIDDEN)
	_, err = e.svc.Claim(e.ctx, tickets.Actor{Role: tickets.RoleAgent}, 2, false)
	wantCode(t, err, tickets.EFORBIDDEN)
	e.expectNoEvent(t, m)

	// Claiming a ticket that does not exist.
	_, err = e.svc.Claim(e.ctx, anaA, 99, false)
	if !errors.Is(err, tickets.ErrNotFound) {
		t.Errorf("Claim(#99): %v; want ErrNotFound", err)
	}
}

func TestTakeover(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	tk := e.open(t, alice, tickets.NatureAccess, tickets.UrgencyHigh)
	if _, err := e.svc.Claim(e.ctx, anaA, tk.Number, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetWaiting(e.ctx, anaA, tk.Number); err != nil {
		t.Fatal(err)
	}
	m := e.mark()
	got, err := e.svc.Claim(e.ctx, betoA, tk.Number, true)
	if err != nil {
		t.Fatalf("takeover: %v", err)
	}
	if got.Assignee != beto || got.Status != tickets.StatusClaimed {
		t.Errorf("after takeover: %s owned by %+v", got.Status, got.Assignee)
	}
	ev := e.expectEvent(t, m, tk.Number, tickets.EventClaimed, tickets.StatusWaiting, tickets.StatusClaimed)
	if !ev.Takeover || ev.Previous != ana || ev.Actor != betoA {
		t.Errorf("takeover event = %+v", ev)
	}
	changes := e.store.Changes()
	if c := changes[len(changes)-1]; c.PreviousAssignee != ana.ID || c.Queue != tickets.QueueKeep {
		t.Errorf("store received PreviousAssignee %q, queue op %d; want %q, keep", c.PreviousAssignee, c.Queue, ana.ID)
	}
	if mine, _ := e.svc.AgentTickets(e.ctx, anaA, ana.ID, 0, 0); len(mine) != 0 {
		t.Errorf("Ana still lists %d tickets", len(mine))
	}
	if mine, _ := e.svc.AgentTickets(e.ctx, betoA, beto.ID, 0, 0); len(mine) != 1 {
		t.Errorf("Beto lists %d tickets; want 1", len(mine))
	}
	// Ana lost it: she can no longer act as the owner.
	_, err = e.svc.Resolve(e.ctx, anaA, tk.Number)
	wantCode(t, err, tickets.ECONFLICT)
}

// TestClaimRace makes another agent's claim land between Ana's read and her
// write: Ana's conditional write fails, the Service reads again and reports
// who won.
func TestClaimRace(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	tk := e.open(t, alice, tickets.NatureAccess, tickets.UrgencyHigh)
	var once sync.Once
	e.store.OnApply(func(c tickets.Change) {
		if c.Event.Actor == anaA {
			once.Do(func() {
				if _, err := e.svc.Claim(e.ctx, betoA, tk.Number, false); err != nil {
					t.Errorf("Beto's claim: %v", err)
				}
			})
		}
	})
	m := e.mark()
	_, err := e.svc.Claim(e.ctx, anaA, tk.Number, false)
	if ce := wantCode(t, err, tickets.ECONFLICT); ce.Holder != "Beto" {
		t.Errorf("Holder = %q; want Beto", ce.Holder)
	}
	ev := e.expectEvent(t, m, tk.Number, tickets.EventClaimed, tickets.StatusOpen, tickets.StatusClaimed)
	if ev.Actor != betoA {
		t.Errorf("the claim event is %+v's", ev.Actor)
	}
	if got := e.get(t, tk.Number); got.Assignee != beto || got.Version != 2 {
		t.Errorf("stored ticket owned by %+v at v%d", got.Assignee, got.Version)
	}
}

// TestClaimConcurrent lets many agents claim one ticket at once: exactly one
// owns it and every other learns who.
func TestClaimConcurrent(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	tk := e.open(t, alice, tickets.NatureAccess, tickets.UrgencyHigh)
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			a := tickets.AgentActor(tickets.Agent{ID: fmt.Sprintf("U%d", 10+i), Name: fmt.Sprintf("Agent %d", i)})
			_, errs[i] = e.svc.Claim(e.ctx, a, tk.Number, false)
		})
	}
	wg.Wait()
	owner := e.get(t, tk.Number).Assignee
	wins := 0
	for i, err := range errs {
		if err == nil {
			wins++
			continue
		}
		if ce := wantCode(t, err, tickets.ECONFLICT); ce.Holder != owner.Name {
			t.Errorf("agent %d was told %q holds it; the owner is %q", i, ce.Holder, owner.Name)
		}
	}
	if wins != 1 {
		t.Errorf("%d agents won the claim; want exactly 1", wins)
	}
	if got := e.store.Events(); len(got) != 2 {
		t.Errorf("%d events stored; want opened and one claim", len(got))
	}
}

func TestClaimNextOrder(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	question := e.open(t, alice, tickets.NatureQuestion, tickets.UrgencyLow) // P4
	outage := e.open(t, alice, tickets.NatureOutage, tickets.UrgencyLow)     // P1
	access := e.open(t, bob, tickets.NatureAccess, tickets.UrgencyNormal)    // P2
	mailed := e.open(t, mailer, tickets.NatureOutage, tickets.UrgencyHigh)   // P1, e-mail
	outage2 := e.open(t, bob, tickets.NatureOutage, tickets.UrgencyCritical) // P1, later
	question2 := e.open(t, bob, tickets.NatureQuestion, tickets.UrgencyLow)  // P4, later
	want := []int64{outage.Number, outage2.Number, mailed.Number, access.Number, question.Number, question2.Number}
	if got := e.queueNumbers(t); !cmp.Equal(got, want) {
		t.Fatalf("queue = %v; want %v", got, want)
	}
	for i, n := range want {
		m := e.mark()
		tk, err := e.svc.ClaimNext(e.ctx, anaA)
		if err != nil {
			t.Fatalf("ClaimNext %d: %v", i, err)
		}
		if tk.Number != n || tk.Status != tickets.StatusClaimed || tk.Assignee != ana {
			t.Errorf("ClaimNext %d gave #%d %s %+v; want #%d claimed by Ana", i, tk.Number, tk.Status, tk.Assignee, n)
		}
		ev := e.expectEvent(t, m, n, tickets.EventClaimed, tickets.StatusOpen, tickets.StatusClaimed)
		if ev.Actor != anaA || ev.Priority != tk.Priority {
			t.Errorf("claim-next event = %+v", ev)
		}
		e.clock.Advance(time.Second)
	}
	m := e.mark()
	if _, err := e.svc.ClaimNext(e.ctx, anaA); !errors.Is(err, tickets.ErrQueueEmpty) {
		t.Errorf("ClaimNext on an empty queue: %v; want ErrQueueEmpty", err)
	}
	e.expectNoEvent(t, m)
	mine, err := e.svc.AgentTickets(e.ctx, anaA, ana.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, tk := range mine {
		got = append(got, tk.Number)
	}
	if !cmp.Equal(got, want) {
		t.Errorf("Ana's tickets, oldest claim first = %v; want %v", got, want)
	}
	if _, err := e.svc.ClaimNext(e.ctx, aliceA); tickets.ErrorCode(err) != tickets.EFORBIDDEN {
		t.Errorf("customer ClaimNext: %v; want EFORBIDDEN", err)
	}
}

func TestClaimNextRequestID(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	e.open(t, alice, tickets.NatureQuestion, tickets.UrgencyLow)
	e.open(t, bob, tickets.NatureQuestion, tickets.UrgencyLow)
	ctx := tickets.WithRequestID(e.ctx, "slack:action:7")
	first, err := e.svc.ClaimNext(ctx, anaA)
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.svc.ClaimNext(ctx, anaA)
	if err != nil || again.Number != first.Number {
		t.Errorf("repeated ClaimNext = #%d, %v; want #%d", again.Number, err, first.Number)
	}
	if q := e.queueNumbers(t); !cmp.Equal(q, []int64{2}) {
		t.Errorf("queue = %v; want [2]: a repeated ClaimNext took a second ticket", q)
	}
}

func TestRelease(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	first := e.open(t, alice, tickets.NatureQuestion, tickets.UrgencyLow)
	e.open(t, bob, tickets.NatureQuestion, tickets.UrgencyLow)
	e.open(t, bob, tickets.NatureQuestion, tickets.UrgencyLow)
	if _, err := e.svc.ClaimNext(e.ctx, anaA); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	e.open(t, bob, tickets.NatureQuestion, tickets.UrgencyLow)

	m := e.mark()
	_, err := e.svc.Release(e.ctx, betoA, first.Number)
	wantCode(t, err, tickets.ECONFLICT)
	_, err = e.svc.Release(e.ctx, aliceA, first.Number)
	wantCode(t, err, tickets.EFORBIDDEN)
	e.expectNoEvent(t, m)

	got, err := e.svc.Release(e.ctx, anaA, first.Number)
	if err != nil {
		t.Fatalf("Release: %v", err)
	}
	if got.Status != tickets.StatusOpen || got.Claimed() || !got.CreatedAt.Equal(first.CreatedAt) {
		t.Errorf("released ticket = %s, %+v, created %v", got.Status, got.Assignee, got.CreatedAt)
	}
	e.expectEvent(t, m, first.Number, tickets.EventReleased, tickets.StatusClaimed, tickets.StatusOpen)
	changes := e.store.Changes()
	if c := changes[len(changes)-1]; c.Queue != tickets.QueueAdd || c.PreviousAssignee != ana.ID {
		t.Errorf("store received queue op %d, previous %q; want QueueAdd, %q", c.Queue, c.PreviousAssignee, ana.ID)
	}
	if q := e.queueNumbers(t); !cmp.Equal(q, []int64{1, 2, 3, 4}) {
		t.Errorf("queue = %v; want the released #1 back in front", q)
	}
	if mine, _ := e.svc.AgentTickets(e.ctx, anaA, ana.ID, 0, 0); len(mine) != 0 {
		t.Errorf("Ana still lists %d tickets", len(mine))
	}
	m = e.mark()
	_, err = e.svc.Release(e.ctx, anaA, first.Number)
	wantCode(t, err, tickets.EINVALID)
	e.expectNoEvent(t, m)
}

func TestWaitingAndCustomerAnswer(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	tk := e.open(t, alice, tickets.NatureAccess, tickets.UrgencyHigh)
	if _, err := e.svc.Claim(e.ctx, anaA, tk.Number, false); err != nil {
		t.Fatal(err)
	}
	m := e.mark()
	_, err := e.svc.SetWaiting(e.ctx, betoA, tk.Number)
	wantCode(t, err, tickets.ECONFLICT)
	e.expectNoEvent(t, m)

	got, err := e.svc.SetWaiting(e.ctx, anaA, tk.Number)
	if err != nil || got.Status != tickets.StatusWaiting {
		t.Fatalf("SetWaiting = %s, %v", got.Status, err)
	}
	e.expectEvent(t, m, tk.Number, tickets.EventWaiting, tickets.StatusClaimed, tickets.StatusWaiting)
	_, err = e.svc.SetWaiting(e.ctx, anaA, tk.Number)
	wantCode(t, err, tickets.EINVALID)

	e.clock.Advance(time.Minute)
	m = e.mark()
	att := []tickets.Attachment{{Kind: "document", FileID: "D1", Name: "log.txt"}}
	got, msg, err := e.svc.AddMessage(e.ctx, aliceA, tk.Number, tickets.MessageInput{Kind: tickets.MessageNote, Text: " here is the log ", Attachments: att, Ref: "tg:55"})
	if err != nil {
		t.Fatalf("customer message: %v", err)
	}
	if got.Status != tickets.StatusClaimed || got.Assignee != ana || got.Messages != 1 {
		t.Errorf("after the customer's answer: %s, %+v, %d messages", got.Status, got.Assignee, got.Messages)
	}
	ev := e.expectEvent(t, m, tk.Number, tickets.EventMessage, tickets.StatusWaiting, tickets.StatusClaimed)
	want := tickets.Message{ID: 1, Kind: tickets.MessageCustomer, Author: aliceA, Text: "here is the log", Attachments: att, At: e.clock.Now(), Ref: "tg:55"}
	if diff := cmp.Diff(want, msg); diff != "" {
		t.Errorf("returned message (-want +got):\n%s", diff)
	}
	if ev.MessageID != msg.ID {
		t.Errorf("event MessageID = %d; want %d: delivery could not find the message", ev.MessageID, msg.ID)
	}
	stored, err := e.svc.Conversation(e.ctx, anaA, tk.Number, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]tickets.Message{want}, stored); diff != "" {
		t.Errorf("stored conversation (-want +got):\n%s", diff)
	}
	// A customer message on a claimed ticket keeps it claimed.
	m = e.mark()
	if _, _, err := e.svc.AddMessage(e.ctx, aliceA, tk.Number, tickets.MessageInput{Text: "any news?"}); err != nil {
		t.Fatal(err)
	}
	e.expectEvent(t, m, tk.Number, tickets.EventMessage, tickets.StatusClaimed, tickets.StatusClaimed)
}

func TestMessageValidation(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	tk := e.open(t, alice, tickets.NatureQuestion, tickets.UrgencyLow)
	m := e.mark()
	for _, c := range []struct {
		name string
		in   tickets.MessageInput
		msg  string
	}{
		{"empty", tickets.MessageInput{Text: "  "}, "empty"},
		{"too long", tickets.MessageInput{Text: strings.Repeat("ü", tickets.MaxTextRunes+1)}, "too long"},
		{"too many attachments", tickets.MessageInput{Text: "x", Attachments: make([]tickets.Attachment, tickets.MaxAttachments+1)}, "too many attachments"},
	} {
		_, _, err := e.svc.AddMessage(e.ctx, aliceA, tk.Number, c.in)
		wantCode(t, err, tickets.EINVALID)
		wantMessage(t, err, c.msg)
	}
	e.expectNoEvent(t, m)
	// Attachments alone are a message.
	if _, _, err := e.svc.AddMessage(e.ctx, aliceA, tk.Number, tickets.MessageInput{Attachments: []tickets.Attachment{{Kind: "photo", FileID: "P"}}}); err != nil {
		t.Errorf("attachment-only message: %v", err)
	}
}

func TestReplyOnlyOwner(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	tk := e.open(t, alice, tickets.NatureAccess, tickets.UrgencyHigh)
	reply := tickets.MessageInput{Kind: tickets.MessageReply, Text: "try turning it off and on"}
	m := e.mark()
	_, _, err := e.svc.AddMessage(e.ctx, anaA, tk.Number, reply)
	wantCode(t, err, tickets.EINVALID) // not claimed yet
	wantMessage(t, err, "claim it first")
	e.expectNoEvent(t, m)

	if _, err := e.svc.Claim(e.ctx, anaA, tk.Number, false); err != nil {
		t.Fatal(err)
	}
	m = e.mark()
	_, _, err = e.svc.AddMessage(e.ctx, betoA, tk.Number, reply)
	if ce := wantCode(t, err, tickets.ECONFLICT); ce.Holder != "Ana" {
		t.Errorf("Holder = %q", ce.Holder)
	}
	_, _, err = e.svc.AddMessage(e.ctx, betoA, tk.Number, tickets.MessageInput{Kind: tickets.MessageCustomer, Text: "I am the customer"})
	wantCode(t, err, tickets.EFORBIDDEN)
	_, _, err = e.svc.AddMessage(e.ctx, anaA, tk.Number, tickets.MessageInput{Text: "no kind"})
	wantCode(t, err, tickets.EINVALID)
	e.expectNoEvent(t, m)

	_, msg, err := e.svc.AddMessage(e.ctx, anaA, tk.Number, reply)
	if err != nil {
		t.Fatalf("owner reply: %v", err)
	}
	if msg.Kind != tickets.MessageReply || msg.Author != anaA || msg.ID != 1 {
		t.Errorf("reply = %+v", msg)
	}
	e.expectEvent(t, m, tk.Number, tickets.EventReply, tickets.StatusClaimed, tickets.StatusClaimed)
	changes := e.store.Changes()
	if c := changes[len(changes)-1]; c.Message == nil || c.Message.Text != reply.Text || c.Queue != tickets.QueueKeep {
		t.Errorf("store received message %+v, queue op %d", c.Message, c.Queue)
	}

	// The customer cannot reply as the agent: their kind is forced.
	_, msg, err = e.svc.AddMessage(e.ctx, aliceA, tk.Number, tickets.MessageInput{Kind: tickets.MessageReply, Text: "fake reply"})
	if err != nil || msg.Kind != tickets.MessageCustomer {
		t.Errorf("customer message sent as a reply = %v, %v; want a customer message", msg.Kind, err)
	}

	// Replies go to claimed or waiting tickets only.
	if _, err := e.svc.Resolve(e.ctx, anaA, tk.Number); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.svc.AddMessage(e.ctx, anaA, tk.Number, reply)
	wantCode(t, err, tickets.EINVALID)
	// And customers write only to active tickets.
	_, _, err = e.svc.AddMessage(e.ctx, aliceA, tk.Number, tickets.MessageInput{Text: "thanks"})
	wantCode(t, err, tickets.EINVALID)
	wantMessage(t, err, "reopen")
}

func TestNotesHiddenFromCustomers(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	tk := e.open(t, alice, tickets.NatureAccess, tickets.UrgencyHigh)
	if _, _, err := e.svc.AddMessage(e.ctx, aliceA, tk.Number, tickets.MessageInput{Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	// Any agent may note, even on a ticket they do not own.
	m := e.mark()
	_, note, err := e.svc.AddMessage(e.ctx, betoA, tk.Number, tickets.MessageInput{Kind: tickets.MessageNote, Text: "customer is rude"})
	if err != nil {
		t.Fatalf("note: %v", err)
	}
	e.expectEvent(t, m, tk.Number, tickets.EventNote, tickets.StatusOpen, tickets.StatusOpen)
	if _, err := e.svc.Claim(e.ctx, anaA, tk.Number, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.AddMessage(e.ctx, anaA, tk.Number, tickets.MessageInput{Kind: tickets.MessageReply, Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.svc.AddMessage(e.ctx, tickets.SystemActor, tk.Number, tickets.MessageInput{Kind: tickets.MessageNote, Text: "x"})
	wantCode(t, err, tickets.EFORBIDDEN)

	texts := func(ms []tickets.Message) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Text)
		}
		return out
	}
	all, err := e.svc.Conversation(e.ctx, anaA, tk.Number, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := texts(all), []string{"hello", "customer is rude", "hi"}; !cmp.Equal(got, want) {
		t.Errorf("agent sees %q; want %q", got, want)
	}
	seen, err := e.svc.Conversation(e.ctx, aliceA, tk.Number, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := texts(seen), []string{"hello", "hi"}; !cmp.Equal(got, want) {
		t.Errorf("customer sees %q; want %q", got, want)
	}
	if last, _ := e.svc.Conversation(e.ctx, aliceA, tk.Number, 1); !cmp.Equal(texts(last), []string{"hi"}) {
		t.Errorf("customer's last message = %q; want [hi]", texts(last))
	}

	if got, err := e.svc.Message(e.ctx, anaA, tk.Number, note.ID); err != nil || got.Text != note.Text {
		t.Errorf("agent Message(note) = %+v, %v", got, err)
	}
	_, err = e.svc.Message(e.ctx, aliceA, tk.Number, note.ID)
	wantCode(t, err, tickets.ENOTFOUND)
	if got, err := e.svc.Message(e.ctx, aliceA, tk.Number, 3); err != nil || got.Text != "hi" {
		t.Errorf("customer Message(3) = %+v, %v", got, err)
	}
	for _, id := range []int64{0, -1, 4} {
		got, err := e.svc.Message(e.ctx, anaA, tk.Number, id)
		if tickets.ErrorCode(err) != tickets.ENOTFOUND {
			t.Errorf("Message(%d) = %q, %v; want ENOTFOUND", id, got.Text, err)
		}
	}
}

func TestResolveCloseReopen(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	tk := e.open(t, alice, tickets.NatureAccess, tickets.UrgencyHigh)
	later := e.open(t, bob, tickets.NatureAccess, tickets.UrgencyHigh)
	if _, err := e.svc.Claim(e.ctx, anaA, tk.Number, false); err != nil {
		t.Fatal(err)
	}
	m := e.mark()
	_, err := e.svc.Resolve(e.ctx, betoA, tk.Number)
	wantCode(t, err, tickets.ECONFLICT)
	_, err = e.svc.Resolve(e.ctx, aliceA, tk.Number)
	wantCode(t, err, tickets.EFORBIDDEN)
	_, err = e.svc.Close(e.ctx, aliceA, tk.Number) // not resolved yet
	wantCode(t, err, tickets.EINVALID)
	_, err = e.svc.Resolve(e.ctx, anaA, later.Number) // open: nothing to resolve
	wantCode(t, err, tickets.EINVALID)
	e.expectNoEvent(t, m)

	got, err := e.svc.Resolve(e.ctx, anaA, tk.Number)
	if err != nil || got.Status != tickets.StatusResolved || got.Assignee != ana {
		t.Fatalf("Resolve = %s %+v, %v", got.Status, got.Assignee, err)
	}
	e.expectEvent(t, m, tk.Number, tickets.EventResolved, tickets.StatusClaimed, tickets.StatusResolved)

	e.clock.Advance(time.Minute)
	m = e.mark()
	got, err = e.svc.Close(e.ctx, aliceA, tk.Number)
	if err != nil || got.Status != tickets.StatusClosed {
		t.Fatalf("customer Close = %s, %v", got.Status, err)
	}
	ev := e.expectEvent(t, m, tk.Number, tickets.EventClosed, tickets.StatusResolved, tickets.StatusClosed)
	if ev.Actor != aliceA {
		t.Errorf("close actor = %+v", ev.Actor)
	}
	_, err = e.svc.Close(e.ctx, aliceA, tk.Number)
	wantCode(t, err, tickets.EINVALID)

	e.clock.Advance(time.Hour)
	e.open(t, bob, tickets.NatureAccess, tickets.UrgencyHigh)
	m = e.mark()
	got, err = e.svc.Reopen(e.ctx, aliceA, tk.Number)
	if err != nil {
		t.Fatalf("Reopen: %v", err)
	}
	if got.Status != tickets.StatusOpen || got.Claimed() || !got.CreatedAt.Equal(tk.CreatedAt) {
		t.Errorf("reopened = %s, %+v, created %v", got.Status, got.Assignee, got.CreatedAt)
	}
	e.expectEvent(t, m, tk.Number, tickets.EventReopened, tickets.StatusClosed, tickets.StatusOpen)
	changes := e.store.Changes()
	if c := changes[len(changes)-1]; c.Queue != tickets.QueueAdd || c.PreviousAssignee != ana.ID {
		t.Errorf("store received queue op %d, previous %q", c.Queue, c.PreviousAssignee)
	}
	if q := e.queueNumbers(t); !cmp.Equal(q, []int64{1, 2, 3}) {
		t.Errorf("queue = %v; want the reopened #1 at its original arrival, first", q)
	}
	if mine, _ := e.svc.AgentTickets(e.ctx, anaA, ana.ID, 0, 0); len(mine) != 0 {
		t.Errorf("Ana still lists %d tickets", len(mine))
	}
	_, err = e.svc.Reopen(e.ctx, aliceA, tk.Number)
	wantCode(t, err, tickets.EINVALID)

	// Any agent closes or reopens a resolved ticket, owner or not.
	if _, err := e.svc.Claim(e.ctx, betoA, later.Number, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Resolve(e.ctx, betoA, later.Number); err != nil {
		t.Fatal(err)
	}
	m = e.mark()
	if _, err := e.svc.Reopen(e.ctx, anaA, later.Number); err != nil {
		t.Fatalf("agent Reopen of a resolved ticket: %v", err)
	}
	e.expectEvent(t, m, later.Number, tickets.EventReopened, tickets.StatusResolved, tickets.StatusOpen)
	if _, err := e.svc.Claim(e.ctx, anaA, later.Number, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Resolve(e.ctx, anaA, later.Number); err != nil {
		t.Fatal(err)
	}
	m = e.mark()
	if _, err := e.svc.Close(e.ctx, betoA, later.Number); err != nil {
		t.Fatalf("another agent's Close: %v", err)
	}
	e.expectEvent(t, m, later.Number, tickets.EventClosed, tickets.StatusResolved, tickets.StatusClosed)
	_, err = e.svc.Close(e.ctx, tickets.SystemActor, later.Number)
	wantCode(t, err, tickets.EFORBIDDEN)
}

func TestRate(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	tk := e.open(t, alice, tickets.NatureAccess, tickets.UrgencyHigh)
	if _, err := e.svc.Claim(e.ctx, anaA, tk.Number, false); err != nil {
		t.Fatal(err)
	}
	m := e.mark()
	_, err := e.svc.Rate(e.ctx, aliceA, tk.Number, 5, "")
	wantCode(t, err, tickets.EINVALID) // not resolved
	e.expectNoEvent(t, m)
	if _, err := e.svc.Resolve(e.ctx, anaA, tk.Number); err != nil {
		t.Fatal(err)
	}
	m = e.mark()
	for _, stars := range []int{0, 6, -1} {
		_, err := e.svc.Rate(e.ctx, aliceA, tk.Number, stars, "")
		wantCode(t, err, tickets.EINVALID)
	}
	_, err = e.svc.Rate(e.ctx, aliceA, tk.Number, 3, strings.Repeat("x", tickets.MaxRatingComment+1))
	wantCode(t, err, tickets.EINVALID)
	_, err = e.svc.Rate(e.ctx, anaA, tk.Number, 5, "")
	wantCode(t, err, tickets.EFORBIDDEN)
	_, err = e.svc.Rate(e.ctx, bobA, tk.Number, 1, "")
	if !errors.Is(err, tickets.ErrNotFound) {
		t.Errorf("Bob rating Alice's ticket: %v; want ErrNotFound", err)
	}
	e.expectNoEvent(t, m)

	// The stars, then the comment that completes them (a chat's two steps).
	m = e.mark()
	got, err := e.svc.Rate(e.ctx, aliceA, tk.Number, 4, "")
	if err != nil {
		t.Fatalf("Rate(4): %v", err)
	}
	rated := tickets.Rating{Stars: 4, At: e.clock.Now()}
	if got.Rating != rated {
		t.Errorf("rating = %+v; want %+v", got.Rating, rated)
	}
	e.expectEvent(t, m, tk.Number, tickets.EventRated, tickets.StatusResolved, tickets.StatusResolved)
	m = e.mark()
	if got, err = e.svc.Rate(e.ctx, aliceA, tk.Number, 4, " great "); err != nil {
		t.Fatalf("comment: %v", err)
	}
	rated.Comment = "great"
	if got.Rating != rated {
		t.Errorf("rating with its comment = %+v; want %+v", got.Rating, rated)
	}
	e.expectEvent(t, m, tk.Number, tickets.EventRated, tickets.StatusResolved, tickets.StatusResolved)
	// A rating is given once: other stars, another comment, or a rating
	// after the close are refused, and the first stays.
	m = e.mark()
	for _, r := range []struct {
		stars   int
		comment string
	}{{5, ""}, {1, "bad"}, {4, "changed my mind"}} {
		_, err := e.svc.Rate(e.ctx, aliceA, tk.Number, r.stars, r.comment)
		wantCode(t, err, tickets.EINVALID)
		if te := (*tickets.Error)(nil); !errors.As(err, &te) || te.Reason != tickets.ReasonRated {
			t.Errorf("Rate(%d, %q) = %v; want the reason %q", r.stars, r.comment, err, tickets.ReasonRated)
		}
	}
	e.expectNoEvent(t, m)
	if _, err := e.svc.Close(e.ctx, aliceA, tk.Number); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Rate(e.ctx, aliceA, tk.Number, 2, "")
	wantCode(t, err, tickets.EINVALID)
	if got := e.get(t, tk.Number); got.Rating != rated {
		t.Errorf("rating after refusals = %+v; want %+v", got.Rating, rated)
	}

	// A closed ticket not rated yet can be rated.
	other := e.open(t, alice, tickets.NatureAccess, tickets.UrgencyHigh)
	if _, err := e.svc.Claim(e.ctx, anaA, other.Number, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Resolve(e.ctx, anaA, other.Number); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Close(e.ctx, aliceA, other.Number); err != nil {
		t.Fatal(err)
	}
	if got, err := e.svc.Rate(e.ctx, aliceA, other.Number, 2, ""); err != nil || got.Rating.Stars != 2 {
		t.Errorf("Rate on a closed ticket = %+v, %v", got.Rating, err)
	}
}

func TestSetPriority(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	a := e.open(t, alice, tickets.NatureQuestion, tickets.UrgencyLow) // P4
	b := e.open(t, bob, tickets.NatureAccess, tickets.UrgencyHigh)    // P2
	c := e.open(t, bob, tickets.NatureQuestion, tickets.UrgencyLow)   // P4
	d := e.open(t, bob, tickets.NatureAccess, tickets.UrgencyNormal)  // P2
	if q := e.queueNumbers(t); !cmp.Equal(q, []int64{b.Number, d.Number, a.Number, c.Number}) {
		t.Fatalf("queue = %v", q)
	}
	m := e.mark()
	got, err := e.svc.SetPriority(e.ctx, betoA, c.Number, 2)
	if err != nil || got.Priority != 2 || !got.CreatedAt.Equal(c.CreatedAt) {
		t.Fatalf("SetPriority = %s created %v, %v", got.Priority, got.CreatedAt, err)
	}
	ev := e.expectEvent(t, m, c.Number, tickets.EventPriority, tickets.StatusOpen, tickets.StatusOpen)
	if ev.OldPriority != 4 || ev.Priority != 2 {
		t.Errorf("priority event %s→%s; want P4→P2", ev.OldPriority, ev.Priority)
	}
	changes := e.store.Changes()
	if ch := changes[len(changes)-1]; ch.Queue != tickets.QueueAdd {
		t.Errorf("store received queue op %d; want QueueAdd", ch.Queue)
	}
	// #c keeps its arrival: behind the older P2 #b, ahead of the younger P2
	// #d and of the P4 #a.
	if q := e.queueNumbers(t); !cmp.Equal(q, []int64{b.Number, c.Number, d.Number, a.Number}) {
		t.Errorf("queue = %v", q)
	}
	lengths, err := e.svc.QueueLengths(e.ctx)
	if err != nil || !cmp.Equal(lengths, map[tickets.Priority]int64{2: 3, 4: 1}) {
		t.Errorf("QueueLengths = %v, %v", lengths, err)
	}

	m = e.mark()
	if got, err := e.svc.SetPriority(e.ctx, anaA, c.Number, 2); err != nil || got.Version != 2 {
		t.Errorf("same priority again = v%d, %v; want no change", got.Version, err)
	}
	for _, p := range []tickets.Priority{0, tickets.MaxPriority + 1} {
		_, err := e.svc.SetPriority(e.ctx, anaA, c.Number, p)
		wantCode(t, err, tickets.EINVALID)
	}
	_, err = e.svc.SetPriority(e.ctx, aliceA, a.Number, 1)
	wantCode(t, err, tickets.EFORBIDDEN)
	e.expectNoEvent(t, m)

	// On a claimed ticket only the owner changes it, and the queue is untouched.
	if _, err := e.svc.Claim(e.ctx, anaA, a.Number, false); err != nil {
		t.Fatal(err)
	}
	m = e.mark()
	_, err = e.svc.SetPriority(e.ctx, betoA, a.Number, 1)
	wantCode(t, err, tickets.ECONFLICT)
	e.expectNoEvent(t, m)
	if _, err := e.svc.SetPriority(e.ctx, anaA, a.Number, 1); err != nil {
		t.Fatal(err)
	}
	e.expectEvent(t, m, a.Number, tickets.EventPriority, tickets.StatusClaimed, tickets.StatusClaimed)
	changes = e.store.Changes()
	if ch := changes[len(changes)-1]; ch.Queue != tickets.QueueKeep {
		t.Errorf("store received queue op %d for a claimed ticket; want QueueKeep", ch.Queue)
	}
	if q := e.queueNumbers(t); !cmp.Equal(q, []int64{b.Number, c.Number, d.Number}) {
		t.Errorf("queue = %v", q)
	}
	if _, err := e.svc.Resolve(e.ctx, anaA, a.Number); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.SetPriority(e.ctx, anaA, a.Number, 3)
	wantCode(t, err, tickets.EINVALID)
}

func TestFlagUnreachable(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	tk := e.open(t, alice, tickets.NatureQuestion, tickets.UrgencyLow)
	m := e.mark()
	got, err := e.svc.FlagUnreachable(e.ctx, tk.Number, "")
	if err != nil || got.Unreachable != "unreachable" {
		t.Fatalf("FlagUnreachable = %q, %v", got.Unreachable, err)
	}
	ev := e.expectEvent(t, m, tk.Number, tickets.EventUnreachable, tickets.StatusOpen, tickets.StatusOpen)
	if ev.Actor != tickets.SystemActor {
		t.Errorf("actor = %+v", ev.Actor)
	}
	m = e.mark()
	if _, err := e.svc.FlagUnreachable(e.ctx, tk.Number, "unreachable"); err != nil {
		t.Fatal(err)
	}
	e.expectNoEvent(t, m)
}

func TestMarkReachable(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	tk := e.open(t, alice, tickets.NatureQuestion, tickets.UrgencyLow)
	m := e.mark()
	// Not flagged: nothing to clear, no event.
	if got, err := e.svc.MarkReachable(e.ctx, tk.Number); err != nil || got.Unreachable != "" {
		t.Fatalf("MarkReachable = %q, %v", got.Unreachable, err)
	}
	e.expectNoEvent(t, m)
	if _, err := e.svc.FlagUnreachable(e.ctx, tk.Number, "blocked"); err != nil {
		t.Fatal(err)
	}
	m = e.mark()
	got, err := e.svc.MarkReachable(e.ctx, tk.Number)
	if err != nil || got.Unreachable != "" {
		t.Fatalf("MarkReachable = %q, %v", got.Unreachable, err)
	}
	ev := e.expectEvent(t, m, tk.Number, tickets.EventReachable, tickets.StatusOpen, tickets.StatusOpen)
	if ev.Actor != tickets.SystemActor {
		t.Errorf("actor = %+v", ev.Actor)
	}
	if e.get(t, tk.Number).Unreachable != "" {
		t.Error("the mark is still stored")
	}
	// Again: one event only.
	m = e.mark()
	if _, err := e.svc.MarkReachable(e.ctx, tk.Number); err != nil {
		t.Fatal(err)
	}
	e.expectNoEvent(t, m)
	_, err = e.svc.MarkReachable(e.ctx, 999)
	wantCode(t, err, tickets.ENOTFOUND)
	// Flagged again later, it shows again.
	if got, err := e.svc.FlagUnreachable(e.ctx, tk.Number, "blocked"); err != nil || got.Unreachable != "blocked" {
		t.Fatalf("FlagUnreachable again = %q, %v", got.Unreachable, err)
	}
}

// TestAuthorization checks that a customer learns nothing of another
// customer's ticket: every call answers exactly as for a ticket that does
// not exist, and nothing is written.
func TestAuthorization(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	tk := e.open(t, alice, tickets.NatureAccess, tickets.UrgencyHigh)
	if _, _, err := e.svc.AddMessage(e.ctx, aliceA, tk.Number, tickets.MessageInput{Text: "secret"}); err != nil {
		t.Fatal(err)
	}
	resolved := e.open(t, alice, tickets.NatureAccess, tickets.UrgencyHigh)
	for _, step := range []func() (tickets.Ticket, error){
		func() (tickets.Ticket, error) { return e.svc.Claim(e.ctx, anaA, resolved.Number, false) },
		func() (tickets.Ticket, error) { return e.svc.Resolve(e.ctx, anaA, resolved.Number) },
	} {
		if _, err := step(); err != nil {
			t.Fatal(err)
		}
	}
	calls := map[string]func(number int64) error{
		"Get": func(n int64) error { _, err := e.svc.Get(e.ctx, bobA, n); return err },
		"AddMessage": func(n int64) error {
			_, _, err := e.svc.AddMessage(e.ctx, bobA, n, tickets.MessageInput{Text: "hi"})
			return err
		},
		"Close":        func(n int64) error { _, err := e.svc.Close(e.ctx, bobA, n); return err },
		"Reopen":       func(n int64) error { _, err := e.svc.Reopen(e.ctx, bobA, n); return err },
		"Rate":         func(n int64) error { _, err := e.svc.Rate(e.ctx, bobA, n, 5, ""); return err },
		"Resolve":      func(n int64) error { _, err := e.svc.Resolve(e.ctx, bobA, n); return err },
		"Conversation": func(n int64) error { _, err := e.svc.Conversation(e.ctx, bobA, n, 0); return err },
		"Message":      func(n int64) error { _, err := e.svc.Message(e.ctx, bobA, n, 1); return err },
		"Position":     func(n int64) error { _, err := e.svc.Position(e.ctx, bobA, n); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			m := e.mark()
			for _, n := range []int64{tk.Number, resolved.Number} {
				err := call(n)
				if !errors.Is(err, tickets.ErrNotFound) {
					t.Errorf("Bob's %s on Alice's #%d: %v; want ErrNotFound", name, n, err)
				}
				if missing := call(999); tickets.ErrorMessage(missing) != tickets.ErrorMessage(err) {
					t.Errorf("%s answers %q for Alice's ticket but %q for a missing one", name, tickets.ErrorMessage(err), tickets.ErrorMessage(missing))
				}
			}
			e.expectNoEvent(t, m)
		})
	}
	// A customer without an identity sees nothing either.
	if _, err := e.svc.Get(e.ctx, tickets.Actor{Role: tickets.RoleCustomer}, tk.Number); !errors.Is(err, tickets.ErrNotFound) {
		t.Errorf("anonymous customer Get: %v", err)
	}
	if _, err := e.svc.Get(e.ctx, tickets.Actor{ID: "x"}, tk.Number); !errors.Is(err, tickets.ErrNotFound) {
		t.Errorf("actor without a role Get: %v", err)
	}
	// Alice herself sees her ticket.
	if got, err := e.svc.Get(e.ctx, aliceA, tk.Number); err != nil || got.Number != tk.Number {
		t.Errorf("Alice's Get = %v, %v", got.Number, err)
	}

	// Lists: a customer lists only their own tickets; only agents see the
	// queue and the agents' lists, and work tickets.
	m := e.mark()
	_, err := e.svc.CustomerTickets(e.ctx, bobA, alice.Key(), 0, 0)
	wantCode(t, err, tickets.EFORBIDDEN)
	_, err = e.svc.ActiveTickets(e.ctx, bobA, alice.Key())
	wantCode(t, err, tickets.EFORBIDDEN)
	_, _, err = e.svc.QueuePage(e.ctx, aliceA, 0, 0)
	wantCode(t, err, tickets.EFORBIDDEN)
	_, err = e.svc.AgentTickets(e.ctx, aliceA, ana.ID, 0, 0)
	wantCode(t, err, tickets.EFORBIDDEN)
	_, err = e.svc.ClaimNext(e.ctx, aliceA)
	wantCode(t, err, tickets.EFORBIDDEN)
	_, err = e.svc.Claim(e.ctx, aliceA, tk.Number, false)
	wantCode(t, err, tickets.EFORBIDDEN)
	_, err = e.svc.Release(e.ctx, aliceA, tk.Number)
	wantCode(t, err, tickets.EFORBIDDEN)
	_, err = e.svc.SetWaiting(e.ctx, aliceA, tk.Number)
	wantCode(t, err, tickets.EFORBIDDEN)
	_, err = e.svc.SetPriority(e.ctx, aliceA, tk.Number, 1)
	wantCode(t, err, tickets.EFORBIDDEN)
	e.expectNoEvent(t, m)
}

func TestCustomerTickets(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	first := e.open(t, alice, tickets.NatureAccess, tickets.UrgencyHigh)
	e.open(t, bob, tickets.NatureAccess, tickets.UrgencyHigh)
	second := e.open(t, alice, tickets.NatureQuestion, tickets.UrgencyLow)
	if _, err := e.svc.Claim(e.ctx, anaA, first.Number, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Resolve(e.ctx, anaA, first.Number); err != nil {
		t.Fatal(err)
	}
	mine, err := e.svc.CustomerTickets(e.ctx, aliceA, alice.Key(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(mine) != 2 || mine[0].Number != second.Number || mine[1].Number != first.Number {
		t.Errorf("Alice's tickets = %v; want newest first", mine)
	}
	active, err := e.svc.ActiveTickets(e.ctx, aliceA, alice.Key())
	if err != nil || len(active) != 1 || active[0].Number != second.Number {
		t.Errorf("ActiveTickets = %v, %v; want only #%d", active, err, second.Number)
	}
	if theirs, err := e.svc.CustomerTickets(e.ctx, anaA, alice.Key(), 1, 1); err != nil || len(theirs) != 1 || theirs[0].Number != first.Number {
		t.Errorf("agent's page 2 of Alice's tickets = %v, %v", theirs, err)
	}
}

func TestPositionEstimate(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	var opened []tickets.Ticket
	for range 8 {
		opened = append(opened, e.open(t, alice, tickets.NatureQuestion, tickets.UrgencyLow))
	}
	mailed := e.open(t, mailer, tickets.NatureQuestion, tickets.UrgencyLow)

	p, err := e.svc.Position(e.ctx, aliceA, opened[0].Number)
	if err != nil {
		t.Fatal(err)
	}
	if p.Position != 1 || p.Length != 9 || p.Estimate.Known || p.Estimate.NoETA {
		t.Errorf("with no claims: position %d/%d, estimate %+v; want 1/9 and no estimate", p.Position, p.Length, p.Estimate)
	}

	// Six claims in the last hour: ten minutes per place.
	for range 6 {
		if _, err := e.svc.ClaimNext(e.ctx, anaA); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(5 * time.Minute)
	}
	for i, c := range []struct {
		number   int64
		position int64
		wait     time.Duration
	}{
		{opened[6].Number, 1, 10 * time.Minute},
		{opened[7].Number, 2, 20 * time.Minute},
	} {
		p, err := e.svc.Position(e.ctx, aliceA, c.number)
		if err != nil {
			t.Fatal(err)
		}
		want := tickets.Estimate{Known: true, Wait: c.wait, ClaimsPerHour: 6}
		if p.Position != c.position || p.Length != 3 || p.Estimate != want {
			t.Errorf("%d: position %d/%d, estimate %+v; want %d/3, %+v", i, p.Position, p.Length, p.Estimate, c.position, want)
		}
	}

	// E-mail intake never shows an estimate.
	p, err = e.svc.Position(e.ctx, anaA, mailed.Number)
	if err != nil {
		t.Fatal(err)
	}
	if p.Position != 3 || p.Estimate != (tickets.Estimate{NoETA: true}) {
		t.Errorf("e-mail ticket: position %d, estimate %+v; want 3 with NoETA", p.Position, p.Estimate)
	}

	// A claimed ticket has no place and no estimate.
	p, err = e.svc.Position(e.ctx, aliceA, opened[0].Number)
	if err != nil || p.Position != 0 || p.Estimate != (tickets.Estimate{}) {
		t.Errorf("claimed ticket: position %d, estimate %+v, %v", p.Position, p.Estimate, err)
	}

	// Claims older than the window do not count.
	e.clock.Advance(2 * time.Hour)
	if p, _ := e.svc.Position(e.ctx, aliceA, opened[6].Number); p.Estimate.Known {
		t.Errorf("estimate from stale claims: %+v", p.Estimate)
	}

	// A shorter window counts the same claims as a faster pace.
	e2 := newEnv(t, tickets.Config{EstimateWindow: 30 * time.Minute})
	for range 3 {
		e2.open(t, alice, tickets.NatureQuestion, tickets.UrgencyLow)
	}
	if _, err := e2.svc.ClaimNext(e2.ctx, anaA); err != nil {
		t.Fatal(err)
	}
	if p, _ := e2.svc.Position(e2.ctx, aliceA, 3); p.Estimate != (tickets.Estimate{Known: true, Wait: time.Hour, ClaimsPerHour: 2}) {
		t.Errorf("30-minute window, 1 claim, position 2: %+v; want 1h at 2/h", p.Estimate)
	}

	_, err = e.svc.Position(e.ctx, aliceA, 0)
	if !errors.Is(err, tickets.ErrNotFound) {
		t.Errorf("Position(0): %v", err)
	}
}

// TestMutateRetries makes an unrelated change land between a read and the
// write: the Service retries on the new version, and each change is
// written once with its own event.
func TestMutateRetries(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	tk := e.open(t, alice, tickets.NatureAccess, tickets.UrgencyHigh)
	if _, err := e.svc.Claim(e.ctx, anaA, tk.Number, false); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	e.store.OnApply(func(c tickets.Change) {
		if c.Event.Actor == anaA {
			once.Do(func() {
				if _, _, err := e.svc.AddMessage(e.ctx, betoA, tk.Number, tickets.MessageInput{Kind: tickets.MessageNote, Text: "note"}); err != nil {
					t.Errorf("note: %v", err)
				}
			})
		}
	})
	m := e.mark()
	got, msg, err := e.svc.AddMessage(e.ctx, anaA, tk.Number, tickets.MessageInput{Kind: tickets.MessageReply, Text: "reply"})
	if err != nil {
		t.Fatalf("reply under contention: %v", err)
	}
	if msg.ID != 2 || got.Messages != 2 || got.Version != 4 {
		t.Errorf("reply #%d, ticket has %d messages at v%d; want message 2, 2 messages, v4", msg.ID, got.Messages, got.Version)
	}
	events := e.store.Events()[m.stored:]
	if len(events) != 2 || events[0].Kind != tickets.EventNote || events[1].Kind != tickets.EventReply {
		t.Errorf("stored events %+v; want one note then one reply", events)
	}
	all, _ := e.svc.Conversation(e.ctx, anaA, tk.Number, 0)
	if len(all) != 2 || all[0].ID != 1 || all[1].ID != 2 || all[1].Text != "reply" {
		t.Errorf("conversation = %+v", all)
	}
}

// TestApplyRequestID checks the fake store's side of the contract: the same
// change repeated with its request ID is a no-op that succeeds.
func TestApplyRequestID(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	tk := e.open(t, alice, tickets.NatureAccess, tickets.UrgencyHigh)
	ctx := tickets.WithRequestID(context.Background(), "slack:action:1")
	if _, err := e.svc.Claim(ctx, anaA, tk.Number, false); err != nil {
		t.Fatal(err)
	}
	c := e.store.Changes()[0]
	if c.RequestID != "slack:action:1" {
		t.Errorf("store received request ID %q", c.RequestID)
	}
	got, err := e.store.Apply(ctx, c)
	if err != nil || got.Version != 2 {
		t.Errorf("repeated Apply = v%d, %v; want the stored v2, nil", got.Version, err)
	}
	c.RequestID = "other"
	if _, err := e.store.Apply(ctx, c); !errors.Is(err, tickets.ErrVersionConflict) {
		t.Errorf("stale Apply with another request ID: %v; want ErrVersionConflict", err)
	}
	if n := len(e.store.Events()); n != 2 {
		t.Errorf("%d events stored; want 2", n)
	}
}

func TestMarkDelivered(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	tk := e.open(t, alice, tickets.NatureAccess, tickets.UrgencyHigh)
	if _, err := e.svc.Claim(e.ctx, anaA, tk.Number, false); err != nil {
		t.Fatal(err)
	}
	_, reply, err := e.svc.AddMessage(e.ctx, anaA, tk.Number, tickets.MessageInput{Kind: tickets.MessageReply, Text: "done"})
	if err != nil {
		t.Fatal(err)
	}
	m := e.mark()
	for _, id := range []int64{0, reply.ID + 1} {
		_, err := e.svc.MarkDelivered(e.ctx, tk.Number, id)
		wantCode(t, err, tickets.EINVALID)
	}
	e.expectNoEvent(t, m)
	got, err := e.svc.MarkDelivered(e.ctx, tk.Number, reply.ID)
	if err != nil || got.Delivered != reply.ID {
		t.Fatalf("MarkDelivered = %d, %v", got.Delivered, err)
	}
	ev := e.expectEvent(t, m, tk.Number, tickets.EventDelivered, tickets.StatusClaimed, tickets.StatusClaimed)
	if ev.MessageID != reply.ID || ev.Actor != tickets.SystemActor {
		t.Errorf("delivered event = %+v", ev)
	}
	m = e.mark()
	if _, err := e.svc.MarkDelivered(e.ctx, tk.Number, reply.ID); err != nil {
		t.Fatal(err)
	}
	e.expectNoEvent(t, m)
}

// TestAddMessageRequestID: a redelivered customer message (same request
// ID) is stored once.
func TestAddMessageRequestID(t *testing.T) {
	e := newEnv(t, tickets.Config{})
	tk := e.open(t, alice, tickets.NatureAccess, tickets.UrgencyHigh)
	ctx := tickets.WithRequestID(e.ctx, "telegram:update:77")
	for range 2 {
		if _, _, err := e.svc.AddMessage(ctx, aliceA, tk.Number, tickets.MessageInput{Text: "hello"}); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.get(t, tk.Number); got.Messages != 1 || got.Version != 2 {
		t.Errorf("stored ticket has %d messages at v%d; want 1 at v2", got.Messages, got.Version)
	}
	if msgs, _ := e.svc.Conversation(e.ctx, anaA, tk.Number, 0); len(msgs) != 1 {
		t.Errorf("conversation has %d messages; want 1", len(msgs))
	}
	if n := len(e.store.Events()); n != 2 {
		t.Errorf("%d events stored; want opened and one message", n)
	}
}
