package slack

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	slackapi "github.com/slack-go/slack"

	"github.com/colombiainformatica/ticketbot/internal/measure"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// queuePageSize is how many tickets /tickets queue lists per page.
const queuePageSize = 10

// helpText is the answer to /tickets help, for a desk whose thread
// messages go as threadMessages says (Config.ThreadMessages).
func helpText(threadMessages string) string {
	thread := "In a ticket's thread, a message is sent to the customer; start it with " + NoteMarker +
		" to keep it an internal note (or use the card's *Internal note*)."
	if threadMessages == ThreadNotes {
		thread = "In a ticket's thread, messages are internal notes; *Reply to customer* on the card answers the customer."
	}
	return "*/tickets* — work the support queue (answers only you see):\n" +
		"• `/tickets queue [page]` the queue in order, with positions\n" +
		"• `/tickets next` claim the first ticket of the queue\n" +
		"• `/tickets mine` the tickets you own\n" +
		"• `/tickets show N` ticket #N\n" +
		"• `/tickets claim|release|waiting|resolve|close|reopen N`\n" +
		"• `/tickets priority N P2` change the priority (P1 highest)\n" +
		"• `/tickets reply N text` answer the customer of #N\n" +
		"• `/tickets note N text` add an internal note to #N\n" + thread
}

// maxListChars bounds the text of a list answer (/tickets mine), well
// within a message's maxMessageChars.
const maxListChars = 12000

// onCommand runs a slash command before the ack, within syncTimeout, and
// answers in the ack itself (an ephemeral message): the agent sees the
// outcome, or that it failed, without a second request that could be lost.
func (b *Bot) onCommand(ctx context.Context, cmd slackapi.SlashCommand) (any, job, error) {
	ctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	text, blocks := b.command(ctx, cmd)
	msg := &slackapi.WebhookMessage{Text: text, ResponseType: slackapi.ResponseTypeEphemeral}
	if len(blocks) > 0 {
		msg.Blocks = &slackapi.Blocks{BlockSet: blocks}
	}
	return msg, nil, nil
}

// command runs /tickets and returns the answer.
func (b *Bot) command(ctx context.Context, cmd slackapi.SlashCommand) (string, []slackapi.Block) {
	args := strings.Fields(cmd.Text)
	sub := "help"
	if len(args) > 0 {
		sub = strings.ToLower(args[0])
	}
	if sub == "help" {
		return helpText(b.cfg.ThreadMessages), nil
	}
	actor, err := b.actor(ctx, cmd.UserID)
	if err != nil {
		return b.errText(ctx, 0, err), nil
	}
	if cmd.TriggerID != "" {
		ctx = tickets.WithRequestID(ctx, "slack:"+cmd.TriggerID)
	}
	number := func() (int64, bool) {
		if len(args) < 2 {
			return 0, false
		}
		n, err := strconv.ParseInt(strings.TrimPrefix(args[1], "#"), 10, 64)
		return n, err == nil && n > 0
	}
	rest := func() string { // the text after "sub N", decoded as a thread message is
		t := strings.TrimSpace(cmd.Text)
		for range 2 {
			i := strings.IndexFunc(t, func(r rune) bool { return r == ' ' || r == '\n' || r == '\t' })
			if i < 0 {
				return ""
			}
			t = strings.TrimSpace(t[i:])
		}
		return plainFromSlack(t, func(id string) string { return b.people.name(ctx, id) })
	}
	switch sub {
	case "queue":
		page := 1
		if len(args) > 1 {
			if p, err := strconv.Atoi(args[1]); err == nil && p > 0 {
				page = p
			}
		}
		return b.queueText(ctx, actor, page), nil
	case "next":
		t, err := b.svc.ClaimNext(ctx, actor)
		if err != nil {
			return b.errText(ctx, 0, err), nil
		}
		return fmt.Sprintf("You claimed %s", ticketLine(t)), nil
	case "mine":
		ts, err := b.svc.AgentTickets(ctx, actor, actor.ID, 0, tickets.MaxPageSize)
		if err != nil {
			return b.errText(ctx, 0, err), nil
		}
		return mineText(ts), nil
	}
	switch sub {
	case "show", "claim", "release", "waiting", "wait", "resolve", "close", "reopen", "priority", "note", "reply":
	default:
		return "Unknown command `" + clipped(sub, 40) + "`.\n" + helpText(b.cfg.ThreadMessages), nil
	}
	n, ok := number()
	if !ok {
		return "Which ticket? For example `/tickets " + sub + " 42`. `/tickets help` lists the commands.", nil
	}
	var what string
	switch sub {
	case "show":
		p, err := b.svc.Position(ctx, actor, n)
		if err != nil {
			return b.errText(ctx, n, err), nil
		}
		return b.showAnswer(p)
	case "claim":
		_, err = b.svc.Claim(ctx, actor, n, false)
		what = "You claimed #%d."
	case "release":
		_, err = b.svc.Release(ctx, actor, n)
		what = "#%d is back in the queue."
	case "waiting", "wait":
		_, err = b.svc.SetWaiting(ctx, actor, n)
		what = "#%d is waiting on the customer."
	case "resolve":
		_, err = b.svc.Resolve(ctx, actor, n)
		what = "#%d is resolved."
	case "close":
		_, err = b.svc.Close(ctx, actor, n)
		what = "#%d is closed."
	case "reopen":
		_, err = b.svc.Reopen(ctx, actor, n)
		what = "#%d is open again, in the queue."
	case "priority":
		if len(args) < 3 {
			return "Which priority? For example `/tickets priority 42 P2`.", nil
		}
		var p tickets.Priority
		if p, err = tickets.ParsePriority(args[2]); err == nil {
			_, err = b.svc.SetPriority(ctx, actor, n, p)
		}
		what = "#%d is now " + strings.ToUpper(args[2]) + "."
	case "note":
		_, _, err = b.svc.AddMessage(ctx, actor, n, tickets.MessageInput{Kind: tickets.MessageNote, Text: rest()})
		what = "Internal note added to #%d."
	case "reply":
		_, _, err = b.svc.AddMessage(ctx, b.replier(actor), n, tickets.MessageInput{Kind: tickets.MessageReply, Text: rest()})
		what = "Reply to the customer of #%d sent."
	default:
		return "Unknown command `" + clipped(sub, 40) + "`.\n" + helpText(b.cfg.ThreadMessages), nil
	}
	if err != nil {
		return b.errText(ctx, n, err), nil
	}
	return fmt.Sprintf(what, n), nil
}

