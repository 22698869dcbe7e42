package tickets

import (
	"fmt"
	"strconv"
	"strings"
)

// Urgency is how urgent the customer says the problem is.
type Urgency uint8

// The urgencies a customer can choose, from least to most urgent.
const (
	UrgencyLow Urgency = iota + 1
	UrgencyNormal
	UrgencyHigh
	UrgencyCritical
)

// Urgencies lists every urgency, most urgent first (the order forms show).
var Urgencies = []Urgency{UrgencyCritical, UrgencyHigh, UrgencyNormal, UrgencyLow}

var urgencyNames = [...]string{"", "low", "normal", "high", "critical"}

// String returns the urgency's stable name.
func (u Urgency) String() string {
	if u.Valid() {
		return urgencyNames[u]
	}
	return fmt.Sprintf("urgency(%d)", uint8(u))
}

// Valid reports whether u is a defined urgency.
func (u Urgency) Valid() bool { return u >= UrgencyLow && u <= UrgencyCritical }

// ParseUrgency returns the urgency named name.
func ParseUrgency(name string) (Urgency, error) {
	for i, n := range urgencyNames {
		if i > 0 && n == name {
			return Urgency(i), nil
		}
	}
	return 0, Errorf(EINVALID, "unknown urgency %q", name)
}

// Nature is the kind of problem (policy §5: priority depends on urgency and
// nature).
type Nature string

// The natures a customer can choose.
const (
	NatureOutage      Nature = "outage"      // a service is down
	NatureMalfunction Nature = "malfunction" // something works wrongly or fails
	NatureAccess      Nature = "access"      // cannot log in, permissions, accounts
	NatureBilling     Nature = "billing"     // invoices and payments
	NatureRequest     Nature = "request"     // a change or a new service
	NatureQuestion    Nature = "question"    // a technical question, how-to
)

// Natures lists every nature in the order forms show them.
var Natures = []Nature{NatureOutage, NatureMalfunction, NatureAccess, NatureBilling, NatureRequest, NatureQuestion}

// Valid reports whether n is a defined nature.
func (n Nature) Valid() bool {
	for _, v := range Natures {
		if n == v {
			return true
		}
	}
	return false
}

// Intake is the channel through which a request arrived.
type Intake string

// The intake channels. E-mail ranks behind chat of the same priority and never
// shows an ETA (policy §3).
const (
	IntakeChat  Intake = "chat"
	IntakeEmail Intake = "email"
)

// Valid reports whether i is a defined intake.
func (i Intake) Valid() bool { return i == IntakeChat || i == IntakeEmail }

// Priority ranks tickets: 1 is the highest, MaxPriority the lowest.
type Priority uint8

// The priority range.
const (
	HighestPriority Priority = 1
	MaxPriority     Priority = 4
)

// Valid reports whether p is within 1..MaxPriority.
func (p Priority) Valid() bool { return p >= HighestPriority && p <= MaxPriority }

// String returns "P1".."P4".
func (p Priority) String() string { return "P" + strconv.Itoa(int(p)) }

// ParsePriority accepts "1".."4" or "P1".."P4".
func ParsePriority(s string) (Priority, error) {
	n, err := strconv.Atoi(strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "P"))
	if err != nil || !Priority(n).Valid() {
		return 0, Errorf(EINVALID, "priority must be P1 to P%d", MaxPriority)
	}
	return Priority(n), nil
}

// arrivalSpan is the width of one priority band in the queue score: arrival
// times are Unix milliseconds, below 10^13 until the year 2286, so
// band*10^13 + ms stays exact in a float64 for every band we use.
const arrivalSpan = 1e13

// QueueScore is the sorted-set score of a ticket: priority band first, then
// arrival time in Unix milliseconds. E-mail intake takes the half band behind
// chat intake of the same priority. Equal scores are broken by the store in
// ticket-number order, so the earlier ticket wins.
func QueueScore(p Priority, in Intake, arrivalMS int64) float64 {
	band := int64(p-1) * 2
	if in == IntakeEmail {
		band++
	}
	return float64(band*arrivalSpan + arrivalMS)
}

// Policy maps a nature and an urgency to a priority.
type Policy struct {
	matrix map[Nature][5]Priority // indexed by Urgency
}

// DefaultPolicy returns the policy that follows the published support policy:
// a service that is down is always P1; otherwise urgency decides, with access
// problems ranked up and questions and requests ranked down.
func DefaultPolicy() Policy {
	row := func(low, normal, high, critical Priority) [5]Priority {
		return [5]Priority{0, low, normal, high, critical}
	}
	return Policy{matrix: map[Nature][5]Priority{
		NatureOutage:      row(1, 1, 1, 1),
		NatureMalfunction: row(4, 3, 2, 1),
		NatureAccess:      row(3, 2, 2, 1),
		NatureBilling:     row(4, 3, 2, 2),
		NatureRequest:     row(4, 4, 3, 2),
		NatureQuestion:    row(4, 4, 3, 2),
	}}
}

// ParsePolicy returns the default policy overridden by spec, a comma-separated
// list of nature.urgency=P entries, for example
// "question.critical=1,billing.high=3". An empty spec gives the default.
func ParsePolicy(spec string) (Policy, error) {
	p := DefaultPolicy()
	for _, entry := range strings.Split(spec, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		key, val, ok := strings.Cut(entry, "=")
		natureName, urgencyName, ok2 := strings.Cut(key, ".")
		if !ok || !ok2 {
			return Policy{}, Errorf(EINVALID, "priority policy entry %q: want nature.urgency=P", entry)
		}
		n := Nature(strings.TrimSpace(natureName))
		if !n.Valid() {
			return Policy{}, Errorf(EINVALID, "priority policy entry %q: unknown nature %q", entry, n)
		}
		u, err := ParseUrgency(strings.TrimSpace(urgencyName))
		if err != nil {
			return Policy{}, Errorf(EINVALID, "priority policy entry %q: %s", entry, ErrorMessage(err))
		}
		pr, err := ParsePriority(val)
		if err != nil {
			return Policy{}, Errorf(EINVALID, "priority policy entry %q: %s", entry, ErrorMessage(err))
		}
		row := p.matrix[n]
		row[u] = pr
		p.matrix[n] = row
	}
	return p, nil
}

// Priority returns the priority of a ticket of nature n and urgency u.
func (p Policy) Priority(n Nature, u Urgency) Priority {
	if row, ok := p.matrix[n]; ok && u.Valid() {
		return row[u]
	}
	return MaxPriority
}
