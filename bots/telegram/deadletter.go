package telegram

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// Inbound dead letters: nothing a customer sent may vanish silently. An
// update that keeps failing while State answers (a corrupt record, a bug)
// and an album whose flush keeps failing are, before they are given up,
// written to State as a DeadLetter (kept deadTTL, listed by DeadLetters),
// logged at error level, and the customer is told, in their language, to
// send it again.

const (
	// deadTTL is how long a dead letter is kept for an operator.
	deadTTL = 30 * 24 * time.Hour
	// deadCountTTL keeps the dead letters' counter, in practice, forever
	// (a counter of State always expires).
	deadCountTTL = 10 * 365 * 24 * time.Hour
	// deadScanGap stops DeadLetters after this many expired entries in a
	// row: entries expire oldest first.
	deadScanGap = 64
)

// DeadLetter is something a customer sent that the bot could not store
// and gave up on.
type DeadLetter struct {
	// Key is "u<update_id>" for an update, "a<media_group_id>" for an album.
	Key      string `json:"key"`
	UpdateID int    `json:"update_id,omitempty"`
	Album    string `json:"album,omitempty"`
	Chat     int64  `json:"chat,omitempty"`
	// Raw is the update as Telegram sent it, or the album's parts.
	Raw   json.RawMessage `json:"raw"`
	Error string          `json:"error"`
	At    time.Time       `json:"at"`
}

// saveDeadLetter writes d and lists it. A dead letter written twice (a
// retry after a crash) is listed twice and shown once by DeadLetters.
func (b *Bot) saveDeadLetter(ctx context.Context, d DeadLetter) error {
	raw, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if err := b.state.SetValue(ctx, keyDead(d.Key), string(raw), deadTTL); err != nil {
		return err
	}
	i, err := b.state.Incr(ctx, keyDeadCount, deadCountTTL)
	if err != nil {
		return err
	}
	return b.state.SetValue(ctx, keyDeadEntry(i), d.Key, deadTTL)
}

// DeadLetters returns up to limit of the inbound dead letters of the last
// 30 days, newest first.
func (b *Bot) DeadLetters(ctx context.Context, limit int) ([]DeadLetter, error) {
	return DeadLetters(ctx, b.state, limit)
}

// DeadLetters returns up to limit of the inbound dead letters kept in
// state, newest first; operators read them with no Bot running
// (`ticketbot deadletters inbound`).
func DeadLetters(ctx context.Context, state State, limit int) ([]DeadLetter, error) {
	v, ok, err := state.Value(ctx, keyDeadCount)
	if err != nil || !ok {
		return nil, err
	}
	n, _ := strconv.ParseInt(v, 10, 64)
	var out []DeadLetter
	seen := map[string]bool{}
	for i, gap := n, 0; i > 0 && len(out) < limit && gap < deadScanGap; i-- {
		key, ok, err := state.Value(ctx, keyDeadEntry(i))
		if err != nil {
			return out, err
		}
		if !ok {
			gap++
			continue
		}
		gap = 0
		if seen[key] {
			continue
		}
		seen[key] = true
		raw, ok, err := state.Value(ctx, keyDead(key))
		if err != nil {
			return out, err
		}
		var d DeadLetter
		if ok && json.Unmarshal([]byte(raw), &d) == nil {
			out = append(out, d)
		}
	}
	return out, nil
}

// giveUpUpdate keeps update p, which failed with cause too often, as a
// dead letter, marks it handled and tells its customer. It returns an
// error, and the update is not skipped, when the dead letter could not be
// written.
func (b *Bot) giveUpUpdate(ctx context.Context, p pendingUpdate, cause error) error {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.UpdateTimeout)
	defer cancel()
	key := "u" + strconv.Itoa(p.id)
	d := DeadLetter{Key: key, UpdateID: p.id, Chat: chatOf(p.u), Raw: p.raw, Error: redact(cause.Error(), b.cfg.Token), At: time.Now()}
	if err := b.saveDeadLetter(ctx, d); err != nil {
		return err
	}
	if err := b.state.SetValue(ctx, keyUpdate(p.id), "done", doneTTL); err != nil {
		return err
	}
	b.log.Error().Err(cause).Int("update_id", p.id).Int64("chat", d.Chat).
		Msg("update given up after repeated failures; kept as an inbound dead letter")
	var from *tgbotapi.User
	switch {
	case p.u.Message != nil:
		from = p.u.Message.From
	case p.u.CallbackQuery != nil:
		from = p.u.CallbackQuery.From
	}
	if d.Chat > 0 {
		if err := b.tellLost(ctx, key, from, d.Chat, func(tx *texts) string { return tx.LostMessage }); err != nil {
			b.log.Error().Err(err).Int("update_id", p.id).Msg("tell the customer a message was lost")
		}
	}
	return nil
}

// tellLost tells the customer of chat that what turn key brought could not
// be saved, in their language (their profile's if the Service answers,
// else Telegram's). Its message ID derives from key.
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
	t := &turn{b: b, ctx: ctx, key: "dead:" + key, chat: chat}
	if from != nil {
		t.user = from.ID
	}
	t.setLanguage(lang)
	t.sayf("%s", text(t.tx))
	return t.finish(ctx)
}

// PrintDeadLetters writes ds as a table to out, for operators: what was
// lost, from which chat, when and why. Each customer was asked to send it
// again, so they are listed, not replayed.
func PrintDeadLetters(out io.Writer, ds []DeadLetter) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tCHAT\tAT\tERROR\tCONTENT")
	for _, d := range ds {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", d.Key, d.Chat, d.At.Format(time.RFC3339),
			oneLine(d.Error, 100), oneLine(d.content(), 100))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(out, "%d inbound dead letters (Telegram)\n", len(ds))
	return err
}

// content is what the customer sent, as an operator reads it: the text
// or captions and the number of files; the raw JSON when it is neither an
// update nor an album.
func (d DeadLetter) content() string {
	var texts []string
	files := 0
	var u tgbotapi.Update
	var parts []albumPart
	switch {
	case d.Album == "" && json.Unmarshal(d.Raw, &u) == nil && u.Message != nil:
		texts = append(texts, u.Message.Text, u.Message.Caption)
		files = len(attachmentsOf(u.Message))
	case d.Album == "" && json.Unmarshal(d.Raw, &u) == nil && u.CallbackQuery != nil:
		return "button press"
	case d.Album != "" && json.Unmarshal(d.Raw, &parts) == nil:
		for _, p := range parts {
			texts = append(texts, p.Caption)
			files += len(p.Attachments)
		}
	default:
		return string(d.Raw)
	}
	s := strings.TrimSpace(strings.Join(texts, " "))
	if files > 0 {
		s = strings.TrimSpace(fmt.Sprintf("%s [%d files]", s, files))
	}
	return s
}

// oneLine folds s to one line of at most n bytes (cut at a rune).
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
