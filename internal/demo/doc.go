// Package demo is the web page of `ticketbot demo`: one person plays both
// sides of the support desk in a browser, with no Telegram bot, no Slack app
// and nothing to install.
//
// The page has four panes:
//
//   - the customer, drawn like a Telegram chat with the bot: messages and
//     commands, inline keyboards, files, status pushes, edits in place;
//   - the agents, drawn like the Slack queue channel: ticket cards rendered
//     from their Block Kit and updated in place, buttons and menus, threads
//     with replies and internal notes, the /tickets command with its private
//     answers, and modals; two agent identities to try a claim race;
//   - the customer's mail client (when Config.Mail is set): an inbox with
//     its unread count and each mail's ticket tag, a reader, Sent, and a
//     compose form for new mails to the support address and threaded
//     replies that quote the original, as Spanish and English clients do;
//   - the queue: open tickets in order with position, priority and age, the
//     tickets being worked with their assignee, and counts per status.
//
// The page never changes a ticket itself. It drives the fake platforms of
// bots/telegram/telegramtest and bots/slack/slacktest, as a customer and as
// agents would drive Telegram and Slack, and the real adapters talk to those
// fakes over HTTP with the real client libraries. Everything the page shows
// of the customer's chat and of the channel is read back from the fakes;
// the queue pane alone reads the tickets.Service, read-only. Mail goes the
// same way: the page submits the customer's mails over SMTP to the
// in-process mail server (mailhost), where the e-mail adapter reads them
// over IMAP, and reads back what the adapter sent to the customer's INBOX.
//
// The HTTP API under /demo/api/ is small and JSON: GET endpoints return
// snapshots of a pane, POST endpoints act, and /demo/api/events is a
// Server-Sent Events stream that says which pane changed, so the page
// fetches it again. The page (HTML, CSS, JavaScript) is embedded in the
// binary and references nothing outside the server.
package demo
