package telegram_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/bots/telegram"
	"github.com/colombiainformatica/ticketbot/bots/telegram/telegramtest"
	"github.com/colombiainformatica/ticketbot/tickets"
)

func fastRetries(c *telegram.Config) { c.RetryWait = 5 * time.Millisecond }

// An update the Service keeps failing on is not dropped silently: after
// its tries it is kept as an inbound dead letter, logged at error level,
// and the customer is asked to send it again; the chat goes on.
func TestFailingUpdateBecomesADeadLetter(t *testing.T) {
	e := newEnv(t, withConfig(fastRetries), withFailingMessages(func(m *tickets.Message) bool {
		return strings.Contains(m.Text, "💥")
	}))
	e.start()
	e.acceptTerms(maria)
	e.open(maria, "Falla", "Alta", "Pantalla rota")
	id := e.fake.SendText(maria, "💥 esto no se guarda")
	e.expect(maria, "No pudimos guardar su último mensaje. Por favor, envíelo de nuevo.")
	e.fake.SendText(maria, "esto sí")
	e.expect(maria, "Mensaje añadido al ticket #1")

	if c := e.conversation(1); len(c) != 1 || c[0].Text != "esto sí" {
		t.Errorf("conversation = %+v", c)
	}
	dead, err := e.bot.DeadLetters(ctx10(t), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].Key != "u"+strconv.Itoa(id) || dead[0].UpdateID != id || dead[0].Chat != maria.ID ||
		!strings.Contains(string(dead[0].Raw), "esto no se guarda") || !strings.Contains(dead[0].Error, "injected failure") {
		t.Fatalf("dead letters = %+v", dead)
	}
	// An operator reads them with no Bot, straight from the store.
	listed, err := telegram.DeadLetters(ctx10(t), e.st, 10)
	if err != nil || len(listed) != 1 || listed[0].Key != dead[0].Key {
		t.Fatalf("DeadLetters from the store = %+v, %v", listed, err)
	}
	var table strings.Builder
	if err := telegram.PrintDeadLetters(&table, listed); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"u" + strconv.Itoa(id), strconv.FormatInt(maria.ID, 10), "injected failure", "esto no se guarda", "1 inbound dead letters"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("printed dead letters lack %q:\n%s", want, table.String())
		}
	}
	logs := e.logs.String()
	if !strings.Contains(logs, `"level":"error"`) || !strings.Contains(logs, `"update_id":`+strconv.Itoa(id)) || !strings.Contains(logs, "dead letter") {
		t.Errorf("the dead letter was not logged at error level with its update_id:\n%s", logs)
	}
}

// hasMessages reports whether user's chat shows a message containing each
// of wants, in any order.
func (e *env) hasMessages(user telegramtest.User, wants ...string) bool {
	for _, want := range wants {
		found := false
		for _, m := range e.fake.Messages(user.ID) {
			found = found || strings.Contains(m.PlainText, want)
		}
		if !found {
			return false
		}
	}
	return true
}

// An album whose flush keeps failing does not hold up the other albums,
// and is not lost: after its tries it is kept as an inbound dead letter
// and the customer is asked to send it again.
func TestFailingAlbumBecomesADeadLetter(t *testing.T) {
	e := newEnv(t, withFailingMessages(func(m *tickets.Message) bool {
		return len(m.Attachments) > 0 && m.Attachments[0].FileID == "bad"
	}))
	e.start()
	e.acceptTerms(maria)
	e.open(maria, "Falla", "Alta", "Pantalla rota")
	e.fake.SendPhoto(maria, "bad", "No se guarda", "album-bad")
	e.fake.SendPhoto(maria, "p2", "", "album-bad")
	e.fake.SendPhoto(maria, "p3", "Estas sí", "album-ok")
	e.fake.SendPhoto(maria, "p4", "", "album-ok")
	waitFor(t, func() bool {
		return e.hasMessages(maria, "Mensaje añadido al ticket #1", "No pudimos guardar las fotos o archivos que envió juntos")
	})
	if c := e.conversation(1); len(c) != 1 || c[0].Text != "Estas sí" || fileIDs(c[0]) != "p3,p4" {
		t.Errorf("conversation = %+v", c)
	}
	dead, err := e.bot.DeadLetters(ctx10(t), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].Key != "aalbum-bad" || dead[0].Album != "album-bad" || dead[0].Chat != maria.ID ||
		!strings.Contains(string(dead[0].Raw), `"bad"`) || !strings.Contains(string(dead[0].Raw), `"p2"`) {
		t.Fatalf("dead letters = %+v", dead)
	}
	var table strings.Builder
	if err := telegram.PrintDeadLetters(&table, dead); err != nil || !strings.Contains(table.String(), "No se guarda [2 files]") {
		t.Errorf("printed album dead letter (%v):\n%s", err, table.String())
	}
	if logs := e.logs.String(); !strings.Contains(logs, "album given up") || !strings.Contains(logs, `"media_group_id":"album-bad"`) {
		t.Errorf("the album's dead letter was not logged:\n%s", logs)
	}
}
