package slack

import (
	"regexp"
	"strings"
	"unicode"
)

const zeroWidthSpace = "\u200b"

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

// noteText reports whether text, a thread message as the agent sees it
// (plainFromSlack: entities decoded), starts with the note marker, and
// returns the note without the marker. The marker counts however it is
// formatted and in any case: inside inline code, bold, italic or strike
// (`!note`, *!note*, _!note_, ~!note~, even split by them), quoted
// (> !note), in a list (• !note, 1. !note), after spaces or invisible
// characters, with a fullwidth or inverted exclamation mark. It fails
// closed: a word that only starts with the marker ("!notes") makes a note
// too, kept whole, since a note sent by mistake only stays in Slack while
// a reply sent by mistake reaches the customer.
func noteText(text string) (string, bool) {
	rs := []rune(text)
	i := skipDecorations(rs, 0)
	j, k := i, 0
	const want = "note"
	for j < len(rs) && k <= len(want) {
		r := rs[j]
		switch {
		case isFormatMark(r) || isInvisible(r):
		case k == 0 && (r == '!' || r == '！' || r == '¡'):
			k++
		case k > 0 && unicode.ToLower(r) == rune(want[k-1]):
			k++
		default:
			return text, false
		}
		j++
	}
	if k <= len(want) {
		return text, false
	}
	for j < len(rs) && (isFormatMark(rs[j]) || isInvisible(rs[j])) {
		j++
	}
	if j < len(rs) && (unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j])) {
		return strings.TrimSpace(string(rs[i:])), true
	}
	rest := strings.TrimSpace(string(rs[j:]))
	return strings.TrimSpace(strings.TrimPrefix(rest, ":")), true
}

// skipDecorations returns the index of the first rune of rs from i on that
// is not what can come before a message's first word: spaces, invisible
// characters, formatting marks, quote markers and list bullets or numbers.
func skipDecorations(rs []rune, i int) int {
	for i < len(rs) {
		r := rs[i]
		switch {
		case unicode.IsSpace(r) || isInvisible(r) || isFormatMark(r) || r == '>':
			i++
		case strings.ContainsRune("•◦▪‣·-+", r):
			i++
		case unicode.IsDigit(r):
			j := i
			for j < len(rs) && unicode.IsDigit(rs[j]) {
				j++
			}
			if j < len(rs) && (rs[j] == '.' || rs[j] == ')') {
				i = j + 1
				continue
			}
			return i
		default:
			return i
		}
	}
	return i
}

// isFormatMark reports the characters of mrkdwn formatting: bold, italic,
// strike, code.
func isFormatMark(r rune) bool { return r == '*' || r == '_' || r == '~' || r == '`' }

// isInvisible reports characters that show as nothing (zero-width spaces
// and joiners, the byte order mark, soft hyphens).
func isInvisible(r rune) bool { return unicode.Is(unicode.Cf, r) }
