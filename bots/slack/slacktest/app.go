package slacktest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

type appConfig struct {
	eventsURL       string
	interactionsURL string
	commandsURL     string
	secret          string
}

// delivery is an event kept for RetryLastEvent.
type delivery struct {
	body    []byte
	retries int
}

// AppResponse is the app's answer to a request from the simulated Slack.
type AppResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// Delivery is one request the simulated Slack sent to the app.
type Delivery struct {
	Kind     string // "event", "block_actions", "view_submission", "slash_command"
	URL      string
	Body     []byte
	RetryNum int // X-Slack-Retry-Num, 0 for a first attempt
	Status   int // 0 when the request failed
	Response []byte
	Err      string
}

// StatusError is returned by PostUserMessage when the app answered an event
// with a status other than 200 (Slack would retry it).
type StatusError struct {
	Status int
	Body   []byte
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("slacktest: app answered %d: %s", e.Status, bytes.TrimSpace(e.Body))
}

// SetApp tells the simulated Slack where the app listens (its Events API,
// interactivity and slash command request URLs) and the signing secret.
func (s *Server) SetApp(eventsURL, interactionsURL, commandsURL string, signingSecret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.app = appConfig{eventsURL: eventsURL, interactionsURL: interactionsURL, commandsURL: commandsURL, secret: signingSecret}
}

// Deliveries returns every request sent to the app, oldest first.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.delivs...)
}

// Sign returns the headers Slack adds to a request: X-Slack-Request-Timestamp
// and X-Slack-Signature, v0=hex(hmac_sha256(secret, "v0:"+timestamp+":"+body)).
func Sign(secret string, ts time.Time, body []byte) http.Header {
	stamp := strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + stamp + ":"))
	mac.Write(body)
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", stamp)
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return h
}

// SignedRequest builds a POST of body to target as Slack sends it: signed with
// secret at ts, with Slack's User-Agent. Tests change it to forge bad requests.
func SignedRequest(ctx context.Context, target, contentType string, body []byte, secret string, ts time.Time) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	for k, v := range Sign(secret, ts, body) {
		req.Header[k] = v
	}
	return req, nil
}

