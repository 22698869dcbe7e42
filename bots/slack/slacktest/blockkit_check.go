package slacktest

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/colombiainformatica/ticketbot/internal/measure"
)

// checker collects what Slack would say about a payload, each detail
// with the JSON pointer of what it is about, and counts the text the
// blocks hold.
type checker struct {
	msgs []string
	text int // units of every text of the blocks
}

func (c *checker) fail(path, format string, args ...any) {
	c.msgs = append(c.msgs, fmt.Sprintf(format, args...)+" [json-pointer:"+path+"]")
}

// str checks an optional string field's length (a missing field passes).
func (c *checker) str(path string, v any, lo, hi int) {
	if v == nil {
		return
	}
	s, ok := v.(string)
	if !ok {
		c.fail(path, "must be a string")
		return
	}
	c.length(path, s, lo, hi)
}

func (c *checker) length(path, s string, lo, hi int) {
	switch n := measure.UTF16(s); {
	case n > hi:
		c.fail(path, "must be less than %d characters", hi+1)
	case n < lo:
		c.fail(path, "must be more than %d characters", lo-1)
	}
}

func (c *checker) items(path string, n, lo, hi int) bool {
	switch {
	case n > hi:
		c.fail(path, "no more than %d items allowed", hi)
	case n < lo:
		c.fail(path, "must provide at least %d items", lo)
	default:
		return true
	}
	return false
}

// textObject checks a text object of lo..hi characters; plainOnly
// refuses mrkdwn. A missing object fails only when required.
func (c *checker) textObject(path string, v any, lo, hi int, plainOnly, required bool) {
	if v == nil {
		if required {
			c.fail(path, "missing required field: text")
		}
		return
	}
	o, ok := v.(map[string]any)
	if !ok {
		c.fail(path, "must be an object")
		return
	}
	switch o["type"] {
	case "plain_text":
	case "mrkdwn":
		if plainOnly {
			c.fail(path+"/type", "must be plain_text")
		}
	default:
		c.fail(path+"/type", "must be one of plain_text, mrkdwn")
	}
	s, ok := o["text"].(string)
	if !ok {
		c.fail(path+"/text", "missing required field: text")
		return
	}
	c.text += measure.UTF16(s)
	c.length(path+"/text", s, lo, hi)
}

func (c *checker) plainText(path string, v any, lo, hi int, required bool) {
	c.textObject(path, v, lo, hi, true, required)
}

func (c *checker) blocks(path string, blocks []any, max int) {
	c.items(path, len(blocks), 0, max)
	ids := map[string]bool{}
	for i, raw := range blocks {
		p := fmt.Sprintf("%s/%d", path, i)
		b, ok := raw.(map[string]any)
		if !ok {
			c.fail(p, "must be an object")
			continue
		}
		if id, ok := b["block_id"].(string); ok {
			c.length(p+"/block_id", id, 1, MaxID)
			if ids[id] {
				c.fail(p+"/block_id", "duplicate block_id %q", id)
			}
			ids[id] = true
		}
		c.block(p, b)
	}
}

func (c *checker) block(p string, b map[string]any) {
	switch typ, _ := b["type"].(string); typ {
	case "section":
		fields, _ := b["fields"].([]any)
		if b["text"] == nil && len(fields) == 0 {
			c.fail(p, "must provide text or fields")
		}
		c.textObject(p+"/text", b["text"], 1, MaxSectionText, false, false)
		if c.items(p+"/fields", len(fields), 0, MaxSectionFields) {
			for j, f := range fields {
				c.textObject(fmt.Sprintf("%s/fields/%d", p, j), f, 1, MaxFieldText, false, true)
			}
		}
		if acc, ok := b["accessory"].(map[string]any); ok {
			c.element(p+"/accessory", acc)
		}
	case "header":
		c.plainText(p+"/text", b["text"], 1, MaxHeaderText, true)
	case "context":
		els, _ := b["elements"].([]any)
		if c.items(p+"/elements", len(els), 1, MaxContextElements) {
			for j, e := range els {
				ep := fmt.Sprintf("%s/elements/%d", p, j)
				if m, _ := e.(map[string]any); m != nil && m["type"] == "image" {
					c.str(ep+"/image_url", m["image_url"], 1, MaxButtonURL)
					c.str(ep+"/alt_text", m["alt_text"], 1, MaxInputLabel)
					continue
				}
				c.textObject(ep, e, 1, MaxTextObject, false, true)
			}
		}
	case "actions":
		els, _ := b["elements"].([]any)
		if c.items(p+"/elements", len(els), 1, MaxActionsElements) {
			seen := map[string]bool{}
			for j, e := range els {
				ep := fmt.Sprintf("%s/elements/%d", p, j)
				m, ok := e.(map[string]any)
				if !ok {
					c.fail(ep, "must be an object")
					continue
				}
				if id, ok := m["action_id"].(string); ok {
					if seen[id] {
						c.fail(ep+"/action_id", "duplicate action_id %q", id)
					}
					seen[id] = true
				}
				c.element(ep, m)
			}
		}
	case "input":
		c.plainText(p+"/label", b["label"], 1, MaxInputLabel, true)
		c.plainText(p+"/hint", b["hint"], 1, MaxInputLabel, false)
		el, ok := b["element"].(map[string]any)
		if !ok {
			c.fail(p+"/element", "missing required field: element")
			break
		}
		c.element(p+"/element", el)
	case "divider", "rich_text", "file", "video":
	case "image":
		c.str(p+"/image_url", b["image_url"], 1, MaxButtonURL)
		c.str(p+"/alt_text", b["alt_text"], 1, MaxInputLabel)
		c.plainText(p+"/title", b["title"], 1, 2000, false) // image-block: title "Maximum length ... 2000"
	case "markdown":
		// https://docs.slack.dev/reference/block-kit/blocks/markdown-block
		c.str(p+"/text", b["text"], 1, 12000)
		if s, ok := b["text"].(string); ok {
			c.text += measure.UTF16(s)
		}
	case "":
		c.fail(p, "missing required field: type")
	default:
		c.fail(p+"/type", "unsupported type: %s", typ)
	}
}

