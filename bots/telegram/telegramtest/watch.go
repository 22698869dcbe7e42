package telegramtest

import (
	"context"
	"sync"
)

// watcher buffers events without bounds so that the server never blocks on
// a slow subscriber.
type watcher struct {
	mu     sync.Mutex
	queue  []Event
	signal chan struct{}
	out    chan Event
	done   chan struct{}
	exited chan struct{}
	once   sync.Once
}

func (w *watcher) push(e Event) {
	w.mu.Lock()
	w.queue = append(w.queue, e)
	w.mu.Unlock()
	select {
	case w.signal <- struct{}{}:
	default:
	}
}

func (w *watcher) run() {
	defer close(w.exited)
	defer close(w.out)
	for {
		w.mu.Lock()
		var next *Event
		if len(w.queue) > 0 {
			next = &w.queue[0]
		}
		w.mu.Unlock()
		if next == nil {
			select {
			case <-w.signal:
				continue
			case <-w.done:
				return
			}
		}
		select {
		case w.out <- *next:
			w.mu.Lock()
			w.queue = w.queue[1:]
			w.mu.Unlock()
		case <-w.done:
			return
		}
	}
}

func (w *watcher) stop() {
	w.once.Do(func() { close(w.done) })
	<-w.exited
}

// Watch subscribes to what the bot does: an Event for every message sent,
// edited or deleted, every callback answer and every chat action, in order.
// Events are buffered without bound, so a slow reader never slows the
// server. cancel (or Close) ends the subscription and closes the channel.
func (s *Server) Watch() (<-chan Event, func()) {
	w := &watcher{
		signal: make(chan struct{}, 1),
		out:    make(chan Event),
		done:   make(chan struct{}),
		exited: make(chan struct{}),
	}
	s.mu.Lock()
	id := s.nextWatcher
	s.nextWatcher++
	s.watchers[id] = w
	s.mu.Unlock()
	go w.run()
	select {
	case <-s.closed:
		w.stop()
	default:
	}
	cancel := func() {
		s.mu.Lock()
		delete(s.watchers, id)
		s.mu.Unlock()
		w.stop()
	}
	return w.out, cancel
}

// emit sends e to every watcher. Callers hold s.mu.
func (s *Server) emit(e Event) {
	for _, w := range s.watchers {
		w.push(e)
	}
}

// WaitMessages waits until the bot has sent at least n messages to chatID
// and returns them all, or returns ctx's error or ErrClosed.
func (s *Server) WaitMessages(ctx context.Context, chatID int64, n int) ([]Message, error) {
	for {
		s.mu.Lock()
		msgs := s.botMessages(chatID)
		changed := s.changed
		s.mu.Unlock()
		if len(msgs) >= n {
			return msgs, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return msgs, ctx.Err()
		case <-s.closed:
			return msgs, ErrClosed
		}
	}
}

// WaitCallbackAnswers waits until at least n callback queries were answered
// and returns all answers, or returns ctx's error or ErrClosed.
func (s *Server) WaitCallbackAnswers(ctx context.Context, n int) ([]CallbackAnswer, error) {
	for {
		s.mu.Lock()
		answers := append([]CallbackAnswer(nil), s.answers...)
		changed := s.changed
		s.mu.Unlock()
		if len(answers) >= n {
			return answers, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return answers, ctx.Err()
		case <-s.closed:
			return answers, ErrClosed
		}
	}
}

// WaitFor blocks until cond reports true, checking it at once and after
// every change, or returns ctx's error or ErrClosed. cond may call the
// Server's accessors.
func (s *Server) WaitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		changed := s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.closed:
			return ErrClosed
		}
	}
}
