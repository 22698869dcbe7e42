package delivery

import (
	"context"
	"fmt"
	"sync"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// Inline plans and sends messages synchronously, in the caller's goroutine,
// with no queue, no rate limiting and no retries. It is for adapter tests
// that want to see an event's messages arrive without running a Worker;
// production always uses the Worker.
type Inline struct {
	mu       sync.Mutex
	channels map[string]Channel
	sent     map[string]bool
}

// NewInline returns an Inline over channels.
func NewInline(channels ...Channel) *Inline {
	in := &Inline{channels: map[string]Channel{}, sent: map[string]bool{}}
	for _, c := range channels {
		in.channels[c.Platform()] = c
	}
	return in
}

// Add registers another channel (adapters built after the Inline).
func (in *Inline) Add(c Channel) {
	in.mu.Lock()
	in.channels[c.Platform()] = c
	in.mu.Unlock()
}

// Enqueue sends msgs now, in order; a message whose ID was sent before is
// skipped, as the Worker would.
func (in *Inline) Enqueue(ctx context.Context, msgs ...Message) error {
	for _, m := range msgs {
		in.mu.Lock()
		c, ok := in.channels[m.Platform]
		dup := m.ID != "" && in.sent[m.ID]
		in.mu.Unlock()
		if dup {
			continue
		}
		if !ok {
			return fmt.Errorf("no channel for platform %q", m.Platform)
		}
		if err := c.Send(ctx, m); err != nil {
			return err
		}
		if h, ok := c.(SentHandler); ok {
			if err := h.Sent(ctx, m); err != nil {
				return err
			}
		}
		in.mu.Lock()
		if m.ID != "" {
			in.sent[m.ID] = true
		}
		in.mu.Unlock()
	}
	return nil
}

// Deliver plans event e on every channel and sends the messages.
func (in *Inline) Deliver(ctx context.Context, e tickets.Event) error {
	in.mu.Lock()
	chans := make([]Channel, 0, len(in.channels))
	for _, c := range in.channels {
		chans = append(chans, c)
	}
	in.mu.Unlock()
	for _, c := range chans {
		msgs, err := c.Plan(ctx, e)
		if err != nil {
			return err
		}
		for i := range msgs {
			msgs[i].EventID = e.ID
			msgs[i].Platform = c.Platform()
			msgs[i].ID = e.ID + "/" + c.Platform() + "/" + msgs[i].Key
		}
		if err := in.Enqueue(ctx, msgs...); err != nil {
			return err
		}
	}
	return nil
}
