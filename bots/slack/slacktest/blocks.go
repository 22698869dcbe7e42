package slacktest

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Action is an interactive element of a message's blocks.
type Action struct {
	BlockID  string
	ActionID string
	Type     string // "button", "static_select", ...
	Text     string // a button's label or a select's placeholder
	Value    string // a button's value
	Style    string
	Options  []Choice // a select's options, including those of option groups
}

// Choice is an option of a select menu.
type Choice struct {
	Text  string
	Value string
}

type textObject struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type element struct {
	Type         string        `json:"type"`
	ActionID     string        `json:"action_id"`
	Text         *textObject   `json:"text"`
	Placeholder  *textObject   `json:"placeholder"`
	Value        string        `json:"value"`
	Style        string        `json:"style"`
	Options      []option      `json:"options"`
	OptionGroups []optionGroup `json:"option_groups"`
}

type option struct {
	Text  textObject `json:"text"`
	Value string     `json:"value"`
}

type optionGroup struct {
	Options []option `json:"options"`
}

type block struct {
	Type      string            `json:"type"`
	BlockID   string            `json:"block_id"`
	Text      *textObject       `json:"text"`
	Fields    []textObject      `json:"fields"`
	Accessory *element          `json:"accessory"`
	Elements  []json.RawMessage `json:"elements"`
	Element   *element          `json:"element"`
	Label     *textObject       `json:"label"`
}

func parseBlocks(raw json.RawMessage) []block {
	var bs []block
	if len(raw) == 0 || json.Unmarshal(raw, &bs) != nil {
		return nil
	}
	return bs
}

// validateBlocks checks a message's blocks argument (ValidateMessage) and
// returns it with the IDs Slack fills in.
func validateBlocks(raw string) (json.RawMessage, error) {
	if err := ValidateMessage("", json.RawMessage(raw)); err != nil {
		return nil, err
	}
	var items []json.RawMessage
	if err := json.Unmarshal([]byte(raw), &items); err != nil {
		return nil, &Refusal{Code: "invalid_blocks_format"}
	}
	for i, it := range items {
		items[i] = fillIDs(it, i)
	}
	out, _ := json.Marshal(items)
	return out, nil
}

// fillIDs gives a block, and the elements of an actions block or a section
// accessory, the block_id and action_id Slack generates when they are missing.
func fillIDs(raw json.RawMessage, i int) json.RawMessage {
	var b map[string]json.RawMessage
	if json.Unmarshal(raw, &b) != nil {
		return raw
	}
	blockID, _ := json.Marshal(fmt.Sprintf("sl%03d", i))
	if _, ok := b["block_id"]; !ok {
		b["block_id"] = blockID
	}
	fill := func(raw json.RawMessage, j int) json.RawMessage {
		var e map[string]json.RawMessage
		if json.Unmarshal(raw, &e) != nil {
			return raw
		}
		if _, ok := e["action_id"]; !ok {
			e["action_id"], _ = json.Marshal(fmt.Sprintf("sl%03d-%d", i, j))
		}
		out, _ := json.Marshal(e)
		return out
	}
	var typ string
	_ = json.Unmarshal(b["type"], &typ)
	if acc, ok := b["accessory"]; ok {
		b["accessory"] = fill(acc, 0)
	}
	if typ == "actions" {
		var els []json.RawMessage
		if json.Unmarshal(b["elements"], &els) == nil {
			for j := range els {
				els[j] = fill(els[j], j)
			}
			b["elements"], _ = json.Marshal(els)
		}
	}
	out, _ := json.Marshal(b)
	return out
}

// BlocksText extracts the readable text of a blocks array: section texts and
// fields, headers, context texts and rich text, one block a line. Button
// labels are left out (see BlockActions).
func BlocksText(raw json.RawMessage) string {
	var lines []string
	for _, b := range parseBlocks(raw) {
		var parts []string
		if b.Text != nil && b.Text.Text != "" {
			parts = append(parts, b.Text.Text)
		}
		for _, f := range b.Fields {
			parts = append(parts, f.Text)
		}
		switch b.Type {
		case "context":
			for _, er := range b.Elements {
				var t textObject
				if json.Unmarshal(er, &t) == nil && (t.Type == "mrkdwn" || t.Type == "plain_text") {
					parts = append(parts, t.Text)
				}
			}
		case "rich_text":
			var sb strings.Builder
			for _, er := range b.Elements {
				richText(er, &sb)
			}
			if sb.Len() > 0 {
				parts = append(parts, sb.String())
			}
		}
		if len(parts) > 0 {
			lines = append(lines, strings.Join(parts, "\n"))
		}
	}
	return strings.Join(lines, "\n")
}

func richText(raw json.RawMessage, sb *strings.Builder) {
	var n struct {
		Type     string            `json:"type"`
		Text     string            `json:"text"`
		Elements []json.RawMessage `json:"elements"`
	}
	if json.Unmarshal(raw, &n) != nil {
		return
	}
	if n.Type == "text" {
		sb.WriteString(n.Text)
	}
	for _, e := range n.Elements {
		richText(e, sb)
	}
}

// BlockActions lists the interactive elements of a blocks array: the elements
// of actions blocks, section accessories and input elements, in order.
func BlockActions(raw json.RawMessage) []Action {
	var out []Action
	add := func(blockID string, e element) {
		if e.ActionID == "" && e.Type != "button" && !strings.Contains(e.Type, "select") {
			return
		}
		a := Action{BlockID: blockID, ActionID: e.ActionID, Type: e.Type, Value: e.Value, Style: e.Style}
		if e.Text != nil {
			a.Text = e.Text.Text
		} else if e.Placeholder != nil {
			a.Text = e.Placeholder.Text
		}
		for _, o := range e.Options {
			a.Options = append(a.Options, Choice{Text: o.Text.Text, Value: o.Value})
		}
		for _, g := range e.OptionGroups {
			for _, o := range g.Options {
				a.Options = append(a.Options, Choice{Text: o.Text.Text, Value: o.Value})
			}
		}
		out = append(out, a)
	}
	for _, b := range parseBlocks(raw) {
		switch {
		case b.Type == "actions":
			for _, er := range b.Elements {
				var e element
				if json.Unmarshal(er, &e) == nil {
					add(b.BlockID, e)
				}
			}
		case b.Accessory != nil:
			add(b.BlockID, *b.Accessory)
		case b.Element != nil:
			add(b.BlockID, *b.Element)
		}
	}
	return out
}
