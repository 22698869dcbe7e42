package main

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/bots/slack/slacktest"
	"github.com/colombiainformatica/ticketbot/bots/telegram/telegramtest"
	"github.com/colombiainformatica/ticketbot/internal/redistest"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// Files crossing the chats, end to end: the product as wire.go builds it
// (both adapters and the delivery worker, on a real Redis), a customer in
// the fake Telegram and agents in the fake Slack, with the real client
// libraries over HTTP.

const (
	filesAgent  = "UANAFILES"
	filesGroup  = "SFILESAGENTS"
	filesSecret = "files-test-secret"
)

var filesCustomer = telegramtest.User{ID: 7770001, FirstName: "María", LanguageCode: "es"}

type filesEnv struct {
	t   testing.TB
	ctx context.Context
	m   *Main
	tg  *telegramtest.Server
	sl  *slacktest.Server
	n   int64 // the open ticket
}

func newFilesEnv(t *testing.T) *filesEnv {
	t.Helper()
	url := redistest.URL(t)
	_, prefix := redistest.Client(t) // deletes the prefix's keys at cleanup
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
	}
	m := startMain(t, env, false)
	base := "http://" + m.HTTPAddr()
	sl.SetApp(base+"/slack/events", base+"/slack/interactions", base+"/slack/commands", filesSecret)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	e := &filesEnv{t: t, ctx: ctx, m: m, tg: tg, sl: sl}
	e.open()
	return e
}

// open opens a ticket for the customer, claimed by the agent, and waits
// for its card.
func (e *filesEnv) open() {
	e.t.Helper()
	c := tickets.Customer{Platform: "telegram", UserID: strconv.FormatInt(filesCustomer.ID, 10),
		ChatID: strconv.FormatInt(filesCustomer.ID, 10), Name: "María", Language: "es"}
	svc := e.m.Service
	if _, err := svc.AcceptTerms(e.ctx, c, svc.Consent()); err != nil {
		e.t.Fatal(err)
	}
	tk, err := svc.Open(e.ctx, tickets.OpenRequest{Customer: c, Nature: tickets.NatureMalfunction,
		Urgency: tickets.UrgencyNormal, Description: "La impresora no imprime"})
	if err != nil {
		e.t.Fatal(err)
	}
	e.n = tk.Number
	if _, err := svc.Claim(e.ctx, tickets.AgentActor(tickets.Agent{ID: filesAgent, Name: "Ana"}), tk.Number, false); err != nil {
		e.t.Fatal(err)
	}
	e.waitSlack("the card", func() bool { return e.cardTS() != "" })
	e.waitTelegram("the claim notice", func() bool { return len(e.tg.Messages(filesCustomer.ID)) > 0 })
}

func (e *filesEnv) cardTS() string {
	for _, m := range e.sl.Messages(slacktest.DefaultChannelID) {
		if m.IsBot() && strings.Contains(m.Text, fmt.Sprintf("Ticket #%d", e.n)) {
			return m.TS
		}
	}
	return ""
}

func (e *filesEnv) thread() []slacktest.Message {
	return e.sl.Thread(slacktest.DefaultChannelID, e.cardTS())
}

// threadFiles returns the files the app posted in the ticket's thread.
func (e *filesEnv) threadFiles() []slacktest.File {
	var out []slacktest.File
	for _, m := range e.thread() {
		if m.IsBot() {
			out = append(out, m.Files...)
		}
	}
	return out
}

func (e *filesEnv) threadText() string {
	var parts []string
	for _, m := range e.thread() {
		parts = append(parts, m.PlainText())
	}
	return strings.Join(parts, "\n")
}

func (e *filesEnv) waitSlack(what string, cond func() bool) {
	e.t.Helper()
	if err := e.sl.WaitFor(e.ctx, cond); err != nil {
		e.t.Fatalf("waiting for %s in Slack: %v\nthread:\n%s", what, err, e.threadText())
	}
}

func (e *filesEnv) waitTelegram(what string, cond func() bool) {
	e.t.Helper()
	if err := e.tg.WaitFor(e.ctx, cond); err != nil {
		conv, _ := e.m.Service.Conversation(context.Background(), tickets.SystemActor, e.n, 20)
		e.t.Fatalf("waiting for %s in Telegram: %v\nchat:\n%s\nconversation: %+v", what, err, e.chatText(), conv)
	}
}

func (e *filesEnv) chatText() string {
	var parts []string
	for _, m := range e.tg.Messages(filesCustomer.ID) {
		line := m.PlainText
		if m.Media != nil {
			line += " [" + m.Media.Type + " " + m.Media.FileName + "]"
		}
		parts = append(parts, line)
	}
	return strings.Join(parts, "\n")
}

