// Package bots holds the chat adapters of ticketbot and the delivery of
// their outbound messages:
//
//   - bots/telegram: customers open and follow tickets in Telegram;
//   - bots/slack: agents work the queue in a Slack channel;
//   - bots/email: customers write to the support address; the mailbox is
//     read over IMAP, answers go out over SMTP;
//   - bots/delivery: turns the core's events into chat messages, once, in
//     order per chat, within the platforms' rate limits.
//
// Adapters translate platform updates into tickets.Service calls and events
// into platform messages; they hold no ticket rules, never import store or
// each other, and reach the storage they need through small interfaces of
// their own that cmd satisfies with the Redis store.
package bots
