package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/colombiainformatica/ticketbot/bots/inbound"
)

// downMarks are inbound marks whose backend is unreachable.
type downMarks struct{}

var errDown = errors.New("connection refused")

func (downMarks) Begin(context.Context, string, string, string, time.Duration) (inbound.State, inbound.Mark, error) {
	return 0, inbound.Mark{}, errDown
}
func (downMarks) Renew(context.Context, inbound.Mark, time.Duration) (bool, error) {
	return false, errDown
}
func (downMarks) Done(context.Context, inbound.Mark, time.Duration) error         { return errDown }
func (downMarks) Fail(context.Context, inbound.Mark, string, time.Duration) error { return errDown }
func (downMarks) Release(context.Context, inbound.Mark, time.Duration) error      { return errDown }
func (downMarks) GiveUp(context.Context, inbound.Mark, inbound.DeadLetter, time.Duration) error {
	return errDown
}

// While the marks' store is down an update is never skipped, however often
// it failed: it waits, unconfirmed, for Redis to come back.
func TestUpdatesAreNotSkippedWhileStateIsDown(t *testing.T) {
	b := &Bot{cfg: Config{UpdateTimeout: time.Second, Workers: 1}, log: zerolog.Nop(),
		inbound: inbound.NewProcessor(downMarks{}, inbound.Options{MaxAttempts: 1})}
	raw := json.RawMessage(`{"update_id":7,"message":{"message_id":1,"date":1,"chat":{"id":5,"type":"private"},"from":{"id":5,"is_bot":false,"first_name":"A"},"text":"hola"}}`)
	for range 3 {
		next, failed := b.process(context.Background(), []json.RawMessage{raw}, 7)
		if next != 7 || !failed {
			t.Errorf("process = %d, %v; want the update kept (7, true)", next, failed)
		}
	}
}
