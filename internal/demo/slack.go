package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/colombiainformatica/ticketbot/bots/slack/slacktest"
)

// appTimeout bounds a request to the Slack app made for the page: Slack
// waits 3 seconds, the fake as well, and a little more covers the network.
const appTimeout = 5 * time.Second

// slackMessage is a message of the agent pane.
type slackMessage struct {
	TS         string          `json:"ts"`
	ThreadTS   string          `json:"threadTs,omitempty"`
	User       string          `json:"user"`
	UserName   string          `json:"userName"`
	Bot        bool            `json:"bot"`
	Text       string          `json:"text"`
	Blocks     json.RawMessage `json:"blocks,omitempty"`
	Edits      int             `json:"edits,omitempty"`
	ReplyCount int             `json:"replyCount,omitempty"`
	Reactions  []string        `json:"reactions,omitempty"`
	Files      []string        `json:"files,omitempty"` // names of the files shared
}

// slackView is an open modal of the current agent.
type slackView struct {
	ID     string            `json:"id"`
	Raw    json.RawMessage   `json:"view"`
	Errors map[string]string `json:"errors,omitempty"`
}

// slackSnapshot is the agent pane as one agent sees it.
type slackSnapshot struct {
	Channel    slacktest.Channel `json:"channel"`
	Agent      Agent             `json:"agent"`
	Users      map[string]string `json:"users"` // ID → display name, for mentions
	Messages   []slackMessage    `json:"messages"`
	Ephemerals []slackMessage    `json:"ephemerals"`
	Views      []slackView       `json:"views"`
}

// names returns the display names of the workspace's members.
func (s *Server) names() map[string]string {
	out := map[string]string{}
	for _, u := range s.sl.Users() {
		name := u.DisplayName
		if name == "" {
			name = u.RealName
		}
		if name == "" {
			name = u.Name
		}
		out[u.ID] = name
	}
	return out
}

func (s *Server) slackMessages(ms []slacktest.Message, names map[string]string) []slackMessage {
	out := make([]slackMessage, 0, len(ms))
	for _, m := range ms {
		sm := slackMessage{
			TS: m.TS, ThreadTS: m.ThreadTS, User: m.User, UserName: names[m.User], Bot: m.IsBot(),
			Text: m.Text, Blocks: m.Blocks, Edits: m.Edits, ReplyCount: m.ReplyCount,
		}
		if m.Username != "" {
			sm.UserName = m.Username
		}
		if sm.UserName == "" {
			sm.UserName = m.User
		}
		for _, r := range m.Reactions {
			sm.Reactions = append(sm.Reactions, r.Name)
		}
		for _, f := range m.Files {
			sm.Files = append(sm.Files, f.Name)
		}
		out = append(out, sm)
	}
	return out
}

func (s *Server) channelInfo() slacktest.Channel {
	for _, c := range s.sl.Channels() {
		if c.ID == s.channel {
			return c
		}
	}
	return slacktest.Channel{ID: s.channel, Name: s.channel}
}

// handleSlack answers the agent pane for ?agent=U….
func (s *Server) handleSlack(w http.ResponseWriter, r *http.Request) {
	a, ok := s.agent(r.URL.Query().Get("agent"))
	if !ok {
		writeError(w, http.StatusBadRequest, "agent must be one of the demo's agents")
		return
	}
	names := s.names()
	snap := slackSnapshot{
		Channel:    s.channelInfo(),
		Agent:      a,
		Users:      names,
		Messages:   s.slackMessages(s.sl.Messages(s.channel), names),
		Ephemerals: s.slackMessages(s.sl.Ephemerals(a.ID), names),
		Views:      []slackView{},
	}
	for _, v := range s.sl.Views(a.ID) {
		if v.Open && v.Type == "modal" {
			snap.Views = append(snap.Views, slackView{ID: v.ID, Raw: v.Raw, Errors: v.Errors})
		}
	}
	writeJSON(w, http.StatusOK, snap)
}

// handleSlackThread answers a thread: ?ts= of its parent.
func (s *Server) handleSlackThread(w http.ResponseWriter, r *http.Request) {
	ts := r.URL.Query().Get("ts")
	parent, ok := s.sl.Message(s.channel, ts)
	if !ok {
		writeError(w, http.StatusNotFound, "no such message in the queue channel")
		return
	}
	names := s.names()
	writeJSON(w, http.StatusOK, map[string]any{
		"parent":  s.slackMessages([]slacktest.Message{parent}, names)[0],
		"replies": s.slackMessages(s.sl.Thread(s.channel, ts), names),
	})
}

