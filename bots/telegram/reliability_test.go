package telegram_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf16"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/bots/inbound"
	"github.com/colombiainformatica/ticketbot/bots/telegram"
	"github.com/colombiainformatica/ticketbot/bots/telegram/telegramtest"
	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

func TestRestartInTheMiddleOfTheForm(t *testing.T) {
	e := newEnv(t)
	e.start()
	e.acceptTerms(maria)
	e.fake.SendCommand(maria, "new", "")
	m := e.expect(maria, "naturaleza")
	e.press(maria, m, "Acceso")
	urgency := e.edited(maria, m, "urgente")
	e.fake.SendDocument(maria, "doc-1", "log.txt", "")
	e.expect(maria, "Elija una opción")
	e.stop()

	// Another process, same Redis: the form goes on where it was.
	e.stop = e.run(e.newBot(e.cfg))
	e.press(maria, urgency, "Normal")
	e.edited(maria, urgency, "Describa el problema")
	e.fake.SendText(maria, "No puedo entrar al portal")
	e.expect(maria, "Ticket #1 creado")
	tk := e.ticket(1)
	if tk.Nature != tickets.NatureAccess || tk.Urgency != tickets.UrgencyNormal || len(tk.Attachments) != 1 || tk.Attachments[0].Name != "log.txt" {
		t.Errorf("ticket = %+v", tk)
	}

	// /cancel drops a form.
	e.fake.SendCommand(maria, "new", "")
	e.expect(maria, "naturaleza")
	e.fake.SendCommand(maria, "cancel", "")
	e.expect(maria, "Formulario cancelado")
	e.fake.SendCommand(maria, "cancel", "")
	e.expect(maria, "No hay nada que cancelar")
}

