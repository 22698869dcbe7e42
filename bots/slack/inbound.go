package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	slackapi "github.com/slack-go/slack"

	"github.com/colombiainformatica/ticketbot/bots/inbound"
	"github.com/colombiainformatica/ticketbot/internal/measure"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// A job is done after the ack: telling an agent privately how their action
// went. The action itself is worked before the ack, so that a failure is
// answered 5xx (and retried by Slack, or shown to the agent) instead of
// being lost after a 200.
type job func(ctx context.Context)

// envelope is the outer object of an Events API request.
type envelope struct {
	Type      string          `json:"type"`
	Challenge string          `json:"challenge"`
	EventID   string          `json:"event_id"`
	Event     json.RawMessage `json:"event"`
}

// messageEvent is the part of a message event the adapter reads.
type messageEvent struct {
	Type     string          `json:"type"`
	Subtype  string          `json:"subtype"`
	User     string          `json:"user"`
	BotID    string          `json:"bot_id"`
	Text     string          `json:"text"`
	TS       string          `json:"ts"`
	ThreadTS string          `json:"thread_ts"`
	Channel  string          `json:"channel"`
	Files    []eventFile     `json:"files"`  // subtype file_share
	Blocks   json.RawMessage `json:"blocks"` // the message as the agent composed it (rich_text)
}

// errBadRequest is a request that cannot be parsed (answered 400).
var errBadRequest = errors.New("bad request")

// maxEventRetries is how many times Slack retries an event that was not
// acknowledged with a 200.
const maxEventRetries = 3

// onEvent handles an Events API envelope: it answers url_verification,
// ignores what the app does not act on and works a message in a card's
// thread before the ack, within syncTimeout. The event is marked done only
// once its work is stored; the Service calls carry a request id derived
// from the event_id, so a redelivery after a failure (or after a crash) is
// idempotent. An error means the event must not be acknowledged: Slack
// delivers it again (retry is the X-Slack-Retry-Num of this delivery). The
// job tells the agent what became of their message.
func (b *Bot) onEvent(ctx context.Context, body []byte, retry int) (any, job, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, nil, errBadRequest
	}
	switch env.Type {
	case "url_verification":
		return map[string]string{"challenge": env.Challenge}, nil, nil
	case "event_callback":
	default:
		return nil, nil, nil
	}
	var ev messageEvent
	if err := json.Unmarshal(env.Event, &ev); err != nil {
		return nil, nil, errBadRequest
	}
	// Only new messages by people, in a thread: no edits, deletions,
	// joins or bot messages (the app's own posts included).
	if ev.Type != "message" || (ev.Subtype != "" && ev.Subtype != "file_share" && ev.Subtype != "thread_broadcast") ||
		ev.BotID != "" || ev.User == "" || ev.ThreadTS == "" || ev.ThreadTS == ev.TS || env.EventID == "" {
		return nil, nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	here := place{channel: ev.Channel, user: ev.User, threadTS: ev.ThreadTS}
	text, worked, err := b.workEvent(ctx, env.EventID, ev)
	if err != nil {
		b.log.Error().Err(err).Str("event_id", env.EventID).Int("retry", retry).Msg("thread message")
		if !worked {
			text = notStoredText(retry)
		}
	}
	var tell job
	if text != "" {
		tell = func(ctx context.Context) { b.tell(ctx, here, text) }
	}
	return nil, tell, err
}

// workEvent works a message in a card's thread once and marks its event
// done; a message in any other thread is left alone, and nothing is
// remembered of it. It returns what to tell the agent, if anything,
// whether the message was worked (stored, refused, or not a card's), and
// an internal failure.
func (b *Bot) workEvent(ctx context.Context, eventID string, ev messageEvent) (string, bool, error) {
	n, err := b.cardThread(ctx, ev.Channel, ev.ThreadTS)
	if err != nil || n == 0 {
		return "", err == nil, err // n == 0: not a card's thread
	}
	var text string
	it := inbound.Item{
		Namespace: nsEvent, ID: eventID,
		DeadLetter: func() inbound.DeadLetter {
			raw, _ := json.Marshal(ev)
			return inbound.DeadLetter{Chat: ev.Channel + "/" + ev.ThreadTS, Content: ev.Text, Raw: raw}
		},
		// Slack gives up too: the agent is asked to send it again.
		Tell: func(ctx context.Context) error {
			text = notStoredText(maxEventRetries)
			return nil
		},
	}
	err = b.inbound.Handle(ctx, it, func(ctx context.Context) error {
		var err error
		text, err = b.onThreadMessage(ctx, eventID, n, ev)
		return err
	})
	return text, err == nil || errors.Is(err, inbound.ErrNotMarked), err
}

// nsEvent is the namespace of Slack's events among inbound items.
const nsEvent = "slack"

// notStoredText tells an agent that their thread message was not stored,
// at try retry of Slack's deliveries.
func notStoredText(retry int) string {
	if retry >= maxEventRetries {
		return "Your message was *not* sent to the customer: something went wrong. Please send it again."
	}
	return fmt.Sprintf("Your message has *not* reached the customer yet: something went wrong. "+
		"It is tried again automatically (try %d of %d); if the last try fails you are told to send it again.",
		retry+1, maxEventRetries+1)
}

