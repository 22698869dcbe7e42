package slack

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/bots/inbound"
	"github.com/colombiainformatica/ticketbot/bots/slack/slacktest"
	"github.com/colombiainformatica/ticketbot/internal/redistest"
	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

const (
	secret  = "test-signing-secret"
	queue   = slacktest.DefaultChannelID
	ana     = "UANA"
	bob     = "UBOB"
	eve     = "UEVE" // in the channel, not an agent
	agentsG = "SAGENTS"
)

// harness is a Bot over a real Redis, served by httptest and talking to a
// fake Slack; events are delivered with delivery.Inline by pump.
type harness struct {
	t      testing.TB
	ctx    context.Context
	fake   *slacktest.Server
	st     *store.Store
	svc    *tickets.Service
	bot    *Bot
	inline *delivery.Inline
	srv    *httptest.Server
	last   string // the last event delivered
	base   string // the desk's key prefix, "<prefix>:{support}:"
}

// key is the Redis key of the desk with suffix (store/keys.go's layout),
// for tests that lose or look at a record directly.
func (h *harness) key(suffix string) string { return h.base + suffix }

func newHarness(t testing.TB, opts ...func(*Config)) *harness {
	t.Helper()
	return newFaultyHarness(t, nil, opts...)
}

// newFaultyHarness is newHarness with f's faults injected between the Bot
// (and its Service) and the real store; f may be nil.
func newFaultyHarness(t testing.TB, f *faults, opts ...func(*Config)) *harness {
	t.Helper()
	rdb, prefix := redistest.Client(t)
	st := store.New(rdb, store.Options{Prefix: prefix})
	var (
		tstore  tickets.Store = st
		storage Storage       = store.NewSlack(st)
		marks   inbound.Marks = store.NewInbound(st)
	)
	if f != nil {
		tstore, storage, marks = &faultyStore{Store: st, f: f}, &faultyStorage{Storage: storage, f: f}, &faultyMarks{Marks: marks, f: f}
	}
	svc := tickets.NewService(tstore, st, st, tickets.Config{})
	fake := slacktest.Start(t)
	fake.AddUser(ana, "Ana Pérez", "Ana")
	fake.AddUser(bob, "Bob Smith", "Bob")
	fake.AddUser(eve, "Eve Mallory", "Eve")
	fake.AddUserGroup(agentsG, ana, bob)
	cfg := Config{
		BotToken: fake.Token(), SigningSecret: secret, APIURL: fake.APIURL(),
		QueueChannel: queue, Agents: []string{agentsG},
	}
	for _, o := range opts {
		o(&cfg)
	}
	bot, err := New(cfg, Deps{Service: svc, Storage: storage, Marks: marks, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	bot.Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	t.Cleanup(bot.work.Wait)
	fake.SetApp(srv.URL+"/slack/events", srv.URL+"/slack/interactions", srv.URL+"/slack/commands", secret)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return &harness{t: t, ctx: ctx, fake: fake, st: st, svc: svc, bot: bot, inline: delivery.NewInline(bot), srv: srv,
		base: prefix + ":{" + store.DefaultDesk + "}:"}
}

// open opens a ticket as a Telegram customer and delivers its events.
func (h *harness) open(desc string, nature tickets.Nature, urgency tickets.Urgency) tickets.Ticket {
	h.t.Helper()
	t, err := h.svc.Open(h.ctx, tickets.OpenRequest{
		Customer:    tickets.Customer{Platform: "telegram", UserID: "42", ChatID: "42", Name: "María", Language: "es"},
		Nature:      nature,
		Urgency:     urgency,
		Description: desc,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	h.pump()
	return t
}

// settle waits for the inbound work started so far, then delivers the
// events it caused.
func (h *harness) settle() []tickets.Event {
	h.t.Helper()
	h.bot.work.Wait()
	return h.pump()
}

// pump delivers the events written since the last pump and returns them.
func (h *harness) pump() []tickets.Event {
	h.t.Helper()
	evs, err := h.st.Events(h.ctx, h.last, 1000)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, e := range evs {
		if err := h.inline.Deliver(h.ctx, e); err != nil {
			h.t.Fatalf("deliver %s %s: %v", e.Kind, e.ID, err)
		}
		h.last = e.ID
	}
	return evs
}

func (h *harness) cardTS(n int64) string {
	h.t.Helper()
	_, ts, ok, err := h.bot.cardRef(h.ctx, n)
	if err != nil || !ok {
		h.t.Fatalf("no card for #%d: %v", n, err)
	}
	return ts
}

func (h *harness) card(n int64) slacktest.Message {
	h.t.Helper()
	m, ok := h.fake.Message(queue, h.cardTS(n))
	if !ok {
		h.t.Fatalf("card of #%d not in the channel", n)
	}
	return m
}

func (h *harness) get(n int64) tickets.Ticket {
	h.t.Helper()
	t, err := h.svc.Get(h.ctx, tickets.SystemActor, n)
	if err != nil {
		h.t.Fatal(err)
	}
	return t
}

// said returns everything user was told privately: response URL posts,
// immediate answers and ephemeral messages.
func (h *harness) said(user string) string {
	var parts []string
	for _, r := range h.fake.Responses(user) {
		parts = append(parts, r.Text+"\n"+slacktest.BlocksText(r.Blocks))
	}
	for _, m := range h.fake.Ephemerals(user) {
		parts = append(parts, m.Text)
	}
	return strings.Join(parts, "\n---\n")
}

// waitSaid waits until user was told something containing want.
func (h *harness) waitSaid(user, want string) {
	h.t.Helper()
	if err := h.fake.WaitFor(h.ctx, func() bool { return strings.Contains(h.said(user), want) }); err != nil {
		h.t.Fatalf("%s was never told %q; told:\n%s", user, want, h.said(user))
	}
}

func kinds(evs []tickets.Event) []tickets.EventKind {
	var ks []tickets.EventKind
	for _, e := range evs {
		ks = append(ks, e.Kind)
	}
	return ks
}

func hasKind(evs []tickets.Event, k tickets.EventKind) bool {
	for _, e := range evs {
		if e.Kind == k {
			return true
		}
	}
	return false
}

func click(h *harness, user string, n int64, action string) {
	h.t.Helper()
	resp, err := h.fake.ClickButton(h.ctx, user, queue, h.cardTS(n), action, "")
	if err != nil {
		h.t.Fatal(err)
	}
	if resp.Status != http.StatusOK {
		h.t.Fatalf("click %s: status %d", action, resp.Status)
	}
}

// faults are failures injected into the store, each the given number of
// times: Redis answering an error, or losing the answer of a write that
// was done.
type faults struct {
	applyLost   atomic.Int32 // Apply writes, then fails
	threadFails atomic.Int32 // reading which ticket a thread is fails
	doneFails   atomic.Int32 // marking an event done fails
}

var errRedisDown = errors.New("redis: connection reset by peer")

func take(n *atomic.Int32) bool {
	for {
		v := n.Load()
		if v <= 0 {
			return false
		}
		if n.CompareAndSwap(v, v-1) {
			return true
		}
	}
}

type faultyStore struct {
	*store.Store
	f *faults
}

func (s *faultyStore) Apply(ctx context.Context, c tickets.Change) (tickets.Ticket, error) {
	t, err := s.Store.Apply(ctx, c)
	if err == nil && take(&s.f.applyLost) {
		return tickets.Ticket{}, errRedisDown
	}
	return t, err
}

type faultyStorage struct {
	Storage
	f *faults
}

func (s *faultyStorage) ThreadTicket(ctx context.Context, channel, ts string) (int64, bool, error) {
	if take(&s.f.threadFails) {
		return 0, false, errRedisDown
	}
	return s.Storage.ThreadTicket(ctx, channel, ts)
}

type faultyMarks struct {
	inbound.Marks
	f *faults
}

func (m *faultyMarks) Done(ctx context.Context, mk inbound.Mark, keep time.Duration) error {
	if take(&m.f.doneFails) {
		return errRedisDown
	}
	return m.Marks.Done(ctx, mk, keep)
}
