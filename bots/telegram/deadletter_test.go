package telegram_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/bots/telegram"
	"github.com/colombiainformatica/ticketbot/bots/telegram/telegramtest"
	"github.com/colombiainformatica/ticketbot/store"
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
	// An operator reads them with no Bot, straight from the store.
	dead, _, err := store.NewInbound(e.st).DeadLetters(ctx10(t), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].Namespace != "telegram" || dead[0].ID != strconv.Itoa(id) || dead[0].Chat != strconv.FormatInt(maria.ID, 10) ||
		dead[0].Content != "💥 esto no se guarda" ||
		!strings.Contains(string(dead[0].Raw), "esto no se guarda") || !strings.Contains(dead[0].Error, "injected failure") {
		t.Fatalf("dead letters = %+v", dead)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, `"level":"error"`) || !strings.Contains(logs, `"id":"`+strconv.Itoa(id)+`"`) || !strings.Contains(logs, "dead letter") {
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
	dead, _, err := store.NewInbound(e.st).DeadLetters(ctx10(t), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].Namespace != "telegram-album" || dead[0].ID != strconv.FormatInt(maria.ID, 10)+":album-bad" ||
		dead[0].Chat != strconv.FormatInt(maria.ID, 10) || dead[0].Content != "No se guarda [2 files]" ||
		!strings.Contains(string(dead[0].Raw), `"bad"`) || !strings.Contains(string(dead[0].Raw), `"p2"`) {
		t.Fatalf("dead letters = %+v", dead)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "given up") || !strings.Contains(logs, `"ns":"telegram-album"`) {
		t.Errorf("the album's dead letter was not logged:\n%s", logs)
	}
}

// Webhook mode gives up like polling: an update that keeps failing is
// answered 500 (Telegram sends it again) until its attempts are spent,
// then kept as an inbound dead letter, its customer told, and answered 200.
func TestWebhookGivesUpAFailingUpdate(t *testing.T) {
	e := newEnv(t, withFailingMessages(func(m *tickets.Message) bool { return strings.Contains(m.Text, "💥") }))
	e.start()
	e.acceptTerms(maria)
	e.open(maria, "Falla", "Alta", "Pantalla rota")
	e.stop()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	cfg := e.cfg
	cfg.WebhookURL, cfg.WebhookSecret, cfg.MaxAttempts = srv.URL+telegram.WebhookPath, "s3cret_value", 3
	b := e.newBot(cfg)
	b.Routes(mux)
	e.stop = e.run(b)
	update := fmt.Sprintf(`{"update_id":900,"message":{"message_id":50,"date":1,"chat":{"id":%d,"type":"private"},"from":{"id":%d,"is_bot":false,"first_name":"María"},"text":"💥 no se guarda"}}`, maria.ID, maria.ID)
	post := func() int {
		req, _ := http.NewRequest("POST", srv.URL+telegram.WebhookPath, strings.NewReader(update))
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "s3cret_value")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i, want := range []int{500, 500, 200, 200} { // the last: a redelivery of a done update
		if got := post(); got != want {
			t.Fatalf("delivery %d answered %d, want %d", i+1, got, want)
		}
	}
	e.expect(maria, "No pudimos guardar su último mensaje")
	dead, _, err := store.NewInbound(e.st).DeadLetters(ctx10(t), 0, 10)
	if err != nil || len(dead) != 1 || dead[0].ID != "900" || !strings.Contains(dead[0].Error, "injected failure") {
		t.Fatalf("dead letters = %+v, %v", dead, err)
	}
	if n := e.countMessages(maria, "No pudimos guardar"); n != 1 {
		t.Errorf("told %d times, want once", n)
	}
}
