package email_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/colombiainformatica/ticketbot/bots/email"
)

func sampleOutgoing(ids *email.IDs) *email.Outgoing {
	customer := parseString(nil, "From: Ana <ana@example.test>\nSubject: Impresora\nMessage-ID: <c2@example.test>\nReferences: <c1@example.test>\n\nhola\n")
	irt, refs := customer.Thread()
	return &email.Outgoing{
		From:          email.Address{Name: "Soporte Colombia Informática", Address: "soporte@colombiainformatica.com"},
		To:            []email.Address{{Name: "Ana Pérez", Address: "ana@example.test"}},
		Subject:       email.ReplySubject("Impresora: ¿qué pasó?", 1234),
		MessageID:     ids.MessageID(1234, "ack"),
		InReplyTo:     irt,
		References:    refs,
		Date:          time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
		AutoSubmitted: email.AutoReplied,
		Language:      "es",
		Text:          "Recibimos su solicitud, ticket #1234.\nLas solicitudes por correo no tienen tiempo estimado de respuesta.\n",
		HTML:          "<p>Recibimos su solicitud, ticket <b>#1234</b>.</p>",
		Attachments: []email.File{
			{Name: "guía de uso.pdf", Content: strings.NewReader("%PDF-1.4 fake")},
			{Name: "captura.png", ContentType: "image/png", Content: bytes.NewReader([]byte{0x89, 'P', 'N', 'G', 0, 1, 2})},
		},
	}
}

// parseString parses a test mail; t may be nil for fixtures built outside
// a test.
func parseString(t *testing.T, s string) *email.Mail {
	m, err := email.Parse(strings.NewReader(strings.ReplaceAll(s, "\n", "\r\n")))
	if err != nil {
		if t != nil {
			t.Fatal(err)
		}
		panic(err)
	}
	return m
}

func TestComposeRoundTrip(t *testing.T) {
	ids := newIDs(t, "a secret of thirty-two bytes....")
	o := sampleOutgoing(ids)
	raw, err := o.Bytes()
	if err != nil {
		t.Fatalf("Bytes: %v", err)
	}
	for _, line := range bytes.Split(raw, []byte("\r\n")) {
		if len(line) > 998 {
			t.Fatalf("a line of %d bytes", len(line))
		}
		for _, c := range line {
			if c >= 0x80 {
				t.Fatalf("8-bit byte in the message: %q", line)
			}
		}
	}
	m := parse(t, raw)
	type view struct {
		From               email.Address
		To                 []email.Address
		Subject, MessageID string
		InReplyTo, Refs    []string
		Auto, Suppress     string
		Language           string
		Text               string
		Files              []string
		Date               time.Time
	}
	got := view{m.From, m.To, m.Subject, m.MessageID, m.InReplyTo, m.References, m.Get("Auto-Submitted"),
		m.Get("X-Auto-Response-Suppress"), m.Language, m.Text, nil, m.Date.UTC()}
	for _, a := range m.Attachments {
		got.Files = append(got.Files, a.Name+" "+a.ContentType+" "+string(a.Content))
	}
	want := view{
		From:      email.Address{Name: "Soporte Colombia Informática", Address: "soporte@colombiainformatica.com"},
		To:        []email.Address{{Name: "Ana Pérez", Address: "ana@example.test"}},
		Subject:   "Re: Impresora: ¿qué pasó? [#1234]",
		MessageID: o.MessageID,
		InReplyTo: []string{"c2@example.test"},
		Refs:      []string{"c1@example.test", "c2@example.test"},
		Auto:      "auto-replied", Suppress: "All", Language: "es",
		Text:  "Recibimos su solicitud, ticket #1234.\nLas solicitudes por correo no tienen tiempo estimado de respuesta.\n",
		Files: []string{"guía de uso.pdf application/pdf %PDF-1.4 fake", "captura.png image/png \x89PNG\x00\x01\x02"},
		Date:  time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("composed then parsed (-want +got):\n%s", diff)
	}
	if !strings.Contains(m.HTML, "<b>#1234</b>") {
		t.Errorf("HTML = %q", m.HTML)
	}
	// The mail is ours when it comes back, and a reply to it finds the ticket.
	c := email.Classifier{IDs: ids}
	if got := c.Classify(m); got.Kind != email.KindOwn {
		t.Errorf("our mail coming back is %v", got)
	}
}

func TestComposeTextOnlyAndHumanReply(t *testing.T) {
	o := &email.Outgoing{
		From: email.Address{Address: "soporte@colombiainformatica.com"}, To: []email.Address{{Address: "ana@example.test"}},
		Subject: "Re: x [#1]", MessageID: "t1.r1.abc@colombiainformatica.com", Text: "Línea uno\nLínea dos",
	}
	raw, err := o.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	m := parse(t, raw)
	if m.Text != "Línea uno\nLínea dos" || len(m.Attachments) != 0 || m.HTML != "" {
		t.Errorf("text-only mail parsed to %q, %d files, HTML %q", m.Text, len(m.Attachments), m.HTML)
	}
	if m.Get("Auto-Submitted") != "" || m.Get("X-Auto-Response-Suppress") != "" {
		t.Error("an agent's reply is marked as automatic")
	}
	if got := (email.Classifier{}).Classify(m); got.Kind != email.KindPerson {
		t.Errorf("an agent's reply classifies as %v", got)
	}
}

func TestComposeRefusesBadInput(t *testing.T) {
	base := email.Outgoing{
		From: email.Address{Address: "soporte@colombiainformatica.com"}, To: []email.Address{{Address: "ana@example.test"}},
		MessageID: "t1.r1.abc@colombiainformatica.com", Text: "x",
	}
	for name, mutate := range map[string]func(*email.Outgoing){
		"no from":               func(o *email.Outgoing) { o.From.Address = "" },
		"no recipient":          func(o *email.Outgoing) { o.To = nil },
		"no message id":         func(o *email.Outgoing) { o.MessageID = "" },
		"bracketed message id":  func(o *email.Outgoing) { o.MessageID = "<a@b.c>" },
		"header injection":      func(o *email.Outgoing) { o.To[0].Address = "ana@example.test\r\nBcc: x@evil.test" },
		"bad in-reply-to":       func(o *email.Outgoing) { o.InReplyTo = "a@b>\r\nX: y" },
		"not an address":        func(o *email.Outgoing) { o.To[0].Address = "nobody" },
		"reference with spaces": func(o *email.Outgoing) { o.References = []string{"a b@c"} },
	} {
		o := base
		o.To = append([]email.Address(nil), base.To...)
		mutate(&o)
		if _, err := o.Bytes(); err == nil {
			t.Errorf("%s: composed", name)
		}
	}
	// A subject or name with line breaks cannot add a header.
	o := base
	o.Subject = "hola\r\nBcc: x@evil.test"
	o.From.Name = "Soporte\r\nX-Evil: 1"
	raw, err := o.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	m := parse(t, raw)
	if m.Get("Bcc") != "" || m.Get("X-Evil") != "" {
		t.Errorf("header injected: %q", raw)
	}
}
