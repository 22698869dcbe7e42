package telegramtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/colombiainformatica/ticketbot/internal/measure"
)

// queue adds an update built from body (without update_id) and returns its
// ID. Callers hold s.mu.
func (s *Server) queue(kind string, body any) int {
	id := s.nextUpdateID
	s.nextUpdateID++
	// The fake's own maps of strings and numbers always marshal.
	raw, _ := json.Marshal(map[string]any{"update_id": id, kind: body})
	s.pending = append(s.pending, &pendingUpdate{id: id, raw: raw})
	s.broadcast()
	return id
}

// PushUpdate queues an arbitrary update, given as a JSON object, for tests of
// unusual or malformed updates. An object without update_id gets the next
// one; an explicit update_id is kept as is (even if it repeats or goes
// backwards) and later IDs continue after it. It returns the update_id.
func (s *Server) PushUpdate(raw []byte) (int, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return 0, fmt.Errorf("telegramtest: update is not a JSON object: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextUpdateID
	if v, ok := obj["update_id"]; ok {
		if err := json.Unmarshal(v, &id); err != nil {
			return 0, fmt.Errorf("telegramtest: update_id is not an integer: %w", err)
		}
	} else {
		obj["update_id"] = json.RawMessage(strconv.Itoa(id))
	}
	if id >= s.nextUpdateID {
		s.nextUpdateID = id + 1
	}
	data, err := json.Marshal(obj)
	if err != nil {
		return 0, err
	}
	s.pending = append(s.pending, &pendingUpdate{id: id, raw: data})
	s.broadcast()
	return id, nil
}

// userMessage stores an incoming message from a user in their private chat
// and queues its update. Callers hold s.mu.
func (s *Server) userMessage(from User, m *Message) int {
	s.users[from.ID] = from
	ch := s.chats[from.ID]
	if ch == nil {
		ch = &chat{id: from.ID}
		s.chats[from.ID] = ch
	}
	ch.deleted = false
	ch.nextID++
	m.ChatID, m.MessageID, m.From, m.Date = from.ID, ch.nextID, from, s.now()
	ch.messages = append(ch.messages, m)
	return s.queue("message", s.wire(m))
}

// SendText makes from send text to the bot in their private chat (chat ID =
// user ID) and returns the update_id. A leading /command gets a bot_command
// entity, as Telegram adds.
func (s *Server) SendText(from User, text string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.userMessage(from, textMessage(text))
}

func textMessage(text string) *Message {
	m := &Message{Text: text, PlainText: text}
	if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		cmd, _, _ = strings.Cut(cmd, "\n")
		if len(cmd) > 1 {
			m.Entities = []Entity{{Type: "bot_command", Offset: 0, Length: measure.UTF16(cmd)}}
		}
	}
	return m
}

// SendCommand makes from send "/command args" (args may be empty) and
// returns the update_id. command may be given with or without its slash.
func (s *Server) SendCommand(from User, command, args string) int {
	text := "/" + strings.TrimPrefix(command, "/")
	if args != "" {
		text += " " + args
	}
	return s.SendText(from, text)
}

// Reply makes from send text as a reply to message replyToMessageID of
// their private chat and returns the update_id.
func (s *Server) Reply(from User, replyToMessageID int, text string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := textMessage(text)
	m.ReplyToMessageID = replyToMessageID
	return s.userMessage(from, m)
}

// SendPhoto makes from send a photo with caption; photos sharing a non-empty
// mediaGroupID form an album, one update each. fileID is registered so that
// getFile works for it. It returns the update_id.
func (s *Server) SendPhoto(from User, fileID, caption, mediaGroupID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.registerFile(fileID, "photo", "", nil)
	m := &Message{Caption: caption, PlainText: caption, MediaGroupID: mediaGroupID,
		Media: &Media{Type: "photo", FileID: f.id, FileUniqueID: f.uniqueID}}
	return s.userMessage(from, m)
}

// SendDocument makes from send a document, registering fileID for getFile,
// and returns the update_id.
func (s *Server) SendDocument(from User, fileID, fileName, caption string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.registerFile(fileID, "document", fileName, nil)
	m := &Message{Caption: caption, PlainText: caption,
		Media: &Media{Type: "document", FileID: f.id, FileUniqueID: f.uniqueID, FileName: fileName}}
	return s.userMessage(from, m)
}