// customerMedia returns the files the bot uploaded to the customer's chat.
func (e *filesEnv) customerMedia() []telegramtest.Media {
	var out []telegramtest.Media
	for _, m := range e.tg.Messages(filesCustomer.ID) {
		if m.FromBot && m.Media != nil {
			out = append(out, *m.Media)
		}
	}
	return out
}

// shareFiles has the agent post text with files in the ticket's thread.
func (e *filesEnv) shareFiles(text string, files ...slacktest.UserFile) {
	e.t.Helper()
	if _, _, err := e.sl.PostUserFiles(e.ctx, filesAgent, slacktest.DefaultChannelID, text, e.cardTS(), files...); err != nil {
		e.t.Fatal(err)
	}
}

// lockedBuffer collects the product's logs from its goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func content(seed string, n int) []byte {
	return bytes.Repeat([]byte(seed), n/len(seed)+1)[:n]
}

// A customer's photo and document appear as files in the ticket's thread,
// with the bytes the customer sent, each once, after the message that
// carries them, which names them.
func TestCustomerFilesReachTheThread(t *testing.T) {
	e := newFilesEnv(t)
	photo := content("\x89PNG customer screenshot ", 300<<10)
	e.tg.AddFile("photo-cust-1", "photo", "", photo)
	e.tg.SendPhoto(filesCustomer, "photo-cust-1", "Mire la pantalla", "")
	e.waitSlack("the photo", func() bool { return len(e.threadFiles()) == 1 })

	f := e.threadFiles()[0]
	got, ok := e.sl.FileData(f.ID)
	if !ok || !bytes.Equal(got, photo) {
		t.Fatalf("file %s in the thread has %d bytes, want the customer's %d", f.Name, len(got), len(photo))
	}
	if !strings.HasPrefix(f.Name, "photo") || f.Mimetype != "image/jpeg" {
		t.Errorf("file %q (%s), want a photo named after its kind", f.Name, f.Mimetype)
	}
	if text := e.threadText(); !strings.Contains(text, "Mire la pantalla") || !strings.Contains(text, ":paperclip: photo") {
		t.Errorf("thread does not show the message and its attachment's name:\n%s", text)
	}
	// The text came first, the file after it.
	th := e.thread()
	if len(th[len(th)-1].Files) != 1 || !strings.Contains(th[len(th)-2].PlainText(), "Mire la pantalla") {
		t.Errorf("thread order: the file should follow its message:\n%s", e.threadText())
	}

	doc := content("%PDF-1.7 invoice ", 64<<10)
	e.tg.AddFile("doc-cust-1", "document", "factura.pdf", doc)
	e.tg.SendDocument(filesCustomer, "doc-cust-1", "factura.pdf", "")
	e.waitSlack("the document", func() bool { return len(e.threadFiles()) == 2 })
	f = e.threadFiles()[1]
	if got, _ := e.sl.FileData(f.ID); f.Name != "factura.pdf" || !bytes.Equal(got, doc) {
		t.Fatalf("document %q with %d bytes, want factura.pdf with the customer's %d", f.Name, len(got), len(doc))
	}
	// The fake records a call just after its effect.
	e.waitSlack("the second upload's record", func() bool { return len(e.sl.Calls("files.completeUploadExternal")) >= 2 })
	if n := len(e.sl.Calls("files.completeUploadExternal")); n != 2 {
		t.Errorf("%d uploads completed, want 2", n)
	}
}

