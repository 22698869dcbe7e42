// Package slack is the agents' side of ticketbot: a Slack app through which
// support agents see the queue, claim tickets and talk to customers.
//
// Inbound, agents' actions arrive as Events API messages, interactivity
// payloads (card buttons, the priority menu, the reply modal) and the
// /tickets slash command, over HTTP (Routes, every request's v0 signature
// and timestamp verified over the raw, size-capped body) or over Socket
// Mode (Run, when an app token is configured). Each is worked before its
// ack, within 2.5 seconds (Slack waits 3): a slash command is answered in
// the ack; a failed event is answered 5xx, so that Slack delivers it again,
// and its work is idempotent (the Service calls carry a request id derived
// from the event_id; the event is marked done only once its work is
// stored); a failed interaction is answered 5xx too. Whoever acted is told
// privately, after the ack, when their action was refused or failed, and
// when their thread message has not reached the customer. Only agents act: the members of the configured user groups
// and the listed users, authorized by the user id of the signed payload.
// Anyone else is told privately and nothing changes.
//
// Outbound, the Bot is a delivery.Channel: every event of the core becomes
// a card in the queue channel (posted on open, updated in place after) and
// thread messages (customer messages, replies sent from the modal or a
// command, a delivered mark, an unreachable warning). A card message
// renders the ticket as it is when sent, so coalesced updates stay within
// chat.update's budget.
//
// In a card's thread an agent's message is a reply to the customer, unless
// it starts with the note marker "!note", which keeps it an internal note.
//
// # Files
//
// Files cross between the chats through two small interfaces. A customer's
// attachments (held by their chat platform) are copied into the card's
// thread after the message that carries them, each as a delivery message
// of its own: Files.OpenFile (the Telegram adapter) reads the file, and
// slack-go's UploadFileContext uploads it (files.getUploadURLExternal, the
// bytes to the upload URL, files.completeUploadExternal with channel_id and
// thread_ts). A file that can never be copied (over the 20 MB Telegram
// lets bots download, gone, refused) is named in the thread with the
// reason; the message's text is never held by its files. Transient
// failures are returned for delivery to retry. The other way, files an
// agent shares in a thread become the attachments of their reply or note
// (Source "slack"), and OpenFile lets the Telegram adapter read them from
// their private URL with the bot token. An agent who shares a file larger
// than the customer's chat accepts (Config.MaxCustomerFile) is told
// privately that the customer gets its name only.
//
// Each copy is recorded (slack:file:…) once files.completeUploadExternal
// answered, so a redelivered or retried message never uploads a copied
// file again. The window that remains: when completeUploadExternal shared
// the file but its answer was lost (a timeout, a dropped connection, a 5xx
// after the fact), or the process died before the record, the retry
// uploads and posts the file a second time. Slack offers no idempotency
// key for uploads, so at most one extra copy per file and failure can
// appear. A retry after a failure before completion (the upload URL, a
// refused completion) posts nothing twice: the unfinished upload is
// discarded by Slack.
//
// State kept through the State interface (values, no expiry unless noted):
//
//	slack:card:<n>             "<channel> <ts>" of ticket n's card
//	slack:thread:<channel>:<ts> ticket number of the card at ts
//	slack:post:<n>:<id>        ts of the app's post of conversation entry id (0: the long description)
//	slack:ev:<event_id>        "done": the event's work is stored (24 hours)
//	slack:file:<n>:<id>:<i>    "done": attachment i of entry id copied into the thread, or named there
//
// Customer text is escaped for mrkdwn everywhere (see escape): it can never
// mention, link or format.
package slack
