package slack

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/colombiainformatica/ticketbot/internal/measure"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// The action_ids of the card's elements. Buttons carry only the ticket
// number as value; the priority menu's block_id carries it ("card:42").
const (
	actClaim    = "ticket_claim"
	actRelease  = "ticket_release"
	actWaiting  = "ticket_waiting"
	actResolve  = "ticket_resolve"
	actClose    = "ticket_close"
	actReopen   = "ticket_reopen"
	actReply    = "ticket_reply"
	actNote     = "ticket_note"
	actPriority = "ticket_priority"

	cardBlockPrefix = "card:"
	// cardHeaderPrefix and the number are the block_id of a card's header,
	// by which a card is known from Slack alone (cardNumber).
	cardHeaderPrefix = "ticket:"
	replyCallback    = "ticket_reply"
	noteCallback     = "ticket_note"
	replyBlock       = "reply"
	replyInput       = "text"
)

var statusIcons = map[tickets.Status]string{
	tickets.StatusOpen:     ":large_green_circle: open",
	tickets.StatusClaimed:  ":large_blue_circle: claimed",
	tickets.StatusWaiting:  ":hourglass_flowing_sand: waiting on the customer",
	tickets.StatusResolved: ":white_check_mark: resolved",
	tickets.StatusClosed:   ":black_circle: closed",
}

// cardText is the message's plain fallback (notifications, screen readers).
func cardText(t tickets.Ticket) string {
	if !t.Erased.IsZero() {
		return erasedCardText(t)
	}
	return fmt.Sprintf("Ticket #%d (%s, %s): %s", t.Number, t.Priority, t.Status, clipped(t.Subject, tickets.MaxSubjectRunes))
}

// descriptionTooLong reports whether the description is cut on the card:
// it is posted whole in the thread then.
func descriptionTooLong(t tickets.Ticket) bool {
	_, cut := clip(strings.TrimSpace(t.Description), cardDescriptionChars)
	return cut
}

// commentTooLong reports whether the rating's comment is cut on the card:
// it is posted whole in the thread then.
func commentTooLong(t tickets.Ticket) bool {
	_, cut := clip(t.Rating.Comment, cardCommentChars)
	return cut
}

