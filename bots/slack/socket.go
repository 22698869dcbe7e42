package slack

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/rs/zerolog"
	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// runSocket receives events, interactions and slash commands over a Socket
// Mode connection and routes them to the same handlers as HTTP mode; the
// acknowledgement goes back over the socket (with the modal's answer for a
// submission).
func (b *Bot) runSocket(ctx context.Context) error {
	sm := socketmode.New(b.api, socketmode.OptionLog(zlogger{b.log}))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- sm.RunContext(ctx) }()
	for {
		select {
		case err := <-errc:
			return err
		case evt, ok := <-sm.Events:
			if !ok {
				return <-errc
			}
			if err := b.onSocketEvent(ctx, sm, evt); err != nil {
				cancel()
				<-errc
				return err
			}
		}
	}
}

// onSocketEvent handles one Socket Mode event; it returns an error only
// when the connection cannot work (invalid tokens).
func (b *Bot) onSocketEvent(ctx context.Context, sm *socketmode.Client, evt socketmode.Event) error {
	switch evt.Type {
	case socketmode.EventTypeInvalidAuth:
		return errors.New("slack socket mode: invalid app token (SLACK_APP_TOKEN)")
	case socketmode.EventTypeConnectionError, socketmode.EventTypeIncomingError:
		b.log.Warn().Interface("data", evt.Data).Msg("socket mode connection")
		return nil
	case socketmode.EventTypeConnected:
		b.log.Info().Msg("socket mode connected")
		return nil
	}
	req := evt.Request
	if req == nil || req.EnvelopeID == "" {
		return nil
	}
	// Each request is worked before its ack, on its own goroutine, so
	// that a slow one does not hold up the others.
	b.work.Add(1)
	go func() {
		defer b.work.Done()
		b.sem <- struct{}{}
		defer func() { <-b.sem }()
		b.onSocketRequest(ctx, sm, evt.Type, req)
	}()
	return nil
}

// onSocketRequest works one request and acknowledges it, unless its work
// failed: then Slack delivers an event again, and shows the agent that an
// interaction failed.
func (b *Bot) onSocketRequest(ctx context.Context, sm *socketmode.Client, typ socketmode.EventType, req *socketmode.Request) {
	var (
		resp any
		work job
		err  error
	)
	switch typ {
	case socketmode.EventTypeEventsAPI:
		resp, work, err = b.onEvent(ctx, req.Payload, req.RetryAttempt)
	case socketmode.EventTypeInteractive:
		var cb slackapi.InteractionCallback
		if json.Unmarshal(req.Payload, &cb) == nil {
			resp, work, err = b.onInteraction(ctx, &cb)
		}
	case socketmode.EventTypeSlashCommand:
		var cmd slackapi.SlashCommand
		if json.Unmarshal(req.Payload, &cmd) == nil {
			resp, work, err = b.onCommand(ctx, cmd)
			resp, work = b.fitAck(req.EnvelopeID, resp, work,
				place{responseURL: cmd.ResponseURL, channel: cmd.ChannelID, user: cmd.UserID})
		}
	default:
		return
	}
	b.spawn(work)
	if err != nil && !errors.Is(err, errBadRequest) {
		return // not acknowledged; logged where it happened
	}
	if err := sm.AckCtx(ctx, req.EnvelopeID, resp); err != nil {
		b.log.Warn().Err(err).Msg("socket mode ack")
	}
}

// fitAck returns the ack of a slash command and the work after it: the
// answer in the ack when the ack stays under Slack's size for Socket Mode
// answers (maxAckBytes: a larger one is dropped), else an empty ack and
// the answer sent to here afterwards, by the command's response URL or as
// an ephemeral message.
func (b *Bot) fitAck(envelopeID string, resp any, work job, here place) (any, job) {
	msg, ok := resp.(*slackapi.WebhookMessage)
	if !ok {
		return resp, work
	}
	js, err := json.Marshal(socketmode.Response{EnvelopeID: envelopeID, Payload: msg})
	if err == nil && len(js) < maxAckBytes {
		return resp, work
	}
	return nil, func(ctx context.Context) {
		b.answerLater(ctx, here, msg)
		if work != nil {
			work(ctx)
		}
	}
}

// zlogger bridges the socketmode client's logger into zerolog.
type zlogger struct{ log zerolog.Logger }

func (z zlogger) Output(_ int, s string) error {
	z.log.Debug().Str("lib", "socketmode").Msg(s)
	return nil
}
