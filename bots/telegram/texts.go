package telegram

import "github.com/colombiainformatica/ticketbot/bots/telegram/i18n"

// texts are the bot's words in one language (see package i18n).
type texts = i18n.Texts

func textsFor(lang string) *texts { return i18n.For(lang) }

func languageOf(code string) string { return i18n.LanguageOf(code) }
