package demo

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// queueLimit is how many queued tickets the pane lists.
const queueLimit = 50

// queueTicket is one row of the queue pane.
type queueTicket struct {
	Number   int64     `json:"number"`
	Position int64     `json:"position,omitempty"` // 0 when not queued
	Priority string    `json:"priority"`
	Status   string    `json:"status"`
	Subject  string    `json:"subject"`
	Nature   string    `json:"nature"`
	Customer string    `json:"customer"`
	Assignee string    `json:"assignee,omitempty"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
}

// queueSnapshot is the queue pane.
type queueSnapshot struct {
	Enabled bool           `json:"enabled"`
	Now     time.Time      `json:"now"`
	Length  int64          `json:"length"`
	Queue   []queueTicket  `json:"queue"`
	Working []queueTicket  `json:"working"` // claimed and waiting, by agent
	Counts  map[string]int `json:"counts"`  // by status
	ByPrio  map[string]int `json:"byPriority"`
	Error   string         `json:"error,omitempty"`
}

func row(t tickets.Ticket, pos int64) queueTicket {
	return queueTicket{
		Number: t.Number, Position: pos, Priority: t.Priority.String(), Status: t.Status.String(),
		Subject: t.Subject, Nature: string(t.Nature), Customer: t.Customer.Name, Assignee: t.Assignee.Name,
		Created: t.CreatedAt, Updated: t.UpdatedAt,
	}
}

// queue reads the pane from the Service, as the demo's first agent. The
// queue and its lengths are exact; the counts of the other statuses cover
// the demo's agents and customer (in Telegram and by e-mail), who are
// everyone in the demo (the Service has no count by status).
func (s *Server) queue(ctx context.Context) (queueSnapshot, error) {
	snap := queueSnapshot{Enabled: true, Now: time.Now(), Queue: []queueTicket{}, Working: []queueTicket{},
		Counts: map[string]int{}, ByPrio: map[string]int{}}
	for _, st := range []tickets.Status{tickets.StatusOpen, tickets.StatusClaimed, tickets.StatusWaiting, tickets.StatusResolved, tickets.StatusClosed} {
		snap.Counts[st.String()] = 0
	}
	a := s.agents[0]
	actor := tickets.AgentActor(tickets.Agent{ID: a.ID, Name: a.Name})
	entries, total, err := s.svc.QueuePage(ctx, actor, 0, queueLimit)
	if err != nil {
		return snap, err
	}
	snap.Length = total
	snap.Counts[tickets.StatusOpen.String()] = int(total)
	for _, e := range entries {
		snap.Queue = append(snap.Queue, row(e.Ticket, e.Position))
	}
	lengths, err := s.svc.QueueLengths(ctx)
	if err != nil {
		return snap, err
	}
	for p, n := range lengths {
		snap.ByPrio[p.String()] = int(n)
	}

	seen := map[int64]bool{}
	for _, ag := range s.agents {
		ts, err := s.svc.AgentTickets(ctx, actor, ag.ID, 0, 100)
		if err != nil {
			return snap, err
		}
		for _, t := range ts {
			if seen[t.Number] {
				continue
			}
			seen[t.Number] = true
			if t.Status == tickets.StatusClaimed || t.Status == tickets.StatusWaiting {
				snap.Working = append(snap.Working, row(t, 0))
			}
			if t.Status != tickets.StatusOpen {
				snap.Counts[t.Status.String()]++
			}
		}
	}
	customers := []tickets.Customer{{Platform: "telegram", UserID: strconv.FormatInt(s.customerInfo().ID, 10)}}
	if s.mail != nil {
		customers = append(customers, tickets.Customer{Platform: "email", UserID: s.mail.Customer.Address})
	}
	var ts []tickets.Ticket
	for _, c := range customers {
		page, err := s.svc.CustomerTickets(ctx, actor, c.Key(), 0, 100)
		if err != nil {
			return snap, err
		}
		ts = append(ts, page...)
	}
	for _, t := range ts {
		if seen[t.Number] || t.Status == tickets.StatusOpen {
			continue
		}
		seen[t.Number] = true
		if t.Status == tickets.StatusClaimed || t.Status == tickets.StatusWaiting {
			snap.Working = append(snap.Working, row(t, 0))
		}
		snap.Counts[t.Status.String()]++
	}
	slices.SortFunc(snap.Working, func(a, b queueTicket) int { return int(a.Number - b.Number) })
	return snap, nil
}

func (s *Server) handleQueue(w http.ResponseWriter, r *http.Request) {
	if s.svc == nil {
		writeJSON(w, http.StatusOK, queueSnapshot{})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	snap, err := s.queue(ctx)
	if err != nil {
		s.log.Warn().Err(err).Msg("reading the queue failed")
		snap.Error = tickets.ErrorMessage(err)
	}
	writeJSON(w, http.StatusOK, snap)
}
