package slacktest_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/colombiainformatica/ticketbot/bots/slack/slacktest"
)

const secret = "8f742231b10e8888abcd99yyyzzz85a5"

// received is one verified request the fake app got.
type received struct {
	header      http.Header
	event       slackevents.EventsAPIEvent
	interaction slack.InteractionCallback
	command     slack.SlashCommand
}

// fakeApp is a minimal Slack app: it verifies the signature with slack-go,
// parses the request with slack-go, hands it to the test and answers with
// answer (200 and an empty body when answer is nil).
type fakeApp struct {
	got    chan received
	mu     sync.Mutex
	answer func(received) (int, string)
}

func startApp(t *testing.T, srv *slacktest.Server) *fakeApp {
	t.Helper()
	a := &fakeApp{got: make(chan received, 16)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/events", a.handle(func(r *http.Request, body []byte, rec *received) error {
		ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
		rec.event = ev
		return err
	}))
	mux.HandleFunc("POST /slack/interactions", a.handle(func(r *http.Request, body []byte, rec *received) error {
		if err := r.ParseForm(); err != nil {
			return err
		}
		return json.Unmarshal([]byte(r.PostForm.Get("payload")), &rec.interaction)
	}))
	mux.HandleFunc("POST /slack/commands", a.handle(func(r *http.Request, body []byte, rec *received) error {
		var err error
		rec.command, err = slack.SlashCommandParse(r)
		return err
	}))
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	srv.SetApp(hs.URL+"/slack/events", hs.URL+"/slack/interactions", hs.URL+"/slack/commands", secret)
	return a
}

func (a *fakeApp) setAnswer(f func(received) (int, string)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.answer = f
}

func (a *fakeApp) handle(parse func(*http.Request, []byte, *received) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		sv, err := slack.NewSecretsVerifier(r.Header, secret)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		_, _ = sv.Write(body)
		if err := sv.Ensure(); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := received{header: r.Header.Clone()}
		if err := parse(r, body, &rec); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if rec.event.Type == slackevents.URLVerification {
			var v slackevents.ChallengeResponse
			_ = json.Unmarshal(body, &v)
			_, _ = io.WriteString(w, v.Challenge)
			return
		}
		a.mu.Lock()
		answer := a.answer
		a.mu.Unlock()
		a.got <- rec
		if answer != nil {
			status, body := answer(rec)
			if strings.HasPrefix(body, "{") {
				w.Header().Set("Content-Type", "application/json")
			}
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
		}
	}
}

func (a *fakeApp) next(t *testing.T) received {
	t.Helper()
	select {
	case r := <-a.got:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("the app received nothing")
		return received{}
	}
}

func TestPostUserMessageDeliversASignedEvent(t *testing.T) {
	srv, api := newClient(t)
	app := startApp(t, srv)
	ctx := context.Background()
	srv.AddUser("U1", "Ana", "ana")

	if err := srv.VerifyEventsURL(ctx); err != nil {
		t.Fatalf("url_verification: %v", err)
	}
	_, card, _ := api.PostMessageContext(ctx, queue, slack.MsgOptionText("card", false))
	ts, err := srv.PostUserMessage(ctx, "U1", queue, "my printer is on fire", card)
	if err != nil {
		t.Fatalf("PostUserMessage: %v", err)
	}
	rec := app.next(t)
	ev := rec.event
	outer, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if ev.Type != slackevents.CallbackEvent || !ok {
		t.Fatalf("event = %+v", ev)
	}
	if !strings.HasPrefix(outer.EventID, "Ev") || outer.EventTime == 0 || outer.TeamID != srv.TeamID() || outer.APIAppID != srv.AppID() {
		t.Errorf("outer event = %+v", outer)
	}
	msg, ok := ev.InnerEvent.Data.(*slackevents.MessageEvent)
	if !ok {
		t.Fatalf("inner event = %T", ev.InnerEvent.Data)
	}
	if msg.Type != "message" || msg.User != "U1" || msg.Channel != queue || msg.Text != "my printer is on fire" ||
		msg.TimeStamp != ts || msg.ThreadTimeStamp != card || msg.ChannelType != "channel" {
		t.Errorf("message event = %+v", msg)
	}
	if th := srv.Thread(queue, card); len(th) != 1 || th[0].User != "U1" || th[0].IsBot() {
		t.Errorf("Thread = %+v", th)
	}

	// A Slack retry: same event, retry headers.
	if _, err := srv.RetryLastEvent(ctx); err != nil {
		t.Fatal(err)
	}
	retry := app.next(t)
	if id := retry.event.Data.(*slackevents.EventsAPICallbackEvent).EventID; id != outer.EventID {
		t.Errorf("retry event_id = %s, want %s", id, outer.EventID)
	}
	if retry.header.Get("X-Slack-Retry-Num") != "1" || retry.header.Get("X-Slack-Retry-Reason") != "http_timeout" {
		t.Errorf("retry headers = %v", retry.header)
	}
	if rec.header.Get("X-Slack-Retry-Num") != "" {
		t.Error("first delivery marked as a retry")
	}

	// A top-level message has a fresh event_id and no thread_ts.
	if _, err := srv.PostUserMessage(ctx, "U1", queue, "hello", ""); err != nil {
		t.Fatal(err)
	}
	top := app.next(t)
	if top.event.Data.(*slackevents.EventsAPICallbackEvent).EventID == outer.EventID {
		t.Error("event_id reused")
	}
	if m := top.event.InnerEvent.Data.(*slackevents.MessageEvent); m.ThreadTimeStamp != "" {
		t.Errorf("thread_ts = %q on a top-level message", m.ThreadTimeStamp)
	}
	if d := srv.Deliveries(); len(d) != 4 || d[2].RetryNum != 1 || d[3].Status != 200 {
		t.Errorf("Deliveries = %+v", d)
	}
}

