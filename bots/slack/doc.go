// Package slack is the agents' side of ticketbot: a Slack app through which
// support agents see the queue, claim tickets and talk to customers.
//
// Inbound, agents' actions arrive as Events API messages, interactivity
// payloads (card buttons, the priority menu, the reply modal) and the
// /tickets slash command, over HTTP (Routes, every request's v0 signature
// and timestamp verified over the raw, size-capped body) or over Socket
// Mode (Run, when an app token is configured). Each is acknowledged at once
// and worked after the ack with its own timeout; events are processed once
// per event_id. Only agents act: the members of the configured user groups
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
// State kept through the State interface (values, no expiry unless noted):
//
//	slack:card:<n>             "<channel> <ts>" of ticket n's card
//	slack:thread:<channel>:<ts> ticket number of the card at ts
//	slack:post:<n>:<id>        ts of the app's post of conversation entry id (0: the long description)
//	seen slack-event:<id>      an event_id already taken (24 hours)
//
// Customer text is escaped for mrkdwn everywhere (see escape): it can never
// mention, link or format.
package slack
