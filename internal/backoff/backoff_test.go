package backoff_test

import (
	"context"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/internal/backoff"
)

func TestDelayDoublesWithinBoundsAndJitters(t *testing.T) {
	base, limit := 100*time.Millisecond, time.Second
	for attempt, want := range map[int]time.Duration{1: 100, 2: 200, 3: 400, 4: 800, 5: 1000, 30: 1000} {
		want *= time.Millisecond
		seen := map[time.Duration]bool{}
		for range 200 {
			d := backoff.Delay(base, limit, attempt)
			if d < want/2 || d > want {
				t.Fatalf("attempt %d: delay %v outside [%v, %v]", attempt, d, want/2, want)
			}
			seen[d] = true
		}
		if len(seen) < 10 {
			t.Errorf("attempt %d: %d distinct delays in 200: no jitter", attempt, len(seen))
		}
	}
}

func TestBackoffCountsAndResets(t *testing.T) {
	b := backoff.Backoff{Base: 10 * time.Millisecond, Max: 40 * time.Millisecond}
	for i, want := range []time.Duration{10, 20, 40, 40} {
		want *= time.Millisecond
		if d := b.Next(); d < want/2 || d > want {
			t.Fatalf("failure %d: %v, want within [%v, %v]", i+1, d, want/2, want)
		}
	}
	if b.Failures() != 4 {
		t.Fatalf("failures = %d, want 4", b.Failures())
	}
	b.Reset()
	if d := b.Next(); d > 10*time.Millisecond {
		t.Fatalf("after Reset: %v, want at most 10ms", d)
	}
}

func TestSleepEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan bool)
	go func() { done <- backoff.Sleep(ctx, time.Hour) }()
	cancel()
	select {
	case full := <-done:
		if full {
			t.Fatal("Sleep reported a full wait after its context ended")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Sleep did not return when its context ended")
	}
	if !backoff.Sleep(context.Background(), time.Millisecond) {
		t.Fatal("a short Sleep did not report a full wait")
	}
}
