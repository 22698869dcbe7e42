package slack

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	slackapi "github.com/slack-go/slack"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// onInteraction handles an interactivity payload before the ack, within
// syncTimeout: a button click or menu choice is worked and its outcome told
// after the ack (an internal failure is returned as well, so that Slack
// shows the agent the action failed); a modal submission answers with its
// errors shown in the modal.
func (b *Bot) onInteraction(ctx context.Context, cb *slackapi.InteractionCallback) (any, job, error) {
	ctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	switch cb.Type {
	case slackapi.InteractionTypeBlockActions:
		tell, err := b.onAction(ctx, cb)
		return nil, tell, err
	case slackapi.InteractionTypeViewSubmission:
		switch cb.View.CallbackID {
		case replyCallback:
			return b.onMessageSubmit(ctx, cb, tickets.MessageReply), nil, nil
		case noteCallback:
			return b.onMessageSubmit(ctx, cb, tickets.MessageNote), nil, nil
		}
	}
	return nil, nil, nil
}

// onAction runs a card button or the priority menu. It returns what to
// tell the agent when the action was refused or failed, and the failure
// when it was internal.
func (b *Bot) onAction(ctx context.Context, cb *slackapi.InteractionCallback) (job, error) {
	if len(cb.ActionCallback.BlockActions) == 0 {
		return nil, nil
	}
	a := cb.ActionCallback.BlockActions[0]
	here := place{responseURL: cb.ResponseURL, channel: cb.Channel.ID, user: cb.User.ID}
	raw := a.Value
	if a.ActionID == actPriority {
		raw = strings.TrimPrefix(a.BlockID, cardBlockPrefix)
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n <= 0 {
		return nil, nil // not one of the card's elements
	}
	err = b.act(ctx, cb, a, n)
	if err == nil {
		return nil, nil
	}
	text := b.errText(ctx, n, err)
	tell := func(ctx context.Context) { b.tell(ctx, here, text) }
	if tickets.ErrorCode(err) == tickets.EINTERNAL {
		return tell, err
	}
	return tell, nil
}

// act runs action a of user cb.User on ticket n.
func (b *Bot) act(ctx context.Context, cb *slackapi.InteractionCallback, a *slackapi.BlockAction, n int64) error {
	actor, err := b.actor(ctx, cb.User.ID)
	if err != nil {
		return err
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
		err = b.openMessage(ctx, actor, n, cb.TriggerID, tickets.MessageReply)
	case actNote:
		err = b.openMessage(ctx, actor, n, cb.TriggerID, tickets.MessageNote)
	}
	return err
}

// openMessage opens the modal that writes to ticket n: "Reply to
// customer" (kind MessageReply) or "Internal note" (MessageNote). Who may
// reply, and when, is the Service's rule: it refuses on submit, and the
// modal shows why. The text is at most maxInputChars, Slack's most for a
// modal's input; the hint says where longer text goes.
func (b *Bot) openMessage(ctx context.Context, actor tickets.Actor, n int64, triggerID string, kind tickets.MessageKind) error {
	t, err := b.svc.Get(ctx, actor, n)
	if err != nil {
		return err
	}
	_, err = b.api.OpenViewContext(ctx, triggerID, b.messageModal(t, kind))
	return err
}

// messageModal is the modal that writes a reply or a note to ticket t.
func (b *Bot) messageModal(t tickets.Ticket, kind tickets.MessageKind) slackapi.ModalViewRequest {
	n := t.Number
	input := slackapi.NewPlainTextInputBlockElement(nil, replyInput)
	input.Multiline = true
	input.MaxLength = maxInputChars
	callback, title, submit, label := replyCallback, "Reply to customer", "Send", "Message to the customer"
	hint := "Up to 3,000 characters. A longer reply: write it in the ticket's thread, where it is sent whole."
	if b.cfg.ThreadMessages == ThreadNotes {
		hint = "Up to 3,000 characters. A longer reply: send it in parts."
	}
	if kind == tickets.MessageNote {
		callback, title, submit, label = noteCallback, "Internal note", "Save", "Note for the agents"
		hint = "The customer never sees it. Up to 3,000 characters; a longer note: write it in the ticket's thread, starting with " + NoteMarker + "."
		if b.cfg.ThreadMessages == ThreadNotes {
			hint = "The customer never sees it. Up to 3,000 characters; a longer note: write it in the ticket's thread."
		}
	}
	subject := "*#" + strconv.FormatInt(n, 10) + "* " + clipped(t.Subject, tickets.MaxSubjectRunes*5)
	return slackapi.ModalViewRequest{
		Type:            slackapi.VTModal,
		CallbackID:      callback,
		PrivateMetadata: strconv.FormatInt(n, 10),
		Title:           slackapi.NewTextBlockObject(slackapi.PlainTextType, title, false, false),
		Submit:          slackapi.NewTextBlockObject(slackapi.PlainTextType, submit, false, false),
		Close:           slackapi.NewTextBlockObject(slackapi.PlainTextType, "Cancel", false, false),
		Blocks: slackapi.Blocks{BlockSet: []slackapi.Block{
			slackapi.NewContextBlock("", verbatim(subject)),
			slackapi.NewInputBlock(replyBlock, slackapi.NewTextBlockObject(slackapi.PlainTextType, label, false, false),
				slackapi.NewTextBlockObject(slackapi.PlainTextType, hint, false, false), input),
		}},
	}
}

// onMessageSubmit stores the text of a submitted reply or note modal (a
// reply goes to the customer), or keeps the modal open with the reason it
// could not.
func (b *Bot) onMessageSubmit(ctx context.Context, cb *slackapi.InteractionCallback, kind tickets.MessageKind) any {
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
	if kind == tickets.MessageReply {
		actor = b.replier(actor)
	}
	ctx = tickets.WithRequestID(ctx, "slack:view:"+cb.View.ID+":"+cb.View.Hash)
	if _, _, err := b.svc.AddMessage(ctx, actor, n, tickets.MessageInput{Kind: kind, Text: text}); err != nil {
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
	b.answerLater(ctx, here, &slackapi.WebhookMessage{Text: text, ResponseType: slackapi.ResponseTypeEphemeral})
}

// answerLater shows msg, text and blocks, to the user of here only: by the
// response URL, else as an ephemeral message (in here's thread, if any).
func (b *Bot) answerLater(ctx context.Context, here place, msg *slackapi.WebhookMessage) {
	if here.responseURL != "" {
		err := slackapi.PostWebhookCustomHTTPContext(ctx, here.responseURL, b.http, msg)
		if err == nil {
			return
		}
		b.log.Warn().Str("error", responseURLError(err)).Msg("response url")
	}
	if here.channel == "" || here.user == "" {
		return
	}
	opts := []slackapi.MsgOption{slackapi.MsgOptionText(msg.Text, false)}
	if msg.Blocks != nil {
		opts = append(opts, slackapi.MsgOptionBlocks(msg.Blocks.BlockSet...))
	}
	if here.threadTS != "" {
		opts = append(opts, slackapi.MsgOptionTS(here.threadTS))
	}
	if _, err := b.api.PostEphemeralContext(ctx, here.channel, here.user, opts...); err != nil {
		b.log.Warn().Err(err).Str("user", here.user).Msg("ephemeral message")
	}
}

// responseURLError is what may be logged of a failed post to a response
// URL: the URL is a capability (anyone holding it can post as the app for
// 30 minutes), and a *url.Error spells it out.
func responseURLError(err error) string {
	var sc slackapi.StatusCodeError
	if errors.As(err, &sc) {
		return "status " + strconv.Itoa(sc.Code)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + " <response url>: " + ue.Err.Error()
	}
	return "request failed"
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
			return fmt.Sprintf("#%d is claimed by %s.", n, clipped(te.Holder, cardNameChars))
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