func TestEventTimeoutThenRetry(t *testing.T) {
	srv := slacktest.Start(t, slacktest.WithAppTimeout(100*time.Millisecond))
	app := startApp(t, srv)
	release := make(chan struct{})
	app.setAnswer(func(r received) (int, string) {
		if r.header.Get("X-Slack-Retry-Num") == "" {
			<-release
		}
		return 200, ""
	})
	defer close(release)
	if _, err := srv.PostUserMessage(context.Background(), "U1", queue, "slow", ""); err == nil {
		t.Fatal("no error for an app that does not answer in time")
	}
	app.next(t)
	if _, err := srv.RetryLastEvent(context.Background()); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if r := app.next(t); r.header.Get("X-Slack-Retry-Num") != "1" {
		t.Errorf("retry headers = %v", r.header)
	}
}

func TestClickButtonResponseURLViewsAndSubmission(t *testing.T) {
	srv, api := newClient(t)
	app := startApp(t, srv)
	ctx := context.Background()
	srv.AddUser("U1", "Ana Gómez", "ana")

	_, ts, err := api.PostMessageContext(ctx, queue, slack.MsgOptionText("Ticket #1042", false), slack.MsgOptionBlocks(ticketBlocks(3)...))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.ClickButton(ctx, "U1", queue, ts, "claim", "9999"); err == nil {
		t.Error("clicked a button value that is not on the message")
	}
	resp, err := srv.ClickButton(ctx, "U1", queue, ts, "claim", "1042")
	if err != nil || resp.Status != 200 {
		t.Fatalf("ClickButton = %+v, %v", resp, err)
	}
	cb := app.next(t).interaction
	if cb.Type != slack.InteractionTypeBlockActions || cb.User.ID != "U1" || cb.User.Name != "ana" || cb.User.TeamID != srv.TeamID() ||
		cb.APIAppID != srv.AppID() || cb.Team.ID != srv.TeamID() || cb.Channel.ID != queue || cb.Channel.Name != slacktest.DefaultChannelName ||
		cb.TriggerID == "" || cb.ResponseURL == "" || cb.Token == "" {
		t.Errorf("callback = %+v", cb)
	}
	if c := cb.Container; c.Type != "message" || c.MessageTs != ts || c.ChannelID != queue || c.IsEphemeral {
		t.Errorf("container = %+v", c)
	}
	if cb.Message.Timestamp != ts || len(cb.Message.Blocks.BlockSet) != 3 || cb.Message.BotID == "" {
		t.Errorf("message = %+v", cb.Message)
	}
	if len(cb.ActionCallback.BlockActions) != 1 {
		t.Fatalf("actions = %+v", cb.ActionCallback)
	}
	act := cb.ActionCallback.BlockActions[0]
	if act.ActionID != "claim" || act.Value != "1042" || act.BlockID != "ticket-1042" || act.Type != "button" || act.ActionTs == "" {
		t.Errorf("action = %+v", act)
	}

	// The app answers through the response URL, replacing the card.
	replaced := slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "Claimed by <@U1>", false, false), nil, nil)
	if _, _, err := api.PostMessageContext(ctx, queue, slack.MsgOptionReplaceOriginal(cb.ResponseURL),
		slack.MsgOptionText("claimed", false), slack.MsgOptionBlocks(replaced)); err != nil {
		t.Fatalf("response_url: %v", err)
	}
	if m, _ := srv.Message(queue, ts); m.Text != "claimed" || m.Edits != 1 || m.PlainText() != "Claimed by <@U1>" {
		t.Errorf("after replace_original: %+v", m)
	}
	if r := srv.Responses("U1"); len(r) != 1 || !r[0].ReplaceOriginal || r[0].Source != "block_actions" {
		t.Errorf("Responses = %+v", r)
	}

	// The app opens a modal with the click's trigger, the agent submits it.
	v, err := api.OpenViewContext(ctx, cb.TriggerID, modal("reply"))
	if err != nil {
		t.Fatalf("views.open: %v", err)
	}
	app.setAnswer(func(received) (int, string) {
		return 200, `{"response_action":"errors","errors":{"reply":"too short"}}`
	})
	values := map[string]map[string]string{"reply": {"text": "Hi"}, "prio": {"level": "high"}}
	if _, err := srv.SubmitView(ctx, "U1", v.ID, values); err != nil {
		t.Fatal(err)
	}
	sub := app.next(t).interaction
	if sub.Type != slack.InteractionTypeViewSubmission || sub.View.ID != v.ID || sub.View.CallbackID != "reply" ||
		sub.View.PrivateMetadata != "ticket=1042" || sub.User.ID != "U1" {
		t.Errorf("view_submission = %+v", sub)
	}
	if got := sub.View.State.Values["reply"]["text"]; got.Value != "Hi" || got.Type != "plain_text_input" {
		t.Errorf("state reply = %+v", got)
	}
	if got := sub.View.State.Values["prio"]["level"]; got.SelectedOption.Value != "high" {
		t.Errorf("state prio = %+v", got)
	}
	if view, _ := srv.View(v.ID); !view.Open || view.Errors["reply"] != "too short" {
		t.Errorf("after errors: %+v", view)
	}
	app.setAnswer(nil)
	if _, err := srv.SubmitView(ctx, "U1", v.ID, map[string]map[string]string{"reply": {"text": "Hello there"}}); err != nil {
		t.Fatal(err)
	}
	app.next(t)
	if view, _ := srv.View(v.ID); view.Open {
		t.Error("modal still open after an empty answer")
	}
	if _, err := srv.SubmitView(ctx, "U1", v.ID, nil); err == nil {
		t.Error("submitted a closed modal")
	}
}

