package telegramtest

import (
	"fmt"
)

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
