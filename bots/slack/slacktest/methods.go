package slacktest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

func (s *Server) authTest(p params) (map[string]any, error) {
	return map[string]any{
		"url":                   fmt.Sprintf("https://%s.slack.com/", s.cfg.teamDomain),
		"team":                  s.cfg.teamDomain,
		"user":                  s.cfg.botName,
		"team_id":               s.cfg.teamID,
		"user_id":               s.cfg.botUserID,
		"bot_id":                s.cfg.botID,
		"is_enterprise_install": false,
	}, nil
}

// messageContent reads text, blocks and attachments and checks their limits.
func messageContent(p params) (text string, blocks, attachments json.RawMessage, err error) {
	text = p.Get("text")
	if p.present("blocks") && p.Get("blocks") != "" {
		if err := ValidateMessage(text, json.RawMessage(p.Get("blocks"))); err != nil {
			return "", nil, nil, err
		}
		if blocks, err = validateBlocks(p.Get("blocks")); err != nil {
			return "", nil, nil, err
		}
	} else if err := ValidateMessage(text, nil); err != nil {
		return "", nil, nil, err
	}
	if a := p.Get("attachments"); a != "" {
		var v []json.RawMessage
		if json.Unmarshal([]byte(a), &v) != nil {
			return "", nil, nil, apiError("invalid_attachments")
		}
		attachments = json.RawMessage(a)
	}
	return text, blocks, attachments, nil
}

func hasBlocks(b json.RawMessage) bool { return len(b) > 0 && string(b) != "[]" && string(b) != "null" }

// newContent is messageContent for a new message, which must have text,
// blocks or attachments.
func newContent(p params) (text string, blocks, attachments json.RawMessage, err error) {
	text, blocks, attachments, err = messageContent(p)
	if err == nil && text == "" && !hasBlocks(blocks) && len(attachments) == 0 {
		err = apiError("no_text")
	}
	return text, blocks, attachments, err
}

// botMessageLocked is a new message of the bot in c, as chat.postMessage
// and chat.postEphemeral make it. Callers hold s.mu.
func (s *Server) botMessageLocked(c *channel, p params, threadTS, text string, blocks json.RawMessage) *Message {
	return &Message{
		Channel:   c.id,
		TS:        s.nextTSLocked(),
		ThreadTS:  threadTS,
		User:      s.cfg.botUserID,
		BotID:     s.cfg.botID,
		Username:  p.Get("username"),
		IconEmoji: p.Get("icon_emoji"),
		Text:      text,
		Blocks:    blocks,
	}
}

// channelArgLocked finds the channel a method names in its channel
// argument. Callers hold s.mu.
func (s *Server) channelArgLocked(p params) (*channel, error) {
	c := s.findChannelLocked(p.Get("channel"))
	if c == nil {
		return nil, apiError("channel_not_found")
	}
	return c, nil
}

// ownMessageLocked finds the message (channel and the ts argument tsArg) a
// method acts on; with a refusal, it must be the bot's (chat.update and
// chat.delete refuse others' messages). Callers hold s.mu.
func (s *Server) ownMessageLocked(p params, tsArg, refusal string) (*channel, *Message, error) {
	c, err := s.channelArgLocked(p)
	if err != nil {
		return nil, nil, err
	}
	_, m := s.findMessageLocked(c.id, p.Get(tsArg))
	switch {
	case m == nil:
		return nil, nil, apiError("message_not_found")
	case refusal != "" && m.BotID != s.cfg.botID:
		return nil, nil, apiError(refusal)
	}
	return c, m, nil
}

func (s *Server) chatPostMessage(p params) (map[string]any, error) {
	text, blocks, atts, err := newContent(p)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.channelArgLocked(p)
	if err != nil {
		return nil, err
	}
	threadTS := p.Get("thread_ts")
	if threadTS != "" {
		_, parent := s.findMessageLocked(c.id, threadTS)
		if parent == nil {
			return nil, apiError("thread_not_found")
		}
		if parent.ThreadTS != "" {
			threadTS = parent.ThreadTS // a reply to a reply goes to the thread
		}
	}
	m := s.botMessageLocked(c, p, threadTS, text, blocks)
	m.Attachments = atts
	s.insertLocked(c, m)
	cp := m.clone()
	s.changedLocked(Event{Kind: MessagePosted, Channel: c.id, TS: m.TS, User: m.User, Message: &cp})
	return map[string]any{"channel": c.id, "ts": m.TS, "message": s.messageJSONLocked(m)}, nil
}