// send signs and posts a request to the app and records it.
func (s *Server) send(ctx context.Context, kind, target, contentType string, body []byte, retry int) (AppResponse, error) {
	s.mu.Lock()
	secret, timeout := s.app.secret, s.cfg.appTimeout
	s.mu.Unlock()
	if target == "" {
		return AppResponse{}, fmt.Errorf("slacktest: no request URL for %s: call SetApp", kind)
	}
	d := Delivery{Kind: kind, URL: target, Body: body, RetryNum: retry}
	defer func() {
		s.mu.Lock()
		s.delivs = append(s.delivs, d)
		s.mu.Unlock()
	}()
	req, err := SignedRequest(ctx, target, contentType, body, secret, time.Now())
	if err != nil {
		d.Err = err.Error()
		return AppResponse{}, err
	}
	if retry > 0 {
		req.Header.Set("X-Slack-Retry-Num", strconv.Itoa(retry))
		req.Header.Set("X-Slack-Retry-Reason", "http_timeout")
	}
	client := &http.Client{Timeout: timeout}
	resp, err := client.Do(req)
	if err != nil {
		d.Err = err.Error()
		return AppResponse{}, fmt.Errorf("slacktest: %s to %s: %w", kind, target, err)
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	d.Status, d.Response = resp.StatusCode, rb
	if err != nil {
		d.Err = err.Error()
		return AppResponse{}, fmt.Errorf("slacktest: reading the app's answer to %s: %w", kind, err)
	}
	return AppResponse{Status: resp.StatusCode, Header: resp.Header, Body: rb}, nil
}

// PostUserMessage has user post text in a channel (in the thread of threadTS
// when not empty): the message is added to the channel, then an Events API
// message event is delivered to the app. It returns the message's ts, and a
// *StatusError when the app did not answer 200.
func (s *Server) PostUserMessage(ctx context.Context, userID, channelID, text, threadTS string) (string, error) {
	return s.postUser(ctx, userID, channelID, text, threadTS, nil)
}

// postUser posts a user's message, with the files they share, and delivers
// its event.
func (s *Server) postUser(ctx context.Context, userID, channelID, text, threadTS string, files []File) (string, error) {
	s.mu.Lock()
	if s.app.eventsURL == "" {
		s.mu.Unlock()
		return "", errors.New("slacktest: no events URL: call SetApp")
	}
	c := s.findChannelLocked(channelID)
	if c == nil {
		s.mu.Unlock()
		return "", fmt.Errorf("slacktest: no channel %q", channelID)
	}
	var parentUser string
	if threadTS != "" {
		_, p := s.findMessageLocked(c.id, threadTS)
		if p == nil {
			s.mu.Unlock()
			return "", fmt.Errorf("slacktest: no message %s in %s to reply to", threadTS, c.id)
		}
		if p.ThreadTS != "" {
			threadTS = p.ThreadTS
			_, p = s.findMessageLocked(c.id, threadTS)
		}
		parentUser = p.User
	}
	m := &Message{Channel: c.id, TS: s.nextTSLocked(), ThreadTS: threadTS, User: userID, Text: text, Files: files}
	s.insertLocked(c, m)
	cp := m.clone()
	s.changedLocked(Event{Kind: MessagePosted, Channel: c.id, TS: m.TS, User: userID, Message: &cp})

	ev := map[string]any{
		"type": "message", "channel": c.id, "user": userID, "text": text, "ts": m.TS,
		"event_ts": m.TS, "channel_type": "channel", "team": s.cfg.teamID,
		"client_msg_id": s.nextIDLocked("msg-"),
		"blocks": []any{map[string]any{
			"type": "rich_text", "block_id": s.nextIDLocked("rt"),
			"elements": []any{map[string]any{
				"type": "rich_text_section", "elements": []any{map[string]any{"type": "text", "text": text}},
			}},
		}},
	}
	if threadTS != "" {
		ev["thread_ts"] = threadTS
		ev["parent_user_id"] = parentUser
	}
	if len(files) > 0 {
		var fs []any
		for _, f := range files {
			fs = append(fs, s.fileJSONLocked(f))
		}
		ev["subtype"], ev["files"], ev["upload"], ev["display_as_bot"] = "file_share", fs, false, false
		if text == "" {
			delete(ev, "blocks")
		}
	}
	envelope := map[string]any{
		"token": s.cfg.verification, "team_id": s.cfg.teamID, "context_team_id": s.cfg.teamID,
		"api_app_id": s.cfg.appID, "event": ev, "type": "event_callback",
		"event_id": s.eventIDLocked(), "event_time": s.now().Unix(),
		"authorizations": []any{map[string]any{
			"enterprise_id": nil, "team_id": s.cfg.teamID, "user_id": s.cfg.botUserID,
			"is_bot": true, "is_enterprise_install": false,
		}},
		"is_ext_shared_channel": false, "event_context": "4-" + s.nextIDLocked("ctx"),
	}
	body, _ := json.Marshal(envelope)
	s.lastEv = &delivery{body: body}
	target := s.app.eventsURL
	s.mu.Unlock()

	resp, err := s.send(ctx, "event", target, "application/json", body, 0)
	if err != nil {
		return m.TS, err
	}
	if resp.Status != http.StatusOK {
		return m.TS, &StatusError{Status: resp.Status, Body: resp.Body}
	}
	return m.TS, nil
}

func (s *Server) eventIDLocked() string {
	s.seq++
	return "Ev" + strings.ToUpper(fmt.Sprintf("%08s", strconv.FormatInt(int64(s.seq)*7919+0x5A17, 36)))
}

// RetryLastEvent delivers the last event again, as Slack retries an event the
// app did not acknowledge in time: same body and event_id, a fresh signature,
// X-Slack-Retry-Num (1 for the first retry, then 2, 3) and
// X-Slack-Retry-Reason: http_timeout.
func (s *Server) RetryLastEvent(ctx context.Context) (AppResponse, error) {
	s.mu.Lock()
	last, target := s.lastEv, s.app.eventsURL
	if last != nil {
		last.retries++
	}
	s.mu.Unlock()
	if last == nil {
		return AppResponse{}, errors.New("slacktest: no event to retry")
	}
	return s.send(ctx, "event", target, "application/json", last.body, last.retries)
}

// VerifyEventsURL sends the url_verification challenge Slack sends when the
// events URL is configured, and checks that the app echoes the challenge.
func (s *Server) VerifyEventsURL(ctx context.Context) error {
	s.mu.Lock()
	target := s.app.eventsURL
	challenge := "chal-" + s.nextIDLocked("")
	body, _ := json.Marshal(map[string]any{"token": s.cfg.verification, "challenge": challenge, "type": "url_verification"})
	s.mu.Unlock()
	resp, err := s.send(ctx, "url_verification", target, "application/json", body, 0)
	if err != nil {
		return err
	}
	if resp.Status != http.StatusOK || !strings.Contains(string(resp.Body), challenge) {
		return &StatusError{Status: resp.Status, Body: resp.Body}
	}
	return nil
}
