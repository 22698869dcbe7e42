package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/internal/redistest"
	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

func TestParseRetention(t *testing.T) {
	day := 24 * time.Hour
	for _, tc := range []struct {
		v    string
		want time.Duration
		err  string
	}{
		{"", 730 * day, ""},
		{"0", tickets.KeepForever, ""},
		{"730d", 730 * day, ""},
		{"30d", 30 * day, ""},
		{"8760h", 8760 * time.Hour, ""},
		{"24h", day, ""},
		{"1h", 0, "shorter than a day"},
		{"-5d", 0, "not a number of days"},
		{"xd", 0, "not a number of days"},
		{"2y", 0, "not a retention like 730d"},
		{"-1h", 0, "not a retention like 730d"},
	} {
		c, err := parseConfig(envOf(map[string]string{"REDIS_URL": "redis://localhost:6379", "RETENTION": tc.v}), false)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), "RETENTION") || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("RETENTION=%q: %v; want an error naming RETENTION with %q", tc.v, err, tc.err)
			}
		case err != nil:
			t.Errorf("RETENTION=%q: %v", tc.v, err)
		case c.Retention != tc.want:
			t.Errorf("RETENTION=%q = %v; want %v", tc.v, c.Retention, tc.want)
		}
	}
}

func TestStatsCommand(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	ctx := context.Background()
	st := store.New(rdb, store.Options{Prefix: prefix})
	clock := &stepClock{now: time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)}
	svc := tickets.NewService(st, st, st, tickets.Config{Clock: clock})
	agent := tickets.AgentActor(tickets.Agent{ID: "U0ANA", Name: "Ana"})
	tk, err := svc.Open(ctx, tickets.OpenRequest{Customer: tickets.Customer{Platform: "telegram", UserID: "1", ChatID: "1"},
		Nature: tickets.NatureQuestion, Urgency: tickets.UrgencyLow, Description: "hola"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Claim(ctx, agent, tk.Number, false); err != nil {
		t.Fatal(err)
	}
	clock.now = clock.now.Add(90 * time.Minute)
	if _, err := svc.Resolve(ctx, agent, tk.Number); err != nil {
		t.Fatal(err)
	}
	clock.now = clock.now.Add(tickets.DefaultRetention)
	if res, err := svc.Sweep(ctx, 10); err != nil || res.Expired != 1 {
		t.Fatalf("Sweep = %+v, %v", res, err)
	}
	env := envOf(map[string]string{"REDIS_URL": redistest.URL(t), "REDIS_PREFIX": prefix})
	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"stats", "-from", "2025-01", "-to", "2025-06"}, env, &stdout, &stderr); code != 0 {
		t.Fatalf("stats = %d, stderr %q", code, stderr.String())
	}
	for _, want := range []string{"2025-03", "#1-#1", "1h30m0s", "question=1", "resolved=1", "0=1", "1 expired tickets in 1 months"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stats output lacks %q:\n%s", want, stdout.String())
		}
	}
	stdout.Reset()
	if code := run(ctx, []string{"stats", "-from", "2025-13"}, env, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "-from") {
		t.Errorf("stats -from 2025-13 = %d, stderr %q", code, stderr.String())
	}
}

type stepClock struct{ now time.Time }

func (c *stepClock) Now() time.Time { return c.now }
