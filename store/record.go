package store

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// record is a ticket as stored: compact JSON keys keep a queued ticket well
// under 1 KiB of Redis memory. This is the one place that says what a
// record holds; the scripts only check "v" (the version) and "st" (the
// status) and copy "p" (the priority) into claim events. The number is the
// key's ("t:<n>"), not the record's: records written before carry it as
// "n", which is ignored. claim_next.lua merges a claimPatch into a record
// with cjson, so every slice is omitempty (cjson turns an empty array into
// {}).
type record struct {
	N  int64                `json:"n,omitempty"` // records of earlier versions only
	V  int64                `json:"v"`
	CP string               `json:"cp"`
	CU string               `json:"cu"`
	CC string               `json:"cc,omitempty"` // omitted when equal to CU
	CN string               `json:"cn,omitempty"`
	CL string               `json:"cl,omitempty"`
	In string               `json:"in,omitempty"` // omitted for chat
	Na string               `json:"na"`
	U  int                  `json:"u"`
	P  int                  `json:"p"`
	S  string               `json:"s,omitempty"` // omitted when derived from D
	D  string               `json:"d"`
	At []tickets.Attachment `json:"at,omitempty"`
	St int                  `json:"st"`
	A  string               `json:"a,omitempty"`
	AN string               `json:"an,omitempty"`
	C  int64                `json:"c"`
	Up int64                `json:"up,omitempty"` // omitted when equal to C
	M  int64                `json:"m,omitempty"`
	R  int                  `json:"r,omitempty"`
	RC string               `json:"rc,omitempty"`
	RA int64                `json:"ra,omitempty"`
	X  string               `json:"x,omitempty"`
	DL int64                `json:"dl,omitempty"`
	// OQ is the request id that opened the ticket (Ticket.OpenRequest):
	// create.lua finds a repeated Create by it (openRequestNeedle).
	OQ string `json:"oq,omitempty"`
	// TV is the terms version the ticket was opened under.
	TV string `json:"tv,omitempty"`
	RF string `json:"rf,omitempty"` // Ticket.Ref
	// ER is when the ticket's personal data was erased (Ticket.Erased);
	// erase.lua refuses to erase a record that has it.
	ER int64 `json:"er,omitempty"`
}

// claimPatch is what claim_next.lua sets in the record of the ticket it
// takes: the claim the core decided (tickets.NextClaim). Its fields are
// fields of record, under the same names (a test checks).
type claimPatch struct {
	St int    `json:"st"`
	A  string `json:"a"`
	AN string `json:"an,omitempty"`
	Up int64  `json:"up"`
}

func encodeClaimPatch(c tickets.NextClaim) ([]byte, error) {
	return json.Marshal(claimPatch{St: int(c.To), A: c.Agent.ID, AN: c.Agent.Name, Up: ms(c.At)})
}

// openRequestNeedle is how the request id that opened a ticket reads in
// its record, for create.lua to find a repeated Create.
func openRequestNeedle(requestID string) string {
	b, _ := json.Marshal(record{OQ: requestID})
	_, needle, _ := strings.Cut(string(b), `,"oq":`)
	return `"oq":` + strings.TrimSuffix(needle, "}")
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// encodeTicket encodes t's record; its number is the key's.
func encodeTicket(t tickets.Ticket) ([]byte, error) {
	r := record{
		V:  t.Version,
		CP: t.Customer.Platform, CU: t.Customer.UserID, CN: t.Customer.Name, CL: t.Customer.Language,
		In: string(t.Intake), Na: string(t.Nature), U: int(t.Urgency), P: int(t.Priority),
		S: t.Subject, D: t.Description, At: t.Attachments,
		St: int(t.Status), A: t.Assignee.ID, AN: t.Assignee.Name,
		C: ms(t.CreatedAt), Up: ms(t.UpdatedAt), M: t.Messages,
		R: t.Rating.Stars, RC: t.Rating.Comment, RA: ms(t.Rating.At),
		X: t.Unreachable, DL: t.Delivered, OQ: t.OpenRequest, TV: t.TermsVersion, RF: t.Ref,
		ER: ms(t.Erased),
	}
	if r.In == string(tickets.IntakeChat) {
		r.In = ""
	}
	if r.S == tickets.DerivedSubject(r.D) {
		r.S = ""
	}
	if r.Up == r.C {
		r.Up = 0
	}
	if t.Customer.ChatID != t.Customer.UserID {
		r.CC = t.Customer.ChatID
	}
	return json.Marshal(r)
}

// decodeTicket decodes the record of ticket number.
func decodeTicket(number int64, b []byte) (tickets.Ticket, error) {
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return tickets.Ticket{}, fmt.Errorf("decode ticket %d: %w", number, err)
	}
	r.N = number
	chat := r.CC
	if chat == "" {
		chat = r.CU
	}
	if r.In == "" {
		r.In = string(tickets.IntakeChat)
	}
	if r.S == "" {
		r.S = tickets.DerivedSubject(r.D)
	}
	if r.Up == 0 {
		r.Up = r.C
	}
	return tickets.Ticket{
		Number: r.N, Version: r.V,
		Customer: tickets.Customer{Platform: r.CP, UserID: r.CU, ChatID: chat, Name: r.CN, Language: r.CL},
		Intake:   tickets.Intake(r.In), Nature: tickets.Nature(r.Na), Urgency: tickets.Urgency(r.U), Priority: tickets.Priority(r.P),
		Subject: r.S, Description: r.D, Attachments: r.At,
		Status: tickets.Status(r.St), Assignee: tickets.Agent{ID: r.A, Name: r.AN},
		CreatedAt: fromMS(r.C), UpdatedAt: fromMS(r.Up), Messages: r.M,
		Rating:       tickets.Rating{Stars: r.R, Comment: r.RC, At: fromMS(r.RA)},
		Unreachable:  r.X,
		Delivered:    r.DL,
		OpenRequest:  r.OQ,
		TermsVersion: r.TV,
		Ref:          r.RF,
		Erased:       fromMS(r.ER),
	}, nil
}

