package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/colombiainformatica/ticketbot/tickets"
)

const customerUsage = "usage: customer show|export|forget KEY (KEY is platform:id, e.g. telegram:123456 or email:ana@example.com)"

// customer runs `ticketbot customer show|export|forget KEY`, the
// operator's side of the holder's rights (Ley 1581 de 2012): what is
// stored about a customer, as text or JSON, and its deletion, against
// the Redis and desk of the configuration. The agents' internal notes are
// never part of it.
func customer(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) != 2 || !strings.Contains(args[1], ":") {
		fmt.Fprintln(stderr, "ticketbot: "+customerUsage)
		return 2
	}
	o, ok := openOperator(getenv, stderr)
	if !ok {
		return 2
	}
	defer o.rdb.Close()
	svc := o.svc
	key := args[1]
	switch args[0] {
	case "show", "export":
		d, err := svc.CustomerData(ctx, tickets.SystemActor, key)
		if err != nil {
			fmt.Fprintf(stderr, "ticketbot: customer %s: %v\n", args[0], err)
			return 1
		}
		if args[0] == "export" {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			err = enc.Encode(exportOf(d))
		} else {
			err = showCustomer(stdout, d)
		}
		if err != nil {
			fmt.Fprintf(stderr, "ticketbot: customer %s: %v\n", args[0], err)
			return 1
		}
		return 0
	case "forget":
		f, err := svc.Forget(ctx, tickets.SystemActor, key)
		if err != nil {
			fmt.Fprintf(stderr, "ticketbot: customer forget: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "forgot %s: %d ticket(s) erased %v, %d closed first %v; profile and events deleted\n",
			key, len(f.Erased), f.Erased, len(f.Closed), f.Closed)
		fmt.Fprintln(stdout, "the running ticketbot replaces its Slack posts and deletes its copied files as it delivers the erasure")
		return 0
	}
	fmt.Fprintln(stderr, "ticketbot: "+customerUsage)
	return 2
}

// export is a customer's data as `customer export` writes it.
type export struct {
	Customer string         `json:"customer"`
	Profile  exportProfile  `json:"profile"`
	Tickets  []exportTicket `json:"tickets"`
}

type exportProfile struct {
	Language        string     `json:"language,omitempty"`
	TermsVersion    string     `json:"terms_version,omitempty"`
	TermsAccepted   *time.Time `json:"terms_accepted,omitempty"`
	PrivacyVersion  string     `json:"privacy_version,omitempty"`
	PrivacyAccepted *time.Time `json:"privacy_accepted,omitempty"`
}

type exportTicket struct {
	Number      int64                `json:"number"`
	Name        string               `json:"name,omitempty"`
	ChatID      string               `json:"chat_id,omitempty"`
	Intake      string               `json:"intake"`
	Nature      string               `json:"nature"`
	Urgency     string               `json:"urgency"`
	Priority    string               `json:"priority"`
	Status      string               `json:"status"`
	Subject     string               `json:"subject,omitempty"`
	Description string               `json:"description,omitempty"`
	Attachments []tickets.Attachment `json:"attachments,omitempty"`
	Created     time.Time            `json:"created"`
	Updated     time.Time            `json:"updated"`
	Assignee    string               `json:"assignee,omitempty"`
	Rating      int                  `json:"rating,omitempty"`
	Comment     string               `json:"rating_comment,omitempty"`
	Terms       string               `json:"terms_version,omitempty"`
	Erased      *time.Time           `json:"erased,omitempty"`
	Messages    []exportMessage      `json:"messages,omitempty"`
}

type exportMessage struct {
	ID          int64                `json:"id"`
	Kind        string               `json:"kind"`
	Author      string               `json:"author,omitempty"`
	Text        string               `json:"text,omitempty"`
	Attachments []tickets.Attachment `json:"attachments,omitempty"`
	At          time.Time            `json:"at"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func exportOf(d tickets.CustomerData) export {
	p := d.Profile
	out := export{Customer: p.CustomerKey, Tickets: []exportTicket{}, Profile: exportProfile{
		Language: p.Language, TermsVersion: p.TermsVersion, TermsAccepted: timePtr(p.TermsAccepted),
		PrivacyVersion: p.PrivacyVersion, PrivacyAccepted: timePtr(p.PrivacyAccepted),
	}}
	for _, td := range d.Tickets {
		t := td.Ticket
		et := exportTicket{
			Number: t.Number, Name: t.Customer.Name, ChatID: t.Customer.ChatID, Intake: string(t.Intake),
			Nature: string(t.Nature), Urgency: t.Urgency.String(), Priority: t.Priority.String(), Status: t.Status.String(),
			Subject: t.Subject, Description: t.Description, Attachments: t.Attachments,
			Created: t.CreatedAt, Updated: t.UpdatedAt, Assignee: t.Assignee.Name,
			Rating: t.Rating.Stars, Comment: t.Rating.Comment, Terms: t.TermsVersion, Erased: timePtr(t.Erased),
		}
		for _, m := range td.Messages {
			et.Messages = append(et.Messages, exportMessage{ID: m.ID, Kind: m.Kind.String(), Author: m.Author.Name,
				Text: m.Text, Attachments: m.Attachments, At: m.At})
		}
		out.Tickets = append(out.Tickets, et)
	}
	return out
}

// showCustomer writes d for an operator to read.
func showCustomer(w io.Writer, d tickets.CustomerData) error {
	e := exportOf(d)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "customer\t%s\n", e.Customer)
	fmt.Fprintf(tw, "language\t%s\n", e.Profile.Language)
	fmt.Fprintf(tw, "terms\t%s %s\n", e.Profile.TermsVersion, stamp(e.Profile.TermsAccepted))
	fmt.Fprintf(tw, "authorization\t%s %s\n", e.Profile.PrivacyVersion, stamp(e.Profile.PrivacyAccepted))
	fmt.Fprintf(tw, "tickets\t%d\n", len(e.Tickets))
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, t := range e.Tickets {
		fmt.Fprintf(w, "\n#%d  %s  %s  %s  %s  opened %s\n", t.Number, t.Status, t.Priority, t.Nature, t.Intake, t.Created.Format(time.RFC3339))
		if t.Erased != nil {
			fmt.Fprintf(w, "  erased at the customer's request %s\n", t.Erased.Format(time.RFC3339))
			continue
		}
		fmt.Fprintf(w, "  %s (%s)\n  %s\n", t.Subject, t.Name, t.Description)
		for _, m := range t.Messages {
			fmt.Fprintf(w, "  %s %s %s: %s", m.At.Format(time.RFC3339), m.Kind, m.Author, m.Text)
			if len(m.Attachments) > 0 {
				fmt.Fprintf(w, " [%d file(s)]", len(m.Attachments))
			}
			fmt.Fprintln(w)
		}
	}
	return nil
}

func stamp(t *time.Time) string {
	if t == nil {
		return "(never)"
	}
	return t.Format(time.RFC3339)
}
