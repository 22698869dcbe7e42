package slacktest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

func (s *Server) record(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
	// A call is recorded after its effect: wake WaitFor on it too.
	close(s.changed)
	s.changed = make(chan struct{})
	s.stats.Calls[c.Method]++
	switch {
	case c.Status == http.StatusTooManyRequests:
		s.stats.RateLimited[c.Method]++
	case c.Status >= 500:
		s.stats.Failed[c.Method]++
	case c.Error != "":
		s.stats.Errors[c.Method]++
	}
}

// Call is one Web API request as the server saw it.
type Call struct {
	Method   string
	Time     time.Time
	Header   http.Header // without Authorization
	Params   url.Values  // without token; JSON bodies flattened to their top-level fields
	Body     []byte
	Status   int             // HTTP status answered (0 when the client went away)
	Error    string          // the Slack error code, "ratelimited", or the HTTP status text
	Response json.RawMessage // the JSON answered with status 200
}

// Calls returns the recorded calls of method, or of every method when method is "".
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Stats counts calls by method.
type Stats struct {
	Calls       map[string]int // every request, whatever its outcome
	RateLimited map[string]int // answered 429, injected or enforced
	Failed      map[string]int // answered an injected 5xx
	Errors      map[string]int // answered {"ok":false}
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := func(m map[string]int) map[string]int {
		out := make(map[string]int, len(m))
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	return Stats{Calls: cp(s.stats.Calls), RateLimited: cp(s.stats.RateLimited), Failed: cp(s.stats.Failed), Errors: cp(s.stats.Errors)}
}