func (s *Server) chatUpdate(p params) (map[string]any, error) {
	text, blocks, atts, err := messageContent(p)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m, err := s.ownMessageLocked(p, "ts", "cant_update_message")
	if err != nil {
		return nil, err
	}
	s.applyEditLocked(m, p.present("text"), text, p.present("blocks"), blocks, p.present("attachments"), atts)
	cp := m.clone()
	s.changedLocked(Event{Kind: MessageUpdated, Channel: c.id, TS: m.TS, User: m.User, Message: &cp})
	return map[string]any{"channel": c.id, "ts": m.TS, "text": m.Text, "message": s.messageJSONLocked(m)}, nil
}

// applyEditLocked replaces what an update sends and keeps what it leaves out,
// as chat.update does (blocks "[]" removes the blocks).
func (s *Server) applyEditLocked(m *Message, setText bool, text string, setBlocks bool, blocks json.RawMessage, setAtts bool, atts json.RawMessage) {
	if setText {
		m.Text = text
	}
	if setBlocks {
		m.Blocks = blocks
		if !hasBlocks(blocks) {
			m.Blocks = nil
		}
	}
	if setAtts {
		m.Attachments = atts
	}
	m.Edits++
}

func (s *Server) chatPostEphemeral(p params) (map[string]any, error) {
	text, blocks, _, err := newContent(p)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.channelArgLocked(p)
	if err != nil {
		return nil, err
	}
	uid := p.Get("user")
	if u, ok := s.users[uid]; !ok || u.isBot {
		return nil, apiError("user_not_in_channel")
	}
	m := *s.botMessageLocked(c, p, p.Get("thread_ts"), text, blocks)
	m.Recipient = uid
	s.ephem[uid] = append(s.ephem[uid], m)
	s.changedLocked(Event{Kind: EphemeralShown, Channel: c.id, TS: m.TS, User: uid, Message: &m})
	return map[string]any{"message_ts": m.TS}, nil
}

func (s *Server) chatDelete(p params) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m, err := s.ownMessageLocked(p, "ts", "cant_delete_message")
	if err != nil {
		return nil, err
	}
	s.deleteLocked(c, m)
	return map[string]any{"channel": c.id, "ts": m.TS}, nil
}

func (s *Server) deleteLocked(c *channel, m *Message) {
	c.messages = slices.DeleteFunc(c.messages, func(x *Message) bool { return x == m })
	if m.ThreadTS != "" {
		for _, p := range c.messages {
			if p.TS == m.ThreadTS {
				p.ReplyCount--
			}
		}
	}
	cp := m.clone()
	s.changedLocked(Event{Kind: MessageDeleted, Channel: c.id, TS: m.TS, User: m.User, Message: &cp})
}

func (s *Server) chatGetPermalink(p params) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m, err := s.ownMessageLocked(p, "message_ts", "")
	if err != nil {
		return nil, err
	}
	link := fmt.Sprintf("https://%s.slack.com/archives/%s/p%s", s.cfg.teamDomain, c.id, strings.ReplaceAll(m.TS, ".", ""))
	if m.ThreadTS != "" {
		link += fmt.Sprintf("?thread_ts=%s&cid=%s", m.ThreadTS, c.id)
	}
	return map[string]any{"channel": c.id, "permalink": link}, nil
}

func (s *Server) conversationsInfo(p params) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.channelArgLocked(p)
	if err != nil {
		return nil, err
	}
	return map[string]any{"channel": map[string]any{
		"id": c.id, "name": c.name, "name_normalized": c.name,
		"is_channel": true, "is_group": false, "is_im": false, "is_mpim": false, "is_private": false,
		"is_archived": false, "is_general": false, "is_member": true, "is_shared": false,
		"created": c.created.Unix(), "creator": "", "context_team_id": s.cfg.teamID,
		"topic":   map[string]any{"value": "", "creator": "", "last_set": 0},
		"purpose": map[string]any{"value": "", "creator": "", "last_set": 0},
	}}, nil
}

