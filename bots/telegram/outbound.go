package telegram

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/bots/telegram/botapi"
	"github.com/colombiainformatica/ticketbot/internal/measure"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// The kinds of outbound messages (delivery.Message.Kind).
const (
	kindText  = "text"  // sendMessage
	kindEdit  = "edit"  // editMessageText
	kindMedia = "media" // sendPhoto, sendDocument, ...: by file_id, or uploaded from the platform that holds it
)

// payload is the data of an outbound message (delivery.Message.Payload).
type payload struct {
	Chat     int64               `json:"c"`
	Text     string              `json:"t,omitempty"` // HTML text, or caption of media
	Keyboard [][]button          `json:"b,omitempty"`
	ReplyTo  int                 `json:"r,omitempty"`
	Edit     int                 `json:"e,omitempty"` // the message to edit
	Media    *tickets.Attachment `json:"m,omitempty"`
	// Ticket maps the sent message to its ticket, so that a customer's
	// reply to it goes to that ticket.
	Ticket int64 `json:"n,omitempty"`
	// Reply is the agent reply this message completes; Sent marks it
	// delivered.
	Reply int64 `json:"rp,omitempty"`
	// Fallback is the HTML text sent instead of a file another platform
	// holds when that file can never be sent (gone, too big, refused).
	Fallback string `json:"fb,omitempty"`
}

type button struct {
	Text string `json:"t"`
	Data string `json:"d,omitempty"`
	URL  string `json:"u,omitempty"`
}

// ticketRefTTL is how long a reply to one of the bot's ticket messages
// still finds its ticket.
const ticketRefTTL = 90 * 24 * time.Hour

// Send sends m to Telegram. See delivery.Channel for the errors.
func (b *Bot) Send(ctx context.Context, m delivery.Message) error {
	var p payload
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		return delivery.Permanent("bad_payload", err)
	}
	api := b.api.Bot(ctx)
	var sent tgbotapi.Message
	var err error
	switch m.Kind {
	case kindText:
		c := tgbotapi.NewMessage(p.Chat, p.Text)
		c.ParseMode = tgbotapi.ModeHTML
		c.DisableWebPagePreview = true
		if len(p.Keyboard) > 0 {
			c.ReplyMarkup = keyboard(p.Keyboard)
		}
		if p.ReplyTo > 0 {
			c.ReplyToMessageID, c.AllowSendingWithoutReply = p.ReplyTo, true
		}
		sent, err = api.Send(c)
	case kindEdit:
		c := tgbotapi.NewEditMessageText(p.Chat, p.Edit, p.Text)
		c.ParseMode = tgbotapi.ModeHTML
		c.DisableWebPagePreview = true
		if len(p.Keyboard) > 0 {
			kb := keyboard(p.Keyboard)
			c.ReplyMarkup = &kb
		}
		_, err = api.Request(c)
		if err != nil && editHarmless(err) {
			err = nil
		}
	case kindMedia:
		if p.Media == nil {
			return delivery.Permanent("bad_payload", fmt.Errorf("media message without media"))
		}
		if p.Media.Source != "" && p.Media.Source != Platform {
			// Its errors are mapped for delivery already.
			sent, err = b.sendRemote(ctx, api, p)
			if err != nil {
				return err
			}
			break
		}
		sent, err = api.Send(mediaConfig(p))
	default:
		return delivery.Permanent("bad_payload", fmt.Errorf("unknown kind %q", m.Kind))
	}
	if err != nil {
		return botapi.SendError(b.api.Redact(err))
	}
	if p.Ticket > 0 && sent.MessageID > 0 {
		// The message is out: a failure to remember it only costs the
		// reply routing of this one message.
		if err := b.store.RememberMessage(ctx, p.Chat, sent.MessageID, p.Ticket, ticketRefTTL); err != nil {
			b.log.Warn().Err(err).Int64("ticket", p.Ticket).Msg("remember ticket message")
		}
	}
	return nil
}

// editHarmless reports edits that failed without harm: the message is
// already as wanted, or gone.
func editHarmless(err error) bool {
	s := err.Error()
	return strings.Contains(s, "message is not modified") || strings.Contains(s, "message to edit not found")
}

