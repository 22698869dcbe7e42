package slacktest

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/colombiainformatica/ticketbot/internal/measure"
)

// Limits of messages, Block Kit and views, as Slack documents them; the
// fake refuses a payload over any of them with Slack's own answer. Slack
// counts "characters" without saying in which unit: the fake counts UTF-16
// code units (Units), which is never fewer than a count of code points,
// so what the fake accepts Slack accepts too.
const (
	// MaxTextRunes is the most characters of a message's text argument
	// (chat.postMessage, chat.update, chat.postEphemeral, response URLs).
	// https://docs.slack.dev/reference/methods/chat.postMessage ("The text
	// field ... we'll truncate messages containing more than 40,000
	// characters"; error msg_too_long), and
	// https://api.slack.com/changelog/2018-04-truncating-really-long-messages.
	MaxTextRunes = 40000
	// MaxBlocks is the most blocks in a message, MaxViewBlocks in a modal
	// or Home tab. https://docs.slack.dev/reference/block-kit/blocks ("up
	// to 50 blocks in each message, and 100 blocks in modals or Home tabs")
	// and https://docs.slack.dev/reference/views/modal-views ("Max of 100
	// blocks").
	MaxBlocks     = 50
	MaxViewBlocks = 100
	// MaxBlocksText is the most characters of text all the blocks of one
	// message may hold together; more is refused msg_blocks_too_long.
	// Slack does not document it: a Slack engineer gave "12,000 text
	// characters with a buffer for block containers"
	// (https://github.com/slackapi/bolt-js/issues/2509), and
	// https://github.com/slackapi/bolt-js/issues/2867 measured 9,597
	// characters in 50 blocks accepted and 11,341 in 45 blocks refused. The
	// fake refuses above 9,600: every refusal seen, and nothing seen
	// accepted.
	MaxBlocksText = 9600
	// MaxSectionText is the most characters of a section's text;
	// MaxSectionFields the most fields, each of at most MaxFieldText.
	// https://docs.slack.dev/reference/block-kit/blocks/section-block
	MaxSectionText   = 3000
	MaxSectionFields = 10
	MaxFieldText     = 2000
	// MaxHeaderText is the most characters of a header (plain_text only).
	// https://docs.slack.dev/reference/block-kit/blocks/header-block
	MaxHeaderText = 150
	// MaxContextElements is the most elements of a context block.
	// https://docs.slack.dev/reference/block-kit/blocks/context-block
	MaxContextElements = 10
	// MaxActionsElements is the most elements of an actions block.
	// https://docs.slack.dev/reference/block-kit/blocks/actions-block
	MaxActionsElements = 25
	// MaxTextObject is the most characters of any text object.
	// https://docs.slack.dev/reference/block-kit/composition-objects/text-object
	MaxTextObject = 3000
	// MaxID is the most characters of a block_id or an action_id.
	// https://docs.slack.dev/reference/block-kit/blocks (block_id) and
	// https://docs.slack.dev/reference/block-kit/block-elements/button-element (action_id)
	MaxID = 255
	// MaxButtonText, MaxButtonValue and MaxButtonURL bound a button.
	// https://docs.slack.dev/reference/block-kit/block-elements/button-element
	MaxButtonText  = 75
	MaxButtonValue = 2000
	MaxButtonURL   = 3000
	// MaxSelectOptions is the most options (or option groups) of a select
	// menu; MaxPlaceholder the most characters of an element's placeholder.
	// https://docs.slack.dev/reference/block-kit/block-elements/select-menu-element
	MaxSelectOptions = 100
	MaxPlaceholder   = 150
	// MaxOptionText and MaxOptionValue bound an option, MaxGroupLabel an
	// option group's label.
	// https://docs.slack.dev/reference/block-kit/composition-objects/option-object
	// https://docs.slack.dev/reference/block-kit/composition-objects/option-group-object
	MaxOptionText  = 75
	MaxOptionValue = 150
	MaxGroupLabel  = 75
	// MaxConfirmTitle, MaxConfirmText and MaxConfirmButton bound a
	// confirmation dialog.
	// https://docs.slack.dev/reference/block-kit/composition-objects/confirmation-dialog-object
	MaxConfirmTitle  = 100
	MaxConfirmText   = 300
	MaxConfirmButton = 30
	// MaxInputLength is the largest max_length (and min_length) of a
	// plain_text_input: "between 1 and 3000, inclusive".
	// https://docs.slack.dev/reference/block-kit/block-elements/plain-text-input-element
	MaxInputLength = 3000
	// MaxInputLabel is the most characters of an input block's label and
	// hint. https://docs.slack.dev/reference/block-kit/blocks/input-block
	MaxInputLabel = 2000
	// MaxViewTitle bounds a modal's title, submit and close texts;
	// MaxPrivateMetadata its private_metadata; MaxCallbackID its
	// callback_id and external_id.
	// https://docs.slack.dev/reference/views/modal-views
	MaxViewTitle       = 24
	MaxPrivateMetadata = 3000
	MaxCallbackID      = 255
	// MaxSocketAck is the size at which a Socket Mode response is dropped:
	// Slack silently ignores responses of 20 KB or more, and slack-go
	// v0.35.0 refuses to send them (socketmode.maxResponseSize, checked on
	// json.Marshal of the response in Client.SendCtx).
	MaxSocketAck = 20 * 1024
)

