package telegramtest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/google/go-cmp/cmp"
)

var alice = User{ID: 1001, FirstName: "Alice", Username: "alice", LanguageCode: "es"}

func newServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := New(opts...)
	t.Cleanup(s.Close)
	return s
}

func newBot(t testing.TB, s *Server) *tgbotapi.BotAPI {
	t.Helper()
	bot, err := tgbotapi.NewBotAPIWithClient(s.Token(), s.Endpoint(), &http.Client{Timeout: 30 * time.Second})
	if err != nil {
		t.Fatalf("NewBotAPIWithClient: %v", err)
	}
	return bot
}

func timeout(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// apiErr asserts that err is a Bot API error with code and a description
// starting with prefix.
func apiErr(t testing.TB, err error, code int, prefix string) *tgbotapi.Error {
	t.Helper()
	var e *tgbotapi.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want a *tgbotapi.Error %d %q", err, err, code, prefix)
	}
	if e.Code != code || !strings.HasPrefix(e.Message, prefix) {
		t.Fatalf("error = %d %q, want %d %q...", e.Code, e.Message, code, prefix)
	}
	return e
}

// waitFor waits, without sleeping, until cond holds on the server.
func waitFor(t testing.TB, s *Server, cond func() bool) {
	t.Helper()
	ctx := timeout(t)
	for {
		s.mu.Lock()
		changed := s.changed
		s.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatal("condition not reached")
		}
	}
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestGetMeAndToken(t *testing.T) {
	s := newServer(t)
	bot := newBot(t, s)
	if bot.Self.ID != 123456 || !bot.Self.IsBot || bot.Self.UserName != "test_bot" {
		t.Errorf("Self = %+v", bot.Self)
	}

	_, err := tgbotapi.NewBotAPIWithClient("654321:wrong", s.Endpoint(), http.DefaultClient)
	apiErr(t, err, 401, "Unauthorized")

	_, err = bot.MakeRequest("noSuchMethod", nil)
	apiErr(t, err, 404, "Not Found")
}

