package tickets_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/colombiainformatica/ticketbot/tickets"
)

var (
	allStatuses = []tickets.Status{tickets.StatusOpen, tickets.StatusClaimed, tickets.StatusWaiting, tickets.StatusResolved, tickets.StatusClosed}
	allActions  = []tickets.Action{tickets.ActionClaim, tickets.ActionRelease, tickets.ActionWait, tickets.ActionResume, tickets.ActionResolve, tickets.ActionClose, tickets.ActionReopen}
)

func TestTransition(t *testing.T) {
	type key struct {
		from   tickets.Status
		action tickets.Action
	}
	// allowed is the lifecycle of DESIGN.md and doc.go; every other pair,
	// including the invalid zero status and action, must be refused.
	allowed := map[key]tickets.Status{
		{tickets.StatusOpen, tickets.ActionClaim}:      tickets.StatusClaimed,
		{tickets.StatusClaimed, tickets.ActionRelease}: tickets.StatusOpen,
		{tickets.StatusClaimed, tickets.ActionWait}:    tickets.StatusWaiting,
		{tickets.StatusClaimed, tickets.ActionResolve}: tickets.StatusResolved,
		{tickets.StatusWaiting, tickets.ActionClaim}:   tickets.StatusClaimed,
		{tickets.StatusWaiting, tickets.ActionResume}:  tickets.StatusClaimed,
		{tickets.StatusWaiting, tickets.ActionRelease}: tickets.StatusOpen,
		{tickets.StatusWaiting, tickets.ActionResolve}: tickets.StatusResolved,
		{tickets.StatusResolved, tickets.ActionClose}:  tickets.StatusClosed,
		{tickets.StatusResolved, tickets.ActionReopen}: tickets.StatusOpen,
		{tickets.StatusClosed, tickets.ActionReopen}:   tickets.StatusOpen,
	}
	statuses := append([]tickets.Status{0}, allStatuses...)
	statuses = append(statuses, tickets.StatusClosed+1)
	actions := append([]tickets.Action{0}, allActions...)
	actions = append(actions, tickets.ActionReopen+1)
	seen := 0
	for _, from := range statuses {
		for _, action := range actions {
			t.Run(fmt.Sprintf("%s/%s", from, action), func(t *testing.T) {
				got, err := tickets.Transition(from, action)
				want, ok := allowed[key{from, action}]
				if ok {
					seen++
					if err != nil || got != want {
						t.Fatalf("Transition(%s, %s) = %s, %v; want %s, nil", from, action, got, err, want)
					}
					return
				}
				var e *tickets.Error
				if !errors.As(err, &e) || e.Code != tickets.EINVALID {
					t.Fatalf("Transition(%s, %s) = %s, %v; want an EINVALID *Error", from, action, got, err)
				}
				if got != 0 {
					t.Errorf("refused Transition(%s, %s) returned status %s; want 0", from, action, got)
				}
				if !strings.Contains(e.Message, action.String()) || !strings.Contains(e.Message, from.String()) {
					t.Errorf("message %q does not name the action %q and the status %q", e.Message, action, from)
				}
			})
		}
	}
	if seen != len(allowed) {
		t.Errorf("checked %d allowed transitions; the table has %d", seen, len(allowed))
	}
}

func TestStatusNames(t *testing.T) {
	want := []string{"open", "claimed", "waiting", "resolved", "closed"}
	for i, s := range allStatuses {
		if s.String() != want[i] {
			t.Errorf("%d.String() = %q; want %q", s, s.String(), want[i])
		}
		got, err := tickets.ParseStatus(s.String())
		if err != nil || got != s {
			t.Errorf("ParseStatus(%q) = %v, %v; want %v", s.String(), got, err, s)
		}
		if !s.Valid() {
			t.Errorf("%s.Valid() = false", s)
		}
	}
	for _, s := range []tickets.Status{0, tickets.StatusClosed + 1, 255} {
		if s.Valid() {
			t.Errorf("Status(%d).Valid() = true", s)
		}
		if got := s.String(); got != fmt.Sprintf("status(%d)", uint8(s)) {
			t.Errorf("Status(%d).String() = %q", s, got)
		}
	}
	for _, name := range []string{"", "Open", "queued", " open", "status(1)"} {
		if _, err := tickets.ParseStatus(name); tickets.ErrorCode(err) != tickets.EINVALID {
			t.Errorf("ParseStatus(%q) error = %v; want EINVALID", name, err)
		}
	}
}

