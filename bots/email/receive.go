package email

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/bots/inbound"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// Namespace is the inbound namespace of mails (their marks and dead
// letters).
const Namespace = "email"

// handleTimeout bounds the work on one mail.
const handleTimeout = 2 * time.Minute

// ItemID returns the inbound id of a mail, which makes it handled once
// wherever it is seen: its sender and Message-ID (the same mail in two
// watched folders, found again after a UIDVALIDITY change, or read by an
// intake that took over from another), hashed; a mail without a
// Message-ID is known by its content, or when it was not downloaded by
// where it lies. The sender is part of it so that a Message-ID someone
// else chose never silences a customer's mail.
func ItemID(in Incoming) string {
	h := sha256.New()
	switch {
	case in.MessageID != "":
		fmt.Fprintf(h, "mid\n%s\n%s", strings.ToLower(in.From.Address), in.MessageID)
	case in.Raw != nil:
		h.Write([]byte("raw\n"))
		h.Write(in.Raw)
	default:
		return fmt.Sprintf("uid:%d:%d:%s", in.UIDValidity, in.UID, in.Mailbox)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// handle is the intake's Handler: each mail once, through the inbound
// Processor (marked busy while it is handled, done once what it caused is
// stored; after repeated failures the sender is told and the mail kept as
// an inbound dead letter).
func (b *Bot) handle(ctx context.Context, in Incoming) error {
	ctx, cancel := context.WithTimeout(ctx, handleTimeout)
	defer cancel()
	id := ItemID(in)
	it := inbound.Item{
		Namespace: Namespace, ID: id,
		DeadLetter: func() inbound.DeadLetter {
			raw, _ := json.Marshal(map[string]any{"mailbox": in.Mailbox, "uidvalidity": in.UIDValidity, "uid": in.UID, "message_id": in.MessageID})
			return inbound.DeadLetter{Chat: in.From.Address, Content: "mail: " + in.Subject, Raw: raw}
		},
		Tell: func(ctx context.Context) error { return b.tellLost(ctx, in, id) },
	}
	err := b.inbound.Handle(ctx, it, func(ctx context.Context) error {
		return b.receive(tickets.WithRequestID(ctx, "email:"+id), in, id)
	})
	if err != nil {
		return fmt.Errorf("mail %s from %s: %w", in.MessageID, in.From.Address, err)
	}
	return nil
}

// receive files one mail: robots' mails and our own do nothing, a bounce
// flags the customer it names, a person's mail reaches the Service.
func (b *Bot) receive(ctx context.Context, in Incoming, id string) error {
	log := b.log.With().Str("mail", id).Str("from", in.From.Address).Uint32("uid", in.UID).Logger()
	if in.TooLarge {
		return b.tooLarge(ctx, in, id)
	}
	m, err := b.parser.Parse(bytes.NewReader(in.Raw))
	if err != nil {
		// Nothing can be read of it, not even who to answer: it is kept
		// in the mailbox for a person.
		log.Warn().Err(err).Msg("mail not readable; left in the mailbox")
		return nil
	}
	class := b.classify.Classify(m)
	switch class.Kind {
	case KindBounce:
		return b.bounced(ctx, m, log.With().Str("reason", class.Reason).Logger())
	case KindPerson:
	default:
		log.Info().Str("kind", class.Kind.String()).Str("reason", class.Reason).Msg("mail ignored: not a person's")
		return nil
	}
	return b.person(ctx, in, m, id)
}

// person files a person's mail m with the Service.
func (b *Bot) person(ctx context.Context, in Incoming, m *Mail, id string) error {
	sender := m.From
	if sender.Address == "" {
		sender = in.From
	}
	if sender.Address == "" {
		b.log.Warn().Str("mail", id).Msg("mail without a sender ignored")
		return nil
	}
	number, verified := b.ids.Thread(m)
	if !verified {
		number, _ = SubjectTicket(m.Subject)
	}
	if number == 0 {
		n, err := b.store.CountOpened(ctx, sender.Address, id, b.now().Truncate(time.Hour))
		if err != nil {
			return err
		}
		if n > int64(b.cfg.MaxNewPerHour) {
			b.log.Warn().Str("mail", id).Str("from", sender.Address).Int64("count", n).
				Msg("mail dropped: the sender opened too many tickets this hour")
			return nil
		}
	}
	c, err := b.customer(ctx, sender, m.Language)
	if err != nil {
		return err
	}
	text, atts := b.content(in, m)
	t, outcome, err := b.svc.ReceiveMail(ctx, tickets.Mail{
		Sender: c, Ticket: number, Authenticated: b.authenticated(m),
		Subject: clipRunes(m.Subject, tickets.MaxSubjectRunes), Text: text, Attachments: atts, Ref: m.MessageID,
	})
	if err != nil {
		if tickets.ErrorCode(err) == tickets.EINVALID {
			b.log.Warn().Err(err).Str("mail", id).Msg("mail refused by the core")
			return nil
		}
		return err
	}
	b.log.Info().Str("mail", id).Int64("ticket", t.Number).Str("outcome", outcome.String()).Msg("mail filed")
	if outcome == tickets.MailCapped {
		if err := b.tellCapped(ctx, m, id, c, t); err != nil {
			return err
		}
	}
	if outcome != tickets.MailUnverified && t.Unreachable != "" {
		// The customer wrote: their address works.
		if _, err := b.svc.MarkReachable(tickets.WithRequestID(ctx, "email:reach:"+id), t.Number); err != nil {
			return err
		}
	}
	return nil
}

// customer is the sender as a customer, in the language the mail says or
// they spoke before; a mail that says remembers it.
func (b *Bot) customer(ctx context.Context, a Address, contentLanguage string) (tickets.Customer, error) {
	c := tickets.Customer{Platform: Platform, UserID: a.Address, ChatID: a.Address, Name: a.Name}
	if c.Name == "" {
		c.Name = a.Address
	}
	if lang := langOf(contentLanguage); lang != "" {
		c.Language = lang
		p, err := b.svc.Profile(ctx, c)
		if err == nil && p.Language != lang {
			_, err = b.svc.SetLanguage(ctx, c, lang)
		}
		return c, err
	}
	p, err := b.svc.Profile(ctx, c)
	if err != nil {
		return c, err
	}
	c.Language = p.Language
	if c.Language == "" {
		c.Language = b.cfg.DefaultLanguage
	}
	return c, nil
}

// The text a ticket takes from a mail is cut below the core's limit with
// a note; the whole mail stays attached.
const textBudget = tickets.MaxTextRunes - 200

// content returns what the ticket keeps of m: the new text (quotes and
// signature stripped) and its files as references to the mail (FileID),
// with the whole original attached when anything was left out of the text
// (quoted history, a cut) or the files are more than a message holds.
func (b *Bot) content(in Incoming, m *Mail) (string, []tickets.Attachment) {
	full := strings.TrimSpace(m.Text)
	text := strings.TrimSpace(m.NewText())
	cut := false
	if utf8.RuneCountInString(text) > textBudget {
		text, cut = clipRunes(text, textBudget)+"\n[…]", true
	}
	files := m.Attachments
	room := tickets.MaxAttachments
	original := cut || text != full || len(files) > room
	if original {
		room--
	}
	var atts []tickets.Attachment
	for i, f := range files {
		if len(atts) == room {
			break
		}
		atts = append(atts, tickets.Attachment{Kind: kindOf(f.ContentType), FileID: FileID(in, i+1), Name: f.Name, Size: f.Size, Source: Platform})
	}
	if original {
		atts = append(atts, tickets.Attachment{Kind: "document", FileID: FileID(in, 0), Name: OriginalName, Size: int64(len(in.Raw)), Source: Platform})
	}
	if n := len(files) - min(len(files), room); n > 0 {
		text += fmt.Sprintf("\n\n[+%d]", n)
	}
	return text, atts
}

// OriginalName is the name of the whole mail attached for agents.
const OriginalName = "original.eml"

// kindOf is the attachment kind of a file of type ct.
func kindOf(ct string) string {
	if strings.HasPrefix(ct, "image/") {
		return "photo"
	}
	return "document"
}

// clipRunes cuts s to at most n runes.
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// bounced flags the customer a permanent bounce is about; a delay
// (4.x.x) changes nothing.
func (b *Bot) bounced(ctx context.Context, m *Mail, log zerolog.Logger) error {
	r := m.Report
	if r == nil || !r.Permanent {
		log.Info().Msg("bounce ignored: a delay, or no delivery status")
		return nil
	}
	reason := "bounced"
	if r.Status != "" {
		reason += " " + r.Status
	}
	var numbers []int64
	if n, ok := b.ids.Ticket(r.OriginalMessageID); ok && n > 0 {
		numbers = append(numbers, n)
	} else if r.Recipient != "" {
		active, err := b.svc.ActiveTickets(ctx, tickets.SystemActor, Platform+":"+r.Recipient)
		if err != nil {
			return err
		}
		for _, t := range active {
			numbers = append(numbers, t.Number)
		}
	}
	for _, n := range numbers {
		if _, err := b.svc.FlagUnreachable(ctx, n, reason); err != nil && tickets.ErrorCode(err) != tickets.ENOTFOUND {
			return err
		}
		log.Info().Int64("ticket", n).Str("status", r.Status).Msg("bounce: customer unreachable")
	}
	return nil
}

// tooLarge answers the sender of a mail over the size cap, which was not
// downloaded: a person is told how to send it; a robot is not answered.
func (b *Bot) tooLarge(ctx context.Context, in Incoming, id string) error {
	head := in.Header
	if !bytes.Contains(head, []byte("\r\n\r\n")) && !bytes.Contains(head, []byte("\n\n")) {
		head = append(append([]byte(nil), head...), "\r\n\r\n"...)
	}
	m, err := b.parser.Parse(bytes.NewReader(head))
	if err != nil || m.From.Address == "" {
		m = &Mail{From: in.From, Subject: in.Subject, MessageID: in.MessageID}
	}
	if m.Header != nil {
		if class := b.classify.Classify(m); class.Kind != KindPerson {
			return nil
		}
	}
	lang, err := b.languageOf(ctx, m)
	if err != nil {
		return err
	}
	tx := textsFor(lang)
	body := tx.greeting(m.From.Name) + "\n\n" + fmt.Sprintf(tx.TooLargeF, humanSize(in.Size), humanSize(b.cfg.IMAP.MaxSize))
	return b.answer(ctx, m, id, "toolarge", lang, body)
}

// tellLost tells the sender of a mail given up after repeated failures to
// send it again.
func (b *Bot) tellLost(ctx context.Context, in Incoming, id string) error {
	m := &Mail{From: in.From, Subject: in.Subject, MessageID: in.MessageID}
	if in.Raw != nil {
		if pm, err := b.parser.Parse(bytes.NewReader(in.Raw)); err == nil {
			if b.classify.Classify(pm).Kind != KindPerson {
				return nil
			}
			m = pm
		}
	}
	lang, err := b.languageOf(ctx, m)
	if err != nil {
		return err
	}
	tx := textsFor(lang)
	return b.answer(ctx, m, id, "lost", lang, tx.greeting(m.From.Name)+"\n\n"+fmt.Sprintf(tx.LostF, m.Subject))
}

// languageOf is the language to answer m's sender in.
func (b *Bot) languageOf(ctx context.Context, m *Mail) (string, error) {
	if l := langOf(m.Language); l != "" {
		return l, nil
	}
	p, err := b.svc.Profile(ctx, tickets.Customer{Platform: Platform, UserID: m.From.Address})
	if err != nil {
		return "", err
	}
	if p.Language != "" {
		return p.Language, nil
	}
	return b.cfg.DefaultLanguage, nil
}

// answer queues a mail to m's sender that concerns no ticket, once per
// mail and key.
func (b *Bot) answer(ctx context.Context, m *Mail, id, key, lang, body string) error {
	if m.From.Address == "" {
		return nil
	}
	inReplyTo, refs := m.Thread()
	p := outPayload{To: m.From, Subject: m.Subject, InReplyTo: inReplyTo, References: refs, Language: lang, Text: body}
	raw, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return b.outbox.Enqueue(ctx, delivery.Message{
		ID: "email-in:" + id + "/" + key, Platform: Platform, Lane: m.From.Address, Bucket: bucketSMTP,
		Key: key, Kind: kindAnswer, Payload: raw,
	})
}

// FileID is the reference of file i (1-based, in Mail.Attachments order;
// 0 the whole mail) of a mail: where the mail lies in the mailbox.
func FileID(in Incoming, i int) string {
	return strconv.FormatUint(uint64(in.UIDValidity), 10) + ":" + strconv.FormatUint(uint64(in.UID), 10) + ":" +
		strconv.Itoa(i) + ":" + in.Mailbox
}

// parseFileID reads a FileID.
func parseFileID(id string) (mailbox string, uidValidity, uid uint32, i int, err error) {
	parts := strings.SplitN(id, ":", 4)
	if len(parts) != 4 {
		return "", 0, 0, 0, errors.New("not an e-mail file reference")
	}
	v, err1 := strconv.ParseUint(parts[0], 10, 32)
	u, err2 := strconv.ParseUint(parts[1], 10, 32)
	n, err3 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || n < 0 || parts[3] == "" {
		return "", 0, 0, 0, errors.New("not an e-mail file reference")
	}
	return parts[3], uint32(v), uint32(u), n, nil
}
