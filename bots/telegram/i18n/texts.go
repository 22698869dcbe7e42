// Package i18n holds the Telegram adapter's words in Spanish and English:
// a catalogue of texts (HTML, every argument from a user escaped by the
// caller) and the few functions that choose among them. It holds no logic
// of the conversation.
package i18n

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// Texts are the bot's words in one language. Fields ending in F are
// fmt formats; every argument that comes from a user is HTML-escaped by the
// caller. Texts are HTML (parse_mode=HTML).
type Texts struct {
	GreetingF      string // name
	Policy         string // two lines; %s: support e-mail
	TermsAskF      string // terms version, terms url, privacy version, privacy url
	TermsButton    string
	TermsAcceptedF string // terms version, privacy version
	TermsAlready   string
	TermsNeeded    string
	// The holder's rights (Ley 1581 de 2012): /mydata and /deletedata.
	DataHeaderF      string // customer key, name, language
	DataTermsF       string // terms version, when
	DataPrivacyF     string // privacy version, when, privacy url
	DataNoConsent    string
	DataNoTickets    string
	DataTicketF      string // number, subject, status, created, messages
	DataErasedF      string // number, status, created
	DataMessageF     string // when, who, text
	DataFilesF       string // count
	DataNotes        string
	DeleteAskF       string // active tickets
	DeleteButton     string
	DeleteDone       string
	DeleteNothing    string
	AskNature        string
	AskUrgency       string
	AskDescription   string
	ChooseAbove      string
	AttachedF        string // count
	AttachCapF       string // the form's cap, files not attached
	NatureChosenF    string // label
	UrgencyChosenF   string // label
	CreatedF         string // number, priority
	PositionF        string // position, length
	NotQueued        string
	EstimateF        string // duration
	EstimateUnknown  string
	NoETA            string
	Canceled         string
	NothingToCancel  string
	NoTickets        string
	TicketsHeader    string
	TicketLineF      string // number, subject, status, age
	StatusTitleF     string // number, subject
	StatusLineF      string // status
	PriorityLineF    string // priority
	AssigneeF        string // name
	RatingF          string // stars
	LastMessages     string
	You              string
	Support          string
	NotFoundF        string // number
	StatusUsage      string
	AddedToF         string // number
	WhichTicket      string
	WhichTicketMoreF string // shown, of how many
	NoOpenTicket     string
	CloseButton      string
	ReopenButton     string
	StatusButtonF    string // number
	RateThanksF      string // number, stars
	CommentSavedF    string // number
	Expired          string
	Done             string
	HelpF            string // e-mail, e-mail, website
	UnknownCommand   string
	Flood            string
	LanguageAsk      string
	LanguageSet      string
	Internal         string
	LostMessage      string // an update given up (inbound dead letter)
	LostAlbum        string // an album given up
	TooLongF         string // max
	// The core's refusals a customer can cause (tickets.Error.Reason).
	ErrTransitionF   string // number, status
	ErrInactiveF     string // number, status
	ErrTooLong       string
	ErrAttachmentsF  string // max
	ErrEmpty         string
	ErrTermsOutdated string
	ErrRating        string
	ErrNotRateableF  string // number
	ErrRatedF        string // number
	NotPossible      string // any other refusal
	PushClaimedF     string // number, agent
	PushReleasedF    string
	PushWaitingF     string
	PushResumedF     string
	PushResolvedF    string
	PushClosedF      string
	PushReopenedF    string
	PushPriorityF    string // number, old, new
	PushReplyF       string // number, agent
	FileTooBigF      string // file name, size: an agent's file too large for bots to send
	FileNotSentF     string // file name: an agent's file that could not be sent
	AgoF             string // duration
	Natures          map[tickets.Nature]string
	Urgencies        map[tickets.Urgency]string
	Statuses         map[tickets.Status]string
	Units            [3][2]string // minute(s), hour(s), day(s): singular, plural
	Commands         []command
	Cap              *CapTexts // the cap on active tickets (cap.go)
}

type command struct{ Name, Description string }

