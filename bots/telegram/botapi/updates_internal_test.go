package botapi

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/rs/zerolog"
)

// An update whose handling fails is never confirmed, however often it
// failed (when Redis is down every update fails): it waits, unconfirmed,
// and its chat's later updates with it; other chats go on.
func TestFailedUpdatesAreNotConfirmed(t *testing.T) {
	down := errors.New("connection refused")
	var handled []int
	p := &Poller{Log: zerolog.Nop(), Workers: 1, Handle: func(_ context.Context, u tgbotapi.Update, _ json.RawMessage) error {
		handled = append(handled, u.UpdateID)
		if u.Message.Chat.ID == 5 {
			return down
		}
		return nil
	}}
	raws := []json.RawMessage{
		json.RawMessage(`{"update_id":7,"message":{"message_id":1,"date":1,"chat":{"id":5,"type":"private"},"text":"hola"}}`),
		json.RawMessage(`{"update_id":8,"message":{"message_id":2,"date":1,"chat":{"id":5,"type":"private"},"text":"otra"}}`),
		json.RawMessage(`{"update_id":9,"message":{"message_id":1,"date":1,"chat":{"id":6,"type":"private"},"text":"ok"}}`),
		json.RawMessage(`{"update_id":`),
	}
	for range 3 {
		handled = nil
		next, failed := p.process(context.Background(), raws, 7)
		if next != 7 || !failed {
			t.Errorf("process = %d, %v; want the failed update kept (7, true)", next, failed)
		}
		if len(handled) != 2 || handled[0] == 8 || handled[1] == 8 {
			t.Errorf("handled %v; want 7 and 9, and 8 waiting behind 7", handled)
		}
	}
}
