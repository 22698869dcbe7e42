package telegramtest

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/colombiainformatica/ticketbot/internal/measure"
)

func (s *Server) getMe(*request) (any, *apiError) {
	return map[string]any{
		"id":                          s.botID,
		"is_bot":                      true,
		"first_name":                  s.botFirstName,
		"username":                    s.botUsername,
		"can_join_groups":             true,
		"can_read_all_group_messages": false,
		"supports_inline_queries":     false,
	}, nil
}

// chatIDParam reads chat_id. Channel usernames (@name) are not supported and
// answer "chat not found".
func chatIDParam(p map[string]string) (int64, *apiError) {
	v, ok := p["chat_id"]
	if !ok || v == "" {
		return 0, badRequest("chat_id is empty")
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, errChatNotFound
	}
	return id, nil
}

func intParam(p map[string]string, name string) (int, *apiError) {
	v, ok := p[name]
	if !ok || v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, badRequest("invalid %s specified", name)
	}
	return n, nil
}

func boolParam(p map[string]string, name string) bool {
	b, _ := strconv.ParseBool(p[name])
	return b
}

// parseReplyMarkup validates reply_markup and decodes an inline keyboard.
func parseReplyMarkup(raw string) ([][]Button, *apiError) {
	if raw == "" {
		return nil, nil
	}
	var markup struct {
		InlineKeyboard [][]map[string]json.RawMessage `json:"inline_keyboard"`
	}
	if err := json.Unmarshal([]byte(raw), &markup); err != nil {
		return nil, badRequest("can't parse reply keyboard markup JSON object")
	}
	if markup.InlineKeyboard == nil {
		return nil, nil // a reply keyboard, keyboard removal or force reply
	}
	kb := make([][]Button, 0, len(markup.InlineKeyboard))
	for _, row := range markup.InlineKeyboard {
		out := make([]Button, 0, len(row))
		for _, fields := range row {
			var b Button
			str := func(name string) (string, bool) {
				raw, ok := fields[name]
				if !ok {
					return "", false
				}
				var v string
				if json.Unmarshal(raw, &v) != nil {
					return "", false
				}
				return v, true
			}
			b.Text, _ = str("text")
			if b.Text == "" {
				return nil, badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
			}
			data, hasData := str("callback_data")
			link, hasURL := str("url")
			switch {
			case hasData:
				if data == "" || len(data) > MaxCallbackData {
					return nil, badRequest("BUTTON_DATA_INVALID")
				}
				b.CallbackData = data
			case hasURL:
				u, err := url.Parse(link)
				if err != nil || u.Scheme == "" || (u.Host == "" && u.Scheme != "tg") {
					return nil, badRequest("BUTTON_URL_INVALID")
				}
				b.URL = link
			default:
				if len(fields) == 1 { // a text alone: not an inline button
					return nil, badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
				}
			}
			out = append(out, b)
		}
		kb = append(kb, out)
	}
	if aerr := checkKeyboardSize(kb, len(raw)); aerr != nil {
		return nil, aerr
	}
	return kb, nil
}

// target returns the chat a method acts on, failing like Telegram for
// blocked and deleted chats. Callers hold s.mu.
func (s *Server) target(chatID int64) (*chat, *apiError) {
	ch := s.chats[chatID]
	if ch == nil {
		ch = &chat{id: chatID}
		s.chats[chatID] = ch
	}
	if ch.deleted {
		return nil, errChatNotFound
	}
	if ch.blocked {
		return nil, errBlocked
	}
	return ch, nil
}

func (c *chat) find(messageID int) *Message {
	for _, m := range c.messages {
		if m.MessageID == messageID && !m.Deleted {
			return m
		}
	}
	return nil
}

// replyTo checks reply_to_message_id. Callers hold s.mu.
func replyTo(ch *chat, p map[string]string) (int, *apiError) {
	id, aerr := intParam(p, "reply_to_message_id")
	if aerr != nil || id == 0 {
		return 0, aerr
	}
	if ch.find(id) == nil {
		if boolParam(p, "allow_sending_without_reply") {
			return 0, nil
		}
		return 0, badRequest("message to be replied not found")
	}
	return id, nil
}

// addBotMessage numbers m, stores it and tells the watchers. Callers hold s.mu.
func (s *Server) addBotMessage(ch *chat, m *Message) {
	ch.nextID++
	m.ChatID, m.MessageID, m.FromBot, m.Date = ch.id, ch.nextID, true, s.now()
	ch.messages = append(ch.messages, m)
	s.sent = append(s.sent, m)
	s.stats.Sent++
	s.emit(Event{Kind: EventMessageSent, ChatID: ch.id, Message: m.clone()})
	s.broadcast()
}

func (s *Server) sendMessage(rq *request) (any, *apiError) {
	p := rq.params
	m := &Message{Text: p["text"], ParseMode: p["parse_mode"], ReplyMarkup: p["reply_markup"]}
	return s.send(rq, m, checkText(m.Text, m.ParseMode), nil)
}

