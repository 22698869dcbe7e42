package demo

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/colombiainformatica/ticketbot/bots/telegram/telegramtest"
	"github.com/colombiainformatica/ticketbot/internal/measure"
)

// maxText caps what the page sends as one message or command, in runes.
const maxText = 10000

// chatMessage is one bubble of the customer pane.
type chatMessage struct {
	ID       int                     `json:"id"` // Telegram message_id, shared by both sides
	FromBot  bool                    `json:"fromBot"`
	Text     string                  `json:"text"`     // plain text, markup removed
	Entities []telegramtest.Entity   `json:"entities"` // formatting of Text, UTF-16 offsets
	Keyboard [][]telegramtest.Button `json:"keyboard,omitempty"`
	Media    *chatMedia              `json:"media,omitempty"`
	ReplyTo  int                     `json:"replyTo,omitempty"`
	Date     time.Time               `json:"date,omitzero"`
	Edited   bool                    `json:"edited,omitempty"`
	Deleted  bool                    `json:"deleted,omitempty"`
}

type chatMedia struct {
	Type string `json:"type"`
	Name string `json:"name,omitempty"`
}

// chatSnapshot is the customer pane.
type chatSnapshot struct {
	Customer customerInfo  `json:"customer"`
	Bot      string        `json:"bot"`
	Messages []chatMessage `json:"messages"`
	Typing   bool          `json:"typing,omitempty"`
}

type customerInfo struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Language string `json:"language"`
}

func (s *Server) customerInfo() customerInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.customer
	return customerInfo{ID: c.ID, Name: strings.TrimSpace(c.FirstName + " " + c.LastName), Language: c.LanguageCode}
}

// chat merges the bot's messages, read from the fake, with what the
// customer sent through the page. Message IDs are shared by both sides of a
// private chat and increase by one per message, so the IDs the bot's
// messages do not take belong to the customer's, in the order they were
// sent. A customer's message has the date the fake gave it when it was
// sent.
func (s *Server) chat() chatSnapshot {
	info := s.customerInfo()
	bot := s.tg.Messages(info.ID)
	s.mu.Lock()
	sent := slices.Clone(s.sent)
	s.mu.Unlock()
	// Read after sent: every message in sent is already in the fake, as
	// the handlers append and send under s.mu.
	dates := make(map[int]time.Time)
	for _, m := range s.tg.UserMessages(info.ID) {
		dates[m.MessageID] = m.Date
	}

	taken := make(map[int]bool, len(bot))
	out := make([]chatMessage, 0, len(bot)+len(sent))
	for _, m := range bot {
		taken[m.MessageID] = true
		cm := chatMessage{
			ID: m.MessageID, FromBot: true, Text: m.PlainText, Entities: m.Entities,
			Keyboard: m.Keyboard, ReplyTo: m.ReplyToMessageID, Date: m.Date,
			Edited: m.EditCount > 0, Deleted: m.Deleted,
		}
		if m.Media != nil {
			cm.Media = &chatMedia{Type: m.Media.Type, Name: m.Media.FileName}
		}
		out = append(out, cm)
	}
	id := 0
	for _, u := range sent {
		id++
		for taken[id] {
			id++
		}
		cm := chatMessage{ID: id, Text: u.Text, ReplyTo: u.ReplyTo, Date: dates[id]}
		if strings.HasPrefix(u.Text, "/") {
			cmd, _, _ := strings.Cut(u.Text, " ")
			cm.Entities = []telegramtest.Entity{{Type: "bot_command", Length: measure.UTF16(cmd)}}
		}
		if u.Media != nil {
			cm.Media = &chatMedia{Type: u.Media.Type, Name: u.Media.FileName}
		}
		out = append(out, cm)
	}
	slices.SortStableFunc(out, func(a, b chatMessage) int { return a.ID - b.ID })
	return chatSnapshot{Customer: info, Bot: "ticketbot", Messages: out}
}

func (s *Server) handleTelegram(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.chat())
}

// handleTelegramSend has the customer send a message or a command, as a
// reply when replyTo is set.
func (s *Server) handleTelegramSend(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Text    string `json:"text"`
		ReplyTo int    `json:"replyTo"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	text := strings.TrimSpace(in.Text)
	if text == "" || utf8.RuneCountInString(text) > maxText {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("a message has 1 to %d characters", maxText))
		return
	}
	s.mu.Lock()
	from := s.customer
	s.sent = append(s.sent, userMessage{Text: text, ReplyTo: in.ReplyTo, Language: from.LanguageCode})
	var update int
	if in.ReplyTo > 0 {
		update = s.tg.Reply(from, in.ReplyTo, text)
	} else {
		update = s.tg.SendText(from, text)
	}
	s.mu.Unlock()
	s.notify("telegram")
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "update_id": update})
}

// handleTelegramPress has the customer press an inline button.
func (s *Server) handleTelegramPress(w http.ResponseWriter, r *http.Request) {
	var in struct {
		MessageID int    `json:"messageId"`
		Data      string `json:"data"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	if in.MessageID <= 0 || in.Data == "" || len(in.Data) > 64 {
		writeError(w, http.StatusBadRequest, "a button press needs messageId and data (1 to 64 bytes)")
		return
	}
	s.mu.Lock()
	from := s.customer
	s.mu.Unlock()
	update := s.tg.PressButton(from, in.MessageID, in.Data)
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "update_id": update})
}

// handleTelegramFile has the customer send a file. Only its name travels:
// the fake registers a file ID for it, as Telegram keeps the file and the
// bot only ever stores the reference.
func (s *Server) handleTelegramFile(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name    string `json:"name"`
		Kind    string `json:"kind"` // "photo" or "document"
		Caption string `json:"caption"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > 255 || utf8.RuneCountInString(in.Caption) > 1024 {
		writeError(w, http.StatusBadRequest, "a file needs a name (up to 255 bytes) and a caption of up to 1024 characters")
		return
	}
	s.mu.Lock()
	from := s.customer
	s.files++
	fileID := fmt.Sprintf("DEMO-%d-%d", from.ID, s.files)
	var media *telegramtest.Media
	var update int
	switch in.Kind {
	case "photo":
		media = &telegramtest.Media{Type: "photo", FileID: fileID, FileName: name}
		update = s.tg.SendPhoto(from, fileID, in.Caption, "")
	case "document", "":
		media = &telegramtest.Media{Type: "document", FileID: fileID, FileName: name}
		update = s.tg.SendDocument(from, fileID, name, in.Caption)
	default:
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, "kind is photo or document")
		return
	}
	s.sent = append(s.sent, userMessage{Text: in.Caption, Media: media, Language: from.LanguageCode})
	s.mu.Unlock()
	s.notify("telegram")
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "update_id": update, "file_id": fileID})
}

// handleTelegramLanguage switches the language of the customer's Telegram
// app: later updates carry it as from.language_code.
func (s *Server) handleTelegramLanguage(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Language string `json:"language"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	if in.Language != "es" && in.Language != "en" {
		writeError(w, http.StatusBadRequest, "language is es or en")
		return
	}
	s.mu.Lock()
	s.customer.LanguageCode = in.Language
	s.mu.Unlock()
	s.notify("telegram")
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}
