package slacktest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// payloadUserLocked is the user object of interaction payloads.
func (s *Server) payloadUserLocked(userID string) map[string]any {
	name := strings.ToLower(userID)
	if u, ok := s.users[userID]; ok {
		name = u.name
	}
	return map[string]any{"id": userID, "username": name, "name": name, "team_id": s.cfg.teamID}
}

func (s *Server) newResponseURLLocked(kind, userID, channelID, msgTS, source string) string {
	s.seq++
	path := fmt.Sprintf("/%s/%s/%d/%016x", kind, s.cfg.teamID, 1000000+s.seq, uint64(s.seq)*0x9E3779B97F4A7C15)
	s.respURLs[path] = &responseURL{user: userID, channel: channelID, msgTS: msgTS, source: source, created: s.now()}
	return s.baseURL + path
}

// findTarget finds a message a user can see: in the channel, or among the
// user's ephemeral messages.
func (s *Server) findTargetLocked(userID, channelID, ts string) (*channel, Message, bool, error) {
	c, m := s.findMessageLocked(channelID, ts)
	if c == nil {
		return nil, Message{}, false, fmt.Errorf("slacktest: no channel %q", channelID)
	}
	if m != nil {
		return c, m.clone(), false, nil
	}
	for _, e := range s.ephem[userID] {
		if e.Channel == c.id && e.TS == ts {
			return c, e, true, nil
		}
	}
	return nil, Message{}, false, fmt.Errorf("slacktest: no message %s in %s", ts, channelID)
}

// interact sends a block_actions payload for the element actionID (and value,
// when not empty) of a message.
func (s *Server) interact(ctx context.Context, userID, channelID, messageTS, actionID, value string, wantSelect bool) (AppResponse, error) {
	s.mu.Lock()
	if s.app.interactionsURL == "" {
		s.mu.Unlock()
		return AppResponse{}, errors.New("slacktest: no interactivity URL: call SetApp")
	}
	c, m, ephemeral, err := s.findTargetLocked(userID, channelID, messageTS)
	if err != nil {
		s.mu.Unlock()
		return AppResponse{}, err
	}
	var act *Action
	var choice Choice
	for _, a := range m.Actions() {
		if a.ActionID != actionID {
			continue
		}
		if !wantSelect && a.Type == "button" && (value == "" || a.Value == value) {
			act = &a
			break
		}
		if wantSelect && a.Type == "static_select" {
			for _, o := range a.Options {
				if o.Value == value {
					act, choice = &a, o
				}
			}
			if act != nil {
				break
			}
		}
	}
	if act == nil {
		s.mu.Unlock()
		return AppResponse{}, fmt.Errorf("slacktest: message %s has no %s %q with value %q", messageTS, map[bool]string{false: "button", true: "static_select"}[wantSelect], actionID, value)
	}
	actionTS := s.nextTSLocked()
	action := map[string]any{"action_id": act.ActionID, "block_id": act.BlockID, "type": act.Type, "action_ts": actionTS}
	state := map[string]any{}
	if wantSelect {
		opt := map[string]any{"text": map[string]any{"type": "plain_text", "text": choice.Text, "emoji": true}, "value": choice.Value}
		action["selected_option"] = opt
		if act.Text != "" {
			action["placeholder"] = map[string]any{"type": "plain_text", "text": act.Text, "emoji": true}
		}
		state[act.BlockID] = map[string]any{act.ActionID: map[string]any{"type": "static_select", "selected_option": opt}}
	} else {
		action["text"] = map[string]any{"type": "plain_text", "text": act.Text, "emoji": true}
		action["value"] = act.Value
		if act.Style != "" {
			action["style"] = act.Style
		}
	}
	container := map[string]any{"type": "message", "message_ts": m.TS, "channel_id": c.id, "is_ephemeral": ephemeral}
	if m.ThreadTS != "" {
		container["thread_ts"] = m.ThreadTS
	}
	payload := map[string]any{
		"type": "block_actions", "user": s.payloadUserLocked(userID), "api_app_id": s.cfg.appID,
		"token": s.cfg.verification, "container": container, "trigger_id": s.newTriggerLocked(userID),
		"team":       map[string]any{"id": s.cfg.teamID, "domain": s.cfg.teamDomain},
		"enterprise": nil, "is_enterprise_install": false,
		"channel":      map[string]any{"id": c.id, "name": c.name},
		"state":        map[string]any{"values": state},
		"response_url": s.newResponseURLLocked("actions", userID, c.id, m.TS, "block_actions"),
		"actions":      []any{action},
	}
	if !ephemeral {
		pm := m
		payload["message"] = s.messageJSONLocked(&pm)
	}
	body := formPayload(payload)
	target := s.app.interactionsURL
	s.mu.Unlock()
	return s.send(ctx, "block_actions", target, "application/x-www-form-urlencoded", body, 0)
}

