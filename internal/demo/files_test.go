package demo

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/colombiainformatica/ticketbot/bots/slack/slacktest"
)

// The agent pane names the files shared in a message.
func TestSlackPaneNamesFiles(t *testing.T) {
	ms := (&Server{}).slackMessages([]slacktest.Message{{TS: "1.000100", User: "U1",
		Files: []slacktest.File{{ID: "F1", Name: "captura.png"}}}}, map[string]string{"U1": "Ana"})
	raw, _ := json.Marshal(ms)
	if !strings.Contains(string(raw), `"files":["captura.png"]`) {
		t.Fatalf("agent pane message: %s", raw)
	}
}
