package slack

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

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
	actPriority = "ticket_priority"

	cardBlockPrefix = "card:"
	// cardHeaderPrefix and the number are the block_id of a card's header,
	// by which a card is known from Slack alone (cardNumber).
	cardHeaderPrefix = "ticket:"
	replyCallback    = "ticket_reply"
	replyBlock       = "reply"
	replyInput       = "text"
)

// cardDescriptionSections is how many description sections the card holds;
// a longer description is posted whole in the thread as well.
const cardDescriptionSections = 4

var statusIcons = map[tickets.Status]string{
	tickets.StatusOpen:     ":large_green_circle: open",
	tickets.StatusClaimed:  ":large_blue_circle: claimed",
	tickets.StatusWaiting:  ":hourglass_flowing_sand: waiting on the customer",
	tickets.StatusResolved: ":white_check_mark: resolved",
	tickets.StatusClosed:   ":black_circle: closed",
}

// cardText is the message's plain fallback (notifications, screen readers).
func cardText(t tickets.Ticket) string {
	return fmt.Sprintf("Ticket #%d (%s, %s): %s", t.Number, t.Priority, t.Status, escape(t.Subject))
}

// descriptionTooLong reports whether the description does not fit the card
// and is posted in the thread.
func descriptionTooLong(t tickets.Ticket) bool {
	return len(escapedChunks(t.Description, maxSectionChars)) > cardDescriptionSections
}

// card renders ticket t as the blocks of its card, at time now.
func card(t tickets.Ticket, now time.Time) []slackapi.Block {
	n := strconv.FormatInt(t.Number, 10)
	blocks := []slackapi.Block{
		// The header holds no customer text: plain_text is not escaped.
		slackapi.NewHeaderBlock(slackapi.NewTextBlockObject(slackapi.PlainTextType,
			fmt.Sprintf("#%d · %s · %s", t.Number, t.Priority, t.Nature), false, false),
			slackapi.HeaderBlockOptionBlockID(cardHeaderPrefix+n)),
		slackapi.NewSectionBlock(verbatim("*"+escape(t.Subject)+"*"), nil, nil, slackapi.SectionBlockOptionBlockID("subject")),
	}
	assignee := "—"
	if t.Claimed() {
		assignee = escape(t.Assignee.Name)
	}
	customer := escape(t.Customer.Name)
	if customer == "" {
		customer = "—"
	}
	if t.Customer.Platform != "" {
		customer += " (" + escape(t.Customer.Platform) + ")"
	}
	fields := []*slackapi.TextBlockObject{
		mrkdwn("*Status*\n" + statusIcons[t.Status]),
		mrkdwn("*Priority*\n" + t.Priority.String()),
		verbatim("*Nature*\n" + escape(string(t.Nature))),
		verbatim("*Customer*\n" + customer),
		verbatim("*Assignee*\n" + assignee),
		mrkdwn("*Age*\n" + age(now.Sub(t.CreatedAt))),
	}
	blocks = append(blocks, slackapi.NewSectionBlock(nil, fields, nil))
	if t.Unreachable != "" {
		blocks = append(blocks, slackapi.NewSectionBlock(verbatim(
			":warning: *Customer unreachable* ("+escape(t.Unreachable)+"): messages to the customer are failing.\n"+
				"Replies will not reach them."), nil, nil, slackapi.SectionBlockOptionBlockID("unreachable")))
	}
	if r := t.Rating; r.Stars > 0 {
		line := fmt.Sprintf(":star: *Rated %d/5* by the customer", r.Stars)
		if r.Comment != "" {
			line += ": " + escape(r.Comment)
		}
		blocks = append(blocks, slackapi.NewSectionBlock(verbatim(line), nil, nil, slackapi.SectionBlockOptionBlockID("rating")))
	}
	desc := escapedChunks(t.Description, maxSectionChars)
	if len(desc) > cardDescriptionSections {
		desc = append(desc[:1:1], "_(The description continues in the thread.)_")
	}
	for _, d := range desc {
		blocks = append(blocks, slackapi.NewSectionBlock(verbatim(d), nil, nil))
	}
	if names := attachmentNames(t.Attachments); names != "" {
		blocks = append(blocks, slackapi.NewContextBlock("", verbatim(":paperclip: "+names)))
	}
	if els := cardActions(t, n); len(els) > 0 {
		blocks = append(blocks, slackapi.NewActionBlock(cardBlockPrefix+n, els...))
	}
	blocks = append(blocks, slackapi.NewContextBlock("", mrkdwn(
		"Reply in this thread to answer the customer; start with `"+NoteMarker+"` for an internal note. `/tickets help`")))
	return blocks
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

func attachmentNames(as []tickets.Attachment) string {
	var names []string
	for _, a := range as {
		name := a.Name
		if name == "" {
			name = a.Kind
		}
		names = append(names, escape(name))
	}
	return strings.Join(names, ", ")
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

// age renders a duration as agents read it: 45s, 12m, 3h 5m, 2d 4h.
func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", max(int(d.Seconds()), 0))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
}

// textPosts renders a thread message: a heading line (verbatim: it names
// the author), then text split in
// sections, grouped into as many messages as needed.
func textPosts(heading, text string, attachments []tickets.Attachment) [][]slackapi.Block {
	var sections []slackapi.Block
	for _, c := range escapedChunks(text, maxSectionChars) {
		sections = append(sections, slackapi.NewSectionBlock(verbatim(c), nil, nil))
	}
	if names := attachmentNames(attachments); names != "" {
		sections = append(sections, slackapi.NewContextBlock("", verbatim(":paperclip: "+names)))
	}
	var posts [][]slackapi.Block
	for i := 0; i == 0 || i < len(sections); i += sectionsPerPost {
		blocks := []slackapi.Block{slackapi.NewContextBlock("", verbatim(heading))}
		if i > 0 {
			blocks[0] = slackapi.NewContextBlock("", verbatim(heading+" _(continued)_"))
		}
		blocks = append(blocks, sections[i:min(i+sectionsPerPost, len(sections))]...)
		posts = append(posts, blocks)
	}
	return posts
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
