package slacktest_test

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/colombiainformatica/ticketbot/bots/slack/slacktest"
)

const queue = slacktest.DefaultChannelID

func newClient(t testing.TB, opts ...slacktest.Option) (*slacktest.Server, *slack.Client) {
	t.Helper()
	srv := slacktest.Start(t, opts...)
	return srv, slack.New(srv.Token(), slack.OptionAPIURL(srv.APIURL()))
}

func ticketBlocks(n int) []slack.Block {
	return []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "Ticket #1042", false, false)),
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*Service down* for customer Ana", false, false), nil, nil),
		slack.NewActionBlock("ticket-1042",
			slack.NewButtonBlockElement("claim", "1042", slack.NewTextBlockObject(slack.PlainTextType, "Claim", false, false)).WithStyle(slack.StylePrimary),
			slack.NewButtonBlockElement("resolve", "1042", slack.NewTextBlockObject(slack.PlainTextType, "Resolve", false, false)),
			slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, slack.NewTextBlockObject(slack.PlainTextType, "Priority", false, false), "priority",
				slack.NewOptionBlockObject("high", slack.NewTextBlockObject(slack.PlainTextType, "High", false, false), nil),
				slack.NewOptionBlockObject("low", slack.NewTextBlockObject(slack.PlainTextType, "Low", false, false), nil),
			),
		),
	}[:n]
}

var tsPattern = regexp.MustCompile(`^\d{10}\.\d{6}$`)

func TestPostMessageRecordsBlocksAndActions(t *testing.T) {
	srv, api := newClient(t)
	ctx := context.Background()

	ch, ts, err := api.PostMessageContext(ctx, queue,
		slack.MsgOptionText("Ticket #1042", false), slack.MsgOptionBlocks(ticketBlocks(3)...),
		slack.MsgOptionUsername("Tickets"), slack.MsgOptionIconEmoji(":ticket:"))
	if err != nil {
		t.Fatalf("PostMessage: %v", err)
	}
	if ch != queue || !tsPattern.MatchString(ts) {
		t.Fatalf("PostMessage = %q, %q; want %s and a Slack ts", ch, ts, queue)
	}
	_, ts2, err := api.PostMessageContext(ctx, "#support-queue", slack.MsgOptionText("second", false))
	if err != nil {
		t.Fatalf("PostMessage by name: %v", err)
	}
	if ts2 <= ts {
		t.Errorf("timestamps not increasing: %s then %s", ts, ts2)
	}

	msgs := srv.Messages(queue)
	if len(msgs) != 2 {
		t.Fatalf("Messages = %d, want 2", len(msgs))
	}
	m := msgs[0]
	if m.TS != ts || m.Text != "Ticket #1042" || !m.IsBot() || m.Username != "Tickets" || m.IconEmoji != ":ticket:" {
		t.Errorf("message = %+v", m)
	}
	if got, want := m.PlainText(), "Ticket #1042\n*Service down* for customer Ana"; got != want {
		t.Errorf("PlainText = %q, want %q", got, want)
	}
	want := []slacktest.Action{
		{BlockID: "ticket-1042", ActionID: "claim", Type: "button", Text: "Claim", Value: "1042", Style: "primary"},
		{BlockID: "ticket-1042", ActionID: "resolve", Type: "button", Text: "Resolve", Value: "1042"},
		{BlockID: "ticket-1042", ActionID: "priority", Type: "static_select", Text: "Priority",
			Options: []slacktest.Choice{{Text: "High", Value: "high"}, {Text: "Low", Value: "low"}}},
	}
	if diff := cmp.Diff(want, m.Actions()); diff != "" {
		t.Errorf("Actions (-want +got):\n%s", diff)
	}

	calls := srv.Calls("chat.postMessage")
	if len(calls) != 2 || calls[0].Params.Get("username") != "Tickets" || calls[0].Params.Has("token") {
		t.Errorf("calls = %+v", calls)
	}
	if got := srv.Stats().Calls["chat.postMessage"]; got != 2 {
		t.Errorf("Stats calls = %d, want 2", got)
	}

	// The history the real client decodes.
	hist, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: queue})
	if err != nil {
		t.Fatalf("history: %v", err)
	}
	if len(hist.Messages) != 2 || hist.Messages[0].Timestamp != ts2 || len(hist.Messages[1].Blocks.BlockSet) != 3 {
		t.Errorf("history = %+v", hist.Messages)
	}
}