// UserMessages lists what the user sent, with the fake's dates, and not the
// bot's messages.
func TestUserMessagesCarryTheirDate(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	s := newServer(t, WithClock(clock.Now))
	bot := newBot(t, s)
	s.SendText(alice, "hola")
	clock.Advance(time.Minute)
	if _, err := bot.Send(tgbotapi.NewMessage(alice.ID, "answer")); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	s.Reply(alice, 2, "gracias")

	type short struct {
		ID   int
		Text string
		Date time.Time
	}
	var got []short
	for _, m := range s.UserMessages(alice.ID) {
		got = append(got, short{m.MessageID, m.PlainText, m.Date})
	}
	want := []short{
		{1, "hola", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		{3, "gracias", time.Date(2026, 1, 2, 3, 6, 5, 0, time.UTC)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("UserMessages (-want +got):\n%s", diff)
	}
}

func TestSendEditAnswerWithInlineKeyboard(t *testing.T) {
	s := newServer(t)
	bot := newBot(t, s)
	s.SendCommand(alice, "start", "")

	kb := tgbotapi.NewInlineKeyboardMarkup(
		tgbotapi.NewInlineKeyboardRow(
			tgbotapi.NewInlineKeyboardButtonData("Close", "t:42:close"),
			tgbotapi.NewInlineKeyboardButtonURL("Terms", "https://example.com/terms"),
		),
	)
	msg := tgbotapi.NewMessage(alice.ID, "Ticket <b>#42</b> is open")
	msg.ParseMode = tgbotapi.ModeHTML
	msg.ReplyMarkup = kb
	sent, err := bot.Send(msg)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if sent.MessageID != 2 || sent.Text != "Ticket #42 is open" || len(sent.Entities) != 1 || sent.Entities[0].Type != "bold" {
		t.Errorf("sent = %+v", sent)
	}
	if sent.ReplyMarkup == nil || sent.ReplyMarkup.InlineKeyboard[0][0].Text != "Close" {
		t.Errorf("sent.ReplyMarkup = %+v", sent.ReplyMarkup)
	}
	got := s.Messages(alice.ID)
	if len(got) != 1 || got[0].Text != "Ticket <b>#42</b> is open" || got[0].ParseMode != "HTML" {
		t.Fatalf("Messages = %+v", got)
	}
	want := []Button{{Text: "Close", CallbackData: "t:42:close"}, {Text: "Terms", URL: "https://example.com/terms"}}
	if b := got[0].Buttons(); len(b) != 2 || b[0] != want[0] || b[1] != want[1] {
		t.Errorf("Buttons = %+v, want %+v", b, want)
	}

	s.PressButton(alice, sent.MessageID, "t:42:close")
	updates, err := bot.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil || len(updates) != 2 {
		t.Fatalf("GetUpdates = %d updates, %v", len(updates), err)
	}
	if !updates[0].Message.IsCommand() || updates[0].Message.Command() != "start" {
		t.Errorf("first update = %+v", updates[0].Message)
	}
	cq := updates[1].CallbackQuery
	if cq == nil || cq.Data != "t:42:close" || cq.From.ID != alice.ID || cq.Message == nil || cq.Message.MessageID != sent.MessageID {
		t.Fatalf("callback query = %+v", cq)
	}
	if _, err := bot.Request(tgbotapi.NewCallback(cq.ID, "Closed")); err != nil {
		t.Fatalf("answer: %v", err)
	}
	_, err = bot.Request(tgbotapi.NewCallback(cq.ID, "again"))
	apiErr(t, err, 400, "Bad Request: query is too old")
	if a := s.CallbackAnswers(); len(a) != 1 || a[0].Text != "Closed" || a[0].Data != "t:42:close" {
		t.Errorf("CallbackAnswers = %+v", a)
	}

	edit := tgbotapi.NewEditMessageTextAndMarkup(alice.ID, sent.MessageID, "Ticket <b>#42</b> is closed", kb)
	edit.ParseMode = tgbotapi.ModeHTML
	if _, err := bot.Send(edit); err != nil {
		t.Fatalf("edit: %v", err)
	}
	_, err = bot.Send(edit)
	apiErr(t, err, 400, "Bad Request: message is not modified")
	_, err = bot.Send(tgbotapi.NewEditMessageText(alice.ID, 99, "nope"))
	apiErr(t, err, 400, "Bad Request: message to edit not found")

	// Like Telegram, an edit without reply_markup drops the keyboard.
	if _, err := bot.Send(tgbotapi.NewEditMessageText(alice.ID, sent.MessageID, "Closed")); err != nil {
		t.Fatalf("edit: %v", err)
	}
	got = s.Messages(alice.ID)
	if got[0].PlainText != "Closed" || got[0].Keyboard != nil || got[0].EditCount != 2 {
		t.Errorf("after edits = %+v", got[0])
	}
	if _, err := bot.Send(tgbotapi.NewEditMessageReplyMarkup(alice.ID, sent.MessageID, kb)); err != nil {
		t.Fatalf("edit markup: %v", err)
	}
	if got := s.Messages(alice.ID)[0]; len(got.Keyboard) != 1 || got.EditCount != 3 {
		t.Errorf("after markup edit = %+v", got)
	}
}

func TestGetUpdatesOffsetSemantics(t *testing.T) {
	s := newServer(t)
	bot := newBot(t, s)
	id1 := s.SendText(alice, "one")
	id2 := s.SendText(alice, "two")
	id3 := s.SendText(alice, "three")
	if id2 != id1+1 || id3 != id2+1 {
		t.Fatalf("update ids %d %d %d", id1, id2, id3)
	}
	ids := func(cfg tgbotapi.UpdateConfig) []int {
		t.Helper()
		ups, err := bot.GetUpdates(cfg)
		if err != nil {
			t.Fatalf("GetUpdates(%+v): %v", cfg, err)
		}
		var out []int
		for _, u := range ups {
			out = append(out, u.UpdateID)
		}
		return out
	}
	eq := func(got []int, want ...int) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("got %v, want %v", got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("got %v, want %v", got, want)
			}
		}
	}
	eq(ids(tgbotapi.UpdateConfig{}), id1, id2, id3)
	eq(ids(tgbotapi.UpdateConfig{}), id1, id2, id3) // not confirmed yet
	eq(ids(tgbotapi.UpdateConfig{Limit: 1}), id1)
	eq(ids(tgbotapi.UpdateConfig{Offset: id2}), id2, id3) // confirms id1
	eq(ids(tgbotapi.UpdateConfig{}), id2, id3)
	eq(ids(tgbotapi.UpdateConfig{Offset: -1}), id3) // forgets all but the last
	eq(ids(tgbotapi.UpdateConfig{Offset: id3 + 1}))
	if s.Pending() != 0 {
		t.Errorf("Pending = %d", s.Pending())
	}
}