// send is what sendMessage, sendPhoto and sendDocument share: checked is
// m's text (or caption) as checkText or checkCaption judged it; m's
// keyboard is parsed, then, under s.mu, the chat, the media (attach, when
// not nil), the replied message and the flood limits are checked before m
// is stored.
func (s *Server) send(rq *request, m *Message, checked textCheck, attach func(*chat) *apiError) (any, *apiError) {
	p := rq.params
	chatID, aerr := chatIDParam(p)
	if aerr != nil {
		return nil, aerr
	}
	if checked.err != nil {
		return nil, checked.err
	}
	m.PlainText, m.Entities = checked.plain, checked.entities
	if m.Keyboard, aerr = parseReplyMarkup(m.ReplyMarkup); aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, aerr := s.target(chatID)
	if aerr != nil {
		return nil, aerr
	}
	if attach != nil {
		if aerr := attach(ch); aerr != nil {
			return nil, aerr
		}
	}
	if m.ReplyToMessageID, aerr = replyTo(ch, p); aerr != nil {
		return nil, aerr
	}
	if aerr := s.flood(chatID); aerr != nil {
		return nil, aerr
	}
	s.addBotMessage(ch, m)
	return s.wire(m), nil
}

// textCheck is a text or caption as Telegram parsed it, or why it refused it.
type textCheck struct {
	plain    string
	entities []Entity
	err      *apiError
}

// checkText validates a message text like Telegram: parsed per parse_mode,
// not empty, at most 4096 UTF-16 code units.
func checkText(text, parseMode string) textCheck {
	if strings.TrimSpace(text) == "" {
		return textCheck{err: badRequest("message text is empty")}
	}
	plain, ents, aerr := formatText(text, parseMode)
	switch {
	case aerr != nil:
		return textCheck{err: aerr}
	case strings.TrimSpace(plain) == "":
		return textCheck{err: badRequest("message text is empty")}
	case measure.UTF16(plain) > MaxTextUnits:
		return textCheck{err: badRequest("message is too long")}
	}
	return textCheck{plain, ents, nil}
}

func checkCaption(caption, parseMode string) textCheck {
	plain, ents, aerr := formatText(caption, parseMode)
	switch {
	case aerr != nil:
		return textCheck{err: aerr}
	case measure.UTF16(plain) > MaxCaptionUnits:
		return textCheck{err: badRequest("message caption is too long")}
	}
	return textCheck{plain, ents, nil}
}

// editTarget finds the bot message an edit names. Callers hold s.mu.
func (s *Server) editTarget(p map[string]string) (*Message, *apiError) {
	if p["inline_message_id"] != "" {
		return nil, badRequest("MESSAGE_ID_INVALID")
	}
	chatID, aerr := chatIDParam(p)
	if aerr != nil {
		return nil, aerr
	}
	id, aerr := intParam(p, "message_id")
	if aerr != nil {
		return nil, aerr
	}
	if id == 0 {
		return nil, badRequest("message identifier is not specified")
	}
	ch, aerr := s.target(chatID)
	if aerr != nil {
		return nil, aerr
	}
	m := ch.find(id)
	if m == nil {
		return nil, badRequest("message to edit not found")
	}
	if !m.FromBot {
		return nil, badRequest("message can't be edited")
	}
	return m, nil
}

var errNotModified = badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")

func (s *Server) editMessageText(rq *request) (any, *apiError) {
	p := rq.params
	text, mode, markup := p["text"], p["parse_mode"], p["reply_markup"]
	c := checkText(text, mode)
	if c.err != nil {
		return nil, c.err
	}
	plain, ents := c.plain, c.entities
	kb, aerr := parseReplyMarkup(markup)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, aerr := s.editTarget(p)
	if aerr != nil {
		return nil, aerr
	}
	if m.Media != nil {
		return nil, badRequest("there is no text in the message to edit")
	}
	if m.PlainText == plain && entitiesEqual(m.Entities, ents) && keyboardsEqual(m.Keyboard, kb) {
		return nil, errNotModified
	}
	// As in Telegram, an edit without reply_markup removes the inline keyboard.
	m.Text, m.ParseMode, m.PlainText, m.Entities = text, mode, plain, ents
	m.ReplyMarkup, m.Keyboard = markup, kb
	s.edited(m)
	return s.wire(m), nil
}

func (s *Server) editMessageReplyMarkup(rq *request) (any, *apiError) {
	p := rq.params
	markup := p["reply_markup"]
	kb, aerr := parseReplyMarkup(markup)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, aerr := s.editTarget(p)
	if aerr != nil {
		return nil, aerr
	}
	if keyboardsEqual(m.Keyboard, kb) {
		return nil, errNotModified
	}
	m.ReplyMarkup, m.Keyboard = markup, kb
	s.edited(m)
	return s.wire(m), nil
}

// edited counts an applied edit. Callers hold s.mu.
func (s *Server) edited(m *Message) {
	m.EditCount++
	m.EditDate = s.now()
	s.stats.Edited++
	s.emit(Event{Kind: EventMessageEdited, ChatID: m.ChatID, Message: m.clone()})
	s.broadcast()
}

func entitiesEqual(a, b []Entity) bool { return slices.Equal(a, b) }

func keyboardsEqual(a, b [][]Button) bool { return slices.EqualFunc(a, b, slices.Equal) }

func (s *Server) answerCallbackQuery(rq *request) (any, *apiError) {
	p := rq.params
	cacheTime, aerr := intParam(p, "cache_time")
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queries[p["callback_query_id"]]
	if q == nil {
		return nil, badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	if aerr := checkCallbackAnswer(p["text"]); aerr != nil {
		return nil, aerr
	}
	delete(s.queries, q.QueryID)
	a := *q
	a.Text, a.ShowAlert, a.URL, a.CacheTime = p["text"], boolParam(p, "show_alert"), p["url"], cacheTime
	s.answers = append(s.answers, a)
	s.stats.CallbackAnswers++
	s.emit(Event{Kind: EventCallbackAnswered, ChatID: a.ChatID, Answer: a})
	s.broadcast()
	return true, nil
}
