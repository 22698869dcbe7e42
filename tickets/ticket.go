package tickets

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on what the core accepts. Longer input is refused with EINVALID, so
// nothing is silently cut.
const (
	MaxTextRunes        = 10000 // a description or one message
	MaxSubjectRunes     = 120
	MaxAttachments      = 20 // per message
	MaxRatingComment    = 1000
	derivedSubjectRunes = 60
)

// Customer identifies who asked for help and where to answer them.
type Customer struct {
	Platform string // "telegram", "email", ...
	UserID   string // the platform's user id
	ChatID   string // where messages to the customer go
	Name     string // display name
	Language string // "es" or "en"
}

// Key returns the customer's identity across the system ("telegram:42").
func (c Customer) Key() string { return c.Platform + ":" + c.UserID }

// Agent is a member of the support team.
type Agent struct {
	ID   string // the agent's platform user id (for Slack, "U…")
	Name string // display name
}

// Role says in which capacity an actor acts.
type Role uint8

// The roles an actor can have.
const (
	RoleCustomer Role = iota + 1
	RoleAgent
	RoleSystem
)

var roleNames = [...]string{"", "customer", "agent", "system"}

// String returns the role's name.
func (r Role) String() string {
	if r >= RoleCustomer && r <= RoleSystem {
		return roleNames[r]
	}
	return "unknown"
}

// ParseRole returns the role named name.
func ParseRole(name string) (Role, error) {
	for i, n := range roleNames {
		if i > 0 && n == name {
			return Role(i), nil
		}
	}
	return 0, Errorf(EINVALID, "unknown role %q", name)
}

// Actor is whoever asks the Service for something. Adapters build it from
// the authenticated platform identity, never from user-supplied data.
type Actor struct {
	Role Role
	ID   string // a customer's Key() or an agent's ID
	Name string
}

// CustomerActor returns the actor for customer c.
func CustomerActor(c Customer) Actor { return Actor{Role: RoleCustomer, ID: c.Key(), Name: c.Name} }

// AgentActor returns the actor for agent a.
func AgentActor(a Agent) Actor { return Actor{Role: RoleAgent, ID: a.ID, Name: a.Name} }

// SystemActor is the actor of changes the product makes by itself (for
// example flagging an unreachable customer).
var SystemActor = Actor{Role: RoleSystem, ID: "system", Name: "ticketbot"}

// Attachment is a reference to a file kept by a chat platform; the product
// stores no file content (adapters copy a file from the platform that holds
// it when they show it on another).
type Attachment struct {
	Kind   string `json:"k"`           // "photo", "document", "voice", "video", "audio"
	FileID string `json:"f"`           // the holding platform's file reference
	Name   string `json:"n,omitempty"` // file name, when known
	Size   int64  `json:"s,omitempty"` // bytes, when known
	// Source is the platform that holds the file ("slack" for a file an
	// agent shared); empty means the customer's platform, as for every
	// attachment stored before the field existed.
	Source string `json:"p,omitempty"`
}

// HeldBy returns the platform that holds a's file on a ticket of customer
// c: its Source, else the customer's platform.
func (a Attachment) HeldBy(c Customer) string {
	if a.Source != "" {
		return a.Source
	}
	return c.Platform
}

// DisplayName is the name to show for a's file: its Name, else its Kind,
// else "file".
func (a Attachment) DisplayName() string {
	switch {
	case a.Name != "":
		return a.Name
	case a.Kind != "":
		return a.Kind
	}
	return "file"
}

// MessageKind says who wrote a message and who may read it.
type MessageKind uint8

// The kinds of conversation messages.
const (
	MessageCustomer MessageKind = iota + 1 // from the customer
	MessageReply                           // from an agent, delivered to the customer
	MessageNote                            // from an agent, internal: never shown to the customer
)

var messageKindNames = [...]string{"", "customer", "reply", "note"}

// String returns the kind's name.
func (k MessageKind) String() string {
	if k >= MessageCustomer && k <= MessageNote {
		return messageKindNames[k]
	}
	return "unknown"
}

