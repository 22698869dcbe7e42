package email

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// IDs makes and checks the Message-IDs of the mails we send. Each names
// its ticket and carries a keyed hash (HMAC-SHA256 under a secret only
// ticketbot knows), "t1234.ack.<tag>@domain", so that a reply's
// In-Reply-To or References leads back to the ticket, and a header made
// up by someone else (another ticket's number, a guessed tag) leads
// nowhere.
type IDs struct {
	domain string
	keys   [][]byte // the current secret first, then older ones still accepted
}

// MinSecretLen is the least secret length NewIDs accepts, in bytes.
const MinSecretLen = 16

// tagLen is the tag's length in base32 characters: 100 bits.
const tagLen = 20

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewIDs returns IDs for domain (the right-hand side of the IDs, usually
// the support address's domain) under secret; IDs made under the previous
// secrets are still recognised, so the secret can be rotated without
// breaking the threads of mails already sent.
func NewIDs(domain string, secret []byte, previous ...[]byte) (*IDs, error) {
	domain = strings.ToLower(strings.TrimSpace(domain))
	if !domainRE.MatchString(domain) {
		return nil, errors.New("email: the Message-ID domain must be a host name such as example.com")
	}
	k := &IDs{domain: domain}
	for _, s := range append([][]byte{secret}, previous...) {
		if len(s) < MinSecretLen {
			return nil, errors.New("email: a Message-ID secret needs at least 16 bytes")
		}
		k.keys = append(k.keys, append([]byte(nil), s...))
	}
	return k, nil
}

var (
	domainRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)
	partRE   = regexp.MustCompile(`[^a-z0-9-]+`)
	localRE  = regexp.MustCompile(`^t([1-9][0-9]{0,17})\.([a-z0-9-]{1,64})\.([a-z2-7]{20})$`)
)

// MessageID returns the Message-ID (without angle brackets) of a mail
// about ticket; part tells apart the ticket's mails and must be stable for
// one mail, since a retried send must carry the same ID ("ack", "r17",
// an event's ID). Characters other than a-z, 0-9 and "-" in part become
// "-"; an empty part is "m".
func (k *IDs) MessageID(ticket int64, part string) string {
	part = strings.Trim(partRE.ReplaceAllString(strings.ToLower(part), "-"), "-")
	if len(part) > 64 {
		part = strings.Trim(part[:64], "-")
	}
	if part == "" {
		part = "m"
	}
	local := "t" + strconv.FormatInt(ticket, 10) + "." + part
	return local + "." + k.tag(k.keys[0], local) + "@" + k.domain
}

func (k *IDs) tag(key []byte, local string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(local + "@" + k.domain))
	return strings.ToLower(b32.EncodeToString(mac.Sum(nil)))[:tagLen]
}

// Verify returns the ticket that id (with or without angle brackets)
// names, if it is one of ours: our domain and a tag that checks under the
// current or a previous secret (compared in constant time).
func (k *IDs) Verify(id string) (ticket int64, ok bool) {
	id = strings.Trim(strings.TrimSpace(id), "<>")
	at := strings.LastIndexByte(id, '@')
	if at < 0 || !strings.EqualFold(id[at+1:], k.domain) {
		return 0, false
	}
	m := localRE.FindStringSubmatch(id[:at])
	if m == nil {
		return 0, false
	}
	local := "t" + m[1] + "." + m[2]
	for _, key := range k.keys {
		if hmac.Equal([]byte(k.tag(key, local)), []byte(m[3])) {
			n, err := strconv.ParseInt(m[1], 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// Ticket returns the ticket named by the newest of our IDs among ids (for
// example a mail's InReplyTo followed by its References, newest last),
// trying them from the last.
func (k *IDs) Ticket(ids ...string) (int64, bool) {
	for i := len(ids) - 1; i >= 0; i-- {
		if n, ok := k.Verify(ids[i]); ok {
			return n, true
		}
	}
	return 0, false
}

// Thread returns the ticket a reply m belongs to by our Message-IDs in its
// In-Reply-To and References; false when none of them is ours.
func (k *IDs) Thread(m *Mail) (int64, bool) {
	if n, ok := k.Ticket(m.InReplyTo...); ok {
		return n, true
	}
	return k.Ticket(m.References...)
}

// Own reports whether m's own Message-ID is one of ours: our mail came
// back (a forwarding loop, a copy to the support address).
func (k *IDs) Own(m *Mail) bool {
	_, ok := k.Verify(m.MessageID)
	return ok
}

var subjectTagRE = regexp.MustCompile(`\[#([1-9][0-9]{0,17})\]`)

// SubjectTicket returns the ticket number of the last "[#1234]" tag in
// subject. Anyone can write one: the caller trusts it only from the
// ticket's own customer.
func SubjectTicket(subject string) (int64, bool) {
	all := subjectTagRE.FindAllStringSubmatch(subject, -1)
	if len(all) == 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(all[len(all)-1][1], 10, 64)
	return n, err == nil
}

// SubjectTag returns the tag of ticket for a subject: "[#1234]".
func SubjectTag(ticket int64) string { return "[#" + strconv.FormatInt(ticket, 10) + "]" }

var replyPrefixRE = regexp.MustCompile(`(?i)^\s*((re|aw|sv|rv|fwd?|tr|wg|res|ref)\s*(\[\d+\])?\s*:\s*)+`)

// ReplySubject returns the subject of our reply on ticket to a mail with
// subject: "Re: " and the subject without its reply prefixes, with the
// ticket's tag at the end (once).
func ReplySubject(subject string, ticket int64) string {
	s := strings.TrimSpace(oneLine(subject))
	s = replyPrefixRE.ReplaceAllString(s, "")
	tag := SubjectTag(ticket)
	s = strings.TrimSpace(strings.ReplaceAll(s, tag, ""))
	if s == "" {
		return "Re: " + tag
	}
	return "Re: " + s + " " + tag
}