func TestThreadsAndReplies(t *testing.T) {
	srv, api := newClient(t)
	ctx := context.Background()
	_, parent, err := api.PostMessageContext(ctx, queue, slack.MsgOptionText("card", false))
	if err != nil {
		t.Fatal(err)
	}
	_, r1, err := api.PostMessageContext(ctx, queue, slack.MsgOptionText("customer says hi", false), slack.MsgOptionTS(parent))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessageContext(ctx, queue, slack.MsgOptionText("second", false), slack.MsgOptionTS(r1)); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Messages(queue)); n != 1 {
		t.Errorf("top-level messages = %d, want 1", n)
	}
	thread := srv.Thread(queue, parent)
	if len(thread) != 2 || thread[1].ThreadTS != parent {
		t.Fatalf("Thread = %+v", thread)
	}
	replies, _, _, err := api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: queue, Timestamp: parent})
	if err != nil {
		t.Fatal(err)
	}
	if len(replies) != 3 || replies[0].ReplyCount != 2 || replies[2].Text != "second" {
		t.Errorf("replies = %+v", replies)
	}
	_, _, err = api.PostMessageContext(ctx, queue, slack.MsgOptionText("x", false), slack.MsgOptionTS("1.000001"))
	if !isSlackError(err, "thread_not_found") {
		t.Errorf("reply to unknown thread: %v", err)
	}
	link, err := api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: queue, Ts: r1})
	if err != nil || !strings.Contains(link, "/archives/"+queue+"/p") || !strings.Contains(link, "thread_ts="+parent) {
		t.Errorf("permalink = %q, %v", link, err)
	}
}

func isSlackError(err error, code string) bool {
	var se slack.SlackErrorResponse
	return errors.As(err, &se) && se.Err == code
}

func TestUpdateDeleteAndReactions(t *testing.T) {
	srv, api := newClient(t)
	ctx := context.Background()
	_, ts, err := api.PostMessageContext(ctx, queue, slack.MsgOptionText("open", false), slack.MsgOptionBlocks(ticketBlocks(3)...))
	if err != nil {
		t.Fatal(err)
	}
	// Text only: the blocks stay.
	if _, _, _, err := api.UpdateMessageContext(ctx, queue, ts, slack.MsgOptionText("claimed", false)); err != nil {
		t.Fatalf("update: %v", err)
	}
	m, _ := srv.Message(queue, ts)
	if m.Text != "claimed" || m.Edits != 1 || len(m.Actions()) != 3 {
		t.Errorf("after text update: %+v", m)
	}
	// New blocks replace the old ones.
	if _, _, _, err := api.UpdateMessageContext(ctx, queue, ts, slack.MsgOptionBlocks(ticketBlocks(2)...)); err != nil {
		t.Fatalf("update: %v", err)
	}
	m, _ = srv.Message(queue, ts)
	if m.Edits != 2 || len(m.Actions()) != 0 || m.Text != "claimed" {
		t.Errorf("after blocks update: %+v", m)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, queue, "1.000001", slack.MsgOptionText("x", false)); !isSlackError(err, "message_not_found") {
		t.Errorf("update unknown ts: %v", err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, "C0NOPE", ts, slack.MsgOptionText("x", false)); !isSlackError(err, "channel_not_found") {
		t.Errorf("update unknown channel: %v", err)
	}
	if err := api.AddReactionContext(ctx, "eyes", slack.NewRefToMessage(queue, ts)); err != nil {
		t.Fatalf("reaction: %v", err)
	}
	if err := api.AddReactionContext(ctx, "eyes", slack.NewRefToMessage(queue, ts)); !isSlackError(err, "already_reacted") {
		t.Errorf("second reaction: %v", err)
	}
	if _, _, err := api.DeleteMessageContext(ctx, queue, ts); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if len(srv.Messages(queue)) != 0 {
		t.Error("message still there after delete")
	}
}

func TestMessageLimits(t *testing.T) {
	_, api := newClient(t)
	ctx := context.Background()
	tests := []struct {
		name string
		opts []slack.MsgOption
		code string
	}{
		{"text over 40000", []slack.MsgOption{slack.MsgOptionText(strings.Repeat("a", 40001), false)}, "msg_too_long"},
		{"no text", []slack.MsgOption{slack.MsgOptionText("", false)}, "no_text"},
		{"51 blocks", []slack.MsgOption{slack.MsgOptionBlocks(repeatBlock(51)...)}, "invalid_blocks"},
		{"section over 3000", []slack.MsgOption{slack.MsgOptionBlocks(slack.NewSectionBlock(
			slack.NewTextBlockObject(slack.MarkdownType, strings.Repeat("x", 3001), false, false), nil, nil))}, "invalid_blocks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := api.PostMessageContext(ctx, queue, tt.opts...)
			if !isSlackError(err, tt.code) {
				t.Errorf("err = %v, want %s", err, tt.code)
			}
		})
	}
	if _, _, err := api.PostMessageContext(ctx, queue, slack.MsgOptionBlocks(repeatBlock(50)...)); err != nil {
		t.Errorf("50 blocks: %v", err)
	}
	if _, _, err := api.PostMessageContext(ctx, queue, slack.MsgOptionText(strings.Repeat("é", 40000), false)); err != nil {
		t.Errorf("40000 characters: %v", err)
	}
}

