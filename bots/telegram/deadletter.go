package telegram

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// Nothing a customer sends may vanish silently: an update or an album that
// keeps failing (a corrupt record, a bug) is given up by the inbound
// Processor as a dead letter (`ticketbot deadletters inbound` lists them),
// and the customer is told, in their language, to send it again.

// tellLost tells the customer of chat that what turn key brought could not
// be saved, in their language (their profile's if the Service answers,
// else Telegram's). Its message ID derives from key, so telling twice
// sends one message.
func (b *Bot) tellLost(ctx context.Context, key string, from *tgbotapi.User, chat int64, text func(*texts) string) error {
	lang := ""
	if from != nil {
		c := tickets.Customer{Platform: Platform, UserID: strconv.FormatInt(from.ID, 10), ChatID: strconv.FormatInt(chat, 10)}
		if p, err := b.svc.Profile(ctx, c); err == nil {
			lang = p.Language
		}
		if lang == "" {
			lang = languageOf(from.LanguageCode)
		}
	}
	if lang == "" {
		lang = b.cfg.DefaultLanguage
	}
	t := &turn{b: b, key: "dead:" + key, chat: chat}
	if from != nil {
		t.user = from.ID
	}
	t.setLanguage(lang)
	t.sayf("%s", text(t.tx))
	return t.finish(ctx)
}

// updateContent is what the customer sent in u, as an operator reads it:
// the text or caption and the number of files.
func updateContent(u tgbotapi.Update) string {
	switch {
	case u.Message != nil:
		return describe([]string{u.Message.Text, u.Message.Caption}, len(attachmentsOf(u.Message)))
	case u.CallbackQuery != nil:
		return "button press"
	}
	return ""
}

// albumContent is what the customer sent in an album: its captions and the
// number of files.
func albumContent(parts []albumPart) string {
	var texts []string
	files := 0
	for _, p := range parts {
		texts = append(texts, p.Caption)
		files += len(p.Attachments)
	}
	return describe(texts, files)
}

func describe(texts []string, files int) string {
	s := strings.Join(strings.Fields(strings.Join(texts, " ")), " ")
	if files > 0 {
		s = strings.TrimSpace(fmt.Sprintf("%s [%d files]", s, files))
	}
	return s
}