// element checks an interactive element.
func (c *checker) element(p string, e map[string]any) {
	c.str(p+"/action_id", e["action_id"], 1, MaxID)
	c.plainText(p+"/placeholder", e["placeholder"], 1, MaxPlaceholder, false)
	if cf, ok := e["confirm"].(map[string]any); ok {
		c.plainText(p+"/confirm/title", cf["title"], 1, MaxConfirmTitle, true)
		c.textObject(p+"/confirm/text", cf["text"], 1, MaxConfirmText, false, true)
		c.plainText(p+"/confirm/confirm", cf["confirm"], 1, MaxConfirmButton, true)
		c.plainText(p+"/confirm/deny", cf["deny"], 1, MaxConfirmButton, true)
	}
	switch typ, _ := e["type"].(string); typ {
	case "button":
		c.plainText(p+"/text", e["text"], 1, MaxButtonText, true)
		c.str(p+"/value", e["value"], 1, MaxButtonValue)
		c.str(p+"/url", e["url"], 1, MaxButtonURL)
		if s, ok := e["style"].(string); ok && s != "primary" && s != "danger" {
			c.fail(p+"/style", "must be one of primary, danger")
		}
	case "static_select", "multi_static_select":
		opts, hasOpts := e["options"].([]any)
		groups, hasGroups := e["option_groups"].([]any)
		switch {
		case hasOpts == hasGroups:
			c.fail(p, "must provide exactly one of options, option_groups")
		case hasOpts:
			c.options(p+"/options", opts, 1, MaxSelectOptions)
		default:
			if c.items(p+"/option_groups", len(groups), 1, MaxSelectOptions) {
				for j, g := range groups {
					gp := fmt.Sprintf("%s/option_groups/%d", p, j)
					m, _ := g.(map[string]any)
					c.plainText(gp+"/label", m["label"], 1, MaxGroupLabel, true)
					gopts, _ := m["options"].([]any)
					c.options(gp+"/options", gopts, 1, MaxSelectOptions)
				}
			}
		}
		if io, ok := e["initial_option"].(map[string]any); ok {
			c.option(p+"/initial_option", io)
		}
	case "overflow":
		opts, _ := e["options"].([]any)
		c.options(p+"/options", opts, 2, 5)
	case "plain_text_input":
		c.number(p+"/max_length", e["max_length"], 1, MaxInputLength)
		c.number(p+"/min_length", e["min_length"], 0, MaxInputLength)
	case "":
		c.fail(p, "missing required field: type")
	}
}

func (c *checker) options(p string, opts []any, lo, hi int) {
	if !c.items(p, len(opts), lo, hi) {
		return
	}
	for j, o := range opts {
		m, ok := o.(map[string]any)
		if !ok {
			c.fail(fmt.Sprintf("%s/%d", p, j), "must be an object")
			continue
		}
		c.option(fmt.Sprintf("%s/%d", p, j), m)
	}
}

func (c *checker) option(p string, o map[string]any) {
	c.plainText(p+"/text", o["text"], 1, MaxOptionText, true)
	c.plainText(p+"/description", o["description"], 1, MaxOptionText, false)
	if o["value"] == nil {
		c.fail(p+"/value", "missing required field: value")
	}
	c.str(p+"/value", o["value"], 1, MaxOptionValue)
}

// number checks an optional integer field of lo..hi.
func (c *checker) number(p string, v any, lo, hi int) {
	if v == nil {
		return
	}
	n, ok := v.(json.Number)
	if !ok {
		c.fail(p, "must be an integer")
		return
	}
	i, err := n.Int64()
	if err != nil {
		c.fail(p, "must be an integer")
		return
	}
	if i < int64(lo) || i > int64(hi) {
		// As Slack words it for a plain_text_input's max_length.
		c.fail(p[:strings.LastIndexByte(p, '/')], "invalid value for field '%s'", p[strings.LastIndexByte(p, '/')+1:])
	}
}
