package tickets_test

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/tickets"
)

func TestUrgencyNames(t *testing.T) {
	want := map[tickets.Urgency]string{
		tickets.UrgencyLow: "low", tickets.UrgencyNormal: "normal",
		tickets.UrgencyHigh: "high", tickets.UrgencyCritical: "critical",
	}
	if len(tickets.Urgencies) != len(want) {
		t.Fatalf("Urgencies has %d entries; want %d", len(tickets.Urgencies), len(want))
	}
	for _, u := range tickets.Urgencies {
		if u.String() != want[u] {
			t.Errorf("Urgency(%d).String() = %q; want %q", u, u.String(), want[u])
		}
		got, err := tickets.ParseUrgency(u.String())
		if err != nil || got != u {
			t.Errorf("ParseUrgency(%q) = %v, %v; want %v", u.String(), got, err, u)
		}
	}
	if tickets.Urgencies[0] != tickets.UrgencyCritical {
		t.Errorf("Urgencies starts with %s; forms show the most urgent first", tickets.Urgencies[0])
	}
	for _, name := range []string{"", "urgent", "High", "urgency(1)"} {
		if _, err := tickets.ParseUrgency(name); tickets.ErrorCode(err) != tickets.EINVALID {
			t.Errorf("ParseUrgency(%q) error = %v; want EINVALID", name, err)
		}
	}
	for _, u := range []tickets.Urgency{0, tickets.UrgencyCritical + 1} {
		if u.Valid() {
			t.Errorf("Urgency(%d).Valid() = true", u)
		}
		if !strings.HasPrefix(u.String(), "urgency(") {
			t.Errorf("Urgency(%d).String() = %q", u, u.String())
		}
	}
}

func TestNatures(t *testing.T) {
	for _, n := range tickets.Natures {
		if !n.Valid() {
			t.Errorf("%q.Valid() = false", n)
		}
	}
	for _, n := range []tickets.Nature{"", "Outage", "other"} {
		if n.Valid() {
			t.Errorf("%q.Valid() = true", n)
		}
	}
	for _, in := range []tickets.Intake{tickets.IntakeChat, tickets.IntakeEmail} {
		if !in.Valid() {
			t.Errorf("%q.Valid() = false", in)
		}
	}
	if tickets.Intake("fax").Valid() {
		t.Error(`Intake("fax").Valid() = true`)
	}
}