func TestLongPollWakesOnSendText(t *testing.T) {
	s := newServer(t)
	bot := newBot(t, s)
	type result struct {
		ups []tgbotapi.Update
		err error
	}
	done := make(chan result, 1)
	go func() {
		ups, err := bot.GetUpdates(tgbotapi.UpdateConfig{Timeout: 30})
		done <- result{ups, err}
	}()
	waitFor(t, s, s.Polling)
	s.SendText(alice, "hola")
	select {
	case r := <-done:
		if r.err != nil || len(r.ups) != 1 || r.ups[0].Message.Text != "hola" || r.ups[0].Message.Chat.ID != alice.ID {
			t.Fatalf("long poll = %+v, %v", r.ups, r.err)
		}
	case <-timeout(t).Done():
		t.Fatal("long poll did not wake")
	}
}

func TestLongPollConflictAndClose(t *testing.T) {
	s := New()
	defer s.Close()
	bot := newBot(t, s)
	first := make(chan error, 1)
	go func() {
		_, err := bot.GetUpdates(tgbotapi.UpdateConfig{Timeout: 30})
		first <- err
	}()
	waitFor(t, s, s.Polling)
	second := make(chan error, 1)
	go func() {
		ups, err := bot.GetUpdates(tgbotapi.UpdateConfig{Timeout: 30})
		if err == nil && len(ups) != 0 {
			err = errors.New("unexpected updates")
		}
		second <- err
	}()
	select {
	case err := <-first:
		apiErr(t, err, 409, "Conflict: terminated by other getUpdates request")
	case <-timeout(t).Done():
		t.Fatal("first poll was not terminated")
	}
	waitFor(t, s, s.Polling)
	s.Close() // wakes the second poll with an empty result
	select {
	case err := <-second:
		if err != nil {
			t.Fatalf("second poll: %v", err)
		}
	case <-timeout(t).Done():
		t.Fatal("close did not end the long poll")
	}
}

func TestWebhookBlocksGetUpdates(t *testing.T) {
	s := newServer(t)
	bot := newBot(t, s)
	wh, _ := tgbotapi.NewWebhook("https://example.com/telegram/webhook")
	if _, err := bot.Request(wh); err != nil {
		t.Fatalf("setWebhook: %v", err)
	}
	_, err := bot.GetUpdates(tgbotapi.UpdateConfig{})
	apiErr(t, err, 409, "Conflict: can't use getUpdates method while webhook is active")
	if _, err := bot.Request(tgbotapi.DeleteWebhookConfig{}); err != nil {
		t.Fatalf("deleteWebhook: %v", err)
	}
	if _, err := bot.GetUpdates(tgbotapi.UpdateConfig{}); err != nil {
		t.Fatalf("GetUpdates after deleteWebhook: %v", err)
	}
}

