package telegram

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/colombiainformatica/ticketbot/bots/telegram/botapi"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/colombiainformatica/ticketbot/tickets"
)

const (
	defaultSupportEmail = "soporte@colombiainformatica.com"
	defaultWebsite      = "https://www.colombiainformatica.com"
)

// bogota is Colombia's time zone (UTC-5, no daylight saving time).
var bogota = time.FixedZone("COT", -5*60*60)

// message handles a customer's message: a command, a part of an album, or
// text and files for the form or a ticket.
func (t *turn) message(ctx context.Context, m *tgbotapi.Message) error {
	if m.IsCommand() {
		return t.command(ctx, m.Command(), strings.TrimSpace(m.CommandArguments()))
	}
	if m.MediaGroupID != "" {
		joined, err := t.b.bufferAlbum(ctx, t, m)
		if err != nil || joined {
			return err
		}
		// Its album was flushed without it: it is a message of its own.
	}
	text := m.Text
	if text == "" {
		text = m.Caption
	}
	atts := attachmentsOf(m)
	if strings.TrimSpace(text) == "" && len(atts) == 0 {
		return nil // stickers, locations, ...: nothing to keep
	}
	replyTo := 0
	if m.ReplyToMessage != nil {
		replyTo = m.ReplyToMessage.MessageID
	}
	return t.input(ctx, text, atts, replyTo, m.MessageID)
}

// input handles text and attachments from a message or an album: a form
// in progress takes them, else they go to a ticket.
func (t *turn) input(ctx context.Context, text string, atts []tickets.Attachment, replyTo, ref int) error {
	d, err := t.draft(ctx)
	if err != nil {
		return err
	}
	if d != nil {
		return t.formInput(ctx, d, text, atts)
	}
	return t.route(ctx, text, atts, replyTo, ref)
}

func attachmentsOf(m *tgbotapi.Message) []tickets.Attachment {
	switch {
	case len(m.Photo) > 0:
		p := m.Photo[len(m.Photo)-1] // the largest size
		return []tickets.Attachment{{Kind: "photo", FileID: p.FileID, Size: int64(p.FileSize)}}
	case m.Document != nil:
		return []tickets.Attachment{{Kind: "document", FileID: m.Document.FileID, Name: m.Document.FileName, Size: int64(m.Document.FileSize)}}
	case m.Voice != nil:
		return []tickets.Attachment{{Kind: "voice", FileID: m.Voice.FileID, Size: int64(m.Voice.FileSize)}}
	case m.Video != nil:
		return []tickets.Attachment{{Kind: "video", FileID: m.Video.FileID, Name: m.Video.FileName, Size: int64(m.Video.FileSize)}}
	case m.Audio != nil:
		return []tickets.Attachment{{Kind: "audio", FileID: m.Audio.FileID, Name: m.Audio.FileName, Size: int64(m.Audio.FileSize)}}
	}
	return nil
}

func (t *turn) command(ctx context.Context, cmd, args string) error {
	switch strings.ToLower(cmd) {
	case "start":
		t.start()
		return nil
	case "new", "nuevo":
		return t.newForm(ctx)
	case "tickets":
		return t.list(ctx)
	case "status", "estado":
		n, err := strconv.ParseInt(strings.TrimPrefix(args, "#"), 10, 64)
		if err != nil || n <= 0 {
			t.sayf("%s", t.tx.StatusUsage)
			return nil
		}
		return t.status(ctx, n)
	case "cancel", "cancelar":
		return t.cancel(ctx)
	case "help", "ayuda":
		t.help(false)
		return nil
	case "language", "idioma", "lang":
		return t.language(ctx, args)
	case "mydata", "misdatos":
		return t.myData(ctx)
	case "deletedata", "borrardatos":
		return t.askForget(ctx)
	}
	t.help(true)
	return nil
}

func (t *turn) start() {
	r := (&botapi.Rich{}).Markup(t.tx.GreetingF, botapi.Esc(t.cust.Name)).
		Markup("\n\n"+t.tx.Policy, botapi.Esc(t.b.supportEmail()))
	kb := [][]button{t.languageRow()}
	if t.b.svc.NeedsTerms(t.profile) {
		t.termsAsk(r, "\n\n")
		kb = append([][]button{t.termsRow()}, kb...)
	} else {
		r.Raw("\n\n" + t.tx.TermsAlready)
	}
	t.say(r, kb, 0)
}

func (t *turn) languageRow() []button {
	return []button{
		{Text: "Español", Data: t.b.data(t.user, actLanguage, "es")},
		{Text: "English", Data: t.b.data(t.user, actLanguage, "en")},
	}
}

func (t *turn) help(unknown bool) {
	r := &botapi.Rich{}
	if unknown {
		r.Raw(t.tx.UnknownCommand + "\n\n")
	}
	e := botapi.Esc(t.b.supportEmail())
	r.Markup(t.tx.HelpF, e, e, botapi.Esc(t.b.website()))
	t.say(r, nil, 0)
}

func (b *Bot) supportEmail() string {
	if b.cfg.SupportEmail != "" {
		return b.cfg.SupportEmail
	}
	return defaultSupportEmail
}

func (b *Bot) website() string {
	if b.cfg.TermsURL != "" {
		return b.cfg.TermsURL
	}
	return defaultWebsite
}

func (t *turn) language(ctx context.Context, arg string) error {
	if lang := languageOf(arg); lang != "" {
		return t.setLanguageTo(ctx, lang)
	}
	t.say((&botapi.Rich{}).Raw(t.tx.LanguageAsk), [][]button{t.languageRow()}, 0)
	return nil
}

