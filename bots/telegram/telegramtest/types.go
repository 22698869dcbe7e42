package telegramtest

import (
	"time"
)

// User is a Telegram user that the fake acts as when it builds updates.
// Its ID is also the ID of the private chat between the user and the bot.
type User struct {
	ID           int64
	FirstName    string
	LastName     string
	Username     string
	LanguageCode string
}

// Button is one button of an inline keyboard, decoded from reply_markup.
type Button struct {
	Text         string
	CallbackData string
	URL          string
}

// Entity is a formatting entity of a message text or caption, with offsets
// and lengths in UTF-16 code units as in the Bot API.
type Entity struct {
	Type     string `json:"type"`
	Offset   int    `json:"offset"`
	Length   int    `json:"length"`
	URL      string `json:"url,omitempty"`
	Language string `json:"language,omitempty"`
}

// Media is a file attached to a message (photo, document, voice, ...).
type Media struct {
	Type         string // "photo", "document", "voice", "video" or "audio"
	FileID       string
	FileUniqueID string
	FileName     string
	Duration     int  // seconds, for voice
	Uploaded     bool // the bot uploaded the file (multipart), not a file_id or URL
}

// Message is a message recorded by the fake: one sent by the bot, or one sent
// by a user through SendText and friends.
type Message struct {
	ChatID    int64
	MessageID int // increases per chat, shared by the bot's and the user's messages
	FromBot   bool
	From      User // the sender when FromBot is false
	Date      time.Time
	EditDate  time.Time // zero when never edited

	Text      string // the text parameter as sent (with HTML markup, if any)
	Caption   string // the caption parameter as sent, for media messages
	ParseMode string
	PlainText string   // Text or Caption as the user sees it, markup removed
	Entities  []Entity // formatting of PlainText

	// ReplyMarkup is the raw reply_markup JSON as sent, empty when none.
	ReplyMarkup string
	// Keyboard is the decoded inline keyboard of ReplyMarkup, nil when none.
	Keyboard [][]Button

	ReplyToMessageID int
	Media            *Media
	MediaGroupID     string

	EditCount int
	Deleted   bool
}

// Buttons returns every button of m's inline keyboard, row after row.
func (m Message) Buttons() []Button {
	var out []Button
	for _, row := range m.Keyboard {
		out = append(out, row...)
	}
	return out
}

func (m *Message) clone() Message {
	c := *m
	if m.Entities != nil {
		c.Entities = append([]Entity(nil), m.Entities...)
	}
	if m.Keyboard != nil {
		c.Keyboard = make([][]Button, len(m.Keyboard))
		for i, row := range m.Keyboard {
			c.Keyboard[i] = append([]Button(nil), row...)
		}
	}
	if m.Media != nil {
		media := *m.Media
		c.Media = &media
	}
	return c
}

// Call is one request to a known Bot API method, as the fake received it.
type Call struct {
	Method string
	// Params holds every parameter as a string: form values verbatim, and for
	// JSON bodies strings unquoted and other values as their JSON text.
	Params map[string]string
	// Files lists the names of multipart file parts that were uploaded.
	Files       []string
	Status      int // HTTP status answered (200 on success)
	Description string
	Time        time.Time
}

// Command is a bot command registered with setMyCommands.
type Command struct {
	Command     string `json:"command"`
	Description string `json:"description"`
}

// CallbackAnswer records an answerCallbackQuery for a button press.
type CallbackAnswer struct {
	QueryID   string
	UpdateID  int
	ChatID    int64
	MessageID int
	Data      string
	Text      string
	ShowAlert bool
	URL       string
	CacheTime int
}

// WebhookInfo is the webhook the bot registered with setWebhook.
type WebhookInfo struct {
	URL                string
	SecretToken        string
	MaxConnections     int
	AllowedUpdates     []string
	IPAddress          string
	LastErrorDate      time.Time
	LastErrorMessage   string
	PendingUpdateCount int
}

// EventKind says what an Event reports.
type EventKind int

// The kinds of Event.
const (
	_ EventKind = iota
	// EventMessageSent reports a message sent by the bot.
	EventMessageSent
	// EventMessageEdited reports an edit of a message's text or keyboard.
	EventMessageEdited
	// EventMessageDeleted reports a deleteMessage.
	EventMessageDeleted
	// EventCallbackAnswered reports an answerCallbackQuery.
	EventCallbackAnswered
	// EventChatAction reports a sendChatAction ("typing", ...).
	EventChatAction
)

// String returns the kind's name.
func (k EventKind) String() string {
	switch k {
	case EventMessageSent:
		return "message_sent"
	case EventMessageEdited:
		return "message_edited"
	case EventMessageDeleted:
		return "message_deleted"
	case EventCallbackAnswered:
		return "callback_answered"
	case EventChatAction:
		return "chat_action"
	}
	return "invalid"
}

// Event is something the bot did, as emitted to Watch subscribers.
type Event struct {
	Kind    EventKind
	ChatID  int64
	Message Message        // the message after the change, for message events
	Answer  CallbackAnswer // for EventCallbackAnswered
	Action  string         // for EventChatAction
}

// Stats counts what the fake has seen and answered.
type Stats struct {
	Requests         int // requests to known methods with the right token
	Sent             int // messages created by the bot
	Edited           int
	Deleted          int
	CallbackAnswers  int
	TooManyRequests  int // 429 answers, injected or enforced
	FloodLimited     int // 429 answers from EnforceLimits
	InjectedFailures int // answers from FailNext and RateLimitNext
	UpdatesServed    int // updates returned by getUpdates
	WebhookPosts     int // POSTs to the webhook, including retries
	WebhookFailures  int // POSTs that failed or answered non-2xx
}