func TestSelectOption(t *testing.T) {
	srv, api := newClient(t)
	app := startApp(t, srv)
	ctx := context.Background()
	_, ts, _ := api.PostMessageContext(ctx, queue, slack.MsgOptionBlocks(ticketBlocks(3)...))
	if _, err := srv.SelectOption(ctx, "U1", queue, ts, "priority", "urgent"); err == nil {
		t.Error("selected an option that does not exist")
	}
	if _, err := srv.SelectOption(ctx, "U1", queue, ts, "priority", "low"); err != nil {
		t.Fatal(err)
	}
	cb := app.next(t).interaction
	act := cb.ActionCallback.BlockActions[0]
	if act.Type != "static_select" || act.ActionID != "priority" || act.SelectedOption.Value != "low" || act.SelectedOption.Text.Text != "Low" {
		t.Errorf("action = %+v", act)
	}
	if st := cb.BlockActionState; st == nil || st.Values["ticket-1042"]["priority"].SelectedOption.Value != "low" {
		t.Errorf("state = %+v", st)
	}
}

func TestSlashCommand(t *testing.T) {
	srv, api := newClient(t)
	app := startApp(t, srv)
	ctx := context.Background()
	srv.AddUser("U1", "Ana", "ana")
	app.setAnswer(func(received) (int, string) {
		return 200, `{"response_type":"ephemeral","text":"3 tickets in the queue"}`
	})
	resp, err := srv.SlashCommand(ctx, "U1", queue, "/tickets", "queue")
	if err != nil || resp.Status != 200 || !strings.Contains(string(resp.Body), "3 tickets") {
		t.Fatalf("SlashCommand = %+v, %v", resp, err)
	}
	cmd := app.next(t).command
	if cmd.Command != "/tickets" || cmd.Text != "queue" || cmd.UserID != "U1" || cmd.UserName != "ana" || cmd.ChannelID != queue ||
		cmd.ChannelName != slacktest.DefaultChannelName || cmd.TeamID != srv.TeamID() || cmd.TeamDomain == "" ||
		cmd.APIAppID != srv.AppID() || cmd.ResponseURL == "" || cmd.TriggerID == "" || cmd.Token == "" {
		t.Errorf("command = %+v", cmd)
	}
	if e := srv.Ephemerals("U1"); len(e) != 1 || e[0].Text != "3 tickets in the queue" {
		t.Errorf("Ephemerals = %+v", e)
	}
	// Later, the app answers in the channel through the response URL.
	if _, _, err := api.PostMessageContext(ctx, queue, slack.MsgOptionResponseURL(cmd.ResponseURL, slack.ResponseTypeInChannel),
		slack.MsgOptionText("Ticket #7 claimed by ana", false)); err != nil {
		t.Fatalf("response_url: %v", err)
	}
	if m := srv.Messages(queue); len(m) != 1 || m[0].Text != "Ticket #7 claimed by ana" {
		t.Errorf("Messages = %+v", m)
	}
	r := srv.Responses("U1")
	if len(r) != 2 || !r[0].Immediate || r[1].ResponseType != "in_channel" || r[1].Source != "slash_command" {
		t.Errorf("Responses = %+v", r)
	}
	// A response URL takes 5 posts.
	for i := range 5 {
		_, _, err := api.PostMessageContext(ctx, queue, slack.MsgOptionResponseURL(cmd.ResponseURL, slack.ResponseTypeEphemeral), slack.MsgOptionText("x", false))
		if (i < 4) != (err == nil) {
			t.Errorf("post %d to the response URL: %v", i+2, err)
		}
	}
}

