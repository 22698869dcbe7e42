package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap"
	"github.com/emersion/go-imap/client"
	"github.com/rs/zerolog"
	"golang.org/x/oauth2"

	"github.com/colombiainformatica/ticketbot/internal/backoff"
)

// Cursor is how far the intake got in a mailbox: the mailbox's
// UIDVALIDITY and the last UID handled there, with that mail's arrival
// time (INTERNALDATE), which bridges a UIDVALIDITY change.
type Cursor struct {
	UIDValidity uint32
	UID         uint32
	Received    time.Time
}

// Cursors keeps the intake's Cursor per mailbox (in Redis, shared by the
// replicas; the holder of the intake's lease is the only writer).
type Cursors interface {
	// Cursor returns the mailbox's cursor; the zero Cursor when there is
	// none yet.
	Cursor(ctx context.Context, mailbox string) (Cursor, error)
	// Advance records c as the mailbox's cursor.
	Advance(ctx context.Context, mailbox string, c Cursor) error
}

// Incoming is a new mail found in the mailbox.
type Incoming struct {
	Mailbox     string
	UIDValidity uint32
	UID         uint32
	Received    time.Time // INTERNALDATE: when the server received it
	Size        int64     // RFC822.SIZE
	// MessageID (without angle brackets), From and Subject come from the
	// server's envelope, before the mail is downloaded.
	MessageID string
	From      Address
	Subject   string
	// Raw is the whole mail; nil when TooLarge.
	Raw []byte
	// TooLarge says the mail is over IMAPConfig.MaxSize: it was not
	// downloaded, only its header (at most 64 KiB of it, in Header), so
	// the sender can be told.
	TooLarge bool
	Header   []byte
	// Resync says the mail was found again after the mailbox's UIDVALIDITY
	// changed: it arrived no earlier than the last mail handled under the
	// old UIDVALIDITY, so it may be one handled already (the caller
	// deduplicates by Message-ID).
	Resync bool
}

// Handler handles one new mail. It returns nil once the mail is handled
// (stored, or deliberately ignored); an error leaves the mail to be
// offered again, after a backoff, with the mails after it waiting. A
// handler that can never handle a mail must record it (a dead letter) and
// return nil.
type Handler func(ctx context.Context, in Incoming) error

// IMAPConfig says how to reach and read the mailbox.
type IMAPConfig struct {
	// Addr is the server's host:port ("imap.gmail.com:993").
	Addr     string
	Security Security
	// TLSConfig, optional, is cloned; its ServerName defaults to Addr's host.
	TLSConfig *tls.Config
	// Username logs in with Password, or with TokenSource (XOAUTH2), which
	// wins when set.
	Username    string
	Password    string
	TokenSource oauth2.TokenSource
	// Mailbox is the folder to read; default "INBOX".
	Mailbox string
	// MaxSize caps the mails downloaded, in bytes (default DefaultMaxSize);
	// larger ones reach the handler as TooLarge.
	MaxSize int64
	// Backlog, on the first run (no cursor yet), hands over the mails
	// already in the mailbox too; without it the intake starts after the
	// newest.
	Backlog bool
	// PollInterval is how often the mailbox is read again even without a
	// word from IDLE (and how often a server without IDLE is read);
	// default 3 minutes.
	PollInterval time.Duration
	// IdleRefresh is how often IDLE is restarted, within the 29 minutes
	// RFC 2177 allows; default 25 minutes.
	IdleRefresh time.Duration
	// MinBackoff and MaxBackoff bound the wait before reconnecting after a
	// failure (doubling, with jitter); default 1 s and 2 min.
	MinBackoff, MaxBackoff time.Duration
	// Timeout bounds connecting and each command; default 1 minute.
	Timeout time.Duration
	// Log receives the intake's warnings; the zero Logger is silent.
	Log zerolog.Logger
}

