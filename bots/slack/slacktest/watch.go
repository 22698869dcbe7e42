package slacktest

import (
	"sync"
	"time"
)

// EventKind names a change in the fake workspace.
type EventKind string

// The kinds of Event.
const (
	MessagePosted  EventKind = "message_posted"
	MessageUpdated EventKind = "message_updated"
	MessageDeleted EventKind = "message_deleted"
	EphemeralShown EventKind = "ephemeral"
	ResponseSent   EventKind = "response"
	ReactionAdded  EventKind = "reaction_added"
	ViewOpened     EventKind = "view_opened"
	ViewUpdated    EventKind = "view_updated"
	ViewPublished  EventKind = "view_published"
	ViewClosed     EventKind = "view_closed"
)

// Event is one change in the fake workspace, as Watch emits it.
type Event struct {
	Kind     EventKind
	Time     time.Time
	Channel  string
	TS       string // the message's ts
	User     string // the user concerned (ephemerals, responses, views)
	Message  *Message
	View     *View
	Response *Response
}

type watcher struct {
	out   chan Event
	mu    sync.Mutex
	queue []Event
	wake  chan struct{}
	done  chan struct{}
	once  sync.Once
}

// Watch returns a channel that receives every change from now on, in order,
// and a function that stops the watch and closes the channel. Events are
// queued without bound, so a slow reader never blocks the server nor loses an
// event. The channel is also closed by Close.
func (s *Server) Watch() (<-chan Event, func()) {
	w := &watcher{out: make(chan Event), wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.watchMu.Lock()
	s.watchSeq++
	id := s.watchSeq
	s.watchers[id] = w
	s.watchMu.Unlock()
	go w.pump()
	stop := func() {
		s.watchMu.Lock()
		delete(s.watchers, id)
		s.watchMu.Unlock()
		w.stop()
	}
	select {
	case <-s.closed:
		stop()
	default:
	}
	return w.out, stop
}

func (w *watcher) stop() { w.once.Do(func() { close(w.done) }) }

func (w *watcher) pump() {
	defer close(w.out)
	for {
		w.mu.Lock()
		if len(w.queue) == 0 {
			w.mu.Unlock()
			select {
			case <-w.wake:
				continue
			case <-w.done:
				return
			}
		}
		ev := w.queue[0]
		w.queue = w.queue[1:]
		w.mu.Unlock()
		select {
		case w.out <- ev:
		case <-w.done:
			return
		}
	}
}

func (s *Server) broadcast(ev Event) {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	for _, w := range s.watchers {
		w.mu.Lock()
		w.queue = append(w.queue, ev)
		w.mu.Unlock()
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

func (s *Server) closeWatchers() {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	for id, w := range s.watchers {
		delete(s.watchers, id)
		w.stop()
	}
}