func TestRateLimitNextAndFailNext(t *testing.T) {
	s := newServer(t)
	bot := newBot(t, s)
	s.RateLimitNext("sendMessage", 1, 7)
	_, err := bot.Send(tgbotapi.NewMessage(alice.ID, "hi"))
	e := apiErr(t, err, 429, "Too Many Requests: retry after 7")
	if e.RetryAfter != 7 {
		t.Errorf("RetryAfter = %d, want 7", e.RetryAfter)
	}
	s.FailNext(AnyMethod, 1, 500, "")
	_, err = bot.Send(tgbotapi.NewMessage(alice.ID, "hi"))
	apiErr(t, err, 500, "Internal Server Error")
	if _, err := bot.Send(tgbotapi.NewMessage(alice.ID, "hi")); err != nil {
		t.Fatalf("third send: %v", err)
	}
	if n := len(s.Messages(alice.ID)); n != 1 {
		t.Errorf("%d messages recorded, want 1 (failures take no effect)", n)
	}
	st := s.Stats()
	if st.TooManyRequests != 1 || st.InjectedFailures != 2 || st.Sent != 1 {
		t.Errorf("Stats = %+v", st)
	}
	if calls := s.Calls("sendMessage"); len(calls) != 3 || calls[0].Status != 429 || calls[2].Params["text"] != "hi" {
		t.Errorf("Calls = %+v", calls)
	}
}

func TestBlockedAndDeletedChats(t *testing.T) {
	s := newServer(t)
	bot := newBot(t, s)
	s.Block(alice.ID)
	_, err := bot.Send(tgbotapi.NewMessage(alice.ID, "hi"))
	apiErr(t, err, 403, "Forbidden: bot was blocked by the user")
	s.Unblock(alice.ID)
	if _, err := bot.Send(tgbotapi.NewMessage(alice.ID, "hi")); err != nil {
		t.Fatalf("after Unblock: %v", err)
	}
	s.DeleteChat(alice.ID)
	_, err = bot.Send(tgbotapi.NewMessage(alice.ID, "hi"))
	apiErr(t, err, 400, "Bad Request: chat not found")
}

func TestTextValidation(t *testing.T) {
	s := newServer(t)
	bot := newBot(t, s)
	send := func(text, mode string) error {
		m := tgbotapi.NewMessage(alice.ID, text)
		m.ParseMode = mode
		_, err := bot.Send(m)
		return err
	}
	for _, tc := range []struct{ text, desc string }{
		{"<b>bold", "Bad Request: can't parse entities: Can't find end tag"},
		{"<b>x</i>", "Bad Request: can't parse entities: Unmatched end tag"},
		{"x</b>", "Bad Request: can't parse entities: Unexpected end tag"},
		{"<div>x</div>", "Bad Request: can't parse entities: Unsupported start tag \"div\""},
		{"1 < 2", "Bad Request: can't parse entities:"},
		{`<span class="x">x</span>`, "Bad Request: can't parse entities: Tag \"span\" must have class"},
		{"<b></b>", "Bad Request: message text is empty"},
		{"", "Bad Request: message text is empty"},
	} {
		apiErr(t, send(tc.text, tgbotapi.ModeHTML), 400, tc.desc)
	}
	for _, ok := range []string{
		"<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>i</ins><s>s</s><strike>s</strike><del>d</del>",
		`<a href="https://example.com/?a=1&amp;b=2">link</a> <code>x</code> <pre><code class="language-go">x</code></pre>`,
		`<tg-spoiler>s</tg-spoiler> <span class="tg-spoiler">s</span> <blockquote>q</blockquote>`,
		"1 &lt; 2 &amp;&amp; 3 &gt; 2 &quot;ok&quot; &#128512; AT&T",
	} {
		if err := send(ok, tgbotapi.ModeHTML); err != nil {
			t.Errorf("send %q: %v", ok, err)
		}
	}
	last := s.Messages(alice.ID)
	if got := last[len(last)-1].PlainText; got != "1 < 2 && 3 > 2 \"ok\" 😀 AT&T" {
		t.Errorf("PlainText = %q", got)
	}

	apiErr(t, send(strings.Repeat("a", 4097), ""), 400, "Bad Request: message is too long")
	if err := send(strings.Repeat("a", 4096), ""); err != nil {
		t.Errorf("4096 characters: %v", err)
	}
	// Telegram counts UTF-16 code units: this emoji is two.
	apiErr(t, send(strings.Repeat("😀", 2049), ""), 400, "Bad Request: message is too long")
	if err := send(strings.Repeat("😀", 2048), ""); err != nil {
		t.Errorf("2048 emoji: %v", err)
	}

	m := tgbotapi.NewMessage(alice.ID, "pick")
	m.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData("x", strings.Repeat("d", 65))))
	_, err := bot.Send(m)
	apiErr(t, err, 400, "Bad Request: BUTTON_DATA_INVALID")
}

