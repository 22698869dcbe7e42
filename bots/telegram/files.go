package telegram

import (
	"context"
	"fmt"
	"io"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/bots/telegram/botapi"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// The Bot API's limits on files for bots.
const (
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
		case !permanent || botapi.Unreachable(pe.Reason):
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
		return tgbotapi.Message{}, botapi.SendError(b.api.Redact(botapi.UploadCode(err)))
	}
	return sent, nil
}

func (b *Bot) sendFallback(api *tgbotapi.BotAPI, p payload) (tgbotapi.Message, error) {
	c := tgbotapi.NewMessage(p.Chat, p.Fallback)
	c.ParseMode = tgbotapi.ModeHTML
	c.DisableWebPagePreview = true
	sent, err := api.Send(c)
	if err != nil {
		return tgbotapi.Message{}, botapi.SendError(b.api.Redact(err))
	}
	return sent, nil
}