func formPayload(payload map[string]any) []byte {
	j, _ := json.Marshal(payload)
	return []byte(url.Values{"payload": {string(j)}}.Encode())
}

// ClickButton has user click the button actionID of the message messageTS in
// channelID (or of one of the user's ephemeral messages). When several buttons
// share the action_id, value picks one; an empty value takes the first. The
// button must be on the message, and its value is what the payload carries.
func (s *Server) ClickButton(ctx context.Context, userID, channelID, messageTS, actionID, value string) (AppResponse, error) {
	return s.interact(ctx, userID, channelID, messageTS, actionID, value, false)
}

// SelectOption has user pick the option value of the static_select actionID on a message.
func (s *Server) SelectOption(ctx context.Context, userID, channelID, messageTS, actionID, value string) (AppResponse, error) {
	return s.interact(ctx, userID, channelID, messageTS, actionID, value, true)
}

// SubmitView has user submit the open modal viewID with values by block_id
// and action_id. The app's answer is applied as Slack does: an empty body or
// response_action "clear" closes the modal, "update" replaces it, "push"
// opens a new one, "errors" keeps it open with the errors (View.Errors).
func (s *Server) SubmitView(ctx context.Context, userID, viewID string, values map[string]map[string]string) (AppResponse, error) {
	s.mu.Lock()
	if s.app.interactionsURL == "" {
		s.mu.Unlock()
		return AppResponse{}, errors.New("slacktest: no interactivity URL: call SetApp")
	}
	v, ok := s.views[viewID]
	if !ok || v.Type != "modal" || !v.Open || v.User != userID {
		s.mu.Unlock()
		return AppResponse{}, fmt.Errorf("slacktest: %s has no open modal %q", userID, viewID)
	}
	types := map[string]string{}
	opts := map[string]Choice{}
	for _, a := range BlockActions(v.Blocks) {
		types[a.BlockID+"/"+a.ActionID] = a.Type
		for _, o := range a.Options {
			opts[a.BlockID+"/"+a.ActionID+"/"+o.Value] = o
		}
	}
	state := map[string]any{}
	for blockID, acts := range values {
		bm := map[string]any{}
		for actionID, val := range acts {
			typ, ok := types[blockID+"/"+actionID]
			if !ok {
				s.mu.Unlock()
				return AppResponse{}, fmt.Errorf("slacktest: modal %s has no input %s/%s", viewID, blockID, actionID)
			}
			switch {
			case typ == "static_select":
				o, ok := opts[blockID+"/"+actionID+"/"+val]
				if !ok {
					s.mu.Unlock()
					return AppResponse{}, fmt.Errorf("slacktest: %s/%s has no option %q", blockID, actionID, val)
				}
				bm[actionID] = map[string]any{"type": typ, "selected_option": map[string]any{
					"text": map[string]any{"type": "plain_text", "text": o.Text, "emoji": true}, "value": o.Value}}
			default:
				bm[actionID] = map[string]any{"type": typ, "value": val}
			}
		}
		state[blockID] = bm
	}
	payload := map[string]any{
		"type": "view_submission", "team": map[string]any{"id": s.cfg.teamID, "domain": s.cfg.teamDomain},
		"user": s.payloadUserLocked(userID), "api_app_id": s.cfg.appID, "token": s.cfg.verification,
		"trigger_id": s.newTriggerLocked(userID), "view": s.viewJSONLocked(v, state),
		"response_urls": []any{}, "is_enterprise_install": false, "enterprise": nil,
	}
	body := formPayload(payload)
	target := s.app.interactionsURL
	s.mu.Unlock()

	resp, err := s.send(ctx, "view_submission", target, "application/x-www-form-urlencoded", body, 0)
	if err != nil || resp.Status != http.StatusOK {
		return resp, err
	}
	s.applyViewAnswer(viewID, resp.Body)
	return resp, nil
}

