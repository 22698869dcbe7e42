package telegram

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

// The Bot API's limits on files for bots.
const (
	// MaxDownloadSize is the largest file getFile hands a bot (20 MB).
	MaxDownloadSize = 20 << 20
	// MaxUploadSize is the largest file a bot may upload (50 MB); a larger
	// file an agent attaches is announced to the customer by name.
	MaxUploadSize = 50 << 20
	// maxPhotoSize is the largest photo sendPhoto takes (10 MB); a larger
	// image is sent as a document.
	maxPhotoSize = 10 << 20
)

// Files opens files that another platform holds, such as a file an agent
// shared in Slack (a tickets.Attachment whose Source is not Telegram), so
// that the Bot can upload them to the customer's chat. *slack.Bot
// satisfies it.
type Files interface {
	// OpenFile returns the content of attachment a and a with its Name,
	// Size and Kind as the holding platform knows them. The caller closes
	// the content. The error is a *delivery.PermanentError when the file
	// can never be read (gone, too big), a *delivery.RetryAfterError when
	// the platform asked to wait, and any other error for a transient
	// failure.
	OpenFile(ctx context.Context, a tickets.Attachment) (io.ReadCloser, tickets.Attachment, error)
}

// noFiles is the Files of a Bot that has no other platform to fetch from.
type noFiles struct{}

func (noFiles) OpenFile(_ context.Context, a tickets.Attachment) (io.ReadCloser, tickets.Attachment, error) {
	return nil, a, delivery.Permanent("no_source", fmt.Errorf("no access to files held by %q", a.Source))
}

// FileSource reads the files customers send, which Telegram holds, so that
// another platform (Slack) can copy them. It needs only the Config, so the
// adapters that use it are built before the Bot.
type FileSource struct{ api client }

// NewFileSource returns the FileSource of the bot cfg configures.
func NewFileSource(cfg Config) (*FileSource, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return &FileSource{api: newClient(cfg)}, nil
}

// OpenFile returns the content of a file a customer sent, which Telegram
// holds (an attachment without Source, or with Source "telegram"), and a
// with its Name and Size filled in: getFile, then a download of the file
// URL. Telegram hands bots files up to 20 MB: a larger one is a
// *delivery.PermanentError with Reason "file_too_big", as is a file
// Telegram no longer has. See Files for the other errors. The bot token,
// part of the file URL, never appears in an error.
func (b *FileSource) OpenFile(ctx context.Context, a tickets.Attachment) (io.ReadCloser, tickets.Attachment, error) {
	if a.Source != "" && a.Source != Platform {
		return nil, a, delivery.Permanent("not_telegram", fmt.Errorf("the file is held by %s, not Telegram", a.Source))
	}
	if a.Size > MaxDownloadSize {
		return nil, a, errTooBigToDownload
	}
	f, err := b.api.bot(ctx).GetFile(tgbotapi.FileConfig{FileID: a.FileID})
	if err != nil {
		err = redactErr(err, b.api.token)
		if strings.Contains(strings.ToLower(err.Error()), "file is too big") {
			return nil, a, errTooBigToDownload
		}
		return nil, a, fileError(err)
	}
	if a.Name == "" {
		a.Name = fileName(a.Kind, f.FilePath)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.api.fileURL(f.FilePath), nil)
	if err != nil {
		return nil, a, delivery.Permanent("bad_file_path", redactErr(err, b.api.token))
	}
	resp, err := b.api.http.Do(req)
	if err != nil {
		return nil, a, redactErr(err, b.api.token)
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
			return nil, a, redactErr(err, b.api.token)
		}
		if len(data) > MaxDownloadSize {
			return nil, a, errTooBigToDownload
		}
		a.Size = int64(len(data))
		return io.NopCloser(bytes.NewReader(data)), a, nil
	}
	// Never more than Telegram said: a longer download fails.
	return tokenSafeBody{ReadCloser: http.MaxBytesReader(nil, resp.Body, a.Size), token: b.api.token}, a, nil
}

var errTooBigToDownload = delivery.Permanent("file_too_big",
	errors.New("it is larger than 20 MB, the most Telegram lets bots download"))

