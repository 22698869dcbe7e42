package telegram_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
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

// The adapter's Storage is what the store provides.
var _ telegram.Storage = (*store.Telegram)(nil)

const testToken = "424242:SeCrEt-T0ken_value"

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is a bot wired to a fake Bot API and a real Redis.
type env struct {
	t      testing.TB
	fake   *telegramtest.Server
	st     *store.Store
	svc    *tickets.Service
	inline *delivery.Inline
	bot    *telegram.Bot
	cfg    telegram.Config
	logs   *syncBuffer
	stop   func()
	// read counts the bot messages of each chat that tests have consumed.
	read      map[int64]int
	lastEvent string
	answered  int // callback answers consumed by answers
	// wrapStore, when set, wraps the store the Service keeps tickets in.
	wrapStore func(tickets.Store) tickets.Store
	// now, when set, is the bots' clock.
	now func() time.Time
	// maxActive is the Service's cap on a customer's active tickets.
	maxActive int
}

type envOption func(*env)

// withFailingMessages makes the Service fail every change that appends a
// message for which fail is true, as a corrupt record or a bug would.
func withFailingMessages(fail func(m *tickets.Message) bool) envOption {
	return func(e *env) {
		e.wrapStore = func(s tickets.Store) tickets.Store { return failingStore{Store: s, fail: fail} }
	}
}

type failingStore struct {
	tickets.Store
	fail func(m *tickets.Message) bool
}

func (s failingStore) Apply(ctx context.Context, c tickets.Change) (tickets.Ticket, error) {
	if c.Message != nil && s.fail(c.Message) {
		return tickets.Ticket{}, errors.New("injected failure")
	}
	return s.Store.Apply(ctx, c)
}

// withCap caps a customer's active tickets at n.
func withCap(n int) envOption {
	return func(e *env) { e.maxActive = n }
}

// withClock gives the bots the clock now.
func withClock(now func() time.Time) envOption {
	return func(e *env) { e.now = now }
}

func withConfig(f func(*telegram.Config)) envOption {
	return func(e *env) { f(&e.cfg) }
}

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	rdb, prefix := redistest.Client(t)
	e := &env{
		t:    t,
		fake: telegramtest.New(telegramtest.WithToken(testToken)),
		st:   store.New(rdb, store.Options{Prefix: prefix}),
		logs: &syncBuffer{},
		read: map[int64]int{},
		cfg: telegram.Config{
			Token:        testToken,
			TermsURL:     "https://example.com/terms",
			SupportEmail: "soporte@example.com",
			AlbumWait:    100 * time.Millisecond,
			LeaseTTL:     900 * time.Millisecond,
		},
	}
	t.Cleanup(e.fake.Close)
	for _, o := range opts {
		o(e)
	}
	e.cfg.APIEndpoint = e.fake.Endpoint()
	var ts tickets.Store = e.st
	if e.wrapStore != nil {
		ts = e.wrapStore(ts)
	}
	e.svc = tickets.NewService(ts, e.st, e.st, tickets.Config{TermsVersion: "v1", MaxActiveTickets: e.maxActive})
	e.inline = delivery.NewInline()
	e.bot = e.newBot(e.cfg)
	t.Cleanup(func() {
		if e.stop != nil {
			e.stop()
		}
		if strings.Contains(e.logs.String(), testToken) {
			t.Errorf("the bot token appears in the logs:\n%s", e.logs.String())
		}
	})
	return e
}

// deps are the Bot's dependencies over the env's store and outbox.
func (e *env) deps() telegram.Deps {
	return telegram.Deps{Service: e.svc, Storage: store.NewTelegram(e.st), Marks: store.NewInbound(e.st),
		Leases: store.NewLeases(e.st), Outbox: e.inline, Now: e.now}
}

// newBot builds another Bot over the same fake, store and outbox.
func (e *env) newBot(cfg telegram.Config) *telegram.Bot {
	e.t.Helper()
	log := zerolog.New(e.logs).With().Str("component", "telegram").Logger()
	deps := e.deps()
	deps.Logger = log
	b, err := telegram.New(cfg, deps)
	if err != nil {
		e.t.Fatalf("telegram.New: %v", err)
	}
	e.inline.Add(b)
	return b
}

// start runs the bot's polling loop until the test ends (or stop).
func (e *env) start() { e.stop = e.run(e.bot) }

func (e *env) run(b *telegram.Bot) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					e.t.Errorf("Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				e.t.Errorf("Run did not return after cancel")
			}
		})
	}
}

