package slack

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode"

	slackapi "github.com/slack-go/slack"
)

// Slack's limits that everything the adapter renders keeps to. Slack
// counts characters; rendering counts UTF-16 code units (units), never
// fewer, and always after escaping, so that what is measured is what is
// sent. slacktest/blockkit.go cites the page of each number and refuses
// what Slack refuses; the fuzz test of the renderers checks them against
// it.
const (
	maxSectionChars = 3000  // a section's text, and any text object
	maxFieldChars   = 2000  // a section field
	maxHeaderChars  = 150   // a header (plain text)
	maxButtonChars  = 75    // a button's label
	maxMessageChars = 40000 // a message's text
	maxPostBlocks   = 50    // blocks of one message
	maxInputChars   = 3000  // a plain_text_input's max_length
	maxViewTitle    = 24    // a modal's title, submit and close
	// maxAckBytes is the size at which Slack drops a Socket Mode answer
	// (slack-go refuses to send it).
	maxAckBytes = 20 * 1024
	// blocksBudget is the most text the blocks of one message carry.
	// Slack refuses a message whose blocks hold about 10,000 characters or
	// more (msg_blocks_too_long, undocumented; see slacktest.MaxBlocksText):
	// 8,000 leaves room for what the measure does not see.
	blocksBudget = 8000
)

// Budgets of the parts of a card: their sum, with the card's own words,
// stays within blocksBudget whatever the ticket holds (TestCardWorstCase),
// so that no customer input can make a card that Slack refuses.
const (
	cardNameChars        = 200  // a customer's or an agent's name
	cardReasonChars      = 100  // why the customer is unreachable
	cardCommentChars     = 1000 // the rating's comment
	cardDescriptionChars = maxSectionChars
	cardListChars        = 1000 // the attachments' names
	listItemChars        = 160  // one name in a list
	listLineSubjectChars = 100  // a subject in a /tickets list
	threadHeadingChars   = 600  // a thread post's heading
	ellipsis             = "…"
)

// units is the length of s as Slack's limits are measured: UTF-16 code
// units.
func units(s string) int {
	n := 0
	for _, r := range s {
		n += runeUnits(r)
	}
	return n
}

func runeUnits(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// escapedPieces escapes s rune by rune: the pieces are the smallest parts
// that can be cut between (never inside an entity or a character).
func escapedPieces(s string) []string {
	out := make([]string, 0, len(s))
	for _, r := range s {
		out = append(out, escapeRune(r))
	}
	return out
}

// clip escapes s and cuts it to at most limit units, ending with "…" when
// cut; it reports whether it cut. The cut falls between escaped
// characters, and before trailing spaces.
func clip(s string, limit int) (string, bool) {
	e := escape(s)
	if units(e) <= limit {
		return e, false
	}
	var b strings.Builder
	n := 0
	for _, p := range escapedPieces(s) {
		w := units(p)
		if n+w > limit-units(ellipsis) {
			break
		}
		b.WriteString(p)
		n += w
	}
	return strings.TrimRightFunc(b.String(), unicode.IsSpace) + ellipsis, true
}

// clipped is clip without the report.
func clipped(s string, limit int) string {
	c, _ := clip(s, limit)
	return c
}

// clipPlain cuts plain_text (not escaped: Slack shows it as is) to limit
// units, ending with "…" when cut.
func clipPlain(s string, limit int) string {
	if units(s) <= limit {
		return s
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n+runeUnits(r) > limit-units(ellipsis) {
			break
		}
		b.WriteRune(r)
		n += runeUnits(r)
	}
	return strings.TrimRightFunc(b.String(), unicode.IsSpace) + ellipsis
}

// nameList lists escaped names, each clipped to listItemChars, joined
// with ", " within limit units: those that do not fit are counted,
// "and N more".
func nameList(names []string, limit int) string {
	var b strings.Builder
	n := 0
	for i, name := range names {
		item := clipped(name, listItemChars)
		sep := ""
		if i > 0 {
			sep = ", "
		}
		rest := len(names) - i - 1
		// Room for this name, and for the count of the others if any.
		need := units(sep) + units(item)
		if rest > 0 {
			need += units(andMore(rest))
		}
		if n+need > limit {
			return b.String() + andMore(len(names)-i)
		}
		b.WriteString(sep + item)
		n += units(sep) + units(item)
	}
	return b.String()
}

func andMore(n int) string { return " and " + strconv.Itoa(n) + " more" }

// escapedChunks escapes s and splits the result into pieces of at most
// limit units, at a line break or a space when one is in the second half
// of the piece, never inside an entity or a character: nothing is cut.
func escapedChunks(s string, limit int) []string {
	pieces := escapedPieces(strings.TrimSpace(s))
	var chunks []string
	for len(pieces) > 0 {
		n, end, brk := 0, 0, -1
		for end < len(pieces) {
			w := units(pieces[end])
			if n+w > limit {
				break
			}
			n += w
			if pieces[end] == " " || pieces[end] == "\n" {
				brk = end
			}
			end++
		}
		if end < len(pieces) && brk > end/2 {
			end = brk + 1
		}
		if c := strings.TrimRightFunc(strings.Join(pieces[:end], ""), unicode.IsSpace); c != "" {
			chunks = append(chunks, c)
		}
		pieces = pieces[end:]
		for len(pieces) > 0 && (pieces[0] == " " || pieces[0] == "\n") {
			pieces = pieces[1:]
		}
	}
	return chunks
}

// blocksText is the text the blocks carry, as Slack's msg_blocks_too_long
// counts it: every text of their text objects.
func blocksText(blocks []slackapi.Block) int {
	raw, err := json.Marshal(blocks)
	if err != nil {
		return 0
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return 0
	}
	n := 0
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if t, ok := x["text"].(string); ok {
				if typ, _ := x["type"].(string); typ == "plain_text" || typ == "mrkdwn" {
					n += units(t)
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return n
}

// posts groups blocks into messages: after head (repeated on each
// message, with contHead from the second on), as many of the blocks as
// fit blocksBudget and maxPostBlocks. A block too large on its own
// (never built: sections are cut to maxSectionChars) gets a message of
// its own.
func posts(head, contHead slackapi.Block, body []slackapi.Block) [][]slackapi.Block {
	var out [][]slackapi.Block
	cur := []slackapi.Block{head}
	used := blocksText(cur)
	for _, b := range body {
		w := blocksText([]slackapi.Block{b})
		if len(cur) > 1 && (used+w > blocksBudget || len(cur) >= maxPostBlocks) {
			out = append(out, cur)
			cur = []slackapi.Block{contHead}
			used = blocksText(cur)
		}
		cur = append(cur, b)
		used += w
	}
	return append(out, cur)
}
