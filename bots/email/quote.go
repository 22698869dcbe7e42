package email

import (
	"regexp"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// NewText returns what the sender wrote in m: the body without the quoted
// history and the signature (see StripQuotes and StripHTMLQuotes). A
// forwarded mail (subject "Fwd:", "Fw:", "RV:", "Reenviar:") keeps what it
// forwards, since that is its content. The caller keeps m.Text (or the raw
// mail) for agents.
func (m *Mail) NewText() string {
	if forwardRE.MatchString(m.Subject) {
		return strings.TrimSpace(dropSignature(m.Text))
	}
	if m.TextFromHTML && m.HTML != "" {
		return StripHTMLQuotes(m.HTML)
	}
	return StripQuotes(m.Text)
}

var forwardRE = regexp.MustCompile(`(?i)^\s*(fwd?|rv|reenv(iar|iado)?|tr|wg)\s*:`)

// StripQuotes returns the new text of a plain-text reply: it cuts the
// history a top-posting client appends ("-----Original Message-----",
// "-----Mensaje original-----", Outlook's "From:/Sent:/To:/Subject:" and
// "De:/Enviado:/Para:/Asunto:" blocks, an "On … wrote:" or "El …
// escribió:" line followed by history), removes runs of ">" quoted lines
// with the attribution line above them (so a bottom-posted or interleaved
// answer keeps its own lines), and drops the signature (after a "-- "
// line) and "Sent from my phone" lines. History is looked for in the first
// 5000 lines only, which bounds the work. When nothing would be left (a mail
// that is all quote), it returns the text with only the signature
// removed, so no content is lost.
func StripQuotes(text string) string {
	text = cleanText(text)
	lines := strings.Split(text, "\n")
	if i := historyStart(lines); i >= 0 {
		lines = lines[:i]
	}
	lines = dropQuoted(lines)
	out := strings.TrimSpace(dropSignature(strings.Join(lines, "\n")))
	if out == "" {
		return strings.TrimSpace(dropSignature(text))
	}
	return collapseBlank(out)
}

var (
	// An attribution line, possibly wrapped over up to three lines.
	attributionRE = regexp.MustCompile(`(?is)^\s*(on|el|le|am|em|il)\b.{0,300}\b(wrote|escribió|escribio|a écrit|schrieb|escreveu|ha scritto)\s*:\s*$`)
	separatorRE   = regexp.MustCompile(`(?i)^\s*[-_=*]{2,}\s*(original message|mensaje original|message d'origine|ursprüngliche nachricht|mensagem original|messaggio originale)\s*[-_=*]{2,}\s*$`)
	underscoreRE  = regexp.MustCompile(`^\s*_{10,}\s*$`)
	fromFieldRE   = regexp.MustCompile(`(?i)^\s*\*?\s*(from|de|von|da)\s*:\s*\*?\s*\S`)
	otherFieldRE  = regexp.MustCompile(`(?i)^\s*\*?\s*(sent|enviado( el)?|date|fecha|to|para|subject|asunto|cc|gesendet|an|betreff|envoyé|à|objet)\s*:`)
	mobileSigRE   = regexp.MustCompile(`(?i)^\s*(sent from my|sent from outlook|enviado desde mi|enviado desde outlook|get outlook for|obtener outlook para|descargar outlook para|sent with|enviado con)\b`)
)

// maxScanLines bounds how far historyStart looks for the history's start.
const maxScanLines = 5000

// historyStart returns the index of the first line of top-posted history
// within the first maxScanLines lines, or -1.
func historyStart(lines []string) int {
	for i, line := range lines {
		if i == maxScanLines {
			break // a reply's own text is at the top; bound the work
		}
		if isQuoted(line) {
			continue
		}
		switch {
		case separatorRE.MatchString(line):
			return i
		case fromFieldRE.MatchString(line) && headerBlock(lines[i:]):
			// Outlook's block, often after a line of underscores.
			j := i
			for j > 0 && strings.TrimSpace(lines[j-1]) == "" {
				j--
			}
			if j > 0 && underscoreRE.MatchString(lines[j-1]) {
				return j - 1
			}
			return i
		}
		if n := attributionAt(lines, i); n > 0 && !quotedAfter(lines, i+n) {
			// An attribution not followed by ">" lines: the history that
			// follows is not marked (text turned from HTML), so it goes.
			return i
		}
	}
	return -1
}

// headerBlock reports whether lines start with a From field followed,
// within the next six lines, by at least two other header fields.
func headerBlock(lines []string) bool {
	n := 0
	for _, l := range lines[1:min(len(lines), 7)] {
		if otherFieldRE.MatchString(l) {
			n++
		}
	}
	return n >= 2
}

// attributionAt returns how many lines (1 to 3) from i form an attribution
// line, or 0.
func attributionAt(lines []string, i int) int {
	first := strings.TrimSpace(lines[i])
	if first == "" || len(first) > 400 {
		return 0
	}
	joined := first
	for n := 1; n <= 3 && i+n <= len(lines); n++ {
		if n > 1 {
			next := strings.TrimSpace(lines[i+n-1])
			if next == "" || isQuoted(next) {
				return 0
			}
			joined += " " + next
		}
		if attributionRE.MatchString(joined) {
			return n
		}
	}
	return 0
}

// quotedAfter reports whether the first non-blank line from i is quoted.
func quotedAfter(lines []string, i int) bool {
	for ; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "" {
			return isQuoted(lines[i])
		}
	}
	return false
}

