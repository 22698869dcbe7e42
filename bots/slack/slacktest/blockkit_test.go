package slacktest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/colombiainformatica/ticketbot/bots/slack/slacktest"
)

func js(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func plain(s string) map[string]any  { return map[string]any{"type": "plain_text", "text": s} }
func mrkdwn(s string) map[string]any { return map[string]any{"type": "mrkdwn", "text": s} }
func section(s string) map[string]any {
	return map[string]any{"type": "section", "text": mrkdwn(s)}
}
func button(text, value string) map[string]any {
	return map[string]any{"type": "button", "action_id": "b", "text": plain(text), "value": value}
}
func actions(els ...any) map[string]any { return map[string]any{"type": "actions", "elements": els} }
func options(n, textLen int) []any {
	var out []any
	for i := range n {
		out = append(out, map[string]any{"text": plain(strings.Repeat("o", textLen)), "value": fmt.Sprint(i)})
	}
	return out
}
func sel(opts []any) map[string]any {
	return map[string]any{"type": "static_select", "action_id": "s", "placeholder": plain("P"), "options": opts}
}
func blocksOf(n int, b any) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = b
	}
	return out
}
func modalJS(title string, blocks []any, extra map[string]any) json.RawMessage {
	if blocks == nil {
		blocks = []any{}
	}
	v := map[string]any{"type": "modal", "title": plain(title), "submit": plain("Send"), "close": plain("Cancel"), "blocks": blocks}
	for k, x := range extra {
		v[k] = x
	}
	return js(v)
}
func input(el map[string]any) map[string]any {
	return map[string]any{"type": "input", "block_id": "in", "label": plain("Label"), "element": el}
}
func textInput(maxLength int) map[string]any {
	return map[string]any{"type": "plain_text_input", "action_id": "t", "multiline": true, "max_length": maxLength}
}

