package email

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/inbucket/html2text"
	"github.com/jhillyerd/enmime/v2"
	"golang.org/x/text/encoding/charmap"
)

// DefaultMaxSize is the size cap of Parse and of the intake: 25 MiB, what
// Gmail and Microsoft 365 let a sender attach.
const DefaultMaxSize = 25 << 20

// DefaultMaxParts caps the MIME parts of a mail, nested ones included.
const DefaultMaxParts = 1000

// ErrTooLarge is matched (errors.Is) by the error of a mail over the size
// cap; the error is a *TooLargeError.
var ErrTooLarge = errors.New("email: message too large")

// TooLargeError says a mail is over the size cap.
type TooLargeError struct {
	Size  int64 // the mail's size, or the bytes read before giving up
	Limit int64
}

// Error says how large the mail is and the cap.
func (e *TooLargeError) Error() string {
	return fmt.Sprintf("email: message of %d bytes or more is over the %d-byte cap", e.Size, e.Limit)
}

// Is makes errors.Is(err, ErrTooLarge) true.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// ErrUnreadable is matched (errors.Is) by the error of a mail the parser
// cannot make sense of at all; its text says why.
var ErrUnreadable = errors.New("email: unreadable message")

// Parser parses raw mails within limits. The zero value uses
// DefaultMaxSize and DefaultMaxParts.
type Parser struct {
	// MaxSize caps the raw mail's size in bytes; a larger one is refused
	// with a *TooLargeError before it is parsed.
	MaxSize int64
	// MaxParts caps the number of MIME parts; a mail with more is refused.
	MaxParts int
}

// Parse parses a raw RFC 5322 mail with the default limits.
func Parse(r io.Reader) (*Mail, error) { return Parser{}.Parse(r) }

// Parse reads at most p.MaxSize bytes of r and parses them. It returns a
// *TooLargeError (ErrTooLarge) for a larger mail and an error matching
// ErrUnreadable for one that cannot be parsed; malformed parts that can be
// worked around are, and noted in Mail.Problems.
func (p Parser) Parse(r io.Reader) (*Mail, error) {
	limit := p.MaxSize
	if limit <= 0 {
		limit = DefaultMaxSize
	}
	raw, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("email: read message: %w", err)
	}
	if int64(len(raw)) > limit {
		return nil, &TooLargeError{Size: int64(len(raw)), Limit: limit}
	}
	return p.parse(raw)
}

func (p Parser) parse(raw []byte) (m *Mail, err error) {
	defer func() {
		// The MIME library is meant never to panic; if hostile input finds
		// a way, the mail is refused, not the process.
		if v := recover(); v != nil {
			m, err = nil, fmt.Errorf("%w: the MIME parser failed: %v", ErrUnreadable, v)
		}
	}()
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrUnreadable)
	}
	maxParts := p.MaxParts
	if maxParts <= 0 {
		maxParts = DefaultMaxParts
	}
	parser := enmime.NewParser(
		enmime.MaxMIMEParts(maxParts),
		enmime.MaxStoredPartErrors(20),
		enmime.SkipMalformedParts(true),
		enmime.MultipartWOBoundaryAsSinglePart(true),
		enmime.SetCustomParseMediaType(parseMediaType),
		enmime.DisableTextConversion(true),
	)
	env, err := parser.ReadEnvelope(bytes.NewReader(raw))
	if err != nil {
		var many *enmime.TooManyPartsError
		if errors.As(err, &many) {
			return nil, fmt.Errorf("%w: more than %d MIME parts", ErrUnreadable, maxParts)
		}
		return nil, fmt.Errorf("%w: %v", ErrUnreadable, err)
	}
	m = &Mail{Header: env.Root.Header, Size: len(raw)}
	m.From = firstAddress(env, "From")
	if m.From.Address == "" {
		m.From = firstAddress(env, "Sender")
	}
	m.ReplyTo = addresses(env, "Reply-To")
	m.To = addresses(env, "To")
	m.Cc = addresses(env, "Cc")
	m.Subject = oneLine(cleanText(env.GetHeader("Subject")))
	if ids := msgIDs(m.Header.Get("Message-Id")); len(ids) > 0 {
		m.MessageID = ids[0]
	}
	m.InReplyTo = msgIDs(m.Header.Get("In-Reply-To"))
	m.References = msgIDs(strings.Join(m.Header.Values("References"), " "))
	if d, err := mail.ParseDate(strings.TrimSpace(m.Header.Get("Date"))); err == nil {
		m.Date = d
	}
	m.Language = language(m.Header.Get("Content-Language"))
	m.HTML = cleanText(env.HTML)
	m.Text = cleanText(env.Text)
	if strings.TrimSpace(m.Text) == "" && m.HTML != "" {
		m.Text, m.TextFromHTML = htmlToText(m.HTML), true
	}
	m.Attachments = attachments(env)
	m.Report = report(env.Root)
	for _, e := range env.Errors {
		if len(m.Problems) == 20 {
			break
		}
		m.Problems = append(m.Problems, e.Error())
	}
	return m, nil
}