// page cuts msgs by limit and cursor (an offset, as opaque to clients as Slack's).
func page(p params, msgs []map[string]any) (out []map[string]any, next string, err error) {
	start := 0
	if cur := p.Get("cursor"); cur != "" {
		n, perr := strconv.Atoi(strings.TrimPrefix(cur, "bmV4dF90czo"))
		if perr != nil || n < 0 {
			return nil, "", apiError("invalid_cursor")
		}
		start = min(n, len(msgs))
	}
	limit := 100
	if l, perr := strconv.Atoi(p.Get("limit")); perr == nil && l > 0 {
		limit = min(l, 1000)
	}
	end := min(start+limit, len(msgs))
	if end < len(msgs) {
		next = "bmV4dF90czo" + strconv.Itoa(end)
	}
	return msgs[start:end], next, nil
}

// inRange applies oldest, latest and inclusive to a ts.
func inRange(p params, ts string) bool {
	incl := p.Get("inclusive") == "1" || p.Get("inclusive") == "true"
	if o := p.Get("oldest"); o != "" && (ts < o || (!incl && ts == o)) {
		return false
	}
	if l := p.Get("latest"); l != "" && (ts > l || (!incl && ts == l)) {
		return false
	}
	return true
}

func (s *Server) conversationsHistory(p params) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.channelArgLocked(p)
	if err != nil {
		return nil, err
	}
	var msgs []map[string]any
	for i := len(c.messages) - 1; i >= 0; i-- { // newest first
		if m := c.messages[i]; m.ThreadTS == "" && inRange(p, m.TS) {
			msgs = append(msgs, s.messageJSONLocked(m))
		}
	}
	out, next, err := page(p, msgs)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"messages": nonNil(out), "has_more": next != "", "pin_count": 0,
		"response_metadata": map[string]any{"next_cursor": next},
	}, nil
}

func (s *Server) conversationsReplies(p params) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, parent := s.findMessageLocked(p.Get("channel"), p.Get("ts"))
	if c == nil {
		return nil, apiError("channel_not_found")
	}
	if parent == nil {
		return nil, apiError("thread_not_found")
	}
	if parent.ThreadTS != "" {
		_, parent = s.findMessageLocked(c.id, parent.ThreadTS)
		if parent == nil {
			return nil, apiError("thread_not_found")
		}
	}
	msgs := []map[string]any{s.messageJSONLocked(parent)}
	for _, m := range c.messages {
		if m.ThreadTS == parent.TS && inRange(p, m.TS) {
			msgs = append(msgs, s.messageJSONLocked(m))
		}
	}
	out, next, err := page(p, msgs)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"messages": out, "has_more": next != "",
		"response_metadata": map[string]any{"next_cursor": next},
	}, nil
}

func nonNil(m []map[string]any) []map[string]any {
	if m == nil {
		return []map[string]any{}
	}
	return m
}

func (s *Server) usersInfo(p params) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[p.Get("user")]
	if !ok {
		return nil, apiError("user_not_found")
	}
	j := s.userJSONLocked(u)
	if p.Get("include_locale") == "true" {
		j["locale"] = "es-CO"
	}
	return map[string]any{"user": j}, nil
}

func (s *Server) userJSONLocked(u *user) map[string]any {
	profile := map[string]any{
		"real_name": u.realName, "real_name_normalized": u.realName,
		"display_name": u.displayName, "display_name_normalized": u.displayName,
		"team": s.cfg.teamID, "avatar_hash": "", "status_text": "", "status_emoji": "",
	}
	if u.isBot {
		profile["bot_id"] = s.cfg.botID
		profile["api_app_id"] = s.cfg.appID
	}
	return map[string]any{
		"id": u.id, "team_id": s.cfg.teamID, "name": u.name, "deleted": false,
		"real_name": u.realName, "tz": "America/Bogota", "tz_label": "Colombia Standard Time",
		"tz_offset": -18000, "profile": profile, "is_bot": u.isBot, "is_admin": false,
		"is_owner": false, "is_app_user": false, "updated": s.now().Unix(),
	}
}

