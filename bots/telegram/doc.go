// Package telegram is the Telegram adapter of ticketbot: customers open and
// follow their tickets in a private chat with the bot.
//
// # Inbound
//
// HandleUpdate is the one entry point for updates; Run feeds it from its own
// getUpdates loop (long polling, the default) and Routes from the webhook
// (POST /telegram/webhook, X-Telegram-Bot-Api-Secret-Token checked in
// constant time, body capped, 200 only once the update is handled).
//
// An update is confirmed to Telegram (the offset moves past it) only after
// what it caused is stored, and each update_id is handled once, through the
// inbound Processor (bots/inbound): its mark is busy while the update is
// handled (kept alive by a heartbeat, so a crash frees it within seconds)
// and done after, so a duplicate is skipped. Handling again is harmless:
// Service writes carry tickets.WithRequestID("tg:u<update_id>"), outbound
// messages carry IDs derived from the update, form values are rewritten to
// the same value. Polling handles a batch's chats in parallel and each
// chat's updates in update_id order; a malformed update is logged and
// skipped; an update that keeps failing is, after MaxAttempts tries (in
// polling and webhook mode alike), kept as an inbound dead letter, logged,
// and its customer asked to send it again. Only the holder of the
// "telegram-poller" lease polls (internal/lease: 3 s, renewed, released on
// stop).
//
// What the bot remembers lives in the store, behind Storage (storage.go),
// in domain words: the polling offset, form values (drafts, a rating's
// pending comment, a message waiting for its ticket), which ticket a bot
// message is about, flood counts and buffered albums.
//
// The conversation: /start (greeting, the policy in two lines, the terms
// with an accept button recording TERMS_VERSION), /new (a form with inline
// buttons: nature, urgency, then a description; photos, documents and voice
// notes sent meanwhile are attached as file references; the draft lives in
// Storage), /tickets, /status N, /cancel, /help, /language. Later text and
// media go to the customer's active ticket, to the ticket of the bot
// message they reply to, or, with several active, to the one they choose
// with a button. An album (one media_group_id) is buffered in Storage, part by
// part, and becomes one message of the ticket, flushed after AlbumWait or,
// so that order is kept, before the chat's next message is handled; a
// part that arrives after its album was flushed becomes a message of its
// own (see album.go). A customer sending more than
// FloodLimit updates a minute is told to wait, once per minute; what was
// handled before is kept.
//
// Buttons carry "act:arg:tag" where tag is an HMAC (keyed from the bot
// token) over the user it was made for, act and arg; forged or replayed
// data is answered as expired and changes nothing, and every action is
// authorized by the Service against callback_query.from.id.
//
// # Outbound
//
// Bot implements delivery.Channel: Plan turns the events that concern the
// customer (claimed, released, waiting, resumed, resolved, closed,
// reopened, priority changes and agent replies with their attachments;
// never notes) into messages naming the ticket (and the agent, or
// Config.AgentName for every agent when set), and Send sends them, mapping
// Telegram's answers to delivery's errors (blocked or deleted chats are
// permanent, 429 waits for retry_after, 5xx and network errors are
// transient). Sent marks agent replies delivered; Failed flags the ticket
// unreachable when the customer blocked the bot. Everything the bot says,
// including its answers to the customer's own actions, goes through the
// Outbox, in the chat's lane, so that ordering per chat and rate limits
// hold (sends are paced, edits are not: each form step is answered by one
// edit of the form's message); only
// answerCallbackQuery, setMyCommands, getUpdates and setWebhook are called
// directly.
//
// Files: an agent reply's attachments that Telegram holds are sent by
// file_id; those another platform holds (Source "slack") are read through
// Files.OpenFile (the Slack adapter) and uploaded by multipart, an image up
// to 10 MB as a photo, anything else as a document. A file over the 50 MB
// bots may upload is announced to the customer by name instead, and one
// that can never be sent (gone, refused) is replaced by a text naming it,
// so the reply still completes. The other way, OpenFile reads a customer's
// file for the Slack adapter: getFile, then the file URL; Telegram hands
// bots files up to 20 MB, a larger one is a permanent failure.
//
// Texts are in texts.go, in Spanish and English, as HTML with every
// user-supplied string escaped; long texts are split at line or word
// boundaries below 4096 UTF-16 units, never cut. The bot token never
// appears in errors or logs: errors of the client library are rewritten
// with the token replaced by "<token>", and the library's logger is a
// redacting bridge to zerolog.
package telegram
