package demo

import (
	"context"
	"net"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/bots/slack"
	"github.com/colombiainformatica/ticketbot/bots/telegram"
	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// startProduct wires the whole product in this process as `ticketbot demo`
// does: the embedded Redis-compatible server, the store, the Service, the
// fakes, the real Telegram and Slack adapters pointed at them, the delivery
// worker, and the page, all on one HTTP server. It returns the server's
// base URL. It is also the reference for cmd/ticketbot's wiring.
func startProduct(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	logw := zerolog.Nop()
	if os.Getenv("DEMO_LOGS") != "" {
		logw = zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr, TimeFormat: time.TimeOnly}).With().Timestamp().Logger()
	}

	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mr.Close)
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{mr.Addr()}})
	t.Cleanup(func() { _ = rdb.Close() })
	st := store.New(rdb, store.Options{})
	if err := st.Load(ctx); err != nil {
		t.Fatal(err)
	}
	svc := tickets.NewService(st, st, st, tickets.Config{TermsVersion: "2024-01"})

	fakes, err := StartFakes(nil)
	if err != nil {
		t.Fatal(err)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + l.Addr().String()
	fakes.SetAppURL(base)

	outbox := &lateOutbox{}
	tg, err := telegram.New(telegram.Config{
		Token:        fakes.Telegram.Token(),
		APIEndpoint:  fakes.Telegram.Endpoint(),
		TermsURL:     "https://www.colombiainformatica.com/clientes/supporttickets.php",
		TermsVersion: "2024-01",
		SupportEmail: "soporte@colombiainformatica.com",
		PollTimeout:  time.Second,
	}, telegram.Deps{Service: svc, State: st, Outbox: outbox, Logger: logw.With().Str("component", "telegram").Logger()})
	if err != nil {
		t.Fatal(err)
	}
	sl, err := slack.New(slack.Config{
		BotToken:      fakes.Slack.Token(),
		SigningSecret: fakes.SigningSecret,
		APIURL:        fakes.Slack.APIURL(),
		QueueChannel:  "C0QUEUE",
		Agents:        []string{AgentsGroup},
	}, slack.Deps{Service: svc, State: st, Logger: logw.With().Str("component", "slack").Logger()})
	if err != nil {
		t.Fatal(err)
	}
	worker := delivery.New(store.NewOutbox(st), []delivery.Channel{tg, sl}, delivery.Options{
		Logger: logw.With().Str("component", "delivery").Logger(), Poll: 50 * time.Millisecond,
	})
	outbox.set(worker)

	page, err := New(Config{
		Telegram: fakes.Telegram, Slack: fakes.Slack, Service: svc, QueueChannel: "C0QUEUE",
		Agents: fakes.Agents, Customer: DefaultCustomer("es"), NoteMarker: slack.NoteMarker,
		Log: logw.With().Str("component", "demo").Logger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	sl.Routes(mux)
	tg.Routes(mux)
	page.Routes(mux)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second}
	srv.RegisterOnShutdown(page.Close)
	go func() { _ = srv.Serve(l) }()

	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, c := range []interface{ Run(context.Context) error }{tg, sl, worker} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Run(rctx); err != nil && rctx.Err() == nil {
				t.Errorf("%T.Run: %v", c, err)
			}
		}()
	}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(ctx, 5*time.Second)
		defer scancel()
		_ = srv.Shutdown(sctx)
		cancel()
		wg.Wait()
		fakes.Close()
	})
	return base
}

// lateOutbox lets the Telegram adapter be built before the delivery worker
// that takes it as a channel.
type lateOutbox struct {
	mu sync.Mutex
	w  *delivery.Worker
}

func (o *lateOutbox) set(w *delivery.Worker) {
	o.mu.Lock()
	o.w = w
	o.mu.Unlock()
}

func (o *lateOutbox) Enqueue(ctx context.Context, msgs ...delivery.Message) error {
	o.mu.Lock()
	w := o.w
	o.mu.Unlock()
	return w.Enqueue(ctx, msgs...)
}