// Intake reads new mails from an IMAP mailbox and hands each to a Handler,
// once per cursor advance (see the package documentation).
type Intake struct {
	cfg     IMAPConfig
	cursors Cursors
	handle  Handler
}

// NewIntake checks cfg and returns an Intake.
func NewIntake(cfg IMAPConfig, cursors Cursors, h Handler) (*Intake, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cursors == nil || h == nil {
		return nil, errors.New("email: an intake needs Cursors and a Handler")
	}
	return &Intake{cfg: cfg, cursors: cursors, handle: h}, nil
}

// Run reads the mailbox until ctx ends, then returns nil once its
// connection is closed. Failures (the server unreachable or refusing the
// login, a dropped connection, a handler or Cursors error) are logged and
// retried after a backoff.
func (in *Intake) Run(ctx context.Context) error {
	bo := backoff.Backoff{Base: in.cfg.MinBackoff, Max: in.cfg.MaxBackoff}
	for {
		start := time.Now()
		err := in.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(start) >= in.cfg.MaxBackoff {
			bo.Reset() // it ran well for a while
		}
		wait := bo.Next()
		in.cfg.Log.Warn().Err(err).Str("mailbox", in.cfg.Mailbox).Dur("retry_in", wait).Msg("imap intake")
		if !backoff.Sleep(ctx, wait) {
			return nil
		}
	}
}