func TestSignatures(t *testing.T) {
	srv := slacktest.Start(t)
	startApp(t, srv)
	body := []byte("token=x&command=%2Ftickets")
	now := time.Now()

	h := slacktest.Sign(secret, now, body)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:%s", now.Unix(), body)
	if want := "v0=" + hex.EncodeToString(mac.Sum(nil)); h.Get("X-Slack-Signature") != want {
		t.Errorf("signature = %s, want %s", h.Get("X-Slack-Signature"), want)
	}

	target := appURL(t, srv) + "/slack/commands"
	tests := []struct {
		name   string
		secret string
		ts     time.Time
		want   int
	}{
		{"valid", secret, now, http.StatusOK},
		{"wrong secret", "not-the-secret", now, http.StatusUnauthorized},
		{"stale timestamp", secret, now.Add(-10 * time.Minute), http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := slacktest.SignedRequest(context.Background(), target, "application/x-www-form-urlencoded", body, tt.secret, tt.ts)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

// appURL finds the fake app's base URL through a url_verification delivery.
func appURL(t *testing.T, srv *slacktest.Server) string {
	t.Helper()
	if err := srv.VerifyEventsURL(context.Background()); err != nil {
		t.Fatal(err)
	}
	d := srv.Deliveries()
	return strings.TrimSuffix(d[len(d)-1].URL, "/slack/events")
}

func TestWatchAndWait(t *testing.T) {
	srv, api := newClient(t)
	srv.AddUser("U1", "Ana", "ana")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	events, stop := srv.Watch()
	defer stop()

	go func() {
		_, ts, _ := api.PostMessageContext(ctx, queue, slack.MsgOptionText("a", false))
		_, _, _, _ = api.UpdateMessageContext(ctx, queue, ts, slack.MsgOptionText("b", false))
		_, _ = api.PostEphemeralContext(ctx, queue, "U1", slack.MsgOptionText("psst", false))
		_, _, _ = api.DeleteMessageContext(ctx, queue, ts)
		_, _, _ = api.PostMessageContext(ctx, queue, slack.MsgOptionText("c", false))
	}()
	want := []slacktest.EventKind{slacktest.MessagePosted, slacktest.MessageUpdated, slacktest.EphemeralShown, slacktest.MessageDeleted, slacktest.MessagePosted}
	for i, k := range want {
		select {
		case ev := <-events:
			if ev.Kind != k || ev.Message == nil {
				t.Errorf("event %d = %+v, want %s", i, ev, k)
			}
		case <-ctx.Done():
			t.Fatalf("waiting for event %d (%s): %v", i, k, ctx.Err())
		}
	}
	msgs, err := srv.WaitMessages(ctx, queue, 1)
	if err != nil || msgs[0].Text != "c" {
		t.Errorf("WaitMessages = %+v, %v", msgs, err)
	}
	short, cancelShort := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancelShort()
	if _, err := srv.WaitMessages(short, queue, 2); err == nil {
		t.Error("WaitMessages returned before there were 2 messages")
	}
	stop()
	if _, ok := <-events; ok {
		t.Error("channel open after stop")
	}
}

func TestConcurrentPostsGetUniqueTimestamps(t *testing.T) {
	srv, api := newClient(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[string]bool{}
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, ts, err := api.PostMessageContext(context.Background(), queue, slack.MsgOptionText(fmt.Sprint(i), false))
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if seen[ts] {
				t.Errorf("ts %s given twice", ts)
			}
			seen[ts] = true
		}()
	}
	wg.Wait()
	msgs := srv.Messages(queue)
	for i := 1; i < len(msgs); i++ {
		if msgs[i].TS <= msgs[i-1].TS {
			t.Errorf("messages out of order: %s then %s", msgs[i-1].TS, msgs[i].TS)
		}
	}
}
