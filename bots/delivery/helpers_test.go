package delivery_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/bots/telegram/telegramtest"
	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// desk is one desk's store, delivery queue and Service on a Redis.
type desk struct {
	rdb    redis.UniversalClient
	st     *store.Store
	ob     *store.Delivery
	leases *store.Leases
	svc    *tickets.Service
	key    string // the desk's key prefix, "<prefix>:{support}:"
}

func newDesk(rdb redis.UniversalClient, prefix string) *desk {
	st := store.New(rdb, store.Options{Prefix: prefix})
	return &desk{rdb: rdb, st: st, ob: store.NewDelivery(st), leases: store.NewLeases(st),
		svc: tickets.NewService(st, st, st, tickets.Config{}), key: prefix + ":{" + store.DefaultDesk + "}:"}
}

// worker is a Worker of desk d sending to channels.
func (d *desk) worker(channels []delivery.Channel, opts delivery.Options) *delivery.Worker {
	pfs := make([]string, len(channels))
	for i, c := range channels {
		pfs[i] = c.Platform()
	}
	return delivery.New(delivery.NewOutbox(d.ob, pfs...), d.leases, channels, opts)
}

var agent = tickets.AgentActor(tickets.Agent{ID: "U1", Name: "Ana"})

// retry runs f until it succeeds (through a Redis outage), for up to a minute.
func retry(ctx context.Context, f func() error) error {
	deadline := time.Now().Add(time.Minute)
	for {
		err := f()
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		var te *tickets.Error
		if errors.As(err, &te) && te.Code != tickets.EINTERNAL {
			return err
		}
		time.Sleep(50 * time.Millisecond) // waiting out an outage, not synchronising
	}
}

