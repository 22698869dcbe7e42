package email_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/charmap"

	"github.com/colombiainformatica/ticketbot/bots/email"
)

// crlf turns a test mail written with \n into one with CRLF line ends.
func crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }

func parse(t *testing.T, raw []byte) *email.Mail {
	t.Helper()
	m, err := email.Parse(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

func latin1(s string) string {
	b, err := charmap.ISO8859_1.NewEncoder().String(s)
	if err != nil {
		panic(err)
	}
	return b
}

func win1252(s string) string {
	b, err := charmap.Windows1252.NewEncoder().String(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestParseHeaders(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString([]byte(win1252("Cotización 2026 – €300 señor")))
	raw := crlf(`From: =?ISO-8859-1?Q?Jos=E9_Nu=F1ez?= <JOSE.Nunez@Example.COM>
To: Soporte <soporte@colombiainformatica.com>, otro@example.test
Cc: "Pérez, Ana" <ana@example.test>
Subject: =?ISO-8859-1?Q?Informaci=F3n_del_a=F1o?= y =?windows-1252?B?` + b64 + `?=
Message-ID: <abc.123@mail.example.com>
In-Reply-To: <t1.ack.x@colombiainformatica.com>
References: <first@example.com>
 <t1.ack.x@colombiainformatica.com>
Date: Mon, 30 Nov 2026 10:11:12 -0500
Content-Language: en-US, es
Auto-Submitted: no
Content-Type: text/plain; charset=utf-8

Hola
`)
	m := parse(t, raw)
	want := struct {
		From       email.Address
		To, Cc     []email.Address
		Subject    string
		MessageID  string
		InReplyTo  []string
		References []string
		Date       time.Time
		Language   string
		Auto       string
	}{
		From:       email.Address{Name: "José Nuñez", Address: "jose.nunez@example.com"},
		To:         []email.Address{{Name: "Soporte", Address: "soporte@colombiainformatica.com"}, {Address: "otro@example.test"}},
		Cc:         []email.Address{{Name: "Pérez, Ana", Address: "ana@example.test"}},
		Subject:    "Información del año y Cotización 2026 – €300 señor",
		MessageID:  "abc.123@mail.example.com",
		InReplyTo:  []string{"t1.ack.x@colombiainformatica.com"},
		References: []string{"first@example.com", "t1.ack.x@colombiainformatica.com"},
		Date:       time.Date(2026, 11, 30, 15, 11, 12, 0, time.UTC),
		Language:   "en-us",
		Auto:       "no",
	}
	got := want
	got.From, got.To, got.Cc, got.Subject, got.MessageID = m.From, m.To, m.Cc, m.Subject, m.MessageID
	got.InReplyTo, got.References, got.Date, got.Language, got.Auto = m.InReplyTo, m.References, m.Date.UTC(), m.Language, m.Get("Auto-Submitted")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parsed headers (-want +got):\n%s", diff)
	}
	if m.Text != "Hola\n" {
		t.Errorf("Text = %q", m.Text)
	}
}

func TestParseMessageIDMissingOrEmpty(t *testing.T) {
	for name, header := range map[string]string{
		"missing": "",
		"empty":   "Message-ID: \n",
		"angles":  "Message-ID: <>\n",
		"spaces":  "Message-ID: <  >\n",
	} {
		m := parse(t, crlf("From: a@example.test\n"+header+"Subject: x\n\nbody\n"))
		if m.MessageID != "" {
			t.Errorf("%s: MessageID = %q; want empty", name, m.MessageID)
		}
		if irt, refs := m.Thread(); irt != "" || len(refs) != 0 {
			t.Errorf("%s: Thread() = %q, %q; want nothing", name, irt, refs)
		}
	}
	// Brackets left out by a sloppy client still give the ID.
	m := parse(t, crlf("From: a@example.test\nMessage-ID: bare@example.test\n\nx\n"))
	if m.MessageID != "bare@example.test" {
		t.Errorf("bare Message-ID = %q", m.MessageID)
	}
}

func TestParseBodyCharsets(t *testing.T) {
	for _, tc := range []struct {
		name, ctype, cte, body, want string
	}{
		{"latin-1 quoted-printable", "text/plain; charset=ISO-8859-1", "quoted-printable", "Ma=F1ana a las 8, se=F1or P=E9rez.", "Mañana a las 8, señor Pérez."},
		{"windows-1252 8bit", "text/plain; charset=windows-1252", "8bit", win1252("“Cotización” – año €"), "“Cotización” – año €"},
		{"utf-8 base64", "text/plain; charset=utf-8", "base64", base64.StdEncoding.EncodeToString([]byte("¿Dónde está el niño?")), "¿Dónde está el niño?"},
		{"latin-1 labelled us-ascii", "text/plain; charset=us-ascii", "8bit", latin1("Información de la señora, mañana por la mañana, después del almuerzo, con el técnico de siempre."), "Información de la señora, mañana por la mañana, después del almuerzo, con el técnico de siempre."},
		{"latin-1 without charset", "text/plain", "8bit", latin1("El camión llegó."), "El camión llegó."},
		{"latin-1 labelled utf-8", "text/plain; charset=utf-8", "8bit", latin1("Canción de cuna, añejo."), "Canción de cuna, añejo."},
		{"unknown charset", "text/plain; charset=x-no-such-charset", "8bit", "plain words", "plain words"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := crlf("From: a@example.test\nSubject: x\nMIME-Version: 1.0\nContent-Type: " + tc.ctype +
				"\nContent-Transfer-Encoding: " + tc.cte + "\n\n" + tc.body + "\n")
			m := parse(t, raw)
			if !utf8.ValidString(m.Text) {
				t.Fatalf("Text is not UTF-8: %q", m.Text)
			}
			if got := strings.TrimSpace(m.Text); got != tc.want {
				t.Errorf("Text = %q; want %q", got, tc.want)
			}
		})
	}
}

func TestParseEightBitSubject(t *testing.T) {
	// Raw Latin-1 bytes in a header, as old clients send them.
	m := parse(t, []byte("From: a@example.test\r\nSubject: "+latin1("Revisión del año")+"\r\n\r\nx\r\n"))
	if m.Subject != "Revisión del año" {
		t.Errorf("Subject = %q", m.Subject)
	}
}

const nested = `From: Ana <ana@example.test>
To: soporte@colombiainformatica.com
Subject: nested
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="MIX"

--MIX
Content-Type: multipart/alternative; boundary="ALT"

--ALT
Content-Type: text/plain; charset=utf-8

Ver la imagen.
--ALT
Content-Type: multipart/related; boundary="REL"

--REL
Content-Type: text/html; charset=utf-8

<p>Ver la <b>imagen</b>: <img src="cid:img1@ex"></p>
--REL
Content-Type: image/png
Content-ID: <img1@ex>
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--REL--
--ALT--
--MIX
Content-Type: application/pdf; name="=?UTF-8?Q?cotizaci=C3=B3n.pdf?="
Content-Disposition: attachment; filename*=UTF-8''informe%20a%C3%B1o%202026.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--MIX
Content-Type: application/octet-stream
Content-Disposition: attachment;
 filename*0*=iso-8859-1''Presupuesto%20;
 filename*1*=se%F1or.xlsx
Content-Transfer-Encoding: base64

UEsDBA==
--MIX
Content-Type: image/jpeg; name="=?UTF-8?Q?fotograf=C3=ADa.jpg?="
Content-Disposition: attachment
Content-Transfer-Encoding: base64

/9j/4A==
--MIX
Content-Type: application/ms-tnef; name="winmail.dat"
Content-Disposition: attachment; filename="winmail.dat"
Content-Transfer-Encoding: base64

eJ8+IgAAAQ==
--MIX
Content-Type: application/ms-tnef
Content-Transfer-Encoding: base64

eJ8+IgAAAQ==
--MIX
Content-Type: message/rfc822

From: Jefe <jefe@example.test>
Subject: =?UTF-8?Q?Factura_de_diciembre_=E2=80=94_se=C3=B1or?=
Message-ID: <inner@example.test>

El texto del correo adjunto.
--MIX
Content-Type: text/plain; name="../../etc/passwd"
Content-Disposition: attachment; filename="..\\..\\evil<name>.txt"

x
--MIX--
`

func TestParseNestedAttachments(t *testing.T) {
	m := parse(t, crlf(nested))
	if got := strings.TrimSpace(m.Text); got != "Ver la imagen." || m.TextFromHTML {
		t.Errorf("Text = %q (from HTML %v); want the text/plain part", got, m.TextFromHTML)
	}
	if !strings.Contains(m.HTML, `cid:img1@ex`) {
		t.Errorf("HTML = %q", m.HTML)
	}
	type att struct {
		Name, ContentType, ContentID string
		Inline                       bool
		Size                         int64
	}
	var got []att
	for _, a := range m.Attachments {
		got = append(got, att{a.Name, a.ContentType, a.ContentID, a.Inline, a.Size})
	}
	want := []att{
		{"attachment-1.png", "image/png", "img1@ex", true, 8},
		{"informe año 2026.pdf", "application/pdf", "", false, 9},
		{"Presupuesto señor.xlsx", "application/octet-stream", "", false, 4},
		{"fotografía.jpg", "image/jpeg", "", false, 4},
		{"winmail.dat", "application/ms-tnef", "", false, 7},
		{"winmail.dat", "application/ms-tnef", "", false, 7},
		{"Factura de diciembre — señor.eml", "message/rfc822", "", false, int64(len(m.Attachments[6].Content))},
		{"evilname.txt", "text/plain", "", false, 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("attachments (-want +got):\n%s", diff)
	}
	if eml := m.Attachments[6].Content; !bytes.Contains(eml, []byte("Message-ID: <inner@example.test>")) {
		t.Errorf("the attached mail's content = %q", eml)
	}
	inner, err := email.Parse(m.Attachments[6].Open())
	if err != nil || inner.MessageID != "inner@example.test" || strings.TrimSpace(inner.Text) != "El texto del correo adjunto." {
		t.Errorf("the attached mail parses to %+v, %v", inner, err)
	}
}

func TestParseHTMLOnly(t *testing.T) {
	m := parse(t, crlf(`From: a@example.test
Subject: html
Content-Type: text/html; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

<html><head><style>p{color:red}</style></head><body><p>Buenos d=EDas,</p><p>el servidor <b>no arranca</b>.<br>Ver <a href=3D"https://example.test/x">el registro</a>.</p><script>alert(1)</script></body></html>
`))
	if !m.TextFromHTML {
		t.Error("TextFromHTML = false")
	}
	for _, want := range []string{"Buenos días,", "no arranca", "el registro", "https://example.test/x"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("Text %q lacks %q", m.Text, want)
		}
	}
	for _, bad := range []string{"<p>", "color:red", "alert"} {
		if strings.Contains(m.Text, bad) {
			t.Errorf("Text %q holds %q", m.Text, bad)
		}
	}
}

func TestParseManyAttachments(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: a@example.test\nSubject: muchos\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\nadjuntos\n")
	const n = 75
	for i := range n {
		fmt.Fprintf(&b, "--B\nContent-Type: text/csv\nContent-Disposition: attachment; filename=\"datos-%02d.csv\"\n\nfila,%d\n", i, i)
	}
	b.WriteString("--B--\n")
	m := parse(t, crlf(b.String()))
	if len(m.Attachments) != n {
		t.Fatalf("%d attachments; want %d", len(m.Attachments), n)
	}
	for i, a := range m.Attachments {
		if want := fmt.Sprintf("datos-%02d.csv", i); a.Name != want || !strings.HasPrefix(string(a.Content), fmt.Sprintf("fila,%d", i)) {
			t.Errorf("attachment %d = %q %q; want %q", i, a.Name, a.Content, want)
		}
	}
}

func TestParseLimits(t *testing.T) {
	body := strings.Repeat("x", 2000)
	raw := crlf("From: a@example.test\nSubject: big\n\n" + body + "\n")
	_, err := email.Parser{MaxSize: 1000}.Parse(bytes.NewReader(raw))
	var tl *email.TooLargeError
	if !errors.Is(err, email.ErrTooLarge) || !errors.As(err, &tl) || tl.Limit != 1000 {
		t.Errorf("over the cap: %v; want a *TooLargeError with Limit 1000", err)
	}
	if _, err := (email.Parser{MaxSize: int64(len(raw))}).Parse(bytes.NewReader(raw)); err != nil {
		t.Errorf("exactly at the cap: %v", err)
	}

	var b strings.Builder
	b.WriteString("From: a@example.test\nContent-Type: multipart/mixed; boundary=B\n\n")
	for range 30 {
		b.WriteString("--B\nContent-Type: text/plain\n\nx\n")
	}
	b.WriteString("--B--\n")
	if _, err := (email.Parser{MaxParts: 10}).Parse(bytes.NewReader(crlf(b.String()))); !errors.Is(err, email.ErrUnreadable) {
		t.Errorf("over the part cap: %v; want ErrUnreadable", err)
	}
	for _, in := range []string{"", "\r\n\r\n", "   "} {
		if _, err := email.Parse(strings.NewReader(in)); !errors.Is(err, email.ErrUnreadable) {
			t.Errorf("Parse(%q) = %v; want ErrUnreadable", in, err)
		}
	}
}

func TestParseMalformed(t *testing.T) {
	for name, raw := range map[string]string{
		"no boundary":        "From: a@example.test\nContent-Type: multipart/mixed\n\nbody\n",
		"unclosed multipart": "From: a@example.test\nContent-Type: multipart/mixed; boundary=Z\n\n--Z\nContent-Type: text/plain\n\nhola\n",
		"bad base64":         "From: a@example.test\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n!!!not base64***\n",
		"bad address":        "From: <<<@@@>>> broken \"\nSubject: x\n\nhola\n",
		"headers only":       "From: a@example.test\nSubject: nothing else\n",
		"no headers":         "just a line of text\n",
	} {
		t.Run(name, func(t *testing.T) {
			m, err := email.Parse(bytes.NewReader(crlf(raw)))
			if err != nil {
				if !errors.Is(err, email.ErrUnreadable) {
					t.Fatalf("error %v does not match ErrUnreadable", err)
				}
				return
			}
			if !utf8.ValidString(m.Text) || !utf8.ValidString(m.Subject) {
				t.Errorf("not UTF-8: %q %q", m.Subject, m.Text)
			}
		})
	}
}
