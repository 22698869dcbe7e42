package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/bots/slack/slacktest"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// bytesFiles is a Files whose every file has data.
type bytesFiles struct {
	name string
	data []byte
}

func (f bytesFiles) OpenFile(_ context.Context, a tickets.Attachment) (io.ReadCloser, tickets.Attachment, error) {
	a.Name, a.Size = f.name, int64(len(f.data))
	return io.NopCloser(bytes.NewReader(f.data)), a, nil
}

// hookTransport lets a test act on the answers of the fake Slack: after
// reads an answer (read in full first, so that it survives a cancelled
// context) and may change it.
type hookTransport struct {
	mu    sync.Mutex
	after func(r *http.Request, body []byte) []byte
}

func (h *hookTransport) set(after func(r *http.Request, body []byte) []byte) {
	h.mu.Lock()
	h.after = after
	h.mu.Unlock()
}

func (h *hookTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	h.mu.Lock()
	after := h.after
	h.mu.Unlock()
	if err != nil || after == nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	body = after(r, body)
	resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(body)), -1
	resp.Header.Del("Content-Length")
	return resp, nil
}

func withTransport(rt http.RoundTripper) func(*Config) {
	return func(c *Config) { c.HTTPClient = &http.Client{Transport: rt} }
}

// A copy that Slack completed is recorded even when the send's context
// ended just after Slack's answer (delivery's send timeout on a large
// file): the retry finds the record and posts nothing again.
func TestFileCopyRecordedAfterDeadline(t *testing.T) {
	hook := &hookTransport{}
	h := newHarness(t, withTransport(hook))
	h.bot.files = bytesFiles{name: "factura.pdf", data: []byte("%PDF invoice")}
	tk := h.open("help", tickets.NatureQuestion, tickets.UrgencyLow)
	_, m, err := h.svc.AddMessage(h.ctx, tickets.CustomerActor(h.get(tk.Number).Customer), tk.Number,
		tickets.MessageInput{Text: "la factura", Attachments: []tickets.Attachment{{Kind: "document", FileID: "tg-doc-1"}}})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := json.Marshal(payload{Message: m.ID, File: 1})
	msg := delivery.Message{Lane: "t1", Key: "thread.file1", Number: tk.Number, Kind: kindFile, Payload: p}

	ctx, cancel := context.WithCancel(h.ctx)
	hook.set(func(r *http.Request, body []byte) []byte {
		if strings.HasSuffix(r.URL.Path, "/files.completeUploadExternal") {
			cancel()
		}
		return body
	})
	first := h.bot.Send(ctx, msg)
	hook.set(nil)
	if err := h.bot.Send(h.ctx, msg); err != nil {
		t.Fatalf("retry: %v (first try: %v)", err, first)
	}
	var files int
	for _, pm := range h.fake.Thread(queue, h.cardTS(tk.Number)) {
		files += len(pm.Files)
	}
	if files != 1 {
		t.Errorf("%d files in the thread, want the copy once (first try: %v)", files, first)
	}
}

// OpenFile never reads more than files.info said the file holds: a
// download longer than that fails instead of streaming without bound.
func TestOpenFileCapsMisreportedSize(t *testing.T) {
	hook := &hookTransport{}
	h := newHarness(t, withTransport(hook))
	data := []byte("the agent's guide")
	h.fake.AddFile(slacktest.File{ID: "F0GUIDE", Name: "guide.txt", Mimetype: "text/plain", Data: data})
	hook.set(func(r *http.Request, body []byte) []byte {
		if strings.Contains(r.URL.Path, "/files-pri/") {
			return append(body, bytes.Repeat([]byte("x"), 1<<20)...)
		}
		return body
	})
	rc, a, err := h.files().OpenFile(h.ctx, tickets.Attachment{Kind: "document", FileID: "F0GUIDE", Source: Platform})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err == nil || int64(len(got)) > a.Size {
		t.Fatalf("read %d bytes of a file of %d, err %v: want an error at the reported size", len(got), a.Size, err)
	}
}

// A files.info refused for the app's scopes (files:read missing, as on an
// app installed before files crossed the chats) is not the file's fault:
// it is not a permanent failure, which would have the customer's platform
// send the file's name in its place for good.
func TestOpenFileMissingScopeNotPermanent(t *testing.T) {
	hook := &hookTransport{}
	h := newHarness(t, withTransport(hook))
	h.fake.AddFile(slacktest.File{ID: "F0GUIDE", Name: "guide.txt", Mimetype: "text/plain", Data: []byte("guide")})
	hook.set(func(r *http.Request, body []byte) []byte {
		if strings.HasSuffix(r.URL.Path, "/files.info") {
			return []byte(`{"ok":false,"error":"missing_scope","needed":"files:read"}`)
		}
		return body
	})
	_, _, err := h.files().OpenFile(h.ctx, tickets.Attachment{Kind: "document", FileID: "F0GUIDE", Source: Platform})
	if err == nil {
		t.Fatal("OpenFile succeeded without files:read")
	}
	if p, ok := delivery.IsPermanent(err); ok {
		t.Fatalf("missing scope is a permanent failure (%s): the file would be lost", p.Reason)
	}
	// A file that is gone stays permanent.
	hook.set(nil)
	_, _, err = h.files().OpenFile(h.ctx, tickets.Attachment{Kind: "document", FileID: "F0NONE", Source: Platform})
	if p, ok := delivery.IsPermanent(err); !ok || p.Reason != "file_not_found" {
		t.Fatalf("unknown file: %v", err)
	}
}

// statusTransport answers the requests match picks with status, without
// Retry-After, as an edge in front of files.slack.com may.
type statusTransport struct {
	status int
	match  func(*http.Request) bool
}

func (t statusTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.match(r) {
		return &http.Response{StatusCode: t.status, Status: http.StatusText(t.status), Header: http.Header{},
			Body: io.NopCloser(strings.NewReader("slow down")), Request: r}, nil
	}
	return http.DefaultTransport.RoundTrip(r)
}

// A download answered 429 without Retry-After is retried, not a permanent
// failure that would replace the agent's file with its name.
func TestOpenFileRateLimitedNotPermanent(t *testing.T) {
	h := newHarness(t, withTransport(statusTransport{status: http.StatusTooManyRequests,
		match: func(r *http.Request) bool { return strings.Contains(r.URL.Path, "/files-pri/") }}))
	h.fake.AddFile(slacktest.File{ID: "F0GUIDE", Name: "guide.txt", Mimetype: "text/plain", Data: []byte("guide")})
	_, _, err := h.files().OpenFile(h.ctx, tickets.Attachment{Kind: "document", FileID: "F0GUIDE", Source: Platform})
	if err == nil {
		t.Fatal("OpenFile succeeded")
	}
	if p, ok := delivery.IsPermanent(err); ok {
		t.Fatalf("a 429 is a permanent failure (%s): the file would be lost", p.Reason)
	}
}

// files is the FileSource of the harness's app.
func (h *harness) files() *FileSource {
	h.t.Helper()
	f, err := NewFileSource(h.bot.cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	return f
}