// Each documented limit: the largest value passes, one more is refused
// with Slack's error code and the detail Slack gives.
func TestBlockKitLimits(t *testing.T) {
	x := strings.Repeat
	tests := []struct {
		name     string
		ok, over json.RawMessage // blocks
		code     string
		detail   string
	}{
		{"blocks per message", js(blocksOf(50, map[string]any{"type": "divider"})), js(blocksOf(51, map[string]any{"type": "divider"})),
			"invalid_blocks", "no more than 50 items allowed [json-pointer:/blocks]"},
		{"section text", js([]any{section(x("a", 3000))}), js([]any{section(x("a", 3001))}),
			"invalid_blocks", "must be less than 3001 characters [json-pointer:/blocks/0/text/text]"},
		{"section text counts UTF-16 units", js([]any{section(x("😀", 1500))}), js([]any{section(x("😀", 1500) + "a")}),
			"invalid_blocks", "must be less than 3001 characters [json-pointer:/blocks/0/text/text]"},
		{"empty section text", js([]any{section("a")}), js([]any{section("")}),
			"invalid_blocks", "must be more than 0 characters [json-pointer:/blocks/0/text/text]"},
		{"section fields", js([]any{map[string]any{"type": "section", "fields": blocksOf(10, mrkdwn("f"))}}),
			js([]any{map[string]any{"type": "section", "fields": blocksOf(11, mrkdwn("f"))}}),
			"invalid_blocks", "no more than 10 items allowed [json-pointer:/blocks/0/fields]"},
		{"field text", js([]any{map[string]any{"type": "section", "fields": []any{mrkdwn(x("f", 2000))}}}),
			js([]any{map[string]any{"type": "section", "fields": []any{mrkdwn(x("f", 2001))}}}),
			"invalid_blocks", "must be less than 2001 characters [json-pointer:/blocks/0/fields/0/text]"},
		{"header", js([]any{map[string]any{"type": "header", "text": plain(x("h", 150))}}),
			js([]any{map[string]any{"type": "header", "text": plain(x("h", 151))}}),
			"invalid_blocks", "must be less than 151 characters [json-pointer:/blocks/0/text/text]"},
		{"header is plain text", js([]any{map[string]any{"type": "header", "text": plain("h")}}),
			js([]any{map[string]any{"type": "header", "text": mrkdwn("h")}}),
			"invalid_blocks", "must be plain_text [json-pointer:/blocks/0/text/type]"},
		{"context elements", js([]any{map[string]any{"type": "context", "elements": blocksOf(10, mrkdwn("c"))}}),
			js([]any{map[string]any{"type": "context", "elements": blocksOf(11, mrkdwn("c"))}}),
			"invalid_blocks", "no more than 10 items allowed [json-pointer:/blocks/0/elements]"},
		{"context text", js([]any{map[string]any{"type": "context", "elements": []any{mrkdwn(x("c", 3000))}}}),
			js([]any{map[string]any{"type": "context", "elements": []any{mrkdwn(x("c", 3001))}}}),
			"invalid_blocks", "must be less than 3001 characters [json-pointer:/blocks/0/elements/0/text]"},
		{"actions elements", js([]any{actions(blocksOf(25, map[string]any{"type": "button", "text": plain("b")})...)}),
			js([]any{actions(blocksOf(26, map[string]any{"type": "button", "text": plain("b")})...)}),
			"invalid_blocks", "no more than 25 items allowed [json-pointer:/blocks/0/elements]"},
		{"button text", js([]any{actions(button(x("b", 75), "1"))}), js([]any{actions(button(x("b", 76), "1"))}),
			"invalid_blocks", "must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]"},
		{"button value", js([]any{actions(button("b", x("v", 2000)))}), js([]any{actions(button("b", x("v", 2001)))}),
			"invalid_blocks", "must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]"},
		{"action_id", js([]any{actions(map[string]any{"type": "button", "text": plain("b"), "action_id": x("a", 255)})}),
			js([]any{actions(map[string]any{"type": "button", "text": plain("b"), "action_id": x("a", 256)})}),
			"invalid_blocks", "must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]"},
		{"block_id", js([]any{map[string]any{"type": "divider", "block_id": x("i", 255)}}),
			js([]any{map[string]any{"type": "divider", "block_id": x("i", 256)}}),
			"invalid_blocks", "must be less than 256 characters [json-pointer:/blocks/0/block_id]"},
		{"repeated block_id", js([]any{map[string]any{"type": "divider", "block_id": "a"}, map[string]any{"type": "divider", "block_id": "b"}}),
			js([]any{map[string]any{"type": "divider", "block_id": "a"}, map[string]any{"type": "divider", "block_id": "a"}}),
			"invalid_blocks", `duplicate block_id "a" [json-pointer:/blocks/1/block_id]`},
		{"repeated action_id", js([]any{actions(button("a", "1"), map[string]any{"type": "button", "text": plain("b"), "action_id": "c"})}),
			js([]any{actions(button("a", "1"), button("b", "2"))}),
			"invalid_blocks", `duplicate action_id "b" [json-pointer:/blocks/0/elements/1/action_id]`},
		{"select options", js([]any{actions(sel(options(100, 1)))}), js([]any{actions(sel(options(101, 1)))}),
			"invalid_blocks", "no more than 100 items allowed [json-pointer:/blocks/0/elements/0/options]"},
		{"option text", js([]any{actions(sel(options(1, 75)))}), js([]any{actions(sel(options(1, 76)))}),
			"invalid_blocks", "must be less than 76 characters [json-pointer:/blocks/0/elements/0/options/0/text/text]"},
		{"placeholder", js([]any{actions(map[string]any{"type": "static_select", "placeholder": plain(x("p", 150)), "options": options(1, 1)})}),
			js([]any{actions(map[string]any{"type": "static_select", "placeholder": plain(x("p", 151)), "options": options(1, 1)})}),
			"invalid_blocks", "must be less than 151 characters [json-pointer:/blocks/0/elements/0/placeholder/text]"},
		{"blocks text in all", js(blocksOf(4, section(x("a", 2400)))), js(append(blocksOf(4, section(x("a", 2400))), section("a"))),
			"msg_blocks_too_long", ""},
		{"unknown block", js([]any{map[string]any{"type": "divider"}}), js([]any{map[string]any{"type": "sparkles"}}),
			"invalid_blocks", "unsupported type: sparkles [json-pointer:/blocks/0/type]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := slacktest.ValidateMessage("fallback", tt.ok); err != nil {
				t.Errorf("at the limit: %v", err)
			}
			err := slacktest.ValidateMessage("fallback", tt.over)
			var r *slacktest.Refusal
			if !errors.As(err, &r) || r.Code != tt.code {
				t.Fatalf("over the limit: %v, want %s", err, tt.code)
			}
			if tt.detail != "" && !contains(r.Messages, tt.detail) {
				t.Errorf("details %q, want %q", r.Messages, tt.detail)
			}
		})
	}
	if err := slacktest.ValidateMessage(strings.Repeat("é", 40000), nil); err != nil {
		t.Errorf("text of 40000: %v", err)
	}
	var r *slacktest.Refusal
	if err := slacktest.ValidateMessage(strings.Repeat("é", 40001), nil); !errors.As(err, &r) || r.Code != "msg_too_long" {
		t.Errorf("text of 40001: %v", err)
	}
	if err := slacktest.ValidateMessage("", json.RawMessage(`{"type":"section"}`)); !errors.As(err, &r) || r.Code != "invalid_blocks_format" {
		t.Errorf("blocks not an array: %v", err)
	}
}