func ctx10(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// expect waits for the next bot message to user's chat containing want
// (in its plain text), skipping others, and returns it.
func (e *env) expect(user telegramtest.User, want string) telegramtest.Message {
	e.t.Helper()
	ctx := ctx10(e.t)
	for {
		msgs, err := e.fake.WaitMessages(ctx, user.ID, e.read[user.ID]+1)
		if err != nil {
			e.t.Fatalf("waiting for %q in chat %d: %v; got:\n%s", want, user.ID, err, dump(msgs))
		}
		for i := e.read[user.ID]; i < len(msgs); i++ {
			e.read[user.ID] = i + 1
			if strings.Contains(msgs[i].PlainText, want) {
				return msgs[i]
			}
		}
	}
}

// expectEdit waits until bot message id of user's chat (edits applied)
// satisfies ok, and returns it.
func (e *env) expectEdit(user telegramtest.User, id int, what string, ok func(telegramtest.Message) bool) telegramtest.Message {
	e.t.Helper()
	var m telegramtest.Message
	err := e.fake.WaitFor(ctx10(e.t), func() bool {
		for _, x := range e.fake.Messages(user.ID) {
			if x.MessageID == id {
				m = x
				return ok(x)
			}
		}
		return false
	})
	if err != nil {
		e.t.Fatalf("waiting for message %d to show %s: %v; it is %q", id, what, err, m.PlainText)
	}
	return m
}

// edited waits until bot message m (edits applied) contains want.
func (e *env) edited(user telegramtest.User, m telegramtest.Message, want string) telegramtest.Message {
	e.t.Helper()
	return e.expectEdit(user, m.MessageID, strconv.Quote(want), func(m telegramtest.Message) bool { return strings.Contains(m.PlainText, want) })
}

// hasButton reports whether m has a button whose text contains label.
func hasButton(m telegramtest.Message, label string) bool {
	for _, b := range m.Buttons() {
		if strings.Contains(b.Text, label) {
			return true
		}
	}
	return false
}

// latest returns the current state of bot message id (edits applied).
func (e *env) latest(user telegramtest.User, id int) telegramtest.Message {
	for _, m := range e.fake.Messages(user.ID) {
		if m.MessageID == id {
			return m
		}
	}
	e.t.Fatalf("message %d not found", id)
	return telegramtest.Message{}
}

func dump(msgs []telegramtest.Message) string {
	var b strings.Builder
	for _, m := range msgs {
		fmt.Fprintf(&b, "  [%d bot=%v] %q\n", m.MessageID, m.FromBot, m.PlainText)
	}
	return b.String()
}

// press presses the button of m whose text contains label.
func (e *env) press(user telegramtest.User, m telegramtest.Message, label string) {
	e.t.Helper()
	for _, b := range m.Buttons() {
		if strings.Contains(b.Text, label) {
			e.fake.PressButton(user, m.MessageID, b.CallbackData)
			return
		}
	}
	e.t.Fatalf("no button %q on message %q (%v)", label, m.PlainText, m.Buttons())
}

// pump delivers the events written since the last pump, as a delivery
// worker would.
func (e *env) pump() {
	e.t.Helper()
	ctx := ctx10(e.t)
	for {
		evs, err := e.st.Events(ctx, e.lastEvent, 100)
		if err != nil {
			e.t.Fatalf("events: %v", err)
		}
		if len(evs) == 0 {
			return
		}
		for _, ev := range evs {
			if err := e.inline.Deliver(ctx, ev); err != nil {
				e.t.Fatalf("deliver %s: %v", ev.Kind, err)
			}
			e.lastEvent = ev.ID
		}
	}
}

// acceptTerms makes user accept the terms through /start.
func (e *env) acceptTerms(user telegramtest.User) {
	e.t.Helper()
	e.fake.SendCommand(user, "start", "")
	m := e.expect(user, "v1")
	e.press(user, m, "✅")
	e.expect(user, "v1")
	e.answers(1)
}

// formTo starts the form and chooses nature and urgency (labels in the
// customer's language), up to the description step.
func (e *env) formTo(user telegramtest.User, nature, urgency string) {
	e.t.Helper()
	e.fake.SendCommand(user, "new", "")
	m := e.expect(user, "?")
	e.press(user, m, nature)
	// Each step is answered in one edit of the form's message: the choice
	// and the next question.
	m = e.expectEdit(user, m.MessageID, "the urgencies", func(m telegramtest.Message) bool { return hasButton(m, urgency) })
	e.answers(1)
	e.press(user, m, urgency)
	e.expectEdit(user, m.MessageID, "the description step", func(m telegramtest.Message) bool {
		return strings.Contains(m.PlainText, "/cancel") && len(m.Buttons()) == 0
	})
	e.answers(1)
}

// open drives the form in Spanish or English labels and returns the
// confirmation.
func (e *env) open(user telegramtest.User, nature, urgency, description string) telegramtest.Message {
	e.t.Helper()
	e.formTo(user, nature, urgency)
	e.fake.SendText(user, description)
	return e.expect(user, "#")
}

func (e *env) ticket(n int64) tickets.Ticket {
	e.t.Helper()
	tk, err := e.svc.Get(ctx10(e.t), tickets.SystemActor, n)
	if err != nil {
		e.t.Fatalf("get #%d: %v", n, err)
	}
	return tk
}

func (e *env) conversation(n int64) []tickets.Message {
	e.t.Helper()
	msgs, err := e.svc.Conversation(ctx10(e.t), tickets.SystemActor, n, 50)
	if err != nil {
		e.t.Fatalf("conversation #%d: %v", n, err)
	}
	return msgs
}

var (
	ana   = tickets.AgentActor(tickets.Agent{ID: "U1", Name: "Ana <Soporte>"})
	maria = telegramtest.User{ID: 1001, FirstName: "María", LanguageCode: "es"}
	john  = telegramtest.User{ID: 1002, FirstName: "John", LanguageCode: "en-US"}
	pedro = telegramtest.User{ID: 1003, FirstName: "Pedro", LanguageCode: "es-CO"}
)

// answers waits for the next n callback answers and returns them.
func (e *env) answers(n int) []telegramtest.CallbackAnswer {
	e.t.Helper()
	all, err := e.fake.WaitCallbackAnswers(ctx10(e.t), e.answered+n)
	if err != nil {
		e.t.Fatalf("waiting for %d callback answers: %v", n, err)
	}
	got := all[e.answered : e.answered+n]
	e.answered += n
	return got
}

// claimAndResolve has the agent Ana claim ticket n and resolve it, then
// delivers the events.
func (e *env) claimAndResolve(n int64) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := e.svc.Claim(ctx, ana, n, false); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.svc.Resolve(ctx, ana, n); err != nil {
		e.t.Fatal(err)
	}
	e.pump()
}
