package slack

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"

	slackapi "github.com/slack-go/slack"
)

// Routes mounts the HTTP-mode endpoints on mux: POST /slack/events,
// /slack/interactions and /slack/commands. Every request is size-capped
// and its signature and timestamp verified before anything is parsed.
func (b *Bot) Routes(mux *http.ServeMux) {
	mux.Handle("POST /slack/events", b.verified(b.serveEvents))
	mux.Handle("POST /slack/interactions", b.verified(b.serveInteractions))
	mux.Handle("POST /slack/commands", b.verified(b.serveCommands))
}

// verified reads the body (at most maxBody bytes) and passes it on only
// if Slack signed it within the last five minutes; otherwise 401.
func (b *Bot) verified(next func(w http.ResponseWriter, r *http.Request, body []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if b.cfg.SigningSecret == "" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		sv, err := slackapi.NewSecretsVerifier(r.Header, b.cfg.SigningSecret)
		if err == nil {
			_, _ = sv.Write(body)
			err = sv.Ensure()
		}
		if err != nil {
			b.log.Warn().Str("path", r.URL.Path).Str("reason", err.Error()).Msg("refused unsigned request")
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next(w, r, body)
	})
}

func (b *Bot) serveEvents(w http.ResponseWriter, r *http.Request, body []byte) {
	retry, _ := strconv.Atoi(r.Header.Get("X-Slack-Retry-Num"))
	resp, job, err := b.onEvent(r.Context(), body, retry)
	b.spawn(job)
	b.reply(w, resp, err)
}

func (b *Bot) serveInteractions(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("payload") == "" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	var cb slackapi.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	resp, job, err := b.onInteraction(r.Context(), &cb)
	b.spawn(job)
	b.reply(w, resp, err)
}

func (b *Bot) serveCommands(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	cmd := slackapi.SlashCommand{
		TeamID: form.Get("team_id"), ChannelID: form.Get("channel_id"), UserID: form.Get("user_id"),
		UserName: form.Get("user_name"), Command: form.Get("command"), Text: form.Get("text"),
		ResponseURL: form.Get("response_url"), TriggerID: form.Get("trigger_id"), APIAppID: form.Get("api_app_id"),
	}
	resp, job, err := b.onCommand(r.Context(), cmd)
	b.spawn(job)
	b.reply(w, resp, err)
}

// reply writes the answer to a request: 400 for a request that cannot be
// parsed, 503 when its work failed (Slack retries an event, and shows the
// agent that an interaction failed; the error was logged where it
// happened), else the ack.
func (b *Bot) reply(w http.ResponseWriter, resp any, err error) {
	switch {
	case errors.Is(err, errBadRequest):
		http.Error(w, "bad request", http.StatusBadRequest)
	case err != nil:
		http.Error(w, "try again", http.StatusServiceUnavailable)
	default:
		b.answer(w, resp)
	}
}

// answer writes the ack: 200 with resp as JSON, or an empty body.
func (b *Bot) answer(w http.ResponseWriter, resp any) {
	if resp == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	js, err := json.Marshal(resp)
	if err != nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(js)
}
