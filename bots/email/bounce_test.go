package email_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/colombiainformatica/ticketbot/bots/email"
)

const permanentDSN = `Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@mx.colombiainformatica.com>
To: soporte@colombiainformatica.com
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="R"

--R
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.colombiainformatica.com.
I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

--R
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.colombiainformatica.com
X-Postfix-Queue-ID: 4ABC
Arrival-Date: Mon, 30 Nov 2026 10:12:00 -0500 (COT)

Final-Recipient: rfc822; ANA@example.test
Original-Recipient: rfc822;ana@example.test
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.test
Diagnostic-Code: smtp; 550 5.1.1 <ana@example.test>: Recipient address
    rejected: User unknown in virtual mailbox table

--R
Content-Description: Undelivered Message
Content-Type: message/rfc822

From: Soporte <soporte@colombiainformatica.com>
To: ana@example.test
Subject: Re: Impresora [#1234]
Message-ID: <t1234.ack.aaaaaaaaaaaaaaaaaaaa@colombiainformatica.com>

Hola Ana.
--R--
`

const delayDSN = `Return-Path: <>
From: postmaster@mx.colombiainformatica.com
Subject: Delayed Mail (still being retried)
Content-Type: multipart/report; report-type=delivery-status; boundary="R"

--R
Content-Type: text/plain

Still trying.
--R
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.colombiainformatica.com

Final-Recipient: rfc822; ana@example.test
Action: delayed
Status: 4.4.7
Diagnostic-Code: smtp; 451 4.4.7 try again later
Will-Retry-Until: Fri, 4 Dec 2026 10:12:00 -0500

--R
Content-Type: text/rfc822-headers

From: soporte@colombiainformatica.com
Message-ID: <t99.r2.bbbbbbbbbbbbbbbbbbbb@colombiainformatica.com>
Subject: Re: x

--R--
`

// An Exchange-style report: no Status field, only the diagnostic, and two
// recipients of which the second failed.
const exchangeDSN = `From: Microsoft Outlook <postmaster@outlook.test>
Subject: Undeliverable: Re: Impresora
Content-Type: multipart/report; report-type=delivery-status; boundary="E"

--E
Content-Type: multipart/alternative; boundary="A"

--A
Content-Type: text/plain

Delivery has failed.
--A
Content-Type: text/html

<p>Delivery has failed.</p>
--A--
--E
Content-Type: message/delivery-status

Reporting-MTA: dns;outlook.test

Final-Recipient: rfc822;ok@example.test
Action: delivered

Final-Recipient: rfc822;gone@example.test
Action: failed
Diagnostic-Code: smtp;550 Requested action not taken: mailbox unavailable
--E--
`

func TestBounceReports(t *testing.T) {
	c := email.Classifier{Addresses: []string{"soporte@colombiainformatica.com"}}
	for _, tc := range []struct {
		name, raw string
		want      email.Report
	}{
		{"permanent", permanentDSN, email.Report{
			Permanent: true, Recipient: "ana@example.test", Status: "5.1.1",
			Diagnostic:        "smtp; 550 5.1.1 <ana@example.test>: Recipient address rejected: User unknown in virtual mailbox table",
			OriginalMessageID: "t1234.ack.aaaaaaaaaaaaaaaaaaaa@colombiainformatica.com",
			Recipients: []email.RecipientStatus{{Recipient: "ana@example.test", Action: "failed", Status: "5.1.1",
				Diagnostic: "smtp; 550 5.1.1 <ana@example.test>: Recipient address rejected: User unknown in virtual mailbox table"}},
		}},
		{"delay", delayDSN, email.Report{
			Permanent: false, Recipient: "ana@example.test", Status: "4.4.7",
			Diagnostic: "smtp; 451 4.4.7 try again later", OriginalMessageID: "t99.r2.bbbbbbbbbbbbbbbbbbbb@colombiainformatica.com",
			Recipients: []email.RecipientStatus{{Recipient: "ana@example.test", Action: "delayed", Status: "4.4.7", Diagnostic: "smtp; 451 4.4.7 try again later"}},
		}},
		{"exchange", exchangeDSN, email.Report{
			Permanent: true, Recipient: "gone@example.test", Status: "5.0.0",
			Diagnostic: "smtp;550 Requested action not taken: mailbox unavailable",
			Recipients: []email.RecipientStatus{
				{Recipient: "ok@example.test", Action: "delivered"},
				{Recipient: "gone@example.test", Action: "failed", Status: "5.0.0", Diagnostic: "smtp;550 Requested action not taken: mailbox unavailable"},
			},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := parse(t, crlf(tc.raw))
			if m.Report == nil {
				t.Fatal("no Report")
			}
			if diff := cmp.Diff(tc.want, *m.Report); diff != "" {
				t.Errorf("Report (-want +got):\n%s", diff)
			}
			if got := c.Classify(m); got.Kind != email.KindBounce {
				t.Errorf("Classify = %v; want bounce", got)
			}
		})
	}
}

func TestBounceLeadsToTicket(t *testing.T) {
	ids := newIDs(t, "a secret of thirty-two bytes....")
	ours := ids.MessageID(1234, "ack")
	raw := strings.ReplaceAll(permanentDSN, "t1234.ack.aaaaaaaaaaaaaaaaaaaa@colombiainformatica.com", ours)
	m := parse(t, crlf(raw))
	if n, ok := ids.Verify(m.Report.OriginalMessageID); !ok || n != 1234 {
		t.Errorf("the bounced mail's ID leads to %d, %v; want 1234", n, ok)
	}
	if !m.Report.Permanent {
		t.Error("a 5.1.1 bounce is not permanent")
	}
}

func TestNoReportOnOrdinaryMail(t *testing.T) {
	m := parse(t, crlf("From: a@example.test\nContent-Type: multipart/report; report-type=disposition-notification; boundary=B\n\n--B\nContent-Type: text/plain\n\nread\n--B--\n"))
	if m.Report != nil {
		t.Errorf("a read receipt has a delivery Report: %+v", m.Report)
	}
}
