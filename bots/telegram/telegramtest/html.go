package telegramtest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/colombiainformatica/ticketbot/internal/measure"
)

// htmlTags maps the supported tags to their entity types.
var htmlTags = map[string]string{
	"b": "bold", "strong": "bold",
	"i": "italic", "em": "italic",
	"u": "underline", "ins": "underline",
	"s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
	"a":          "text_link",
	"code":       "code",
	"pre":        "pre",
	"tg-spoiler": "spoiler",
	"span":       "spoiler",
	"blockquote": "blockquote",
}

type openTag struct {
	name, typ, url, lang string
	offset               int // in UTF-16 units of the plain text
	inPre                bool
}

// parseHTML parses text in Telegram's HTML style into plain text and
// entities, failing like Telegram with "can't parse entities: ...".
func parseHTML(text string) (string, []Entity, error) {
	var (
		b        strings.Builder
		pos      int // UTF-16 length of b
		stack    []openTag
		entities []Entity
	)
	fail := func(format string, args ...any) (string, []Entity, error) {
		return "", nil, fmt.Errorf("can't parse entities: "+format, args...)
	}
	for i := 0; i < len(text); {
		c := text[i]
		if c == '&' {
			if r, n, ok := decodeEntity(text[i:]); ok {
				b.WriteRune(r)
				pos += measure.UTF16(string(r))
				i += n
				continue
			}
		}
		if c != '<' {
			r, size := utf8.DecodeRuneInString(text[i:])
			b.WriteString(text[i : i+size])
			pos += measure.UTF16(string(r))
			i += size
			continue
		}
		begin := i
		end := strings.IndexByte(text[i:], '>')
		if end < 0 {
			if i+1 < len(text) && text[i+1] == '/' {
				return fail("Can't find end tag corresponding to start tag at byte offset %d", begin)
			}
			return fail("Can't find end of the tag starting at byte offset %d", begin)
		}
		tag := text[i+1 : i+end]
		i += end + 1
		if name, ok := strings.CutPrefix(tag, "/"); ok {
			name = strings.ToLower(strings.TrimSpace(name))
			if len(stack) == 0 {
				return fail("Unexpected end tag at byte offset %d", begin)
			}
			top := stack[len(stack)-1]
			if name != top.name {
				return fail("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", begin, top.name, name)
			}
			stack = stack[:len(stack)-1]
			if top.inPre {
				// <pre><code class="language-x"> is one pre entity with a language.
				if top.lang != "" {
					stack[len(stack)-1].lang = top.lang
				}
				continue
			}
			if length := pos - top.offset; length > 0 {
				entities = append(entities, Entity{Type: top.typ, Offset: top.offset, Length: length, URL: top.url, Language: top.lang})
			}
			continue
		}
		name, attrs, ok := splitTag(tag)
		if !ok {
			return fail("Unsupported start tag \"%s\" at byte offset %d", name, begin)
		}
		typ, known := htmlTags[name]
		if !known {
			return fail("Unsupported start tag \"%s\" at byte offset %d", name, begin)
		}
		t := openTag{name: name, typ: typ, offset: pos}
		switch name {
		case "a":
			t.url = attrs["href"]
			if id, ok := strings.CutPrefix(t.url, "tg://user?id="); ok {
				if _, err := strconv.ParseInt(id, 10, 64); err == nil {
					t.typ = "text_mention"
				}
			}
		case "span":
			if attrs["class"] != "tg-spoiler" {
				return fail("Tag \"span\" must have class \"tg-spoiler\" at byte offset %d", begin)
			}
		case "blockquote":
			if _, ok := attrs["expandable"]; ok {
				t.typ = "expandable_blockquote"
			}
		case "code":
			if len(stack) > 0 && stack[len(stack)-1].name == "pre" {
				t.inPre = true
				t.lang, _ = strings.CutPrefix(attrs["class"], "language-")
			}
		}
		stack = append(stack, t)
	}
	if len(stack) > 0 {
		return fail("Can't find end tag corresponding to start tag \"%s\"", stack[len(stack)-1].name)
	}
	sort.SliceStable(entities, func(i, j int) bool {
		if entities[i].Offset != entities[j].Offset {
			return entities[i].Offset < entities[j].Offset
		}
		return entities[i].Length > entities[j].Length
	})
	return b.String(), entities, nil
}

// splitTag splits the inside of a start tag into its lower-cased name and
// attributes. ok is false when the tag is malformed.
func splitTag(tag string) (name string, attrs map[string]string, ok bool) {
	i := 0
	for i < len(tag) && !isSpace(tag[i]) {
		i++
	}
	name = strings.ToLower(tag[:i])
	if name == "" {
		return "", nil, false
	}
	attrs = map[string]string{}
	rest := tag[i:]
	for {
		rest = strings.TrimLeft(rest, " \t\r\n")
		if rest == "" {
			return name, attrs, true
		}
		j := 0
		for j < len(rest) && rest[j] != '=' && !isSpace(rest[j]) {
			j++
		}
		key := strings.ToLower(rest[:j])
		rest = strings.TrimLeft(rest[j:], " \t\r\n")
		if !strings.HasPrefix(rest, "=") {
			attrs[key] = ""
			continue
		}
		rest = strings.TrimLeft(rest[1:], " \t\r\n")
		var value string
		if rest != "" && (rest[0] == '"' || rest[0] == '\'') {
			q := rest[0]
			k := strings.IndexByte(rest[1:], q)
			if k < 0 {
				return name, nil, false
			}
			value, rest = rest[1:1+k], rest[2+k:]
		} else {
			k := 0
			for k < len(rest) && !isSpace(rest[k]) {
				k++
			}
			value, rest = rest[:k], rest[k:]
		}
		attrs[key] = unescapeHTML(value)
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func unescapeHTML(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == '&' {
			if r, n, ok := decodeEntity(s[i:]); ok {
				b.WriteRune(r)
				i += n
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// decodeEntity decodes the HTML entity at the start of s: &lt; &gt; &amp;
// &quot; and numeric ones. A '&' that starts no entity is kept as text, as
// Telegram does.
func decodeEntity(s string) (rune, int, bool) {
	end := strings.IndexByte(s, ';')
	if end < 2 || end > 12 {
		return 0, 0, false
	}
	name := s[1:end]
	switch name {
	case "lt":
		return '<', end + 1, true
	case "gt":
		return '>', end + 1, true
	case "amp":
		return '&', end + 1, true
	case "quot":
		return '"', end + 1, true
	}
	if num, ok := strings.CutPrefix(name, "#"); ok {
		base := 10
		if hex, ok := strings.CutPrefix(strings.ToLower(num), "x"); ok {
			num, base = hex, 16
		}
		v, err := strconv.ParseUint(num, base, 32)
		if err != nil || v == 0 || v > utf8.MaxRune {
			return 0, 0, false
		}
		return rune(v), end + 1, true
	}
	return 0, 0, false
}

// formatText applies parse_mode to a text or caption. Only HTML is parsed;
// Markdown and MarkdownV2 are passed through as plain text.
func formatText(text, parseMode string) (string, []Entity, *apiError) {
	switch strings.ToLower(parseMode) {
	case "":
		return text, nil, nil
	case "html":
		plain, ents, err := parseHTML(text)
		if err != nil {
			return "", nil, badRequest("%v", err)
		}
		return plain, ents, nil
	case "markdown", "markdownv2":
		return text, nil, nil
	}
	return "", nil, badRequest("unsupported parse_mode")
}