// The files attached in the form that opened a ticket are copied into its
// thread too, after the card, each once.
func TestFormFilesReachTheThread(t *testing.T) {
	e := newFilesEnv(t)
	shot := content("\x89PNG form screenshot ", 120<<10)
	log := content("router log line\n", 30<<10)
	e.tg.AddFile("form-photo-1", "photo", "", shot)
	e.tg.AddFile("form-doc-1", "document", "router.log", log)
	c := tickets.Customer{Platform: "telegram", UserID: strconv.FormatInt(filesCustomer.ID, 10),
		ChatID: strconv.FormatInt(filesCustomer.ID, 10), Name: "María", Language: "es"}
	tk, err := e.m.Service.Open(e.ctx, tickets.OpenRequest{Customer: c, Nature: tickets.NatureMalfunction,
		Urgency: tickets.UrgencyHigh, Description: "El router se reinicia",
		Attachments: []tickets.Attachment{{Kind: "photo", FileID: "form-photo-1"}, {Kind: "document", FileID: "form-doc-1", Name: "router.log"}}})
	if err != nil {
		t.Fatal(err)
	}
	e.n = tk.Number
	e.waitSlack("the form's two files", func() bool { return e.cardTS() != "" && len(e.threadFiles()) == 2 })
	fs := e.threadFiles()
	got0, _ := e.sl.FileData(fs[0].ID)
	got1, _ := e.sl.FileData(fs[1].ID)
	if !bytes.Equal(got0, shot) || fs[1].Name != "router.log" || !bytes.Equal(got1, log) {
		t.Fatalf("thread files %q (%d bytes) and %q (%d bytes), want the form's photo and router.log", fs[0].Name, len(got0), fs[1].Name, len(got1))
	}
	// A later message reaching the thread shows the queue moved on: each
	// file is there once. (The customer has two open tickets: the message
	// goes to this one directly.)
	if _, _, err := e.m.Service.AddMessage(e.ctx, tickets.CustomerActor(c), tk.Number, tickets.MessageInput{Text: "sigue igual"}); err != nil {
		t.Fatal(err)
	}
	e.waitSlack("the next message", func() bool { return strings.Contains(e.threadText(), "sigue igual") })
	if n := len(e.threadFiles()); n != 2 {
		t.Errorf("%d files in the thread, want the form's 2 once", n)
	}
}

// A file larger than Telegram lets bots download (20 MB) is named in the
// thread with the reason; the message's text is posted all the same, and
// nothing is uploaded.
func TestCustomerFileTooBigIsNamed(t *testing.T) {
	e := newFilesEnv(t)
	e.tg.AddFile("doc-big-1", "document", "volcado.zip", content("PK", telegramtest.MaxDownloadSize+1))
	e.tg.SendDocument(filesCustomer, "doc-big-1", "volcado.zip", "Adjunto el volcado")
	e.waitSlack("the note", func() bool { return strings.Contains(e.threadText(), "was not copied here") })

	text := e.threadText()
	for _, want := range []string{"Adjunto el volcado", ":paperclip: volcado.zip", "*volcado.zip* was not copied here: it is larger than 20 MB"} {
		if !strings.Contains(text, want) {
			t.Errorf("thread lacks %q:\n%s", want, text)
		}
	}
	if fs := e.threadFiles(); len(fs) != 0 {
		t.Errorf("files posted: %+v", fs)
	}
	if n := len(e.sl.Calls("files.getUploadURLExternal")); n != 0 {
		t.Errorf("%d uploads started for a file that cannot be downloaded", n)
	}
}

// A transient failure of the Slack upload (a 5xx at completion, a 429 at
// its start) is retried by delivery, and the file is posted once.
func TestCustomerFileUploadRetried(t *testing.T) {
	e := newFilesEnv(t)
	photo := content("retry me ", 10<<10)
	e.tg.AddFile("photo-retry-1", "photo", "", photo)
	e.sl.FailNext("files.completeUploadExternal", 1, 503)
	e.tg.SendPhoto(filesCustomer, "photo-retry-1", "", "")
	e.waitSlack("the photo", func() bool { return len(e.threadFiles()) == 1 })

	doc := content("second ", 10<<10)
	e.tg.AddFile("doc-retry-2", "document", "log.txt", doc)
	e.sl.RateLimitNext("files.getUploadURLExternal", 1, 1)
	e.tg.SendDocument(filesCustomer, "doc-retry-2", "log.txt", "")
	e.waitSlack("the document", func() bool { return len(e.threadFiles()) == 2 })

	st := e.sl.Stats()
	if st.Failed["files.completeUploadExternal"] != 1 || st.RateLimited["files.getUploadURLExternal"] != 1 {
		t.Fatalf("faults not hit: failed %v, rate limited %v", st.Failed, st.RateLimited)
	}
	fs := e.threadFiles()
	got0, _ := e.sl.FileData(fs[0].ID)
	got1, _ := e.sl.FileData(fs[1].ID)
	if !bytes.Equal(got0, photo) || !bytes.Equal(got1, doc) {
		t.Fatalf("retried files have the wrong bytes")
	}
	// Let the worker run past anything that could repeat, then count: a
	// later message reaching the thread proves the queue moved on.
	e.tg.SendText(filesCustomer, "gracias")
	e.waitSlack("the next message", func() bool { return strings.Contains(e.threadText(), "gracias") })
	if fs := e.threadFiles(); len(fs) != 2 {
		t.Fatalf("%d files in the thread, want each once", len(fs))
	}
}