// messageRecord is a conversation entry as stored.
type messageRecord struct {
	ID  int64                `json:"id"`
	K   int                  `json:"k"`
	AR  int                  `json:"ar"`
	AI  string               `json:"ai"`
	AN  string               `json:"an,omitempty"`
	T   string               `json:"t,omitempty"`
	At  []tickets.Attachment `json:"at,omitempty"`
	W   int64                `json:"w"`
	Ref string               `json:"ref,omitempty"`
	UV  string               `json:"uv,omitempty"` // Message.Unverified
}

func encodeMessage(m tickets.Message) ([]byte, error) {
	return json.Marshal(messageRecord{
		ID: m.ID, K: int(m.Kind), AR: int(m.Author.Role), AI: m.Author.ID, AN: m.Author.Name,
		T: m.Text, At: m.Attachments, W: ms(m.At), Ref: m.Ref, UV: m.Unverified,
	})
}

func decodeMessage(b []byte) (tickets.Message, error) {
	var r messageRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return tickets.Message{}, fmt.Errorf("decode message: %w", err)
	}
	return tickets.Message{
		ID: r.ID, Kind: tickets.MessageKind(r.K), Author: tickets.Actor{Role: tickets.Role(r.AR), ID: r.AI, Name: r.AN},
		Text: r.T, Attachments: r.At, At: fromMS(r.W), Ref: r.Ref, Unverified: r.UV,
	}, nil
}

// eventRecord is an event as stored in the stream's field "e". The events
// of Create and ClaimNext are written without their number (the scripts
// know it) and carry it in the entry's field "n"; ClaimNext's also carries
// the ticket's priority in field "p". Entries of earlier versions have the
// number in the JSON.
type eventRecord struct {
	N  int64  `json:"n,omitempty"`
	K  string `json:"k"`
	F  int    `json:"f,omitempty"`
	T  int    `json:"t"`
	AR int    `json:"ar"`
	AI string `json:"ai"`
	AN string `json:"an,omitempty"`
	At int64  `json:"at"`
	P  int    `json:"p,omitempty"`
	OP int    `json:"op,omitempty"`
	MI int64  `json:"mi,omitempty"`
	TK bool   `json:"tk,omitempty"`
	PI string `json:"pi,omitempty"`
	PN string `json:"pn,omitempty"`
}

func encodeEvent(e tickets.Event) ([]byte, error) {
	return json.Marshal(eventRecord{
		N: e.Number, K: string(e.Kind), F: int(e.From), T: int(e.To),
		AR: int(e.Actor.Role), AI: e.Actor.ID, AN: e.Actor.Name, At: ms(e.At),
		P: int(e.Priority), OP: int(e.OldPriority), MI: e.MessageID,
		TK: e.Takeover, PI: e.Previous.ID, PN: e.Previous.Name,
	})
}

// decodeEvent decodes the "e" field of an events stream entry with id.
func decodeEvent(id string, b []byte) (tickets.Event, error) {
	var r eventRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return tickets.Event{}, fmt.Errorf("decode event %s: %w", id, err)
	}
	return tickets.Event{
		ID: id, Number: r.N, Kind: tickets.EventKind(r.K), From: tickets.Status(r.F), To: tickets.Status(r.T),
		Actor: tickets.Actor{Role: tickets.Role(r.AR), ID: r.AI, Name: r.AN}, At: fromMS(r.At),
		Priority: tickets.Priority(r.P), OldPriority: tickets.Priority(r.OP), MessageID: r.MI,
		Takeover: r.TK, Previous: tickets.Agent{ID: r.PI, Name: r.PN},
	}, nil
}
