package telegram

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/colombiainformatica/ticketbot/tickets"
)

const (
	defaultSupportEmail = "soporte@colombiainformatica.com"
	defaultWebsite      = "https://www.colombiainformatica.com"
	// pendingTTL is how long a message waits for the customer to choose
	// its ticket, and a rating for its optional comment.
	pendingTTL = 24 * time.Hour
	commentTTL = 30 * time.Minute
	// doneDraftTTL keeps a submitted form as a tombstone, so that the
	// submitting update, if handled again, opens the same ticket.
	doneDraftTTL = time.Hour
)

// bogota is Colombia's time zone (UTC-5, no daylight saving time).
var bogota = time.FixedZone("COT", -5*60*60)

// message handles a customer's message.
func (t *turn) message(m *tgbotapi.Message) error {
	if m.IsCommand() {
		return t.command(m.Command(), strings.TrimSpace(m.CommandArguments()))
	}
	if m.MediaGroupID != "" {
		joined, err := t.b.bufferAlbum(t, m)
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
	return t.input(text, atts, replyTo, m.MessageID)
}

// input handles text and attachments from a message or an album: a form
// in progress takes them, else they go to a ticket.
func (t *turn) input(text string, atts []tickets.Attachment, replyTo, ref int) error {
	d, err := t.draft()
	if err != nil {
		return err
	}
	if d != nil {
		return t.formInput(d, text, atts)
	}
	return t.route(text, atts, replyTo, ref)
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

func (t *turn) command(cmd, args string) error {
	switch strings.ToLower(cmd) {
	case "start":
		return t.start()
	case "new", "nuevo":
		return t.newForm()
	case "tickets":
		return t.list()
	case "status", "estado":
		n, err := strconv.ParseInt(strings.TrimPrefix(args, "#"), 10, 64)
		if err != nil || n <= 0 {
			t.sayf("%s", t.tx.StatusUsage)
			return nil
		}
		return t.status(n)
	case "cancel", "cancelar":
		return t.cancel()
	case "help", "ayuda":
		t.help(false)
		return nil
	case "language", "idioma", "lang":
		return t.language(args)
	}
	t.help(true)
	return nil
}

func (t *turn) start() error {
	r := (&rich{}).markup(t.tx.GreetingF, esc(t.cust.Name)).
		markup("\n\n"+t.tx.Policy, esc(t.b.supportEmail()))
	kb := [][]button{t.languageRow()}
	if t.b.svc.NeedsTerms(t.profile) {
		r.markup("\n\n"+t.tx.TermsAskF, esc(t.b.cfg.TermsVersion), esc(t.b.website()))
		kb = append([][]button{{{Text: t.tx.TermsButton, Data: t.b.data(t.user, actTerms, termsTag(t.b.cfg.TermsVersion))}}}, kb...)
	} else {
		r.raw("\n\n" + t.tx.TermsAlready)
	}
	t.say(r, kb, 0)
	return nil
}

func (t *turn) languageRow() []button {
	return []button{
		{Text: "Español", Data: t.b.data(t.user, actLanguage, "es")},
		{Text: "English", Data: t.b.data(t.user, actLanguage, "en")},
	}
}

// askTerms asks for the current terms, with the accept button.
func (t *turn) askTerms(needed bool) {
	r := &rich{}
	if needed {
		r.raw(t.tx.TermsNeeded + "\n")
	}
	r.markup(t.tx.TermsAskF, esc(t.b.cfg.TermsVersion), esc(t.b.website()))
	kb := [][]button{{{Text: t.tx.TermsButton, Data: t.b.data(t.user, actTerms, termsTag(t.b.cfg.TermsVersion))}}}
	t.answerText("")
	t.say(r, kb, 0)
}

func (t *turn) answerText(s string) {
	if t.answer != nil {
		t.answer.text = s
	}
}

func (t *turn) help(unknown bool) {
	r := &rich{}
	if unknown {
		r.raw(t.tx.UnknownCommand + "\n\n")
	}
	e := esc(t.b.supportEmail())
	r.markup(t.tx.HelpF, e, e, esc(t.b.website()))
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

func (t *turn) language(arg string) error {
	if lang := languageOf(arg); lang != "" {
		return t.setLanguageTo(lang)
	}
	t.say((&rich{}).raw(t.tx.LanguageAsk), [][]button{t.languageRow()}, 0)
	return nil
}

func (t *turn) setLanguageTo(lang string) error {
	p, err := t.b.svc.SetLanguage(t.ctx, t.cust, lang)
	if err != nil {
		return t.fail(0, err)
	}
	t.profile = p
	t.setLanguage(lang)
	t.answerText(t.tx.LanguageSet)
	t.sayf("%s", t.tx.LanguageSet)
	return nil
}

// draft is a ticket form in progress, kept in State.
type draft struct {
	Nonce       string               `json:"id"`
	Nature      tickets.Nature       `json:"n,omitempty"`
	Urgency     tickets.Urgency      `json:"u,omitempty"`
	Attachments []tickets.Attachment `json:"a,omitempty"`
	// NatureBy and UrgencyBy are the keys of the turns that chose them: a
	// step is answered once, and only its own turn, handled again, repeats
	// it.
	NatureBy  string `json:"nb,omitempty"`
	UrgencyBy string `json:"ub,omitempty"`
	// Done is the key of the turn that submitted the form, Ticket what it
	// opened: the form is over.
	Done   string `json:"d,omitempty"`
	Ticket int64  `json:"t,omitempty"`
}

// attach adds the attachments the draft does not have yet (an update
// handled again adds nothing), up to the core's limit; it reports whether
// it added any, and how many new ones it left out for the limit.
func (d *draft) attach(atts []tickets.Attachment) (added bool, left int) {
outer:
	for _, a := range atts {
		for _, have := range d.Attachments {
			if have.FileID == a.FileID {
				continue outer
			}
		}
		if len(d.Attachments) >= tickets.MaxAttachments {
			left++
			continue
		}
		d.Attachments = append(d.Attachments, a)
		added = true
	}
	return added, left
}

func (t *turn) draftKey() string { return keyDraft(t.user) }

// draft returns the customer's form in progress, or nil. A submitted form
// is returned only to the turn that submitted it.
func (t *turn) draft() (*draft, error) {
	v, ok, err := t.b.state.Value(t.ctx, t.draftKey())
	if err != nil || !ok {
		return nil, err
	}
	var d draft
	if json.Unmarshal([]byte(v), &d) != nil {
		return nil, nil
	}
	if d.Done != "" && d.Done != t.key {
		return nil, nil
	}
	return &d, nil
}

func (t *turn) saveDraft(d *draft) error {
	raw, _ := json.Marshal(d)
	ttl := t.b.cfg.DraftTTL
	if d.Done != "" {
		ttl = doneDraftTTL
	}
	return t.b.state.SetValue(t.ctx, t.draftKey(), string(raw), ttl)
}

func (t *turn) newForm() error {
	if t.b.svc.NeedsTerms(t.profile) {
		t.askTerms(true)
		return nil
	}
	d := &draft{Nonce: strings.TrimPrefix(t.key, "u")}
	if err := t.saveDraft(d); err != nil {
		return err
	}
	t.askNature(d)
	return nil
}

func (t *turn) askNature(d *draft) {
	var kb [][]button
	for i, n := range tickets.Natures {
		bt := button{Text: t.tx.Natures[n], Data: t.b.data(t.user, actNature, d.Nonce+"."+strconv.Itoa(i))}
		if i%2 == 0 {
			kb = append(kb, []button{bt})
		} else {
			kb[len(kb)-1] = append(kb[len(kb)-1], bt)
		}
	}
	t.say((&rich{}).raw(t.tx.AskNature), kb, 0)
}

func (t *turn) askUrgency(d *draft) {
	var row []button
	for i, u := range tickets.Urgencies {
		row = append(row, button{Text: t.tx.Urgencies[u], Data: t.b.data(t.user, actUrgency, d.Nonce+"."+strconv.Itoa(i))})
	}
	t.say((&rich{}).raw(t.tx.AskUrgency), [][]button{row}, 0)
}

// formInput gives a message to the form: attachments are kept; at the
// description step, text submits the form.
func (t *turn) formInput(d *draft, text string, atts []tickets.Attachment) error {
	if d.Done != "" { // this very turn submitted it before: do it again, idempotently
		return t.submit(d, text)
	}
	added, left := d.attach(atts)
	if added {
		if err := t.saveDraft(d); err != nil {
			return err
		}
	}
	if left > 0 {
		// Nothing is dropped silently: the customer learns the cap.
		t.sayf(t.tx.AttachCapF, tickets.MaxAttachments, left)
	}
	text = strings.TrimSpace(text)
	switch {
	case d.Nature == "" || d.Urgency == 0:
		t.sayf("%s", t.tx.ChooseAbove)
	case text == "":
		t.sayf(t.tx.AttachedF, len(d.Attachments))
	default:
		return t.submit(d, text)
	}
	return nil
}

func (t *turn) tooLong(text string) bool {
	if utf8.RuneCountInString(text) > tickets.MaxTextRunes {
		t.sayf(t.tx.TooLongF, tickets.MaxTextRunes)
		return true
	}
	return false
}

func (t *turn) submit(d *draft, text string) error {
	if t.tooLong(text) {
		return nil
	}
	tk, err := t.b.svc.Open(t.ctx, tickets.OpenRequest{
		Customer:    t.cust,
		Intake:      tickets.IntakeChat,
		Nature:      d.Nature,
		Urgency:     d.Urgency,
		Description: text,
		Attachments: d.Attachments,
	})
	if err != nil {
		return t.fail(0, err)
	}
	d.Done, d.Ticket = t.key, tk.Number
	if err := t.saveDraft(d); err != nil {
		return err
	}
	r := (&rich{}).markup(t.tx.CreatedF, tk.Number, tk.Priority)
	if pl, err := t.b.svc.Position(t.ctx, t.actor, tk.Number); err == nil {
		placement(t.tx, r, pl)
	}
	t.say(r, [][]button{{{Text: fmt.Sprintf(t.tx.StatusButtonF, tk.Number), Data: t.b.data(t.user, actStatus, strconv.FormatInt(tk.Number, 10))}}}, tk.Number)
	return nil
}

// placement adds the queue position and the wait estimate, labelled as
// an estimate (policy §5), or the no-ETA wording.
func placement(tx *texts, r *rich, pl tickets.Placement) {
	if pl.Position <= 0 {
		return
	}
	r.markup("\n"+tx.PositionF, pl.Position, pl.Length)
	switch e := pl.Estimate; {
	case e.NoETA:
		r.raw("\n" + tx.NoETA)
	case e.Known:
		r.raw("\n" + tx.estimate(e.Wait))
	default:
		r.raw("\n" + tx.EstimateUnknown)
	}
}

func (t *turn) cancel() error {
	d, err := t.draft()
	if err != nil {
		return err
	}
	_, commented, err := t.b.state.Value(t.ctx, t.commentKey())
	if err != nil {
		return err
	}
	if commented {
		if err := t.b.state.DeleteValue(t.ctx, t.commentKey()); err != nil {
			return err
		}
	}
	if d == nil || d.Done != "" {
		if commented {
			t.sayf("%s", t.tx.Done)
		} else {
			t.sayf("%s", t.tx.NothingToCancel)
		}
		return nil
	}
	if err := t.b.state.DeleteValue(t.ctx, t.draftKey()); err != nil {
		return err
	}
	t.sayf("%s", t.tx.Canceled)
	return nil
}

func (t *turn) list() error {
	ts, err := t.b.svc.CustomerTickets(t.ctx, t.actor, t.cust.Key(), 0, 10)
	if err != nil {
		return t.fail(0, err)
	}
	if len(ts) == 0 {
		t.sayf("%s", t.tx.NoTickets)
		return nil
	}
	r, kb := t.b.listMessage(t.tx, t.user, ts, time.Now())
	t.say(r, kb, 0)
	return nil
}

// listMessage renders a customer's tickets, each with its status button.
func (b *Bot) listMessage(tx *texts, user int64, ts []tickets.Ticket, now time.Time) (*rich, [][]button) {
	r := (&rich{}).raw(tx.TicketsHeader)
	var kb [][]button
	for i, tk := range ts {
		age := fmt.Sprintf(tx.AgoF, tx.duration(now.Sub(tk.CreatedAt)))
		r.markup("\n"+tx.TicketLineF, tk.Number, esc(tk.Subject), tx.status(tk.Status), age)
		bt := button{Text: fmt.Sprintf(tx.StatusButtonF, tk.Number), Data: b.data(user, actStatus, strconv.FormatInt(tk.Number, 10))}
		if i%2 == 0 {
			kb = append(kb, []button{bt})
		} else {
			kb[len(kb)-1] = append(kb[len(kb)-1], bt)
		}
	}
	return r, kb
}

// status shows one of the customer's tickets: status, place in the queue,
// who handles it and the last messages (never internal notes).
func (t *turn) status(n int64) error {
	pl, err := t.b.svc.Position(t.ctx, t.actor, n)
	if err != nil {
		return t.fail(n, err)
	}
	msgs, err := t.b.svc.Conversation(t.ctx, t.actor, n, 5)
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
func (b *Bot) statusMessage(tx *texts, pl tickets.Placement, msgs []tickets.Message) *rich {
	tk := pl.Ticket
	r := (&rich{}).markup(tx.StatusTitleF, tk.Number, esc(tk.Subject)).
		markup("\n"+tx.StatusLineF, tx.status(tk.Status)).
		markup("\n"+tx.PriorityLineF, tk.Priority)
	placement(tx, r, pl)
	if tk.Claimed() && (tk.Status == tickets.StatusClaimed || tk.Status == tickets.StatusWaiting) {
		r.markup("\n"+tx.AssigneeF, esc(b.agentName(tk.Assignee.Name)))
	}
	if tk.Rating.Stars > 0 {
		r.markup("\n"+tx.RatingF, tk.Rating.Stars)
	}
	if len(msgs) > 0 {
		r.raw("\n\n" + tx.LastMessages)
		for _, m := range msgs {
			who := tx.You
			if m.Kind == tickets.MessageReply {
				who = tx.Support + " (" + esc(b.agentName(m.Author.Name)) + ")"
			}
			r.markup("\n<i>%s</i> · %s", who, m.At.In(bogota).Format("2006-01-02 15:04"))
			if len(m.Attachments) > 0 {
				r.markup(" · 📎%d", len(m.Attachments))
			}
			if m.Text != "" {
				r.raw("\n").text(m.Text)
			}
		}
	}
	return r
}

func (t *turn) commentKey() string { return keyComment(t.user) }

// pending is a message waiting for the customer to choose its ticket.
type pending struct {
	Text        string               `json:"t,omitempty"`
	Attachments []tickets.Attachment `json:"a,omitempty"`
	Ref         int                  `json:"r,omitempty"`
}

// route adds a message to the customer's ticket: the one whose message
// they replied to, else the one a rating waits a comment for, else their
// only active ticket; with several, it asks which.
func (t *turn) route(text string, atts []tickets.Attachment, replyTo, ref int) error {
	if t.tooLong(text) {
		return nil
	}
	if replyTo > 0 {
		v, ok, err := t.b.state.Value(t.ctx, keyRef(t.chat, replyTo))
		if err != nil {
			return err
		}
		if n, _ := strconv.ParseInt(v, 10, 64); ok && n > 0 {
			return t.addTo(n, text, atts, ref)
		}
	}
	if len(atts) == 0 && strings.TrimSpace(text) != "" {
		v, ok, err := t.b.state.Value(t.ctx, t.commentKey())
		if err != nil {
			return err
		}
		if ok {
			return t.comment(v, text)
		}
	}
	active, err := t.b.svc.ActiveTickets(t.ctx, t.actor, t.cust.Key())
	if err != nil {
		return t.fail(0, err)
	}
	switch len(active) {
	case 0:
		if t.b.svc.NeedsTerms(t.profile) {
			t.askTerms(false)
		} else {
			t.sayf("%s", t.tx.NoOpenTicket)
		}
		return nil
	case 1:
		return t.addTo(active[0].Number, text, atts, ref)
	}
	raw, _ := json.Marshal(pending{Text: text, Attachments: atts, Ref: ref})
	if err := t.b.state.SetValue(t.ctx, keyPending(t.key), string(raw), pendingTTL); err != nil {
		return err
	}
	r, kb := t.b.routeMessage(t.tx, t.user, t.key, active)
	t.say(r, kb, 0)
	return nil
}

// maxRouteChoices is how many tickets the question "which ticket?" offers
// as buttons, well within Telegram's 100 buttons of a keyboard.
const maxRouteChoices = 10

// routeMessage asks which of the active tickets a message (of the turn
// key) goes to: one button each, for the first maxRouteChoices; the others
// are reached by replying to one of their messages.
func (b *Bot) routeMessage(tx *texts, user int64, key string, active []tickets.Ticket) (*rich, [][]button) {
	r := (&rich{}).raw(tx.WhichTicket)
	if len(active) > maxRouteChoices {
		r.markup("\n"+tx.WhichTicketMoreF, maxRouteChoices, len(active))
		active = active[:maxRouteChoices]
	}
	var kb [][]button
	for _, tk := range active {
		label := "#" + strconv.FormatInt(tk.Number, 10) + " · " + tk.Subject
		if r := []rune(label); len(r) > 40 {
			label = string(r[:39]) + "…"
		}
		kb = append(kb, []button{{Text: label, Data: b.data(user, actRoute, strconv.FormatInt(tk.Number, 10)+"."+key)}})
	}
	return r, kb
}

func (t *turn) addTo(n int64, text string, atts []tickets.Attachment, ref int) error {
	_, err := t.addMessage(n, text, atts, ref)
	return err
}

// addMessage adds a message to ticket n and reports whether it did; a refusal
// the customer can act upon is answered.
func (t *turn) addMessage(n int64, text string, atts []tickets.Attachment, ref int) (bool, error) {
	in := tickets.MessageInput{Text: text, Attachments: atts}
	if ref > 0 {
		in.Ref = strconv.Itoa(ref)
	}
	tk, _, err := t.b.svc.AddMessage(t.ctx, t.actor, n, in)
	if err != nil {
		return false, t.fail(n, err)
	}
	// The customer wrote: their chat works again.
	if err := t.b.reachable(tickets.WithRequestID(t.ctx, "tg:"+t.key+":reachable"), tk); err != nil {
		return false, err
	}
	t.say((&rich{}).markup(t.tx.AddedToF, n), nil, n)
	return true, nil
}

// comment completes a rating with the comment the customer wrote.
func (t *turn) comment(v, text string) error {
	var c struct {
		N     int64 `json:"n"`
		Stars int   `json:"s"`
	}
	if json.Unmarshal([]byte(v), &c) != nil || c.N <= 0 {
		return t.b.state.DeleteValue(t.ctx, t.commentKey())
	}
	if _, err := t.b.svc.Rate(t.ctx, t.actor, c.N, c.Stars, text); err != nil {
		if ferr := t.fail(c.N, err); ferr != nil {
			return ferr
		}
	} else {
		t.sayf(t.tx.CommentSavedF, c.N)
	}
	return t.b.state.DeleteValue(t.ctx, t.commentKey())
}

// callback handles a button press.
func (t *turn) callback(q *tgbotapi.CallbackQuery) error {
	act, arg, ok := t.b.parseData(t.user, q.Data)
	if !ok {
		t.answer.text = t.tx.Expired
		t.b.log.Info().Int64("user", t.user).Msg("callback data refused")
		return nil
	}
	msgID := 0
	if q.Message != nil {
		msgID = q.Message.MessageID
	}
	num, rest, _ := strings.Cut(arg, ".")
	n, _ := strconv.ParseInt(num, 10, 64)
	switch act {
	case actTerms:
		return t.acceptTerms(arg)
	case actLanguage:
		return t.setLanguageTo(arg)
	case actNature, actUrgency:
		return t.choose(act, num, rest, msgID)
	case actStatus:
		return t.status(n)
	case actClose, actReopen:
		var err error
		if act == actClose {
			_, err = t.b.svc.Close(t.ctx, t.actor, n)
		} else {
			_, err = t.b.svc.Reopen(t.ctx, t.actor, n)
		}
		if err != nil {
			return t.fail(n, err)
		}
		t.answer.text = t.tx.Done // the status push tells the rest
		return nil
	case actRate:
		stars, _ := strconv.Atoi(rest)
		if _, err := t.b.svc.Rate(t.ctx, t.actor, n, stars, ""); err != nil {
			return t.fail(n, err)
		}
		raw, _ := json.Marshal(map[string]int64{"n": n, "s": int64(stars)})
		if err := t.b.state.SetValue(t.ctx, t.commentKey(), string(raw), commentTTL); err != nil {
			return err
		}
		t.answer.text = t.tx.Done
		t.sayf(t.tx.RateThanksF, n, stars)
		return nil
	case actRoute:
		return t.routeChosen(n, rest, msgID)
	}
	t.answer.text = t.tx.Expired
	return nil
}

func (t *turn) acceptTerms(tag string) error {
	if t.b.cfg.TermsVersion == "" || tag != termsTag(t.b.cfg.TermsVersion) {
		if t.b.svc.NeedsTerms(t.profile) {
			t.askTerms(false)
		}
		t.answer.text = t.tx.Expired
		return nil
	}
	p, err := t.b.svc.AcceptTerms(t.ctx, t.cust, t.b.cfg.TermsVersion)
	if err != nil {
		return t.fail(0, err)
	}
	t.profile = p
	t.answer.text = t.tx.Done
	t.sayf(t.tx.TermsAcceptedF, esc(t.b.cfg.TermsVersion))
	return nil
}

// choose records a nature or urgency chosen in the form whose nonce the
// button carries. Only the keyboard of the form's current step counts: a
// button of another form, of a submitted or cancelled one, or of a step
// already answered has expired and changes nothing (a second tap on the
// nature keyboard must not overwrite the nature nor ask the urgency again).
// The turn that made a choice, handled again, makes it again, so that a
// redelivered press still sends what it caused.
func (t *turn) choose(act, nonce, idx string, msgID int) error {
	d, err := t.draft()
	if err != nil {
		return err
	}
	i, _ := strconv.Atoi(idx)
	if d == nil || d.Done != "" || d.Nonce != nonce {
		t.answer.text = t.tx.Expired
		return nil
	}
	if act == actNature {
		again := d.Nature != "" && d.NatureBy == t.key
		if i < 0 || i >= len(tickets.Natures) || (d.Nature != "" && !again) {
			t.answer.text = t.tx.Expired
			return nil
		}
		if !again {
			d.Nature, d.NatureBy = tickets.Natures[i], t.key
			if err := t.saveDraft(d); err != nil {
				return err
			}
		}
		t.edit(msgID, fmt.Sprintf(t.tx.NatureChosenF, esc(t.tx.Natures[d.Nature])))
		if d.Urgency == 0 {
			t.askUrgency(d)
		}
		return nil
	}
	again := d.Urgency != 0 && d.UrgencyBy == t.key
	if i < 0 || i >= len(tickets.Urgencies) || d.Nature == "" || (d.Urgency != 0 && !again) {
		t.answer.text = t.tx.Expired
		return nil
	}
	if !again {
		d.Urgency, d.UrgencyBy = tickets.Urgencies[i], t.key
		if err := t.saveDraft(d); err != nil {
			return err
		}
	}
	t.edit(msgID, fmt.Sprintf(t.tx.UrgencyChosenF, esc(t.tx.Urgencies[d.Urgency])))
	t.sayf("%s", t.tx.AskDescription)
	return nil
}

// routeChosen adds the pending message to the ticket the customer chose.
func (t *turn) routeChosen(n int64, key string, msgID int) error {
	name := keyPending(key)
	v, ok, err := t.b.state.Value(t.ctx, name)
	if err != nil {
		return err
	}
	if !ok {
		t.answer.text = t.tx.Expired
		return nil
	}
	var p pending
	if json.Unmarshal([]byte(v), &p) != nil {
		t.answer.text = t.tx.Expired
		return t.b.state.DeleteValue(t.ctx, name)
	}
	// The message's own key makes the write idempotent across presses.
	t.ctx = tickets.WithRequestID(t.ctx, "tg:"+key)
	added, err := t.addMessage(n, p.Text, p.Attachments, p.Ref)
	if err != nil || !added {
		return err
	}
	t.edit(msgID, fmt.Sprintf("%s → <b>#%d</b>", t.tx.WhichTicket, n))
	t.answer.text = t.tx.Done
	return t.b.state.DeleteValue(t.ctx, name)
}
