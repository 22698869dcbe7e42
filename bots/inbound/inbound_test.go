package inbound_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/bots/inbound"
	"github.com/colombiainformatica/ticketbot/internal/redistest"
	"github.com/colombiainformatica/ticketbot/store"
)

func processor(t *testing.T, opts inbound.Options) (*inbound.Processor, *store.Inbound) {
	rdb, prefix := redistest.Client(t)
	marks := store.NewInbound(store.New(rdb, store.Options{Prefix: prefix}))
	return inbound.NewProcessor(marks, opts), marks
}

// TestHandledOnce: an item handled is skipped when it comes again.
func TestHandledOnce(t *testing.T) {
	p, _ := processor(t, inbound.Options{})
	var n atomic.Int32
	for range 3 {
		if err := p.Handle(context.Background(), inbound.Item{Namespace: "t", ID: "1"}, func(context.Context) error {
			n.Add(1)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if n.Load() != 1 {
		t.Fatalf("handled %d times, want 1", n.Load())
	}
}

// TestBusyElsewhere: while one holder handles an item (its mark renewed
// past its busy time), another is told ErrBusy, which is not a failure.
func TestBusyElsewhere(t *testing.T) {
	p, _ := processor(t, inbound.Options{Busy: 300 * time.Millisecond, MaxAttempts: 1})
	ctx := context.Background()
	inside, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- p.Handle(ctx, inbound.Item{Namespace: "t", ID: "1"}, func(context.Context) error {
			close(inside)
			<-release
			return nil
		})
	}()
	<-inside
	time.Sleep(time.Second) // three busy times: only the heartbeat keeps the mark
	err := p.Handle(ctx, inbound.Item{Namespace: "t", ID: "1"}, func(context.Context) error {
		t.Error("handled while busy")
		return nil
	})
	if !errors.Is(err, inbound.ErrBusy) {
		t.Fatalf("second Handle = %v, want ErrBusy", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestGivenUpAfterMaxAttempts: the MaxAttempts-th failure tells the sender
// and keeps a dead letter with the last error; the item is then done.
func TestGivenUpAfterMaxAttempts(t *testing.T) {
	p, marks := processor(t, inbound.Options{MaxAttempts: 3})
	ctx := context.Background()
	var told atomic.Int32
	it := inbound.Item{
		Namespace: "t", ID: "9",
		DeadLetter: func() inbound.DeadLetter { return inbound.DeadLetter{Chat: "42", Content: "hola"} },
		Tell:       func(context.Context) error { told.Add(1); return nil },
	}
	fail := func(context.Context) error { return errors.New("corrupt record") }
	for i := range 2 {
		if err := p.Handle(ctx, it, fail); err == nil {
			t.Fatalf("failure %d returned nil", i+1)
		}
	}
	if told.Load() != 0 {
		t.Fatal("told before the last attempt")
	}
	if err := p.Handle(ctx, it, fail); err != nil {
		t.Fatalf("the last failure returned %v, want nil (given up)", err)
	}
	if told.Load() != 1 {
		t.Fatalf("told %d times, want 1", told.Load())
	}
	ds, _, err := marks.DeadLetters(ctx, 0, 10)
	if err != nil || len(ds) != 1 || ds[0].ID != "9" || ds[0].Chat != "42" || ds[0].Content != "hola" || ds[0].Error != "corrupt record" {
		t.Fatalf("dead letters %+v, %v", ds, err)
	}
	if err := p.Handle(ctx, it, func(context.Context) error { t.Error("handled after it was given up"); return nil }); err != nil {
		t.Fatal(err)
	}
}