// SendVoice makes from send a voice note of the given length in seconds,
// registering fileID for getFile, and returns the update_id.
func (s *Server) SendVoice(from User, fileID string, seconds int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.registerFile(fileID, "voice", "", nil)
	m := &Message{Media: &Media{Type: "voice", FileID: f.id, FileUniqueID: f.uniqueID, Duration: seconds}}
	return s.userMessage(from, m)
}

// PressButton makes from press an inline button with callback data on
// message messageID of their private chat, and returns the update_id of the
// callback_query. data is not checked against the keyboard, so tests can
// forge or replay presses; the message is attached when it exists.
func (s *Server) PressButton(from User, messageID int, data string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[from.ID] = from
	s.nextQuery++
	qid := fmt.Sprintf("%d%08d", s.botID, s.nextQuery)
	q := map[string]any{
		"id":            qid,
		"from":          wireUser(from),
		"chat_instance": fmt.Sprintf("%d", from.ID*7+s.botID),
		"data":          data,
	}
	if ch := s.chats[from.ID]; ch != nil {
		if m := ch.find(messageID); m != nil {
			q["message"] = s.wire(m)
		}
	}
	id := s.queue("callback_query", q)
	s.queries[qid] = &CallbackAnswer{QueryID: qid, UpdateID: id, ChatID: from.ID, MessageID: messageID, Data: data}
	return id
}

// Block makes the user of chatID block the bot: later calls to that chat
// answer 403 "Forbidden: bot was blocked by the user".
func (s *Server) Block(chatID int64) { s.setChat(chatID, func(c *chat) { c.blocked = true }) }

// Unblock undoes Block.
func (s *Server) Unblock(chatID int64) { s.setChat(chatID, func(c *chat) { c.blocked = false }) }

// DeleteChat makes chatID unknown: later calls to it answer 400 "Bad
// Request: chat not found", until the user writes again.
func (s *Server) DeleteChat(chatID int64) { s.setChat(chatID, func(c *chat) { c.deleted = true }) }

func (s *Server) setChat(chatID int64, f func(*chat)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.chats[chatID]
	if ch == nil {
		ch = &chat{id: chatID}
		s.chats[chatID] = ch
	}
	f(ch)
}

// Pending returns the number of updates not yet confirmed by the bot.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending) + len(s.dups)
}

// confirm drops the updates before offset, as getUpdates does. Callers hold s.mu.
func (s *Server) confirm(offset int) {
	switch {
	case offset > 0:
		kept := s.pending[:0]
		for _, u := range s.pending {
			if u.id >= offset {
				kept = append(kept, u)
			} else if s.duplicate && !u.dup {
				s.dups = append(s.dups, &pendingUpdate{id: u.id, raw: u.raw, dup: true})
			}
		}
		s.pending = kept
	case offset < 0:
		if n := -offset; n < len(s.pending) {
			s.pending = s.pending[len(s.pending)-n:]
		}
	}
}

// collect returns up to limit updates: duplicates due once (then dropped),
// then pending ones (kept until confirmed). Callers hold s.mu.
func (s *Server) collect(limit int) []json.RawMessage {
	var out []json.RawMessage
	for len(s.dups) > 0 && len(out) < limit {
		out = append(out, s.dups[0].raw)
		s.dups = s.dups[1:]
	}
	for _, u := range s.pending {
		if len(out) >= limit {
			break
		}
		out = append(out, u.raw)
	}
	s.stats.UpdatesServed += len(out)
	return out
}

