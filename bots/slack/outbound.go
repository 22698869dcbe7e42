package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	slackapi "github.com/slack-go/slack"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// The kinds of outbound messages (delivery.Message.Kind).
const (
	kindCard        = "card"        // post the ticket's card, or update it in place
	kindPost        = "post"        // a conversation entry in the card's thread
	kindDescription = "description" // a description too long for the card, in the thread
	kindUnreachable = "unreachable" // a thread line: the customer cannot be reached
	kindReachable   = "reachable"   // a thread line: the customer can be reached again
	kindDelivered   = "delivered"   // mark a reply delivered (a reaction)
	kindNoted       = "noted"       // mark a note typed in the thread as kept internal (a reaction)
	kindRating      = "rating"      // a rating's comment too long for the card, in the thread
	kindFile        = "file"        // copy an attachment into the card's thread
)

// The reactions that tell agents which way their thread message went.
const (
	reactionDelivered = "white_check_mark" // a reply reached the customer
	reactionNoted     = "lock"             // a note was stored: it stays in Slack
)

// payload is the data of an outbound message.
type payload struct {
	Message int64 `json:"m,omitempty"` // a conversation entry
	File    int   `json:"f,omitempty"` // its attachment (1-based); of the ticket itself when Message is 0
}

// The entries of a thread recorded by name rather than by conversation
// entry (Storage.Posted).
const (
	entryDescription = "0"
	entryRating      = "rating"
)

func entryOf(id int64) string { return strconv.FormatInt(id, 10) }

// bucketOf is the budget a message of kind spends.
func bucketOf(kind string) string {
	switch kind {
	case kindCard:
		return bucketUpdate
	case kindDelivered, kindNoted:
		return bucketReactions
	case kindFile:
		return bucketFiles
	case kindErase:
		return bucketUpdate
	}
	return bucketPost
}

// Plan returns the Slack messages that event e means: the card posted or
// updated, and thread messages for the conversation. A ticket's messages
// are one lane: its card comes before its thread, and a message that
// keeps failing holds back only its own ticket.
func (b *Bot) Plan(ctx context.Context, e tickets.Event) ([]delivery.Message, error) {
	n := strconv.FormatInt(e.Number, 10)
	msg := func(key, kind string, p *payload) delivery.Message {
		m := delivery.Message{Lane: "t" + n, Bucket: bucketOf(kind), Key: key, Number: e.Number, Kind: kind}
		if p != nil {
			m.Payload, _ = json.Marshal(p)
		}
		return m
	}
	cardMsg := msg("card", kindCard, nil)
	cardMsg.Coalesce = "card:" + n
	switch e.Kind {
	case tickets.EventOpened:
		cardMsg.Bucket = bucketPost // the card is posted, not updated
		out := []delivery.Message{cardMsg}
		t, err := b.svc.Get(ctx, tickets.SystemActor, e.Number)
		if err != nil {
			return nil, err
		}
		if descriptionTooLong(t) {
			out = append(out, msg("description", kindDescription, nil))
		}
		// The files attached in the form are the ticket's own (entry 0).
		for i, a := range t.Attachments {
			if a.Source != Platform {
				out = append(out, msg("file"+strconv.Itoa(i+1), kindFile, &payload{File: i + 1}))
			}
		}
		return out, nil
	case tickets.EventMessage, tickets.EventReply, tickets.EventNote:
		var out []delivery.Message
		if e.StatusChange() {
			out = append(out, cardMsg)
		}
		m, err := b.svc.Message(ctx, tickets.SystemActor, e.Number, e.MessageID)
		switch {
		case tickets.ErrorCode(err) == tickets.ENOTFOUND:
			return append(out, msg("thread", kindPost, &payload{Message: e.MessageID})), nil
		case err != nil:
			return nil, err
		case e.Kind == tickets.EventNote && m.Ref != "" && m.Unverified == "":
			// A note typed in the thread is already there: it is marked
			// as kept internal, so its author sees which way it went.
			return append(out, msg("mark", kindNoted, &payload{Message: e.MessageID})), nil
		case e.Kind != tickets.EventMessage && m.Ref != "" && m.Unverified == "":
			// A reply typed in the thread is already there.
			return out, nil
		}
		out = append(out, msg("thread", kindPost, &payload{Message: e.MessageID}))
		// Each file another platform holds is copied in a message of its
		// own, after the text: a file that fails never holds the text.
		for i, a := range m.Attachments {
			if a.Source != Platform {
				out = append(out, msg("thread.file"+strconv.Itoa(i+1), kindFile, &payload{Message: e.MessageID, File: i + 1}))
			}
		}
		return out, nil
	case tickets.EventDelivered:
		return []delivery.Message{msg("mark", kindDelivered, &payload{Message: e.MessageID})}, nil
	case tickets.EventErased:
		return []delivery.Message{cardMsg, msg("erase", kindErase, nil)}, nil
	case tickets.EventUnreachable:
		return []delivery.Message{cardMsg, msg("thread", kindUnreachable, nil)}, nil
	case tickets.EventReachable:
		return []delivery.Message{cardMsg, msg("thread", kindReachable, nil)}, nil
	case tickets.EventRated:
		out := []delivery.Message{cardMsg}
		t, err := b.svc.Get(ctx, tickets.SystemActor, e.Number)
		if err != nil {
			return nil, err
		}
		if commentTooLong(t) {
			out = append(out, msg("rating", kindRating, nil))
		}
		return out, nil
	}
	// Every other change shows on the card: status, assignee, priority.
	return []delivery.Message{cardMsg}, nil
}