func TestDuplicateAndOutOfOrderUpdates(t *testing.T) {
	e := newEnv(t)
	e.fake.DuplicateUpdates(true) // every confirmed update comes once more
	e.start()
	e.acceptTerms(maria)
	e.open(maria, "Falla", "Alta", "La impresora no imprime")

	// Two messages arrive in one batch in the wrong order: they are
	// handled in update_id order.
	e.stop()
	base := 1000
	for _, id := range []int{base + 2, base + 1} {
		raw := fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"date":1,"chat":{"id":%d,"type":"private"},"from":{"id":%d,"is_bot":false,"first_name":"María","language_code":"es"},"text":"mensaje %d"}}`,
			id, id, maria.ID, maria.ID, id-base)
		if _, err := e.fake.PushUpdate([]byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	e.stop = e.run(e.newBot(e.cfg))
	e.expect(maria, "Mensaje añadido al ticket #1")
	e.expect(maria, "Mensaje añadido al ticket #1")

	// The same update handed in twice (a webhook retry) counts once.
	u := textUpdate(maria, 5000, "mensaje 3")
	for range 2 {
		if err := e.bot.HandleUpdate(context.Background(), u); err != nil {
			t.Fatal(err)
		}
	}
	e.expect(maria, "Mensaje añadido al ticket #1")

	ts, err := e.svc.CustomerTickets(ctx10(t), tickets.SystemActor, "telegram:1001", 0, 10)
	if err != nil || len(ts) != 1 {
		t.Fatalf("tickets = %d, %v; want exactly one", len(ts), err)
	}
	var texts []string
	for _, m := range e.conversation(1) {
		texts = append(texts, m.Text)
	}
	if got := strings.Join(texts, "|"); got != "mensaje 1|mensaje 2|mensaje 3" {
		t.Errorf("conversation = %s", got)
	}
	// Every bot answer was sent once.
	seen := map[string]int{}
	for _, m := range e.fake.Messages(maria.ID) {
		if m.FromBot {
			seen[m.PlainText]++
		}
	}
	if n := seen["Mensaje añadido al ticket #1."]; n != 3 {
		t.Errorf("confirmations = %d, want 3", n)
	}
	for text, n := range seen {
		if n > 1 && !strings.HasPrefix(text, "Mensaje añadido") {
			t.Errorf("sent %d times: %q", n, text)
		}
	}
}

func TestMalformedUpdateIsSkipped(t *testing.T) {
	e := newEnv(t)
	if _, err := e.fake.PushUpdate([]byte(`{"message":{"message_id":"not a number","chat":7}}`)); err != nil {
		t.Fatal(err)
	}
	e.start()
	e.fake.SendCommand(maria, "help", "")
	m := e.expect(maria, "Ayuda")
	if !strings.Contains(m.PlainText, "soporte@example.com") {
		t.Errorf("help = %q", m.PlainText)
	}
	if !strings.Contains(e.logs.String(), "malformed update skipped") {
		t.Errorf("the malformed update was not logged:\n%s", e.logs.String())
	}
}

func TestUnknownCommandGetsHelp(t *testing.T) {
	e := newEnv(t)
	e.start()
	e.fake.SendCommand(john, "frobnicate", "")
	m := e.expect(john, "I don't know that command")
	for _, want := range []string{"/new", "/status N", "soporte@example.com", "customer care"} {
		if !strings.Contains(m.PlainText, want) {
			t.Errorf("help %q lacks %q", m.PlainText, want)
		}
	}
}

func TestEscapingAndLongText(t *testing.T) {
	e := newEnv(t)
	e.start()
	e.acceptTerms(maria)
	raw := `<b>no</b> *negrita* _x_ [link](http://evil) & <a href="x">@channel</a>`
	m := e.open(maria, "Pregunta", "Baja", raw)
	if tk := e.ticket(1); tk.Description != raw {
		t.Errorf("stored %q, want raw %q", tk.Description, raw)
	}
	_ = m

	var words []string
	for i := range 1500 {
		words = append(words, fmt.Sprintf("pal%d<é>", i))
	}
	long := strings.Join(words, " ") // about 13,000 characters: too long for the core
	e.fake.SendText(maria, long)
	e.expect(maria, "demasiado largo")
	long = strings.Join(words[:1000], " ") // about 8,800 characters
	e.fake.SendText(maria, long)
	e.expect(maria, "Mensaje añadido al ticket #1")
	if c := e.conversation(1); len(c) != 1 || c[0].Text != long {
		t.Fatalf("stored message differs from what was sent")
	}

	e.fake.SendCommand(maria, "status", "1")
	first := e.expect(maria, "Ticket #1")
	e.expect(maria, words[999])
	all := e.fake.Messages(maria.ID)
	var shown strings.Builder
	for _, msg := range all {
		if msg.FromBot && msg.MessageID >= first.MessageID {
			if n := len(utf16.Encode([]rune(msg.PlainText))); n > 4096 {
				t.Errorf("message of %d UTF-16 units", n)
			}
			shown.WriteString(msg.PlainText + " ")
		}
	}
	if !strings.Contains(first.PlainText, `— <b>no</b> *negrita* _x_ [link](http://evil) & <a…`) {
		t.Errorf("status does not show the subject as typed: %q", first.PlainText)
	}
	// Every word is shown whole, in order, across the parts.
	got := strings.Fields(shown.String())
	j := 0
	for _, w := range got {
		if j < 1000 && w == words[j] {
			j++
		}
	}
	if j != 1000 {
		t.Errorf("only %d of 1000 words shown whole and in order", j)
	}
}

