package telegramtest

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// getFile hands out files up to 20 MB, and refuses larger ones as the Bot
// API does; the file URL serves the bytes with their length.
func TestGetFileLimit(t *testing.T) {
	s := newServer(t)
	bot := newBot(t, s)
	small := bytes.Repeat([]byte("a"), 1000)
	s.AddFile("small-1", "document", "a.txt", small)
	s.AddFile("big-1", "document", "big.bin", make([]byte, MaxDownloadSize+1))
	s.AddFile("edge-1", "document", "edge.bin", make([]byte, MaxDownloadSize))

	f, err := bot.GetFile(tgbotapi.FileConfig{FileID: "small-1"})
	if err != nil || f.FileSize != len(small) {
		t.Fatalf("GetFile = %+v, %v", f, err)
	}
	resp, err := http.Get(s.FileURL(f.FilePath))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, small) || resp.ContentLength != int64(len(small)) {
		t.Fatalf("download: %d bytes, Content-Length %d", len(got), resp.ContentLength)
	}
	if _, err := bot.GetFile(tgbotapi.FileConfig{FileID: "edge-1"}); err != nil {
		t.Fatalf("a 20 MB file: %v", err)
	}
	_, err = bot.GetFile(tgbotapi.FileConfig{FileID: "big-1"})
	apiErr(t, err, 400, "Bad Request: file is too big")
}

// Files uploaded by multipart are accepted and kept with their bytes; an
// upload over 50 MB is refused with 413.
func TestMultipartUploads(t *testing.T) {
	s := newServer(t)
	bot := newBot(t, s)
	data := bytes.Repeat([]byte("pdf!"), 5000)
	m, err := bot.Send(tgbotapi.NewDocument(alice.ID, tgbotapi.FileReader{Name: "guia.pdf", Reader: bytes.NewReader(data)}))
	if err != nil || m.Document == nil || m.Document.FileSize != len(data) {
		t.Fatalf("sendDocument = %+v, %v", m.Document, err)
	}
	name, got, ok := s.FileData(m.Document.FileID)
	if !ok || name != "guia.pdf" || !bytes.Equal(got, data) {
		t.Fatalf("FileData = %q, %d bytes, %v", name, len(got), ok)
	}
	photo := bytes.Repeat([]byte("jpg"), 3000)
	if _, err := bot.Send(tgbotapi.NewPhoto(alice.ID, tgbotapi.FileBytes{Name: "shot.jpg", Bytes: photo})); err != nil {
		t.Fatal(err)
	}
	msgs := s.Messages(alice.ID)
	last := msgs[len(msgs)-1]
	if last.Media == nil || last.Media.Type != "photo" || !last.Media.Uploaded {
		t.Fatalf("photo message = %+v", last.Media)
	}
	if _, got, _ := s.FileData(last.Media.FileID); !bytes.Equal(got, photo) {
		t.Fatalf("photo bytes: %d, want %d", len(got), len(photo))
	}
	if c := s.Calls("sendPhoto"); len(c) != 1 || len(c[0].Files) != 1 || c[0].Files[0] != "photo" {
		t.Fatalf("sendPhoto calls = %+v", c)
	}
	// By file_id: not an upload.
	if _, err := bot.Send(tgbotapi.NewDocument(alice.ID, tgbotapi.FileID(m.Document.FileID))); err != nil {
		t.Fatal(err)
	}
	msgs = s.Messages(alice.ID)
	if msgs[len(msgs)-1].Media.Uploaded {
		t.Fatal("a file_id send is marked as an upload")
	}
	_, err = bot.Send(tgbotapi.NewDocument(alice.ID, tgbotapi.FileReader{Name: "huge.bin", Reader: bytes.NewReader(make([]byte, MaxUploadSize+1))}))
	// The library drops error_code from the errors of uploads; the answer
	// had it.
	if err == nil || err.Error() != "Request Entity Too Large" {
		t.Fatalf("a 50 MB + 1 upload: %v", err)
	}
	if c := s.Calls("sendDocument"); c[len(c)-1].Status != 413 {
		t.Fatalf("status %d, want 413", c[len(c)-1].Status)
	}
}