// Send sends m to Slack. A card renders the ticket as it is now, so one
// update shows every change coalesced into it.
func (b *Bot) Send(ctx context.Context, m delivery.Message) error {
	var p payload
	if len(m.Payload) > 0 {
		if err := json.Unmarshal(m.Payload, &p); err != nil {
			return delivery.Permanent("bad_payload", err)
		}
	}
	var err error
	switch m.Kind {
	case kindCard:
		_, _, err = b.sendCard(ctx, b.cfg.QueueChannel, m.Number)
	case kindPost:
		err = b.sendPost(ctx, b.cfg.QueueChannel, m.Number, p.Message)
	case kindDescription:
		err = b.sendDescription(ctx, b.cfg.QueueChannel, m.Number)
	case kindUnreachable:
		err = b.sendUnreachable(ctx, b.cfg.QueueChannel, m.Number)
	case kindReachable:
		err = b.sendReachable(ctx, b.cfg.QueueChannel, m.Number)
	case kindDelivered:
		err = b.sendMark(ctx, m.Number, p.Message, reactionDelivered)
	case kindNoted:
		err = b.sendMark(ctx, m.Number, p.Message, reactionNoted)
	case kindRating:
		err = b.sendRating(ctx, b.cfg.QueueChannel, m.Number)
	case kindFile:
		err = b.sendFile(ctx, b.cfg.QueueChannel, m.Number, p.Message, p.File)
	case kindErase:
		err = b.sendErase(ctx, m.Number)
	default:
		return delivery.Permanent("unknown_kind", fmt.Errorf("unknown message kind %q", m.Kind))
	}
	return sendError(err)
}

// sendCard posts ticket n's card in channel, or updates it in place when
// it was posted before, and returns where it is. The card is recorded
// right after the post; a crash between the two is the one window in which
// a card can be posted twice.
func (b *Bot) sendCard(ctx context.Context, channel string, n int64) (string, string, error) {
	t, err := b.svc.Get(ctx, tickets.SystemActor, n)
	if err != nil {
		return "", "", err
	}
	opts := []slackapi.MsgOption{slackapi.MsgOptionBlocks(card(t, b.now(), b.cfg.ThreadMessages)...), slackapi.MsgOptionText(cardText(t), false)}
	ch, ts, ok, err := b.cardRef(ctx, n)
	if err != nil {
		return "", "", err
	}
	if ok {
		_, _, _, err := b.api.UpdateMessageContext(ctx, ch, ts, opts...)
		if !isSlackError(err, "message_not_found") {
			return ch, ts, err
		}
		// Someone deleted the card: post it again.
	}
	opts = append(opts, slackapi.MsgOptionDisableLinkUnfurl(), slackapi.MsgOptionDisableMediaUnfurl())
	ch, ts, err = b.api.PostMessageContext(ctx, channel, opts...)
	if err != nil {
		return "", "", err
	}
	if err := b.store.SaveCard(ctx, n, ch, ts); err != nil {
		return "", "", err
	}
	return ch, ts, nil
}

// cardRef returns where ticket n's card is, if it was posted.
func (b *Bot) cardRef(ctx context.Context, n int64) (channel, ts string, ok bool, err error) {
	return b.store.Card(ctx, n)
}

// thread returns where ticket n's card is, posting it first if needed.
func (b *Bot) thread(ctx context.Context, channel string, n int64) (string, string, error) {
	ch, ts, ok, err := b.cardRef(ctx, n)
	if err != nil || ok {
		return ch, ts, err
	}
	return b.sendCard(ctx, channel, n)
}