func TestFloodLimit(t *testing.T) {
	e := newEnv(t, withConfig(func(c *telegram.Config) { c.FloodLimit = 9 }))
	e.start()
	e.acceptTerms(maria)                         // 2 updates
	e.open(maria, "Falla", "Alta", "Algo falla") // 4 updates
	// The rest goes through HandleUpdate directly, so that the test knows
	// when each update is done.
	for i := range 6 {
		if err := e.bot.HandleUpdate(context.Background(), textUpdate(maria, 2000+i, fmt.Sprintf("extra %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	e.expect(maria, "demasiados mensajes")
	c := e.conversation(1)
	if len(c) != 3 || c[0].Text != "extra 0" || c[2].Text != "extra 2" {
		t.Errorf("accepted messages = %d, want the 3 under the limit", len(c))
	}
	n := 0
	for _, m := range e.fake.Messages(maria.ID) {
		if strings.Contains(m.PlainText, "demasiados mensajes") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("flood warnings = %d, want 1 per window", n)
	}
}

func TestAlbumBecomesOneMessage(t *testing.T) {
	e := newEnv(t)
	e.start()
	e.acceptTerms(maria)
	e.open(maria, "Falla", "Alta", "Pantalla rota")
	e.fake.SendPhoto(maria, "p1", "Fotos del daño", "album-1")
	e.fake.SendPhoto(maria, "p2", "", "album-1")
	e.fake.SendPhoto(maria, "p3", "", "album-1")
	e.expect(maria, "Mensaje añadido al ticket #1")
	c := e.conversation(1)
	if len(c) != 1 || c[0].Text != "Fotos del daño" || len(c[0].Attachments) != 3 {
		t.Fatalf("conversation = %+v, want one message with 3 photos", c)
	}

	// An album whose bot stops before the flush is flushed by the next
	// one.
	e.stop()
	e.stop = e.run(e.newBot(e.cfg))
	e.fake.SendPhoto(maria, "p4", "Segunda tanda", "album-2")
	e.fake.SendPhoto(maria, "p5", "", "album-2")
	e.expect(maria, "Mensaje añadido al ticket #1")
	if c := e.conversation(1); len(c) != 2 || len(c[1].Attachments) != 2 {
		t.Errorf("conversation = %+v", c)
	}
}

func TestBlockedCustomerIsFlagged(t *testing.T) {
	e := newEnv(t)
	e.start()
	e.acceptTerms(maria)
	e.open(maria, "Falla", "Alta", "Algo falla")
	ctx := ctx10(t)
	if _, err := e.svc.Claim(ctx, ana, 1, false); err != nil {
		t.Fatal(err)
	}
	e.pump()
	e.fake.Block(maria.ID)
	if _, _, err := e.svc.AddMessage(ctx, ana, 1, tickets.MessageInput{Kind: tickets.MessageReply, Text: "hola"}); err != nil {
		t.Fatal(err)
	}
	evs, err := e.st.Events(ctx, e.lastEvent, 10)
	if err != nil || len(evs) != 1 {
		t.Fatalf("events = %v, %v", evs, err)
	}
	msgs, err := e.bot.Plan(ctx, evs[0])
	if err != nil || len(msgs) != 1 {
		t.Fatalf("plan = %v, %v", msgs, err)
	}
	err = e.bot.Send(ctx, msgs[0])
	p, ok := delivery.IsPermanent(err)
	if !ok || p.Reason != "blocked" {
		t.Fatalf("send to a blocked chat = %v, want permanent blocked", err)
	}
	if err := e.bot.Failed(ctx, msgs[0], p.Reason); err != nil {
		t.Fatal(err)
	}
	if tk := e.ticket(1); tk.Unreachable != "blocked" {
		t.Errorf("unreachable = %q", tk.Unreachable)
	}
	// The customer's own updates go on without retrying forever.
	e.fake.SendCommand(maria, "help", "")
	e.fake.SendCommand(pedro, "help", "")
	e.expect(pedro, "Ayuda")

	e.fake.Unblock(maria.ID)
	e.fake.DeleteChat(maria.ID)
	if _, ok := delivery.IsPermanent(e.bot.Send(ctx, msgs[0])); !ok {
		t.Errorf("deleted chat: want a permanent error")
	}
	e.fake.SendCommand(maria, "help", "") // the chat comes back
	e.expect(maria, "Ayuda")              // its answer must not take the faults below
	e.fake.RateLimitNext("sendMessage", 1, 7)
	err = e.bot.Send(ctx, msgs[0])
	if ra, ok := delivery.IsRetryAfter(err); !ok || ra.After != 7*time.Second {
		t.Errorf("429: %v", err)
	}
	e.fake.FailNext("sendMessage", 1, 502, "")
	err = e.bot.Send(ctx, msgs[0])
	if _, ok := delivery.IsPermanent(err); ok || err == nil {
		t.Errorf("502: %v, want a transient error", err)
	}
	if err != nil && strings.Contains(err.Error(), testToken) {
		t.Errorf("error shows the token: %v", err)
	}
}

func TestWebhook(t *testing.T) {
	e := newEnv(t)
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	cfg := e.cfg
	cfg.WebhookURL = srv.URL + telegram.WebhookPath
	cfg.WebhookSecret = "s3cret_value"
	b := e.newBot(cfg)
	b.Routes(mux)
	e.stop = e.run(b)
	// Run registers the webhook with its secret.
	ctx := ctx10(t)
	waitFor(t, func() bool { return e.fake.Webhook().URL != "" })
	if w := e.fake.Webhook(); w.SecretToken != "s3cret_value" || w.URL != cfg.WebhookURL {
		t.Errorf("webhook = %+v", w)
	}

	update := fmt.Sprintf(`{"update_id":77,"message":{"message_id":1,"date":1,"chat":{"id":%d,"type":"private"},"from":{"id":%d,"is_bot":false,"first_name":"Pedro"},"text":"/new","entities":[{"type":"bot_command","offset":0,"length":4}]}}`, pedro.ID, pedro.ID)
	post := func(secret, body string) int {
		req, _ := http.NewRequest("POST", srv.URL+telegram.WebhookPath, bytes.NewBufferString(body))
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, secret := range []string{"", "wrong", "s3cret_valuE", "s3cret_value2"} {
		if code := post(secret, update); code != http.StatusUnauthorized {
			t.Errorf("secret %q: %d, want 401", secret, code)
		}
	}
	if msgs := e.fake.Messages(pedro.ID); len(msgs) != 0 {
		t.Errorf("a forged update was handled: %v", msgs)
	}
	if s, _, _ := store.NewInbound(e.st).Begin(ctx, "telegram", "77", "probe", time.Millisecond); s != inbound.New {
		t.Errorf("a forged update left its mark: %v", s)
	}
	if code := post("s3cret_value", `{"update_id": 78, "message": `); code != http.StatusBadRequest {
		t.Errorf("malformed: %d, want 400", code)
	}
	if code := post("s3cret_value", `{"update_id":79,"message":`+strings.Repeat(" ", 2<<20)+`{}}`); code != http.StatusRequestEntityTooLarge {
		t.Errorf("huge body: %d, want 413", code)
	}
	if code := post("s3cret_value", update); code != http.StatusOK {
		t.Errorf("good update: %d", code)
	}
	e.expect(pedro, "términos")

	// Updates the fake delivers to the webhook are handled too.
	e.fake.SendCommand(pedro, "help", "")
	if err := e.fake.Deliver(ctx); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	e.expect(pedro, "Ayuda")
}

func TestOnlyOneReplicaPolls(t *testing.T) {
	e := newEnv(t)
	e.start()
	second := e.run(e.newBot(e.cfg))
	defer second()
	for i := range 5 {
		e.fake.SendCommand(maria, "help", "")
		e.expect(maria, "Ayuda")
		_ = i
	}
	if n := len(e.fake.Messages(maria.ID)); n != 5 {
		t.Errorf("answers = %d, want 5", n)
	}
	for _, c := range e.fake.Calls("getUpdates") {
		if c.Status == http.StatusConflict {
			t.Errorf("two pollers met: %+v", c)
		}
	}
	// The first dies; the second takes over once the lease expires.
	e.stop()
	e.fake.SendCommand(maria, "help", "")
	e.expect(maria, "Ayuda")
	if strings.Contains(e.logs.String(), testToken) {
		t.Error("token in logs")
	}
}

func TestSentMarksRepliesDelivered(t *testing.T) {
	e := newEnv(t)
	e.start()
	e.acceptTerms(maria)
	e.open(maria, "Falla", "Alta", "Algo falla")
	ctx := ctx10(t)
	e.svc.Claim(ctx, ana, 1, false)
	e.svc.AddMessage(ctx, ana, 1, tickets.MessageInput{Kind: tickets.MessageReply, Text: "hola"})
	e.pump()
	e.expect(maria, "hola")
	if tk := e.ticket(1); tk.Delivered != 1 {
		t.Errorf("delivered = %d", tk.Delivered)
	}
}

func textUpdate(u telegramtest.User, id int, text string) tgbotapi.Update {
	return tgbotapi.Update{UpdateID: id, Message: &tgbotapi.Message{MessageID: id, Chat: &tgbotapi.Chat{ID: u.ID, Type: "private"},
		From: &tgbotapi.User{ID: u.ID, FirstName: u.FirstName, LanguageCode: u.LanguageCode}, Text: text}}
}

// waitFor waits, up to 10 s, for cond to hold; for state the fake reports
// no event for.
func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	ctx := ctx10(t)
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatal("condition not reached in time")
		case <-tick.C:
		}
	}
}

// Two replicas counting one customer's updates at once never let more than
// FloodLimit through: the counter is incremented atomically.
func TestFloodLimitAcrossReplicas(t *testing.T) {
	e := newEnv(t, withConfig(func(c *telegram.Config) { c.FloodLimit = 5 }))
	bots := []*telegram.Bot{e.bot, e.newBot(e.cfg)}
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			u := textUpdate(maria, 3000+i, "/help")
			u.Message.Entities = []tgbotapi.MessageEntity{{Type: "bot_command", Offset: 0, Length: 5}}
			if err := bots[i%2].HandleUpdate(context.Background(), u); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	n := 0
	for _, m := range e.fake.Messages(maria.ID) {
		if strings.Contains(m.PlainText, "Ayuda") {
			n++
		}
	}
	if n != 5 {
		t.Errorf("help answers = %d, want exactly the limit, 5", n)
	}
}

// An update handled again after a failure is counted once against the
// flood limit: retries never push a customer over it.
func TestFloodLimitCountsAnUpdateOnce(t *testing.T) {
	var failures atomic.Int32
	e := newEnv(t, withConfig(func(c *telegram.Config) { c.FloodLimit = 8 }), withFailingMessages(func(m *tickets.Message) bool {
		return m.Text == "reintento" && failures.Add(1) <= 3
	}))
	e.start()
	e.acceptTerms(maria)                         // 2 updates
	e.open(maria, "Falla", "Alta", "Algo falla") // 4 updates
	u := textUpdate(maria, 6000, "reintento")
	for i := range 4 { // three failures, then it is stored
		err := e.bot.HandleUpdate(context.Background(), u)
		if (err != nil) != (i < 3) {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	if err := e.bot.HandleUpdate(context.Background(), textUpdate(maria, 6001, "otro")); err != nil {
		t.Fatal(err)
	}
	e.expect(maria, "Mensaje añadido al ticket #1")
	e.expect(maria, "Mensaje añadido al ticket #1")
	var texts []string
	for _, m := range e.conversation(1) {
		texts = append(texts, m.Text)
	}
	if got := strings.Join(texts, "|"); got != "reintento|otro" {
		t.Errorf("conversation = %s, want both messages (8 updates, limit 8)", got)
	}
	for _, m := range e.fake.Messages(maria.ID) {
		if strings.Contains(m.PlainText, "demasiados mensajes") {
			t.Errorf("flood warning after 8 updates with a limit of 8")
		}
	}
}