func (s *Server) usergroupsUsersList(p params) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	members, ok := s.groups[p.Get("usergroup")]
	if !ok {
		return nil, apiError("no_such_subteam")
	}
	return map[string]any{"users": append([]string{}, members...)}, nil
}

func (s *Server) reactionsAdd(p params) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m := s.findMessageLocked(p.Get("channel"), p.Get("timestamp"))
	if c == nil {
		return nil, apiError("channel_not_found")
	}
	if m == nil {
		return nil, apiError("message_not_found")
	}
	name := strings.Trim(p.Get("name"), ":")
	if name == "" {
		return nil, apiError("invalid_name")
	}
	i := slices.IndexFunc(m.Reactions, func(r Reaction) bool { return r.Name == name })
	if i < 0 {
		m.Reactions = append(m.Reactions, Reaction{Name: name})
		i = len(m.Reactions) - 1
	}
	if slices.Contains(m.Reactions[i].Users, s.cfg.botUserID) {
		return nil, apiError("already_reacted")
	}
	m.Reactions[i].Users = append(m.Reactions[i].Users, s.cfg.botUserID)
	cp := m.clone()
	s.changedLocked(Event{Kind: ReactionAdded, Channel: c.id, TS: m.TS, User: s.cfg.botUserID, Message: &cp})
	return map[string]any{}, nil
}

func (s *Server) filesInfo(p params) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[p.Get("file")]
	if !ok {
		return nil, apiError("file_not_found")
	}
	return map[string]any{
		"file":     s.fileJSONLocked(f),
		"comments": []any{},
		"paging":   map[string]any{"count": 100, "total": 1, "page": 1, "pages": 1},
	}, nil
}

// messageJSONLocked renders a message the way the Web API returns it.
func (s *Server) messageJSONLocked(m *Message) map[string]any {
	j := map[string]any{"type": "message", "text": m.Text, "ts": m.TS, "team": s.cfg.teamID}
	if m.User != "" {
		j["user"] = m.User
	}
	if m.BotID != "" {
		j["bot_id"] = m.BotID
		j["app_id"] = s.cfg.appID
		j["bot_profile"] = map[string]any{"id": m.BotID, "app_id": s.cfg.appID, "name": s.cfg.botName, "deleted": false, "team_id": s.cfg.teamID}
	}
	if m.Username != "" {
		j["username"] = m.Username
	}
	if m.IconEmoji != "" {
		j["icons"] = map[string]any{"emoji": m.IconEmoji}
	}
	if len(m.Blocks) > 0 {
		j["blocks"] = m.Blocks
	}
	if len(m.Attachments) > 0 {
		j["attachments"] = m.Attachments
	}
	if len(m.Files) > 0 {
		var fs []any
		for _, f := range m.Files {
			fs = append(fs, s.fileJSONLocked(f))
		}
		j["files"] = fs
		if m.BotID == "" {
			j["subtype"], j["upload"] = "file_share", true
		}
	}
	if m.ThreadTS != "" {
		j["thread_ts"] = m.ThreadTS
		j["parent_user_id"] = s.parentUserLocked(m)
	} else if m.ReplyCount > 0 {
		j["thread_ts"] = m.TS
		j["reply_count"] = m.ReplyCount
	}
	if m.Edits > 0 {
		j["edited"] = map[string]any{"user": m.User, "ts": m.TS}
	}
	if len(m.Reactions) > 0 {
		var rs []map[string]any
		for _, r := range m.Reactions {
			rs = append(rs, map[string]any{"name": r.Name, "count": len(r.Users), "users": r.Users})
		}
		j["reactions"] = rs
	}
	return j
}

func (s *Server) parentUserLocked(m *Message) string {
	if _, p := s.findMessageLocked(m.Channel, m.ThreadTS); p != nil {
		return p.User
	}
	return ""
}
