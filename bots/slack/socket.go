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
	var resp any
	var work job
	switch evt.Type {
	case socketmode.EventTypeEventsAPI:
		var err error
		resp, work, err = b.onEvent(ctx, req.Payload)
		if err != nil && !errors.Is(err, errBadRequest) {
			// Not acknowledged: Slack delivers it again.
			b.log.Error().Err(err).Msg("event")
			return nil
		}
	case socketmode.EventTypeInteractive:
		var cb slackapi.InteractionCallback
		if err := json.Unmarshal(req.Payload, &cb); err != nil {
			break
		}
		resp, work = b.onInteraction(ctx, &cb)
	case socketmode.EventTypeSlashCommand:
		var cmd slackapi.SlashCommand
		if err := json.Unmarshal(req.Payload, &cmd); err != nil {
			break
		}
		resp, work = b.onCommand(ctx, cmd)
	default:
		return nil
	}
	b.spawn(work)
	if err := sm.AckCtx(ctx, req.EnvelopeID, resp); err != nil {
		b.log.Warn().Err(err).Msg("socket mode ack")
	}
	return nil
}

// zlogger bridges the socketmode client's logger into zerolog.
type zlogger struct{ log zerolog.Logger }

func (z zlogger) Output(_ int, s string) error {
	z.log.Debug().Str("lib", "socketmode").Msg(s)
	return nil
}