func TestWebhookDeliveryWithSecret(t *testing.T) {
	var (
		mu      sync.Mutex
		secrets []string
		bodies  []string
		fail    = 1 // the first POST answers 500, then Telegram retries
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		secrets = append(secrets, r.Header.Get("X-Telegram-Bot-Api-Secret-Token"))
		bodies = append(bodies, string(body))
		if fail > 0 {
			fail--
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer hook.Close()

	s := newServer(t, WebhookRetry(3, time.Millisecond))
	bot := newBot(t, s)
	// tgbotapi v5.5.1 has no secret_token field: pass it as a raw parameter.
	_, err := bot.MakeRequest("setWebhook", tgbotapi.Params{"url": hook.URL + "/telegram/webhook", "secret_token": "s3cr3t-_"})
	if err != nil {
		t.Fatalf("setWebhook: %v", err)
	}
	info, err := bot.GetWebhookInfo()
	if err != nil || info.URL != hook.URL+"/telegram/webhook" {
		t.Fatalf("GetWebhookInfo = %+v, %v", info, err)
	}
	if s.Webhook().SecretToken != "s3cr3t-_" {
		t.Errorf("Webhook = %+v", s.Webhook())
	}
	_, err = bot.MakeRequest("setWebhook", tgbotapi.Params{"url": hook.URL, "secret_token": "bad secret!"})
	apiErr(t, err, 400, "Bad Request: secret token")

	id := s.SendText(alice, "por webhook")
	if err := s.Deliver(timeout(t)); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 2 || bodies[0] != bodies[1] {
		t.Fatalf("webhook got %d POSTs: %q", len(bodies), bodies)
	}
	for _, sec := range secrets {
		if sec != "s3cr3t-_" {
			t.Errorf("secret header = %q", sec)
		}
	}
	var u tgbotapi.Update
	if err := json.Unmarshal([]byte(bodies[1]), &u); err != nil || u.UpdateID != id || u.Message.Text != "por webhook" {
		t.Errorf("delivered update = %+v, %v", u, err)
	}
	if s.Pending() != 0 || s.Stats().WebhookFailures != 1 {
		t.Errorf("Pending = %d, Stats = %+v", s.Pending(), s.Stats())
	}
}

func TestDeliverGivesUpAfterBoundedRetries(t *testing.T) {
	var (
		mu    sync.Mutex
		posts int
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		posts++
		mu.Unlock()
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer hook.Close()
	s := newServer(t, WebhookRetry(2, time.Millisecond))
	bot := newBot(t, s)
	if _, err := bot.MakeRequest("setWebhook", tgbotapi.Params{"url": hook.URL}); err != nil {
		t.Fatalf("setWebhook: %v", err)
	}
	s.SendText(alice, "x")
	err := s.Deliver(timeout(t))
	if err == nil || !strings.Contains(err.Error(), "502") {
		t.Fatalf("Deliver = %v, want a 502 error", err)
	}
	info, _ := bot.GetWebhookInfo()
	if info.PendingUpdateCount != 1 || !strings.Contains(info.LastErrorMessage, "502") {
		t.Errorf("webhook info = %+v", info)
	}
	mu.Lock()
	defer mu.Unlock()
	if posts != 2 {
		t.Errorf("%d POSTs, want 2", posts)
	}
}

func TestEnforceLimits(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	s := newServer(t, EnforceLimits(true), WithClock(clock.Now))
	bot := newBot(t, s)

	if _, err := bot.Send(tgbotapi.NewMessage(alice.ID, "1")); err != nil {
		t.Fatalf("first: %v", err)
	}
	clock.Advance(400 * time.Millisecond)
	_, err := bot.Send(tgbotapi.NewMessage(alice.ID, "2"))
	if e := apiErr(t, err, 429, "Too Many Requests: retry after 1"); e.RetryAfter != 1 {
		t.Errorf("RetryAfter = %d", e.RetryAfter)
	}
	clock.Advance(600 * time.Millisecond)
	if _, err := bot.Send(tgbotapi.NewMessage(alice.ID, "2")); err != nil {
		t.Fatalf("after a second: %v", err)
	}

	// 30 messages per second per bot, across chats.
	clock.Advance(time.Second)
	for i := range 30 {
		if _, err := bot.Send(tgbotapi.NewMessage(int64(5000+i), "x")); err != nil {
			t.Fatalf("global #%d: %v", i, err)
		}
	}
	_, err = bot.Send(tgbotapi.NewMessage(6000, "x"))
	apiErr(t, err, 429, "Too Many Requests")

	// 20 messages per minute per group.
	clock.Advance(time.Second)
	for i := range 20 {
		clock.Advance(100 * time.Millisecond)
		if _, err := bot.Send(tgbotapi.NewMessage(-77, "x")); err != nil {
			t.Fatalf("group #%d: %v", i, err)
		}
	}
	_, err = bot.Send(tgbotapi.NewMessage(-77, "x"))
	if e := apiErr(t, err, 429, "Too Many Requests"); e.RetryAfter != 59 { // the first of 20 went 58.1s before the window ends
		t.Errorf("group RetryAfter = %d, want 59", e.RetryAfter)
	}
	if st := s.Stats(); st.FloodLimited != 3 || st.TooManyRequests != 3 {
		t.Errorf("Stats = %+v", st)
	}
}

func TestSetLatencyRespectsCancellation(t *testing.T) {
	s := newServer(t)
	s.SetLatency("getMe", time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+"/bot"+s.Token()+"/getMe", nil)
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Do = %v, want deadline exceeded", err)
	}
	s.SetLatency("getMe", 0)
	newBot(t, s)
}

func TestDuplicateUpdates(t *testing.T) {
	s := newServer(t)
	bot := newBot(t, s)
	s.DuplicateUpdates(true)
	id := s.SendText(alice, "once")
	ups, _ := bot.GetUpdates(tgbotapi.UpdateConfig{})
	if len(ups) != 1 || ups[0].UpdateID != id {
		t.Fatalf("first poll = %+v", ups)
	}
	ups, _ = bot.GetUpdates(tgbotapi.UpdateConfig{Offset: id + 1})
	if len(ups) != 1 || ups[0].UpdateID != id {
		t.Fatalf("second poll = %+v, want the duplicate of %d", ups, id)
	}
	ups, _ = bot.GetUpdates(tgbotapi.UpdateConfig{Offset: id + 1})
	if len(ups) != 0 {
		t.Fatalf("third poll = %+v, want nothing", ups)
	}
}

func TestMediaAndFiles(t *testing.T) {
	s := newServer(t)
	bot := newBot(t, s)
	s.SendPhoto(alice, "photo-abc", "screenshot", "album-1")
	s.SendDocument(alice, "doc-xyz", "invoice.pdf", "")
	s.SendVoice(alice, "voice-1", 3)
	ups, err := bot.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil || len(ups) != 3 {
		t.Fatalf("GetUpdates = %d, %v", len(ups), err)
	}
	photo := ups[0].Message
	if len(photo.Photo) == 0 || photo.Photo[len(photo.Photo)-1].FileID != "photo-abc" || photo.Caption != "screenshot" || photo.MediaGroupID != "album-1" {
		t.Errorf("photo message = %+v", photo)
	}
	if d := ups[1].Message.Document; d == nil || d.FileName != "invoice.pdf" {
		t.Errorf("document = %+v", d)
	}
	if v := ups[2].Message.Voice; v == nil || v.Duration != 3 {
		t.Errorf("voice = %+v", v)
	}
	f, err := bot.GetFile(tgbotapi.FileConfig{FileID: "doc-xyz"})
	if err != nil || !strings.HasSuffix(f.FilePath, "invoice.pdf") {
		t.Fatalf("GetFile = %+v, %v", f, err)
	}
	resp, err := http.Get(s.FileURL(f.FilePath))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("download: %v %v", resp, err)
	}
	resp.Body.Close()
	_, err = bot.GetFile(tgbotapi.FileConfig{FileID: "unknown"})
	apiErr(t, err, 400, "Bad Request: invalid file_id")

	if _, err := bot.Send(tgbotapi.NewPhoto(alice.ID, tgbotapi.FileID("photo-abc"))); err != nil {
		t.Fatalf("sendPhoto: %v", err)
	}
	_, err = bot.Send(tgbotapi.NewPhoto(alice.ID, tgbotapi.FileID("never-seen")))
	apiErr(t, err, 400, "Bad Request: wrong file identifier")
	doc := tgbotapi.NewDocument(alice.ID, tgbotapi.FileBytes{Name: "report.txt", Bytes: []byte("hello")})
	doc.Caption = "your report"
	sent, err := bot.Send(doc)
	if err != nil || sent.Document == nil || sent.Document.FileName != "report.txt" {
		t.Fatalf("upload document = %+v, %v", sent.Document, err)
	}
	msgs, err := bot.SendMediaGroup(tgbotapi.NewMediaGroup(alice.ID, []any{
		tgbotapi.NewInputMediaPhoto(tgbotapi.FileID("photo-abc")),
		tgbotapi.NewInputMediaDocument(tgbotapi.FileID("doc-xyz")),
	}))
	if err != nil || len(msgs) != 2 || msgs[0].MediaGroupID == "" || msgs[0].MediaGroupID != msgs[1].MediaGroupID {
		t.Fatalf("sendMediaGroup = %+v, %v", msgs, err)
	}
	got := s.Messages(alice.ID)
	if len(got) != 4 || got[1].Media.FileID == "" || got[1].Caption != "your report" || got[3].Media.FileID != "doc-xyz" {
		t.Errorf("Messages = %+v", got)
	}
}

func TestCommandsPerLanguage(t *testing.T) {
	s := newServer(t)
	bot := newBot(t, s)
	set := tgbotapi.NewSetMyCommands(tgbotapi.BotCommand{Command: "new", Description: "Open a ticket"})
	if _, err := bot.Request(set); err != nil {
		t.Fatalf("setMyCommands: %v", err)
	}
	es := tgbotapi.NewSetMyCommands(tgbotapi.BotCommand{Command: "new", Description: "Abrir un ticket"})
	es.LanguageCode = "es"
	if _, err := bot.Request(es); err != nil {
		t.Fatalf("setMyCommands es: %v", err)
	}
	if c := s.Commands("es"); len(c) != 1 || c[0].Description != "Abrir un ticket" {
		t.Errorf("Commands(es) = %+v", c)
	}
	cmds, err := bot.GetMyCommands()
	if err != nil || len(cmds) != 1 || cmds[0].Description != "Open a ticket" {
		t.Errorf("GetMyCommands = %+v, %v", cmds, err)
	}
	_, err = bot.Request(tgbotapi.NewSetMyCommands(tgbotapi.BotCommand{Command: "Bad-Cmd", Description: "x"}))
	apiErr(t, err, 400, "Bad Request: BOT_COMMAND_INVALID")
}

func TestWatchAndWaitMessages(t *testing.T) {
	s := newServer(t)
	bot := newBot(t, s)
	events, cancel := s.Watch()
	defer cancel()

	go func() {
		_, _ = bot.Request(tgbotapi.NewChatAction(alice.ID, tgbotapi.ChatTyping))
		m, _ := bot.Send(tgbotapi.NewMessage(alice.ID, "hello"))
		_, _ = bot.Send(tgbotapi.NewEditMessageText(alice.ID, m.MessageID, "hello!"))
		_, _ = bot.Request(tgbotapi.NewDeleteMessage(alice.ID, m.MessageID))
	}()
	msgs, err := s.WaitMessages(timeout(t), alice.ID, 1)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("WaitMessages = %+v, %v", msgs, err)
	}
	want := []EventKind{EventChatAction, EventMessageSent, EventMessageEdited, EventMessageDeleted}
	for _, k := range want {
		select {
		case e := <-events:
			if e.Kind != k || e.ChatID != alice.ID {
				t.Fatalf("event = %v %+v, want %v", e.Kind, e, k)
			}
		case <-timeout(t).Done():
			t.Fatalf("no %v event", k)
		}
	}
	if m := s.Messages(alice.ID)[0]; !m.Deleted || m.PlainText != "hello!" {
		t.Errorf("message = %+v", m)
	}
	cancel()
	if _, ok := <-events; ok {
		t.Error("channel not closed after cancel")
	}
}

