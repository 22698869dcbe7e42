package telegram

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/colombiainformatica/ticketbot/bots/telegram/botapi"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/bots/telegram/telegramtest"
	"github.com/colombiainformatica/ticketbot/internal/measure"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// upTo is s as the core would store it: valid UTF-8 (what Telegram and
// Slack deliver) of at most n runes (the core refuses longer).
func upTo(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// checkPlanned checks every message planned as Telegram's fake checks it:
// text (or caption) after HTML parsing, and the keyboard.
func checkPlanned(t *testing.T, what string, msgs []delivery.Message) {
	t.Helper()
	for i, m := range msgs {
		var p payload
		if err := json.Unmarshal(m.Payload, &p); err != nil {
			t.Fatal(err)
		}
		switch m.Kind {
		case kindText, kindEdit:
			if err := telegramtest.ValidateText(p.Text, "HTML"); err != nil {
				t.Fatalf("%s message %d: %v\n%q", what, i, err, p.Text)
			}
		case kindMedia:
			if err := telegramtest.ValidateCaption(p.Text, "HTML"); err != nil {
				t.Fatalf("%s caption %d: %v", what, i, err)
			}
		}
		if len(p.Keyboard) > 0 {
			raw, err := json.Marshal(keyboard(p.Keyboard))
			if err != nil {
				t.Fatal(err)
			}
			if err := telegramtest.ValidateReplyMarkup(string(raw)); err != nil {
				t.Fatalf("%s keyboard %d: %v", what, i, err)
			}
		}
	}
}

// FuzzRenderers: for any ticket content, every message the adapter builds
// for the customer passes the checks of the fake Telegram (telegramtest's
// ValidateText, ValidateCaption, ValidateReplyMarkup and
// ValidateCallbackAnswer, the very checks the fake answers with): an
// agent's reply, the claimed push, /status with the last messages,
// /tickets, the "which ticket?" question with many tickets, the buttons,
// the texts naming a file that cannot be sent, and a toast.
func FuzzRenderers(f *testing.F) {
	f.Add("Impresora", "No imprime", "Ana", "a.pdf", int64(1), uint8(3), uint8(2))
	f.Add(strings.Repeat("<b>&amp;", 30), strings.Repeat("<i>*_~ &lt;</i> 😀 ", 700), strings.Repeat("<@U1>&", 20),
		strings.Repeat("&<>", 85), int64(1)<<62, uint8(200), uint8(255))
	b := &Bot{key: []byte("fuzz key"), cfg: Config{DefaultLanguage: "es"}}
	f.Fuzz(func(t *testing.T, subject, text, agent, file string, number int64, nTickets, status uint8) {
		if number <= 0 {
			number = -number + 1
		}
		if number <= 0 {
			number = 1
		}
		subject, text = upTo(subject, tickets.MaxSubjectRunes), upTo(text, tickets.MaxTextRunes)
		agent, file = upTo(agent, 200), upTo(file, 255)
		const chat, user = int64(77), int64(77)
		cust := tickets.Customer{Platform: Platform, UserID: "77", ChatID: "77", Name: agent}
		tk := tickets.Ticket{Number: number, Subject: subject, Customer: cust, Status: tickets.Status(1 + status%5),
			Priority: 2, Assignee: tickets.Agent{ID: "U1", Name: agent}, CreatedAt: time.Unix(1700000000, 0),
			Rating: tickets.Rating{Stars: int(status % 6)}}
		for _, lang := range []string{"es", "en"} {
			tx := textsFor(lang)
			checkPlanned(t, "reply", planText(chat, number, "reply", b.replyMessage(tx, number, agent, text), nil))
			checkPlanned(t, "claimed", planText(chat, number, "push",
				(&botapi.Rich{}).Markup(tx.PushClaimedF, number, botapi.Esc(b.agentName(agent))), b.customerButtons(tx, user, tickets.CustomerActor(cust), tk)))
			msgs := make([]tickets.Message, 5)
			for i := range msgs {
				msgs[i] = tickets.Message{ID: int64(i + 1), Kind: tickets.MessageKind(1 + i%2), Text: text, At: tk.CreatedAt,
					Author: tickets.Actor{Name: agent}, Attachments: make([]tickets.Attachment, i)}
			}
			pl := tickets.Placement{Ticket: tk, Position: 4, Length: 10, Estimate: tickets.Estimate{Known: true, Wait: time.Hour}}
			checkPlanned(t, "status", planText(chat, number, "", b.statusMessage(tx, pl, msgs), b.customerButtons(tx, user, tickets.CustomerActor(cust), tk)))
			many := make([]tickets.Ticket, int(nTickets)+2)
			for i := range many {
				many[i] = tk
				many[i].Number = number + int64(i)
			}
			r, kb := b.listMessage(tx, user, many[:min(len(many), 10)], time.Unix(1700003600, 0))
			checkPlanned(t, "tickets", planText(chat, 0, "", r, kb))
			r, kb = b.routeMessage(tx, user, fmt.Sprintf("u%d", number), many)
			checkPlanned(t, "which ticket", planText(chat, 0, "", r, kb))
			for _, f := range []string{fmt.Sprintf(tx.FileTooBigF, botapi.Esc(file), measure.Bytes(1<<40)), fmt.Sprintf(tx.FileNotSentF, botapi.Esc(file))} {
				checkPlanned(t, "file", planText(chat, number, "", (&botapi.Rich{}).Markup("%s", f), nil))
			}
			if err := telegramtest.ValidateCallbackAnswer(plainText(fmt.Sprintf(tx.FileNotSentF, botapi.Esc(text)))); err != nil {
				t.Fatalf("toast: %v", err)
			}
		}
	})
}