var textsByLang = map[string]*Texts{
	"es": {
		Cap:       capTexts["es"],
		GreetingF: "¡Hola, %s! Soy el asistente de soporte técnico de <b>Colombia Informática</b>.",
		Policy:    "📋 Atendemos las solicitudes en orden de llegada, priorizadas por urgencia y naturaleza del problema.\nLos tiempos que mostramos son estimaciones, no garantías; por correo (%s) no hay tiempo estimado de respuesta.",
		TermsAskF: "Para abrir tickets debe aceptar los términos y condiciones (versión %s): %s\n" +
			"y autorizar el tratamiento de sus datos personales (Ley 1581 de 2012) según nuestro aviso de privacidad (versión %s): %s\n" +
			"Puede consultar sus datos con /misdatos y pedir que se borren con /borrardatos.",
		TermsButton:      "✅ Acepto los términos y autorizo el tratamiento de mis datos",
		TermsAcceptedF:   "Términos aceptados (versión %s) y tratamiento de datos autorizado (aviso de privacidad versión %s). Use /new para abrir un ticket.",
		TermsAlready:     "Ya aceptó los términos vigentes. Use /new para abrir un ticket o /help para ver la ayuda.",
		TermsNeeded:      "Antes de abrir un ticket debe aceptar los términos vigentes.",
		DataHeaderF:      "<b>Sus datos en ticketbot</b> (Ley 1581 de 2012)\nCliente: %s\nNombre: %s\nIdioma: %s",
		DataTermsF:       "Términos aceptados: versión %s, %s",
		DataPrivacyF:     "Tratamiento de datos autorizado: aviso de privacidad versión %s, %s (%s)",
		DataNoConsent:    "No ha aceptado los términos ni autorizado el tratamiento de sus datos.",
		DataNoTickets:    "No tiene tickets.",
		DataTicketF:      "<b>Ticket #%d</b> — %s\nEstado: %s · abierto %s · %d mensajes",
		DataErasedF:      "<b>Ticket #%d</b> — datos borrados a su solicitud\nEstado: %s · abierto %s",
		DataMessageF:     "%s · %s: %s",
		DataFilesF:       " [%d archivo(s)]",
		DataNotes:        "Las notas internas del equipo de soporte no forman parte de esta vista. Para pedir que se borren sus datos use /borrardatos.",
		DeleteAskF:       "¿Borrar todos sus datos de ticketbot? Sus tickets activos (%d) se cerrarán; se borrarán sus tickets, conversaciones, los archivos copiados para el equipo de soporte y su perfil, incluida su autorización. Solo se conservan datos no personales para estadísticas (número, tipo, prioridad, fechas, calificación). No se puede deshacer. El botón vence en 10 minutos.",
		DeleteButton:     "🗑 Sí, borrar mis datos",
		DeleteDone:       "Sus datos fueron borrados. Si vuelve a escribir, le pediremos otra vez aceptar los términos y autorizar el tratamiento de sus datos.",
		DeleteNothing:    "ticketbot no guarda datos suyos.",
		AskNature:        "🆕 Nuevo ticket. ¿Cuál es la naturaleza del problema?",
		AskUrgency:       "¿Qué tan urgente es?",
		AskDescription:   "Describa el problema con el mayor detalle posible. Antes de enviar la descripción puede adjuntar fotos, documentos o notas de voz. /cancel para cancelar.",
		ChooseAbove:      "Elija una opción con los botones del mensaje anterior, o /cancel para cancelar.",
		AttachedF:        "📎 Adjuntos recibidos: %d. Escriba la descripción para enviar el ticket.",
		AttachCapF:       "⚠️ El formulario acepta como máximo %d archivos: %d no se adjuntaron. Cuando el ticket esté abierto, envíelos de nuevo y se añadirán a él.",
		NatureChosenF:    "Naturaleza: <b>%s</b>",
		UrgencyChosenF:   "Urgencia: <b>%s</b>",
		CreatedF:         "✅ Ticket <b>#%d</b> creado.\nPrioridad: %s",
		PositionF:        "Posición en la cola: %d de %d",
		NotQueued:        "Ya no está en la cola: un agente lo está atendiendo.",
		EstimateF:        "Espera estimada: aproximadamente %s (es una estimación, no una garantía).",
		EstimateUnknown:  "Por ahora no podemos estimar la espera (sin ETA); le avisaremos de cada cambio.",
		NoETA:            "Este ticket no tiene tiempo estimado de respuesta (sin ETA).",
		Canceled:         "Formulario cancelado.",
		NothingToCancel:  "No hay nada que cancelar.",
		NoTickets:        "No tiene tickets. Use /new para abrir uno.",
		TicketsHeader:    "<b>Sus tickets</b>",
		TicketLineF:      "<b>#%d</b> · %s · %s · %s",
		StatusTitleF:     "<b>Ticket #%d</b> — %s",
		StatusLineF:      "Estado: %s",
		PriorityLineF:    "Prioridad: %s",
		AssigneeF:        "Atendido por: %s",
		RatingF:          "Calificación: %d/5",
		LastMessages:     "<b>Últimos mensajes</b>",
		You:              "Usted",
		Support:          "Soporte",
		NotFoundF:        "No encontré el ticket #%d.",
		StatusUsage:      "Uso: /status N (por ejemplo /status 1042). Sus tickets: /tickets",
		AddedToF:         "Mensaje añadido al ticket #%d.",
		WhichTicket:      "Tiene varios tickets abiertos. ¿A cuál añado su mensaje?",
		WhichTicketMoreF: "(Se muestran %d de sus %d tickets abiertos. Para otro, responda a uno de sus mensajes.)",
		NoOpenTicket:     "No tiene tickets abiertos. Use /new para abrir uno.",
		CloseButton:      "Cerrar",
		ReopenButton:     "Reabrir",
		StatusButtonF:    "Estado #%d",
		RateThanksF:      "¡Gracias! Calificó el ticket #%d con %d/5. Si quiere, escriba ahora un comentario (o /cancel).",
		CommentSavedF:    "Comentario guardado para el ticket #%d. ¡Gracias!",
		Expired:          "Este botón expiró o ya no está disponible.",
		Done:             "Hecho.",
		HelpF:            "<b>Ayuda</b>\n/new — abrir un ticket\n/tickets — ver sus tickets\n/status N — estado de un ticket\n/cancel — cancelar el formulario\n/language — cambiar de idioma\n/start — bienvenida y términos\n/misdatos — sus datos\n/borrardatos — borrar sus datos\n\nResponda a un mensaje de un ticket para escribir en ese ticket.\n\nCorreo de soporte: %s (las solicitudes por correo no tienen tiempo estimado de respuesta; este chat es más rápido).\nPreguntas sobre nuestras políticas de soporte: escriba a atención al cliente en %s o visite %s.",
		UnknownCommand:   "No conozco ese comando.",
		Flood:            "⏳ Está enviando demasiados mensajes. Espere un minuto antes de enviar más; lo que ya envió fue recibido.",
		LanguageAsk:      "Elija su idioma / Choose your language",
		LanguageSet:      "Idioma: español.",
		Internal:         "Hubo un error interno. Intente de nuevo en un momento.",
		LostMessage:      "⚠️ No pudimos guardar su último mensaje. Por favor, envíelo de nuevo.",
		LostAlbum:        "⚠️ No pudimos guardar las fotos o archivos que envió juntos. Por favor, envíelos de nuevo.",
		TooLongF:         "El texto es demasiado largo (máximo %d caracteres). Envíelo en varios mensajes.",
		ErrTransitionF:   "El ticket #%d está %s: eso no se puede hacer ahora.",
		ErrInactiveF:     "El ticket #%d está %s. Reábralo para continuar la conversación.",
		ErrTooLong:       "El texto es demasiado largo. Envíelo más corto o en varios mensajes.",
		ErrAttachmentsF:  "Demasiados adjuntos (máximo %d por mensaje). Envíe el resto en otro mensaje.",
		ErrEmpty:         "El mensaje está vacío: no hay nada que guardar.",
		ErrTermsOutdated: "Esa versión de los términos ya no está vigente. Use /start para ver la actual.",
		ErrRating:        "La calificación debe ser de 1 a 5.",
		ErrNotRateableF:  "El ticket #%d se podrá calificar cuando esté resuelto.",
		ErrRatedF:        "El ticket #%d ya tiene su calificación. ¡Gracias!",
		NotPossible:      "Eso no es posible en este momento.",
		PushClaimedF:     "👤 Su ticket <b>#%d</b> está siendo atendido por %s.",
		PushReleasedF:    "Su ticket <b>#%d</b> volvió a la cola; lo atenderá el próximo agente disponible.",
		PushWaitingF:     "❓ El agente espera su respuesta en el ticket <b>#%d</b>. Responda a este mensaje.",
		PushResumedF:     "Su ticket <b>#%d</b> sigue en atención.",
		PushResolvedF:    "✅ Su ticket <b>#%d</b> fue marcado como resuelto. Puede cerrarlo, reabrirlo si el problema continúa, o calificar la atención.",
		PushClosedF:      "Su ticket <b>#%d</b> fue cerrado. Puede reabrirlo o calificar la atención.",
		PushReopenedF:    "Su ticket <b>#%d</b> fue reabierto y volvió a la cola.",
		PushPriorityF:    "La prioridad de su ticket <b>#%d</b> cambió de %s a %s.",
		PushReplyF:       "💬 <b>#%d</b> — %s:",
		FileTooBigF:      "📎 <b>%s</b> (%s) es demasiado grande para enviarlo por este chat (máximo 50 MB). Su agente le indicará otra forma de recibirlo.",
		FileNotSentF:     "📎 No se pudo enviar el archivo <b>%s</b> por este chat.",
		AgoF:             "hace %s",
		Natures: map[tickets.Nature]string{
			tickets.NatureOutage:      "Servicio caído",
			tickets.NatureMalfunction: "Falla o error",
			tickets.NatureAccess:      "Acceso y cuentas",
			tickets.NatureBilling:     "Facturación",
			tickets.NatureRequest:     "Solicitud de cambio",
			tickets.NatureQuestion:    "Pregunta técnica",
		},
		Urgencies: map[tickets.Urgency]string{
			tickets.UrgencyCritical: "Crítica",
			tickets.UrgencyHigh:     "Alta",
			tickets.UrgencyNormal:   "Normal",
			tickets.UrgencyLow:      "Baja",
		},
		Statuses: map[tickets.Status]string{
			tickets.StatusOpen:     "en cola",
			tickets.StatusClaimed:  "en atención",
			tickets.StatusWaiting:  "esperando su respuesta",
			tickets.StatusResolved: "resuelto",
			tickets.StatusClosed:   "cerrado",
		},
		Units: [3][2]string{{"minuto", "minutos"}, {"hora", "horas"}, {"día", "días"}},
		Commands: []command{
			{"new", "Abrir un ticket"},
			{"tickets", "Ver mis tickets"},
			{"status", "Estado de un ticket: /status N"},
			{"cancel", "Cancelar el formulario"},
			{"help", "Ayuda y contacto"},
			{"language", "Cambiar de idioma"},
			{"start", "Bienvenida y términos"},
			{"mydata", "Mis datos (Ley 1581)"},
			{"deletedata", "Borrar mis datos"},
		},
	},
	"en": {
		Cap:       capTexts["en"],
		GreetingF: "Hello, %s! I am the technical support assistant of <b>Colombia Informática</b>.",
		Policy:    "📋 Requests are handled in order of arrival, prioritised by urgency and the nature of the problem.\nThe times we show are estimates, not guarantees; e-mail requests (%s) have no estimated response time.",
		TermsAskF: "To open tickets you must accept the terms and conditions (version %s): %s\n" +
			"and authorize the processing of your personal data (Colombian Law 1581 of 2012) under our privacy notice (version %s): %s\n" +
			"You can see your data with /mydata and ask for its deletion with /deletedata.",
		TermsButton:      "✅ I accept the terms and authorize the processing of my data",
		TermsAcceptedF:   "Terms accepted (version %s) and data processing authorized (privacy notice version %s). Use /new to open a ticket.",
		TermsAlready:     "You have accepted the current terms. Use /new to open a ticket or /help for help.",
		TermsNeeded:      "Before opening a ticket you must accept the current terms.",
		DataHeaderF:      "<b>Your data in ticketbot</b> (Colombian Law 1581 of 2012)\nCustomer: %s\nName: %s\nLanguage: %s",
		DataTermsF:       "Terms accepted: version %s, %s",
		DataPrivacyF:     "Data processing authorized: privacy notice version %s, %s (%s)",
		DataNoConsent:    "You have not accepted the terms nor authorized the processing of your data.",
		DataNoTickets:    "You have no tickets.",
		DataTicketF:      "<b>Ticket #%d</b> — %s\nStatus: %s · opened %s · %d messages",
		DataErasedF:      "<b>Ticket #%d</b> — data deleted at your request\nStatus: %s · opened %s",
		DataMessageF:     "%s · %s: %s",
		DataFilesF:       " [%d file(s)]",
		DataNotes:        "The support team's internal notes are not part of this view. To ask for the deletion of your data use /deletedata.",
		DeleteAskF:       "Delete all your data from ticketbot? Your active tickets (%d) will be closed; your tickets, conversations, the files copied for the support team and your profile, including your authorization, will be deleted. Only non-personal data is kept for statistics (number, kind, priority, dates, rating). This cannot be undone. The button expires in 10 minutes.",
		DeleteButton:     "🗑 Yes, delete my data",
		DeleteDone:       "Your data was deleted. If you write again, we will ask you again to accept the terms and authorize the processing of your data.",
		DeleteNothing:    "ticketbot keeps no data about you.",
		AskNature:        "🆕 New ticket. What is the nature of the problem?",
		AskUrgency:       "How urgent is it?",
		AskDescription:   "Describe the problem in as much detail as you can. Before sending the description you may attach photos, documents or voice notes. /cancel to cancel.",
		ChooseAbove:      "Please choose with the buttons of the previous message, or /cancel to cancel.",
		AttachedF:        "📎 Attachments received: %d. Write the description to send the ticket.",
		AttachCapF:       "⚠️ The form takes at most %d files: %d were not attached. Once the ticket is open, send them again and they will be added to it.",
		NatureChosenF:    "Nature: <b>%s</b>",
		UrgencyChosenF:   "Urgency: <b>%s</b>",
		CreatedF:         "✅ Ticket <b>#%d</b> created.\nPriority: %s",
		PositionF:        "Position in the queue: %d of %d",
		NotQueued:        "It is no longer queued: an agent is working on it.",
		EstimateF:        "Estimated wait: about %s (an estimate, not a guarantee).",
		EstimateUnknown:  "We cannot estimate the wait right now (no ETA); you will be told of every change.",
		NoETA:            "This ticket has no estimated response time (no ETA).",
		Canceled:         "Form cancelled.",
		NothingToCancel:  "Nothing to cancel.",
		NoTickets:        "You have no tickets. Use /new to open one.",
		TicketsHeader:    "<b>Your tickets</b>",
		TicketLineF:      "<b>#%d</b> · %s · %s · %s",
		StatusTitleF:     "<b>Ticket #%d</b> — %s",
		StatusLineF:      "Status: %s",
		PriorityLineF:    "Priority: %s",
		AssigneeF:        "Handled by: %s",
		RatingF:          "Rating: %d/5",
		LastMessages:     "<b>Last messages</b>",
		You:              "You",
		Support:          "Support",
		NotFoundF:        "Ticket #%d was not found.",
		StatusUsage:      "Usage: /status N (for example /status 1042). Your tickets: /tickets",
		AddedToF:         "Message added to ticket #%d.",
		WhichTicket:      "You have several open tickets. Which one should get your message?",
		WhichTicketMoreF: "(Showing %d of your %d open tickets. For another, reply to one of its messages.)",
		NoOpenTicket:     "You have no open tickets. Use /new to open one.",
		CloseButton:      "Close",
		ReopenButton:     "Reopen",
		StatusButtonF:    "Status #%d",
		RateThanksF:      "Thank you! You rated ticket #%d %d/5. If you like, write a comment now (or /cancel).",
		CommentSavedF:    "Comment saved for ticket #%d. Thank you!",
		Expired:          "This button has expired or is not available.",
		Done:             "Done.",
		HelpF:            "<b>Help</b>\n/new — open a ticket\n/tickets — your tickets\n/status N — the status of a ticket\n/cancel — cancel the form\n/language — change the language\n/start — welcome and terms\n/mydata — your data\n/deletedata — delete your data\n\nReply to a ticket's message to write in that ticket.\n\nSupport e-mail: %s (e-mail requests have no estimated response time; this chat is faster).\nQuestions about our support policies: write to customer care at %s or visit %s.",
		UnknownCommand:   "I don't know that command.",
		Flood:            "⏳ You are sending too many messages. Please wait a minute before sending more; what you already sent was received.",
		LanguageAsk:      "Elija su idioma / Choose your language",
		LanguageSet:      "Language: English.",
		Internal:         "Something went wrong on our side. Please try again in a moment.",
		LostMessage:      "⚠️ We could not save your last message. Please send it again.",
		LostAlbum:        "⚠️ We could not save the photos or files you sent together. Please send them again.",
		TooLongF:         "The text is too long (at most %d characters). Please send it in several messages.",
		ErrTransitionF:   "Ticket #%d is %s: that is not possible now.",
		ErrInactiveF:     "Ticket #%d is %s. Reopen it to continue the conversation.",
		ErrTooLong:       "The text is too long. Please send it shorter or in several messages.",
		ErrAttachmentsF:  "Too many attachments (at most %d per message). Please send the rest in another message.",
		ErrEmpty:         "The message is empty: there is nothing to keep.",
		ErrTermsOutdated: "That version of the terms is no longer current. Use /start to see the current one.",
		ErrRating:        "The rating must be from 1 to 5.",
		ErrNotRateableF:  "Ticket #%d can be rated once it is resolved.",
		ErrRatedF:        "Ticket #%d is rated already. Thank you!",
		NotPossible:      "That is not possible right now.",
		PushClaimedF:     "👤 Your ticket <b>#%d</b> is being handled by %s.",
		PushReleasedF:    "Your ticket <b>#%d</b> is back in the queue; the next available agent will take it.",
		PushWaitingF:     "❓ The agent is waiting for your answer on ticket <b>#%d</b>. Reply to this message.",
		PushResumedF:     "Your ticket <b>#%d</b> is being worked on again.",
		PushResolvedF:    "✅ Your ticket <b>#%d</b> was marked as resolved. You can close it, reopen it if the problem persists, or rate the support.",
		PushClosedF:      "Your ticket <b>#%d</b> was closed. You can reopen it or rate the support.",
		PushReopenedF:    "Your ticket <b>#%d</b> was reopened and is back in the queue.",
		PushPriorityF:    "The priority of your ticket <b>#%d</b> changed from %s to %s.",
		PushReplyF:       "💬 <b>#%d</b> — %s:",
		FileTooBigF:      "📎 <b>%s</b> (%s) is too large to send in this chat (at most 50 MB). Your agent will tell you another way to get it.",
		FileNotSentF:     "📎 The file <b>%s</b> could not be sent in this chat.",
		AgoF:             "%s ago",
		Natures: map[tickets.Nature]string{
			tickets.NatureOutage:      "Service down",
			tickets.NatureMalfunction: "Malfunction or error",
			tickets.NatureAccess:      "Access and accounts",
			tickets.NatureBilling:     "Billing",
			tickets.NatureRequest:     "Change request",
			tickets.NatureQuestion:    "Technical question",
		},
		Urgencies: map[tickets.Urgency]string{
			tickets.UrgencyCritical: "Critical",
			tickets.UrgencyHigh:     "High",
			tickets.UrgencyNormal:   "Normal",
			tickets.UrgencyLow:      "Low",
		},
		Statuses: map[tickets.Status]string{
			tickets.StatusOpen:     "queued",
			tickets.StatusClaimed:  "being handled",
			tickets.StatusWaiting:  "waiting for you",
			tickets.StatusResolved: "resolved",
			tickets.StatusClosed:   "closed",
		},
		Units: [3][2]string{{"minute", "minutes"}, {"hour", "hours"}, {"day", "days"}},
		Commands: []command{
			{"new", "Open a ticket"},
			{"tickets", "My tickets"},
			{"status", "A ticket's status: /status N"},
			{"cancel", "Cancel the form"},
			{"help", "Help and contact"},
			{"language", "Change the language"},
			{"start", "Welcome and terms"},
			{"mydata", "My data (Law 1581)"},
			{"deletedata", "Delete my data"},
		},
	},
}