// Message is one entry of a ticket's conversation.
type Message struct {
	ID          int64 // 1-based position in the conversation, set by the store
	Kind        MessageKind
	Author      Actor
	Text        string
	Attachments []Attachment
	At          time.Time
	// Ref is the platform reference of the message where it was written
	// (a Telegram message id, a Slack ts), so that adapters do not echo it
	// back to where it came from.
	Ref string
	// Unverified names the sender of a message that reached the ticket
	// from someone not proven to be its customer (an e-mail from another
	// address, or one that failed authentication): such a message is
	// always an internal note, flagged for agents, never the customer's.
	Unverified string
}

// Rating is the customer's score of a resolved ticket.
type Rating struct {
	Stars   int // 1..5; 0 means not rated
	Comment string
	At      time.Time
}

// Ticket is one request for support.
type Ticket struct {
	Number      int64 // human-friendly, increasing per desk
	Version     int64 // increases with every change; used for conditional writes
	Customer    Customer
	Intake      Intake
	Nature      Nature
	Urgency     Urgency
	Priority    Priority
	Subject     string
	Description string
	Attachments []Attachment
	Status      Status
	Assignee    Agent // zero while nobody owns the ticket
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Messages    int64 // conversation length
	Rating      Rating
	// Delivered is the id of the latest agent reply confirmed delivered
	// to the customer's chat (see MarkDelivered).
	Delivered int64
	// Unreachable is set when messages to the customer fail permanently
	// (for example the customer blocked the bot); agents see it on the card.
	Unreachable string
	// OpenRequest is the request ID of the Create that opened the ticket;
	// a store recognises a repeated Create by it. Every change carries it
	// unchanged.
	OpenRequest string
	// Ref is the platform reference of what opened the ticket (the
	// Message-ID of the mail that opened an e-mail ticket), as Message.Ref
	// is for the conversation's messages.
	Ref string
	// TermsVersion is the version of the terms in force when the ticket
	// was opened, which its customer accepted by opening it (policy §7):
	// in the chat by accepting them first, by e-mail by sending the mail.
	TermsVersion string
	// Erased is when the ticket's personal data was erased at its
	// customer's request (Service.Forget); zero for a ticket that keeps it.
	Erased time.Time
}

// Score returns the ticket's queue score (see QueueScore).
func (t Ticket) Score() float64 {
	return QueueScore(t.Priority, t.Intake, t.CreatedAt.UnixMilli())
}

// Claimed reports whether an agent owns the ticket.
func (t Ticket) Claimed() bool { return t.Assignee.ID != "" }

// DerivedSubject returns the subject Open derives from a description when
// none is given.
func DerivedSubject(description string) string { return subjectOf(description) }

// subjectOf derives a subject from a description: its first non-empty line,
// cut at a word boundary to about 60 characters with an ellipsis.
func subjectOf(description string) string {
	line, rest := "", description
	for line == "" && rest != "" {
		line, rest, _ = strings.Cut(rest, "\n")
		line = strings.TrimSpace(line)
	}
	// cut is the byte offset after derivedSubjectRunes runes; it stays at
	// len(line) when the line is no longer than that.
	cut, runes := len(line), 0
	for i := range line {
		if runes == derivedSubjectRunes {
			cut = i
			break
		}
		runes++
	}
	if cut == len(line) {
		return line
	}
	head := line[:cut]
	// i is a byte offset: compare the runes before it, so that accented
	// text is cut at the same word boundary as ASCII text.
	if i := strings.LastIndexByte(head, ' '); i >= 0 && utf8.RuneCountInString(head[:i]) > derivedSubjectRunes/2 {
		head = head[:i]
	}
	return strings.TrimSpace(head) + "…"
}

// Profile is what the product remembers of a customer between tickets.
type Profile struct {
	CustomerKey   string
	Language      string // chosen language; "" means from the platform
	TermsVersion  string // the version of the terms last accepted; "" if never
	TermsAccepted time.Time
	// PrivacyVersion is the version of the privacy notice under which the
	// customer last authorized the processing of their personal data; ""
	// if never. PrivacyAccepted is when.
	PrivacyVersion  string
	PrivacyAccepted time.Time
}
