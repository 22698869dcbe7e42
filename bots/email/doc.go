// Package email is ticketbot's e-mail channel: reading mail, telling
// people from robots, threading, writing and sending mail, watching the
// support mailbox, and the Bot that joins them to the core. It imports the
// tickets, delivery, inbound and lease packages of ticketbot (never store
// or the other adapters); cmd wires it to the store and delivery.
//
// # The Bot
//
// Bot (bot.go) runs one Intake per watched folder, each under a lease
// (IntakeLease), and hands every mail to the inbound Processor under an
// id of its sender and Message-ID (ItemID; its content when it has none),
// so that IDLE and the poll, two folders, a UIDVALIDITY change or a crash
// between the ticket and the mail's record never file a mail twice; the
// Service calls carry a request id derived from it (receive.go). Robots'
// mail and our own do nothing; a permanent bounce marks the customer
// unreachable; a person's mail goes to tickets.Service.ReceiveMail, which
// decides (open, follow, reopen, a new ticket after close, or a note
// flagged as an unverified sender's). Files stay in the mailbox: an
// attachment's FileID says where (FileID), and FileSource fetches the mail
// again when another platform copies the file. Outbound (outbound.go), the
// Bot is a delivery.Channel: the acknowledgement, one mail per status
// change and the agents' replies, threaded to the customer's mails, in
// their language (texts.go), never with an ETA.
//
// # Reading mail
//
// Parse (parse.go, on jhillyerd/enmime) turns a raw RFC 5322 mail into a
// Mail: sender and recipients (addresses lower-cased), the subject with
// encoded words decoded from any charset, Message-ID, In-Reply-To,
// References, Date, Content-Language, the header as received, the body as
// text (text/plain, or the HTML turned into readable text) and as HTML,
// and the files: attachments (RFC 2231 and encoded-word names, unsafe
// characters removed), inline cid: images, attached mails (.eml) and
// winmail.dat, each with its type, size and content. Wrong or missing
// charsets are worked around (bytes that are not UTF-8 are read as
// Windows-1252) and noted in Mail.Problems. Parser caps the size (a larger
// mail is refused before parsing with a *TooLargeError) and the number of
// MIME parts; anything else either parses or returns an error matching
// ErrUnreadable, never a panic.
//
// Mail.NewText (quote.go) is what the sender wrote: StripQuotes cuts the
// quoted history of Spanish and English clients ("El … escribió:", "On …
// wrote:", Outlook's "De:/Enviado:/Para:/Asunto:" and "From:/Sent:/To:/
// Subject:" blocks, "-----Mensaje original-----", "> " lines) and the
// signature; StripHTMLQuotes removes Gmail's, Apple Mail's, Thunderbird's
// and Outlook's HTML quote blocks first. The caller keeps the whole mail for
// agents.
//
// # Robots, loops and bounces
//
// Classifier.Classify (classify.go) sorts a mail into KindPerson,
// KindAutomated (RFC 3834 Auto-Submitted, X-Auto-Response-Suppress,
// Precedence, list headers, the null Return-Path, Exchange's and others'
// auto-reply headers, out-of-office subjects), KindBounce or KindOwn (our
// own Message-ID or address: a loop). Only a person's mail may open,
// follow or reopen a ticket or get an answer. A bounce's Mail.Report
// (bounce.go) is its RFC 3464 delivery status: permanent (5.x.x) or a
// delay (4.x.x), the failed recipient, the diagnostic and the bounced
// mail's Message-ID, which leads to the ticket.
//
// # Threading
//
// IDs (msgid.go) makes the Message-IDs of our mails, "t1234.ack.<tag>@
// domain", where the tag is an HMAC-SHA256 of the rest under a secret;
// IDs.Thread finds the ticket from a reply's In-Reply-To and References
// only when the tag checks, so a forged or guessed header leads nowhere.
// SubjectTicket reads a "[#1234]" subject tag, which anyone can write: the
// caller trusts it only from the ticket's customer. ReplySubject and
// Mail.Thread give a reply its subject and threading fields.
//
// # Writing and sending
//
// Outgoing (compose.go, on emersion/go-message) writes a threaded mail:
// From the support address, our Message-ID, In-Reply-To and References,
// Auto-Submitted for acknowledgements and notifications, Content-Language,
// UTF-8 text with an optional HTML alternative, and attachments.
// Sender (smtp.go, on emersion/go-smtp) submits it over STARTTLS, implicit
// TLS or (tests only) plain, logging in with a password (PLAIN or LOGIN)
// or XOAUTH2 with a refreshing token source (oauth.go, golang.org/x/oauth2).
// Its errors are those delivery.Channel.Send returns: a 5xx answer to the
// mail is permanent with the code in the reason ("smtp_550_5.1.1"); 4xx
// answers, refused logins, network and TLS failures and timeouts are
// transient.
//
// # The mailbox
//
// Intake (imap.go, on emersion/go-imap v1) watches one IMAP folder:
// it logs in (password or XOAUTH2), examines the folder read-only, reads
// UIDVALIDITY, and for each mail after its Cursor fetches the envelope,
// size and arrival time first and the body after (peeking: \Seen is never
// set; nothing is deleted or moved); a mail over the size cap is not
// downloaded and reaches the handler as TooLarge with its header. Mails
// reach the Handler one at a time in UID order; the Cursor (UIDVALIDITY,
// last UID, its arrival time) advances through the Cursors interface only
// after the handler returned nil, so a handler error or a crash offers the
// mail again: the handler must be idempotent (deduplicate by Message-ID).
// IDLE wakes the intake when mail arrives, where the server offers it, and
// a poll every PollInterval reads the folder anyway; a dropped connection
// is reconnected with capped exponential backoff. A UIDVALIDITY change
// starts again from the mails that arrived after the last one handled,
// flagged Resync. The intake does not decide which replica runs it: the
// caller runs it under a lease.
package email