// For returns the texts of lang ("es" or "en"; Spanish otherwise).
func For(lang string) *Texts {
	if t, ok := textsByLang[lang]; ok {
		return t
	}
	return textsByLang["es"]
}

// LanguageOf maps a Telegram language_code to "es" or "en", or "".
func LanguageOf(code string) string {
	code = strings.ToLower(code)
	switch {
	case strings.HasPrefix(code, "es"):
		return "es"
	case strings.HasPrefix(code, "en"):
		return "en"
	}
	return ""
}

// Duration renders d roughly, in words: "1 minuto", "30 minutos",
// "1 hora", "3 horas", "2 días" ("30 minutes", "1 hour", ...).
func (t *Texts) Duration(d time.Duration) string {
	if m := int(d.Round(time.Minute) / time.Minute); m < 60 {
		return t.Count(max(1, m), 0)
	}
	if h := int(d.Round(time.Hour) / time.Hour); h < 48 {
		return t.Count(h, 1)
	}
	return t.Count(int(d.Round(24*time.Hour)/(24*time.Hour)), 2)
}

// Count renders n of unit (0 minutes, 1 hours, 2 days), singular for 1.
func (t *Texts) Count(n, unit int) string {
	if n == 1 {
		return "1 " + t.Units[unit][0]
	}
	return fmt.Sprintf("%d %s", n, t.Units[unit][1])
}

