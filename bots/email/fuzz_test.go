package email_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/colombiainformatica/ticketbot/bots/email"
)

// FuzzParse feeds the parser arbitrary bytes, starting from the corpus:
// every input parses or is refused with ErrUnreadable or ErrTooLarge, and
// what parses gives valid UTF-8 and survives the quote stripper and the
// classifier.
func FuzzParse(f *testing.F) {
	for _, c := range corpus(f) {
		f.Add(c.raw)
	}
	f.Add(crlf(nested))
	f.Add(crlf(permanentDSN))
	ids, err := email.NewIDs("colombiainformatica.com", []byte("a secret of thirty-two bytes...."))
	if err != nil {
		f.Fatal(err)
	}
	c := email.Classifier{IDs: ids, Addresses: []string{"soporte@colombiainformatica.com"}}
	p := email.Parser{MaxSize: 1 << 20}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := p.Parse(bytes.NewReader(raw))
		if err != nil {
			if !errors.Is(err, email.ErrUnreadable) && !errors.Is(err, email.ErrTooLarge) {
				t.Fatalf("error %v is neither ErrUnreadable nor ErrTooLarge", err)
			}
			return
		}
		for _, s := range []string{m.Subject, m.Text, m.From.Name, m.NewText()} {
			if !utf8.ValidString(s) {
				t.Fatalf("not UTF-8: %q", s)
			}
		}
		_ = c.Classify(m)
		_, _ = ids.Thread(m)
		for _, a := range m.Attachments {
			if a.Name == "" || strings.ContainsAny(a.Name, "/\\") {
				t.Fatalf("attachment name %q", a.Name)
			}
		}
	})
}

// FuzzStripQuotes feeds the quote strippers arbitrary text and HTML: they
// never panic, return valid UTF-8, and never return more than they got
// (apart from the HTML-to-text conversion).
func FuzzStripQuotes(f *testing.F) {
	for _, s := range []string{
		"Hola\n\nEl lun, 30 nov 2026 a las 10:12, X <x@y> escribió:\n> viejo\n",
		"Done.\n\nFrom: a\nSent: b\nTo: c\nSubject: d\n\nold",
		"-----Mensaje original-----\nDe: x",
		"> a\nb\n> c\n-- \nfirma",
		"On Mon wrote:\n\n\n",
		`<div>x</div><div class="gmail_quote">y</div>`,
		`<div id="appendonsend"></div><div id="divRplyFwdMsg">z</div><p>w</p>`,
		`<blockquote type="cite"><blockquote type="cite">deep</blockquote></blockquote>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := email.StripQuotes(s)
		if !utf8.ValidString(out) {
			t.Fatalf("StripQuotes gave invalid UTF-8 %q", out)
		}
		if utf8.ValidString(s) && len(strings.TrimSpace(out)) > len(s) {
			t.Fatalf("StripQuotes grew %q to %q", s, out)
		}
		if h := email.StripHTMLQuotes(s); !utf8.ValidString(h) {
			t.Fatalf("StripHTMLQuotes gave invalid UTF-8 %q", h)
		}
	})
}
