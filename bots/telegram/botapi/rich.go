package botapi

import (
	"fmt"
	"html"
	"strings"
	"unicode/utf8"

	"github.com/colombiainformatica/ticketbot/internal/measure"
)

// MaxText is how long a message's text may be, in UTF-16 code units of
// the text after HTML parsing: Telegram takes 4096, and some room is left
// for safety.
const MaxText = 4000

// Esc escapes user-supplied text for parse_mode=HTML.
func Esc(s string) string { return html.EscapeString(s) }

// PlainLen is the length of trusted markup as Telegram counts it.
func PlainLen(markup string) int { return measure.UTF16(StripTags(markup)) }

// StripTags returns trusted markup as Telegram shows it: tags removed,
// entities decoded.
func StripTags(markup string) string {
	var b strings.Builder
	in := false
	for _, r := range markup {
		switch {
		case r == '<':
			in = true
		case r == '>' && in:
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return html.UnescapeString(b.String())
}

// Rich builds an HTML message from trusted markup and user text. User text
// is escaped and, when the whole is too long for one message, split at line
// or word boundaries, never cut; markup parts are never split, so their
// tags stay balanced.
type Rich struct{ parts []richPart }

type richPart struct {
	s    string
	user bool
}

// Markup appends trusted HTML; arguments must already be escaped.
func (r *Rich) Markup(format string, args ...any) *Rich {
	s := format
	if len(args) > 0 {
		s = fmt.Sprintf(format, args...)
	}
	r.parts = append(r.parts, richPart{s: s})
	return r
}

// Text appends user-supplied text, shown as is.
func (r *Rich) Text(s string) *Rich {
	r.parts = append(r.parts, richPart{s: s, user: true})
	return r
}

// Messages renders r as one or more HTML texts of at most limit units each.
func (r *Rich) Messages(limit int) []string {
	var out []string
	var cur strings.Builder
	n := 0
	flush := func() {
		if s := cur.String(); strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
		cur.Reset()
		n = 0
	}
	for _, p := range r.parts {
		if !p.user {
			l := PlainLen(p.s)
			if n > 0 && n+l > limit {
				flush()
			}
			cur.WriteString(p.s)
			n += l
			continue
		}
		rest := p.s
		for rest != "" {
			room := limit - n
			if l := measure.UTF16(rest); l <= room {
				cur.WriteString(Esc(rest))
				n += l
				break
			}
			if n > 0 && room < limit/4 {
				flush()
				continue
			}
			var piece string
			piece, rest = cutText(rest, room)
			cur.WriteString(Esc(piece))
			flush()
		}
	}
	flush()
	return out
}

// cutText splits s into a head of at most room UTF-16 units, ending at a
// line break or else a space when there is one in the second half, and the
// rest (without the separator it was split at).
func cutText(s string, room int) (head, rest string) {
	end, units := 0, 0
	for i, r := range s {
		w := 1
		if r >= 0x10000 {
			w = 2
		}
		if units+w > room {
			break
		}
		units += w
		end = i + utf8.RuneLen(r)
	}
	if end == 0 { // room smaller than one character: take one anyway
		_, size := utf8.DecodeRuneInString(s)
		end = size
	}
	if end >= len(s) {
		return s, ""
	}
	window := s[:end]
	if i := strings.LastIndexByte(window, '\n'); i > end/2 {
		return s[:i], s[i+1:]
	}
	if i := strings.LastIndexByte(window, ' '); i > end/2 {
		return s[:i], s[i+1:]
	}
	return s[:end], s[end:]
}

// Raw appends trusted HTML as is.
func (r *Rich) Raw(s string) *Rich {
	r.parts = append(r.parts, richPart{s: s})
	return r
}
