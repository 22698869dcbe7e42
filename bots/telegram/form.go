package telegram

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/colombiainformatica/ticketbot/bots/telegram/botapi"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// doneDraftTTL keeps a submitted form as a tombstone, so that the
// submitting update, if handled again, opens the same ticket.
const doneDraftTTL = time.Hour

// draft is a ticket form in progress, kept in Storage.
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

func (t *turn) draftKey() FormKey { return FormKey{Kind: FormDraft, User: t.user} }

// draft returns the customer's form in progress, or nil. A submitted form
// is returned only to the turn that submitted it.
func (t *turn) draft(ctx context.Context) (*draft, error) {
	v, ok, err := t.b.store.Form(ctx, t.draftKey())
	if err != nil || !ok {
		return nil, err
	}
	var d draft
	if json.Unmarshal(v, &d) != nil {
		return nil, nil
	}
	if d.Done != "" && d.Done != t.key {
		return nil, nil
	}
	return &d, nil
}

func (t *turn) saveDraft(ctx context.Context, d *draft) error {
	raw, _ := json.Marshal(d)
	ttl := t.b.cfg.DraftTTL
	if d.Done != "" {
		ttl = doneDraftTTL
	}
	return t.b.store.SaveForm(ctx, t.draftKey(), raw, ttl)
}

func (t *turn) newForm(ctx context.Context) error {
	if t.b.svc.NeedsTerms(t.profile) {
		t.askTerms(true)
		return nil
	}
	if err := t.b.svc.CanOpen(ctx, t.cust.Key()); err != nil {
		return t.atCap(ctx, err)
	}
	d := &draft{Nonce: strings.TrimPrefix(t.key, "u")}
	if err := t.saveDraft(ctx, d); err != nil {
		return err
	}
	t.say((&botapi.Rich{}).Raw(t.tx.AskNature), t.natureKeyboard(d), 0)
	return nil
}

func (t *turn) natureKeyboard(d *draft) [][]button {
	bts := make([]button, len(tickets.Natures))
	for i, n := range tickets.Natures {
		bts[i] = button{Text: t.tx.Natures[n], Data: t.b.data(t.user, actNature, d.Nonce+"."+strconv.Itoa(i))}
	}
	return pairs(bts)
}

func (t *turn) urgencyKeyboard(d *draft) [][]button {
	var row []button
	for i, u := range tickets.Urgencies {
		row = append(row, button{Text: t.tx.Urgencies[u], Data: t.b.data(t.user, actUrgency, d.Nonce+"."+strconv.Itoa(i))})
	}
	return [][]button{row}
}

// formInput gives a message to the form: attachments are kept; at the
// description step, text submits the form.
func (t *turn) formInput(ctx context.Context, d *draft, text string, atts []tickets.Attachment) error {
	if d.Done != "" { // this very turn submitted it before: do it again, idempotently
		return t.submit(ctx, d, text)
	}
	added, left := d.attach(atts)
	if added {
		if err := t.saveDraft(ctx, d); err != nil {
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
		return t.submit(ctx, d, text)
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

func (t *turn) submit(ctx context.Context, d *draft, text string) error {
	if t.tooLong(text) {
		return nil
	}
	tk, err := t.b.svc.Open(ctx, tickets.OpenRequest{
		Customer:    t.cust,
		Intake:      tickets.IntakeChat,
		Nature:      d.Nature,
		Urgency:     d.Urgency,
		Description: text,
		Attachments: d.Attachments,
	})
	if tickets.ErrorReason(err) == tickets.ReasonActiveCap {
		return t.formAtCap(ctx, d, text)
	}
	if err != nil {
		return t.fail(0, err)
	}
	d.Done, d.Ticket = t.key, tk.Number
	if err := t.saveDraft(ctx, d); err != nil {
		return err
	}
	r := (&botapi.Rich{}).Markup(t.tx.CreatedF, tk.Number, tk.Priority)
	if pl, err := t.b.svc.Position(ctx, t.actor, tk.Number); err == nil {
		placement(t.tx, r, pl)
	}
	t.say(r, [][]button{{t.b.statusButton(t.tx, t.user, tk.Number)}}, tk.Number)
	return nil
}

// choose records a nature or urgency chosen in the form whose nonce the
// button carries, and answers with one edit of the form's message: the
// choices so far and the next question. Only the keyboard of the form's
// current step counts: a button of another form, of a submitted or
// cancelled one, or of a step already answered has expired and changes
// nothing (a second tap on the nature keyboard must not overwrite the
// nature nor ask the urgency again). The turn that made a choice, handled
// again, makes it again, so that a redelivered press still sends what it
// caused.
func (t *turn) choose(ctx context.Context, act, nonce, idx string, msgID int) error {
	d, err := t.draft(ctx)
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
			if err := t.saveDraft(ctx, d); err != nil {
				return err
			}
		}
		r := t.choices(d)
		if d.Urgency != 0 {
			t.edit(msgID, r, nil)
			return nil
		}
		t.edit(msgID, r.Raw("\n\n"+t.tx.AskUrgency), t.urgencyKeyboard(d))
		return nil
	}
	again := d.Urgency != 0 && d.UrgencyBy == t.key
	if i < 0 || i >= len(tickets.Urgencies) || d.Nature == "" || (d.Urgency != 0 && !again) {
		t.answer.text = t.tx.Expired
		return nil
	}
	if !again {
		d.Urgency, d.UrgencyBy = tickets.Urgencies[i], t.key
		if err := t.saveDraft(ctx, d); err != nil {
			return err
		}
	}
	t.edit(msgID, t.choices(d).Raw("\n\n"+t.tx.AskDescription), nil)
	return nil
}

// choices shows what the form has so far.
func (t *turn) choices(d *draft) *botapi.Rich {
	r := (&botapi.Rich{}).Markup(t.tx.NatureChosenF, botapi.Esc(t.tx.Natures[d.Nature]))
	if d.Urgency != 0 {
		r.Markup("\n"+t.tx.UrgencyChosenF, botapi.Esc(t.tx.Urgencies[d.Urgency]))
	}
	return r
}

// dropComment forgets a rating's pending comment and reports whether one
// waited.
func (t *turn) dropComment(ctx context.Context) (bool, error) {
	k := FormKey{Kind: FormComment, User: t.user}
	_, ok, err := t.b.store.Form(ctx, k)
	if err != nil || !ok {
		return false, err
	}
	return true, t.b.store.DeleteForm(ctx, k)
}
