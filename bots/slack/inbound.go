package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	slackapi "github.com/slack-go/slack"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// A job is inbound work done after the ack.
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
	Type     string `json:"type"`
	Subtype  string `json:"subtype"`
	User     string `json:"user"`
	BotID    string `json:"bot_id"`
	Text     string `json:"text"`
	TS       string `json:"ts"`
	ThreadTS string `json:"thread_ts"`
	Channel  string `json:"channel"`
}

// errBadRequest is a request that cannot be parsed (answered 400).
var errBadRequest = errors.New("bad request")

// onEvent handles an Events API envelope: it answers url_verification,
// drops duplicates (event_id) and what the app ignores, and returns the
// work for a message in a card's thread. An error means Slack should try
// again later.
func (b *Bot) onEvent(ctx context.Context, body []byte) (any, job, error) {
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
	seen, err := b.state.Seen(ctx, seenNamespace, env.EventID, eventMemory)
	if err != nil {
		return nil, nil, err
	}
	if seen {
		return nil, nil, nil
	}
	return nil, func(ctx context.Context) {
		if err := b.onThreadMessage(ctx, env.EventID, ev); err != nil {
			b.log.Error().Err(err).Str("event_id", env.EventID).Msg("thread message")
			// Let a redelivery of the event try again.
			_ = b.state.Forget(ctx, seenNamespace, env.EventID)
		}
	}, nil
}

// onThreadMessage makes a message in a card's thread a reply to the
// customer, or an internal note when it starts with the note marker.
// Anyone who may not reply is told privately; nothing reaches the customer.
// Only internal failures are returned.
func (b *Bot) onThreadMessage(ctx context.Context, eventID string, ev messageEvent) error {
	v, ok, err := b.state.Value(ctx, threadKey(ev.Channel, ev.ThreadTS))
	if err != nil || !ok {
		return err // not a card's thread
	}
	n, _ := strconv.ParseInt(v, 10, 64)
	here := place{channel: ev.Channel, user: ev.User, threadTS: ev.ThreadTS}
	actor, err := b.actor(ctx, ev.User)
	if err != nil {
		b.tell(ctx, here, "Your message was *not* sent to the customer: "+b.errText(ctx, n, err))
		return nil
	}
	text := plainFromSlack(ev.Text, func(id string) string { return b.people.name(ctx, id) })
	in := tickets.MessageInput{Kind: tickets.MessageReply, Ref: ev.TS}
	if body, note := noteText(text); note {
		in.Kind, in.Text = tickets.MessageNote, body
	} else {
		in.Text = text
		actor = b.replier(actor)
	}
	ctx = tickets.WithRequestID(ctx, "slack:"+eventID)
	if _, _, err := b.svc.AddMessage(ctx, actor, n, in); err != nil {
		if in.Kind == tickets.MessageNote {
			b.tell(ctx, here, "Your note was not saved: "+b.errText(ctx, n, err))
		} else {
			b.tell(ctx, here, "Your message was *not* sent to the customer: "+b.errText(ctx, n, err)+
				"\nStart a message with `"+NoteMarker+"` to keep it as an internal note.")
		}
		if tickets.ErrorCode(err) == tickets.EINTERNAL {
			return err
		}
	}
	return nil
}

// onInteraction handles an interactivity payload. Button clicks and menu
// choices are worked after the ack; a modal submission is worked before
// it, so that its errors show in the modal.
func (b *Bot) onInteraction(ctx context.Context, cb *slackapi.InteractionCallback) (any, job) {
	switch cb.Type {
	case slackapi.InteractionTypeBlockActions:
		return nil, func(ctx context.Context) { b.onAction(ctx, cb) }
	case slackapi.InteractionTypeViewSubmission:
		if cb.View.CallbackID == replyCallback {
			return b.onReplySubmit(ctx, cb), nil
		}
	}
	return nil, nil
}

