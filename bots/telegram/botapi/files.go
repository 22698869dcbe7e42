package botapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// MaxDownloadSize is the largest file getFile hands a bot (20 MB).
const MaxDownloadSize = 20 << 20

// OpenFile returns the content of a file a customer sent, which Telegram
// holds (an attachment without Source, or with Source "telegram"), and a
// with its Name and Size filled in: getFile, then a download of the file
// URL. Telegram hands bots files up to 20 MB: a larger one is a
// *delivery.PermanentError with Reason "file_too_big", as is a file
// Telegram no longer has; a *delivery.RetryAfterError when Telegram
// asks to wait; any other error is transient. The bot token,
// part of the file URL, never appears in an error.
func (c *Client) OpenFile(ctx context.Context, a tickets.Attachment) (io.ReadCloser, tickets.Attachment, error) {
	if a.Source != "" && a.Source != Platform {
		return nil, a, delivery.Permanent("not_telegram", fmt.Errorf("the file is held by %s, not Telegram", a.Source))
	}
	if a.Size > MaxDownloadSize {
		return nil, a, errTooBigToDownload
	}
	f, err := c.Bot(ctx).GetFile(tgbotapi.FileConfig{FileID: a.FileID})
	if err != nil {
		err = redactErr(err, c.token)
		if strings.Contains(strings.ToLower(err.Error()), "file is too big") {
			return nil, a, errTooBigToDownload
		}
		return nil, a, fileError(err)
	}
	if a.Name == "" {
		a.Name = fileName(a.Kind, f.FilePath)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.fileURL(f.FilePath), nil)
	if err != nil {
		return nil, a, delivery.Permanent("bad_file_path", redactErr(err, c.token))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, a, redactErr(err, c.token)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusBadRequest:
		resp.Body.Close()
		return nil, a, delivery.Permanent("file_not_found", fmt.Errorf("download of %s: %s", a.Name, resp.Status))
	case resp.StatusCode != http.StatusOK:
		resp.Body.Close()
		return nil, a, fmt.Errorf("download of %s: %s", a.Name, resp.Status)
	}
	switch {
	case f.FileSize > 0:
		a.Size = int64(f.FileSize)
	case resp.ContentLength >= 0:
		a.Size = resp.ContentLength
	default:
		// Unknown length: read it (getFile serves at most 20 MB).
		data, err := io.ReadAll(io.LimitReader(resp.Body, MaxDownloadSize+1))
		resp.Body.Close()
		if err != nil {
			return nil, a, redactErr(err, c.token)
		}
		if len(data) > MaxDownloadSize {
			return nil, a, errTooBigToDownload
		}
		a.Size = int64(len(data))
		return io.NopCloser(bytes.NewReader(data)), a, nil
	}
	// Never more than Telegram said: a longer download fails.
	return tokenSafeBody{ReadCloser: http.MaxBytesReader(nil, resp.Body, a.Size), token: c.token}, a, nil
}

var errTooBigToDownload = delivery.Permanent("file_too_big",
	errors.New("it is larger than 20 MB, the most Telegram lets bots download"))

// fileError classifies a failed getFile: 429 waits, another 4xx (an
// unknown file_id) cannot succeed, the rest is transient.
func fileError(err error) error {
	var e *Error
	if errors.As(err, &e) && e.Code >= 400 && e.Code < 500 && e.Code != 429 {
		return delivery.Permanent("file_not_found", err)
	}
	return SendError(err)
}

// fileName names a file that Telegram gave no name (photos, voice notes)
// after its kind, with the extension of its file_path.
func fileName(kind, filePath string) string {
	if kind == "" {
		kind = "file"
	}
	return kind + path.Ext(filePath)
}

// tokenSafeBody removes the token from read errors, whose text may hold
// the file URL.
type tokenSafeBody struct {
	io.ReadCloser
	token string
}

func (r tokenSafeBody) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = redactErr(err, r.token)
	}
	return n, err
}
