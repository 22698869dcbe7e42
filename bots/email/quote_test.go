package email_test

import (
	"strings"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/bots/email"
)

func TestStripQuotesText(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"gmail es", `Ya reinicié el equipo y sigue igual.

El lun, 30 nov 2026 a las 10:12, Soporte Colombia Informática (<
soporte@colombiainformatica.com>) escribió:

> Hola Ana, ¿puede reiniciar el equipo?
>
> Ticket #1234
`, "Ya reinicié el equipo y sigue igual."},
		{"gmail en", `Still broken after the restart.

On Mon, Nov 30, 2026 at 10:12 AM Soporte <soporte@colombiainformatica.com> wrote:

> Hello Ana, could you restart it?
`, "Still broken after the restart."},
		{"apple es", `Gracias, funciona.

Enviado desde mi iPhone

> El 30 nov 2026, a las 10:12, Soporte <soporte@colombiainformatica.com> escribió:
>
> Por favor pruebe de nuevo.
`, "Gracias, funciona."},
		{"apple en", `Works now, thanks!

> On 30 Nov 2026, at 10:12, Soporte <soporte@colombiainformatica.com> wrote:
> 
> Please try again.
`, "Works now, thanks!"},
		{"outlook es", `Adjunto la captura.

Saludos,
Ana

________________________________
De: Soporte Colombia Informática <soporte@colombiainformatica.com>
Enviado: lunes, 30 de noviembre de 2026 10:12
Para: Ana Pérez <ana@example.test>
Asunto: Re: No imprime [#1234]

Hola Ana, ¿puede enviar una captura?
`, "Adjunto la captura.\n\nSaludos,\nAna"},
		{"outlook desktop es", `Listo.

De: Soporte <soporte@colombiainformatica.com>
Enviado el: lunes, 30 de noviembre de 2026 10:12 a. m.
Para: Ana <ana@example.test>
CC: Jefe <jefe@example.test>
Asunto: RE: No imprime [#1234]

Texto anterior.
`, "Listo."},
		{"outlook en", `Attached.

From: Soporte <soporte@colombiainformatica.com>
Sent: Monday, November 30, 2026 10:12 AM
To: Ana <ana@example.test>
Subject: RE: Printer [#1234]

Earlier text.
`, "Attached."},
		{"mensaje original", `Sí, es correcto.

-----Mensaje original-----
De: Soporte
Texto anterior.
`, "Sí, es correcto."},
		{"original message", `Yes.

-----Original Message-----
From: Soporte
Earlier.
`, "Yes."},
		{"signature", `El error vuelve a salir.

-- 
Ana Pérez
Gerente de TI
Tel. 555 1234
`, "El error vuelve a salir."},
		{"bottom posting keeps the answer", `On Mon, Nov 30, 2026 at 10:12 AM Soporte wrote:
> Could you restart it?

Done, no change.
`, "Done, no change."},
		{"interleaved keeps the answers", `> ¿Qué versión usa?
La 4.2.

> ¿Desde cuándo falla?
Desde ayer.
`, "La 4.2.\n\nDesde ayer."},
		{"all quoted keeps the text", `> only a quote
> nothing new
`, "> only a quote\n> nothing new"},
		{"no quotes", "Una línea.\nOtra línea.", "Una línea.\nOtra línea."},
		{"a line starting with On is not an attribution", "On the server the disk is full.\nPlease help.", "On the server the disk is full.\nPlease help."},
		{"mobile footer", "Recibido.\n\nSent from my Android phone", "Recibido."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := email.StripQuotes(tc.in); got != tc.want {
				t.Errorf("StripQuotes =\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestStripHTMLQuotes(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"gmail es", `<div dir="ltr">Sigue sin imprimir.<div><br></div><div>Ana</div></div><br><div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">El lun, 30 nov 2026 a las 10:12, Soporte (&lt;<a href="mailto:soporte@colombiainformatica.com">soporte@colombiainformatica.com</a>&gt;) escribió:<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex">Hola Ana, ¿puede reiniciar?</blockquote></div>`,
			"Sigue sin imprimir.\n\nAna"},
		{"gmail signature", `<div dir="ltr">Gracias.<br clear="all"><div><br></div><span class="gmail_signature_prefix">-- </span><br><div dir="ltr" class="gmail_signature" data-smartmail="gmail_signature">Ana Pérez<br>Gerente</div></div>`,
			"Gracias."},
		{"apple en", `<html><body style="overflow-wrap: break-word;"><div>It works now.</div><div><br><blockquote type="cite"><div>On 30 Nov 2026, at 10:12, Soporte &lt;soporte@colombiainformatica.com&gt; wrote:</div><br class="Apple-interchange-newline"><div><div>Please try again.</div></div></blockquote></div><br></body></html>`,
			"It works now."},
		{"outlook web es", `<html><body><div style="font-family: Aptos">Adjunto el registro.</div><div id="appendonsend"></div><hr style="display:inline-block;width:98%" tabindex="-1"><div id="divRplyFwdMsg" dir="ltr"><font face="Calibri"><b>De:</b> Soporte &lt;soporte@colombiainformatica.com&gt;<br><b>Enviado:</b> lunes, 30 de noviembre de 2026 10:12<br><b>Para:</b> Ana<br><b>Asunto:</b> Re: Impresora [#1234]</font><div>&nbsp;</div></div><div>Hola Ana, envíe el registro.</div></body></html>`,
			"Adjunto el registro."},
		{"outlook desktop en", `<html><body><div class="WordSection1"><p class="MsoNormal">Done.<o:p></o:p></p><p class="MsoNormal"><o:p>&nbsp;</o:p></p><div><div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm"><p class="MsoNormal"><b>From:</b> Soporte<br><b>Sent:</b> Monday<br><b>To:</b> Ana<br><b>Subject:</b> RE: Printer</p></div></div><p class="MsoNormal">Earlier text.</p></div></body></html>`,
			"Done."},
		{"thunderbird", `<html><body><p>Confirmo.</p><div class="moz-cite-prefix">El 30/11/26 a las 10:12, Soporte escribió:<br></div><blockquote type="cite">Texto anterior.</blockquote></body></html>`,
			"Confirmo."},
		{"plain html", `<p>Hola,</p><p>no <b>funciona</b>.</p>`, "Hola,\n\nno *funciona*."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := email.StripHTMLQuotes(tc.in); got != tc.want {
				t.Errorf("StripHTMLQuotes =\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestNewText(t *testing.T) {
	// A reply with both parts: the text part is used.
	m := parse(t, crlf(`From: ana@example.test
Subject: Re: Impresora [#12]
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary=A

--A
Content-Type: text/plain; charset=utf-8

Nuevo texto.

El lun, 30 nov 2026 a las 10:12, Soporte <soporte@colombiainformatica.com> escribió:
> viejo
--A
Content-Type: text/html; charset=utf-8

<div>Nuevo texto.</div><div class="gmail_quote">viejo</div>
--A--
`))
	if got := m.NewText(); got != "Nuevo texto." {
		t.Errorf("NewText = %q", got)
	}
	// HTML only: the HTML quote blocks are stripped.
	m = parse(t, crlf(`From: ana@example.test
Subject: RE: Impresora
Content-Type: text/html; charset=utf-8

<div>Solo HTML.</div><div id="appendonsend"></div><div id="divRplyFwdMsg"><b>De:</b> x</div><div>viejo</div>
`))
	if got := m.NewText(); got != "Solo HTML." {
		t.Errorf("NewText of an HTML reply = %q", got)
	}
	// A forward keeps what it forwards.
	m = parse(t, crlf(`From: ana@example.test
Subject: RV: Error del sistema
Content-Type: text/plain; charset=utf-8

Mire este error.

-----Mensaje original-----
De: Sistema
Asunto: Error 500

Detalle del error.
`))
	if got := m.NewText(); !strings.Contains(got, "Detalle del error.") {
		t.Errorf("NewText of a forward = %q; want the forwarded text kept", got)
	}
}

// TestStripBoundedTime feeds the strippers large hostile inputs: each
// finishes in well under the generous bound (a quadratic path would not).
func TestStripBoundedTime(t *testing.T) {
	texts := map[string]string{
		"blank lines after a quote": ">a" + strings.Repeat("\n", 200000) + "x",
		"quote runs":                strings.Repeat(">a\n\n", 100000),
		"attributions":              strings.Repeat("On x\nwrote:\n", 50000),
		"header fields":             strings.Repeat("From: a\n", 100000),
		"one long line":             strings.Repeat("El ", 300000),
	}
	htmls := map[string]string{
		"nested divs":        strings.Repeat("<div>", 20000) + "x",
		"nested blockquotes": strings.Repeat("<blockquote type=cite>", 20000) + "x",
		"nested tables":      strings.Repeat("<table><tr><td>", 3000) + "x",
		"many cuts":          strings.Repeat(`<div id="appendonsend"></div><p>x</p>`, 20000),
	}
	check := func(name string, f func()) {
		done := make(chan time.Duration, 1)
		go func() {
			start := time.Now()
			f()
			done <- time.Since(start)
		}()
		select {
		case d := <-done:
			t.Logf("%s: %s", name, d)
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: still running after 10 s", name)
		}
	}
	for name, s := range texts {
		check(name, func() { email.StripQuotes(s) })
	}
	for name, s := range htmls {
		check(name, func() { email.StripHTMLQuotes(s) })
	}
}
