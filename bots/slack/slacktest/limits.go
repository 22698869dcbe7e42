package slacktest

import (
	"math"
	"net/http"
	"time"
)

// Documented limits enforced by EnforceLimits.
const (
	// PostMessagePerChannel is chat.postMessage's rate per channel: 1 per second,
	// with a burst of 1.
	PostMessagePerChannel = 1.0
	postMessageBurst      = 1.0
	// UpdatePerMinute is chat.update's Tier 3 rate for the whole workspace.
	UpdatePerMinute = 50.0
)

type fault struct {
	failN      int
	failStatus int
	limitN     int
	retryAfter int
}

// FailNext makes the next n calls of method answer httpStatus (a 5xx) with an
// HTML body, as Slack's edge does. n <= 0 clears it.
func (s *Server) FailNext(method string, n int, httpStatus int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faultLocked(method)
	f.failN, f.failStatus = max(n, 0), httpStatus
}

// RateLimitNext makes the next n calls of method answer HTTP 429 with the
// header Retry-After: retryAfterSeconds. n <= 0 clears it.
func (s *Server) RateLimitNext(method string, n int, retryAfterSeconds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faultLocked(method)
	f.limitN, f.retryAfter = max(n, 0), retryAfterSeconds
}

// SetLatency delays every call of method by d before it is answered; a client
// that cancels its request stops waiting at once. d <= 0 removes the delay.
func (s *Server) SetLatency(method string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d <= 0 {
		delete(s.latency, method)
		return
	}
	s.latency[method] = d
}

// threadFault is a fault of every call posting into one thread.
type threadFault struct {
	status  int
	latency time.Duration
}

// FaultThread makes every call that posts into thread threadTS (its
// thread_ts parameter) wait latency, then, when status is a 5xx, answer it
// as Slack's edge does, until ClearThreadFaults: one ticket's thread
// failing while the others work.
func (s *Server) FaultThread(threadTS string, status int, latency time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.threadFaults == nil {
		s.threadFaults = map[string]threadFault{}
	}
	s.threadFaults[threadTS] = threadFault{status: status, latency: latency}
}

// ClearThreadFaults ends every FaultThread.
func (s *Server) ClearThreadFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.threadFaults = nil
}

func (s *Server) threadFault(threadTS string) (threadFault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if threadTS == "" {
		return threadFault{}, false
	}
	f, ok := s.threadFaults[threadTS]
	return f, ok
}

// EnforceLimits turns on or off the documented rate limits: chat.postMessage
// 1 per second per channel (burst 1) and chat.update 50 per minute for the
// workspace (token bucket of 50). A call over the limit is answered HTTP 429
// with Retry-After in whole seconds, at least 1.
func (s *Server) EnforceLimits(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.enforceLimits = on
	if !on {
		s.limits = newLimiter()
	}
}

func (s *Server) faultLocked(method string) *fault {
	f := s.faults[method]
	if f == nil {
		f = &fault{}
		s.faults[method] = f
	}
	return f
}

func (s *Server) latencyFor(method string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latency[method]
}

// takeFault consumes one injected fault of method, failures first.
func (s *Server) takeFault(method string) (status, retryAfter int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults[method]
	switch {
	case f == nil:
		return 0, 0, false
	case f.failN > 0:
		f.failN--
		status := f.failStatus
		if status < 500 || status > 599 {
			status = http.StatusInternalServerError
		}
		return status, 0, true
	case f.limitN > 0:
		f.limitN--
		return http.StatusTooManyRequests, f.retryAfter, true
	}
	return 0, 0, false
}

// bucket is a token bucket: capacity tokens, refilled at rate per second.
type bucket struct {
	tokens   float64
	last     time.Time
	rate     float64
	capacity float64
}

// take takes one token if it can, or says how long until one is available.
func (b *bucket) take(now time.Time) (wait time.Duration, ok bool) {
	if b.last.IsZero() {
		b.tokens = b.capacity
	} else if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(b.capacity, b.tokens+el*b.rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	return time.Duration((1 - b.tokens) / b.rate * float64(time.Second)), false
}

type limiter struct {
	post   map[string]*bucket // by channel
	update *bucket
}

func newLimiter() limiter {
	return limiter{
		post:   map[string]*bucket{},
		update: &bucket{rate: UpdatePerMinute / 60, capacity: UpdatePerMinute},
	}
}

// checkLimit applies the enforced limits to a call; it reports the Retry-After
// seconds when the call is over its limit.
func (s *Server) checkLimit(method, channelID string) (retryAfter int, limited bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.cfg.enforceLimits {
		return 0, false
	}
	var b *bucket
	switch method {
	case "chat.postMessage":
		if c := s.findChannelLocked(channelID); c != nil {
			channelID = c.id
		}
		b = s.limits.post[channelID]
		if b == nil {
			b = &bucket{rate: PostMessagePerChannel, capacity: postMessageBurst}
			s.limits.post[channelID] = b
		}
	case "chat.update":
		b = s.limits.update
	default:
		return 0, false
	}
	wait, ok := b.take(s.now())
	if ok {
		return 0, false
	}
	return max(1, int(math.Ceil(wait.Seconds()))), true
}