func (s *Server) getUpdates(rq *request) (any, *apiError) {
	p := rq.params
	offset, aerr := intParam(p, "offset")
	if aerr != nil {
		return nil, aerr
	}
	limit, aerr := intParam(p, "limit")
	if aerr != nil {
		return nil, aerr
	}
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout, aerr := intParam(p, "timeout")
	if aerr != nil {
		return nil, aerr
	}

	s.mu.Lock()
	if s.webhook.URL != "" {
		s.mu.Unlock()
		return nil, errWebhookActive
	}
	if s.poll != nil {
		close(s.poll.conflict) // the older request loses, as in Telegram
	}
	me := &pollState{conflict: make(chan struct{})}
	s.poll = me
	s.broadcast()
	defer func() {
		s.mu.Lock()
		if s.poll == me {
			s.poll = nil
		}
		s.mu.Unlock()
	}()

	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(time.Duration(timeout) * time.Second)
		defer t.Stop()
		expired = t.C
	}
	s.confirm(offset)
	for {
		if s.webhook.URL != "" {
			s.mu.Unlock()
			return nil, errWebhookActive
		}
		if ups := s.collect(limit); len(ups) > 0 || expired == nil {
			s.mu.Unlock()
			return orEmpty(ups), nil
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-expired:
			expired = nil
		case <-me.conflict:
			return nil, errPollConflict
		case <-rq.r.Context().Done():
			return nil, nil
		case <-s.closed:
			return []json.RawMessage{}, nil
		}
		s.mu.Lock()
	}
}

func orEmpty(ups []json.RawMessage) []json.RawMessage {
	if ups == nil {
		return []json.RawMessage{}
	}
	return ups
}

// Polling reports whether a getUpdates request is waiting right now.
func (s *Server) Polling() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.poll != nil
}

// validSecret reports whether a webhook secret_token has Telegram's form:
// 1-256 characters A-Z, a-z, 0-9, _ and -.
func validSecret(secret string) bool {
	if len(secret) < 1 || len(secret) > 256 {
		return false
	}
	for _, r := range secret {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

func (s *Server) setWebhook(rq *request) (any, *apiError) {
	p := rq.params
	raw := p["url"]
	if raw == "" {
		return s.removeWebhook(boolParam(p, "drop_pending_updates"))
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, badRequest("bad webhook: invalid URL")
	}
	secret, hasSecret := p["secret_token"]
	if hasSecret && !validSecret(secret) {
		return nil, badRequest("secret token contains unallowed characters")
	}
	maxConn, aerr := intParam(p, "max_connections")
	if aerr != nil {
		return nil, aerr
	}
	if maxConn == 0 {
		maxConn = 40
	}
	var allowed []string
	if a := p["allowed_updates"]; a != "" {
		if err := json.Unmarshal([]byte(a), &allowed); err != nil {
			return nil, badRequest("can't parse allowed updates")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if boolParam(p, "drop_pending_updates") {
		s.pending, s.dups = nil, nil
	}
	s.webhook = WebhookInfo{URL: raw, SecretToken: secret, MaxConnections: maxConn,
		AllowedUpdates: allowed, IPAddress: p["ip_address"]}
	s.broadcast()
	return true, nil
}

func (s *Server) deleteWebhook(rq *request) (any, *apiError) {
	return s.removeWebhook(boolParam(rq.params, "drop_pending_updates"))
}

func (s *Server) removeWebhook(drop bool) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if drop {
		s.pending, s.dups = nil, nil
	}
	s.webhook = WebhookInfo{}
	s.broadcast()
	return true, nil
}

func (s *Server) getWebhookInfo(*request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.webhook
	out := map[string]any{
		"url":                    w.URL,
		"has_custom_certificate": false,
		"pending_update_count":   len(s.pending) + len(s.dups),
	}
	if w.URL != "" {
		out["max_connections"] = w.MaxConnections
		if w.AllowedUpdates != nil {
			out["allowed_updates"] = w.AllowedUpdates
		}
		if w.IPAddress != "" {
			out["ip_address"] = w.IPAddress
		}
	}
	if !w.LastErrorDate.IsZero() {
		out["last_error_date"] = w.LastErrorDate.Unix()
		out["last_error_message"] = w.LastErrorMessage
	}
	return out, nil
}

// Webhook returns the webhook registered by the bot, including its secret
// token (which getWebhookInfo does not reveal); URL is empty when none.
func (s *Server) Webhook() WebhookInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.webhook
	w.AllowedUpdates = append([]string(nil), w.AllowedUpdates...)
	w.PendingUpdateCount = len(s.pending) + len(s.dups)
	return w
}

// ErrNoWebhook is returned by Deliver when the bot has set no webhook.
var ErrNoWebhook = errors.New("telegramtest: no webhook set")
