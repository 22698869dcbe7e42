package telegram_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/bots/telegram"
	"github.com/colombiainformatica/ticketbot/bots/telegram/telegramtest"
	"github.com/colombiainformatica/ticketbot/internal/redistest"
	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// TestReplicaProcess is not a test: it is a whole Telegram replica (the
// bot polling, and delivery) that the takeover tests start by re-executing
// the test binary, and stop with SIGKILL or SIGTERM.
func TestReplicaProcess(t *testing.T) {
	if os.Getenv("TG_REPLICA") != "1" {
		t.Skip("a replica process for the takeover tests")
	}
	opt, err := redis.ParseURL(os.Getenv("TG_REDIS"))
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(redis.NewClient(opt), store.Options{Prefix: os.Getenv("TG_PREFIX")})
	svc := tickets.NewService(st, st, st, tickets.Config{TermsVersion: "v1"})
	outbox := delivery.NewOutbox(store.NewDelivery(st), telegram.Platform)
	log := zerolog.New(os.Stderr).With().Timestamp().Str("replica", os.Getenv("TG_NAME")).Logger()
	bot, err := telegram.New(telegram.Config{
		Token: testToken, APIEndpoint: os.Getenv("TG_ENDPOINT"), TermsURL: "https://example.com/terms",
	}, telegram.Deps{Service: svc, Storage: store.NewTelegram(st), Marks: store.NewInbound(st), Leases: store.NewLeases(st),
		Outbox: outbox, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	w := delivery.New(outbox, store.NewLeases(st), []delivery.Channel{bot}, delivery.Options{Logger: log})
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	var wg sync.WaitGroup
	wg.Go(func() { _ = bot.Run(ctx) })
	wg.Go(func() { _ = w.Run(ctx) })
	wg.Wait()
}

// replicas runs Telegram replicas as processes over one Redis prefix and
// one fake Bot API, like a deployment.
type replicas struct {
	t      testing.TB
	fake   *telegramtest.Server
	url    string
	prefix string
	logs   string
}

func newReplicas(t testing.TB) *replicas {
	t.Helper()
	_, prefix := redistest.Client(t)
	fake := telegramtest.New(telegramtest.WithToken(testToken))
	t.Cleanup(fake.Close)
	return &replicas{t: t, fake: fake, url: redistest.URL(t), prefix: prefix, logs: t.TempDir()}
}

func (r *replicas) start(name string) *exec.Cmd {
	r.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestReplicaProcess$")
	cmd.Env = append(os.Environ(), "TG_REPLICA=1", "TG_REDIS="+r.url, "TG_PREFIX="+r.prefix,
		"TG_ENDPOINT="+r.fake.Endpoint(), "TG_NAME="+name)
	logf, err := os.Create(filepath.Join(r.logs, name+".log"))
	if err != nil {
		r.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logf.Close()
		if r.t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			r.t.Logf("%s's log:\n%s", name, tail(string(b), 40))
		}
	})
	return cmd
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// waitMessage waits until user's chat has a bot message containing want,
// and returns it.
func (r *replicas) waitMessage(ctx context.Context, user telegramtest.User, want string) (telegramtest.Message, error) {
	var found telegramtest.Message
	err := r.fake.WaitFor(ctx, func() bool {
		for _, m := range r.fake.Messages(user.ID) {
			if strings.Contains(m.PlainText, want) {
				found = m
				return true
			}
		}
		return false
	})
	if err != nil {
		return found, fmt.Errorf("chat %d: no %q: %w", user.ID, want, err)
	}
	return found, nil
}

func (r *replicas) press(user telegramtest.User, m telegramtest.Message, label string) error {
	for _, b := range m.Buttons() {
		if strings.Contains(b.Text, label) {
			r.fake.PressButton(user, m.MessageID, b.CallbackData)
			return nil
		}
	}
	return fmt.Errorf("no button %q on %q", label, m.PlainText)
}

// toDescription takes users, all at once, through the terms and the
// form's choices, up to its description step.
func (r *replicas) toDescription(users []telegramtest.User) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	errs := make(chan error, len(users))
	for _, u := range users {
		go func() {
			errs <- func() error {
				r.fake.SendCommand(u, "start", "")
				m, err := r.waitMessage(ctx, u, "v1")
				if err == nil {
					err = r.press(u, m, "Acepto")
				}
				if err == nil {
					_, err = r.waitMessage(ctx, u, "Términos aceptados")
				}
				if err != nil {
					return err
				}
				r.fake.SendCommand(u, "new", "")
				if m, err = r.waitMessage(ctx, u, "Nuevo ticket"); err == nil {
					err = r.press(u, m, "Falla")
				}
				if err == nil {
					m, err = r.waitMessage(ctx, u, "Qué tan urgente")
				}
				if err == nil {
					err = r.press(u, m, "Alta")
				}
				if err == nil {
					_, err = r.waitMessage(ctx, u, "Describa el problema")
				}
				return err
			}()
		}()
	}
	for range users {
		if err := <-errs; err != nil {
			r.t.Fatal(err)
		}
	}
}

// answered waits until every user has the confirmation of the ticket
// their description opened, and returns how long after since each got it.
func (r *replicas) answered(users []telegramtest.User, since time.Time, limit time.Duration) []time.Duration {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	got := make([]time.Duration, len(users))
	err := r.fake.WaitFor(ctx, func() bool {
		all := true
		for i, u := range users {
			if got[i] > 0 {
				continue
			}
			for _, m := range r.fake.Messages(u.ID) {
				if strings.Contains(m.PlainText, "creado") {
					got[i] = time.Since(since)
				}
			}
			all = all && got[i] > 0
		}
		return all
	})
	if err != nil {
		n := 0
		for _, d := range got {
			if d > 0 {
				n++
			}
		}
		r.t.Fatalf("%d of %d customers answered within %v", n, len(users), limit)
	}
	return got
}