func repeatBlock(n int) []slack.Block {
	var bs []slack.Block
	for range n {
		bs = append(bs, slack.NewDividerBlock())
	}
	return bs
}

func TestAuth(t *testing.T) {
	srv, api := newClient(t)
	ctx := context.Background()
	res, err := api.AuthTestContext(ctx)
	if err != nil || res.UserID != srv.BotUserID() || res.TeamID != srv.TeamID() {
		t.Fatalf("auth.test = %+v, %v", res, err)
	}
	bad := slack.New("xoxb-wrong", slack.OptionAPIURL(srv.APIURL()))
	if _, err := bad.AuthTestContext(ctx); !isSlackError(err, "invalid_auth") {
		t.Errorf("wrong token: %v", err)
	}
	if _, _, err := bad.PostMessageContext(ctx, queue, slack.MsgOptionText("x", false)); !isSlackError(err, "invalid_auth") {
		t.Errorf("wrong token post: %v", err)
	}
	// JSON methods carry the token in the Authorization header.
	if _, err := bad.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U1", View: slack.HomeTabViewRequest{Type: slack.VTHomeTab}}); !isSlackError(err, "invalid_auth") {
		t.Errorf("wrong token JSON: %v", err)
	}
	if _, _, err := api.PostMessageContext(ctx, "C0NOPE", slack.MsgOptionText("x", false)); !isSlackError(err, "channel_not_found") {
		t.Errorf("unknown channel: %v", err)
	}
	if got := srv.Stats().Errors["chat.postMessage"]; got != 2 {
		t.Errorf("Stats errors = %d, want 2", got)
	}
}

func TestEphemeralUsersAndGroups(t *testing.T) {
	srv, api := newClient(t)
	ctx := context.Background()
	srv.AddUser("U1", "Ana Gómez", "ana")
	srv.AddUser("U2", "Luis Pérez", "")
	srv.AddUserGroup("S0AGENTS", "U1", "U2")

	ts, err := api.PostEphemeralContext(ctx, queue, "U1", slack.MsgOptionText("only you", false))
	if err != nil || ts == "" {
		t.Fatalf("postEphemeral: %q %v", ts, err)
	}
	if _, err := api.PostEphemeralContext(ctx, queue, "U404", slack.MsgOptionText("x", false)); !isSlackError(err, "user_not_in_channel") {
		t.Errorf("ephemeral to unknown user: %v", err)
	}
	if e := srv.Ephemerals("U1"); len(e) != 1 || e[0].Text != "only you" || e[0].Recipient != "U1" {
		t.Errorf("Ephemerals = %+v", e)
	}
	if len(srv.Ephemerals("U2")) != 0 || len(srv.Messages(queue)) != 0 {
		t.Error("ephemeral leaked")
	}

	u, err := api.GetUserInfoContext(ctx, "U1")
	if err != nil {
		t.Fatalf("users.info: %v", err)
	}
	if u.RealName != "Ana Gómez" || u.Profile.RealName != "Ana Gómez" || u.Profile.DisplayName != "ana" || u.Name != "ana" {
		t.Errorf("user = %+v", u)
	}
	if _, err := api.GetUserInfoContext(ctx, "U404"); !isSlackError(err, "user_not_found") {
		t.Errorf("unknown user: %v", err)
	}
	members, err := api.GetUserGroupMembersContext(ctx, "S0AGENTS")
	if err != nil || !cmp.Equal(members, []string{"U1", "U2"}) {
		t.Errorf("usergroups.users.list = %v, %v", members, err)
	}
	if _, err := api.GetUserGroupMembersContext(ctx, "S0NOPE"); !isSlackError(err, "no_such_subteam") {
		t.Errorf("unknown group: %v", err)
	}
	info, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: queue})
	if err != nil || info.Name != slacktest.DefaultChannelName || !info.IsChannel {
		t.Errorf("conversations.info = %+v, %v", info, err)
	}
}

