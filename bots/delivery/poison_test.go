package delivery_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/bots/telegram/telegramtest"
	"github.com/colombiainformatica/ticketbot/internal/redistest"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// poisonChannel cannot plan the events of one ticket (as with a corrupt
// record), and plans the others like tgChannel.
type poisonChannel struct {
	*tgChannel
	poison int64
}

func (c poisonChannel) Plan(ctx context.Context, e tickets.Event) ([]delivery.Message, error) {
	if e.Number == c.poison {
		return nil, errors.New("decode ticket: corrupt record")
	}
	return c.tgChannel.Plan(ctx, e)
}

// TestUnplannableEventIsIsolated: an event that can never be planned holds
// back nothing but its own ticket: the other tickets' messages keep their
// latency, it is moved to the event dead letters after MaxPlanAttempts and
// acknowledged, and the stream trims past it.
func TestUnplannableEventIsIsolated(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	d := newDesk(rdb, prefix)
	srv := telegramtest.New()
	t.Cleanup(srv.Close)
	m := &metrics{}
	ch := poisonChannel{tgChannel: newTGChannel(t, srv, d.st, delivery.Limits{LaneGap: 5 * time.Millisecond}), poison: 1}
	opts := fastOptions()
	opts.Metrics = m
	run(t, d.worker([]delivery.Channel{ch}, opts))
	ctx := context.Background()
	if err := load(ctx, d, []int64{7001}, 1); err != nil { // #1, the poisoned ticket
		t.Fatal(err)
	}
	chats := chatRange(7100, 40)
	for _, chat := range chats { // one ticket a chat, opened while #1 fails
		if err := load(ctx, d, []int64{chat}, 1); err != nil {
			t.Fatal(err)
		}
		time.Sleep(25 * time.Millisecond) // pacing the load over a second
	}
	waitUntil(t, 20*time.Second, "the other tickets' messages", func() bool { return countReceived(srv) >= len(chats) })
	_, _, _, _, lags := m.snapshot()
	slices.Sort(lags)
	if p99 := lags[len(lags)*99/100]; p99 > time.Second {
		t.Errorf("the other events' lag p99 = %v while one event failed, want under 1 s (lags %v)", p99, lags)
	}
	t.Logf("lags of %d other events: p50 %v, max %v", len(lags), lags[len(lags)/2], lags[len(lags)-1])
	var dead []delivery.EventDeadLetter
	waitUntil(t, 20*time.Second, "the event dead letter", func() bool {
		dead, _, _ = d.ob.EventDeadLetters(ctx, 0, 10)
		return len(dead) == 1
	})
	if dead[0].Number != 1 || dead[0].Kind != string(tickets.EventOpened) || dead[0].Error == "" {
		t.Errorf("event dead letter %+v", dead[0])
	}
	if msgs := srv.Messages(7001); len(msgs) != 0 {
		t.Errorf("the poisoned ticket's chat got %d messages", len(msgs))
	}
	waitDrained(t, d)
	if err := d.ob.TrimEvents(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	left, err := d.st.Events(ctx, "", 1000)
	if err != nil || len(left) != 1 || left[0].Number == 1 {
		t.Fatalf("after trimming %d events are left (%v); want only the last read one, the poisoned one gone", len(left), err)
	}
}