func (t *turn) setLanguageTo(ctx context.Context, lang string) error {
	p, err := t.b.svc.SetLanguage(ctx, t.cust, lang)
	if err != nil {
		return t.fail(0, err)
	}
	t.profile = p
	t.setLanguage(lang)
	t.answerText(t.tx.LanguageSet)
	t.sayf("%s", t.tx.LanguageSet)
	return nil
}

func (t *turn) list(ctx context.Context) error {
	ts, err := t.b.svc.CustomerTickets(ctx, t.actor, t.cust.Key(), 0, 10)
	if err != nil {
		return t.fail(0, err)
	}
	if len(ts) == 0 {
		t.sayf("%s", t.tx.NoTickets)
		return nil
	}
	r, kb := t.b.listMessage(t.tx, t.user, ts, t.b.now())
	t.say(r, kb, 0)
	return nil
}

// listMessage renders a customer's tickets, each with its status button.
func (b *Bot) listMessage(tx *texts, user int64, ts []tickets.Ticket, now time.Time) (*botapi.Rich, [][]button) {
	r := (&botapi.Rich{}).Raw(tx.TicketsHeader)
	bts := make([]button, 0, len(ts))
	for _, tk := range ts {
		age := fmt.Sprintf(tx.AgoF, tx.Duration(now.Sub(tk.CreatedAt)))
		r.Markup("\n"+tx.TicketLineF, tk.Number, botapi.Esc(tk.Subject), tx.Status(tk.Status), age)
		bts = append(bts, b.statusButton(tx, user, tk.Number))
	}
	return r, pairs(bts)
}

func (b *Bot) statusButton(tx *texts, user, n int64) button {
	return button{Text: fmt.Sprintf(tx.StatusButtonF, n), Data: b.data(user, actStatus, strconv.FormatInt(n, 10))}
}

// pairs lays buttons out two to a row.
func pairs(bts []button) [][]button {
	var kb [][]button
	for i, bt := range bts {
		if i%2 == 0 {
			kb = append(kb, []button{bt})
		} else {
			kb[len(kb)-1] = append(kb[len(kb)-1], bt)
		}
	}
	return kb
}

// status shows one of the customer's tickets.
func (t *turn) status(ctx context.Context, n int64) error {
	pl, err := t.b.svc.Position(ctx, t.actor, n)
	if err != nil {
		return t.fail(n, err)
	}
	msgs, err := t.b.svc.Conversation(ctx, t.actor, n, 5)
	if err != nil {
		return t.fail(n, err)
	}
	t.answerText("")
	t.say(t.b.statusMessage(t.tx, pl, msgs), t.b.customerButtons(t.tx, t.user, t.actor, pl.Ticket), n)
	return nil
}

// statusMessage renders ticket pl.Ticket for its customer: status, place
// in the queue, who handles it, its rating, and msgs, its last messages
// (never internal notes: the Service does not give them to a customer).
func (b *Bot) statusMessage(tx *texts, pl tickets.Placement, msgs []tickets.Message) *botapi.Rich {
	tk := pl.Ticket
	r := (&botapi.Rich{}).Markup(tx.StatusTitleF, tk.Number, botapi.Esc(tk.Subject)).
		Markup("\n"+tx.StatusLineF, tx.Status(tk.Status)).
		Markup("\n"+tx.PriorityLineF, tk.Priority)
	placement(tx, r, pl)
	if tk.Claimed() && (tk.Status == tickets.StatusClaimed || tk.Status == tickets.StatusWaiting) {
		r.Markup("\n"+tx.AssigneeF, botapi.Esc(b.agentName(tk.Assignee.Name)))
	}
	if tk.Rating.Stars > 0 {
		r.Markup("\n"+tx.RatingF, tk.Rating.Stars)
	}
	if len(msgs) > 0 {
		r.Raw("\n\n" + tx.LastMessages)
		for _, m := range msgs {
			who := tx.You
			if m.Kind == tickets.MessageReply {
				who = tx.Support + " (" + botapi.Esc(b.agentName(m.Author.Name)) + ")"
			}
			r.Markup("\n<i>%s</i> · %s", who, m.At.In(bogota).Format("2006-01-02 15:04"))
			if len(m.Attachments) > 0 {
				r.Markup(" · 📎%d", len(m.Attachments))
			}
			if m.Text != "" {
				r.Raw("\n").Text(m.Text)
			}
		}
	}
	return r
}

// placement adds the queue position and the wait estimate, labelled as
// an estimate (policy §5), or the no-ETA wording.
func placement(tx *texts, r *botapi.Rich, pl tickets.Placement) {
	if pl.Position <= 0 {
		return
	}
	r.Markup("\n"+tx.PositionF, pl.Position, pl.Length)
	switch e := pl.Estimate; {
	case e.NoETA:
		r.Raw("\n" + tx.NoETA)
	case e.Known:
		r.Raw("\n" + tx.Estimate(e.Wait))
	default:
		r.Raw("\n" + tx.EstimateUnknown)
	}
}

// cancel drops the form in progress and a rating's pending comment.
func (t *turn) cancel(ctx context.Context) error {
	d, err := t.draft(ctx)
	if err != nil {
		return err
	}
	commented, err := t.dropComment(ctx)
	if err != nil {
		return err
	}
	if d == nil || d.Done != "" {
		if commented {
			t.sayf("%s", t.tx.Done)
		} else {
			t.sayf("%s", t.tx.NothingToCancel)
		}
		return nil
	}
	if err := t.b.store.DeleteForm(ctx, t.draftKey()); err != nil {
		return err
	}
	t.sayf("%s", t.tx.Canceled)
	return nil
}