// load opens a ticket per chat and then makes changes until there are
// total events, spread over the chats; each call has its own request id, so
// a retry after a lost reply changes nothing twice.
func load(ctx context.Context, d *desk, chats []int64, total int) error {
	if total < len(chats) {
		return fmt.Errorf("total %d below %d chats", total, len(chats))
	}
	numbers := make([]int64, len(chats))
	for i, chat := range chats {
		c := tickets.Customer{Platform: "telegram", UserID: strconv.FormatInt(chat, 10), ChatID: strconv.FormatInt(chat, 10), Name: "C", Language: "es"}
		rctx := tickets.WithRequestID(ctx, fmt.Sprintf("open-%d", chat))
		err := retry(ctx, func() error {
			t, err := d.svc.Open(rctx, tickets.OpenRequest{Customer: c, Nature: tickets.NatureQuestion, Urgency: tickets.UrgencyNormal, Description: "help"})
			numbers[i] = t.Number
			return err
		})
		if err != nil {
			return err
		}
	}
	for k := len(chats); k < total; k++ {
		i := k % len(chats)
		round := k / len(chats)
		rctx := tickets.WithRequestID(ctx, fmt.Sprintf("chg-%d-%d", chats[i], round))
		err := retry(ctx, func() error {
			var err error
			if round%2 == 1 {
				_, err = d.svc.Claim(rctx, agent, numbers[i], false)
			} else {
				_, err = d.svc.SetWaiting(rctx, agent, numbers[i])
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// expected reads the stream and returns, per chat, the event ids whose
// messages the chat must get, in order.
func expected(t testing.TB, ctx context.Context, d *desk) (map[int64][]string, int) {
	t.Helper()
	evs, err := d.st.Events(ctx, "", 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	chatOf := map[int64]int64{}
	out := map[int64][]string{}
	for _, e := range evs {
		chat, ok := chatOf[e.Number]
		if !ok {
			tk, err := d.st.Get(ctx, e.Number)
			if err != nil {
				t.Fatal(err)
			}
			chat, _ = strconv.ParseInt(tk.Customer.ChatID, 10, 64)
			chatOf[e.Number] = chat
		}
		out[chat] = append(out[chat], e.ID)
	}
	return out, len(evs)
}

// verify checks that every chat got exactly its expected messages in order,
// allowing a repeat only right after the original (the documented crash
// window). It returns the repeats per chat.
func verify(t testing.TB, want, got map[int64][]string) map[int64]int {
	t.Helper()
	dups := map[int64]int{}
	for chat, w := range want {
		g := got[chat]
		var dedup []string
		for _, id := range g {
			if n := len(dedup); n > 0 && dedup[n-1] == id {
				dups[chat]++
				continue
			}
			dedup = append(dedup, id)
		}
		if !slices.Equal(dedup, w) {
			t.Errorf("chat %d got %d messages %v\nwant %d %v", chat, len(g), short(g), len(w), short(w))
		}
	}
	for chat := range got {
		if _, ok := want[chat]; !ok {
			t.Errorf("chat %d got unexpected messages %v", chat, got[chat])
		}
	}
	return dups
}

func short(ids []string) []string {
	if len(ids) > 12 {
		return append(slices.Clone(ids[:12]), "…")
	}
	return ids
}

// received returns the event ids of the messages each chat got from the
// fake Telegram server.
func received(srv *telegramtest.Server, chats []int64) map[int64][]string {
	out := map[int64][]string{}
	for _, chat := range chats {
		for _, m := range srv.Messages(chat) {
			if !m.FromBot {
				continue
			}
			if _, id, ok := strings.Cut(m.Text, "ev="); ok {
				out[chat] = append(out[chat], id)
			}
		}
	}
	return out
}

func countReceived(srv *telegramtest.Server) int {
	n := 0
	for _, m := range srv.AllMessages() {
		if m.FromBot {
			n++
		}
	}
	return n
}

// waitUntil polls cond (state owned by other processes) until it holds.
func waitUntil(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond) // polling another process's progress
	}
}

// tgChannel is a minimal Telegram Channel: one text per event to the
// customer's chat, sent with the real client library.
type tgChannel struct {
	bot    *tgbotapi.BotAPI
	st     *store.Store
	limits delivery.Limits

	mu     sync.Mutex
	failed map[string]string // message id -> reason
}

func newTGChannel(t testing.TB, srv *telegramtest.Server, st *store.Store, limits delivery.Limits) *tgChannel {
	t.Helper()
	c, err := newTG(srv.Token(), srv.Endpoint(), st, limits)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newTG(token, endpoint string, st *store.Store, limits delivery.Limits) (*tgChannel, error) {
	bot, err := tgbotapi.NewBotAPIWithClient(token, endpoint, &http.Client{Timeout: 2 * time.Second})
	if err != nil {
		return nil, err
	}
	return &tgChannel{bot: bot, st: st, limits: limits, failed: map[string]string{}}, nil
}

func (c *tgChannel) Platform() string        { return "telegram" }
func (c *tgChannel) Limits() delivery.Limits { return c.limits }

func (c *tgChannel) Plan(ctx context.Context, e tickets.Event) ([]delivery.Message, error) {
	t, err := c.st.Get(ctx, e.Number)
	if err != nil {
		return nil, err
	}
	return []delivery.Message{{Lane: t.Customer.ChatID, Paced: true, Key: "customer", Number: e.Number, Kind: string(e.Kind)}}, nil
}

func (c *tgChannel) Send(ctx context.Context, m delivery.Message) error {
	chat, err := strconv.ParseInt(m.Lane, 10, 64)
	if err != nil {
		return delivery.Permanent("bad_target", err)
	}
	_, err = c.bot.Send(tgbotapi.NewMessage(chat, fmt.Sprintf("#%d %s ev=%s", m.Number, m.Kind, m.EventID)))
	var te *tgbotapi.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te) && te.RetryAfter > 0:
		return delivery.RetryAfter(time.Duration(te.RetryAfter)*time.Second, err)
	case errors.As(err, &te) && te.Code == http.StatusForbidden:
		return delivery.Permanent("blocked", err)
	case errors.As(err, &te) && te.Code == http.StatusBadRequest:
		return delivery.Permanent("bad_request", err)
	}
	return err
}

func (c *tgChannel) Failed(ctx context.Context, m delivery.Message, reason string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failed[m.ID] = reason
	return nil
}

func (c *tgChannel) failures() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]string{}
	for k, v := range c.failed {
		out[k] = v
	}
	return out
}

// metrics counts what a Worker reports.
type metrics struct {
	mu                               sync.Mutex
	delivered, retried, dead, limits int
	lags                             []time.Duration
}

func (m *metrics) Delivered(_ string, lag time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.delivered++
	if lag >= 0 {
		m.lags = append(m.lags, lag)
	}
}

func (m *metrics) Retried(_ string, reason string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.retried++
	if reason == "rate_limited" {
		m.limits++
	}
}

func (m *metrics) DeadLettered(string, string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dead++
}

func (m *metrics) snapshot() (delivered, retried, dead, limits int, lags []time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.delivered, m.retried, m.dead, m.limits, slices.Clone(m.lags)
}

// run starts w and returns a function that stops it and waits.
func run(t testing.TB, w *delivery.Worker) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := w.Run(ctx); err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Errorf("worker did not stop")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func chatRange(first int64, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = first + int64(i)
	}
	return out
}

// fastOptions are Options for tests: short timeouts, quick retries.
func fastOptions() delivery.Options {
	return delivery.Options{
		ClaimIdle: 2 * time.Second, LeaseTTL: 3 * time.Second, SendTimeout: 2 * time.Second,
		RetryBase: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond, Poll: 50 * time.Millisecond,
		FanoutTTL: 2 * time.Second, MaxAttempts: 20,
	}
}

// waitDrained waits until delivery has nothing left to do on d: the
// consumer group has read every event of the stream and none is pending,
// and no lane has a message waiting or a send in flight (a leased message
// stays at the head of its lane until its send is recorded). After that no further send
// can happen, so what the fake received is final.
func waitDrained(t testing.TB, d *desk) {
	t.Helper()
	ctx := context.Background()
	waitUntil(t, time.Minute, "delivery to drain", func() bool {
		groups, err := d.rdb.XInfoGroups(ctx, d.key+"events").Result()
		if err != nil || len(groups) == 0 {
			return false
		}
		last, err := d.rdb.XRevRangeN(ctx, d.key+"events", "+", "-", 1).Result()
		if err != nil {
			return false
		}
		for _, g := range groups {
			if g.Pending != 0 || (len(last) > 0 && g.LastDeliveredID != last[0].ID) {
				return false
			}
		}
		lanes, err := d.rdb.Keys(ctx, d.key+"dl:q:*").Result()
		return err == nil && len(lanes) == 0
	})
}
