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
