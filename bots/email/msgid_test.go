package email_test

import (
	"strings"
	"testing"

	"github.com/colombiainformatica/ticketbot/bots/email"
)

const domain = "colombiainformatica.com"

func newIDs(t *testing.T, secret string, previous ...string) *email.IDs {
	t.Helper()
	var prev [][]byte
	for _, p := range previous {
		prev = append(prev, []byte(p))
	}
	ids, err := email.NewIDs(domain, []byte(secret), prev...)
	if err != nil {
		t.Fatalf("NewIDs: %v", err)
	}
	return ids
}

func TestMessageIDRoundTrip(t *testing.T) {
	ids := newIDs(t, "a secret of thirty-two bytes....")
	id := ids.MessageID(1234, "ack")
	if !strings.HasPrefix(id, "t1234.ack.") || !strings.HasSuffix(id, "@"+domain) || strings.ContainsAny(id, "<> ") {
		t.Fatalf("MessageID = %q", id)
	}
	if again := ids.MessageID(1234, "ack"); again != id {
		t.Errorf("MessageID is not stable: %q then %q", id, again)
	}
	if other := ids.MessageID(1234, "r1"); other == id {
		t.Error("two parts share an ID")
	}
	for _, v := range []string{id, "<" + id + ">", " <" + strings.ToUpper(id[:strings.IndexByte(id, '@')]) + "@" + domain + "> "} {
		n, ok := ids.Verify(v)
		if v == " <"+strings.ToUpper(id[:strings.IndexByte(id, '@')])+"@"+domain+"> " {
			// The local part is case-sensitive: an upper-cased copy is not ours.
			if ok {
				t.Errorf("Verify(%q) accepted an altered local part", v)
			}
			continue
		}
		if !ok || n != 1234 {
			t.Errorf("Verify(%q) = %d, %v; want 1234, true", v, n, ok)
		}
	}
	if got := ids.MessageID(7, "Évènement 17/x y"); !strings.HasPrefix(got, "t7.v-nement-17-x-y.") {
		t.Errorf("part not sanitised: %q", got)
	}
}

func TestMessageIDForgery(t *testing.T) {
	ids := newIDs(t, "a secret of thirty-two bytes....")
	real := ids.MessageID(1234, "ack")
	local, _, _ := strings.Cut(real, "@")
	tag := local[strings.LastIndexByte(local, '.')+1:]
	attacker := newIDs(t, "the attacker's own secret, 32 b.")
	for name, forged := range map[string]string{
		"another ticket, same tag":   "t1235.ack." + tag + "@" + domain,
		"another part, same tag":     "t1234.r9." + tag + "@" + domain,
		"another domain":             local + "@example.com",
		"guessed tag":                "t1234.ack.aaaaaaaaaaaaaaaaaaaa@" + domain,
		"tag flipped in one place":   local[:len(local)-1] + flip(local[len(local)-1]) + "@" + domain,
		"short tag":                  "t1234.ack." + tag[:10] + "@" + domain,
		"other secret":               attacker.MessageID(1234, "ack"),
		"leading zero":               "t01234.ack." + tag + "@" + domain,
		"no tag":                     "t1234.ack@" + domain,
		"empty":                      "",
		"angle brackets only":        "<>",
		"subdomain":                  local + "@mail." + domain,
		"our domain inside the name": local + "@" + domain + ".evil.test",
	} {
		if n, ok := ids.Verify(forged); ok {
			t.Errorf("%s: Verify(%q) = %d, true; want false", name, forged, n)
		}
	}
}

func flip(c byte) string {
	if c == 'a' {
		return "b"
	}
	return "a"
}

func TestMessageIDRotation(t *testing.T) {
	old := newIDs(t, "the old secret, thirty-two bytes")
	id := old.MessageID(5, "ack")
	rotated := newIDs(t, "the new secret, thirty-two bytes", "the old secret, thirty-two bytes")
	if n, ok := rotated.Verify(id); !ok || n != 5 {
		t.Errorf("an ID under the previous secret: %d, %v", n, ok)
	}
	if fresh := rotated.MessageID(5, "ack"); fresh == id {
		t.Error("new IDs still use the old secret")
	}
	if _, ok := newIDs(t, "the new secret, thirty-two bytes").Verify(id); ok {
		t.Error("a dropped secret still verifies")
	}
}

func TestNewIDsRefusesWeakConfig(t *testing.T) {
	if _, err := email.NewIDs(domain, []byte("short")); err == nil {
		t.Error("a 5-byte secret was accepted")
	}
	for _, d := range []string{"", "localhost", "bad domain.com", "a@b.com"} {
		if _, err := email.NewIDs(d, []byte("a secret of thirty-two bytes....")); err == nil {
			t.Errorf("domain %q was accepted", d)
		}
	}
}

func TestThreadFindsTicket(t *testing.T) {
	ids := newIDs(t, "a secret of thirty-two bytes....")
	ack, reply := ids.MessageID(12, "ack"), ids.MessageID(12, "r3")
	m := parse(t, crlf("From: ana@example.test\nSubject: Re: x\nMessage-ID: <c2@example.test>\nIn-Reply-To: <"+reply+
		">\nReferences: <c1@example.test> <"+ack+"> <"+reply+">\n\nok\n"))
	if n, ok := ids.Thread(m); !ok || n != 12 {
		t.Errorf("Thread = %d, %v; want 12", n, ok)
	}
	// A reply to the customer's own earlier mail still carries ours in References.
	m = parse(t, crlf("From: ana@example.test\nIn-Reply-To: <c1@example.test>\nReferences: <"+ack+"> <c1@example.test>\n\nok\n"))
	if n, ok := ids.Thread(m); !ok || n != 12 {
		t.Errorf("Thread via References = %d, %v; want 12", n, ok)
	}
	// A forged In-Reply-To leads nowhere.
	m = parse(t, crlf("From: mallory@example.test\nIn-Reply-To: <t12.ack.aaaaaaaaaaaaaaaaaaaa@"+domain+">\n\nhi\n"))
	if n, ok := ids.Thread(m); ok {
		t.Errorf("a forged In-Reply-To matched ticket %d", n)
	}
}

func TestSubjectTag(t *testing.T) {
	for subject, want := range map[string]int64{
		"Re: Impresora [#1234]":             1234,
		"RE: RE: [#12] viejo [#1234] nuevo": 1234,
		"Re: sin número":                    0,
		"[#0]":                              0,
		"[# 12]":                            0,
		"[#99999999999999999999]":           0,
	} {
		n, ok := email.SubjectTicket(subject)
		if n != want || ok != (want != 0) {
			t.Errorf("SubjectTicket(%q) = %d, %v; want %d", subject, n, ok, want)
		}
	}
	for in, want := range map[string]string{
		"Impresora no imprime":         "Re: Impresora no imprime [#42]",
		"RE: Re: Impresora [#42]":      "Re: Impresora [#42]",
		"RV: Fwd: Impresora":           "Re: Impresora [#42]",
		"":                             "Re: [#42]",
		"AW: Drucker\n kaputt":         "Re: Drucker kaputt [#42]",
		"Re: Otra [#41] cosa":          "Re: Otra [#41] cosa [#42]",
		"Respuesta: no es un prefijo ": "Re: Respuesta: no es un prefijo [#42]",
	} {
		if got := email.ReplySubject(in, 42); got != want {
			t.Errorf("ReplySubject(%q) = %q; want %q", in, got, want)
		}
	}
}