func TestViewLimits(t *testing.T) {
	x := strings.Repeat
	tests := []struct {
		name     string
		ok, over json.RawMessage
		detail   string
	}{
		{"title", modalJS(x("t", 24), nil, nil), modalJS(x("t", 25), nil, nil), "must be less than 25 characters [json-pointer:/view/title/text]"},
		{"submit", modalJS("t", nil, map[string]any{"submit": plain(x("s", 24))}), modalJS("t", nil, map[string]any{"submit": plain(x("s", 25))}),
			"must be less than 25 characters [json-pointer:/view/submit/text]"},
		{"close", modalJS("t", nil, map[string]any{"close": plain(x("c", 24))}), modalJS("t", nil, map[string]any{"close": plain(x("c", 25))}),
			"must be less than 25 characters [json-pointer:/view/close/text]"},
		{"private_metadata", modalJS("t", nil, map[string]any{"private_metadata": x("m", 3000)}), modalJS("t", nil, map[string]any{"private_metadata": x("m", 3001)}),
			"must be less than 3001 characters [json-pointer:/view/private_metadata]"},
		{"callback_id", modalJS("t", nil, map[string]any{"callback_id": x("c", 255)}), modalJS("t", nil, map[string]any{"callback_id": x("c", 256)}),
			"must be less than 256 characters [json-pointer:/view/callback_id]"},
		{"blocks per view", modalJS("t", blocksOf(100, map[string]any{"type": "divider"}), nil), modalJS("t", blocksOf(101, map[string]any{"type": "divider"}), nil),
			"no more than 100 items allowed [json-pointer:/view/blocks]"},
		{"input max_length", modalJS("t", []any{input(textInput(3000))}, nil), modalJS("t", []any{input(textInput(3001))}, nil),
			"invalid value for field 'max_length' [json-pointer:/view/blocks/0/element]"},
		{"input label", modalJS("t", []any{map[string]any{"type": "input", "label": plain(x("l", 2000)), "element": textInput(10)}}, nil),
			modalJS("t", []any{map[string]any{"type": "input", "label": plain(x("l", 2001)), "element": textInput(10)}}, nil),
			"must be less than 2001 characters [json-pointer:/view/blocks/0/label/text]"},
		{"input hint", modalJS("t", []any{map[string]any{"type": "input", "label": plain("l"), "hint": plain(x("h", 2000)), "element": textInput(10)}}, nil),
			modalJS("t", []any{map[string]any{"type": "input", "label": plain("l"), "hint": plain(x("h", 2001)), "element": textInput(10)}}, nil),
			"must be less than 2001 characters [json-pointer:/view/blocks/0/hint/text]"},
		{"submit with an input", modalJS("t", []any{input(textInput(10))}, nil), modalJS("t", []any{input(textInput(10))}, map[string]any{"submit": nil}),
			"must define `submit` to use an `input` block in modals [json-pointer:/view/blocks/0/input]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := slacktest.ValidateView(tt.ok); err != nil {
				t.Errorf("at the limit: %v", err)
			}
			err := slacktest.ValidateView(tt.over)
			var r *slacktest.Refusal
			if !errors.As(err, &r) || r.Code != "invalid_arguments" {
				t.Fatalf("over the limit: %v, want invalid_arguments", err)
			}
			if !contains(r.Messages, tt.detail) {
				t.Errorf("details %q, want %q", r.Messages, tt.detail)
			}
		})
	}
}

