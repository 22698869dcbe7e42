package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/emersion/go-imap"
	"github.com/emersion/go-imap/client"
	"github.com/rs/zerolog"
)

// check validates cfg and fills in its defaults.
func (cfg *IMAPConfig) check() error {
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil || host == "" {
		return fmt.Errorf("email: IMAP address %q is not host:port", cfg.Addr)
	}
	if cfg.Security < SecurityStartTLS || cfg.Security > SecurityNone {
		return errors.New("email: IMAP security must be starttls, tls or none")
	}
	if cfg.Username == "" {
		return errors.New("email: IMAP needs a user name")
	}
	cfg.TLSConfig = tlsConfig(cfg.TLSConfig, host)
	if cfg.Mailbox == "" {
		cfg.Mailbox = "INBOX"
	}
	if cfg.MaxSize <= 0 {
		cfg.MaxSize = DefaultMaxSize
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 3 * time.Minute
	}
	if cfg.IdleRefresh <= 0 {
		cfg.IdleRefresh = 25 * time.Minute
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = time.Second
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(2*time.Minute, cfg.MinBackoff)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Minute
	}
	return nil
}

// dialIMAP connects to the server cfg names and logs in (TLS or STARTTLS
// as configured; a password or XOAUTH2); the server's unsolicited updates
// go to raw from the very start when it is not nil.
func dialIMAP(ctx context.Context, cfg *IMAPConfig, raw chan client.Update) (*client.Client, error) {
	d := net.Dialer{Timeout: cfg.Timeout}
	conn, err := d.DialContext(ctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	if cfg.Security == SecurityTLS {
		tc := tls.Client(conn, cfg.TLSConfig)
		hctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("tls: %w", err)
		}
		conn = tc
	}
	_ = conn.SetDeadline(time.Now().Add(cfg.Timeout)) // the greeting
	c, err := newIMAPClient(conn, raw)
	if err != nil {
		conn.Close()
		return nil, err
	}
	c.Timeout = cfg.Timeout
	c.ErrorLog = imapLog{cfg.Log}
	if cfg.Security == SecurityStartTLS {
		if ok, err := c.SupportStartTLS(); err != nil || !ok {
			_ = c.Terminate()
			return nil, fmt.Errorf("the server offers no STARTTLS (%v)", err)
		}
		if err := c.StartTLS(cfg.TLSConfig); err != nil {
			_ = c.Terminate()
			return nil, fmt.Errorf("starttls: %w", err)
		}
	}
	if cfg.TokenSource != nil {
		tok, terr := cfg.TokenSource.Token()
		if terr != nil {
			_ = c.Terminate()
			return nil, fmt.Errorf("oauth2 token: %w", terr)
		}
		err = c.Authenticate(xoauth2{cfg.Username, tok.AccessToken})
	} else {
		err = c.Login(cfg.Username, cfg.Password)
	}
	if err != nil {
		_ = c.Terminate()
		return nil, fmt.Errorf("imap login: %w", err)
	}
	return c, nil
}

// newIMAPClient starts a client on conn whose updates go to ch from the
// very start (the greeting may already carry some).
func newIMAPClient(conn net.Conn, ch chan client.Update) (*client.Client, error) {
	c, err := client.New(conn)
	if err != nil {
		return nil, err
	}
	if ch != nil {
		c.Updates = ch
	}
	return c, nil
}

// imapLog bridges the IMAP library's log into zerolog at debug level.
type imapLog struct{ log zerolog.Logger }

func (l imapLog) Printf(format string, v ...any) { l.log.Debug().Msgf(format, v...) }
func (l imapLog) Println(v ...any)               { l.log.Debug().Msg(fmt.Sprint(v...)) }

// ErrGone is matched by Mailbox.Fetch's error when the mail is no longer
// in the mailbox (deleted, moved, or its UIDs renumbered).
var ErrGone = errors.New("email: the mail is no longer in the mailbox")

// Mailbox reads single mails of the support mailbox again, by the UID the
// intake saw them under: the attachments of a ticket are references to
// their mail (see FileID), fetched when an agent's chat copies them, so
// that no file content is kept anywhere but in the mailbox.
type Mailbox struct{ cfg IMAPConfig }

// NewMailbox checks cfg and returns a Mailbox. It talks to no one.
func NewMailbox(cfg IMAPConfig) (*Mailbox, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return &Mailbox{cfg: cfg}, nil
}

// Fetch returns the raw mail UID uid of folder mailbox, read-only (peeking),
// provided the folder's UIDVALIDITY is still uidValidity; ErrGone
// otherwise, or when there is no such mail. A mail over the size cap is
// refused with a *TooLargeError.
func (m *Mailbox) Fetch(ctx context.Context, mailbox string, uidValidity, uid uint32) ([]byte, error) {
	c, err := dialIMAP(ctx, &m.cfg, nil)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { _ = c.Terminate() })
	defer stop()
	defer func() { _ = c.Logout() }()
	mb, err := c.Select(mailbox, true)
	if err != nil {
		return nil, fmt.Errorf("examine %s: %w", mailbox, err)
	}
	if mb.UidValidity != uidValidity {
		return nil, ErrGone
	}
	set := new(imap.SeqSet)
	set.AddNum(uid)
	section := &imap.BodySectionName{Peek: true}
	ch := make(chan *imap.Message, 1)
	done := make(chan error, 1)
	go func() {
		done <- c.UidFetch(set, []imap.FetchItem{imap.FetchUid, imap.FetchRFC822Size, section.FetchItem()}, ch)
	}()
	var body []byte
	var rerr error
	found := false
	for msg := range ch {
		if msg.Uid != uid || found {
			continue
		}
		if int64(msg.Size) > m.cfg.MaxSize {
			rerr = &TooLargeError{Size: int64(msg.Size), Limit: m.cfg.MaxSize}
			continue
		}
		if r := msg.GetBody(section); r != nil {
			found = true
			var buf bytes.Buffer
			_, rerr = io.Copy(&buf, io.LimitReader(r, m.cfg.MaxSize+1))
			body = buf.Bytes()
		}
	}
	if err := <-done; err != nil {
		return nil, fmt.Errorf("fetch mail UID %d: %w", uid, err)
	}
	if rerr != nil {
		return nil, rerr
	}
	if !found {
		return nil, ErrGone
	}
	return body, nil
}