// card renders ticket t as the blocks of its card, at time now, with the
// hint of how the desk's thread messages go (Config.ThreadMessages). Every
// part holds at most its budget of text once escaped (render.go): what is
// cut ends with "…", and the description and the rating's comment are
// posted whole in the thread when cut.
func card(t tickets.Ticket, now time.Time, threadMessages string) []slackapi.Block {
	if !t.Erased.IsZero() {
		return erasedCard(t, now)
	}
	n := strconv.FormatInt(t.Number, 10)
	blocks := []slackapi.Block{
		// The header holds no customer text: plain_text is not escaped.
		slackapi.NewHeaderBlock(slackapi.NewTextBlockObject(slackapi.PlainTextType,
			clipPlain(fmt.Sprintf("#%d · %s · %s", t.Number, t.Priority, t.Nature), maxHeaderChars), false, false),
			slackapi.HeaderBlockOptionBlockID(cardHeaderPrefix+n)),
		slackapi.NewSectionBlock(verbatim("*"+clipped(t.Subject, tickets.MaxSubjectRunes*5)+"*"), nil, nil, slackapi.SectionBlockOptionBlockID("subject")),
	}
	assignee := "—"
	if t.Claimed() {
		assignee = clipped(t.Assignee.Name, cardNameChars)
	}
	customer := clipped(t.Customer.Name, cardNameChars)
	if customer == "" {
		customer = "—"
	}
	switch {
	case t.Customer.Platform == "email":
		// The channel and the address agents answer: e-mail tickets have
		// no ETA and are answered by mail.
		customer += " (e-mail: " + clipped(t.Customer.UserID, cardNameChars) + ")"
	case t.Customer.Platform != "":
		customer += " (" + clipped(t.Customer.Platform, 20) + ")"
	}
	fields := []*slackapi.TextBlockObject{
		mrkdwn("*Status*\n" + statusIcons[t.Status]),
		mrkdwn("*Priority*\n" + t.Priority.String()),
		verbatim("*Nature*\n" + clipped(string(t.Nature), 40)),
		verbatim("*Customer*\n" + customer),
		verbatim("*Assignee*\n" + assignee),
		mrkdwn("*Age*\n" + measure.Age(now.Sub(t.CreatedAt))),
	}
	blocks = append(blocks, slackapi.NewSectionBlock(nil, fields, nil))
	if t.Unreachable != "" {
		blocks = append(blocks, slackapi.NewSectionBlock(verbatim(
			":warning: *Customer unreachable* ("+clipped(t.Unreachable, cardReasonChars)+"): messages to the customer are failing.\n"+
				"Replies will not reach them."), nil, nil, slackapi.SectionBlockOptionBlockID("unreachable")))
	}
	if r := t.Rating; r.Stars > 0 {
		line := fmt.Sprintf(":star: *Rated %d/5* by the customer", r.Stars)
		if r.Comment != "" {
			c, cut := clip(r.Comment, cardCommentChars)
			line += ": " + c
			if cut {
				line += "\n_(The whole comment is in the thread.)_"
			}
		}
		blocks = append(blocks, slackapi.NewSectionBlock(verbatim(line), nil, nil, slackapi.SectionBlockOptionBlockID("rating")))
	}
	desc, cut := clip(strings.TrimSpace(t.Description), cardDescriptionChars)
	if desc != "" {
		blocks = append(blocks, slackapi.NewSectionBlock(verbatim(desc), nil, nil))
	}
	if cut {
		blocks = append(blocks, slackapi.NewContextBlock("", mrkdwn("_(The description continues in the thread.)_")))
	}
	if names := attachmentNames(t.Attachments); len(names) > 0 {
		blocks = append(blocks, slackapi.NewContextBlock("", verbatim(":paperclip: "+nameList(names, cardListChars))))
	}
	if els := cardActions(t, n); len(els) > 0 {
		blocks = append(blocks, slackapi.NewActionBlock(cardBlockPrefix+n, els...))
	}
	return append(blocks, slackapi.NewContextBlock("", mrkdwn(cardHint(threadMessages))))
}

// cardHint tells agents where a thread message goes. The marker shows
// exactly as it is typed: plain, not in a code span that an agent would
// copy with its backticks.
func cardHint(threadMessages string) string {
	if threadMessages == ThreadNotes {
		return "Messages in this thread are internal notes: the customer never sees them. " +
			"*Reply to customer* answers the customer. `/tickets help`"
	}
	return "Messages in this thread go to the customer. Start one with " + NoteMarker +
		" to keep it an internal note, or use *Internal note*. `/tickets help`"
}

