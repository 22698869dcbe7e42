// Package inbound handles what people send the product (a Telegram
// update, a Slack event, a mail) exactly once, and never loses it.
//
// A Processor marks each item as it begins to handle it, keeps the mark
// alive while it works (a short lease renewed by a heartbeat, so that
// another replica takes the item over within seconds of a crash), and marks
// it done once what it caused is stored: a redelivered item is skipped. An
// item whose handling fails is retried when the platform delivers it again;
// after MaxAttempts failures it is given up: the caller tells the sender,
// and the item is kept as a dead letter (listed by `ticketbot deadletters
// inbound`) in the same step that marks it done.
//
// The marks and the dead letters live in the store (Marks); every adapter
// uses the same Processor, so Telegram (polling and webhook alike), Slack
// and e-mail give up in the same way.
package inbound

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// State is where an item stands when a Processor begins it.
type State uint8

// The states of an item's mark.
const (
	New  State = iota + 1 // not handled yet, or failed before: the caller now holds it
	Busy                  // another goroutine or replica is handling it right now
	Done                  // handled (or given up) before
)

// Mark is an item being handled: its name and the token of the holder,
// with the failures counted before this attempt and the last one's error.
type Mark struct {
	Namespace string
	ID        string
	Token     string
	Failures  int
	LastError string
}

// Marks keeps the marks of inbound items and their dead letters; the store
// package implements it on Redis.
type Marks interface {
	// Begin marks item id of namespace ns as being handled by token for
	// busy, unless it is busy or done, and returns its state; for New, the
	// Mark carries the failures counted before.
	Begin(ctx context.Context, ns, id, token string, busy time.Duration) (State, Mark, error)
	// Renew keeps m busy for busy more; it reports false when m is no
	// longer held by its token (it expired and was taken over).
	Renew(ctx context.Context, m Mark, busy time.Duration) (bool, error)
	// Done marks m handled, remembered for keep.
	Done(ctx context.Context, m Mark, keep time.Duration) error
	// Fail releases m after a failure, counting it with its error, so the
	// item is handled again when it comes back.
	Fail(ctx context.Context, m Mark, cause string, keep time.Duration) error
	// Release releases m without counting a failure (the item met
	// something busy), so it is handled again when it comes back.
	Release(ctx context.Context, m Mark, keep time.Duration) error
	// GiveUp keeps d as a dead letter and marks m handled, in one step.
	GiveUp(ctx context.Context, m Mark, d DeadLetter, keep time.Duration) error
}

// DeadLetter is an inbound item given up after repeated failures: what the
// sender sent, kept for an operator (they were asked to send it again).
type DeadLetter struct {
	Namespace string `json:"ns"`
	ID        string `json:"id"`
	// Chat is where it came from (a chat id, an address), for operators.
	Chat string `json:"chat,omitempty"`
	// Content is what the sender sent, readable (text, file count).
	Content string `json:"content,omitempty"`
	// Raw is the item as the platform sent it.
	Raw   json.RawMessage `json:"raw,omitempty"`
	Error string          `json:"error"`
	At    time.Time       `json:"at"`
}

// Item is one inbound item for a Processor.
type Item struct {
	Namespace string // "telegram", "telegram-album", "slack", "email"
	ID        string // the platform's id of the item
	// DeadLetter describes the item for its dead letter (Namespace, ID,
	// Error and At are filled in); called only when it is given up.
	DeadLetter func() DeadLetter
	// Tell tells the sender the item could not be kept, when it is given
	// up; it must be idempotent (a crash may call it twice), and an error
	// keeps the item for another attempt. Nil tells no one.
	Tell func(ctx context.Context) error
}

// ErrNotMarked says the item was handled (what it caused is stored) but
// could not be marked done: it will be handled again, harmlessly, when it
// comes back.
var ErrNotMarked = errors.New("inbound: handled, not marked done")

// ErrBusy says another goroutine or replica handles the item right now;
// the caller tries again later (it is not a failure of the item).
var ErrBusy = errors.New("inbound: item is being handled elsewhere")

// Defaults of Options.
const (
	DefaultMaxAttempts = 5
	DefaultBusy        = 3 * time.Second
	DefaultKeep        = 48 * time.Hour
)

// Options tune a Processor; the zero value takes the defaults.
type Options struct {
	// MaxAttempts is how often an item may fail before it is given up.
	MaxAttempts int
	// Busy is how long a mark stays busy without its heartbeat: the most
	// a crash delays the item (renewed every third of it while handled).
	Busy time.Duration
	// Keep is how long a handled item is remembered (Telegram keeps
	// unconfirmed updates for 24 hours).
	Keep time.Duration
	// Token names this process's holds (default: random per Processor).
	Token string
	Log   zerolog.Logger
	// Now tells the time (time.Now when nil).
	Now func() time.Time
}

// Processor handles inbound items once each, through Marks.
type Processor struct {
	marks Marks
	opts  Options
	seq   atomic.Uint64
}