func TestJSONBodyAndPushUpdate(t *testing.T) {
	s := newServer(t)
	body := `{"chat_id":1001,"text":"json","reply_markup":{"inline_keyboard":[[{"text":"Yes","callback_data":"y"}]]}}`
	resp, err := http.Post(s.URL()+"/bot"+s.Token()+"/sendMessage", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		OK     bool             `json:"ok"`
		Result tgbotapi.Message `json:"result"`
	}
	err = json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if err != nil || !out.OK || out.Result.Text != "json" {
		t.Fatalf("sendMessage JSON = %+v, %v", out, err)
	}
	if b := s.Messages(1001)[0].Buttons(); len(b) != 1 || b[0].CallbackData != "y" {
		t.Errorf("Buttons = %+v", b)
	}

	bot := newBot(t, s)
	id, err := s.PushUpdate([]byte(`{"edited_message":{"message_id":9,"date":0,"chat":{"id":5,"type":"private"},"text":"x"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PushUpdate([]byte(`not json`)); err == nil {
		t.Error("PushUpdate accepted a non-object")
	}
	ups, err := bot.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil || len(ups) != 1 || ups[0].UpdateID != id || ups[0].EditedMessage == nil {
		t.Fatalf("GetUpdates = %+v, %v", ups, err)
	}
}

func TestAutoDeliver(t *testing.T) {
	got := make(chan string, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- string(body)
	}))
	defer hook.Close()
	s := newServer(t, AutoDeliver(true))
	bot := newBot(t, s)
	if _, err := bot.MakeRequest("setWebhook", tgbotapi.Params{"url": hook.URL}); err != nil {
		t.Fatalf("setWebhook: %v", err)
	}
	s.SendText(alice, "auto")
	select {
	case body := <-got:
		if !strings.Contains(body, `"text":"auto"`) {
			t.Errorf("body = %s", body)
		}
	case <-timeout(t).Done():
		t.Fatal("update not delivered")
	}
}
