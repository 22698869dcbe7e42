package telegram

import (
	"context"
	"time"

	"github.com/colombiainformatica/ticketbot/bots/telegram/botapi"
)

// Storage is where the bot keeps what it remembers between updates; the
// store package implements it on Redis (store.Telegram). The marks of
// updates, the inbound dead letters and the leases are kept through the
// inbound and lease packages (Deps).
type Storage interface {
	botapi.Offsets
	Forms
	Refs
	Flood
	Albums
	// EraseChat deletes everything kept about a user and their chat:
	// forms, references, flood counters, albums, inbound dead letters of
	// the chat, and its delivery lane and dead letters.
	EraseChat(ctx context.Context, user, chat int64) error
}

// FormKind says what a form value is.
type FormKind uint8

// The kinds of form values the bot keeps.
const (
	FormDraft   FormKind = iota + 1 // the ticket form in progress of a user
	FormComment                     // a rating waiting for its comment, of a user
	FormPending                     // a message waiting for its customer to choose a ticket, of a turn
)

// FormKey names one form value: of a user (drafts, comments) or of a
// user's turn (pending messages).
type FormKey struct {
	Kind FormKind
	User int64
	Turn string
}

func (k FormKey) String() string {
	switch k.Kind {
	case FormDraft:
		return "draft of " + itoa(k.User)
	case FormComment:
		return "comment of " + itoa(k.User)
	}
	return "pending message " + k.Turn
}

// Forms keeps the bot's form values, opaque JSON with a lifetime.
type Forms interface {
	Form(ctx context.Context, k FormKey) ([]byte, bool, error)
	SaveForm(ctx context.Context, k FormKey, v []byte, ttl time.Duration) error
	DeleteForm(ctx context.Context, k FormKey) error
}

// Refs remembers which ticket a bot message is about, so that a customer's
// reply to it reaches that ticket.
type Refs interface {
	TicketOf(ctx context.Context, chat int64, msg int) (int64, bool, error)
	RememberMessage(ctx context.Context, chat int64, msg int, ticket int64, ttl time.Duration) error
}

// Flood counts a user's updates per minute.
type Flood interface {
	// CountFlood counts turn against user's budget of the minute of now
	// (the counter lives window) and returns its count; a turn counted
	// before (a retry) gets the count it got then, for remember.
	CountFlood(ctx context.Context, user int64, turn string, now time.Time, window, remember time.Duration) (int64, error)
}

// Album names a buffered album: a chat and a media_group_id.
type Album struct {
	Chat  int64
	Group string
}

// Albums buffers the parts of albums until they are complete (see
// album.go).
type Albums interface {
	// AddAlbumPart stores part (the adapter's JSON) of message msg in
	// album a, once, and makes the album due at due; it reports false when
	// the album was closed without it (the part then comes on its own).
	AddAlbumPart(ctx context.Context, a Album, msg int, part []byte, due time.Time) (bool, error)
	// DueAlbums returns up to limit albums due at now.
	DueAlbums(ctx context.Context, now time.Time, limit int) ([]Album, error)
	// NextAlbumDue returns when the next album is due, if any waits.
	NextAlbumDue(ctx context.Context) (time.Time, bool, error)
	// PendingAlbum returns the chat's album not yet finished, if any.
	PendingAlbum(ctx context.Context, chat int64) (Album, bool, error)
	// CloseAlbum closes album a (no part joins it after) and returns its
	// parts; it is due again at retry unless finished by then. ok is false
	// when the album is finished or gone.
	CloseAlbum(ctx context.Context, a Album, retry time.Time) (parts [][]byte, ok bool, err error)
	// FinishAlbum records that album a was delivered or given up.
	FinishAlbum(ctx context.Context, a Album) error
}