func TestParsePriority(t *testing.T) {
	for in, want := range map[string]tickets.Priority{"1": 1, "P1": 1, "p2": 2, " P3 ": 3, "4": 4} {
		got, err := tickets.ParsePriority(in)
		if err != nil || got != want {
			t.Errorf("ParsePriority(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "5", "P0", "P5", "P", "high", "-1", "P1.5"} {
		if _, err := tickets.ParsePriority(in); tickets.ErrorCode(err) != tickets.EINVALID {
			t.Errorf("ParsePriority(%q) error = %v; want EINVALID", in, err)
		}
	}
	for p := tickets.HighestPriority; p <= tickets.MaxPriority; p++ {
		got, err := tickets.ParsePriority(p.String())
		if err != nil || got != p {
			t.Errorf("ParsePriority(%q) = %v, %v; want %v", p.String(), got, err, p)
		}
	}
}

func TestQueueScoreOrder(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC).UnixMilli()
	later := time.Date(2280, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli() // far future, still one band
	type entry struct {
		name string
		p    tickets.Priority
		in   tickets.Intake
		ms   int64
	}
	// want is in queue order: every entry must score strictly below the next.
	want := []entry{
		{"P1 chat first", 1, tickets.IntakeChat, t0},
		{"P1 chat 1ms later", 1, tickets.IntakeChat, t0 + 1},
		{"P1 chat far future", 1, tickets.IntakeChat, later},
		{"P1 email older than every chat", 1, tickets.IntakeEmail, t0 - 86_400_000},
		{"P1 email", 1, tickets.IntakeEmail, t0},
		{"P1 email far future", 1, tickets.IntakeEmail, later},
		{"P2 chat much older than P1", 2, tickets.IntakeChat, 0},
		{"P2 chat", 2, tickets.IntakeChat, t0},
		{"P2 email", 2, tickets.IntakeEmail, t0},
		{"P3 chat", 3, tickets.IntakeChat, t0},
		{"P3 email", 3, tickets.IntakeEmail, t0},
		{"P4 chat", 4, tickets.IntakeChat, t0 - 1},
		{"P4 chat later", 4, tickets.IntakeChat, t0},
		{"P4 email", 4, tickets.IntakeEmail, t0},
		{"P4 email far future", 4, tickets.IntakeEmail, later},
	}
	for i := 1; i < len(want); i++ {
		a, b := want[i-1], want[i]
		sa, sb := tickets.QueueScore(a.p, a.in, a.ms), tickets.QueueScore(b.p, b.in, b.ms)
		if !(sa < sb) {
			t.Errorf("score(%s) = %.0f is not below score(%s) = %.0f", a.name, sa, b.name, sb)
		}
	}
	shuffled := slices.Clone(want)
	slices.Reverse(shuffled)
	slices.SortStableFunc(shuffled, func(a, b entry) int {
		sa, sb := tickets.QueueScore(a.p, a.in, a.ms), tickets.QueueScore(b.p, b.in, b.ms)
		switch {
		case sa < sb:
			return -1
		case sa > sb:
			return 1
		}
		return 0
	})
	for i := range want {
		if shuffled[i].name != want[i].name {
			t.Errorf("sorted by score, position %d is %q; want %q", i, shuffled[i].name, want[i].name)
		}
	}
}

func TestQueueScoreExact(t *testing.T) {
	// Every score is an integer below 2^53, so each millisecond is its own
	// float64 and reading the score back gives band and arrival exactly.
	arrivals := []int64{
		0, 1,
		time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC).UnixMilli(),
		time.Date(2286, 11, 20, 17, 46, 39, 998_000_000, time.UTC).UnixMilli(), // just below 10^13
	}
	for p := tickets.HighestPriority; p <= tickets.MaxPriority; p++ {
		for _, in := range []tickets.Intake{tickets.IntakeChat, tickets.IntakeEmail} {
			band := int64(p-1) * 2
			if in == tickets.IntakeEmail {
				band++
			}
			for _, ms := range arrivals {
				s, next := tickets.QueueScore(p, in, ms), tickets.QueueScore(p, in, ms+1)
				if s == next {
					t.Errorf("%s %s: arrivals %d and %d ms share the score %.0f", p, in, ms, ms+1, s)
				}
				if s != math.Trunc(s) || s >= 1<<53 {
					t.Errorf("%s %s at %d: score %f is not an exact integer", p, in, ms, s)
				}
				if got, want := int64(s), band*1e13+ms; got != want {
					t.Errorf("%s %s at %d: score %d; want %d", p, in, ms, got, want)
				}
			}
		}
	}
}

func TestTicketScore(t *testing.T) {
	at := time.Date(2025, 3, 1, 12, 0, 0, 123_456_789, time.UTC)
	tk := tickets.Ticket{Priority: 2, Intake: tickets.IntakeEmail, CreatedAt: at}
	if got, want := tk.Score(), tickets.QueueScore(2, tickets.IntakeEmail, at.UnixMilli()); got != want {
		t.Errorf("Score() = %.0f; want %.0f", got, want)
	}
}

func TestDefaultPolicy(t *testing.T) {
	p := tickets.DefaultPolicy()
	for _, u := range tickets.Urgencies {
		if got := p.Priority(tickets.NatureOutage, u); got != tickets.HighestPriority {
			t.Errorf("outage, %s: %s; a service down is always P1", u, got)
		}
	}
	for _, n := range tickets.Natures {
		prev := tickets.MaxPriority + 1
		for _, u := range []tickets.Urgency{tickets.UrgencyLow, tickets.UrgencyNormal, tickets.UrgencyHigh, tickets.UrgencyCritical} {
			got := p.Priority(n, u)
			if !got.Valid() {
				t.Errorf("%s, %s: invalid priority %d", n, u, got)
			}
			if got > prev {
				t.Errorf("%s, %s: %s ranks below a less urgent %s", n, u, got, prev)
			}
			prev = got
		}
	}
	for _, c := range []struct {
		n    tickets.Nature
		u    tickets.Urgency
		want tickets.Priority
	}{
		{tickets.NatureMalfunction, tickets.UrgencyCritical, 1},
		{tickets.NatureMalfunction, tickets.UrgencyLow, 4},
		{tickets.NatureAccess, tickets.UrgencyNormal, 2}, // access ranked up
		{tickets.NatureQuestion, tickets.UrgencyNormal, 4},
		{tickets.NatureRequest, tickets.UrgencyCritical, 2}, // requests never P1
		{tickets.NatureBilling, tickets.UrgencyCritical, 2},
		{"unknown", tickets.UrgencyCritical, tickets.MaxPriority},
		{tickets.NatureOutage, 0, tickets.MaxPriority},
		{tickets.NatureOutage, tickets.UrgencyCritical + 1, tickets.MaxPriority},
	} {
		if got := p.Priority(c.n, c.u); got != c.want {
			t.Errorf("Priority(%q, %s) = %s; want %s", c.n, c.u, got, c.want)
		}
	}
	if got := (tickets.Policy{}).Priority(tickets.NatureOutage, tickets.UrgencyCritical); got != tickets.MaxPriority {
		t.Errorf("zero Policy gives %s; want %s", got, tickets.MaxPriority)
	}
}

func TestParsePolicy(t *testing.T) {
	def := tickets.DefaultPolicy()
	for _, spec := range []string{"", " ", ",", " , ,"} {
		p, err := tickets.ParsePolicy(spec)
		if err != nil {
			t.Fatalf("ParsePolicy(%q): %v", spec, err)
		}
		for _, n := range tickets.Natures {
			for _, u := range tickets.Urgencies {
				if p.Priority(n, u) != def.Priority(n, u) {
					t.Errorf("ParsePolicy(%q) differs from the default at %s.%s", spec, n, u)
				}
			}
		}
	}

	p, err := tickets.ParsePolicy("question.critical=1, billing.high=P3 ,outage.low = p2")
	if err != nil {
		t.Fatalf("ParsePolicy: %v", err)
	}
	overridden := map[[2]string]tickets.Priority{
		{"question", "critical"}: 1,
		{"billing", "high"}:      3,
		{"outage", "low"}:        2,
	}
	for _, n := range tickets.Natures {
		for _, u := range tickets.Urgencies {
			want, ok := overridden[[2]string{string(n), u.String()}]
			if !ok {
				want = def.Priority(n, u)
			}
			if got := p.Priority(n, u); got != want {
				t.Errorf("%s.%s = %s; want %s", n, u, got, want)
			}
		}
	}
	// Overrides must not leak into later default policies.
	if got := tickets.DefaultPolicy().Priority(tickets.NatureQuestion, tickets.UrgencyCritical); got != 2 {
		t.Errorf("after ParsePolicy, DefaultPolicy question.critical = %s; want P2", got)
	}

	for _, c := range []struct{ spec, want string }{
		{"question", "want nature.urgency=P"},
		{"question=1", "want nature.urgency=P"},
		{"question.high", "want nature.urgency=P"},
		{"fire.high=1", `unknown nature "fire"`},
		{"question.urgent=1", `unknown urgency "urgent"`},
		{"question.high=0", "priority must be P1 to P4"},
		{"question.high=P9", "priority must be P1 to P4"},
		{"question.high=", "priority must be P1 to P4"},
		{"billing.high=3,question.high=x", `"question.high=x"`},
	} {
		_, err := tickets.ParsePolicy(c.spec)
		if tickets.ErrorCode(err) != tickets.EINVALID {
			t.Errorf("ParsePolicy(%q) error = %v; want EINVALID", c.spec, err)
			continue
		}
		msg := tickets.ErrorMessage(err)
		if !strings.Contains(msg, c.want) || !strings.Contains(msg, "priority policy entry") {
			t.Errorf("ParsePolicy(%q) message %q; want it to contain %q", c.spec, msg, c.want)
		}
	}
}
