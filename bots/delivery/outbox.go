package delivery

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Enqueuer takes messages for delivery. The adapters send the answers to a
// user's own action (form prompts, command answers) through it; *Outbox
// and *Inline implement it.
type Enqueuer interface {
	Enqueue(ctx context.Context, msgs ...Message) error
}

var (
	_ Enqueuer = (*Outbox)(nil)
	_ Enqueuer = (*Inline)(nil)
)

// Outbox queues messages for the Workers to send. The adapters are built
// with it before the Worker that sends through them.
type Outbox struct {
	q         Queue
	platforms map[string]bool
	now       func() time.Time
	wake      signal // this process's enqueues wake its idle senders
}

// NewOutbox returns an Outbox over q for messages of the given platforms
// (those a Worker will have a Channel for).
func NewOutbox(q Queue, platforms ...string) *Outbox {
	o := &Outbox{q: q, platforms: map[string]bool{}, now: time.Now}
	for _, p := range platforms {
		o.platforms[p] = true
	}
	return o
}

// Enqueue queues msgs for sending, in order per lane, with the same
// deduplication and limits as the messages of events. Each message needs
// an ID derived from what caused it (for example the inbound update's id
// and a key), so that a re-processed update enqueues it once, a Platform
// and a Lane.
func (o *Outbox) Enqueue(ctx context.Context, msgs ...Message) error {
	for _, m := range msgs {
		if m.ID == "" || m.Platform == "" || m.Lane == "" {
			return fmt.Errorf("enqueue message %q: id, platform and lane are required", m.ID)
		}
		if !o.platforms[m.Platform] {
			return fmt.Errorf("enqueue message %s: no channel for platform %q", m.ID, m.Platform)
		}
	}
	n, err := o.q.Enqueue(ctx, "", msgs, o.now())
	if err != nil {
		return err
	}
	if n > 0 {
		o.notify()
	}
	return nil
}

func (o *Outbox) notify() { o.wake.broadcast() }

// signal wakes every goroutine waiting on it at once.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

// wait returns a channel closed at the next broadcast.
func (s *signal) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

func (s *signal) broadcast() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
}
