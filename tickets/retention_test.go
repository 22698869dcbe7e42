package tickets_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/tickets"
	"github.com/colombiainformatica/ticketbot/tickets/ticketstest"
)

func TestStatusFinished(t *testing.T) {
	for s := tickets.StatusOpen; s <= tickets.StatusClosed; s++ {
		want := s == tickets.StatusResolved || s == tickets.StatusClosed
		if s.Finished() != want || (s.Finished() && s.Active()) {
			t.Errorf("%s.Finished() = %v; want %v", s, s.Finished(), want)
		}
	}
}

// TestSweepRetentionSetting: the retention the Config gives is the one the
// sweep applies (an open ticket is never swept, however old), and
// KeepForever sweeps nothing.
func TestSweepRetentionSetting(t *testing.T) {
	for _, tc := range []struct {
		name      string
		retention time.Duration
		after     time.Duration
		want      int
	}{
		{"default not yet", 0, tickets.DefaultRetention - time.Second, 0},
		{"default passed", 0, tickets.DefaultRetention, 1},
		{"a day", 24 * time.Hour, 24 * time.Hour, 1},
		{"forever", tickets.KeepForever, 100 * tickets.DefaultRetention, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			ms := ticketstest.NewMemStore()
			clock := &fixedClock{now: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}
			svc := tickets.NewService(ms, ms, ms, tickets.Config{Clock: clock, Retention: tc.retention})
			agent := tickets.AgentActor(tickets.Agent{ID: "U0ANA", Name: "Ana"})
			var nums []int64
			for _, id := range []string{"1", "2"} {
				tk, err := svc.Open(ctx, tickets.OpenRequest{Customer: tickets.Customer{Platform: "telegram", UserID: id, ChatID: id},
					Nature: tickets.NatureQuestion, Urgency: tickets.UrgencyLow, Description: "hola"})
				if err != nil {
					t.Fatal(err)
				}
				nums = append(nums, tk.Number)
			}
			if _, err := svc.Claim(ctx, agent, nums[0], false); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Resolve(ctx, agent, nums[0]); err != nil {
				t.Fatal(err)
			}
			clock.Advance(tc.after)
			res, err := svc.Sweep(ctx, 10)
			if err != nil || res.Expired != tc.want {
				t.Fatalf("Sweep = %+v, %v; want %d expired", res, err, tc.want)
			}
			_, err = ms.Get(ctx, nums[0])
			if gone := errors.Is(err, tickets.ErrNotFound); gone != (tc.want == 1) {
				t.Errorf("resolved ticket gone = %v; want %v", gone, tc.want == 1)
			}
			if _, err := ms.Get(ctx, nums[1]); err != nil {
				t.Errorf("the open ticket: %v", err)
			}
		})
	}
}
