package email

import (
	"bufio"
	"bytes"
	"net/textproto"
	"regexp"
	"strings"

	"github.com/jhillyerd/enmime/v2"
)

// Report is a delivery status notification (RFC 3464): a bounce or a
// delay warning about a mail we sent.
type Report struct {
	// Permanent is true when delivery failed for good (Action: failed or a
	// 5.x.x status); false for a delay (4.x.x), which needs no action.
	Permanent bool
	// Recipient, Status and Diagnostic are those of the first failed
	// recipient (or the first one listed when none failed).
	Recipient  string // lower-cased address, without the "rfc822;" type
	Status     string // "5.1.1"
	Diagnostic string // "smtp; 550 5.1.1 <x@y>: user unknown"
	// OriginalMessageID is the Message-ID of the mail that bounced, from
	// the returned message or its headers, without angle brackets; empty
	// when the report did not return them. Our keyed Message-IDs name the
	// ticket (IDs.Ticket).
	OriginalMessageID string
	// Recipients lists every recipient the report is about.
	Recipients []RecipientStatus
}

// RecipientStatus is one recipient's block of a delivery status report.
type RecipientStatus struct {
	Recipient  string
	Action     string // "failed", "delayed", "delivered", "relayed", "expanded"
	Status     string
	Diagnostic string
}

// failed reports whether delivery to the recipient failed for good.
func (r RecipientStatus) failed() bool {
	return r.Action == "failed" || strings.HasPrefix(r.Status, "5.")
}

var (
	statusRE   = regexp.MustCompile(`^\s*([245]\.\d{1,3}\.\d{1,3})`)
	enhancedRE = regexp.MustCompile(`\b([245]\.\d{1,3}\.\d{1,3})\b`)
	basicRE    = regexp.MustCompile(`\b([245])\d\d\b`)
)

// report finds a multipart/report with a delivery-status part in the
// tree under root and reads it; nil when there is none.
func report(root *enmime.Part) *Report {
	rep := root.BreadthMatchFirst(func(p *enmime.Part) bool {
		return strings.EqualFold(p.ContentType, "multipart/report")
	})
	if rep == nil {
		return nil
	}
	status := rep.BreadthMatchFirst(func(p *enmime.Part) bool {
		ct := strings.ToLower(p.ContentType)
		return ct == "message/delivery-status" || ct == "message/global-delivery-status"
	})
	if status == nil {
		return nil
	}
	r := &Report{}
	groups := fieldGroups(status.Content)
	for _, g := range groups {
		rcpt := g.Get("Final-Recipient")
		if rcpt == "" {
			rcpt = g.Get("Original-Recipient")
		}
		if rcpt == "" {
			continue // the per-message block
		}
		rs := RecipientStatus{
			Recipient:  recipientAddress(rcpt),
			Action:     strings.ToLower(strings.TrimSpace(g.Get("Action"))),
			Diagnostic: strings.TrimSpace(g.Get("Diagnostic-Code")),
		}
		if m := statusRE.FindStringSubmatch(g.Get("Status")); m != nil {
			rs.Status = m[1]
		} else if m := enhancedRE.FindStringSubmatch(rs.Diagnostic); m != nil {
			rs.Status = m[1]
		} else if m := basicRE.FindStringSubmatch(rs.Diagnostic); m != nil {
			rs.Status = m[1] + ".0.0"
		}
		r.Recipients = append(r.Recipients, rs)
	}
	if len(r.Recipients) == 0 {
		return nil
	}
	first := r.Recipients[0]
	for _, rs := range r.Recipients {
		if rs.failed() {
			first, r.Permanent = rs, true
			break
		}
	}
	r.Recipient, r.Status, r.Diagnostic = first.Recipient, first.Status, first.Diagnostic
	orig := rep.BreadthMatchFirst(func(p *enmime.Part) bool {
		switch strings.ToLower(p.ContentType) {
		case "message/rfc822", "text/rfc822-headers", "message/global", "message/global-headers":
			return true
		}
		return false
	})
	if orig != nil {
		if h := headersOf(orig.Content); h != nil {
			if ids := msgIDs(h.Get("Message-Id")); len(ids) > 0 {
				r.OriginalMessageID = ids[0]
			}
		}
	}
	return r
}

// recipientAddress strips the address type ("rfc822;") and brackets.
func recipientAddress(v string) string {
	if _, addr, ok := strings.Cut(v, ";"); ok {
		v = addr
	}
	return strings.ToLower(strings.Trim(strings.TrimSpace(v), "<>"))
}

// fieldGroups reads the blank-line-separated groups of "Name: value"
// fields of a delivery-status body, continuation lines joined; lines that
// are not fields are skipped.
func fieldGroups(b []byte) []textproto.MIMEHeader {
	var groups []textproto.MIMEHeader
	cur := textproto.MIMEHeader{}
	var last string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case strings.TrimSpace(line) == "":
			if len(cur) > 0 {
				groups = append(groups, cur)
				cur, last = textproto.MIMEHeader{}, ""
			}
		case (line[0] == ' ' || line[0] == '\t') && last != "":
			vals := cur[last]
			vals[len(vals)-1] += " " + strings.TrimSpace(line)
		default:
			k, v, ok := strings.Cut(line, ":")
			if !ok || strings.ContainsAny(k, " \t") {
				last = ""
				continue
			}
			last = textproto.CanonicalMIMEHeaderKey(k)
			cur.Add(last, strings.TrimSpace(v))
		}
	}
	if len(cur) > 0 {
		groups = append(groups, cur)
	}
	return groups
}

// headersOf reads the header of a returned message (or a bare header
// block); nil when there is none.
func headersOf(b []byte) textproto.MIMEHeader {
	groups := fieldGroups(b)
	if len(groups) == 0 {
		return nil
	}
	return groups[0]
}
