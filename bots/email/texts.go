package email

import (
	"fmt"
	"strings"
)

// texts are what the e-mail channel writes to customers, in one language.
// None of them gives an estimate of when an answer comes: e-mail requests
// have no ETA (policy §3).
type texts struct {
	Hello        string // name
	HelloNoName  string
	AckF         string // number
	NoETA        string
	FollowF      string // number
	Faster       string
	FasterURLF   string // url
	TermsF       string // version, url
	PrivacyF     string // version, url
	Signature    string
	ClaimedF     string // number, agent
	ReleasedF    string // number
	WaitingF     string // number
	ResumedF     string // number
	ResolvedF    string // number
	ClosedF      string // number
	ReopenedF    string // number
	ReplyF       string // number, agent
	NotAttached  string // file name
	TooLargeF    string // size, limit
	LostF        string // subject
	FollowAgainF string // number
}

var spanish = texts{
	Hello:       "Hola %s:",
	HelloNoName: "Hola:",
	AckF:        "Recibimos su solicitud y abrimos el ticket #%d.",
	NoETA: "Las solicitudes por correo electrónico se atienden, pero no tienen un tiempo estimado " +
		"de respuesta (sin ETA).",
	FollowF:    "Para seguir su ticket, responda a este correo: su respuesta se añade al ticket #%d.",
	Faster:     "Para una respuesta más rápida, le recomendamos nuestro sistema de tickets en Telegram.",
	FasterURLF: "Para una respuesta más rápida, le recomendamos nuestro sistema de tickets en Telegram: %s",
	TermsF:     "Al enviar su solicitud, usted acepta nuestros términos y condiciones (versión %s): %s",
	PrivacyF: "y autoriza el tratamiento de sus datos personales (Ley 1581 de 2012) según nuestro aviso de privacidad " +
		"(versión %s): %s. Para conocer sus datos o pedir que se borren, escríbanos.",
	Signature:    "Soporte técnico",
	ClaimedF:     "Su ticket #%d está siendo atendido por %s.",
	ReleasedF:    "Su ticket #%d volvió a la cola; lo atenderá el próximo agente disponible.",
	WaitingF:     "El agente espera su respuesta en el ticket #%d. Responda a este correo.",
	ResumedF:     "Su ticket #%d sigue en atención.",
	ResolvedF:    "Su ticket #%d fue marcado como resuelto. Si el problema continúa, responda a este correo y lo reabriremos.",
	ClosedF:      "Su ticket #%d fue cerrado. Si necesita algo más, escríbanos: abriremos un ticket nuevo.",
	ReopenedF:    "Su ticket #%d fue reabierto y volvió a la cola.",
	ReplyF:       "%[2]s respondió en su ticket #%[1]d:",
	NotAttached:  "(El archivo «%s» no se pudo adjuntar).",
	TooLargeF:    "Su correo pesa %s, más de los %s que podemos recibir, y no lo abrimos. Envíelo de nuevo sin los archivos más grandes (por ejemplo, con un enlace para descargarlos).",
	LostF:        "No pudimos registrar su correo «%s». Por favor, envíelo de nuevo.",
	FollowAgainF: "Responda a este correo para escribir en el ticket #%d.",
}

var english = texts{
	Hello:       "Hello %s,",
	HelloNoName: "Hello,",
	AckF:        "We received your request and opened ticket #%d.",
	NoETA:       "Requests by e-mail are handled, but they have no estimated response time (no ETA).",
	FollowF:     "To follow your ticket, reply to this e-mail: your answer is added to ticket #%d.",
	Faster:      "For a faster answer, we recommend our ticket system on Telegram.",
	FasterURLF:  "For a faster answer, we recommend our ticket system on Telegram: %s",
	TermsF:      "By sending your request you accept our terms and conditions (version %s): %s",
	PrivacyF: "and authorize the processing of your personal data (Colombian Law 1581 of 2012) under our privacy notice " +
		"(version %s): %s. To know your data or ask for its deletion, write to us.",
	Signature:    "Technical support",
	ClaimedF:     "Your ticket #%d is being handled by %s.",
	ReleasedF:    "Your ticket #%d is back in the queue; the next available agent will take it.",
	WaitingF:     "The agent is waiting for your answer on ticket #%d. Reply to this e-mail.",
	ResumedF:     "Your ticket #%d is being worked on again.",
	ResolvedF:    "Your ticket #%d was marked as resolved. If the problem persists, reply to this e-mail and we will reopen it.",
	ClosedF:      "Your ticket #%d was closed. If you need anything else, write to us: we will open a new ticket.",
	ReopenedF:    "Your ticket #%d was reopened and is back in the queue.",
	ReplyF:       "%[2]s answered on your ticket #%[1]d:",
	NotAttached:  "(The file \"%s\" could not be attached.)",
	TooLargeF:    "Your e-mail is %s, more than the %s we can receive, so we did not open it. Please send it again without the largest files (for example with a link to download them).",
	LostF:        "We could not record your e-mail \"%s\". Please send it again.",
	FollowAgainF: "Reply to this e-mail to write on ticket #%d.",
}

// textsFor returns the texts of lang ("en" or, by default, Spanish).
func textsFor(lang string) *texts {
	if lang == "en" {
		return &english
	}
	return &spanish
}

// greeting is the first line of a mail to name.
func (t *texts) greeting(name string) string {
	if name = strings.TrimSpace(name); name == "" || strings.Contains(name, "@") {
		return t.HelloNoName
	}
	return fmt.Sprintf(t.Hello, name)
}

// humanSize renders n bytes as people read it: 812 KB, 31.5 MB.
func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// langOf reads a Content-Language tag ("en-US", "es") as a language the
// product speaks, or "" for any other.
func langOf(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	switch {
	case tag == "en" || strings.HasPrefix(tag, "en-"):
		return "en"
	case tag == "es" || strings.HasPrefix(tag, "es-"):
		return "es"
	}
	return ""
}
