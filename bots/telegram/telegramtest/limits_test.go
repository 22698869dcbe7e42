package telegramtest

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// keyboardOf is an inline keyboard of rows rows of perRow callback buttons.
func keyboardOf(rows, perRow int, data string) tgbotapi.InlineKeyboardMarkup {
	var kb tgbotapi.InlineKeyboardMarkup
	for r := range rows {
		var row []tgbotapi.InlineKeyboardButton
		for c := range perRow {
			row = append(row, tgbotapi.NewInlineKeyboardButtonData(strconv.Itoa(r*perRow+c), data))
		}
		kb.InlineKeyboard = append(kb.InlineKeyboard, row)
	}
	return kb
}

// Each documented limit, through the real client: the largest value
// passes, one more is answered as Telegram answers it.
func TestDocumentedLimits(t *testing.T) {
	s := newServer(t)
	bot := newBot(t, s)
	withKeyboard := func(kb tgbotapi.InlineKeyboardMarkup) error {
		m := tgbotapi.NewMessage(alice.ID, "pick")
		m.ReplyMarkup = kb
		_, err := bot.Send(m)
		return err
	}
	t.Run("callback_data 1-64 bytes", func(t *testing.T) {
		if err := withKeyboard(keyboardOf(1, 1, strings.Repeat("ñ", 32))); err != nil {
			t.Errorf("64 bytes: %v", err)
		}
		apiErr(t, withKeyboard(keyboardOf(1, 1, strings.Repeat("ñ", 32)+"x")), 400, "Bad Request: BUTTON_DATA_INVALID")
		apiErr(t, withKeyboard(keyboardOf(1, 1, "")), 400, "Bad Request: BUTTON_DATA_INVALID")
	})
	t.Run("inline keyboard size", func(t *testing.T) {
		if err := withKeyboard(keyboardOf(12, 8, "d")); err != nil {
			t.Errorf("12 rows of 8: %v", err)
		}
		if err := withKeyboard(keyboardOf(100, 1, "d")); err != nil {
			t.Errorf("100 buttons: %v", err)
		}
		apiErr(t, withKeyboard(keyboardOf(101, 1, "d")), 400, "Bad Request: reply markup is too long")
		apiErr(t, withKeyboard(keyboardOf(1, 9, "d")), 400, "Bad Request: reply markup is too long")
		// 90 buttons of 64-byte data and long labels: over 10 kB of markup.
		big := keyboardOf(90, 1, strings.Repeat("d", 64))
		for i := range big.InlineKeyboard {
			big.InlineKeyboard[i][0].Text = strings.Repeat("L", 60)
		}
		if raw, _ := json.Marshal(big); len(raw) <= MaxKeyboardBytes {
			t.Fatalf("test keyboard of %d bytes", len(raw))
		}
		apiErr(t, withKeyboard(big), 400, "Bad Request: reply markup is too long")
	})
	t.Run("caption 0-1024", func(t *testing.T) {
		s.SendPhoto(alice, "photo-limits", "", "")
		p := tgbotapi.NewPhoto(alice.ID, tgbotapi.FileID("photo-limits"))
		p.Caption = strings.Repeat("c", 1024)
		if _, err := bot.Send(p); err != nil {
			t.Errorf("1024: %v", err)
		}
		p.Caption += "c"
		_, err := bot.Send(p)
		apiErr(t, err, 400, "Bad Request: message caption is too long")
	})
	t.Run("media group 2-10", func(t *testing.T) {
		s.SendPhoto(alice, "photo-group", "", "")
		items := func(n int) []any {
			var out []any
			for range n {
				out = append(out, tgbotapi.NewInputMediaPhoto(tgbotapi.FileID("photo-group")))
			}
			return out
		}
		if _, err := bot.SendMediaGroup(tgbotapi.NewMediaGroup(alice.ID, items(10))); err != nil {
			t.Errorf("10 items: %v", err)
		}
		for _, n := range []int{1, 11} {
			_, err := bot.SendMediaGroup(tgbotapi.NewMediaGroup(alice.ID, items(n)))
			apiErr(t, err, 400, "Bad Request: wrong number of media in the group")
		}
	})
	t.Run("callback answer 0-200", func(t *testing.T) {
		sent, err := bot.Send(func() tgbotapi.MessageConfig {
			m := tgbotapi.NewMessage(alice.ID, "press")
			m.ReplyMarkup = keyboardOf(1, 1, "press")
			return m
		}())
		if err != nil {
			t.Fatal(err)
		}
		s.PressButton(alice, sent.MessageID, "press")
		var q string
		s.mu.Lock()
		for id := range s.queries {
			q = id
		}
		s.mu.Unlock()
		_, err = bot.Request(tgbotapi.NewCallback(q, strings.Repeat("é", 201)))
		apiErr(t, err, 400, "Bad Request: MESSAGE_TOO_LONG")
		if _, err := bot.Request(tgbotapi.NewCallback(q, strings.Repeat("é", 200))); err != nil {
			t.Errorf("200 characters: %v", err)
		}
	})
	t.Run("exported checks", func(t *testing.T) {
		var e *APIError
		if err := ValidateText(strings.Repeat("a", 4097), ""); !errors.As(err, &e) || e.Description != "Bad Request: message is too long" {
			t.Errorf("ValidateText: %v", err)
		}
		if err := ValidateText("<b>"+strings.Repeat("&amp;", 4096)+"</b>", "HTML"); err != nil {
			t.Errorf("ValidateText counts after parsing: %v", err)
		}
		if err := ValidateCaption(strings.Repeat("a", 1025), ""); !errors.As(err, &e) || e.Code != 400 {
			t.Errorf("ValidateCaption: %v", err)
		}
		if err := ValidateCallbackAnswer(strings.Repeat("a", 201)); !errors.As(err, &e) || e.Description != "Bad Request: MESSAGE_TOO_LONG" {
			t.Errorf("ValidateCallbackAnswer: %v", err)
		}
		raw, _ := json.Marshal(keyboardOf(101, 1, "d"))
		if err := ValidateReplyMarkup(string(raw)); !errors.As(err, &e) || e.Description != "Bad Request: reply markup is too long" {
			t.Errorf("ValidateReplyMarkup: %v", err)
		}
	})
}
