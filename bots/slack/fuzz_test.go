package slack

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"

	"github.com/colombiainformatica/ticketbot/bots/slack/slacktest"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// upTo is s as the core would store it: valid UTF-8 (what Slack and
// Telegram deliver) of at most n runes (the core refuses longer).
func upTo(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// fuzzTicket is a ticket holding the fuzzer's content wherever a person's
// text goes, within what the core accepts.
func fuzzTicket(subject, desc, name, comment, file, reason string, atts, status, stars uint8) tickets.Ticket {
	t := tickets.Ticket{
		Number: 1<<40 + int64(atts), Priority: tickets.Priority(1 + status%4), Nature: tickets.Natures[int(status)%len(tickets.Natures)],
		Customer:    tickets.Customer{Platform: "telegram", UserID: "1", ChatID: "1", Name: upTo(name, 200)},
		Subject:     upTo(subject, tickets.MaxSubjectRunes),
		Description: upTo(desc, tickets.MaxTextRunes),
		Status:      tickets.Status(1 + status%5),
		Unreachable: upTo(reason, 200),
		CreatedAt:   time.Unix(1700000000, 0),
	}
	if t.Status != tickets.StatusOpen {
		t.Assignee = tickets.Agent{ID: "U1", Name: upTo(name, 200)}
	}
	if s := int(stars % 6); s > 0 {
		t.Rating = tickets.Rating{Stars: s, Comment: upTo(comment, tickets.MaxRatingComment)}
	}
	for i := range int(atts) % (tickets.MaxAttachments + 1) {
		t.Attachments = append(t.Attachments, tickets.Attachment{Kind: "document", FileID: fmt.Sprint(i), Name: upTo(file, 255)})
	}
	return t
}

// FuzzRenderers: for any ticket content, every payload the adapter builds
// for Slack passes the checks of the fake Slack (slacktest's
// ValidateMessage, ValidateView and ValidateSocketAck, the very functions
// the fake answers with): the card in both thread modes, thread posts of
// the description, a message and the rating's comment, /tickets show and
// mine, the Reply and Internal note modals, and a Socket Mode ack.
func FuzzRenderers(f *testing.F) {
	f.Add("Printer on fire", "It burns", "María", "", "a.pdf", "", uint8(0), uint8(0), uint8(0))
	f.Add(strings.Repeat("*_~`", 30), strings.Repeat("<!channel> *b* _i_ ~s~ `c` &amp; ", 300), strings.Repeat("<@U1>", 40),
		strings.Repeat("*_~", 334), strings.Repeat("*_~`<>&", 20), "blocked", uint8(20), uint8(3), uint8(5))
	f.Add(strings.Repeat("😀", 120), strings.Repeat("字\u2028", 5000), strings.Repeat("é", 64), strings.Repeat("\u200b", 1000),
		strings.Repeat("x", 255), strings.Repeat("&", 200), uint8(255), uint8(4), uint8(4))
	b := &Bot{cfg: Config{ThreadMessages: ThreadReplies}, now: func() time.Time { return time.Unix(1700100000, 0) }}
	f.Fuzz(func(t *testing.T, subject, desc, name, comment, file, reason string, atts, status, stars uint8) {
		tk := fuzzTicket(subject, desc, name, comment, file, reason, atts, status, stars)
		message := func(what, text string, blocks []slackapi.Block) {
			t.Helper()
			var raw json.RawMessage
			if blocks != nil {
				var err error
				if raw, err = json.Marshal(blocks); err != nil {
					t.Fatal(err)
				}
			}
			if err := slacktest.ValidateMessage(text, raw); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		}
		for _, mode := range []string{ThreadReplies, ThreadNotes} {
			b.cfg.ThreadMessages = mode
			message("card", cardText(tk), card(tk, b.now(), mode))
			for _, kind := range []tickets.MessageKind{tickets.MessageReply, tickets.MessageNote} {
				raw, err := json.Marshal(b.messageModal(tk, kind))
				if err != nil {
					t.Fatal(err)
				}
				if err := slacktest.ValidateView(raw); err != nil {
					t.Fatalf("modal %s: %v", kind, err)
				}
			}
		}
		heading := ":speech_balloon: *" + clipped(tk.Customer.Name, cardNameChars) + "* (customer) wrote:"
		for what, text := range map[string]string{"description": tk.Description, "comment": tk.Rating.Comment, "message": desc} {
			for i, post := range textPosts(heading, upTo(text, tickets.MaxTextRunes), tk.Attachments) {
				message(fmt.Sprintf("%s post %d", what, i), heading+" "+clipped(tickets.DerivedSubject(text), tickets.MaxSubjectRunes), post)
			}
		}
		text, blocks := b.showAnswer(tickets.Placement{Ticket: tk, Position: 3, Length: 9})
		message("show", text, blocks)
		msg := &slackapi.WebhookMessage{Text: text, ResponseType: slackapi.ResponseTypeEphemeral, Blocks: &slackapi.Blocks{BlockSet: blocks}}
		if ack, _ := b.fitAck("env-1", msg, nil, place{}); ack != nil {
			js, err := json.Marshal(map[string]any{"envelope_id": "env-1", "payload": ack})
			if err != nil {
				t.Fatal(err)
			}
			if err := slacktest.ValidateSocketAck(js); err != nil {
				t.Fatalf("ack: %v", err)
			}
		}
		mine := make([]tickets.Ticket, tickets.MaxPageSize)
		for i := range mine {
			mine[i] = tk
		}
		message("mine", mineText(mine), nil)
	})
}
