package tickets_test

import (
	"encoding/json"
	"testing"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// Attachments stored before Source existed read as held by the customer's
// platform, and a customer's attachment is written as compactly as before.
func TestAttachmentJSON(t *testing.T) {
	var old tickets.Attachment
	if err := json.Unmarshal([]byte(`{"k":"photo","f":"AgAD","s":1200}`), &old); err != nil {
		t.Fatal(err)
	}
	c := tickets.Customer{Platform: "telegram"}
	if old.Source != "" || old.HeldBy(c) != "telegram" {
		t.Errorf("old record: %+v held by %q", old, old.HeldBy(c))
	}
	raw, _ := json.Marshal(old)
	if string(raw) != `{"k":"photo","f":"AgAD","s":1200}` {
		t.Errorf("customer attachment written as %s", raw)
	}
	agent := tickets.Attachment{Kind: "document", FileID: "F1", Name: "a.pdf", Size: 9, Source: "slack"}
	raw, _ = json.Marshal(agent)
	var back tickets.Attachment
	if err := json.Unmarshal(raw, &back); err != nil || back != agent || back.HeldBy(c) != "slack" {
		t.Errorf("agent attachment %s read back as %+v", raw, back)
	}
}
