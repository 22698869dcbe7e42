// Package mailtest gives tests real mail servers, as redistest gives them a
// real Redis: each helper starts a server of the test's own on free ports
// of 127.0.0.1 and stops it at cleanup.
//
//   - StartIMAP (dovecot.go): Debian's dovecot (package dovecot-imapd) with
//     its own configuration in a temporary directory: one user (User,
//     Password, a passwd-file with a plain password), a maildir under the
//     directory, plain IMAP on Addr and implicit TLS on TLSAddr with a
//     self-signed certificate (TLSConfig trusts it). Dovecot never runs as
//     root: when the test does (CI does), the server, its login and mail
//     processes run as "nobody" and the directory is handed to that user.
//     Append delivers a raw mail into a folder, Messages reads what is there
//     (with flags, without changing them), Client gives the test its own
//     logged-in go-imap client, and Stop and Restart make an outage. With
//     IMAPOAuth2 it also takes XOAUTH2 logins, checking the tokens given to
//     AllowToken through dovecot's oauth2 passdb and a token introspection
//     endpoint the helper serves.
//   - StartSMTP (mailpit.go): mailpit, a well-known SMTP test server written
//     in Go (installed by .ci/run with go install; found on PATH or in
//     $(go env GOPATH)/bin), which requires AUTH as User/Password (a wrong
//     password gets 535), plain, STARTTLS-only (as port 587) or implicit TLS
//     (as port 465), keeps every mail it accepts and lets the test read them
//     through its HTTP API (Messages, WaitMessages, which follows the
//     server's event stream instead of polling). It was chosen over a Debian
//     MTA because it starts in milliseconds as any user, needs no
//     configuration file, checks SMTP AUTH and TLS for real, and shows
//     exactly what was received.
//
// Without the server's program the test is skipped with a message saying
// what to install, except under CI=true, where it fails: CI must never pass
// by skipping.
//
// In-process servers are only for faults the real ones will not produce:
// FaultSMTP (faults.go, emersion/go-smtp) refuses with a given code at a
// given stage, stalls, or drops the connection, and accepts XOAUTH2 tokens
// the test allows; IMAPProxy (proxy.go) sits in front of the test's dovecot
// and hides IDLE, drops every connection at once, or refuses new ones.
package mailtest