// onAction runs a card button or the priority menu.
func (b *Bot) onAction(ctx context.Context, cb *slackapi.InteractionCallback) {
	if len(cb.ActionCallback.BlockActions) == 0 {
		return
	}
	a := cb.ActionCallback.BlockActions[0]
	here := place{responseURL: cb.ResponseURL, channel: cb.Channel.ID, user: cb.User.ID}
	raw := a.Value
	if a.ActionID == actPriority {
		raw = strings.TrimPrefix(a.BlockID, cardBlockPrefix)
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n <= 0 {
		return // not one of the card's elements
	}
	actor, err := b.actor(ctx, cb.User.ID)
	if err != nil {
		b.tell(ctx, here, b.errText(ctx, n, err))
		return
	}
	ctx = tickets.WithRequestID(ctx, "slack:"+cb.TriggerID)
	switch a.ActionID {
	case actClaim:
		_, err = b.svc.Claim(ctx, actor, n, false)
	case actRelease:
		_, err = b.svc.Release(ctx, actor, n)
	case actWaiting:
		_, err = b.svc.SetWaiting(ctx, actor, n)
	case actResolve:
		_, err = b.svc.Resolve(ctx, actor, n)
	case actClose:
		_, err = b.svc.Close(ctx, actor, n)
	case actReopen:
		_, err = b.svc.Reopen(ctx, actor, n)
	case actPriority:
		var p tickets.Priority
		if p, err = tickets.ParsePriority(a.SelectedOption.Value); err == nil {
			_, err = b.svc.SetPriority(ctx, actor, n, p)
		}
	case actReply:
		err = b.openReply(ctx, actor, n, cb.TriggerID)
	default:
		return
	}
	if err != nil {
		b.tell(ctx, here, b.errText(ctx, n, err))
	}
}

// openReply opens the "Reply to customer" modal for ticket n, if actor
// owns it.
func (b *Bot) openReply(ctx context.Context, actor tickets.Actor, n int64, triggerID string) error {
	t, err := b.svc.Get(ctx, actor, n)
	if err != nil {
		return err
	}
	switch {
	case t.Claimed() && t.Assignee.ID != actor.ID:
		return &tickets.Error{Code: tickets.ECONFLICT, Message: fmt.Sprintf("ticket #%d is claimed by %s", n, t.Assignee.Name), Holder: t.Assignee.Name}
	case t.Status != tickets.StatusClaimed && t.Status != tickets.StatusWaiting:
		return tickets.Errorf(tickets.EINVALID, "ticket #%d is %s; claim it before replying", n, t.Status)
	}
	input := slackapi.NewPlainTextInputBlockElement(nil, replyInput)
	input.Multiline = true
	input.MaxLength = tickets.MaxTextRunes
	subject := "*#" + strconv.FormatInt(n, 10) + "* " + escape(t.Subject)
	view := slackapi.ModalViewRequest{
		Type:            slackapi.VTModal,
		CallbackID:      replyCallback,
		PrivateMetadata: strconv.FormatInt(n, 10),
		Title:           slackapi.NewTextBlockObject(slackapi.PlainTextType, "Reply to customer", false, false),
		Submit:          slackapi.NewTextBlockObject(slackapi.PlainTextType, "Send", false, false),
		Close:           slackapi.NewTextBlockObject(slackapi.PlainTextType, "Cancel", false, false),
		Blocks: slackapi.Blocks{BlockSet: []slackapi.Block{
			slackapi.NewContextBlock("", verbatim(subject)),
			slackapi.NewInputBlock(replyBlock, slackapi.NewTextBlockObject(slackapi.PlainTextType,
				"Message to the customer", false, false), nil, input),
		}},
	}
	_, err = b.api.OpenViewContext(ctx, triggerID, view)
	return err
}

// onReplySubmit sends the text of a submitted reply modal to the customer,
// or keeps the modal open with the reason it could not.
func (b *Bot) onReplySubmit(ctx context.Context, cb *slackapi.InteractionCallback) any {
	ctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	n, _ := strconv.ParseInt(cb.View.PrivateMetadata, 10, 64)
	text := ""
	if cb.View.State != nil {
		text = cb.View.State.Values[replyBlock][replyInput].Value
	}
	fail := func(err error) any {
		return slackapi.NewErrorsViewSubmissionResponse(map[string]string{replyBlock: b.errText(ctx, n, err)})
	}
	actor, err := b.actor(ctx, cb.User.ID)
	if err != nil {
		return fail(err)
	}
	ctx = tickets.WithRequestID(ctx, "slack:view:"+cb.View.ID+":"+cb.View.Hash)
	if _, _, err := b.svc.AddMessage(ctx, b.replier(actor), n, tickets.MessageInput{Kind: tickets.MessageReply, Text: text}); err != nil {
		return fail(err)
	}
	return nil
}

// place is where to tell an agent something privately: through the
// interaction's response URL, or as an ephemeral message.
type place struct {
	responseURL string
	channel     string
	user        string
	threadTS    string
}

// tell shows text to the user of here only.
func (b *Bot) tell(ctx context.Context, here place, text string) {
	if here.responseURL != "" {
		msg := &slackapi.WebhookMessage{Text: text, ResponseType: slackapi.ResponseTypeEphemeral}
		err := slackapi.PostWebhookCustomHTTPContext(ctx, here.responseURL, b.http, msg)
		if err == nil {
			return
		}
		b.log.Warn().Err(err).Msg("response url")
	}
	if here.channel == "" || here.user == "" {
		return
	}
	opts := []slackapi.MsgOption{slackapi.MsgOptionText(text, false)}
	if here.threadTS != "" {
		opts = append(opts, slackapi.MsgOptionTS(here.threadTS))
	}
	if _, err := b.api.PostEphemeralContext(ctx, here.channel, here.user, opts...); err != nil {
		b.log.Warn().Err(err).Str("user", here.user).Msg("ephemeral message")
	}
}

// errText turns an error into what the agent reads; internal failures are
// logged here, once.
func (b *Bot) errText(_ context.Context, n int64, err error) string {
	var te *tickets.Error
	if errors.As(err, &te) && te.Code != tickets.EINTERNAL {
		switch {
		case te == errNotAgent || errors.Is(err, errNotAgent):
			return "Only support agents can work tickets; nothing was changed."
		case te.Holder != "":
			return fmt.Sprintf("#%d is claimed by %s.", n, escape(te.Holder))
		}
		return sentence(escape(te.Message))
	}
	b.log.Error().Err(err).Int64("ticket", n).Msg("slack action")
	return "Something went wrong; nothing was changed. Please try again."
}

func sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