func mediaConfig(p payload) tgbotapi.Chattable {
	f := tgbotapi.FileID(p.Media.FileID)
	var base *tgbotapi.BaseFile
	var c tgbotapi.Chattable
	switch p.Media.Kind {
	case "photo":
		x := tgbotapi.NewPhoto(p.Chat, f)
		x.Caption, x.ParseMode = p.Text, tgbotapi.ModeHTML
		base, c = &x.BaseFile, &x
	case "voice":
		x := tgbotapi.NewVoice(p.Chat, f)
		x.Caption, x.ParseMode = p.Text, tgbotapi.ModeHTML
		base, c = &x.BaseFile, &x
	case "video":
		x := tgbotapi.NewVideo(p.Chat, f)
		x.Caption, x.ParseMode = p.Text, tgbotapi.ModeHTML
		base, c = &x.BaseFile, &x
	case "audio":
		x := tgbotapi.NewAudio(p.Chat, f)
		x.Caption, x.ParseMode = p.Text, tgbotapi.ModeHTML
		base, c = &x.BaseFile, &x
	default:
		x := tgbotapi.NewDocument(p.Chat, f)
		x.Caption, x.ParseMode = p.Text, tgbotapi.ModeHTML
		base, c = &x.BaseFile, &x
	}
	if len(p.Keyboard) > 0 {
		base.ReplyMarkup = keyboard(p.Keyboard)
	}
	return derefChattable(c)
}

// derefChattable returns the config value the library expects (its
// Chattable methods have value receivers).
func derefChattable(c tgbotapi.Chattable) tgbotapi.Chattable {
	switch x := c.(type) {
	case *tgbotapi.PhotoConfig:
		return *x
	case *tgbotapi.VoiceConfig:
		return *x
	case *tgbotapi.VideoConfig:
		return *x
	case *tgbotapi.AudioConfig:
		return *x
	case *tgbotapi.DocumentConfig:
		return *x
	}
	return c
}

func keyboard(rows [][]button) tgbotapi.InlineKeyboardMarkup {
	var kb tgbotapi.InlineKeyboardMarkup
	for _, row := range rows {
		var r []tgbotapi.InlineKeyboardButton
		for _, bt := range row {
			if bt.URL != "" {
				r = append(r, tgbotapi.NewInlineKeyboardButtonURL(bt.Text, bt.URL))
			} else {
				r = append(r, tgbotapi.NewInlineKeyboardButtonData(bt.Text, bt.Data))
			}
		}
		kb.InlineKeyboard = append(kb.InlineKeyboard, r)
	}
	return kb
}

// Sent records that a message about a ticket reached its customer: an
// agent reply is marked delivered, and a ticket marked unreachable is not
// any more (reachable).
func (b *Bot) Sent(ctx context.Context, m delivery.Message) error {
	if m.Number <= 0 {
		return nil
	}
	var p payload
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		return nil
	}
	var t tickets.Ticket
	var err error
	if p.Reply > 0 {
		t, err = b.svc.MarkDelivered(ctx, m.Number, p.Reply)
	} else {
		t, err = b.svc.Get(ctx, tickets.SystemActor, m.Number)
	}
	if tickets.ErrorCode(err) == tickets.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	// A write of its own: the context may carry the request id of the
	// write that caused the message (a synchronous outbox).
	rid := ""
	if m.ID != "" {
		rid = "tg:reachable:" + m.ID
	}
	return b.reachable(tickets.WithRequestID(ctx, rid), t)
}

// reachable clears the unreachable mark of ticket t, whose customer's chat
// just worked (a message reached them, or they wrote), and of their other
// active tickets that carry it: the mark is about the chat. Failed sets it
// the same way. A ticket without the mark costs nothing. ctx carries the
// request id of this change, not of another write.
func (b *Bot) reachable(ctx context.Context, t tickets.Ticket) error {
	if t.Unreachable == "" {
		return nil
	}
	if _, err := b.svc.MarkReachable(ctx, t.Number); err != nil {
		return err
	}
	active, err := b.svc.ActiveTickets(ctx, tickets.SystemActor, t.Customer.Key())
	if err != nil {
		return err
	}
	for _, a := range active {
		if a.Number != t.Number && a.Unreachable != "" {
			if _, err := b.svc.MarkReachable(ctx, a.Number); err != nil && tickets.ErrorCode(err) != tickets.ENOTFOUND {
				return err
			}
		}
	}
	return nil
}

