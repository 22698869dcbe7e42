package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// downState is a State whose backend is unreachable.
type downState struct{}

var errDown = errors.New("connection refused")

func (downState) Value(context.Context, string) (string, bool, error) { return "", false, errDown }
func (downState) SetValue(context.Context, string, string, time.Duration) error {
	return errDown
}
func (downState) SetValueNX(context.Context, string, string, time.Duration) (bool, error) {
	return false, errDown
}
func (downState) DeleteValue(context.Context, string) error { return errDown }
func (downState) Lease(context.Context, string, string, time.Duration) (bool, error) {
	return false, errDown
}
func (downState) ReleaseLease(context.Context, string, string) error { return errDown }
func (downState) Incr(context.Context, string, time.Duration) (int64, error) {
	return 0, errDown
}

// While State is down an update is never skipped, however often it
// failed: it waits, unconfirmed, for Redis to come back.
func TestUpdatesAreNotSkippedWhileStateIsDown(t *testing.T) {
	b := &Bot{cfg: Config{UpdateTimeout: time.Second, Workers: 1}, state: downState{}, log: zerolog.Nop()}
	raw := json.RawMessage(`{"update_id":7,"message":{"message_id":1,"date":1,"chat":{"id":5,"type":"private"},"from":{"id":5,"is_bot":false,"first_name":"A"},"text":"hola"}}`)
	attempts := map[int]int{7: maxAttempts + 3}
	next, failed := b.process(context.Background(), []json.RawMessage{raw}, 7, attempts)
	if next != 7 || !failed {
		t.Errorf("process = %d, %v; want the update kept (7, true)", next, failed)
	}
}
