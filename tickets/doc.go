// Package tickets is the domain core of ticketbot: the Ticket model, the
// lifecycle of statuses, the priority policy and queue order, who may do
// what, and the Service that every chat adapter calls. It imports only the
// standard library; storage is reached through the Store, Queue and Profiles
// interfaces it declares.
//
// # Lifecycle
//
// A customer opens a ticket through a form: nature of the problem, urgency
// and a description, with attachments. Chat tickets require the current
// terms to be accepted first (policy §7). The ticket is "open": queued.
//
// An agent claims it ("claimed"), by number or with ClaimNext, which takes
// the oldest ticket of the highest priority. Two agents claiming at once
// yield exactly one owner; the other learns who holds it. The owner may
// release it back to the queue at its original arrival position, set it
// "waiting" on the customer (a customer message gives it back to "claimed"),
// and resolve it ("resolved"). The customer or an agent closes a resolved
// ticket ("closed"). A resolved or closed ticket can be reopened: it goes
// back to the queue, unowned, at its original arrival position. Every other
// transition is refused with an EINVALID *Error (see Transition).
//
// Only the owner of a claimed ticket replies to the customer, changes its
// status or priority; another agent must take it over explicitly (Claim
// with takeover). Any agent may add internal notes, which customers never
// see. A customer sees and changes only their own tickets: any other ticket
// number answers ErrNotFound, exactly as a ticket that does not exist.
//
// Can (for the transitions, Action) and Permitted (for the rest, Permission)
// answer by the rules the Service applies, so adapters offer only what will
// work; the Service checks again when it is asked. One claim rule serves
// Claim, Can and ClaimNext: the core decides a claim-next too, and the
// Store only applies it to the head of the queue (NextClaim).
//
// # E-mail
//
// ReceiveMail files a person's mail (the e-mail adapter drops robots,
// bounces and our own mails before): a mail that names no ticket opens
// one of intake e-mail, recording the terms in force as accepted by
// sending (Ticket.TermsVersion, policy §7); the customer's reply lands on
// their ticket, reopening it when it was resolved, and opens a new ticket
// once it was closed; a mail that names a ticket but is not provably its
// customer's (another address, a forged header, a failed authentication)
// becomes an internal note flagged with its sender (Message.Unverified)
// and changes nothing else.
//
// # Personal data
//
// A chat customer accepts the terms and authorizes the processing of their
// personal data under the privacy notice before their first ticket
// (Consent, AcceptTerms; Ley 1581 de 2012); a new version of either asks
// again (NeedsTerms). CustomerData shows the customer what is stored about
// them, never the agents' notes. Forget closes their tickets not yet
// closed (as ErasureActor), erases each (Erasure: only what the desk's
// statistics need stays, EventErased, ErrErased for any later change),
// runs the adapters' Erasers and deletes their profile and their own
// events.
//
// # Queue order
//
// The queue is ordered by priority band first, then arrival time (policy §2
// and §5): QueueScore. Priority comes from the Policy (nature × urgency,
// configurable, a service down is P1) and e-mail intake ranks behind chat
// intake of the same priority (policy §3). Equal scores go to the lower
// ticket number, that is, the earlier ticket.
//
// # Events
//
// Every change emits exactly one Event, written by the Store in the same
// atomic step as the change itself, so delivery (Telegram messages to the
// customer, Slack card updates) can never miss a change.
//
// # Idempotency
//
// Writes carry a request ID (WithRequestID, or a random one): a retried
// write with the same ID does nothing twice, so a redelivered update or a
// retried Redis command never opens two tickets or emits two events.
//
// # Retention
//
// A finished ticket (resolved or closed, Status.Finished) is kept whole for
// Config.Retention (DefaultRetention, two years; KeepForever disables it)
// after it last finished. Service.Sweep then deletes its personal content
// through the store (Retention.Expire) and keeps only a StatsRow in its
// month's statistics (Service.Statistics). A reopened ticket leaves the
// finished index and starts again when it finishes again; an active ticket
// is never swept.
package tickets