// Failed flags the customer's ticket when Telegram refuses their chat for
// good (they blocked the bot, deleted the chat or their account), so that
// agents see it. A message that concerns no ticket flags their active ones.
func (b *Bot) Failed(ctx context.Context, m delivery.Message, reason string) error {
	if !botapi.Unreachable(reason) {
		return nil
	}
	numbers := []int64{m.Number}
	if m.Number <= 0 {
		numbers = numbers[:0]
		ts, err := b.svc.ActiveTickets(ctx, tickets.SystemActor, Platform+":"+m.Lane)
		if err != nil {
			return err
		}
		for _, t := range ts {
			numbers = append(numbers, t.Number)
		}
	}
	for _, n := range numbers {
		if _, err := b.svc.FlagUnreachable(ctx, n, reason); err != nil && tickets.ErrorCode(err) != tickets.ENOTFOUND {
			return err
		}
	}
	return nil
}

// Plan returns the chat messages event e means for the ticket's customer:
// every status change and agent reply, naming the ticket; never notes.
func (b *Bot) Plan(ctx context.Context, e tickets.Event) ([]delivery.Message, error) {
	switch e.Kind {
	case tickets.EventClaimed, tickets.EventReleased, tickets.EventWaiting, tickets.EventResumed,
		tickets.EventResolved, tickets.EventClosed, tickets.EventReopened, tickets.EventPriority,
		tickets.EventReply:
	default:
		return nil, nil
	}
	if e.Actor == tickets.ErasureActor {
		return nil, nil // the customer asked for the deletion of their data
	}
	t, err := b.svc.Get(ctx, tickets.SystemActor, e.Number)
	if err != nil {
		if tickets.ErrorCode(err) == tickets.ENOTFOUND {
			return nil, nil
		}
		return nil, err
	}
	if t.Customer.Platform != Platform {
		return nil, nil
	}
	chat, err1 := strconv.ParseInt(t.Customer.ChatID, 10, 64)
	user, err2 := strconv.ParseInt(t.Customer.UserID, 10, 64)
	if err1 != nil || err2 != nil {
		return nil, nil
	}
	tx := textsFor(b.customerLanguage(ctx, t.Customer))
	n := t.Number
	r := &botapi.Rich{}
	var kb [][]button
	switch e.Kind {
	case tickets.EventClaimed:
		name := e.Actor.Name
		if name == "" {
			name = t.Assignee.Name
		}
		r.Markup(tx.PushClaimedF, n, botapi.Esc(b.agentName(name)))
	case tickets.EventReleased:
		r.Markup(tx.PushReleasedF, n)
	case tickets.EventWaiting:
		r.Markup(tx.PushWaitingF, n)
	case tickets.EventResumed:
		r.Markup(tx.PushResumedF, n)
	case tickets.EventResolved:
		r.Markup(tx.PushResolvedF, n)
		kb = b.customerButtons(tx, user, tickets.CustomerActor(t.Customer), leftBy(t, e))
	case tickets.EventClosed:
		r.Markup(tx.PushClosedF, n)
		kb = b.customerButtons(tx, user, tickets.CustomerActor(t.Customer), leftBy(t, e))
	case tickets.EventReopened:
		r.Markup(tx.PushReopenedF, n)
	case tickets.EventPriority:
		r.Markup(tx.PushPriorityF, n, e.OldPriority, e.Priority)
	case tickets.EventReply:
		m, err := b.svc.Message(ctx, tickets.SystemActor, n, e.MessageID)
		if err != nil {
			if tickets.ErrorCode(err) == tickets.ENOTFOUND {
				return nil, nil
			}
			return nil, err
		}
		if m.Kind != tickets.MessageReply {
			return nil, nil // never anything but a reply
		}
		msgs := planText(chat, n, "reply", b.replyMessage(tx, n, e.Actor.Name, m.Text), nil)
		for i, a := range m.Attachments {
			key := fmt.Sprintf("reply.att%d", i+1)
			msgs = append(msgs, b.planAttachment(chat, n, key, tx, t.Customer, a))
		}
		last := &msgs[len(msgs)-1]
		var p payload
		_ = json.Unmarshal(last.Payload, &p)
		p.Reply = m.ID
		last.Payload, _ = json.Marshal(p)
		return msgs, nil
	}
	return planText(chat, n, "push", r, kb), nil
}

// replyMessage renders an agent's reply (text, by author) to the customer
// of ticket n.
func (b *Bot) replyMessage(tx *texts, n int64, author, text string) *botapi.Rich {
	r := (&botapi.Rich{}).Markup(tx.PushReplyF, n, botapi.Esc(b.agentName(author)))
	if text != "" {
		r.Raw("\n").Text(text)
	}
	return r
}