// sendPost posts conversation entry id of ticket n in the card's thread,
// once: the ts of the first part is recorded.
func (b *Bot) sendPost(ctx context.Context, channel string, n, id int64) error {
	if _, done, err := b.store.Posted(ctx, n, entryOf(id)); err != nil || done {
		return err
	}
	m, err := b.svc.Message(ctx, tickets.SystemActor, n, id)
	if err != nil {
		return err
	}
	var heading string
	switch m.Kind {
	case tickets.MessageCustomer:
		heading = ":speech_balloon: *" + clipped(m.Author.Name, cardNameChars) + "* (customer) wrote:"
	case tickets.MessageReply:
		heading = ":arrow_right_hook: *Reply to the customer* by " + b.agentLabel(ctx, m.Author) + ":"
	case tickets.MessageNote:
		if m.Unverified != "" {
			heading = ":warning: *Unverified sender* " + clipped(m.Unverified, cardNameChars) +
				" wrote about this ticket: not shown to be the customer, so it is kept as an internal note and changed nothing:"
			break
		}
		heading = ":memo: *Internal note* by " + b.agentLabel(ctx, m.Author) + " (not sent to the customer):"
	default:
		return nil
	}
	return b.postThread(ctx, channel, n, entryOf(id), heading, m.Text, m.Attachments)
}

// agentLabel names the author of a reply or note for agents: their Slack
// name even when the customer saw the team name.
func (b *Bot) agentLabel(ctx context.Context, a tickets.Actor) string {
	name := a.Name
	if b.cfg.AnonymousAgents && strings.HasPrefix(a.ID, "U") {
		name = b.people.name(ctx, a.ID)
		if name != a.Name {
			return clipped(name, cardNameChars) + " (shown as " + clipped(a.Name, cardNameChars) + ")"
		}
	}
	return clipped(name, cardNameChars)
}

func (b *Bot) sendDescription(ctx context.Context, channel string, n int64) error {
	if _, done, err := b.store.Posted(ctx, n, entryDescription); err != nil || done {
		return err
	}
	t, err := b.svc.Get(ctx, tickets.SystemActor, n)
	if err != nil {
		return err
	}
	return b.postThread(ctx, channel, n, entryDescription, ":page_facing_up: *Full description*", t.Description, nil)
}

// sendRating posts the whole comment of ticket n's rating in its thread,
// once: the card shows it cut.
func (b *Bot) sendRating(ctx context.Context, channel string, n int64) error {
	if _, done, err := b.store.Posted(ctx, n, entryRating); err != nil || done {
		return err
	}
	t, err := b.svc.Get(ctx, tickets.SystemActor, n)
	if err != nil || t.Rating.Comment == "" {
		return err
	}
	heading := fmt.Sprintf(":star: *Rated %d/5* by %s, who commented:", t.Rating.Stars, clipped(t.Customer.Name, cardNameChars))
	return b.postThread(ctx, channel, n, entryRating, heading, t.Rating.Comment, nil)
}

// postThread posts text under heading in ticket n's thread, in as many
// messages as it takes, and records the first one's ts as entry.
func (b *Bot) postThread(ctx context.Context, channel string, n int64, entry, heading, text string, atts []tickets.Attachment) error {
	ch, parent, err := b.thread(ctx, channel, n)
	if err != nil {
		return err
	}
	// The fallback text (notifications, search) names the author and
	// starts the message, escaped like the blocks.
	fallback := heading
	if s := tickets.DerivedSubject(text); s != "" {
		fallback += " " + clipped(s, tickets.MaxSubjectRunes)
	}
	var parts []string
	for _, blocks := range textPosts(heading, text, atts) {
		_, ts, err := b.api.PostMessageContext(ctx, ch, slackapi.MsgOptionTS(parent),
			slackapi.MsgOptionBlocks(blocks...), slackapi.MsgOptionText(fallback, false),
			slackapi.MsgOptionDisableLinkUnfurl(), slackapi.MsgOptionDisableMediaUnfurl())
		if err != nil {
			return err
		}
		parts = append(parts, ts)
	}
	if len(parts) == 0 {
		return nil
	}
	// The later parts first: the first one's record says it is done.
	for i, ts := range parts[1:] {
		if err := b.store.SavePosted(ctx, n, partEntry(entry, i+2), ts); err != nil {
			return err
		}
	}
	return b.store.SavePosted(ctx, n, entry, parts[0])
}

