package email

import "net/mail"

// headerAddress formats a as a header field's mailbox, encoding a non-ASCII
// name (RFC 2047) and quoting one that needs it.
func headerAddress(a Address) string {
	return (&mail.Address{Name: a.Name, Address: a.Address}).String()
}
