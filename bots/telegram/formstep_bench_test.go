package telegram_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/bots/telegram"
	"github.com/colombiainformatica/ticketbot/bots/telegram/telegramtest"
	"github.com/colombiainformatica/ticketbot/internal/redistest"
	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// BenchmarkFormStep measures a form step as a customer lives it: from the
// tap on a nature button to the next question on their screen, through the
// real delivery Worker on Redis and the fake Bot API enforcing Telegram's
// flood limits. "idle": customers tap one after another; "50": 50 tap at
// once. Goals: p99 under 300 ms idle, under 1 s for 50.
func BenchmarkFormStep(b *testing.B) {
	for _, c := range []struct {
		name      string
		customers int
		together  bool
	}{{"idle", 20, false}, {"50", 50, true}} {
		b.Run(c.name, func(b *testing.B) {
			var all []time.Duration
			for range b.N {
				all = append(all, formSteps(b, c.customers, c.together)...)
			}
			slices.Sort(all)
			b.ReportMetric(float64(all[len(all)/2].Microseconds())/1e3, "ms_p50")
			b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1e3, "ms_p99")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// formSteps brings n customers to the form's first question, then has them
// tap a nature (one after another, or all at once) and returns, for each,
// the time from the tap to the urgency question.
func formSteps(b *testing.B, n int, together bool) []time.Duration {
	b.Helper()
	b.StopTimer()
	rdb, prefix := redistest.Client(b)
	st := store.New(rdb, store.Options{Prefix: prefix})
	svc := tickets.NewService(st, st, st, tickets.Config{})
	fake := telegramtest.New(telegramtest.WithToken(testToken), telegramtest.EnforceLimits(true))
	defer fake.Close()
	outbox := delivery.NewOutbox(store.NewDelivery(st), telegram.Platform)
	bot, err := telegram.New(telegram.Config{Token: testToken, APIEndpoint: fake.Endpoint()},
		telegram.Deps{Service: svc, Storage: store.NewTelegram(st), Marks: store.NewInbound(st), Leases: store.NewLeases(st),
			Outbox: outbox, Logger: zerolog.Nop()})
	if err != nil {
		b.Fatal(err)
	}
	w := delivery.New(outbox, store.NewLeases(st), []delivery.Channel{bot}, delivery.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = bot.Run(ctx) })
	wg.Go(func() { _ = w.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()

	wait := func(u telegramtest.User, ok func(telegramtest.Message) bool) (telegramtest.Message, error) {
		wctx, wcancel := context.WithTimeout(context.Background(), time.Minute)
		defer wcancel()
		var found telegramtest.Message
		err := fake.WaitFor(wctx, func() bool {
			for _, m := range fake.Messages(u.ID) {
				if ok(m) {
					found = m
					return true
				}
			}
			return false
		})
		return found, err
	}
	users := make([]telegramtest.User, n)
	forms := make([]telegramtest.Message, n)
	var prep sync.WaitGroup
	errs := make(chan error, n)
	for i := range users {
		users[i] = telegramtest.User{ID: int64(9000 + i), FirstName: fmt.Sprint("C", i), LanguageCode: "es"}
		prep.Go(func() {
			u := users[i]
			fake.SendCommand(u, "new", "")
			m, err := wait(u, func(m telegramtest.Message) bool { return strings.Contains(m.PlainText, "Nuevo ticket") })
			forms[i] = m
			errs <- err
		})
	}
	prep.Wait()
	for range users {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	// Quiet: every chat past its one-second spacing.
	time.Sleep(1100 * time.Millisecond)
	b.StartTimer()
	lat := make([]time.Duration, n)
	step := func(i int) {
		u, m := users[i], forms[i]
		start := time.Now()
		fake.PressButton(u, m.MessageID, m.Keyboard[0][0].CallbackData)
		if _, err := wait(u, func(x telegramtest.Message) bool {
			return x.MessageID == m.MessageID && strings.Contains(x.PlainText, "urgente")
		}); err != nil {
			b.Error(err)
		}
		lat[i] = time.Since(start)
	}
	var taps sync.WaitGroup
	for i := range users {
		if together {
			taps.Go(func() { step(i) })
		} else {
			step(i)
		}
	}
	taps.Wait()
	b.StopTimer()
	if st := fake.Stats(); st.FloodLimited != 0 {
		b.Errorf("%d answers over Telegram's flood limits", st.FloodLimited)
	}
	return lat
}