// Refusal is Slack's answer to a payload it refuses: the error code, and
// the details Slack gives in "errors" and, each prefixed "[ERROR] ", in
// "response_metadata.messages", like
// "must be less than 3001 characters [json-pointer:/blocks/0/text/text]".
type Refusal struct {
	Code     string
	Messages []string
}

func (r *Refusal) Error() string {
	if len(r.Messages) == 0 {
		return r.Code
	}
	return r.Code + ": " + strings.Join(r.Messages, "; ")
}

// ValidateMessage checks a message as chat.postMessage, chat.update,
// chat.postEphemeral, response URLs and command answers do: the text
// argument and the blocks (a JSON array; nil or empty for none). It
// returns nil or a *Refusal: msg_too_long, invalid_blocks_format,
// invalid_blocks (with the details) or msg_blocks_too_long.
func ValidateMessage(text string, blocks json.RawMessage) error {
	if measure.UTF16(text) > MaxTextRunes {
		return &Refusal{Code: "msg_too_long"}
	}
	if !hasBlocks(blocks) {
		return nil
	}
	var items []any
	if err := decodeJSON(blocks, &items); err != nil {
		return &Refusal{Code: "invalid_blocks_format"}
	}
	c := &checker{}
	c.blocks("/blocks", items, MaxBlocks)
	if len(c.msgs) > 0 {
		return &Refusal{Code: "invalid_blocks", Messages: c.msgs}
	}
	if c.text > MaxBlocksText {
		return &Refusal{Code: "msg_blocks_too_long"}
	}
	return nil
}

// ValidateView checks a view object (JSON) as views.open, views.update,
// views.push and views.publish do, and a view a submission answers with.
// It returns nil or a *Refusal: invalid_arguments with the details.
func ValidateView(view json.RawMessage) error {
	var v map[string]any
	if err := decodeJSON(view, &v); err != nil || v == nil {
		return &Refusal{Code: "invalid_arguments", Messages: []string{"must be an object [json-pointer:/view]"}}
	}
	c := &checker{}
	typ, _ := v["type"].(string)
	switch typ {
	case "modal":
		c.plainText("/view/title", v["title"], 1, MaxViewTitle, true)
		c.plainText("/view/submit", v["submit"], 1, MaxViewTitle, false)
		c.plainText("/view/close", v["close"], 1, MaxViewTitle, false)
	case "home":
	default:
		c.fail("/view/type", "must be one of modal, home")
	}
	c.str("/view/private_metadata", v["private_metadata"], 0, MaxPrivateMetadata)
	c.str("/view/callback_id", v["callback_id"], 0, MaxCallbackID)
	c.str("/view/external_id", v["external_id"], 0, MaxCallbackID)
	blocks, ok := v["blocks"].([]any)
	if !ok {
		c.fail("/view/blocks", "missing required field: blocks")
	}
	c.blocks("/view/blocks", blocks, MaxViewBlocks)
	if typ == "modal" && v["submit"] == nil {
		for i, b := range blocks {
			if m, _ := b.(map[string]any); m != nil && m["type"] == "input" {
				c.fail(fmt.Sprintf("/view/blocks/%d/input", i), "must define `submit` to use an `input` block in modals")
				break
			}
		}
	}
	if len(c.msgs) > 0 {
		return &Refusal{Code: "invalid_arguments", Messages: append([]string{"failed to match all allowed schemas [json-pointer:/view]"}, c.msgs...)}
	}
	return nil
}

// ValidateSocketAck checks a Socket Mode response as slack-go writes it on
// the socket (json.Marshal of {"envelope_id":…,"payload":…}): under
// MaxSocketAck bytes, and a message payload (the answer to a slash
// command) valid as a message.
func ValidateSocketAck(js []byte) error {
	if len(js) >= MaxSocketAck {
		return fmt.Errorf("slacktest: a Socket Mode response of %d bytes: Slack drops those of %d bytes or more (and slack-go refuses to send them)", len(js), MaxSocketAck)
	}
	var ack struct {
		EnvelopeID string          `json:"envelope_id"`
		Payload    json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(js, &ack); err != nil || ack.EnvelopeID == "" {
		return fmt.Errorf("slacktest: a Socket Mode response without an envelope_id: %s", js)
	}
	var msg struct {
		Text           *string         `json:"text"`
		Blocks         json.RawMessage `json:"blocks"`
		ResponseAction string          `json:"response_action"`
		View           json.RawMessage `json:"view"`
	}
	if len(ack.Payload) == 0 || json.Unmarshal(ack.Payload, &msg) != nil {
		return nil
	}
	switch {
	case msg.ResponseAction == "update" || msg.ResponseAction == "push":
		return ValidateView(msg.View)
	case msg.Text != nil || hasBlocks(msg.Blocks):
		text := ""
		if msg.Text != nil {
			text = *msg.Text
		}
		return ValidateMessage(text, msg.Blocks)
	}
	return nil
}

func decodeJSON(raw json.RawMessage, v any) error {
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	return d.Decode(v)
}

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
