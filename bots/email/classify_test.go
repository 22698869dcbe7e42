package email_test

import (
	"testing"

	"github.com/colombiainformatica/ticketbot/bots/email"
)

func TestClassify(t *testing.T) {
	ids := newIDs(t, "a secret of thirty-two bytes....")
	c := email.Classifier{IDs: ids, Addresses: []string{"soporte@colombiainformatica.com"}}
	ack := ids.MessageID(7, "ack")
	for _, tc := range []struct {
		name, headers string
		kind          email.Kind
		reason        string
	}{
		{"a person", "From: Ana <ana@example.test>\nSubject: No imprime\n", email.KindPerson, "person"},
		{"a person replying", "From: ana@example.test\nSubject: Re: No imprime [#7]\nIn-Reply-To: <" + ack + ">\nAuto-Submitted: no\n", email.KindPerson, "person"},
		{"our own mail back", "From: ana@example.test\nMessage-ID: <" + ack + ">\nSubject: Re: x\n", email.KindOwn, "own-message-id"},
		{"from our address", "From: Soporte <SOPORTE@colombiainformatica.com>\nSubject: x\n", email.KindOwn, "own-address"},
		{"x-loop", "From: ana@example.test\nX-Loop: soporte@colombiainformatica.com\n", email.KindOwn, "x-loop"},
		{"auto-replied", "From: ana@example.test\nSubject: Re: x\nAuto-Submitted: auto-replied\n", email.KindAutomated, "auto-submitted"},
		{"auto-generated with a comment", "From: ana@example.test\nAuto-Submitted: auto-generated; owner-email=\"x@y\"\n", email.KindAutomated, "auto-submitted"},
		{"gmail vacation", "From: ana@example.test\nSubject: Vacaciones\nAuto-Submitted: auto-replied\nPrecedence: bulk\n", email.KindAutomated, "auto-submitted"},
		{"exchange out of office", "From: ana@example.test\nSubject: Respuesta automática: No imprime\nX-Auto-Response-Suppress: All\nX-MS-Exchange-Inbox-Rules-Loop: ana@example.test\n", email.KindAutomated, "x-auto-response-suppress"},
		{"exchange generated", "From: ana@example.test\nSubject: x\nX-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent\n", email.KindAutomated, "autoreply-header"},
		{"precedence bulk", "From: news@example.test\nPrecedence: bulk\n", email.KindAutomated, "precedence"},
		{"precedence junk", "From: x@example.test\nPrecedence: junk\n", email.KindAutomated, "precedence"},
		{"precedence list", "From: x@example.test\nPrecedence: list\n", email.KindAutomated, "precedence"},
		{"list-id", "From: x@example.test\nList-Id: <users.lists.example.test>\n", email.KindAutomated, "list"},
		{"list-unsubscribe", "From: x@example.test\nList-Unsubscribe: <mailto:unsub@example.test>\n", email.KindAutomated, "list"},
		{"null return path", "Return-Path: <>\nFrom: x@example.test\nSubject: x\n", email.KindAutomated, "null-return-path"},
		{"x-autoreply", "From: x@example.test\nX-Autoreply: yes\n", email.KindAutomated, "autoreply-header"},
		{"x-autorespond", "From: x@example.test\nX-Autorespond: 1\n", email.KindAutomated, "autoreply-header"},
		{"subject automatic reply", "From: x@example.test\nSubject: Automatic reply: Printer [#7]\n", email.KindAutomated, "out-of-office-subject"},
		{"subject respuesta automática", "From: x@example.test\nSubject: =?UTF-8?Q?Respuesta_autom=C3=A1tica=3A_Impresora?=\n", email.KindAutomated, "out-of-office-subject"},
		{"subject fuera de la oficina", "From: x@example.test\nSubject: Fuera de la oficina hasta el lunes\n", email.KindAutomated, "out-of-office-subject"},
		{"subject out of office", "From: x@example.test\nSubject: Out of Office: back Monday\n", email.KindAutomated, "out-of-office-subject"},
		{"mailer daemon", "Return-Path: <>\nFrom: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.test>\nSubject: Undelivered Mail Returned to Sender\n", email.KindBounce, "mailer-daemon"},
		{"undeliverable with null path", "Return-Path: <>\nFrom: Microsoft Outlook <postmaster@outlook.test>\nSubject: Undeliverable: Printer\n", email.KindBounce, "mailer-daemon"},
		{"no-reply sender", "From: no-reply@service.example.test\nSubject: Your invoice\n", email.KindAutomated, "no-reply-sender"},
		{"a person named noreplyton", "From: noreplyton.perez@example.test\nSubject: hola\n", email.KindPerson, "person"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := parse(t, crlf(tc.headers+"\nbody\n"))
			got := c.Classify(m)
			if got.Kind != tc.kind || got.Reason != tc.reason {
				t.Errorf("Classify = %v/%s; want %v/%s", got.Kind, got.Reason, tc.kind, tc.reason)
			}
		})
	}
}

func TestClassifyWithoutIDs(t *testing.T) {
	m := parse(t, crlf("From: ana@example.test\nSubject: hola\n\nx\n"))
	if got := (email.Classifier{}).Classify(m); got.Kind != email.KindPerson {
		t.Errorf("zero Classifier: %v", got)
	}
	if email.Kind(0).String() != "invalid" || email.KindBounce.String() != "bounce" {
		t.Error("Kind.String")
	}
}