// onThreadMessage makes a message in the thread of ticket n's card a reply
// to the customer, or an internal note: when it starts with the note marker, or
// always when the desk keeps thread messages internal (ThreadNotes). It
// returns what to tell the author privately: why nothing reached the
// customer when they may not reply. Internal failures are returned.
func (b *Bot) onThreadMessage(ctx context.Context, eventID string, n int64, ev messageEvent) (string, error) {
	if b.isSelf(ctx, ev.User) {
		return "", nil // a file the app copied into the thread
	}
	actor, err := b.actor(ctx, ev.User)
	if err != nil {
		if tickets.ErrorCode(err) == tickets.EINTERNAL {
			return "", err
		}
		return "Your message was *not* sent to the customer: " + b.errText(ctx, n, err), nil
	}
	text := plainFromSlack(ev.Text, func(id string) string { return b.people.name(ctx, id) })
	atts, skipped := attachmentsOf(ev.Files)
	in := tickets.MessageInput{Kind: tickets.MessageReply, Ref: ev.TS, Attachments: atts}
	if body, note := b.threadNote(text, ev.Blocks); note {
		in.Kind, in.Text = tickets.MessageNote, body
	} else {
		in.Text = text
		actor = b.replier(actor)
	}
	if strings.TrimSpace(in.Text) == "" && len(in.Attachments) == 0 && len(skipped) > 0 {
		return "Nothing was sent: " + fileList(skipped) + " cannot be sent on; only files uploaded to Slack can.", nil
	}
	ctx = tickets.WithRequestID(ctx, "slack:ev:"+eventID)
	if _, _, err := b.svc.AddMessage(ctx, actor, n, in); err != nil {
		switch {
		case tickets.ErrorCode(err) == tickets.EINTERNAL:
			return "", err
		case in.Kind == tickets.MessageNote:
			return "Your note was not saved: " + b.errText(ctx, n, err), nil
		}
		return "Your message was *not* sent to the customer: " + b.errText(ctx, n, err) +
			"\nStart a message with " + NoteMarker + " to keep it an internal note.", nil
	}
	return b.filesTold(in, skipped), nil
}

// threadNote reports whether a thread message is an internal note, and
// returns its text. Where thread messages are replies, the marker decides,
// judged on what the agent sees: the message's text (mrkdwn, decoded) and
// the rich text the agent composed; either showing the marker makes a
// note (fail closed).
func (b *Bot) threadNote(text string, blocks json.RawMessage) (string, bool) {
	if body, note := noteText(text); note {
		return body, true
	}
	if _, note := noteText(richText(blocks)); note {
		return text, true
	}
	return text, b.cfg.ThreadMessages == ThreadNotes
}

// richText is the text of a message's rich_text blocks, as shown: text
// and link elements in order, formatting dropped.
func richText(raw json.RawMessage) string {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return ""
	}
	var b strings.Builder
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			switch x["type"] {
			case "text", "link":
				if t, ok := x["text"].(string); ok {
					b.WriteString(t)
				} else if u, ok := x["url"].(string); ok {
					b.WriteString(u)
				}
			}
			walk(x["elements"])
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return b.String()
}

// filesTold is what an agent is told privately about the files of their
// stored thread message: those that cannot reach the customer.
func (b *Bot) filesTold(in tickets.MessageInput, skipped []string) string {
	var lines []string
	if len(skipped) > 0 {
		lines = append(lines, fileList(skipped)+" not attached: only files uploaded to Slack can be.")
	}
	if in.Kind == tickets.MessageReply && b.cfg.MaxCustomerFile > 0 {
		for _, a := range in.Attachments {
			if a.Size > b.cfg.MaxCustomerFile {
				lines = append(lines, fmt.Sprintf("*%s* (%s) is larger than %s, the most the customer's chat accepts from the bot: "+
					"the customer gets only its name. Share it another way (for example a link).",
					clipped(a.Name, listItemChars), measure.Bytes(a.Size), measure.Bytes(b.cfg.MaxCustomerFile)))
			}
		}
	}
	return strings.Join(lines, "\n")
}

func fileList(names []string) string {
	for i, n := range names {
		names[i] = "*" + clipped(n, listItemChars) + "*"
	}
	return strings.Join(names, ", ")
}

// cardThread returns the number of the ticket whose card starts thread ts
// of channel, or 0 when it is not a card's thread. The record written when
// the card was posted answers. Without it (a reply in the instant between
// the post and its record, or a record that failed after the post), a
// thread of the queue channel is asked of Slack for its first message: a
// card is the app's own message whose header block names the ticket. The
// answer is recorded. A thread of another channel is not a card's.
// When Slack cannot be asked, the error is returned, and the event is
// retried rather than dropped.
func (b *Bot) cardThread(ctx context.Context, channel, ts string) (int64, error) {
	n, known, err := b.store.ThreadTicket(ctx, channel, ts)
	if err != nil || known {
		return n, err
	}
	if channel != b.cfg.QueueChannel {
		// Cards are posted in the queue channel only: a thread elsewhere
		// is not a card's, and costs no call to Slack.
		return 0, nil
	}
	msgs, _, _, err := b.api.GetConversationRepliesContext(ctx, &slackapi.GetConversationRepliesParameters{
		ChannelID: channel, Timestamp: ts, Inclusive: true, Limit: 1,
	})
	if err != nil && !isSlackError(err, "thread_not_found") {
		return 0, fmt.Errorf("find the thread's first message: %w", err)
	}
	if len(msgs) > 0 && msgs[0].Timestamp == ts && msgs[0].BotID != "" {
		if _, bot, ok := b.whoAmI(ctx); !ok {
			return 0, errors.New("auth.test failed: cannot tell the app's own messages")
		} else if msgs[0].BotID == bot {
			n = cardNumber(msgs[0].Blocks.BlockSet)
		}
	}
	return n, b.store.SaveThread(ctx, channel, ts, n)
}