// Estimate is the line telling an estimated wait of d, always labelled as
// an estimate, never a promise: "Espera estimada: aproximadamente 1 hora
// (es una estimación, no una garantía)."
func (t *Texts) Estimate(d time.Duration) string {
	return fmt.Sprintf(t.EstimateF, t.Duration(d))
}

// Status names a ticket status.
func (t *Texts) Status(s tickets.Status) string {
	if v, ok := t.Statuses[s]; ok {
		return v
	}
	return s.String()
}

// Refusal explains a refusal of the core (EINVALID, ECONFLICT, EFORBIDDEN)
// about ticket number (0 when none) by its Reason; the core's own English
// message is never shown.
func (t *Texts) Refusal(number int64, err error) string {
	var e *tickets.Error
	if !errors.As(err, &e) {
		return t.NotPossible
	}
	switch e.Reason {
	case tickets.ReasonTransition:
		if number > 0 && e.Status.Valid() {
			return fmt.Sprintf(t.ErrTransitionF, number, t.Status(e.Status))
		}
	case tickets.ReasonInactive:
		if number > 0 && e.Status.Valid() {
			return fmt.Sprintf(t.ErrInactiveF, number, t.Status(e.Status))
		}
	case tickets.ReasonTooLong:
		return t.ErrTooLong
	case tickets.ReasonAttachments:
		return fmt.Sprintf(t.ErrAttachmentsF, tickets.MaxAttachments)
	case tickets.ReasonEmpty:
		return t.ErrEmpty
	case tickets.ReasonTermsOutdated:
		return t.ErrTermsOutdated
	case tickets.ReasonRating:
		return t.ErrRating
	case tickets.ReasonNotRateable:
		if number > 0 {
			return fmt.Sprintf(t.ErrNotRateableF, number)
		}
	case tickets.ReasonRated:
		if number > 0 {
			return fmt.Sprintf(t.ErrRatedF, number)
		}
	case tickets.ReasonActiveCap:
		return t.Cap.Refused
	}
	return t.NotPossible
}