// fileError classifies a failed getFile: 429 waits, another 4xx (an
// unknown file_id) cannot succeed, the rest is transient.
func fileError(err error) error {
	var e *apiError
	if errors.As(err, &e) && e.code >= 400 && e.code < 500 && e.code != 429 {
		return delivery.Permanent("file_not_found", err)
	}
	return sendError(err)
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

// sendRemote sends, as an upload, a file another platform holds (p.Media
// with a Source): a photo up to 10 MB with sendPhoto (as a document if
// Telegram refuses it as a photo), anything else with sendDocument. A file
// that can never be sent (gone, too big, refused) is replaced by
// p.Fallback, a text naming it, so that the reply still completes.
// Transient failures are returned, mapped for delivery, to be retried.
func (b *Bot) sendRemote(ctx context.Context, api *tgbotapi.BotAPI, p payload) (tgbotapi.Message, error) {
	asPhoto := p.Media.Kind == "photo"
	for {
		sent, err := b.uploadRemote(ctx, api, p, asPhoto)
		pe, permanent := delivery.IsPermanent(err)
		switch {
		case !permanent || unreachableReason(pe.Reason):
			return sent, err
		case asPhoto && pe.Reason == "bad_request":
			asPhoto = false // for example PHOTO_INVALID_DIMENSIONS
			continue
		case p.Fallback == "":
			return sent, err
		}
		b.log.Warn().Err(err).Str("file", p.Media.FileID).Msg("agent file not sent; the customer gets its name")
		return b.sendFallback(api, p)
	}
}

// uploadRemote opens p.Media from its platform and uploads it, as a photo
// when asPhoto and it is small enough.
func (b *Bot) uploadRemote(ctx context.Context, api *tgbotapi.BotAPI, p payload, asPhoto bool) (tgbotapi.Message, error) {
	rc, a, err := b.files.OpenFile(ctx, *p.Media)
	if err != nil {
		return tgbotapi.Message{}, err
	}
	defer rc.Close()
	if a.Size > MaxUploadSize {
		return tgbotapi.Message{}, delivery.Permanent("file_too_big", fmt.Errorf("the file is larger than 50 MB"))
	}
	name := a.Name
	if name == "" {
		name = "file"
	}
	f := tgbotapi.FileReader{Name: name, Reader: rc}
	var c tgbotapi.Chattable
	if asPhoto && a.Size <= maxPhotoSize {
		x := tgbotapi.NewPhoto(p.Chat, f)
		x.Caption, x.ParseMode = p.Text, tgbotapi.ModeHTML
		c = x
	} else {
		x := tgbotapi.NewDocument(p.Chat, f)
		x.Caption, x.ParseMode = p.Text, tgbotapi.ModeHTML
		c = x
	}
	sent, err := api.Send(c)
	if err != nil {
		return tgbotapi.Message{}, sendError(redactErr(uploadCode(err), b.cfg.Token))
	}
	return sent, nil
}

// uploadCode restores the error code that telegram-bot-api v5.5.1 leaves
// out of the errors of multipart uploads (UploadFiles sets only the
// description), from the description's standard prefix, so that a 403
// (blocked), 400 or 413 (refused file) and 429 are classified as for
// other sends.
func uploadCode(err error) error {
	var te *tgbotapi.Error
	if !errors.As(err, &te) || te.Code != 0 {
		return err
	}
	for _, p := range []struct {
		prefix string
		code   int
	}{
		{"Bad Request", 400}, {"Unauthorized", 401}, {"Forbidden", 403}, {"Not Found", 404},
		{"Request Entity Too Large", 413}, {"Too Many Requests", 429},
	} {
		if strings.HasPrefix(te.Message, p.prefix) {
			fixed := *te
			fixed.Code = p.code
			return &fixed
		}
	}
	return err
}

func (b *Bot) sendFallback(api *tgbotapi.BotAPI, p payload) (tgbotapi.Message, error) {
	c := tgbotapi.NewMessage(p.Chat, p.Fallback)
	c.ParseMode = tgbotapi.ModeHTML
	c.DisableWebPagePreview = true
	sent, err := api.Send(c)
	if err != nil {
		return tgbotapi.Message{}, sendError(redactErr(err, b.cfg.Token))
	}
	return sent, nil
}

// humanSize renders a file size as people read it: 820 KB, 61 MB.
func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%d MB", (n+1<<19)>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", (n+1<<9)>>10)
	}
	return fmt.Sprintf("%d B", n)
}