func modal(callbackID string) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           slack.NewTextBlockObject(slack.PlainTextType, "Reply", false, false),
		Submit:          slack.NewTextBlockObject(slack.PlainTextType, "Send", false, false),
		CallbackID:      callbackID,
		PrivateMetadata: "ticket=1042",
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("reply", slack.NewTextBlockObject(slack.PlainTextType, "Reply", false, false), nil,
				slack.NewPlainTextInputBlockElement(nil, "text")),
			slack.NewInputBlock("prio", slack.NewTextBlockObject(slack.PlainTextType, "Priority", false, false), nil,
				slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, "level",
					slack.NewOptionBlockObject("high", slack.NewTextBlockObject(slack.PlainTextType, "High", false, false), nil))),
		}},
	}
}

func TestViews(t *testing.T) {
	srv, api := newClient(t)
	ctx := context.Background()
	srv.AddUser("U1", "Ana", "ana")

	if _, err := api.OpenViewContext(ctx, "bogus", modal("reply")); !isSlackError(err, "invalid_trigger_id") {
		t.Errorf("bogus trigger: %v", err)
	}
	trigger := srv.NewTriggerID("U1")
	v, err := api.OpenViewContext(ctx, trigger, modal("reply"))
	if err != nil {
		t.Fatalf("views.open: %v", err)
	}
	if v.ID == "" || v.CallbackID != "reply" || v.PrivateMetadata != "ticket=1042" || v.Hash == "" || len(v.Blocks.BlockSet) != 2 {
		t.Errorf("view = %+v", v.View)
	}
	if _, err := api.OpenViewContext(ctx, trigger, modal("reply")); !isSlackError(err, "exchanged_trigger_id") {
		t.Errorf("reused trigger: %v", err)
	}
	if _, err := api.UpdateViewContext(ctx, modal("reply2"), "", "stale", v.ID); !isSlackError(err, "hash_conflict") {
		t.Errorf("stale hash: %v", err)
	}
	if _, err := api.UpdateViewContext(ctx, modal("reply2"), "", v.Hash, v.ID); err != nil {
		t.Errorf("views.update: %v", err)
	}
	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: ticketBlocks(2)}}
	if _, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U1", View: home}); err != nil {
		t.Errorf("views.publish: %v", err)
	}
	views := srv.Views("U1")
	if len(views) != 2 || views[0].CallbackID != "reply2" || views[0].Updates != 1 || !views[0].Open || views[1].Type != "home" {
		t.Errorf("Views = %+v", views)
	}
}

