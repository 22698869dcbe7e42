package slack

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"<!channel> & <@U1>": "&lt;!channel&gt; &amp; &lt;@U1&gt;",
		"*b*":                "\u200b*\u200bb\u200b*\u200b",
		"a_b ~c~ `d`":        "a\u200b_\u200bb \u200b~\u200bc\u200b~\u200b \u200b`\u200bd\u200b`\u200b",
		"plain ñandú":        "plain ñandú",
	} {
		if got := escape(in); got != want {
			t.Errorf("escape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEscapedChunks(t *testing.T) {
	for _, in := range []string{
		strings.Repeat("palabra ", 1000),
		strings.Repeat("&", 3001),
		strings.Repeat("x", 7000),
		strings.Repeat("línea\n", 900) + strings.Repeat("*", 1200),
	} {
		chunks := escapedChunks(in, maxSectionChars)
		for _, c := range chunks {
			if n := utf8.RuneCountInString(c); n > maxSectionChars || n == 0 {
				t.Fatalf("chunk of %d characters", n)
			}
			if strings.HasSuffix(c, "&am") || strings.HasPrefix(c, "p;") {
				t.Fatalf("entity cut: %q…", c[:10])
			}
		}
		// Nothing is lost but the whitespace at the breaks.
		strip := func(s string) string { return strings.Join(strings.Fields(s), "") }
		if got, want := strip(strings.Join(chunks, "")), strip(escape(in)); got != want {
			t.Fatalf("chunks lose text: %d vs %d", len(got), len(want))
		}
	}
	if c := escapedChunks("  ", 10); len(c) != 0 {
		t.Fatalf("blank text: %q", c)
	}
}

func TestPlainFromSlack(t *testing.T) {
	name := func(id string) string { return map[string]string{"U1": "Ana"}[id] }
	for in, want := range map[string]string{
		"hi <@U1>": "hi @Ana",
		"see <https://x.io/a?b=1&amp;c=2|the docs>": "see the docs (https://x.io/a?b=1&c=2)",
		"<https://x.io>":           "https://x.io",
		"<mailto:a@b.co|a@b.co>":   "a@b.co",
		"in <#C1|general> <!here>": "in #general @here",
		"a &lt;b&gt; &amp;amp;":    "a <b> &amp;",
	} {
		if got := plainFromSlack(in, name); got != want {
			t.Errorf("plainFromSlack(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNoteText(t *testing.T) {
	for in, want := range map[string]struct {
		text string
		note bool
	}{
		"!note checked logs": {"checked logs", true},
		"  !NOTE: twice":     {"twice", true},
		"!note":              {"", true},
		"hello !note":        {"hello !note", false},
		"Notes: none":        {"Notes: none", false},
		"note to self":       {"note to self", false},
		"":                   {"", false},
		// However Slack formats the marker (as the mrkdwn of the event's
		// text, entities decoded), it is the marker.
		"`!note` owes 3 invoices":  {"owes 3 invoices", true},
		"*!note* owes 3 invoices":  {"owes 3 invoices", true},
		"_!note_ owes 3 invoices":  {"owes 3 invoices", true},
		"~!note~ owes 3 invoices":  {"owes 3 invoices", true},
		"> !note owes 3 invoices":  {"owes 3 invoices", true},
		"   !note owes 3 invoices": {"owes 3 invoices", true},
		"!NoTe owes 3 invoices":    {"owes 3 invoices", true},
		"*_!note_*: owes":          {"owes", true},
		"> *!note* owes":           {"owes", true},
		"*!*note owes":             {"owes", true},
		"```!note``` owes":         {"owes", true},
		"• !note owes":             {"owes", true},
		"1. !note owes":            {"owes", true},
		"\u200b!note owes":         {"owes", true},
		"！note owes":               {"owes", true},
		"\n\n!note\nowes":          {"owes", true},
		// Fail closed: a word that starts with the marker is a note, kept whole.
		"!notes are fine": {"!notes are fine", true},
		"*!noted*":        {"!noted*", true},
	} {
		text, note := noteText(in)
		if text != want.text || note != want.note {
			t.Errorf("noteText(%q) = %q, %v; want %q, %v", in, text, note, want.text, want.note)
		}
	}
}