// showAnswer is the answer to /tickets show: a line and the card.
func (b *Bot) showAnswer(p tickets.Placement) (string, []slackapi.Block) {
	text := ticketLine(p.Ticket) + " — " + p.Ticket.Status.String()
	if p.Position > 0 {
		text += fmt.Sprintf(", position %d of %d in the queue", p.Position, p.Length)
	}
	return text, card(p.Ticket, b.now(), b.cfg.ThreadMessages)
}

// mineText lists an agent's tickets, within maxListChars.
func mineText(ts []tickets.Ticket) string {
	if len(ts) == 0 {
		return "You own no tickets. `/tickets next` claims the first of the queue."
	}
	lines := []string{fmt.Sprintf("*Your tickets* (%d):", len(ts))}
	used := units(lines[0])
	for i, t := range ts {
		line := "• " + ticketLine(t) + " — " + t.Status.String()
		if used+units(line)+1 > maxListChars {
			lines = append(lines, "…"+andMore(len(ts)-i)+": `/tickets show N` shows one.")
			break
		}
		lines = append(lines, line)
		used += units(line) + 1
	}
	return strings.Join(lines, "\n")
}

// queueText lists page (1-based) of the queue.
func (b *Bot) queueText(ctx context.Context, actor tickets.Actor, page int) string {
	entries, total, err := b.svc.QueuePage(ctx, actor, (page-1)*queuePageSize, queuePageSize)
	if err != nil {
		return b.errText(ctx, 0, err)
	}
	if total == 0 {
		return "The queue is empty."
	}
	pages := int((total + queuePageSize - 1) / queuePageSize)
	if len(entries) == 0 {
		return fmt.Sprintf("The queue has %d pages; `/tickets queue %d` shows the last.", pages, pages)
	}
	lines := []string{fmt.Sprintf("*Queue* — %d waiting, page %d of %d:", total, page, pages)}
	for _, e := range entries {
		lines = append(lines, fmt.Sprintf("`%d.` %s · %s · %s", e.Position, ticketLine(e.Ticket),
			escape(string(e.Ticket.Nature)), measure.Age(b.now().Sub(e.Ticket.CreatedAt))))
	}
	if page < pages {
		lines = append(lines, fmt.Sprintf("Next: `/tickets queue %d`", page+1))
	}
	return strings.Join(lines, "\n")
}

// ticketLine is "*#42* P1 subject", the subject cut for lists.
func ticketLine(t tickets.Ticket) string {
	return fmt.Sprintf("*#%d* %s %s", t.Number, t.Priority, clipped(t.Subject, listLineSubjectChars))
}
