package slack

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Slack's size limits that rendering respects.
const (
	maxSectionChars  = 3000  // the text of one section block
	maxMessageChars  = 40000 // one message
	sectionsPerPost  = 12    // text sections in one thread message (12×3000 < 40,000)
	zeroWidthSpace   = "\u200b"
	maxBlocksPerPost = 50
)

// escape makes untrusted text safe for mrkdwn: &, < and > become entities,
// so <!channel>, <@U…> and <https://…|…> show as typed and notify nobody;
// the formatting characters * _ ~ ` get a zero-width space on each side,
// so *bold* shows its asterisks instead of turning bold.
func escape(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for _, r := range s {
		b.WriteString(escapeRune(r))
	}
	return b.String()
}

func escapeRune(r rune) string {
	switch r {
	case '&':
		return "&amp;"
	case '<':
		return "&lt;"
	case '>':
		return "&gt;"
	case '*':
		return zeroWidthSpace + "*" + zeroWidthSpace
	case '_':
		return zeroWidthSpace + "_" + zeroWidthSpace
	case '~':
		return zeroWidthSpace + "~" + zeroWidthSpace
	case '`':
		return zeroWidthSpace + "`" + zeroWidthSpace
	}
	return string(r)
}

// escapedChunks escapes s and splits the result into pieces of at most
// limit characters, at a line break or a space when one is in the second
// half of the piece, never inside an entity or a character: nothing is cut.
func escapedChunks(s string, limit int) []string {
	s = strings.TrimSpace(s)
	units := make([]string, 0, len(s))
	for _, r := range s {
		units = append(units, escapeRune(r))
	}
	var chunks []string
	for len(units) > 0 {
		n, end, brk := 0, 0, -1
		for end < len(units) {
			w := utf8.RuneCountInString(units[end])
			if n+w > limit {
				break
			}
			n += w
			if units[end] == " " || units[end] == "\n" {
				brk = end
			}
			end++
		}
		if end < len(units) && brk > end/2 {
			end = brk + 1
		}
		if c := strings.TrimRightFunc(strings.Join(units[:end], ""), unicode.IsSpace); c != "" {
			chunks = append(chunks, c)
		}
		units = units[end:]
		for len(units) > 0 && (units[0] == " " || units[0] == "\n") {
			units = units[1:]
		}
	}
	return chunks
}

var (
	slackLink = regexp.MustCompile(`<([^<>|]*)(?:\|([^<>]*))?>`)
)

// plainFromSlack turns the mrkdwn of a message typed in Slack into the
// plain text a customer reads: <@U…> becomes @name, <#C…|name> #name,
// <!here> @here, <url|label> "label (url)", and entities are decoded.
func plainFromSlack(s string, nameOf func(userID string) string) string {
	s = slackLink.ReplaceAllStringFunc(s, func(m string) string {
		sub := slackLink.FindStringSubmatch(m)
		target, label := sub[1], sub[2]
		switch {
		case strings.HasPrefix(target, "@"):
			if label != "" {
				return "@" + label
			}
			return "@" + nameOf(target[1:])
		case strings.HasPrefix(target, "#"):
			if label != "" {
				return "#" + label
			}
			return target
		case strings.HasPrefix(target, "!"):
			if label != "" {
				return label
			}
			if i := strings.IndexByte(target, '^'); i >= 0 {
				target = target[:i]
			}
			return "@" + strings.TrimPrefix(target, "!")
		}
		target = strings.TrimPrefix(target, "mailto:")
		if label == "" || label == target {
			return target
		}
		return label + " (" + target + ")"
	})
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

// noteText reports whether text starts with the note marker and returns
// the text without it.
func noteText(text string) (string, bool) {
	t := strings.TrimLeftFunc(text, unicode.IsSpace)
	if len(t) < len(NoteMarker) || !strings.EqualFold(t[:len(NoteMarker)], NoteMarker) {
		return text, false
	}
	rest := t[len(NoteMarker):]
	if rest != "" {
		r, _ := utf8.DecodeRuneInString(rest)
		if !unicode.IsSpace(r) && r != ':' {
			return text, false // "!notes" is not the marker
		}
	}
	return strings.TrimSpace(strings.TrimPrefix(rest, ":")), true
}