func (s *Server) applyViewAnswer(viewID string, body []byte) {
	var ans struct {
		ResponseAction string            `json:"response_action"`
		View           json.RawMessage   `json:"view"`
		Errors         map[string]string `json:"errors"`
	}
	if len(bytes.TrimSpace(body)) > 0 {
		_ = json.Unmarshal(body, &ans)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.views[viewID]
	switch ans.ResponseAction {
	case "errors":
		v.Errors = ans.Errors
		cp := *v
		s.changedLocked(Event{Kind: ViewUpdated, User: v.User, View: &cp})
	case "update":
		if raw, f, err := parseView(string(ans.View), "modal"); err == nil {
			s.setViewLocked(v, raw, f)
			v.Updates++
			cp := *v
			s.changedLocked(Event{Kind: ViewUpdated, User: v.User, View: &cp})
		}
	case "push":
		if raw, f, err := parseView(string(ans.View), "modal"); err == nil {
			nv := &View{ID: s.nextIDLocked("V"), Type: "modal", User: v.User, Open: true, RootViewID: v.RootViewID}
			s.setViewLocked(nv, raw, f)
			s.views[nv.ID] = nv
			s.viewIDs = append(s.viewIDs, nv.ID)
			cp := *nv
			s.changedLocked(Event{Kind: ViewOpened, User: v.User, View: &cp})
		}
	case "clear":
		for _, id := range s.viewIDs {
			if x := s.views[id]; x.Open && x.RootViewID == v.RootViewID {
				x.Open = false
				cp := *x
				s.changedLocked(Event{Kind: ViewClosed, User: x.User, View: &cp})
			}
		}
	default:
		v.Open = false
		cp := *v
		s.changedLocked(Event{Kind: ViewClosed, User: v.User, View: &cp})
	}
}

// SlashCommand has user run command (like "/tickets") with text in a channel.
// The payload is form-encoded as Slack sends it. A 200 answer with a body is
// shown as Slack shows it (ephemeral, or in the channel for response_type
// "in_channel") and recorded in Responses.
func (s *Server) SlashCommand(ctx context.Context, userID, channelID, command, text string) (AppResponse, error) {
	s.mu.Lock()
	if s.app.commandsURL == "" {
		s.mu.Unlock()
		return AppResponse{}, errors.New("slacktest: no slash command URL: call SetApp")
	}
	c := s.findChannelLocked(channelID)
	if c == nil {
		s.mu.Unlock()
		return AppResponse{}, fmt.Errorf("slacktest: no channel %q", channelID)
	}
	u := s.payloadUserLocked(userID)
	form := url.Values{
		"token": {s.cfg.verification}, "team_id": {s.cfg.teamID}, "team_domain": {s.cfg.teamDomain},
		"channel_id": {c.id}, "channel_name": {c.name}, "user_id": {userID}, "user_name": {u["name"].(string)},
		"command": {command}, "text": {text}, "api_app_id": {s.cfg.appID}, "is_enterprise_install": {"false"},
		"response_url": {s.newResponseURLLocked("commands", userID, c.id, "", "slash_command")},
		"trigger_id":   {s.newTriggerLocked(userID)},
	}
	target := s.app.commandsURL
	s.mu.Unlock()

	resp, err := s.send(ctx, "slash_command", target, "application/x-www-form-urlencoded", []byte(form.Encode()), 0)
	if err != nil || resp.Status != http.StatusOK || len(bytes.TrimSpace(resp.Body)) == 0 {
		return resp, err
	}
	r := Response{User: userID, Channel: c.id, Source: "slash_command", Immediate: true, Body: resp.Body}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || bytes.HasPrefix(bytes.TrimSpace(resp.Body), []byte("{")) {
		if err := decodeResponse(resp.Body, &r); err != nil {
			return resp, fmt.Errorf("slacktest: the app's answer to %s: %w", command, err)
		}
	} else {
		r.Text = string(resp.Body)
	}
	s.mu.Lock()
	s.showResponseLocked(&r, nil)
	s.mu.Unlock()
	return resp, nil
}

// decodeResponse reads a message posted to a response URL or answered to a command.
func decodeResponse(body []byte, r *Response) error {
	var m struct {
		Text            string          `json:"text"`
		Blocks          json.RawMessage `json:"blocks"`
		ResponseType    string          `json:"response_type"`
		ReplaceOriginal bool            `json:"replace_original"`
		DeleteOriginal  bool            `json:"delete_original"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return apiError("invalid_payload")
	}
	if err := ValidateMessage(m.Text, m.Blocks); err != nil {
		return err
	}
	if hasBlocks(m.Blocks) {
		b, err := validateBlocks(string(m.Blocks))
		if err != nil {
			return err
		}
		r.Blocks = b
	}
	r.Text, r.ResponseType, r.ReplaceOriginal, r.DeleteOriginal = m.Text, m.ResponseType, m.ReplaceOriginal, m.DeleteOriginal
	if r.ResponseType == "" {
		r.ResponseType = "ephemeral"
	}
	return nil
}

// showResponseLocked records r and applies it: delete or replace the original
// message, post in the channel, or show an ephemeral message.
func (s *Server) showResponseLocked(r *Response, ru *responseURL) {
	s.resps[r.User] = append(s.resps[r.User], *r)
	rc := *r
	s.changedLocked(Event{Kind: ResponseSent, Channel: r.Channel, User: r.User, Response: &rc})
	origTS := ""
	if ru != nil {
		origTS = ru.msgTS
	}
	switch {
	case origTS != "" && r.DeleteOriginal:
		if c, m := s.findMessageLocked(r.Channel, origTS); m != nil {
			s.deleteLocked(c, m)
		} else {
			s.editEphemeralLocked(r.User, origTS, nil)
		}
	case origTS != "" && r.ReplaceOriginal:
		if c, m := s.findMessageLocked(r.Channel, origTS); m != nil {
			s.applyEditLocked(m, true, r.Text, true, r.Blocks, false, nil)
			cp := m.clone()
			s.changedLocked(Event{Kind: MessageUpdated, Channel: c.id, TS: m.TS, User: m.User, Message: &cp})
		} else {
			s.editEphemeralLocked(r.User, origTS, r)
		}
	case r.ResponseType == "in_channel":
		c := s.findChannelLocked(r.Channel)
		if c == nil {
			return
		}
		m := &Message{Channel: c.id, TS: s.nextTSLocked(), User: s.cfg.botUserID, BotID: s.cfg.botID, Text: r.Text, Blocks: r.Blocks}
		s.insertLocked(c, m)
		cp := m.clone()
		s.changedLocked(Event{Kind: MessagePosted, Channel: c.id, TS: m.TS, User: m.User, Message: &cp})
	default:
		m := Message{Channel: r.Channel, TS: s.nextTSLocked(), User: s.cfg.botUserID, BotID: s.cfg.botID, Text: r.Text, Blocks: r.Blocks, Recipient: r.User}
		s.ephem[r.User] = append(s.ephem[r.User], m)
		s.changedLocked(Event{Kind: EphemeralShown, Channel: r.Channel, TS: m.TS, User: r.User, Message: &m})
	}
}

// editEphemeralLocked replaces (r != nil) or removes an ephemeral message.
func (s *Server) editEphemeralLocked(userID, ts string, r *Response) {
	list := s.ephem[userID]
	for i := range list {
		if list[i].TS != ts {
			continue
		}
		if r == nil {
			s.ephem[userID] = append(list[:i:i], list[i+1:]...)
			return
		}
		list[i].Text, list[i].Blocks = r.Text, r.Blocks
		list[i].Edits++
		cp := list[i]
		s.changedLocked(Event{Kind: EphemeralShown, Channel: cp.Channel, TS: ts, User: userID, Message: &cp})
		return
	}
}

// serveResponseURL receives what the app posts to a response URL: JSON, at
// most 5 times within 30 minutes, as Slack allows.
func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	s.mu.Lock()
	defer s.mu.Unlock()
	ru, ok := s.respURLs[r.URL.Path]
	switch {
	case !ok:
		http.Error(w, "no_such_url", http.StatusNotFound)
		return
	case s.now().Sub(ru.created) > 30*time.Minute:
		http.Error(w, "expired_url", http.StatusNotFound)
		return
	case ru.uses >= 5:
		http.Error(w, "used_url", http.StatusNotFound)
		return
	}
	ru.uses++
	resp := Response{User: ru.user, Channel: ru.channel, Source: ru.source, Body: body}
	if err := decodeResponse(body, &resp); err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(errorAnswer(err))
		return
	}
	s.showResponseLocked(&resp, ru)
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"ok":true}`)
}