func TestStatusActive(t *testing.T) {
	want := map[tickets.Status]bool{
		tickets.StatusOpen: true, tickets.StatusClaimed: true, tickets.StatusWaiting: true,
		tickets.StatusResolved: false, tickets.StatusClosed: false, 0: false,
	}
	for s, active := range want {
		if s.Active() != active {
			t.Errorf("%s.Active() = %v; want %v", s, s.Active(), active)
		}
	}
}

func TestActionNames(t *testing.T) {
	want := []string{"claim", "release", "wait", "resume", "resolve", "close", "reopen"}
	for i, a := range allActions {
		if a.String() != want[i] {
			t.Errorf("Action(%d).String() = %q; want %q", a, a.String(), want[i])
		}
	}
	for _, a := range allActions {
		if !a.Valid() {
			t.Errorf("%s.Valid() = false", a)
		}
	}
	for _, a := range []tickets.Action{0, tickets.ActionReopen + 1, 100} {
		if a.Valid() || a.String() != fmt.Sprintf("action(%d)", uint8(a)) {
			t.Errorf("Action(%d) = %q, valid %v; want invalid", a, a.String(), a.Valid())
		}
	}
}

func TestRoleNames(t *testing.T) {
	for _, r := range []tickets.Role{tickets.RoleCustomer, tickets.RoleAgent, tickets.RoleSystem} {
		got, err := tickets.ParseRole(r.String())
		if err != nil || got != r {
			t.Errorf("ParseRole(%q) = %v, %v; want %v", r.String(), got, err, r)
		}
	}
	if _, err := tickets.ParseRole("unknown"); tickets.ErrorCode(err) != tickets.EINVALID {
		t.Errorf("ParseRole(unknown) error = %v; want EINVALID", err)
	}
	if got := tickets.Role(0).String(); got != "unknown" {
		t.Errorf("Role(0).String() = %q", got)
	}
}

func TestErrors(t *testing.T) {
	wrapped := fmt.Errorf("store: %w", tickets.ErrNotFound)
	if !errors.Is(wrapped, tickets.ErrNotFound) {
		t.Error("a wrapped ErrNotFound is not errors.Is ErrNotFound")
	}
	if errors.Is(tickets.ErrQueueEmpty, tickets.ErrNotFound) {
		t.Error("ErrQueueEmpty is errors.Is ErrNotFound; they must stay distinct")
	}
	if got := tickets.ErrorCode(wrapped); got != tickets.ENOTFOUND {
		t.Errorf("ErrorCode = %q; want %q", got, tickets.ENOTFOUND)
	}
	secret := errors.New("dial tcp 10.0.0.1:6379: connection refused")
	internal := tickets.Internal("get ticket", secret)
	if !errors.Is(internal, secret) {
		t.Error("Internal does not wrap its cause")
	}
	if got := tickets.ErrorMessage(internal); strings.Contains(got, "10.0.0.1") {
		t.Errorf("ErrorMessage reveals the cause: %q", got)
	}
	if got := tickets.ErrorCode(secret); got != tickets.EINTERNAL {
		t.Errorf("ErrorCode(plain error) = %q; want %q", got, tickets.EINTERNAL)
	}
	if got := tickets.ErrorMessage(secret); got != "internal error" {
		t.Errorf("ErrorMessage(plain error) = %q", got)
	}
	if tickets.ErrorCode(nil) != "" || tickets.ErrorMessage(nil) != "" {
		t.Error("nil error has a code or a message")
	}
}
