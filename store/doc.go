// Package store keeps everything ticketbot remembers in Redis, through
// go-redis's UniversalClient (a single node, Sentinel or Cluster). It
// implements the interfaces its users declare, in their words, and
// decides nothing about tickets:
//
//   - Store: tickets.Store, tickets.Queue, tickets.Profiles and
//     tickets.Retention (the ticket records in record.go, the queue, the
//     indexes, the events stream; the finished index, the sweep's
//     expire.lua and the monthly statistics in retention.go and stats.go);
//   - Delivery: delivery.Queue (lanes, rate buckets, dead letters);
//   - Inbound: inbound.Marks (the marks of inbound items, inbound dead
//     letters);
//   - Leases: lease.Store;
//   - Telegram and Slack: the chat adapters' storage (albums, form values,
//     flood counts; card and thread records).
//
// Every key name is built in keys.go, where the layout is documented with
// each key's Redis type. Every change that needs atomicity is one Lua
// script, a .lua file named after what it serves, with a header listing
// its KEYS, ARGV and replies, embedded and loaded once; a change and its
// event are written by the same script. Go encodes every record; scripts
// check versions and states and move records, they do not build them.
// All keys of a desk share its hash tag, so the scripts run on Redis
// Cluster (a desk's slot must not be resharded while ticketbot writes).
package store