func (b *Bot) sendUnreachable(ctx context.Context, channel string, n int64) error {
	t, err := b.svc.Get(ctx, tickets.SystemActor, n)
	if err != nil || t.Unreachable == "" {
		return err
	}
	ch, parent, err := b.thread(ctx, channel, n)
	if err != nil {
		return err
	}
	text := ":warning: Messages to the customer are failing (" + clipped(t.Unreachable, cardReasonChars) + "): they may not have received the latest replies."
	return b.postLine(ctx, ch, parent, text)
}

// sendReachable tells ticket n's thread that messages reach the customer
// again.
func (b *Bot) sendReachable(ctx context.Context, channel string, n int64) error {
	ch, parent, err := b.thread(ctx, channel, n)
	if err != nil {
		return err
	}
	return b.postLine(ctx, ch, parent, ":white_check_mark: Messages reach the customer again.")
}

// postLine posts one line of the app's own (escaped) text in a thread.
func (b *Bot) postLine(ctx context.Context, channel, parent, text string) error {
	_, _, err := b.api.PostMessageContext(ctx, channel, slackapi.MsgOptionTS(parent),
		slackapi.MsgOptionBlocks(slackapi.NewContextBlock("", verbatim(text))), slackapi.MsgOptionText(text, false))
	return err
}

// sendMark adds reaction to the message of conversation entry id of
// ticket n: the agent's own message for one typed in the thread, the
// app's post for one sent from a modal or a command. ✅ marks a reply
// delivered to the customer, 🔒 a note kept internal.
func (b *Bot) sendMark(ctx context.Context, n, id int64, reaction string) error {
	m, err := b.svc.Message(ctx, tickets.SystemActor, n, id)
	if err != nil {
		return err
	}
	ts := m.Ref
	if ts == "" {
		v, ok, err := b.store.Posted(ctx, n, entryOf(id))
		if err != nil || !ok {
			return err // not posted: nothing to mark
		}
		ts = v
	}
	ch, _, ok, err := b.cardRef(ctx, n)
	if err != nil || !ok {
		return err
	}
	err = b.api.AddReactionContext(ctx, reaction, slackapi.ItemRef{Channel: ch, Timestamp: ts})
	if isSlackError(err, "already_reacted") {
		return nil
	}
	return err
}

// Slack error codes after which retrying cannot help.
var permanentCodes = map[string]bool{
	"invalid_auth": true, "not_authed": true, "account_inactive": true, "token_revoked": true,
	"token_expired": true, "no_permission": true, "missing_scope": true, "channel_not_found": true,
	"not_in_channel": true, "is_archived": true, "restricted_action": true, "msg_too_long": true, "msg_blocks_too_long": true,
	"no_text": true, "invalid_blocks": true, "invalid_blocks_format": true, "too_many_attachments": true,
	"cant_update_message": true, "edit_window_closed": true, "message_not_found": true,
	"thread_not_found": true, "invalid_name": true, "team_access_not_granted": true,
	"file_not_found": true, "file_deleted": true, "invalid_arguments": true, "missing_argument": true,
	"file_upload_size_restricted": true, "file_uploads_disabled": true, "file_uploads_except_images_disabled": true,
	"file_type_not_allowed": true,
}

// sendError classifies err for delivery: wait on 429, give up on what
// cannot succeed, retry the rest (5xx, timeouts, network).
func sendError(err error) error {
	if err == nil {
		return nil
	}
	var rl *slackapi.RateLimitedError
	if errors.As(err, &rl) {
		return delivery.RetryAfter(rl.RetryAfter, err)
	}
	var se slackapi.SlackErrorResponse
	if errors.As(err, &se) {
		if se.Err == "ratelimited" {
			return delivery.RetryAfter(0, err)
		}
		if permanentCodes[se.Err] {
			return delivery.Permanent(se.Err, err)
		}
		return err
	}
	var sc slackapi.StatusCodeError
	// 429 without Retry-After (a file download or upload URL): transient.
	if errors.As(err, &sc) && sc.Code >= 400 && sc.Code < 500 && sc.Code != 408 && sc.Code != 429 {
		return delivery.Permanent("http_"+strconv.Itoa(sc.Code), err)
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return err
	}
	if tickets.ErrorCode(err) == tickets.ENOTFOUND {
		return delivery.Permanent("ticket_not_found", err)
	}
	return err
}

func isSlackError(err error, code string) bool {
	var se slackapi.SlackErrorResponse
	return errors.As(err, &se) && se.Err == code
}
