package ticketstest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/tickets"
)

var messageTests = []subtest{
	{"Conversation", func(t *testing.T, f *fixture) {
		tk := f.open(t, tickets.NatureAccess, tickets.UrgencyHigh)
		customer, agent := tickets.CustomerActor(tk.Customer), tickets.AgentActor(ana)
		if msgs, err := f.Store.LastMessages(f.ctx, tk.Number, 10); err != nil || len(msgs) != 0 {
			t.Errorf("LastMessages of a ticket without messages = %+v, %v", msgs, err)
		}
		if _, err := f.svc.Claim(f.ctx, agent, tk.Number, false); err != nil {
			t.Fatal(err)
		}
		var want []tickets.Message
		for i, in := range []struct {
			a  tickets.Actor
			in tickets.MessageInput
		}{
			{customer, tickets.MessageInput{Text: "no puedo entrar", Ref: "tg:10", Attachments: []tickets.Attachment{{Kind: "photo", FileID: "AgAD", Size: 12}}}},
			{agent, tickets.MessageInput{Kind: tickets.MessageReply, Text: "¿Qué usuario?", Ref: "1700000000.000100"}},
			{agent, tickets.MessageInput{Kind: tickets.MessageNote, Text: "cliente VIP <@U1>"}},
			{customer, tickets.MessageInput{Text: "zoe"}},
			{agent, tickets.MessageInput{Kind: tickets.MessageReply, Attachments: []tickets.Attachment{{Kind: "document", FileID: "F9", Name: "guía.pdf", Source: "slack"}}}},
		} {
			_, m, err := f.svc.AddMessage(f.ctx, in.a, tk.Number, in.in)
			if err != nil {
				t.Fatalf("message %d: %v", i+1, err)
			}
			if m.ID != int64(i+1) {
				t.Errorf("message %d has ID %d", i+1, m.ID)
			}
			want = append(want, m)
			f.clock.Advance(time.Second)
		}
		for _, c := range []struct {
			after int64
			limit int
		}{{0, 10}, {0, 2}, {2, 2}, {4, 10}, {5, 10}, {9, 1}} {
			got, err := f.Store.Messages(f.ctx, tk.Number, c.after, c.limit)
			if err != nil {
				t.Fatal(err)
			}
			lo := min(int(c.after), len(want))
			diff(t, fmt.Sprintf("Messages(after %d, limit %d)", c.after, c.limit), want[lo:min(lo+c.limit, len(want))], got)
		}
		for _, n := range []int{1, 3, 5, 10} {
			got, err := f.Store.LastMessages(f.ctx, tk.Number, n)
			if err != nil {
				t.Fatal(err)
			}
			diff(t, fmt.Sprintf("LastMessages(%d)", n), want[max(len(want)-n, 0):], got)
		}
		if got := f.get(t, tk.Number).Messages; got != int64(len(want)) {
			t.Errorf("ticket counts %d messages; want %d", got, len(want))
		}
	}},
}

var profileTests = []subtest{
	{"SaveAndRead", func(t *testing.T, f *fixture) {
		key := f.customer().Key()
		p, err := f.Profiles.Profile(f.ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "profile of a customer never seen", tickets.Profile{CustomerKey: key}, p)
		want := tickets.Profile{CustomerKey: key, Language: "en", TermsVersion: "v2", TermsAccepted: start.Add(time.Hour),
			PrivacyVersion: "p2", PrivacyAccepted: start.Add(time.Hour)}
		if err := f.Profiles.SaveProfile(f.ctx, want); err != nil {
			t.Fatal(err)
		}
		if p, err = f.Profiles.Profile(f.ctx, key); err != nil {
			t.Fatal(err)
		}
		diff(t, "saved profile", want, p)
		want.Language, want.TermsVersion, want.TermsAccepted = "", "v3", start.Add(2*time.Hour)
		want.PrivacyVersion, want.PrivacyAccepted = "p3", start.Add(2*time.Hour)
		if err := f.Profiles.SaveProfile(f.ctx, want); err != nil {
			t.Fatal(err)
		}
		if p, err = f.Profiles.Profile(f.ctx, key); err != nil {
			t.Fatal(err)
		}
		diff(t, "profile saved again", want, p)
		other := f.customer().Key()
		if p, err := f.Profiles.Profile(f.ctx, other); err != nil || p != (tickets.Profile{CustomerKey: other}) {
			t.Errorf("another customer's profile = %+v, %v", p, err)
		}
	}},
	{"ThroughTheService", func(t *testing.T, f *fixture) {
		c := f.customer()
		if _, err := f.svc.SetLanguage(f.ctx, c, "en"); err != nil {
			t.Fatal(err)
		}
		svc := tickets.NewService(f.Store, f.Queue, f.Profiles, tickets.Config{Clock: f.clock, TermsVersion: "v1", PrivacyVersion: "p1"})
		if _, err := svc.AcceptTerms(f.ctx, c, tickets.Consent{Terms: "v1", Privacy: "p1"}); err != nil {
			t.Fatal(err)
		}
		p, err := svc.Profile(f.ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "profile", tickets.Profile{CustomerKey: c.Key(), Language: "en", TermsVersion: "v1", TermsAccepted: start,
			PrivacyVersion: "p1", PrivacyAccepted: start}, p)
	}},
}