// htmlToText turns HTML into readable text: paragraphs and line breaks
// kept, links as "text ( url )", tables laid out; the conversion cannot
// fail on any input (an error leaves the tags stripped roughly).
func htmlToText(h string) string {
	t, err := html2text.FromString(h, html2text.Options{PrettyTables: false, OmitLinks: false})
	if err != nil {
		return stripTags(h)
	}
	return cleanText(t)
}

var tagRE = regexp.MustCompile(`(?s)<[^>]*>`)

func stripTags(h string) string { return strings.TrimSpace(tagRE.ReplaceAllString(h, " ")) }

// cleanText makes s valid UTF-8 (bytes of a mislabelled Latin-1 or
// Windows-1252 text are read as Windows-1252) and normalises line ends.
func cleanText(s string) string {
	if !utf8.ValidString(s) {
		if d, err := charmap.Windows1252.NewDecoder().String(s); err == nil && utf8.ValidString(d) {
			s = d
		} else {
			s = strings.ToValidUTF8(s, "\uFFFD")
		}
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// oneLine puts s on one line with single spaces (unfolding a header).
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func firstAddress(env *enmime.Envelope, key string) Address {
	if list := addresses(env, key); len(list) > 0 {
		return list[0]
	}
	return Address{}
}

// addresses parses an address list; a list the strict parser refuses is
// searched for anything that looks like an address.
func addresses(env *enmime.Envelope, key string) []Address {
	list, err := env.AddressList(key)
	var out []Address
	if err == nil {
		for _, a := range list {
			if addr := strings.ToLower(strings.TrimSpace(a.Address)); addr != "" {
				out = append(out, Address{Name: oneLine(cleanText(a.Name)), Address: addr})
			}
		}
		return out
	}
	raw := env.GetHeader(key)
	for _, addr := range looseAddrRE.FindAllString(raw, 20) {
		out = append(out, Address{Address: strings.ToLower(addr)})
	}
	return out
}

var looseAddrRE = regexp.MustCompile(`[A-Za-z0-9._%+\-=']+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)

// msgIDs returns the message IDs in a header value, without angle
// brackets: every <...> token, or the words when there are none (some
// clients leave the brackets out).
func msgIDs(v string) []string {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	var out []string
	for rest := v; ; {
		i := strings.IndexByte(rest, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i:], '>')
		if j < 0 {
			break
		}
		if id := strings.TrimSpace(rest[i+1 : i+j]); id != "" && !strings.ContainsAny(id, " \t<") {
			out = append(out, id)
		}
		rest = rest[i+j+1:]
	}
	if len(out) == 0 && !strings.ContainsAny(v, "<>") {
		for _, w := range strings.Fields(v) {
			if strings.Contains(w, "@") {
				out = append(out, w)
			}
		}
	}
	return out
}

// language returns the first tag of a Content-Language value, lower-cased.
func language(v string) string {
	tag, _, _ := strings.Cut(v, ",")
	tag = strings.ToLower(strings.TrimSpace(tag))
	for _, r := range tag {
		if !(r == '-' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return ""
		}
	}
	return tag
}

// attachments lists the mail's files in part order: attachments, inline
// parts and other non-text leaves (images of a multipart/related without
// a disposition, winmail.dat).
func attachments(env *enmime.Envelope) []Attachment {
	seen := map[*enmime.Part]bool{}
	var parts []*enmime.Part
	for _, list := range [][]*enmime.Part{env.Attachments, env.Inlines, env.OtherParts} {
		for _, p := range list {
			if !seen[p] && !strings.HasPrefix(strings.ToLower(p.ContentType), "multipart/") && !bodyPart(p) {
				seen[p] = true
				parts = append(parts, p)
			}
		}
	}
	// Part order: PartIDs are "1", "1.2", ...; sort by the tree walk.
	order := map[*enmime.Part]int{}
	n := 0
	_ = env.Root.DepthMatchAll(func(p *enmime.Part) bool {
		order[p] = n
		n++
		return false
	})
	slices.SortStableFunc(parts, func(a, b *enmime.Part) int { return order[a] - order[b] })
	out := make([]Attachment, 0, len(parts))
	for i, p := range parts {
		ct := strings.ToLower(p.ContentType)
		if ct == "" {
			ct = "application/octet-stream"
		}
		a := Attachment{
			ContentType: ct,
			ContentID:   strings.Trim(strings.TrimSpace(p.ContentID), "<>"),
			Inline:      strings.EqualFold(p.Disposition, "inline") || (p.ContentID != "" && !strings.EqualFold(p.Disposition, "attachment")),
			Content:     p.Content,
			Size:        int64(len(p.Content)),
		}
		a.Name = fileName(p.FileName, ct, i+1, p.Content)
		out = append(out, a)
	}
	return out
}

// bodyPart reports whether p is a text body part marked inline (as Apple
// Mail and others mark them) rather than a file: text/plain or text/html
// without a file name or an attachment disposition.
func bodyPart(p *enmime.Part) bool {
	ct := strings.ToLower(p.ContentType)
	return (ct == "text/plain" || ct == "text/html") && p.FileName == "" &&
		!strings.EqualFold(p.Disposition, "attachment")
}

// preferredExt is the extension made-up names get for common types
// (mime.ExtensionsByType lists them alphabetically: ".asc" for text/plain).
var preferredExt = map[string]string{
	"text/plain": ".txt", "text/html": ".html", "text/csv": ".csv", "image/jpeg": ".jpg",
	"image/png": ".png", "image/gif": ".gif", "application/pdf": ".pdf", "application/octet-stream": ".bin",
	"application/zip": ".zip", "text/calendar": ".ics",
}

// fileName makes a part's file name safe (the last path element, no
// control characters or reserved ones, at most 150 bytes) or makes one up:
// the attached mail's subject for message/rfc822, else "attachment-N"
// with the type's extension.
func fileName(name, contentType string, n int, content []byte) string {
	name = cleanText(name)
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base("/" + name)
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || strings.ContainsRune(`<>:"|?*`, r) {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(strings.Trim(name, ". "))
	if name == "" || name == "/" {
		name = ""
	}
	if name == "" && contentType == "message/rfc822" {
		if msg, err := mail.ReadMessage(bytes.NewReader(content)); err == nil {
			dec := new(mime.WordDecoder)
			subj, err := dec.DecodeHeader(msg.Header.Get("Subject"))
			if err != nil {
				subj = msg.Header.Get("Subject")
			}
			if subj = strings.TrimSpace(oneLine(cleanText(subj))); subj != "" {
				return fileName(subj+".eml", contentType, n, nil)
			}
		}
	}
	if name == "" {
		ext := ""
		switch contentType {
		case "message/rfc822":
			ext = ".eml"
		case "application/ms-tnef", "application/vnd.ms-tnef":
			return "winmail.dat"
		default:
			if e, ok := preferredExt[contentType]; ok {
				ext = e
			} else if exts, _ := mime.ExtensionsByType(contentType); len(exts) > 0 {
				ext = exts[0]
			}
		}
		name = "attachment-" + strconv.Itoa(n) + ext
	}
	if len(name) > 150 {
		ext := path.Ext(name)
		if len(ext) > 20 {
			ext = ""
		}
		cut := 150 - len(ext)
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		name = name[:cut] + ext
	}
	return name
}