// session connects, catches up and then waits for mail (IDLE or the
// poll) until something fails or ctx ends.
func (in *Intake) session(ctx context.Context) error {
	c, updates, err := in.connect(ctx)
	if err != nil {
		return err
	}
	// The context's end closes the connection, which ends any command.
	stop := context.AfterFunc(ctx, func() { _ = c.Terminate() })
	defer stop()
	defer func() { _ = c.Logout() }()

	mb, err := c.Select(in.cfg.Mailbox, true) // EXAMINE: read-only, no flag changes
	if err != nil {
		return fmt.Errorf("examine %s: %w", in.cfg.Mailbox, err)
	}
	s := &imapSession{in: in, c: c}
	if err := s.start(ctx, mb); err != nil {
		return err
	}
	idle, err := c.Support("IDLE")
	if err != nil {
		return err
	}
	for {
		if err := s.sync(ctx); err != nil {
			return err
		}
		if err := in.wait(ctx, c, idle, updates); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// wait returns when the mailbox may hold new mail: the server said so
// during IDLE, or the poll interval passed.
func (in *Intake) wait(ctx context.Context, c *client.Client, idle bool, updates <-chan struct{}) error {
	poll := time.NewTimer(in.cfg.PollInterval)
	defer poll.Stop()
	select { // a word that came during the last sync
	case <-updates:
		return nil
	default:
	}
	if !idle {
		select {
		case <-ctx.Done():
		case <-poll.C:
		case <-c.LoggedOut():
			return errors.New("connection closed")
		}
		return nil
	}
	stopIdle := make(chan struct{})
	done := make(chan error, 1)
	c.Timeout = 0 // IDLE waits as long as it must; restored below
	go func() {
		done <- c.Idle(stopIdle, &client.IdleOptions{LogoutTimeout: in.cfg.IdleRefresh, PollInterval: -1})
	}()
	var err error
	select {
	case err = <-done:
		if err == nil {
			err = errors.New("idle ended")
		}
	case <-updates:
	case <-poll.C:
	case <-ctx.Done():
	}
	close(stopIdle)
	if err == nil {
		err = <-done
	}
	c.Timeout = in.cfg.Timeout
	if err != nil {
		return fmt.Errorf("idle: %w", err)
	}
	return nil
}

// connect dials, logs in and starts relaying the server's unsolicited
// updates to the returned channel (one pending signal at most).
func (in *Intake) connect(ctx context.Context) (*client.Client, <-chan struct{}, error) {
	raw := make(chan client.Update, 64)
	c, err := dialIMAP(ctx, &in.cfg, raw)
	if err != nil {
		return nil, nil, err
	}
	updates := make(chan struct{}, 1)
	go func() {
		for {
			select {
			case u := <-raw:
				if _, ok := u.(*client.MailboxUpdate); ok {
					select {
					case updates <- struct{}{}:
					default:
					}
				}
			case <-c.LoggedOut():
				return
			}
		}
	}()
	return c, updates, nil
}

// imapSession is one connection's progress through the mailbox.
type imapSession struct {
	in          *Intake
	c           *client.Client
	cur         Cursor
	resyncUntil uint32 // mails up to this UID are flagged Resync
}

// start loads the cursor and settles it against the mailbox's UIDVALIDITY.
func (s *imapSession) start(ctx context.Context, mb *imap.MailboxStatus) error {
	cur, err := s.in.cursors.Cursor(ctx, s.in.cfg.Mailbox)
	if err != nil {
		return fmt.Errorf("cursor: %w", err)
	}
	last := uint32(0)
	if mb.UidNext > 0 {
		last = mb.UidNext - 1
	}
	switch {
	case cur.UIDValidity == mb.UidValidity:
		s.cur = cur
		return nil
	case cur.UIDValidity == 0 && s.in.cfg.Backlog:
		s.cur = Cursor{UIDValidity: mb.UidValidity}
	case cur.UIDValidity == 0:
		s.cur = Cursor{UIDValidity: mb.UidValidity, UID: last, Received: time.Now()}
	default:
		// The UIDs changed meaning: start again from the mails that arrived
		// after the last one handled, flagged for deduplication.
		uids, err := s.arrivedAfter(cur.Received)
		if err != nil {
			return err
		}
		s.cur = Cursor{UIDValidity: mb.UidValidity, UID: last, Received: cur.Received}
		if len(uids) > 0 {
			s.cur.UID = uids[0] - 1
			s.resyncUntil = uids[len(uids)-1]
		}
		s.in.cfg.Log.Warn().Str("mailbox", s.in.cfg.Mailbox).Uint32("old_uidvalidity", cur.UIDValidity).
			Uint32("uidvalidity", mb.UidValidity).Int("resync", len(uids)).Msg("imap UIDVALIDITY changed")
	}
	if err := s.in.cursors.Advance(ctx, s.in.cfg.Mailbox, s.cur); err != nil {
		return fmt.Errorf("cursor: %w", err)
	}
	return nil
}

// arrivedAfter returns, in order, the UIDs of the mails whose INTERNALDATE
// is not before t (all of them for a zero t): the same second counts, as
// INTERNALDATE has no finer grain.
func (s *imapSession) arrivedAfter(t time.Time) ([]uint32, error) {
	crit := imap.NewSearchCriteria()
	if !t.IsZero() {
		crit.Since = t.Add(-24 * time.Hour) // SINCE compares dates only
	}
	uids, err := s.c.UidSearch(crit)
	if err != nil || len(uids) == 0 {
		return nil, err
	}
	set := new(imap.SeqSet)
	set.AddNum(uids...)
	var out []uint32
	err = s.fetch(set, []imap.FetchItem{imap.FetchUid, imap.FetchInternalDate}, func(m *imap.Message) {
		if !m.InternalDate.Before(t) {
			out = append(out, m.Uid)
		}
	})
	slices.Sort(out)
	return out, err
}

// fetch runs UID FETCH and calls f for each message, in the order they
// come.
func (s *imapSession) fetch(set *imap.SeqSet, items []imap.FetchItem, f func(*imap.Message)) error {
	ch := make(chan *imap.Message, 16)
	done := make(chan error, 1)
	go func() { done <- s.c.UidFetch(set, items, ch) }()
	for m := range ch {
		f(m)
	}
	return <-done
}

// sync hands over every mail after the cursor, in UID order, advancing the
// cursor after each one the handler took.
func (s *imapSession) sync(ctx context.Context) error {
	set := new(imap.SeqSet)
	set.AddRange(s.cur.UID+1, 0)
	var news []*imap.Message
	err := s.fetch(set, []imap.FetchItem{imap.FetchUid, imap.FetchRFC822Size, imap.FetchInternalDate, imap.FetchEnvelope},
		func(m *imap.Message) {
			if m.Uid > s.cur.UID { // "n:*" also returns the last mail when n is past it
				news = append(news, m)
			}
		})
	if err != nil {
		return fmt.Errorf("fetch headers: %w", err)
	}
	slices.SortFunc(news, func(a, b *imap.Message) int { return int(int64(a.Uid) - int64(b.Uid)) })
	for _, m := range news {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		inc := s.incoming(m)
		if err := s.download(&inc); err != nil {
			return err
		}
		if err := s.in.handle(ctx, inc); err != nil {
			return fmt.Errorf("handler, mail UID %d: %w", m.Uid, err)
		}
		next := Cursor{UIDValidity: s.cur.UIDValidity, UID: m.Uid, Received: m.InternalDate}
		if err := s.in.cursors.Advance(ctx, s.in.cfg.Mailbox, next); err != nil {
			return fmt.Errorf("cursor: %w", err)
		}
		s.cur = next
	}
	return nil
}

func (s *imapSession) incoming(m *imap.Message) Incoming {
	inc := Incoming{
		Mailbox: s.in.cfg.Mailbox, UIDValidity: s.cur.UIDValidity, UID: m.Uid,
		Received: m.InternalDate, Size: int64(m.Size),
		TooLarge: int64(m.Size) > s.in.cfg.MaxSize,
		Resync:   m.Uid <= s.resyncUntil,
	}
	if e := m.Envelope; e != nil {
		if ids := msgIDs(e.MessageId); len(ids) > 0 {
			inc.MessageID = ids[0]
		}
		inc.Subject = oneLine(cleanText(decodeWords(e.Subject)))
		if len(e.From) > 0 && e.From[0] != nil {
			inc.From = Address{Name: oneLine(cleanText(decodeWords(e.From[0].PersonalName))),
				Address: strings.ToLower(e.From[0].Address())}
		}
	}
	return inc
}

// download fetches the whole mail, or only the start of its header when
// it is over the cap. Nothing is marked \Seen: the mailbox is examined
// read-only and the fetch peeks.
func (s *imapSession) download(inc *Incoming) error {
	section := &imap.BodySectionName{Peek: true}
	if inc.TooLarge {
		section = &imap.BodySectionName{BodyPartName: imap.BodyPartName{Specifier: imap.HeaderSpecifier},
			Peek: true, Partial: []int{0, 64 << 10}}
	}
	set := new(imap.SeqSet)
	set.AddNum(inc.UID)
	var body []byte
	var readErr error
	found := false
	err := s.fetch(set, []imap.FetchItem{imap.FetchUid, section.FetchItem()}, func(m *imap.Message) {
		if m.Uid != inc.UID {
			return
		}
		r := m.GetBody(section)
		if r == nil {
			return
		}
		found = true
		body, readErr = io.ReadAll(io.LimitReader(r, s.in.cfg.MaxSize+1))
	})
	if err == nil {
		err = readErr
	}
	if err != nil {
		return fmt.Errorf("fetch mail UID %d: %w", inc.UID, err)
	}
	if !found {
		return fmt.Errorf("fetch mail UID %d: the server sent no body", inc.UID)
	}
	if inc.TooLarge {
		inc.Header = body
		return nil
	}
	if int64(len(body)) > s.in.cfg.MaxSize { // the size the server announced was wrong
		inc.TooLarge, inc.Raw = true, nil
		return nil
	}
	inc.Raw = body
	return nil
}

// decodeWords decodes RFC 2047 encoded words, leaving s as it is when it
// has none or they are broken.
func decodeWords(s string) string {
	dec := &mime.WordDecoder{CharsetReader: charsetReader}
	if out, err := dec.DecodeHeader(s); err == nil {
		return out
	}
	return s
}