func TestRateLimitNext(t *testing.T) {
	srv, api := newClient(t)
	ctx := context.Background()
	srv.RateLimitNext("chat.postMessage", 1, 7)
	_, _, err := api.PostMessageContext(ctx, queue, slack.MsgOptionText("x", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 7*time.Second {
		t.Fatalf("err = %v, want RateLimitedError 7s", err)
	}
	if _, _, err := api.PostMessageContext(ctx, queue, slack.MsgOptionText("x", false)); err != nil {
		t.Errorf("after the injected 429: %v", err)
	}
	st := srv.Stats()
	if st.RateLimited["chat.postMessage"] != 1 || st.Calls["chat.postMessage"] != 2 {
		t.Errorf("Stats = %+v", st)
	}
	if len(srv.Messages(queue)) != 1 {
		t.Error("the rate-limited message was stored")
	}
}

func TestFailNext(t *testing.T) {
	srv, api := newClient(t)
	ctx := context.Background()
	srv.FailNext("chat.update", 2, http.StatusServiceUnavailable)
	_, ts, _ := api.PostMessageContext(ctx, queue, slack.MsgOptionText("x", false))
	for range 2 {
		_, _, _, err := api.UpdateMessageContext(ctx, queue, ts, slack.MsgOptionText("y", false))
		var sc slack.StatusCodeError
		if !errors.As(err, &sc) || sc.Code != http.StatusServiceUnavailable || !sc.Retryable() {
			t.Fatalf("err = %#v, want StatusCodeError 503", err)
		}
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, queue, ts, slack.MsgOptionText("y", false)); err != nil {
		t.Errorf("third update: %v", err)
	}
	if got := srv.Stats().Failed["chat.update"]; got != 2 {
		t.Errorf("Failed = %d", got)
	}
}

func TestSetLatencyHonorsCancellation(t *testing.T) {
	srv, api := newClient(t)
	srv.SetLatency("chat.postMessage", time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := api.PostMessageContext(ctx, queue, slack.MsgOptionText("x", false))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want deadline exceeded", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Error("latency not cut by the context")
	}
	srv.SetLatency("chat.postMessage", 0)
	if _, _, err := api.PostMessageContext(context.Background(), queue, slack.MsgOptionText("x", false)); err != nil {
		t.Error(err)
	}
	if err := srv.WaitFor(context.Background(), func() bool { return len(srv.Calls("chat.postMessage")) == 2 }); err != nil {
		t.Error(err)
	}
	// The server sees the first call end when the client has gone, which
	// may be after the second call: find it by its status.
	gone := 0
	for _, c := range srv.Calls("chat.postMessage") {
		if c.Status == 0 {
			gone++
		}
	}
	if gone != 1 || len(srv.Messages(queue)) != 1 {
		t.Errorf("calls = %+v, messages %d: want the cancelled one without effect", srv.Calls("chat.postMessage"), len(srv.Messages(queue)))
	}
}

func TestEnforceLimitsPostMessagePerChannel(t *testing.T) {
	srv, api := newClient(t, slacktest.WithEnforceLimits(true))
	srv.AddChannel("C0OTHER", "other")
	ctx := context.Background()
	if _, _, err := api.PostMessageContext(ctx, queue, slack.MsgOptionText("1", false)); err != nil {
		t.Fatal(err)
	}
	_, _, err := api.PostMessageContext(ctx, queue, slack.MsgOptionText("2", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter < time.Second {
		t.Fatalf("second post within a second: %v", err)
	}
	if _, _, err := api.PostMessageContext(ctx, "C0OTHER", slack.MsgOptionText("1", false)); err != nil {
		t.Errorf("another channel: %v", err)
	}
	if got := srv.Stats().RateLimited["chat.postMessage"]; got != 1 {
		t.Errorf("RateLimited = %d", got)
	}
	srv.EnforceLimits(false)
	if _, _, err := api.PostMessageContext(ctx, queue, slack.MsgOptionText("3", false)); err != nil {
		t.Errorf("limits off: %v", err)
	}
}

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestEnforceLimitsUpdateTokenBucket(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1700000000, 0)}
	srv, api := newClient(t, slacktest.WithEnforceLimits(true), slacktest.WithClock(clock.Now))
	ctx := context.Background()
	_, ts, err := api.PostMessageContext(ctx, queue, slack.MsgOptionText("x", false))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if _, _, _, err := api.UpdateMessageContext(ctx, queue, ts, slack.MsgOptionText("u", false)); err != nil {
			t.Fatalf("update %d: %v", i+1, err)
		}
	}
	_, _, _, err = api.UpdateMessageContext(ctx, queue, ts, slack.MsgOptionText("u", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second { // one token every 1.2 s
		t.Fatalf("51st update: %v", err)
	}
	clock.Add(1200 * time.Millisecond)
	if _, _, _, err := api.UpdateMessageContext(ctx, queue, ts, slack.MsgOptionText("u", false)); err != nil {
		t.Errorf("after a refill: %v", err)
	}
	if m, _ := srv.Message(queue, ts); m.Edits != 51 {
		t.Errorf("Edits = %d, want 51", m.Edits)
	}
	// A new second lets the channel post again.
	clock.Add(time.Second)
	if _, _, err := api.PostMessageContext(ctx, queue, slack.MsgOptionText("y", false)); err != nil {
		t.Errorf("post after a second: %v", err)
	}
}

func TestFilesInfo(t *testing.T) {
	srv, api := newClient(t)
	srv.AddFile(slacktest.File{ID: "F1", Name: "shot.png", Mimetype: "image/png", Size: 42})
	f, _, _, err := api.GetFileInfoContext(context.Background(), "F1", 0, 0)
	if err != nil || f.Name != "shot.png" || f.Size != 42 {
		t.Errorf("files.info = %+v, %v", f, err)
	}
	if _, _, _, err := api.GetFileInfoContext(context.Background(), "F2", 0, 0); !isSlackError(err, "file_not_found") {
		t.Errorf("unknown file: %v", err)
	}
}

func TestChannelsAndUsers(t *testing.T) {
	srv := slacktest.Start(t)
	srv.AddChannel("C0OTHER", "other")
	srv.AddUser("U1", "Ana Gómez", "Ana G")
	want := []slacktest.Channel{{ID: queue, Name: slacktest.DefaultChannelName}, {ID: "C0OTHER", Name: "other"}}
	if diff := cmp.Diff(want, srv.Channels()); diff != "" {
		t.Errorf("Channels (-want +got):\n%s", diff)
	}
	users := srv.Users()
	if len(users) != 2 || users[0].ID != "U0TICKETBOT" || !users[0].IsBot || users[1].Name != "ana.g" {
		t.Errorf("Users = %+v", users)
	}
}
