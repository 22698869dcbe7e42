package telegramtest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
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
	chatID, aerr := chatIDParam(p)
	if aerr != nil {
		return nil, aerr
	}
	m := &Message{Text: p["text"], ParseMode: p["parse_mode"], ReplyMarkup: p["reply_markup"]}
	if m.PlainText, m.Entities, aerr = checkText(m.Text, m.ParseMode); aerr != nil {
		return nil, aerr
	}
	if m.Keyboard, aerr = parseReplyMarkup(m.ReplyMarkup); aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, aerr := s.target(chatID)
	if aerr != nil {
		return nil, aerr
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

// checkText validates a message text like Telegram: parsed per parse_mode,
// not empty, at most 4096 UTF-16 code units.
func checkText(text, parseMode string) (string, []Entity, *apiError) {
	if strings.TrimSpace(text) == "" {
		return "", nil, badRequest("message text is empty")
	}
	plain, ents, aerr := formatText(text, parseMode)
	if aerr != nil {
		return "", nil, aerr
	}
	if strings.TrimSpace(plain) == "" {
		return "", nil, badRequest("message text is empty")
	}
	if utf16Len(plain) > MaxTextUnits {
		return "", nil, badRequest("message is too long")
	}
	return plain, ents, nil
}

func checkCaption(caption, parseMode string) (string, []Entity, *apiError) {
	plain, ents, aerr := formatText(caption, parseMode)
	if aerr != nil {
		return "", nil, aerr
	}
	if utf16Len(plain) > MaxCaptionUnits {
		return "", nil, badRequest("message caption is too long")
	}
	return plain, ents, nil
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
	plain, ents, aerr := checkText(text, mode)
	if aerr != nil {
		return nil, aerr
	}
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

func entitiesEqual(a, b []Entity) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func keyboardsEqual(a, b [][]Button) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}

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

// resolveFile turns a photo/document parameter into a known file: an
// uploaded part, an attach://name reference, an http(s) URL, or a file_id
// the fake knows. Callers hold s.mu.
func (s *Server) resolveFile(rq *request, field, value, kind, fileName string) (*file, *apiError) {
	if up, ok := rq.files[field]; ok && value == "" {
		return s.newFile(kind, up.name, up.data), nil
	}
	if name, ok := strings.CutPrefix(value, "attach://"); ok {
		up, ok := rq.files[name]
		if !ok {
			return nil, badRequest("wrong file identifier/HTTP URL specified")
		}
		return s.newFile(kind, up.name, up.data), nil
	}
	if value == "" {
		return nil, badRequest("there is no %s in the request", kind)
	}
	if strings.HasPrefix(value, "http://") || strings.HasPrefix(value, "https://") {
		return s.newFile(kind, fileName, []byte("downloaded from "+value)), nil
	}
	f := s.files[value]
	if f == nil {
		return nil, badRequest("wrong file identifier/HTTP URL specified")
	}
	return f, nil
}

// newFile registers a file with a fresh file_id. Callers hold s.mu.
func (s *Server) newFile(kind, name string, data []byte) *file {
	s.nextFile++
	id := fmt.Sprintf("%s-%d-%s", kind, s.nextFile, strings.ReplaceAll(s.token, ":", ""))
	return s.registerFile(id, kind, name, data)
}

// registerFile makes getFile know id. Callers hold s.mu.
func (s *Server) registerFile(id, kind, name string, data []byte) *file {
	if f := s.files[id]; f != nil {
		return f
	}
	s.nextFile++
	ext := map[string]string{"photo": ".jpg", "voice": ".oga", "video": ".mp4", "audio": ".mp3"}[kind]
	dir := kind + "s"
	if kind == "photo" {
		dir = "photos"
	}
	path := fmt.Sprintf("%s/file_%d%s", dir, s.nextFile, ext)
	if kind == "document" && name != "" {
		path = fmt.Sprintf("documents/file_%d_%s", s.nextFile, name)
	}
	if data == nil {
		data = []byte("telegramtest file " + id)
	}
	f := &file{id: id, uniqueID: fmt.Sprintf("AQAD%d", s.nextFile), name: name, path: path, data: data}
	s.files[id] = f
	return f
}

func (s *Server) sendPhoto(rq *request) (any, *apiError) {
	return s.sendMedia(rq, "photo")
}

func (s *Server) sendDocument(rq *request) (any, *apiError) {
	return s.sendMedia(rq, "document")
}

func (s *Server) sendMedia(rq *request, kind string) (any, *apiError) {
	p := rq.params
	chatID, aerr := chatIDParam(p)
	if aerr != nil {
		return nil, aerr
	}
	m := &Message{Caption: p["caption"], ParseMode: p["parse_mode"], ReplyMarkup: p["reply_markup"]}
	if m.PlainText, m.Entities, aerr = checkCaption(m.Caption, m.ParseMode); aerr != nil {
		return nil, aerr
	}
	if m.Keyboard, aerr = parseReplyMarkup(m.ReplyMarkup); aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, aerr := s.target(chatID)
	if aerr != nil {
		return nil, aerr
	}
	f, aerr := s.resolveFile(rq, kind, p[kind], kind, "")
	if aerr != nil {
		return nil, aerr
	}
	if m.ReplyToMessageID, aerr = replyTo(ch, p); aerr != nil {
		return nil, aerr
	}
	if aerr := s.flood(chatID); aerr != nil {
		return nil, aerr
	}
	_, uploaded := rq.files[kind]
	uploaded = uploaded || strings.HasPrefix(p[kind], "attach://")
	m.Media = &Media{Type: kind, FileID: f.id, FileUniqueID: f.uniqueID, FileName: f.name, Uploaded: uploaded}
	s.addBotMessage(ch, m)
	return s.wire(m), nil
}

func (s *Server) sendMediaGroup(rq *request) (any, *apiError) {
	p := rq.params
	chatID, aerr := chatIDParam(p)
	if aerr != nil {
		return nil, aerr
	}
	var items []struct {
		Type      string `json:"type"`
		Media     string `json:"media"`
		Caption   string `json:"caption"`
		ParseMode string `json:"parse_mode"`
	}
	if err := json.Unmarshal([]byte(p["media"]), &items); err != nil {
		return nil, badRequest("can't parse media JSON object")
	}
	if len(items) < MinMediaGroup || len(items) > MaxMediaGroup {
		return nil, badRequest("wrong number of media in the group: must include 2-10 items")
	}
	msgs := make([]*Message, len(items))
	for i, it := range items {
		switch it.Type {
		case "photo", "video", "document", "audio":
		default:
			return nil, badRequest("can't parse InputMedia: media type %q is invalid", it.Type)
		}
		m := &Message{Caption: it.Caption, ParseMode: it.ParseMode}
		if m.PlainText, m.Entities, aerr = checkCaption(it.Caption, it.ParseMode); aerr != nil {
			return nil, aerr
		}
		msgs[i] = m
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, aerr := s.target(chatID)
	if aerr != nil {
		return nil, aerr
	}
	for i, it := range items {
		f, aerr := s.resolveFile(rq, "", it.Media, it.Type, "")
		if aerr != nil {
			return nil, aerr
		}
		msgs[i].Media = &Media{Type: it.Type, FileID: f.id, FileUniqueID: f.uniqueID}
	}
	replyID, aerr := replyTo(ch, p)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := s.flood(chatID); aerr != nil {
		return nil, aerr
	}
	s.nextFile++
	group := strconv.Itoa(1_000_000_000 + s.nextFile)
	out := make([]any, len(msgs))
	for i, m := range msgs {
		m.ReplyToMessageID, m.MediaGroupID = replyID, group
		s.addBotMessage(ch, m)
		out[i] = s.wire(m)
	}
	return out, nil
}

func (s *Server) getFile(rq *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.files[rq.params["file_id"]]
	if f == nil {
		return nil, badRequest("invalid file_id")
	}
	if len(f.data) > MaxDownloadSize {
		return nil, badRequest("file is too big")
	}
	return map[string]any{
		"file_id":        f.id,
		"file_unique_id": f.uniqueID,
		"file_size":      len(f.data),
		"file_path":      f.path,
	}, nil
}

func (s *Server) deleteMessage(rq *request) (any, *apiError) {
	p := rq.params
	chatID, aerr := chatIDParam(p)
	if aerr != nil {
		return nil, aerr
	}
	id, aerr := intParam(p, "message_id")
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, aerr := s.target(chatID)
	if aerr != nil {
		return nil, aerr
	}
	m := ch.find(id)
	if m == nil {
		return nil, badRequest("message to delete not found")
	}
	m.Deleted = true
	s.stats.Deleted++
	s.emit(Event{Kind: EventMessageDeleted, ChatID: chatID, Message: m.clone()})
	s.broadcast()
	return true, nil
}

var chatActions = map[string]bool{
	"typing": true, "upload_photo": true, "record_video": true, "upload_video": true,
	"record_voice": true, "upload_voice": true, "upload_document": true, "choose_sticker": true,
	"find_location": true, "record_video_note": true, "upload_video_note": true,
}

func (s *Server) sendChatAction(rq *request) (any, *apiError) {
	p := rq.params
	chatID, aerr := chatIDParam(p)
	if aerr != nil {
		return nil, aerr
	}
	action := p["action"]
	if !chatActions[action] {
		return nil, badRequest("wrong parameter action in request")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, aerr := s.target(chatID); aerr != nil {
		return nil, aerr
	}
	s.emit(Event{Kind: EventChatAction, ChatID: chatID, Action: action})
	return true, nil
}

// commandsKey keys commands by scope and language. Callers hold nothing.
func commandsKey(p map[string]string) (string, *apiError) {
	scope := "default"
	if raw := p["scope"]; raw != "" {
		var sc struct {
			Type   string          `json:"type"`
			ChatID json.RawMessage `json:"chat_id"`
			UserID int64           `json:"user_id"`
		}
		if err := json.Unmarshal([]byte(raw), &sc); err != nil || sc.Type == "" {
			return "", badRequest("can't parse BotCommandScope JSON object")
		}
		scope = sc.Type
		if len(sc.ChatID) > 0 {
			scope += ":" + strings.Trim(string(sc.ChatID), `"`)
		}
		if sc.UserID != 0 {
			scope += ":" + strconv.FormatInt(sc.UserID, 10)
		}
	}
	lang := p["language_code"]
	if lang != "" && len(lang) != 2 {
		return "", badRequest("invalid language code specified")
	}
	return scope + "|" + lang, nil
}

func (s *Server) setMyCommands(rq *request) (any, *apiError) {
	key, aerr := commandsKey(rq.params)
	if aerr != nil {
		return nil, aerr
	}
	var cmds []Command
	if err := json.Unmarshal([]byte(rq.params["commands"]), &cmds); err != nil {
		return nil, badRequest("can't parse commands JSON object")
	}
	if len(cmds) > 100 {
		return nil, badRequest("too many commands specified")
	}
	for _, c := range cmds {
		if !validCommand(c.Command) {
			return nil, badRequest("BOT_COMMAND_INVALID")
		}
		if d := utf16Len(c.Description); d < 1 || d > 256 {
			return nil, badRequest("command description must be non-empty")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(cmds) == 0 {
		delete(s.commands, key)
	} else {
		s.commands[key] = cmds
	}
	return true, nil
}

func validCommand(c string) bool {
	if len(c) < 1 || len(c) > 32 {
		return false
	}
	for _, r := range c {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

func (s *Server) getMyCommands(rq *request) (any, *apiError) {
	key, aerr := commandsKey(rq.params)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Command{}, s.commands[key]...), nil
}

func (s *Server) deleteMyCommands(rq *request) (any, *apiError) {
	key, aerr := commandsKey(rq.params)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.commands, key)
	return true, nil
}

// Commands returns the commands registered for the default scope and
// language code lang ("" for all languages without their own list).
func (s *Server) Commands(lang string) []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Command(nil), s.commands["default|"+lang]...)
}

// wire renders m as a Bot API Message object. Callers hold s.mu.
func (s *Server) wire(m *Message) map[string]any {
	out := map[string]any{
		"message_id": m.MessageID,
		"date":       m.Date.Unix(),
		"chat":       s.wireChat(m.ChatID),
	}
	if m.FromBot {
		out["from"] = map[string]any{"id": s.botID, "is_bot": true, "first_name": s.botFirstName, "username": s.botUsername}
	} else {
		out["from"] = wireUser(m.From)
	}
	if !m.EditDate.IsZero() {
		out["edit_date"] = m.EditDate.Unix()
	}
	if m.MediaGroupID != "" {
		out["media_group_id"] = m.MediaGroupID
	}
	if m.ReplyToMessageID != 0 {
		if ch := s.chats[m.ChatID]; ch != nil {
			if r := ch.find(m.ReplyToMessageID); r != nil {
				reply := s.wire(r)
				delete(reply, "reply_to_message") // Telegram nests one level only
				out["reply_to_message"] = reply
			}
		}
	}
	textKey, entKey := "text", "entities"
	if m.Media != nil {
		textKey, entKey = "caption", "caption_entities"
		size := 0
		if f := s.files[m.Media.FileID]; f != nil {
			size = len(f.data)
		}
		switch m.Media.Type {
		case "photo":
			out["photo"] = []any{
				map[string]any{"file_id": m.Media.FileID, "file_unique_id": m.Media.FileUniqueID, "width": 90, "height": 90, "file_size": min(size, 2000)},
				map[string]any{"file_id": m.Media.FileID, "file_unique_id": m.Media.FileUniqueID, "width": 800, "height": 800, "file_size": size},
			}
		case "voice":
			out["voice"] = map[string]any{"file_id": m.Media.FileID, "file_unique_id": m.Media.FileUniqueID,
				"duration": m.Media.Duration, "mime_type": "audio/ogg", "file_size": size}
		default:
			doc := map[string]any{"file_id": m.Media.FileID, "file_unique_id": m.Media.FileUniqueID, "file_size": size}
			if m.Media.FileName != "" {
				doc["file_name"] = m.Media.FileName
			}
			out[m.Media.Type] = doc
		}
	}
	if m.PlainText != "" {
		out[textKey] = m.PlainText
	}
	if len(m.Entities) > 0 {
		out[entKey] = m.Entities
	}
	if m.Keyboard != nil {
		rows := make([][]map[string]string, len(m.Keyboard))
		for i, row := range m.Keyboard {
			for _, b := range row {
				btn := map[string]string{"text": b.Text}
				if b.CallbackData != "" {
					btn["callback_data"] = b.CallbackData
				}
				if b.URL != "" {
					btn["url"] = b.URL
				}
				rows[i] = append(rows[i], btn)
			}
		}
		out["reply_markup"] = map[string]any{"inline_keyboard": rows}
	}
	return out
}

func wireUser(u User) map[string]any {
	out := map[string]any{"id": u.ID, "is_bot": false, "first_name": u.FirstName}
	if u.LastName != "" {
		out["last_name"] = u.LastName
	}
	if u.Username != "" {
		out["username"] = u.Username
	}
	if u.LanguageCode != "" {
		out["language_code"] = u.LanguageCode
	}
	return out
}

// wireChat renders a Chat object. Callers hold s.mu.
func (s *Server) wireChat(id int64) map[string]any {
	if id < 0 {
		typ := "group"
		if id < -1_000_000_000_000 {
			typ = "supergroup"
		}
		return map[string]any{"id": id, "type": typ, "title": fmt.Sprintf("Group %d", -id)}
	}
	out := map[string]any{"id": id, "type": "private"}
	if u, ok := s.users[id]; ok {
		out["first_name"] = u.FirstName
		if u.LastName != "" {
			out["last_name"] = u.LastName
		}
		if u.Username != "" {
			out["username"] = u.Username
		}
	}
	return out
}

// Messages returns the messages the bot sent to chatID, in order, with edits
// applied and deleted ones flagged.
func (s *Server) Messages(chatID int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.botMessages(chatID)
}

// UserMessages returns the messages the user of chatID sent to the bot
// (SendText, Reply, SendPhoto and friends), in order, each with the Date the
// fake gave it.
func (s *Server) UserMessages(chatID int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	if ch := s.chats[chatID]; ch != nil {
		for _, m := range ch.messages {
			if !m.FromBot {
				out = append(out, m.clone())
			}
		}
	}
	return out
}

func (s *Server) botMessages(chatID int64) []Message {
	var out []Message
	if ch := s.chats[chatID]; ch != nil {
		for _, m := range ch.messages {
			if m.FromBot {
				out = append(out, m.clone())
			}
		}
	}
	return out
}

// AllMessages returns every message the bot sent, to any chat, in order.
func (s *Server) AllMessages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.sent))
	for i, m := range s.sent {
		out[i] = m.clone()
	}
	return out
}

// CallbackAnswers returns the answerCallbackQuery calls that succeeded, in order.
func (s *Server) CallbackAnswers() []CallbackAnswer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]CallbackAnswer(nil), s.answers...)
}
