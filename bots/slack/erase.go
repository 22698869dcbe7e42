package slack

import (
	"context"
	"fmt"
	"strconv"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/colombiainformatica/ticketbot/internal/measure"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// A ticket whose customer had their data erased (tickets.EventErased):
// its card says so and keeps only what is not personal, the app's own
// thread messages about the customer are replaced by a short text, and
// the files the app copied into the thread are deleted.

// partEntry names part k (2, 3, …) of a thread entry posted in several
// messages, so that each can be replaced on erasure (Storage.Thread reads
// up to store's limit of parts).
func partEntry(entry string, k int) string { return entry + "." + strconv.Itoa(k) }

// kindErase replaces the app's thread messages and deletes its files.
const kindErase = "erase"

// ErasedText replaces each of the app's messages in an erased ticket's
// thread.
const ErasedText = "Deleted at the customer's request."

// erasedLine is the card's line for an erased ticket.
const erasedLine = ":wastebasket: *Closed and deleted at the customer's request*"

// erasedCardText is the fallback text of an erased ticket's card.
func erasedCardText(t tickets.Ticket) string {
	return fmt.Sprintf("Ticket #%d (%s, %s): closed and deleted at the customer's request", t.Number, t.Priority, t.Status)
}

// erasedCard renders an erased ticket: number, priority, nature, status,
// age, rating stars; no customer, text or button.
func erasedCard(t tickets.Ticket, now time.Time) []slackapi.Block {
	n := strconv.FormatInt(t.Number, 10)
	fields := []*slackapi.TextBlockObject{
		mrkdwn("*Status*\n" + statusIcons[t.Status]),
		mrkdwn("*Priority*\n" + t.Priority.String()),
		verbatim("*Nature*\n" + clipped(string(t.Nature), 40)),
		mrkdwn("*Age*\n" + measure.Age(now.Sub(t.CreatedAt))),
	}
	if t.Rating.Stars > 0 {
		fields = append(fields, mrkdwn(fmt.Sprintf("*Rating*\n%d/5", t.Rating.Stars)))
	}
	return []slackapi.Block{
		slackapi.NewHeaderBlock(slackapi.NewTextBlockObject(slackapi.PlainTextType,
			clipPlain(fmt.Sprintf("#%d · %s · %s", t.Number, t.Priority, t.Nature), maxHeaderChars), false, false),
			slackapi.HeaderBlockOptionBlockID(cardHeaderPrefix+n)),
		slackapi.NewSectionBlock(mrkdwn(erasedLine), nil, nil, slackapi.SectionBlockOptionBlockID("erased")),
		slackapi.NewSectionBlock(nil, fields, nil),
	}
}

// sendErase replaces the app's messages in erased ticket n's thread with
// ErasedText and deletes the files it copied there, then forgets them. A
// message or file already gone counts as done, so a retry repeats nothing
// harmful.
func (b *Bot) sendErase(ctx context.Context, n int64) error {
	t, err := b.svc.Get(ctx, tickets.SystemActor, n)
	if err != nil || t.Erased.IsZero() {
		return err
	}
	posts, files, err := b.store.Thread(ctx, n, t.Messages)
	if err != nil {
		return err
	}
	ch, _, ok, err := b.cardRef(ctx, n)
	if err != nil {
		return err
	}
	if ok {
		for _, ts := range posts {
			_, _, _, err := b.api.UpdateMessageContext(ctx, ch, ts,
				slackapi.MsgOptionBlocks(slackapi.NewContextBlock("", mrkdwn("_"+ErasedText+"_"))),
				slackapi.MsgOptionText(ErasedText, false))
			if err != nil && !isSlackError(err, "message_not_found") && !isSlackError(err, "cant_update_message") {
				return err
			}
		}
	}
	for _, id := range files {
		err := b.api.DeleteFileContext(ctx, id)
		if err != nil && !isSlackError(err, "file_not_found") && !isSlackError(err, "file_deleted") {
			return err
		}
	}
	return b.store.ForgetThread(ctx, n, t.Messages)
}
