package telegramtest

import (
	"math"
	"strings"
	"time"
)

// AnyMethod matches every method in FailNext, RateLimitNext and SetLatency.
const AnyMethod = "*"

type fault struct {
	failures []*apiError
	latency  time.Duration
}

func (s *Server) faultFor(method string) *fault {
	key := strings.ToLower(method)
	f := s.faults[key]
	if f == nil {
		f = &fault{}
		s.faults[key] = f
	}
	return f
}

// FailNext makes the next n calls of method (case-insensitive, or AnyMethod)
// answer status with description, without taking effect. An empty
// description uses Telegram's usual one for the status ("Internal Server
// Error" for 500, ...). Failures queue after any already queued.
func (s *Server) FailNext(method string, n int, status int, description string) {
	if description == "" {
		description = defaultDescription(status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faultFor(method)
	for range n {
		f.failures = append(f.failures, &apiError{code: status, desc: description})
	}
}

// RateLimitNext makes the next n calls of method (or AnyMethod) answer 429
// "Too Many Requests: retry after N" with parameters.retry_after set to
// retryAfterSeconds, without taking effect.
func (s *Server) RateLimitNext(method string, n int, retryAfterSeconds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faultFor(method)
	for range n {
		f.failures = append(f.failures, tooManyRequests(retryAfterSeconds))
	}
}

// SetLatency delays every answer of method (or AnyMethod) by d; zero removes
// the delay. A client that gives up (its request context ends) gets no answer
// and the call takes no effect.
func (s *Server) SetLatency(method string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultFor(method).latency = d
}

// DuplicateUpdates makes every update be served a second time after it was
// confirmed (by getUpdates offset or a successful webhook POST), with the same
// update_id, as Telegram sometimes does.
func (s *Server) DuplicateUpdates(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.duplicate = on
}

// SetEnforceLimits turns Telegram's documented flood limits on or off: at
// most 30 messages per second per bot, 1 per second per private chat (a
// burst of 1) and 20 per minute per group (negative chat ID). A send over a
// limit answers 429 with the retry_after that would let it pass. The limits
// count sendMessage, sendPhoto, sendDocument and sendMediaGroup (one per
// group); edits, deletes and callback answers are not limited.
func (s *Server) SetEnforceLimits(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.enforce = on
}

func (s *Server) latency(method string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var d time.Duration
	if f := s.faults[strings.ToLower(method)]; f != nil {
		d = f.latency
	}
	if f := s.faults[AnyMethod]; f != nil && f.latency > d {
		d = f.latency
	}
	return d
}

func (s *Server) takeFault(method string) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, key := range []string{strings.ToLower(method), AnyMethod} {
		if f := s.faults[key]; f != nil && len(f.failures) > 0 {
			e := f.failures[0]
			f.failures = f.failures[1:]
			s.stats.InjectedFailures++
			return e
		}
	}
	return nil
}

// limiter implements the flood limits with sliding windows.
type limiter struct {
	global  []time.Time
	private map[int64]time.Time
	groups  map[int64][]time.Time
}

const (
	globalPerSecond = 30
	groupPerMinute  = 20
)

func (l *limiter) init() {
	l.private = map[int64]time.Time{}
	l.groups = map[int64][]time.Time{}
}

// check returns how long a send to chatID must wait at now; zero when it may go.
func (l *limiter) check(now time.Time, chatID int64) time.Duration {
	var wait time.Duration
	l.global = prune(l.global, now.Add(-time.Second))
	if len(l.global) >= globalPerSecond {
		wait = l.global[len(l.global)-globalPerSecond].Add(time.Second).Sub(now)
	}
	if chatID > 0 {
		if last, ok := l.private[chatID]; ok {
			if d := last.Add(time.Second).Sub(now); d > wait {
				wait = d
			}
		}
	} else {
		g := prune(l.groups[chatID], now.Add(-time.Minute))
		l.groups[chatID] = g
		if len(g) >= groupPerMinute {
			if d := g[len(g)-groupPerMinute].Add(time.Minute).Sub(now); d > wait {
				wait = d
			}
		}
	}
	return wait
}

func (l *limiter) record(now time.Time, chatID int64) {
	l.global = append(l.global, now)
	if chatID > 0 {
		l.private[chatID] = now
	} else {
		l.groups[chatID] = append(l.groups[chatID], now)
	}
}

// prune drops the times not after since.
func prune(ts []time.Time, since time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(since) {
		i++
	}
	return ts[i:]
}

// flood answers 429 when a send to chatID would break a flood limit, and
// otherwise counts the send. Callers hold s.mu.
func (s *Server) flood(chatID int64) *apiError {
	if !s.enforce {
		return nil
	}
	now := s.now()
	if wait := s.limits.check(now, chatID); wait > 0 {
		s.stats.FloodLimited++
		secs := int(math.Ceil(wait.Seconds()))
		if secs < 1 {
			secs = 1
		}
		return tooManyRequests(secs)
	}
	s.limits.record(now, chatID)
	return nil
}