// An agent's files in the thread reach the customer's chat as a photo and
// a document with the agent's bytes; a message with only a file works.
func TestAgentFilesReachTheCustomer(t *testing.T) {
	e := newFilesEnv(t)
	shot := content("agent png ", 200<<10)
	guide := content("%PDF guide ", 80<<10)
	e.shareFiles("Siga esta guía", slacktest.UserFile{Name: "captura.png", Mimetype: "image/png", Data: shot},
		slacktest.UserFile{Name: "guia.pdf", Mimetype: "application/pdf", Data: guide})
	e.waitTelegram("two files", func() bool { return len(e.customerMedia()) == 2 })

	media := e.customerMedia()
	for i, want := range []struct {
		typ, name string
		data      []byte
	}{{"photo", "", shot}, {"document", "guia.pdf", guide}} {
		m := media[i]
		name, data, _ := e.tg.FileData(m.FileID)
		if m.Type != want.typ || !m.Uploaded || !bytes.Equal(data, want.data) || (want.name != "" && name != want.name) {
			t.Errorf("file %d: %s %q uploaded=%v with %d bytes, want %s %q with the agent's %d",
				i+1, m.Type, name, m.Uploaded, len(data), want.typ, want.name, len(want.data))
		}
	}
	if !strings.Contains(e.chatText(), "Siga esta guía") {
		t.Errorf("the reply's text did not reach the customer:\n%s", e.chatText())
	}

	notes := content("only a file ", 4<<10)
	e.shareFiles("", slacktest.UserFile{Name: "config.txt", Data: notes})
	e.waitTelegram("the file-only reply", func() bool { return len(e.customerMedia()) == 3 })
	name, data, _ := e.tg.FileData(e.customerMedia()[2].FileID)
	if name != "config.txt" || !bytes.Equal(data, notes) {
		t.Fatalf("file-only reply delivered %q with %d bytes", name, len(data))
	}
	// The reply is marked delivered in the thread once its file is out.
	e.waitSlack("the delivered mark", func() bool {
		for _, m := range e.thread() {
			if !m.IsBot() && len(m.Files) == 1 && m.Files[0].Name == "config.txt" {
				return len(m.Reactions) == 1 && m.Reactions[0].Name == "white_check_mark"
			}
		}
		return false
	})
}

// A file in an internal note never reaches the customer.
func TestNotedFileStaysInSlack(t *testing.T) {
	e := newFilesEnv(t)
	before := len(e.tg.Messages(filesCustomer.ID))
	e.shareFiles("!note el registro interno", slacktest.UserFile{Name: "interno.log", Data: content("secret ", 1024)})
	e.shareFiles("Ya casi está")
	// Messages to one chat keep their order: once the later reply is
	// there, anything the note could have caused would be there too.
	e.waitTelegram("the later reply", func() bool { return strings.Contains(e.chatText(), "Ya casi está") })
	if media := e.customerMedia(); len(media) != 0 {
		t.Fatalf("the customer got files: %+v", media)
	}
	for _, m := range e.tg.Messages(filesCustomer.ID)[before:] {
		if strings.Contains(m.PlainText, "interno") {
			t.Fatalf("the note reached the customer: %q", m.PlainText)
		}
	}
	msgs, err := e.m.Service.Conversation(e.ctx, tickets.SystemActor, e.n, 50)
	if err != nil {
		t.Fatal(err)
	}
	var noted bool
	for _, m := range msgs {
		noted = noted || (m.Kind == tickets.MessageNote && len(m.Attachments) == 1 && m.Attachments[0].Source == "slack")
	}
	if !noted {
		t.Fatalf("the note with its file was not stored: %+v", msgs)
	}
}

// A file over Telegram's 50 MB upload limit is announced to the customer
// by name, and the agent is told privately.
func TestAgentFileTooBigIsAnnounced(t *testing.T) {
	e := newFilesEnv(t)
	e.shareFiles("El video del procedimiento", slacktest.UserFile{Name: "video.mp4", Mimetype: "video/mp4",
		Data: content("mp4", telegramtest.MaxUploadSize+1<<20)})
	e.waitTelegram("the announcement", func() bool { return strings.Contains(e.chatText(), "video.mp4") })
	if !strings.Contains(e.chatText(), "video.mp4 (51 MB) es demasiado grande") {
		t.Errorf("announcement:\n%s", e.chatText())
	}
	if media := e.customerMedia(); len(media) != 0 {
		t.Errorf("files sent: %+v", media)
	}
	e.waitSlack("the agent's notice", func() bool {
		for _, m := range e.sl.Ephemerals(filesAgent) {
			if strings.Contains(m.Text, "*video.mp4* (51 MB) is larger than 50 MB") {
				return true
			}
		}
		return false
	})
}