// slackAct is the body of the acting endpoints.
type slackAct struct {
	Agent    string                       `json:"agent"`
	TS       string                       `json:"ts"`
	ActionID string                       `json:"actionId"`
	Value    string                       `json:"value"`
	Text     string                       `json:"text"`
	ThreadTS string                       `json:"threadTs"`
	Note     bool                         `json:"note"`
	ViewID   string                       `json:"viewId"`
	Values   map[string]map[string]string `json:"values"`
}

// readAct decodes the body and checks its agent.
func (s *Server) readAct(w http.ResponseWriter, r *http.Request) (slackAct, bool) {
	var in slackAct
	if !readJSON(w, r, &in) {
		return in, false
	}
	if _, ok := s.agent(in.Agent); !ok {
		writeError(w, http.StatusBadRequest, "agent must be one of the demo's agents")
		return in, false
	}
	return in, true
}

// answerApp reports what the Slack app answered the simulated client.
func (s *Server) answerApp(w http.ResponseWriter, what string, resp slacktest.AppResponse, err error) {
	s.notify("slack")
	if err != nil {
		s.log.Warn().Err(err).Str("action", what).Msg("the Slack app did not answer")
		writeError(w, http.StatusBadGateway, "the Slack app did not answer: "+err.Error())
		return
	}
	out := map[string]any{"ok": resp.Status == http.StatusOK, "appStatus": resp.Status}
	if resp.Status != http.StatusOK {
		out["error"] = fmt.Sprintf("the Slack app answered %d %s", resp.Status, strings.TrimSpace(string(truncate(resp.Body, 300))))
	}
	writeJSON(w, http.StatusOK, out)
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

func (s *Server) handleSlackClick(w http.ResponseWriter, r *http.Request) {
	in, ok := s.readAct(w, r)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), appTimeout)
	defer cancel()
	resp, err := s.sl.ClickButton(ctx, in.Agent, s.channel, in.TS, in.ActionID, in.Value)
	s.answerApp(w, "click", resp, err)
}

func (s *Server) handleSlackSelect(w http.ResponseWriter, r *http.Request) {
	in, ok := s.readAct(w, r)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), appTimeout)
	defer cancel()
	resp, err := s.sl.SelectOption(ctx, in.Agent, s.channel, in.TS, in.ActionID, in.Value)
	s.answerApp(w, "select", resp, err)
}

// handleSlackPost has an agent write in the channel or in a thread; a note
// is prefixed with the adapter's note marker.
func (s *Server) handleSlackPost(w http.ResponseWriter, r *http.Request) {
	in, ok := s.readAct(w, r)
	if !ok {
		return
	}
	text := strings.TrimSpace(in.Text)
	if in.Note && s.marker != "" && !strings.HasPrefix(text, s.marker) {
		text = s.marker + " " + text
	}
	if text == "" || utf8.RuneCountInString(text) > maxText {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("a message has 1 to %d characters", maxText))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), appTimeout)
	defer cancel()
	ts, err := s.sl.PostUserMessage(ctx, in.Agent, s.channel, slackEncode(text), in.ThreadTS)
	s.notify("slack")
	var se *slacktest.StatusError
	switch {
	case errors.As(err, &se):
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "ts": ts, "appStatus": se.Status,
			"error": fmt.Sprintf("the Slack app answered %d", se.Status)})
	case err != nil:
		s.log.Warn().Err(err).Msg("posting an agent message failed")
		writeError(w, http.StatusBadGateway, err.Error())
	default:
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "ts": ts})
	}
}

// handleSlackCommand runs "/tickets <text>" as the agent.
func (s *Server) handleSlackCommand(w http.ResponseWriter, r *http.Request) {
	in, ok := s.readAct(w, r)
	if !ok {
		return
	}
	text := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(in.Text), "/tickets"))
	if utf8.RuneCountInString(text) > 1000 {
		writeError(w, http.StatusBadRequest, "a command has up to 1000 characters")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), appTimeout)
	defer cancel()
	resp, err := s.sl.SlashCommand(ctx, in.Agent, s.channel, "/tickets", slackEncode(text))
	s.answerApp(w, "command", resp, err)
}

// handleSlackSubmit submits an open modal with values by block_id and
// action_id.
func (s *Server) handleSlackSubmit(w http.ResponseWriter, r *http.Request) {
	in, ok := s.readAct(w, r)
	if !ok {
		return
	}
	v, found := s.sl.View(in.ViewID)
	if !found || v.User != in.Agent {
		writeError(w, http.StatusNotFound, "no such view for this agent")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), appTimeout)
	defer cancel()
	resp, err := s.sl.SubmitView(ctx, in.Agent, in.ViewID, in.Values)
	s.answerApp(w, "submit", resp, err)
}

// slackEncode encodes what an agent typed as Slack's clients do before it
// reaches an app (in message events and slash commands): &, < and > become
// entities, so typed angle brackets are text, never Slack markup.
func slackEncode(text string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(text)
}
