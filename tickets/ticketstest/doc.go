// Package ticketstest helps test code built on the tickets core: MemStore,
// an in-memory implementation of its storage interfaces (tickets.Store,
// tickets.Queue, tickets.Profiles), and Run, the conformance suite that
// every implementation of them passes, the in-memory one and the Redis one
// (store) alike.
package ticketstest
