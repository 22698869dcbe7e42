package email

import (
	"bytes"
	"io"
	"net/textproto"
	"strings"
	"time"
)

// Mail is a parsed message: what the intake needs to open or follow a
// ticket. Texts are UTF-8 whatever the message's charsets were.
type Mail struct {
	From    Address
	ReplyTo []Address
	To, Cc  []Address
	// Subject is decoded (RFC 2047 encoded words in any charset) and on one
	// line.
	Subject string
	// MessageID is the Message-ID without angle brackets; empty when the
	// header is missing or empty (such a mail never matches a thread).
	MessageID string
	// InReplyTo and References list message IDs without angle brackets, in
	// header order (References: oldest first).
	InReplyTo  []string
	References []string
	// Date is the Date header; zero when missing or unreadable.
	Date time.Time
	// Language is the first tag of Content-Language, lower-cased ("es",
	// "en-us"); empty when missing.
	Language string
	// Header holds the top-level header fields as received (not decoded),
	// for the robot and loop checks and for agents.
	Header textproto.MIMEHeader

	// Text is the body as text: the text/plain part, or the HTML part
	// turned into readable text when there is no text/plain one
	// (TextFromHTML). It still holds quoted history; see NewText.
	Text         string
	TextFromHTML bool
	// HTML is the text/html body, if any.
	HTML string

	// Attachments are the files of the mail: attachments, inline parts
	// (cid: images), attached messages (.eml) and undecodable parts such as
	// winmail.dat, in the order they appear.
	Attachments []Attachment

	// Report is the delivery status report of a bounce (multipart/report;
	// report-type=delivery-status); nil for other mails.
	Report *Report

	// Size is the raw message's size in bytes.
	Size int
	// Problems lists what the parser had to work around (a missing
	// boundary, an unknown charset, malformed base64), for the logs.
	Problems []string
}

// Address is a mailbox: a display name and an address.
type Address struct {
	Name string
	// Address is lower-cased.
	Address string
}

// String returns the address as a header would show it, with the name
// quoted when it needs to be and encoded when it is not ASCII.
func (a Address) String() string {
	return headerAddress(a)
}

// Attachment is a file of a mail.
type Attachment struct {
	// Name is a file name safe to show and store: no directories, no
	// control characters; made up from the type when the mail gave none.
	Name string
	// ContentType is the part's media type, lower-cased ("image/png",
	// "message/rfc822", "application/ms-tnef").
	ContentType string
	// ContentID is the Content-ID without angle brackets, for cid: links.
	ContentID string
	// Inline is true for parts shown within the body (cid: images).
	Inline bool
	// Size is the decoded size in bytes.
	Size int64
	// Content is the decoded content.
	Content []byte
}

// Open returns a reader of the attachment's content.
func (a Attachment) Open() io.Reader { return bytes.NewReader(a.Content) }

// Get returns the first value of the top-level header field name, with
// surrounding space removed.
func (m *Mail) Get(name string) string {
	return strings.TrimSpace(m.Header.Get(name))
}

// Thread returns the fields a reply to m carries: In-Reply-To (m's
// Message-ID) and References (m's References and Message-ID, at most ten:
// the first and the last nine, as RFC 5322 suggests trimming). Both are
// empty for a mail without a Message-ID, except References that m had.
func (m *Mail) Thread() (inReplyTo string, references []string) {
	refs := append([]string(nil), m.References...)
	if len(refs) == 0 && len(m.InReplyTo) == 1 {
		refs = append(refs, m.InReplyTo[0])
	}
	if m.MessageID != "" {
		refs = append(refs, m.MessageID)
		inReplyTo = m.MessageID
	}
	if len(refs) > 10 {
		refs = append(refs[:1], refs[len(refs)-9:]...)
	}
	return inReplyTo, refs
}
