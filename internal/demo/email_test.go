package demo

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/colombiainformatica/ticketbot/bots/email"
	"github.com/colombiainformatica/ticketbot/internal/demo/mailhost"
)

const testSupport = "soporte@example.org"

// newMailServer serves the page with the mail pane and no adapter: the
// test plays the support side itself.
func newMailServer(t *testing.T) (string, *Mail) {
	t.Helper()
	f, err := StartFakes(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	m, err := f.StartMail(testSupport)
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(Config{Telegram: f.Telegram, Slack: f.Slack, Mail: m, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	d.Routes(mux)
	srv := httpTestServer(mux, d)
	t.Cleanup(func() { d.Close(); srv.Close() })
	return srv.URL, m
}

// supportSends mails the customer from the support account over SMTP, as
// the adapter does, and returns the Message-ID.
func supportSends(t *testing.T, m *Mail, subject, text string) string {
	t.Helper()
	s, err := email.NewSender(email.SMTPConfig{Addr: m.Host.SMTPAddr(), Security: email.SecurityNone,
		Username: m.Support, Password: m.SupportPassword, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	id := randomHex(8) + "@example.org"
	err = s.SendMail(context.Background(), &email.Outgoing{
		From: email.Address{Name: "Soporte", Address: m.Support}, To: []email.Address{m.Customer},
		Subject: subject, MessageID: id, References: []string{"first@example.com"}, InReplyTo: "first@example.com",
		Date: time.Date(2026, 3, 4, 10, 30, 0, 0, time.UTC), Text: text,
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func supportInbox(t *testing.T, m *Mail) []*email.Mail {
	t.Helper()
	ms, err := m.Host.Messages(m.Support, mailhost.Inbox)
	if err != nil {
		t.Fatal(err)
	}
	var out []*email.Mail
	for _, raw := range ms {
		p, err := email.Parse(bytes.NewReader(raw.Raw))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// TestMailPaneRefuses checks what the mail API refuses: no JSON, no
// text, a subject on two lines (header injection) or too long, a new mail
// without a subject, a reply to a mail that is not there, an unknown
// folder, marking a mail that is not there; nothing reaches the support
// mailbox.
func TestMailPaneRefuses(t *testing.T) {
	base, m := newMailServer(t)
	resp, err := http.Post(base+"/demo/api/email/send", "text/plain", strings.NewReader(`{"subject":"a","text":"b"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("a form post: %d, want 415", resp.StatusCode)
	}
	for name, body := range map[string]mailSend{
		"no text":          {Subject: "Hola", Text: "  "},
		"two-line subject": {Subject: "Hola\r\nBcc: otro@example.com", Text: "x"},
		"long subject":     {Subject: strings.Repeat("a", maxSubject+1), Text: "x"},
		"no subject":       {Text: "x"},
		"long text":        {Subject: "Hola", Text: strings.Repeat("a", maxText+1)},
	} {
		if code, _ := post(t, base, "/demo/api/email/send", body); code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", name, code)
		}
	}
	if code, _ := post(t, base, "/demo/api/email/send", mailSend{Text: "x", ReplyTo: 99}); code != http.StatusNotFound {
		t.Errorf("a reply to no mail: %d, want 404", code)
	}
	if code, _ := post(t, base, "/demo/api/email/read", mailRead{UID: 99}); code != http.StatusNotFound {
		t.Errorf("reading no mail: %d, want 404", code)
	}
	resp, err = http.Get(base + "/demo/api/email?folder=Trash")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an unknown folder: %d, want 400", resp.StatusCode)
	}
	if got := supportInbox(t, m); len(got) != 0 {
		t.Errorf("refused mails reached the support mailbox: %d", len(got))
	}
}

// TestMailPaneThreads sends a new mail and a reply through the page: the
// new mail reaches the support INBOX over SMTP and is kept in Sent; the
// reply carries In-Reply-To and References, "Re:" and the original quoted
// under a Spanish attribution line, which the adapter's stripper removes;
// the inbox counts and clears the unread mail and shows the ticket tag.
func TestMailPaneThreads(t *testing.T) {
	base, m := newMailServer(t)
	code, out := post(t, base, "/demo/api/email/send", mailSend{Subject: "Impresora", Text: "No imprime."})
	if code != http.StatusOK || out["ok"] != true {
		t.Fatalf("send: %d %v", code, out)
	}
	in := supportInbox(t, m)
	if len(in) != 1 || in[0].Subject != "Impresora" || in[0].From != m.Customer || in[0].MessageID != out["messageId"] {
		t.Fatalf("support INBOX: %+v", in)
	}
	sent := get[mailSnapshot](t, base, "/demo/api/email?folder=sent")
	if len(sent.Messages) != 1 || !sent.Messages[0].Seen || sent.Messages[0].Subject != "Impresora" {
		t.Errorf("Sent: %+v", sent.Messages)
	}

	id := supportSends(t, m, "Re: Impresora [#12]", "Hola Carla:\n\nReinicie la impresora.\n")
	inbox := get[mailSnapshot](t, base, "/demo/api/email?folder=inbox")
	if inbox.Unread != 1 || len(inbox.Messages) != 1 {
		t.Fatalf("inbox: %+v", inbox)
	}
	got := inbox.Messages[0]
	if got.Ticket != 12 || got.Seen || got.MessageID != id || got.From.Address != m.Support {
		t.Errorf("inbox mail: %+v", got)
	}

	code, out = post(t, base, "/demo/api/email/send", mailSend{ReplyTo: got.UID, Text: "Ya la reinicié y sigue igual."})
	if code != http.StatusOK {
		t.Fatalf("reply: %d %v", code, out)
	}
	in = supportInbox(t, m)
	if len(in) != 2 {
		t.Fatalf("support INBOX has %d mails", len(in))
	}
	r := in[1]
	if r.Subject != "Re: Impresora [#12]" {
		t.Errorf("reply subject %q", r.Subject)
	}
	if len(r.InReplyTo) != 1 || r.InReplyTo[0] != id {
		t.Errorf("In-Reply-To %v, want %s", r.InReplyTo, id)
	}
	if want := []string{"first@example.com", id}; strings.Join(r.References, " ") != strings.Join(want, " ") {
		t.Errorf("References %v, want %v", r.References, want)
	}
	if !strings.Contains(r.Text, "El 4/3/2026 a las 10:30, Soporte <"+m.Support+"> escribió:\n> Hola Carla:\n>\n> Reinicie la impresora.") {
		t.Errorf("the reply does not quote the original as Gmail does:\n%s", r.Text)
	}
	if got := r.NewText(); got != "Ya la reinicié y sigue igual." {
		t.Errorf("the adapter's stripped text: %q", got)
	}

	if code, _ := post(t, base, "/demo/api/email/read", mailRead{UID: got.UID}); code != http.StatusOK {
		t.Fatalf("read: %d", code)
	}
	if inbox := get[mailSnapshot](t, base, "/demo/api/email"); inbox.Unread != 0 || !inbox.Messages[0].Seen {
		t.Errorf("after reading: %+v", inbox)
	}
}

// TestMailPaneEvent: a mail reaching the customer's INBOX is an "email"
// event on the page's stream; a mail to the support address is not.
func TestMailPaneEvent(t *testing.T) {
	base, m := newMailServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/demo/api/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	type event struct{ name, data string }
	events := make(chan event, 32)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		var name string
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				name = v
			}
			if v, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				events <- event{name, v}
			}
		}
		close(events)
	}()
	next := func() event {
		t.Helper()
		for {
			select {
			case e, ok := <-events:
				if !ok {
					t.Fatal("the stream ended")
				}
				if e.name != "ping" {
					return e
				}
			case <-ctx.Done():
				t.Fatal("no event")
			}
		}
	}
	if e := next(); e.name != "hello" {
		t.Fatalf("first event %v", e)
	}
	if _, err := m.Host.Append(m.Support, mailhost.Inbox, []byte("Subject: x\r\n\r\nx\r\n"), nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	supportSends(t, m, "Re: x [#1]", "hola")
	if e := next(); e.name != "email" || e.data != `{"folder":"inbox","uid":1}` {
		t.Errorf("event %v, want email for the customer's inbox UID 1 (and none for the support mailbox)", e)
	}
}

// TestQuoteAsClients: the mail client's quote, in Spanish and in English,
// is what the adapter's stripper recognises.
func TestQuoteAsClients(t *testing.T) {
	orig := &email.Mail{From: email.Address{Name: "Soporte", Address: testSupport},
		Date: time.Date(2026, 3, 4, 15, 5, 0, 0, time.UTC), Text: "Hola Carla:\n\nReinicie el módem.\n\n-- \nSoporte\n"}
	for lang, attribution := range map[string]string{
		"es": "El 4/3/2026 a las 15:05, Soporte <" + testSupport + "> escribió:\n",
		"en": "On Wed, Mar 4, 2026 at 3:05 PM, Soporte <" + testSupport + "> wrote:\n",
	} {
		q := quote(orig, lang)
		if !strings.HasPrefix(q, attribution) || !strings.Contains(q, "\n> Reinicie el módem.\n>\n") {
			t.Errorf("%s quote:\n%s", lang, q)
		}
		if got := email.StripQuotes("Ya está.\n\n" + q); got != "Ya está." {
			t.Errorf("%s: the adapter strips the quote to %q", lang, got)
		}
	}
}