func TestSocketAckLimit(t *testing.T) {
	ack := func(text string) []byte {
		return js(map[string]any{"envelope_id": "e1", "payload": map[string]any{"text": text, "response_type": "ephemeral"}})
	}
	overhead := len(ack(""))
	if err := slacktest.ValidateSocketAck(ack(strings.Repeat("a", slacktest.MaxSocketAck-1-overhead))); err != nil {
		t.Errorf("under 20 KB: %v", err)
	}
	if err := slacktest.ValidateSocketAck(ack(strings.Repeat("a", slacktest.MaxSocketAck-overhead))); err == nil {
		t.Error("an ack of 20 KB passed")
	}
	bad := js(map[string]any{"envelope_id": "e1", "payload": map[string]any{"text": "t", "blocks": []any{section(strings.Repeat("a", 3001))}}})
	var r *slacktest.Refusal
	if err := slacktest.ValidateSocketAck(bad); !errors.As(err, &r) || r.Code != "invalid_blocks" {
		t.Errorf("an ack with an invalid message: %v", err)
	}
}

// The server answers a refusal as Slack does, details included, and
// slack-go hands them to the caller.
func TestRefusalsCarrySlacksDetails(t *testing.T) {
	srv := slacktest.Start(t)
	api := slack.New(srv.Token(), slack.OptionAPIURL(srv.APIURL()))
	ctx := context.Background()
	_, _, err := api.PostMessageContext(ctx, slacktest.DefaultChannelID, slack.MsgOptionText("x", false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, strings.Repeat("*", 3001), false, false), nil, nil)))
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "invalid_blocks" ||
		!contains(se.ResponseMetadata.Messages, "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]") {
		t.Fatalf("post: %#v", err)
	}
	if len(se.Errors) != 1 || se.Errors[0].Message == nil || *se.Errors[0].Message != "must be less than 3001 characters [json-pointer:/blocks/0/text/text]" {
		t.Errorf("errors %+v", se.Errors)
	}
	if got := srv.Calls("chat.postMessage"); len(got) != 1 || got[0].Error != "invalid_blocks" {
		t.Errorf("calls %+v", got)
	}

	input := slack.NewPlainTextInputBlockElement(nil, "text")
	input.MaxLength = 10000
	view := slack.ModalViewRequest{Type: slack.VTModal, Title: slack.NewTextBlockObject(slack.PlainTextType, "Reply", false, false),
		Submit: slack.NewTextBlockObject(slack.PlainTextType, "Send", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewInputBlock("reply", slack.NewTextBlockObject(slack.PlainTextType, "Message", false, false), nil, input)}}}
	_, err = api.OpenViewContext(ctx, srv.NewTriggerID("U1"), view)
	if !errors.As(err, &se) || se.Err != "invalid_arguments" ||
		!contains(se.ResponseMetadata.Messages, "[ERROR] invalid value for field 'max_length' [json-pointer:/view/blocks/0/element]") {
		t.Fatalf("views.open: %#v", err)
	}
	input.MaxLength = 3000
	if _, err := api.OpenViewContext(ctx, srv.NewTriggerID("U1"), view); err != nil {
		t.Errorf("views.open at the limit: %v", err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