// planAttachment is the message that sends attachment a of an agent reply
// to chat: by file_id when Telegram holds it, as an upload from the
// platform that holds it otherwise (with a text naming it as fallback),
// or, for a file larger than bots may upload, a text naming it.
func (b *Bot) planAttachment(chat, n int64, key string, tx *texts, c tickets.Customer, a tickets.Attachment) delivery.Message {
	if a.HeldBy(c) == Platform {
		a.Source = ""
		return newMessage(chat, n, key, kindMedia, payload{Chat: chat, Media: &a, Ticket: n})
	}
	name := a.Name
	if name == "" {
		name = a.Kind
	}
	if a.Size > MaxUploadSize {
		text := fmt.Sprintf(tx.FileTooBigF, botapi.Esc(name), measure.Bytes(a.Size))
		return newMessage(chat, n, key, kindText, payload{Chat: chat, Text: text, Ticket: n})
	}
	fallback := fmt.Sprintf(tx.FileNotSentF, botapi.Esc(name))
	return newMessage(chat, n, key, kindMedia, payload{Chat: chat, Media: &a, Ticket: n, Fallback: fallback})
}

// customerButtons are the buttons offered to customer a on ticket t, those
// the core allows (tickets.Can, tickets.Permitted): close, reopen, and a 1-5
// rating; nil when it allows none; the rating buttons only while the ticket
// is not rated. The Service checks again when one is pressed.
func (b *Bot) customerButtons(tx *texts, user int64, a tickets.Actor, t tickets.Ticket) [][]button {
	n := strconv.FormatInt(t.Number, 10)
	var kb [][]button
	var row []button
	if tickets.Can(a, t, tickets.ActionClose) {
		row = append(row, button{Text: tx.CloseButton, Data: b.data(user, actClose, n)})
	}
	if tickets.Can(a, t, tickets.ActionReopen) {
		row = append(row, button{Text: tx.ReopenButton, Data: b.data(user, actReopen, n)})
	}
	if len(row) > 0 {
		kb = append(kb, row)
	}
	// A rated ticket shows its rating (status) instead: the core takes a
	// rating once.
	if tickets.Permitted(a, t, tickets.PermissionRate) {
		stars := make([]button, 5)
		for i := range stars {
			stars[i] = button{Text: strconv.Itoa(i+1) + "⭐", Data: b.data(user, actRate, n+"."+strconv.Itoa(i+1))}
		}
		kb = append(kb, stars)
	}
	return kb
}

// leftBy is ticket t as event e left it: a push offers the buttons of the
// change it tells about, even when it is planned after a later one.
func leftBy(t tickets.Ticket, e tickets.Event) tickets.Ticket {
	if e.To.Valid() {
		t.Status = e.To
	}
	return t
}

// planText turns r into text messages for chat, keyed key, key.2, ...; the
// keyboard goes on the last one.
func planText(chat, number int64, key string, r *botapi.Rich, kb [][]button) []delivery.Message {
	parts := r.Messages(botapi.MaxText)
	msgs := make([]delivery.Message, 0, len(parts))
	for i, s := range parts {
		p := payload{Chat: chat, Text: s, Ticket: number}
		if i == len(parts)-1 {
			p.Keyboard = kb
		}
		k := key
		if i > 0 {
			k = fmt.Sprintf("%s.%d", key, i+1)
		}
		msgs = append(msgs, newMessage(chat, number, k, kindText, p))
	}
	return msgs
}

// newMessage is a message of kind to chat (its lane). Sends spend the bot's
// budget and keep the chat's one-second spacing; edits do neither.
func newMessage(chat, number int64, key, kind string, p payload) delivery.Message {
	raw, _ := json.Marshal(p) // plain data always marshals
	m := delivery.Message{
		Platform: Platform,
		Lane:     strconv.FormatInt(chat, 10),
		Bucket:   bucketSend,
		Paced:    true,
		Key:      key,
		Number:   number,
		Kind:     kind,
		Payload:  raw,
	}
	if kind == kindEdit {
		m.Bucket, m.Paced = bucketEdit, false
	}
	return m
}

// customerLanguage is the language to write to c in: the profile's, else
// the one recorded on the ticket, else the default.
func (b *Bot) customerLanguage(ctx context.Context, c tickets.Customer) string {
	if p, err := b.svc.Profile(ctx, c); err == nil && p.Language != "" {
		return p.Language
	}
	if c.Language == "es" || c.Language == "en" {
		return c.Language
	}
	return b.cfg.DefaultLanguage
}
