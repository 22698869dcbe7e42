package telegram_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/bots/telegram"
	"github.com/colombiainformatica/ticketbot/bots/telegram/botapi"
	"github.com/colombiainformatica/ticketbot/bots/telegram/telegramtest"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// OpenFile reads a customer's file from Telegram with the bytes they sent,
// named after its kind when Telegram gives no name.
func TestOpenFile(t *testing.T) {
	e := newEnv(t)
	data := bytes.Repeat([]byte("jpeg"), 5000)
	e.fake.AddFile("photo-open-1", "photo", "", data)
	rc, a, err := e.files().OpenFile(ctx10(t), tickets.Attachment{Kind: "photo", FileID: "photo-open-1"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, data) || a.Size != int64(len(data)) || a.Name != "photo.jpg" {
		t.Fatalf("OpenFile = %q, %d bytes (%d read), %v", a.Name, a.Size, len(got), err)
	}
}

// A file over 20 MB cannot be read: refused before asking when its size
// is known, by getFile ("file is too big") when it is not. Unknown files
// are permanent failures too; the token never shows in the errors.
func TestOpenFileRefusals(t *testing.T) {
	e := newEnv(t)
	e.fake.AddFile("doc-big-2", "document", "big.bin", make([]byte, telegramtest.MaxDownloadSize+1))
	for name, a := range map[string]tickets.Attachment{
		"known size":   {Kind: "document", FileID: "doc-big-2", Size: telegramtest.MaxDownloadSize + 1},
		"unknown size": {Kind: "document", FileID: "doc-big-2"},
	} {
		_, _, err := e.files().OpenFile(ctx10(t), a)
		if p, ok := delivery.IsPermanent(err); !ok || p.Reason != "file_too_big" || !strings.Contains(err.Error(), "20 MB") {
			t.Errorf("%s: %v, want a permanent file_too_big", name, err)
		}
	}
	if n := len(e.fake.Calls("getFile")); n != 1 {
		t.Errorf("%d getFile calls, want 1 (only for the unknown size)", n)
	}
	_, _, err := e.files().OpenFile(ctx10(t), tickets.Attachment{Kind: "document", FileID: "nope"})
	if p, ok := delivery.IsPermanent(err); !ok || p.Reason != "file_not_found" || strings.Contains(err.Error(), testToken) {
		t.Errorf("unknown file: %v", err)
	}
	_, _, err = e.files().OpenFile(ctx10(t), tickets.Attachment{Kind: "document", FileID: "F1", Source: "slack"})
	if _, ok := delivery.IsPermanent(err); !ok {
		t.Errorf("a Slack file: %v", err)
	}
}

// appendTransport appends extra bytes to the answers of file downloads,
// as a file server whose file is longer than getFile said would.
type appendTransport struct{ extra []byte }

func (t appendTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || !strings.Contains(r.URL.Path, "/file/bot") {
		return resp, err
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(resp.Body, bytes.NewReader(t.extra)), resp.Body}
	resp.ContentLength = -1
	resp.Header.Del("Content-Length")
	return resp, nil
}

// OpenFile never reads more than getFile said the file holds: a download
// longer than that fails instead of streaming without bound.
func TestOpenFileCapsMisreportedSize(t *testing.T) {
	e := newEnv(t, withConfig(func(c *telegram.Config) {
		c.HTTPClient = &http.Client{Transport: appendTransport{extra: bytes.Repeat([]byte("x"), 1<<20)}}
	}))
	data := bytes.Repeat([]byte("pdf "), 1000)
	e.fake.AddFile("doc-long-1", "document", "a.pdf", data)
	rc, a, err := e.files().OpenFile(ctx10(t), tickets.Attachment{Kind: "document", FileID: "doc-long-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err == nil || int64(len(got)) > a.Size || strings.Contains(err.Error(), testToken) {
		t.Fatalf("read %d bytes of a file of %d, err %v: want an error at the reported size", len(got), a.Size, err)
	}
}

// files is the FileSource of the env's bot.
func (e *env) files() *botapi.Client {
	e.t.Helper()
	f, err := telegram.NewFileSource(e.cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return f
}
