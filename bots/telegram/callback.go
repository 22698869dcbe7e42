package telegram

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Callback data is "act:arg:tag", where tag is an HMAC of the user it was
// made for, act and arg under a key derived from the bot token. Data that
// another user presses, that was forged or that lost its meaning (an old
// form, an old terms version) is answered as expired and changes nothing.
// Every action is still authorized by the Service against the presser
// (callback_query.from.id), never by what the data says.
const (
	actTerms    = "t" // arg: termsTag(version)
	actLanguage = "l" // arg: "es" or "en"
	actNature   = "n" // arg: draft nonce "." nature index
	actUrgency  = "u" // arg: draft nonce "." urgency index
	actStatus   = "s" // arg: ticket number
	actClose    = "c" // arg: ticket number
	actReopen   = "o" // arg: ticket number
	actRate     = "r" // arg: ticket number "." stars
	actRoute    = "m" // arg: ticket number "." pending message id
)

// data returns the callback data of act with arg for user.
func (b *Bot) data(user int64, act, arg string) string {
	return act + ":" + arg + ":" + b.sign(user, act, arg)
}

// parseData checks data pressed by user and returns its act and arg.
func (b *Bot) parseData(user int64, data string) (act, arg string, ok bool) {
	first := strings.IndexByte(data, ':')
	last := strings.LastIndexByte(data, ':')
	if first <= 0 || last <= first {
		return "", "", false
	}
	act, arg, tag := data[:first], data[first+1:last], data[last+1:]
	if !hmac.Equal([]byte(tag), []byte(b.sign(user, act, arg))) {
		return "", "", false
	}
	return act, arg, true
}

// termsTag is a short fingerprint of a terms version for callback data.
func termsTag(version string) string {
	h := sha256.Sum256([]byte(version))
	return hex.EncodeToString(h[:4])
}
