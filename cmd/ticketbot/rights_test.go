package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/bots/slack/slacktest"
	"github.com/colombiainformatica/ticketbot/bots/telegram/telegramtest"
	"github.com/colombiainformatica/ticketbot/internal/redistest"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// The holder's rights end to end: the whole product (both adapters and
// delivery on a real Redis, the fake Telegram and Slack), two customers
// with tickets, messages and photos copied into Slack; the operator shows,
// exports and forgets one of them with `ticketbot customer`, and a scan of
// every key and value under the prefix finds none of that customer's
// identifiers or texts, while the other customer's are all still there.

// rightsCustomer is one customer of the test and what identifies them.
type rightsCustomer struct {
	user   telegramtest.User
	desc   string // the ticket's description
	text   string // a message sent from Telegram
	fileID string // the Telegram file of a photo sent
	n      int64  // the ticket
}

func (c *rightsCustomer) key() string { return "telegram:" + strconv.FormatInt(c.user.ID, 10) }

// secrets are the strings that identify the customer in storage.
func (c *rightsCustomer) secrets() []string {
	return []string{strconv.FormatInt(c.user.ID, 10), c.user.FirstName, c.desc, c.text, c.fileID}
}

func TestHolderRightsEndToEnd(t *testing.T) {
	url := redistest.URL(t)
	rdb, prefix := redistest.Client(t) // deletes the prefix's keys at cleanup
	tg := telegramtest.New()
	t.Cleanup(tg.Close)
	sl := slacktest.Start(t)
	sl.AddUser(filesAgent, "Ana Pérez", "Ana")
	sl.AddUserGroup(filesGroup, filesAgent)
	env := map[string]string{
		"HTTP_ADDR": "127.0.0.1:0", "LOG_LEVEL": "debug",
		"REDIS_URL": url, "REDIS_PREFIX": prefix,
		"TELEGRAM_BOT_TOKEN": tg.Token(), "TELEGRAM_API_ENDPOINT": tg.Endpoint(),
		"SLACK_BOT_TOKEN": sl.Token(), "SLACK_SIGNING_SECRET": filesSecret, "SLACK_API_URL": sl.APIURL(),
		"SLACK_QUEUE_CHANNEL": slacktest.DefaultChannelID, "SLACK_AGENTS": filesGroup,
		"PRIVACY_URL": "https://example.com/privacidad", "PRIVACY_VERSION": "p-2026",
	}
	m := startMain(t, env, false)
	base := "http://" + m.HTTPAddr()
	sl.SetApp(base+"/slack/events", base+"/slack/interactions", base+"/slack/commands", filesSecret)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)

	gone := &rightsCustomer{user: telegramtest.User{ID: 4242424201, FirstName: "Marielaxq", LanguageCode: "es"},
		desc: "impresora-marielaxq-descripcion", text: "mensaje-marielaxq-texto", fileID: "photo-marielaxq-1"}
	kept := &rightsCustomer{user: telegramtest.User{ID: 4242424202, FirstName: "Pedritozk", LanguageCode: "es"},
		desc: "impresora-pedritozk-descripcion", text: "mensaje-pedritozk-texto", fileID: "photo-pedritozk-1"}
	svc := m.Service
	agent := tickets.AgentActor(tickets.Agent{ID: filesAgent, Name: "Ana"})
	for _, c := range []*rightsCustomer{gone, kept} {
		id := strconv.FormatInt(c.user.ID, 10)
		cust := tickets.Customer{Platform: "telegram", UserID: id, ChatID: id, Name: c.user.FirstName, Language: "es"}
		if _, err := svc.AcceptTerms(ctx, cust, svc.Consent()); err != nil {
			t.Fatal(err)
		}
		tk, err := svc.Open(ctx, tickets.OpenRequest{Customer: cust, Nature: tickets.NatureMalfunction,
			Urgency: tickets.UrgencyNormal, Description: c.desc})
		if err != nil {
			t.Fatal(err)
		}
		c.n = tk.Number
		if _, err := svc.Claim(ctx, agent, tk.Number, false); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.AddMessage(ctx, agent, tk.Number, tickets.MessageInput{Kind: tickets.MessageNote, Text: "nota-interna-del-agente"}); err != nil {
			t.Fatal(err)
		}
		tg.AddFile(c.fileID, "photo", "", content("\x89PNG "+c.user.FirstName, 2000))
		tg.SendText(c.user, c.text)
		tg.SendPhoto(c.user, c.fileID, "", "")
	}
	threadOf := func(n int64) []slacktest.Message {
		for _, msg := range sl.Messages(slacktest.DefaultChannelID) {
			if msg.IsBot() && strings.Contains(msg.Text, fmt.Sprintf("Ticket #%d ", n)) {
				return sl.Thread(slacktest.DefaultChannelID, msg.TS)
			}
		}
		return nil
	}
	slackFiles := func(n int64) []string {
		var ids []string
		for _, msg := range threadOf(n) {
			for _, f := range msg.Files {
				ids = append(ids, f.ID)
			}
		}
		return ids
	}
	if err := sl.WaitFor(ctx, func() bool { return len(slackFiles(gone.n)) == 1 && len(slackFiles(kept.n)) == 1 }); err != nil {
		t.Fatalf("waiting for the photos in Slack: %v", err)
	}
	goneFiles := slackFiles(gone.n)
	dump := scanPrefix(t, rdb, prefix)
	for _, c := range []*rightsCustomer{gone, kept} {
		for _, s := range c.secrets() {
			if !strings.Contains(dump, s) {
				t.Fatalf("before: %q is nowhere under the prefix", s)
			}
		}
	}

	// The operator's view: text and JSON, without the agents' notes.
	var out, errs bytes.Buffer
	if code := run(ctx, []string{"customer", "show", gone.key()}, envOf(env), &out, &errs); code != 0 {
		t.Fatalf("customer show = %d: %s", code, errs.String())
	}
	for _, want := range []string{gone.desc, gone.text, "p-2026", fmt.Sprintf("#%d", gone.n)} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("customer show lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if code := run(ctx, []string{"customer", "export", gone.key()}, envOf(env), &out, &errs); code != 0 {
		t.Fatalf("customer export = %d: %s", code, errs.String())
	}
	var exp export
	if err := json.Unmarshal(out.Bytes(), &exp); err != nil {
		t.Fatalf("export is not JSON: %v\n%s", err, out.String())
	}
	if exp.Customer != gone.key() || exp.Profile.PrivacyVersion != "p-2026" || len(exp.Tickets) != 1 || exp.Tickets[0].Description != gone.desc {
		t.Errorf("export = %+v", exp)
	}
	if strings.Contains(out.String(), "nota-interna") || strings.Contains(out.String(), kept.desc) {
		t.Errorf("export shows a note or another customer's data:\n%s", out.String())
	}

	// Forget.
	out.Reset()
	if code := run(ctx, []string{"customer", "forget", gone.key()}, envOf(env), &out, &errs); code != 0 {
		t.Fatalf("customer forget = %d: %s", code, errs.String())
	}
	if !strings.Contains(out.String(), fmt.Sprintf("[%d]", gone.n)) {
		t.Errorf("forget said %q", out.String())
	}
	// Slack: the card says so, the app's posts are replaced, its copies deleted.
	if err := sl.WaitFor(ctx, func() bool {
		for _, id := range goneFiles {
			if !sl.FileDeleted(id) {
				return false
			}
		}
		return true
	}); err != nil {
		t.Fatalf("waiting for the copied photo to be deleted: %v", err)
	}
	for _, msg := range sl.Messages(slacktest.DefaultChannelID) {
		if strings.Contains(msg.Text, fmt.Sprintf("Ticket #%d ", gone.n)) && !strings.Contains(msg.Text, "deleted at the customer's request") {
			t.Errorf("card = %q", msg.Text)
		}
	}
	for _, msg := range threadOf(gone.n) {
		if msg.IsBot() && (strings.Contains(msg.PlainText(), gone.text) || strings.Contains(msg.PlainText(), gone.user.FirstName)) {
			t.Errorf("a bot message in the thread still shows the customer: %q", msg.PlainText())
		}
	}
	// Storage: nothing of the forgotten customer (delivery may still be
	// finishing its last messages), everything of the other.
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		dump = scanPrefix(t, rdb, prefix)
		var left []string
		for _, s := range gone.secrets() {
			if strings.Contains(dump, s) {
				left = append(left, s+" in "+keysWith(dump, s))
			}
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after forget, the customer is still under the prefix:\n%s", strings.Join(left, "\n"))
		}
		<-tick.C
	}
	for _, s := range kept.secrets() {
		if !strings.Contains(dump, s) {
			t.Errorf("after: the other customer's %q is gone", s)
		}
	}
	tk, err := svc.Get(ctx, tickets.SystemActor, gone.n)
	if err != nil || tk.Erased.IsZero() || tk.Status != tickets.StatusClosed || tk.Nature != tickets.NatureMalfunction {
		t.Errorf("erased ticket = %+v, %v", tk, err)
	}
	if code := run(ctx, []string{"customer", "forget"}, envOf(env), &out, &errs); code != 2 {
		t.Errorf("customer forget without a key = %d, want 2", code)
	}
}

// scanPrefix returns every key under prefix with its whole value, one
// line per key ("key => value").
func scanPrefix(t testing.TB, rdb redis.UniversalClient, prefix string) string {
	t.Helper()
	ctx := context.Background()
	var keys []string
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		v, err := redistest.Values(ctx, rdb, k)
		if err != nil {
			t.Error(err)
		}
		fmt.Fprintf(&b, "%s => %v\n", strings.TrimPrefix(k, prefix), v) // the random prefix may hold any digits
	}
	return b.String()
}

// keysWith names the keys of dump whose line contains s.
func keysWith(dump, s string) string {
	var ks []string
	for _, line := range strings.Split(dump, "\n") {
		if strings.Contains(line, s) {
			k, _, _ := strings.Cut(line, " => ")
			ks = append(ks, k)
		}
	}
	return strings.Join(ks, ", ")
}