func isQuoted(line string) bool {
	return strings.HasPrefix(strings.TrimLeft(line, " \t"), ">")
}

// dropQuoted removes every run of quoted lines and the attribution (with
// the blank lines) right above each.
func dropQuoted(lines []string) []string {
	out := make([]string, 0, len(lines))
	for i := 0; i < len(lines); i++ {
		if !isQuoted(lines[i]) {
			out = append(out, lines[i])
			continue
		}
		// Remove the attribution above the run, if any.
		k := len(out)
		for k > 0 && strings.TrimSpace(out[k-1]) == "" {
			k--
		}
		for n := 1; n <= 3 && k-n >= 0; n++ {
			if attributionAt(out, k-n) == n {
				out = out[:k-n]
				break
			}
		}
		for i+1 < len(lines) && (isQuoted(lines[i+1]) || strings.TrimSpace(lines[i+1]) == "" && quotedAfter(lines, i+1)) {
			i++
		}
	}
	return out
}

// dropSignature cuts text at its last signature separator ("-- ", or
// "--" once trailing space was trimmed) when at most 25 lines follow it,
// and removes trailing "Sent from my …" lines.
func dropSignature(text string) string {
	lines := strings.Split(text, "\n")
	for i := len(lines) - 1; i >= 0 && len(lines)-i <= 26; i-- {
		if l := strings.TrimRight(lines[i], " \t"); l == "--" || l == "-- " {
			lines = lines[:i]
			break
		}
	}
	for len(lines) > 0 {
		last := strings.TrimSpace(lines[len(lines)-1])
		if last == "" || mobileSigRE.MatchString(last) && len(last) < 80 {
			lines = lines[:len(lines)-1]
			continue
		}
		break
	}
	return strings.Join(lines, "\n")
}

var blankRunRE = regexp.MustCompile(`\n{3,}`)

func collapseBlank(s string) string { return blankRunRE.ReplaceAllString(s, "\n\n") }

// StripHTMLQuotes returns the new text of an HTML reply, as readable text:
// it removes the quote blocks of Gmail (class gmail_quote), Apple Mail and
// Thunderbird (blockquote type="cite", moz-cite-prefix), Yahoo
// (yahoo_quoted) and Outlook (everything from #appendonsend,
// #divRplyFwdMsg, or the header block's top-bordered div), and Gmail's and
// Outlook's signature blocks, turns the rest into text and strips what is
// left with StripQuotes.
func StripHTMLQuotes(h string) string {
	doc, err := html.Parse(strings.NewReader(h))
	if err != nil {
		return StripQuotes(htmlToText(h))
	}
	var cut []*html.Node    // removed with everything after them
	var remove []*html.Node // removed alone
	var walk func(n *html.Node, depth int)
	walk = func(n *html.Node, depth int) {
		if depth > 500 {
			return
		}
		if n.Type == html.ElementNode {
			class, id, style, typ := attr(n, "class"), attr(n, "id"), strings.ToLower(attr(n, "style")), attr(n, "type")
			switch {
			case id == "appendonsend" || id == "divRplyFwdMsg" || id == "stopSpelling" ||
				hasClass(class, "OutlookMessageHeader") ||
				n.DataAtom == atom.Div && outlookBorderRE.MatchString(style):
				cut = append(cut, n)
				return
			case hasClassPrefix(class, "gmail_quote") || hasClass(class, "yahoo_quoted") ||
				hasClass(class, "moz-cite-prefix") || hasClass(class, "gmail_signature") ||
				attr(n, "data-smartmail") == "gmail_signature" || id == "Signature" ||
				n.DataAtom == atom.Blockquote && strings.EqualFold(typ, "cite"):
				remove = append(remove, n)
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, depth+1)
		}
	}
	walk(doc, 0)
	for _, n := range remove {
		if n.Parent != nil {
			n.Parent.RemoveChild(n)
		}
	}
	for _, n := range cut {
		cutFrom(n)
	}
	var b strings.Builder
	if err := html.Render(&b, doc); err != nil {
		return StripQuotes(htmlToText(h))
	}
	return StripQuotes(htmlToText(b.String()))
}

var outlookBorderRE = regexp.MustCompile(`border-top:\s*solid\s+#(e1e1e1|b5c4df)`)

// cutFrom removes n and everything after it in document order, up to the
// body.
func cutFrom(n *html.Node) {
	for n != nil {
		parent := n.Parent
		if parent == nil {
			return // already removed with an earlier cut
		}
		for s := n; s != nil; {
			next := s.NextSibling
			parent.RemoveChild(s)
			s = next
		}
		// Go on with the later siblings of the nearest ancestor below the
		// body that has some.
		for parent != nil && parent.DataAtom != atom.Body && parent.NextSibling == nil {
			parent = parent.Parent
		}
		if parent == nil || parent.DataAtom == atom.Body {
			return
		}
		n = parent.NextSibling
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasClass(class, name string) bool {
	for _, c := range strings.Fields(class) {
		if c == name {
			return true
		}
	}
	return false
}

func hasClassPrefix(class, prefix string) bool {
	for _, c := range strings.Fields(class) {
		if strings.HasPrefix(c, prefix) {
			return true
		}
	}
	return false
}