var raceTests = []subtest{
	{"HundredAgentsClaimOneTicket", func(t *testing.T, f *fixture) {
		tk := f.open(t, tickets.NatureOutage, tickets.UrgencyCritical)
		const n = 100
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			winners []string
			holders = map[string]int{}
			ready   = make(chan struct{})
		)
		for i := range n {
			wg.Go(func() {
				a := tickets.AgentActor(tickets.Agent{ID: fmt.Sprintf("U%03d", i), Name: fmt.Sprintf("Agent %d", i)})
				<-ready
				_, err := f.svc.Claim(f.ctx, a, tk.Number, false)
				mu.Lock()
				defer mu.Unlock()
				var te *tickets.Error
				switch {
				case err == nil:
					winners = append(winners, a.ID)
				case errors.As(err, &te) && te.Code == tickets.ECONFLICT:
					holders[te.Holder]++
				default:
					t.Errorf("claim by %s: %v", a.ID, err)
				}
			})
		}
		close(ready)
		wg.Wait()
		if len(winners) != 1 {
			t.Fatalf("winners = %v; want exactly one", winners)
		}
		got := f.get(t, tk.Number)
		if got.Assignee.ID != winners[0] || got.Status != tickets.StatusClaimed || got.Version != 2 {
			t.Errorf("stored ticket owned by %q, %s, v%d; the winner is %q", got.Assignee.ID, got.Status, got.Version, winners[0])
		}
		if len(holders) != 1 || holders[got.Assignee.Name] != n-1 {
			t.Errorf("the losers were told holders %v; want %d × %q", holders, n-1, got.Assignee.Name)
		}
		claims := 0
		for _, ev := range f.events(t) {
			if ev.Kind == tickets.EventClaimed {
				claims++
			}
		}
		if claims != 1 {
			t.Errorf("%d claimed events; want 1", claims)
		}
		diff(t, "the winner's tickets", []int64{tk.Number}, f.byAgent(t, winners[0]))
	}},
	{"WorkersClaimNextEachTicketOnceInQueueOrder", func(t *testing.T, f *fixture) {
		const tickets_, workers = 300, 8
		score := map[int64]float64{}
		for i := range tickets_ {
			u := tickets.Urgencies[i%len(tickets.Urgencies)]
			na := tickets.Natures[(i/4)%len(tickets.Natures)]
			tk, err := f.svc.Open(f.ctx, tickets.OpenRequest{Customer: f.customer(), Nature: na, Urgency: u, Description: "carga"})
			if err != nil {
				t.Fatal(err)
			}
			score[tk.Number] = tk.Score()
			if i%7 == 0 {
				f.clock.Advance(time.Millisecond)
			}
		}
		claimed := make([][]int64, workers)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				a := tickets.AgentActor(tickets.Agent{ID: fmt.Sprintf("UW%02d", w), Name: "W"})
				for {
					tk, err := f.svc.ClaimNext(context.Background(), a)
					if errors.Is(err, tickets.ErrQueueEmpty) {
						return
					}
					if err != nil {
						t.Error(err)
						return
					}
					claimed[w] = append(claimed[w], tk.Number)
				}
			})
		}
		wg.Wait()
		ahead := func(a, b int64) bool { // a is ahead of b in the queue
			if score[a] != score[b] {
				return score[a] < score[b]
			}
			return a < b
		}
		seen := map[int64]int{}
		for w, list := range claimed {
			for i, n := range list {
				seen[n]++
				if i > 0 && !ahead(list[i-1], n) {
					t.Errorf("worker %d claimed #%d after #%d, against queue order", w, n, list[i-1])
				}
			}
		}
		if len(seen) != tickets_ {
			t.Errorf("%d tickets claimed; want %d", len(seen), tickets_)
		}
		for n, c := range seen {
			if c != 1 {
				t.Errorf("ticket #%d claimed %d times", n, c)
			}
		}
		claims := 0
		for _, ev := range f.events(t) {
			if ev.Kind == tickets.EventClaimed {
				claims++
			}
		}
		if claims != tickets_ {
			t.Errorf("%d claimed events; want %d", claims, tickets_)
		}
	}},
}
