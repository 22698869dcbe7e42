package tickets

import (
	"errors"
	"fmt"
)

// Error codes carried by Error. They are stable strings that adapters map to
// replies and HTTP statuses.
const (
	EINVALID   = "invalid"   // the request is malformed or not allowed in the ticket's state
	ENOTFOUND  = "not_found" // the ticket does not exist or is not visible to the actor
	ECONFLICT  = "conflict"  // someone else changed or owns the ticket
	EFORBIDDEN = "forbidden" // the actor may not do this
	ETERMS     = "terms"     // the customer has not accepted the current terms
	EINTERNAL  = "internal"  // storage or another dependency failed
)

// Error is the one error type of the core: a machine code, a message that is
// safe to show to a customer or an agent, and optional details for the
// adapters (for example who holds a ticket when a claim loses a race).
type Error struct {
	Code    string
	Message string
	// Holder is the display name of the agent that owns the ticket, set on
	// ECONFLICT errors caused by another agent's claim.
	Holder string
	// Reason is a stable key for the errors a customer can cause (the
	// Reason* constants), so adapters can explain them in the customer's
	// language; "" for the others.
	Reason string
	// Status is the ticket's status when the error is about it (a refused
	// transition, an inactive ticket).
	Status Status
	// Err is the underlying cause of an EINTERNAL error; never shown to users.
	Err error
}

// Reasons of the errors a customer can cause.
const (
	ReasonTransition    = "transition"     // the lifecycle does not allow the action in Status
	ReasonInactive      = "inactive"       // the ticket is resolved or closed (Status): reopen it first
	ReasonTooLong       = "too_long"       // a text is over its limit
	ReasonAttachments   = "attachments"    // too many attachments
	ReasonEmpty         = "empty"          // nothing to store
	ReasonTermsOutdated = "terms_outdated" // accepting a terms version that is no longer current
	ReasonRating        = "rating"         // a rating outside 1..5
	ReasonNotRateable   = "not_rateable"   // rating a ticket that is not resolved yet
	ReasonRated         = "rated"          // rating a ticket again: a rating is given once
)

// withReason returns e with its Reason (and Status) set.
func (e *Error) withReason(reason string, st Status) *Error {
	e.Reason, e.Status = reason, st
	return e
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps err, which came from a dependency while doing what, into an
// EINTERNAL error whose message reveals nothing of the cause.
func Internal(what string, err error) *Error {
	return &Error{Code: EINTERNAL, Message: "internal error", Err: fmt.Errorf("%s: %w", what, err)}
}

// ErrorCode returns the code of err: the Code of an *Error in its chain,
// EINTERNAL for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of err.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	return "internal error"
}

// Sentinel errors returned by the core; compare with errors.Is.
var (
	// ErrNotFound is returned for a ticket that does not exist or that the
	// actor may not see. A customer asking for another customer's ticket gets
	// exactly this error, so ticket numbers reveal nothing.
	ErrNotFound = &Error{Code: ENOTFOUND, Message: "ticket not found"}
	// ErrQueueEmpty is returned by ClaimNext when no ticket waits.
	ErrQueueEmpty = &Error{Code: ENOTFOUND, Message: "the queue is empty"}
	// ErrTermsNotAccepted is returned by Open while the customer has not
	// accepted the current terms version.
	ErrTermsNotAccepted = &Error{Code: ETERMS, Message: "the current terms must be accepted before opening a ticket"}
	// ErrVersionConflict is returned by a Store when a conditional write
	// finds the ticket changed since it was read.
	ErrVersionConflict = &Error{Code: ECONFLICT, Message: "the ticket changed meanwhile, try again"}
)

// Is reports whether target has the same code and message, so that wrapped
// copies of the sentinels compare equal with errors.Is.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Message == e.Message
}

// ErrorReason returns the Reason of err's *Error, or "".
func ErrorReason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}