// cardActions are the card's buttons and priority menu. The card is shared
// by every agent, so it offers what the ticket's lifecycle allows from its
// status (tickets.Transition), not what one agent may do: the Service
// decides that when an element is used, and the agent is told why not.
func cardActions(t tickets.Ticket, n string) []slackapi.BlockElement {
	var els []slackapi.BlockElement
	button := func(id, label, style string) {
		b := slackapi.NewButtonBlockElement(id, n, slackapi.NewTextBlockObject(slackapi.PlainTextType, label, false, false))
		if style != "" {
			b.Style = slackapi.Style(style)
		}
		els = append(els, b)
	}
	allowed := func(a tickets.Action) bool {
		_, err := tickets.Transition(t.Status, a)
		return err == nil
	}
	// Replying is the owner's: offered while the owner may reply.
	if tickets.Permitted(tickets.AgentActor(t.Assignee), t, tickets.PermissionReply) {
		button(actReply, "Reply to customer", "primary")
	}
	switch {
	case allowed(tickets.ActionResume):
		// Where the ticket can resume, claiming it is its owner taking it back.
		button(actClaim, "Resume", "")
	case allowed(tickets.ActionClaim):
		button(actClaim, "Claim", "primary")
	}
	if allowed(tickets.ActionWait) {
		button(actWaiting, "Waiting", "")
	}
	if allowed(tickets.ActionResolve) {
		button(actResolve, "Resolve", "")
	}
	if allowed(tickets.ActionRelease) {
		button(actRelease, "Release", "")
	}
	if allowed(tickets.ActionClose) {
		button(actClose, "Close", "")
	}
	if allowed(tickets.ActionReopen) {
		button(actReopen, "Reopen", "")
	}
	// Any agent may add an internal note, whatever the status.
	button(actNote, "Internal note", "")
	// The priority matters while the ticket is active.
	if t.Status.Active() {
		var opts []*slackapi.OptionBlockObject
		var initial *slackapi.OptionBlockObject
		for p := tickets.HighestPriority; p <= tickets.MaxPriority; p++ {
			o := slackapi.NewOptionBlockObject(p.String(), slackapi.NewTextBlockObject(slackapi.PlainTextType, p.String(), false, false), nil)
			opts = append(opts, o)
			if p == t.Priority {
				initial = o
			}
		}
		sel := slackapi.NewOptionsSelectBlockElement(slackapi.OptTypeStatic,
			slackapi.NewTextBlockObject(slackapi.PlainTextType, "Priority", false, false), actPriority, opts...)
		sel.InitialOption = initial
		els = append(els, sel)
	}
	return els
}

// attachmentNames are the names of attachments as people read them (not
// escaped).
func attachmentNames(as []tickets.Attachment) []string {
	var names []string
	for _, a := range as {
		name := a.Name
		if name == "" {
			name = a.Kind
		}
		names = append(names, name)
	}
	return names
}

// mrkdwn is mrkdwn that Slack auto-links: only for the app's own text.
// Every text object holding anything a person typed (a customer's or an
// agent's name, a file name, a reason) is verbatim, escaped.
func mrkdwn(s string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.MarkdownType, s, false, false)
}

// verbatim is mrkdwn that Slack does not auto-link: for escaped untrusted text.
func verbatim(s string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.MarkdownType, s, false, true)
}

// textPosts renders a thread message: a heading line (verbatim, escaped
// by the caller: it names the author, within threadHeadingChars), then
// the text in sections of at most maxSectionChars, and the attachments'
// names, grouped into as many messages as Slack's limits need (posts).
func textPosts(heading, text string, attachments []tickets.Attachment) [][]slackapi.Block {
	var body []slackapi.Block
	for _, c := range escapedChunks(text, maxSectionChars) {
		body = append(body, slackapi.NewSectionBlock(verbatim(c), nil, nil))
	}
	if names := attachmentNames(attachments); len(names) > 0 {
		body = append(body, slackapi.NewContextBlock("", verbatim(":paperclip: "+nameList(names, cardListChars))))
	}
	return posts(slackapi.NewContextBlock("", verbatim(heading)),
		slackapi.NewContextBlock("", verbatim(heading+" _(continued)_")), body)
}

// cardNumber returns the ticket number a card's blocks carry (its header,
// or its actions on cards posted before headers carried it), or 0.
func cardNumber(blocks []slackapi.Block) int64 {
	for _, bl := range blocks {
		var id string
		switch b := bl.(type) {
		case *slackapi.HeaderBlock:
			id = strings.TrimPrefix(b.BlockID, cardHeaderPrefix)
		case *slackapi.ActionBlock:
			id = strings.TrimPrefix(b.BlockID, cardBlockPrefix)
		default:
			continue
		}
		if n, err := strconv.ParseInt(id, 10, 64); err == nil && n > 0 {
			return n
		}
	}
	return 0
}