// firstAnswer waits until one of users has their confirmation: the
// replica is then in the middle of the work (updates handled, sends going
// out within Telegram's pace).
func (r *replicas) firstAnswer(users []telegramtest.User) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := r.fake.WaitFor(ctx, func() bool {
		for _, u := range users {
			for _, m := range r.fake.Messages(u.ID) {
				if strings.Contains(m.PlainText, "creado") {
					return true
				}
			}
		}
		return false
	})
	if err != nil {
		r.t.Fatal("no customer was answered")
	}
}

// describe makes every user send their description at once.
func (r *replicas) describe(users []telegramtest.User) time.Time {
	for _, u := range users {
		r.fake.SendText(u, fmt.Sprintf("La impresora de %d no imprime", u.ID))
	}
	return time.Now()
}

// repeats counts, per chat, confirmations beyond the first, and checks
// that each description opened one ticket.
func (r *replicas) repeats(users []telegramtest.User) int {
	r.t.Helper()
	n := 0
	for _, u := range users {
		c := 0
		for _, m := range r.fake.Messages(u.ID) {
			if strings.Contains(m.PlainText, "creado") {
				c++
			}
		}
		if c > 2 {
			r.t.Errorf("chat %d got the confirmation %d times; at most one repeat per crash", u.ID, c)
		}
		n += c - 1
	}
	return n
}

func customers(n int) []telegramtest.User {
	out := make([]telegramtest.User, n)
	for i := range out {
		out[i] = telegramtest.User{ID: int64(5000 + i), FirstName: fmt.Sprint("Cliente", i), LanguageCode: "es"}
	}
	return out
}

// pacing is the least time Telegram's limits let the bot answer n chats:
// 30 messages a second.
func pacing(n int) time.Duration { return time.Duration(n) * time.Second / 30 }

// TestKillOneOfTwoReplicas: two replicas, 50 customers at the form's last
// step; each sends the description and, as the first answers go out, the
// replica doing the work (the first, which holds the poller and fan-out
// leases and the sends in flight) is killed with SIGKILL. The other answers every customer within 5 s plus pacing;
// nothing is repeated but in the documented window.
func TestKillOneOfTwoReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("processes")
	}
	r := newReplicas(t)
	first := r.start("a")
	users := customers(50)
	r.toDescription(users)
	r.start("b")
	r.describe(users)
	r.firstAnswer(users)
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	since := time.Now()
	lat := r.answered(users, since, 30*time.Second)
	slices.Sort(lat)
	t.Logf("answers after the kill: first %v, median %v, last %v; %d repeats", lat[0], lat[len(lat)/2], lat[len(lat)-1], r.repeats(users))
	if last, bound := lat[len(lat)-1], 5*time.Second+pacing(len(users)); last > bound {
		t.Errorf("the last customer was answered %v after the kill, want within %v", last, bound)
	}
}

// TestRestartAfterKill: one replica, killed with SIGKILL at the same
// moment, and started again: every customer is answered within 5 s plus
// pacing of the restart.
func TestRestartAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("processes")
	}
	first, last := restartAfterKill(t, 50)
	if bound := 5*time.Second + pacing(50); last > bound {
		t.Errorf("the last customer was answered %v after the restart, want within %v (first %v)", last, bound, first)
	}
}

// restartAfterKill runs the restart scenario with n customers and returns
// when, after the restart, the first and the last were answered.
func restartAfterKill(t testing.TB, n int) (first, last time.Duration) {
	r := newReplicas(t)
	a := r.start("a")
	users := customers(n)
	r.toDescription(users)
	r.describe(users)
	r.firstAnswer(users)
	if err := a.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = a.Wait()
	restart := time.Now()
	r.start("a2")
	lat := r.answered(users, restart, 30*time.Second)
	slices.Sort(lat)
	t.Logf("answers after the restart: first %v, median %v, last %v; %d repeats", lat[0], lat[len(lat)/2], lat[len(lat)-1], r.repeats(users))
	return lat[0], lat[len(lat)-1]
}

// TestSIGTERMHandsOverAtOnce: a replica stopped with SIGTERM during the
// load finishes what it began and releases its leases: the other takes
// over with no lease to wait for.
func TestSIGTERMHandsOverAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("processes")
	}
	r := newReplicas(t)
	a := r.start("a")
	users := customers(50)
	r.toDescription(users)
	r.start("b")
	r.describe(users)
	r.firstAnswer(users)
	if err := a.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	since := time.Now()
	lat := r.answered(users, since, 30*time.Second)
	slices.Sort(lat)
	repeats := r.repeats(users)
	t.Logf("answers across the SIGTERM: first %v, median %v, last %v", lat[0], lat[len(lat)/2], lat[len(lat)-1])
	// The lease's lifetime (3 s) would show in the last answer were it
	// waited for.
	if last, bound := lat[len(lat)-1], 2*time.Second+pacing(len(users)); last > bound {
		t.Errorf("the last customer was answered %v after the SIGTERM, want within %v (no lease wait)", last, bound)
	}
	if repeats != 0 {
		t.Errorf("%d confirmations repeated across a graceful stop, want none", repeats)
	}
}

// BenchmarkRestartAfterKill reports the time from a restart after SIGKILL
// to the first and the last delayed answer, with 50 customers.
func BenchmarkRestartAfterKill(b *testing.B) {
	for range b.N {
		first, last := restartAfterKill(b, 50)
		b.ReportMetric(first.Seconds(), "s_first")
		b.ReportMetric(last.Seconds(), "s_last")
	}
}
