package telegramtest

import (
	"fmt"
	"net/http"
)

// Limits of the Bot API that the fake enforces, as Telegram documents them
// (https://core.telegram.org/bots/api); a request over one is answered as
// Telegram answers it.
const (
	// MaxTextUnits is the most a message's text may hold: "1-4096
	// characters after entities parsing" (sendMessage, editMessageText),
	// counted in UTF-16 code units as Telegram counts entity offsets
	// (https://core.telegram.org/api/entities#entity-length).
	MaxTextUnits = 4096
	// MaxCaptionUnits: "Photo caption ..., 0-1024 characters after
	// entities parsing" (sendPhoto, sendDocument, InputMedia*).
	MaxCaptionUnits = 1024
	// MaxCallbackData is the most bytes of a button's callback_data: "Data
	// to be sent in a callback query to the bot when the button is
	// pressed, 1-64 bytes" (InlineKeyboardButton).
	MaxCallbackData = 64
	// MaxCallbackAnswer is the most characters of answerCallbackQuery's
	// text: "Text of the notification ..., 0-200 characters". Telegram
	// refuses longer ones with "Bad Request: MESSAGE_TOO_LONG".
	MaxCallbackAnswer = 200
	// MinMediaGroup and MaxMediaGroup bound sendMediaGroup: "A JSON-
	// serialized array describing messages to be sent, must include 2-10
	// items".
	MinMediaGroup = 2
	MaxMediaGroup = 10
	// MaxKeyboardButtons, MaxKeyboardRowButtons and MaxKeyboardBytes bound
	// an inline keyboard. The Bot API documents none of them; Telegram's
	// servers refuse a larger markup with REPLY_MARKUP_TOO_LONG, which the
	// Bot API server answers "Bad Request: reply markup is too long"
	// (tdlib/telegram-bot-api, Client.cpp). The numbers are those
	// collected at https://limits.tginfo.me/en (tginfo/Telegram-Limits
	// issues 187 and 228: 100 inline buttons, 8 a row, a markup over
	// 10 kB refused).
	MaxKeyboardButtons    = 100
	MaxKeyboardRowButtons = 8
	MaxKeyboardBytes      = 10 * 1024
)

// APIError is a Bot API error answer: its error_code and description, as
// the fake (and Telegram) answers it.
type APIError struct {
	Code        int
	Description string
}

func (e *APIError) Error() string { return fmt.Sprintf("%d %s", e.Code, e.Description) }

func exported(e *apiError) error {
	if e == nil {
		return nil
	}
	return &APIError{Code: e.code, Description: e.desc}
}

// ValidateText checks a message text (sendMessage, editMessageText) with
// its parse_mode as the fake does: entities parsed, not empty, at most
// MaxTextUnits after parsing. It returns nil or an *APIError.
func ValidateText(text, parseMode string) error {
	err := checkText(text, parseMode).err
	return exported(err)
}

// ValidateCaption checks a media caption as the fake does.
func ValidateCaption(caption, parseMode string) error {
	err := checkCaption(caption, parseMode).err
	return exported(err)
}

// ValidateReplyMarkup checks a reply_markup argument (JSON) as the fake
// does: callback_data of 1-64 bytes, absolute button URLs, and an inline
// keyboard within MaxKeyboardButtons, MaxKeyboardRowButtons and
// MaxKeyboardBytes.
func ValidateReplyMarkup(markup string) error {
	_, err := parseReplyMarkup(markup)
	return exported(err)
}

// ValidateCallbackAnswer checks answerCallbackQuery's text.
func ValidateCallbackAnswer(text string) error {
	return exported(checkCallbackAnswer(text))
}

func checkCallbackAnswer(text string) *apiError {
	if len([]rune(text)) > MaxCallbackAnswer {
		return badRequest("MESSAGE_TOO_LONG")
	}
	return nil
}

// checkKeyboardSize refuses an inline keyboard larger than Telegram takes.
func checkKeyboardSize(rows [][]Button, markupBytes int) *apiError {
	n := 0
	for _, row := range rows {
		if len(row) > MaxKeyboardRowButtons {
			return errMarkupTooLong
		}
		n += len(row)
	}
	if n > MaxKeyboardButtons || markupBytes > MaxKeyboardBytes {
		return errMarkupTooLong
	}
	return nil
}

var errMarkupTooLong = &apiError{code: http.StatusBadRequest, desc: "Bad Request: reply markup is too long"}