// NewProcessor returns a Processor keeping its marks in marks.
func NewProcessor(marks Marks, opts Options) *Processor {
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.Busy <= 0 {
		opts.Busy = DefaultBusy
	}
	if opts.Keep <= 0 {
		opts.Keep = DefaultKeep
	}
	if opts.Token == "" {
		opts.Token = randomToken()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Processor{marks: marks, opts: opts}
}

// token returns a token unique to one hold of this Processor.
func (p *Processor) token() string {
	return fmt.Sprintf("%s.%d", p.opts.Token, p.seq.Add(1))
}

// Handle handles it once with handle: an item done before is skipped
// (nil) and one busy elsewhere returns ErrBusy. Otherwise handle runs
// while the mark is kept alive; its success marks the item done, its error
// is counted and returned, except the MaxAttempts-th: the item is then
// given up (the sender told, the item dead-lettered and marked done) and
// Handle returns nil. handle
// runs on a context that ends when ctx does or when the mark is lost to
// another holder (after an outage longer than Busy).
func (p *Processor) Handle(ctx context.Context, it Item, handle func(ctx context.Context) error) error {
	state, m, err := p.marks.Begin(ctx, it.Namespace, it.ID, p.token(), p.opts.Busy)
	if err != nil {
		return fmt.Errorf("begin %s %s: %w", it.Namespace, it.ID, err)
	}
	switch state {
	case Done:
		p.opts.Log.Debug().Str("ns", it.Namespace).Str("id", it.ID).Msg("duplicate skipped")
		return nil
	case Busy:
		return ErrBusy
	}
	// What is recorded after the work is written even when ctx ended
	// meanwhile: it happened.
	rctx := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	}
	if m.Failures >= p.opts.MaxAttempts {
		return p.giveUp(ctx, it, m)
	}
	werr := p.hold(ctx, m, handle)
	c, cancel := rctx()
	defer cancel()
	if werr == nil {
		err := p.marks.Done(c, m, p.opts.Keep)
		if err != nil {
			// Not marked: the item is handled again when it comes back
			// (its writes are idempotent); free it for that at once.
			_ = p.marks.Release(c, m, p.opts.Keep)
			return fmt.Errorf("%w: %w", ErrNotMarked, err)
		}
		return nil
	}
	if errors.Is(werr, ErrBusy) || ctx.Err() != nil {
		// Not the item's failure: something it needs is busy, or the
		// caller stopped waiting (a shutdown, a client gone).
		if ferr := p.marks.Release(c, m, p.opts.Keep); ferr != nil {
			p.opts.Log.Warn().Err(ferr).Str("ns", it.Namespace).Str("id", it.ID).Msg("release a busy item")
		}
		return werr
	}
	if m.Failures+1 >= p.opts.MaxAttempts && ctx.Err() == nil {
		failed := m
		failed.Failures, failed.LastError = m.Failures+1, werr.Error()
		if gerr := p.giveUp(c, it, failed); gerr == nil {
			return nil
		} else {
			p.opts.Log.Warn().Err(gerr).Str("ns", it.Namespace).Str("id", it.ID).Msg("give up an item")
		}
	}
	if ferr := p.marks.Fail(c, m, werr.Error(), p.opts.Keep); ferr != nil {
		p.opts.Log.Warn().Err(ferr).Str("ns", it.Namespace).Str("id", it.ID).Msg("release a failed item")
	}
	return werr
}

// hold runs handle while renewing m every third of Busy.
func (p *Processor) hold(ctx context.Context, m Mark, handle func(ctx context.Context) error) error {
	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- handle(hctx) }()
	tick := time.NewTicker(p.opts.Busy / 3)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-tick.C:
			rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), p.opts.Busy/3)
			ok, err := p.marks.Renew(rctx, m, p.opts.Busy)
			rcancel()
			if err == nil && !ok {
				// Taken over after an outage: whoever has it now handles
				// it; the writes are idempotent, so finishing is harmless,
				// but nothing more should start.
				p.opts.Log.Warn().Str("ns", m.Namespace).Str("id", m.ID).Msg("item taken over by another holder")
				cancel()
			}
		}
	}
}

// giveUp tells the sender and keeps the item as a dead letter.
func (p *Processor) giveUp(ctx context.Context, it Item, m Mark) error {
	if it.Tell != nil {
		if err := it.Tell(ctx); err != nil {
			c, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_ = p.marks.Fail(c, m, m.LastError, p.opts.Keep)
			return fmt.Errorf("tell the sender %s %s was lost: %w", it.Namespace, it.ID, err)
		}
	}
	var d DeadLetter
	if it.DeadLetter != nil {
		d = it.DeadLetter()
	}
	d.Namespace, d.ID, d.Error, d.At = it.Namespace, it.ID, m.LastError, p.opts.Now().UTC()
	if err := p.marks.GiveUp(ctx, m, d, p.opts.Keep); err != nil {
		return fmt.Errorf("keep %s %s as a dead letter: %w", it.Namespace, it.ID, err)
	}
	p.opts.Log.Error().Str("ns", it.Namespace).Str("id", it.ID).Int("failures", m.Failures).Str("error", m.LastError).
		Msg("given up after repeated failures; kept as an inbound dead letter")
	return nil
}
