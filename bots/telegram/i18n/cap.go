package i18n

// CapTexts are the words about the cap on a customer's active tickets
// (tickets.ReasonActiveCap), in one language. They are HTML, like Texts.
type CapTexts struct {
	// AtCapF answers /new at the cap, above the list of active tickets;
	// %d: how many are active.
	AtCapF string
	// TicketLineF is a ticket of that list: number, subject, status.
	TicketLineF string
	// AddButtonF is the button to add a message to a ticket: number.
	AddButtonF string
	// AddPromptF answers that button: number. The customer replies to it.
	AddPromptF string
	// FormAtCapF answers a form submitted at the cap, above the buttons
	// that choose which ticket gets its description and files; %d: how
	// many tickets are active.
	FormAtCapF string
	// Refused explains a refused reopening (a toast: short, plain).
	Refused string
}

var capTexts = map[string]*CapTexts{
	"es": {
		AtCapF:      "Ya tiene %d tickets activos, el máximo permitido, así que no puede abrir uno nuevo ahora. Puede añadir un mensaje a uno de ellos:",
		TicketLineF: "<b>#%d</b> · %s · %s",
		AddButtonF:  "✍️ Añadir a #%d",
		AddPromptF:  "Responda a este mensaje con lo que quiere añadir al ticket <b>#%d</b> (texto, fotos o documentos).",
		FormAtCapF:  "Ya tiene %d tickets activos, el máximo permitido: no abrí un ticket nuevo. Su descripción y sus archivos se guardaron. ¿A cuál de sus tickets los añado?",
		Refused:     "Ya tiene el máximo de tickets activos. Añada su mensaje a uno de ellos o espere a que se resuelva alguno.",
	},
	"en": {
		AtCapF:      "You already have %d active tickets, the most allowed, so you cannot open a new one now. You can add a message to one of them:",
		TicketLineF: "<b>#%d</b> · %s · %s",
		AddButtonF:  "✍️ Add to #%d",
		AddPromptF:  "Reply to this message with what you want to add to ticket <b>#%d</b> (text, photos or documents).",
		FormAtCapF:  "You already have %d active tickets, the most allowed: no new ticket was opened. Your description and files were kept. Which of your tickets should get them?",
		Refused:     "You already have the most active tickets allowed. Add your message to one of them or wait until one is resolved.",
	},
}
