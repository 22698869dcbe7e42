// Package mailhost is the demo's mail server, in-process on loopback: an
// IMAP server (with IDLE, so that new mail wakes a client at once) and an
// SMTP submission server (AUTH PLAIN, required) that delivers to the
// INBOX of the local accounts. It holds a handful of accounts, each with
// an INBOX and a Sent folder, in memory, and has nothing to configure.
//
// It exists so that `ticketbot demo` runs the real e-mail adapter over
// the real protocols with nothing installed. It is not a mail server for
// anything else: no TLS (logins go in the clear, on loopback only), no
// relaying (a recipient that is not a local account is refused), no
// persistence.
//
// go-imap v1's memory backend has no locking and tells connected clients
// nothing, so the IMAP backend here is its own: every folder lives under
// the Host's lock, and a new mail is announced (EXISTS) to the clients
// that have its folder selected, which ends their IDLE. (The library's own
// update relay reads each connection's state unsynchronised, a data race,
// so the Host keeps track of the selecting connections itself: see
// notify.go.)
package mailhost

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap"
	"github.com/emersion/go-imap/backend/memory"
	imapserver "github.com/emersion/go-imap/server"
	"github.com/emersion/go-smtp"
)

// The folders of every account.
const (
	Inbox = "INBOX"
	Sent  = "Sent"
)

// MaxMessageBytes caps a mail the SMTP server accepts and APPEND stores.
const MaxMessageBytes = 10 << 20

// Errors of the Host's own methods.
var (
	ErrNoAccount = errors.New("mailhost: no such account")
	ErrNoFolder  = errors.New("mailhost: no such folder")
	ErrNoMessage = errors.New("mailhost: no such message")
	ErrClosed    = errors.New("mailhost: closed")
)

// Message is a stored mail, as the Host's methods return it.
type Message struct {
	UID   uint32
	Date  time.Time // when it arrived (IMAP's INTERNALDATE)
	Flags []string
	Raw   []byte
}

// Seen reports whether the \Seen flag is set.
func (m Message) Seen() bool { return slices.Contains(m.Flags, imap.SeenFlag) }

// Change says that a folder gained a mail (or a mail's flags changed).
type Change struct {
	Address string
	Folder  string
	UID     uint32
}

// Host is the running mail server. Its methods are safe for concurrent use.
type Host struct {
	imapL, smtpL net.Listener
	imap         *imapserver.Server
	smtp         *smtp.Server
	done         chan struct{}
	closeOnce    sync.Once
	wg           sync.WaitGroup
	uidValidity  uint32

	mu       sync.Mutex
	accounts map[string]*account // by lower-case address
	watchers map[chan Change]struct{}
	selected map[*imapserver.Context]*selection // IMAP connections with a folder selected
}

type account struct {
	address, password string
	folders           map[string]*folder
}

type folder struct {
	name    string
	msgs    []*memory.Message
	nextUID uint32
}

// Start listens on two loopback ports and serves IMAP and SMTP there until
// Close.
func Start() (*Host, error) {
	imapL, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("mailhost: imap: %w", err)
	}
	smtpL, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		imapL.Close()
		return nil, fmt.Errorf("mailhost: smtp: %w", err)
	}
	h := &Host{
		imapL: imapL, smtpL: smtpL,
		done:        make(chan struct{}),
		uidValidity: uint32(time.Now().Unix()),
		accounts:    map[string]*account{},
		watchers:    map[chan Change]struct{}{},
		selected:    map[*imapserver.Context]*selection{},
	}
	quiet := log.New(io.Discard, "", 0)

	h.imap = imapserver.New(imapBackend{h})
	h.imap.AllowInsecureAuth = true // loopback only
	h.imap.ErrorLog = quiet
	h.imap.Enable(selectExtension{h})

	h.smtp = smtp.NewServer(smtpBackend{h})
	h.smtp.Domain = "localhost"
	h.smtp.AllowInsecureAuth = true // loopback only
	h.smtp.MaxMessageBytes = MaxMessageBytes
	h.smtp.MaxRecipients = 50
	h.smtp.ReadTimeout = time.Minute
	h.smtp.WriteTimeout = time.Minute
	h.smtp.ErrorLog = quiet

	h.wg.Add(2)
	go func() { defer h.wg.Done(); _ = h.imap.Serve(imapL) }()
	go func() { defer h.wg.Done(); _ = h.smtp.Serve(smtpL) }()
	return h, nil
}

// IMAPAddr is the IMAP server's host:port (no TLS).
func (h *Host) IMAPAddr() string { return h.imapL.Addr().String() }

// SMTPAddr is the SMTP submission server's host:port (no TLS; AUTH PLAIN).
func (h *Host) SMTPAddr() string { return h.smtpL.Addr().String() }

// Close stops both servers and closes every connection. The Host's
// methods return ErrClosed afterwards.
func (h *Host) Close() error {
	h.closeOnce.Do(func() {
		close(h.done)
		_ = h.imap.Close()
		_ = h.smtp.Close()
		h.wg.Wait()
		h.mu.Lock()
		for ch := range h.watchers {
			close(ch)
		}
		h.watchers = map[chan Change]struct{}{}
		h.mu.Unlock()
	})
	return nil
}

func (h *Host) closed() bool {
	select {
	case <-h.done:
		return true
	default:
		return false
	}
}

// AddAccount creates the account address (its login, case-insensitive)
// with password and empty INBOX and Sent folders.
func (h *Host) AddAccount(address, password string) error {
	key := strings.ToLower(strings.TrimSpace(address))
	if key == "" || !strings.Contains(key, "@") || password == "" {
		return errors.New("mailhost: an account needs an address and a password")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.accounts[key]; ok {
		return fmt.Errorf("mailhost: account %s exists", key)
	}
	a := &account{address: key, password: password, folders: map[string]*folder{}}
	for _, f := range []string{Inbox, Sent} {
		a.folders[f] = &folder{name: f, nextUID: 1}
	}
	h.accounts[key] = a
	return nil
}

// login returns the account address when password is its password.
func (h *Host) login(address, password string) (*account, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	a, ok := h.accounts[strings.ToLower(address)]
	if !ok || a.password != password {
		return nil, false
	}
	return a, true
}

// hasAccount reports whether address is a local account.
func (h *Host) hasAccount(address string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.accounts[strings.ToLower(address)]
	return ok
}

// folderLocked finds a folder; h.mu is held.
func (h *Host) folderLocked(address, name string) (*folder, error) {
	a, ok := h.accounts[strings.ToLower(address)]
	if !ok {
		return nil, ErrNoAccount
	}
	if strings.EqualFold(name, Inbox) {
		name = Inbox
	}
	f, ok := a.folders[name]
	if !ok {
		return nil, ErrNoFolder
	}
	return f, nil
}

// Append stores raw in the folder of address with flags, as IMAP APPEND
// does, and announces it. It returns the mail's UID.
func (h *Host) Append(address, folderName string, raw []byte, flags []string, date time.Time) (uint32, error) {
	if h.closed() {
		return 0, ErrClosed
	}
	if len(raw) > MaxMessageBytes {
		return 0, fmt.Errorf("mailhost: a mail over %d bytes", MaxMessageBytes)
	}
	if date.IsZero() {
		date = time.Now()
	}
	h.mu.Lock()
	f, err := h.folderLocked(address, folderName)
	if err != nil {
		h.mu.Unlock()
		return 0, err
	}
	m := &memory.Message{Uid: f.nextUID, Date: date, Size: uint32(len(raw)), Flags: slices.Clone(flags), Body: slices.Clone(raw)}
	f.nextUID++
	f.msgs = append(f.msgs, m)
	acct := strings.ToLower(address)
	h.mu.Unlock()

	h.announce(acct, f.name, m.Uid, true)
	return m.Uid, nil
}

// Deliver puts raw in the INBOX of every recipient, as the SMTP server
// does with a mail it accepted.
func (h *Host) Deliver(to []string, raw []byte) error {
	for _, rcpt := range to {
		if _, err := h.Append(rcpt, Inbox, raw, nil, time.Time{}); err != nil {
			return err
		}
	}
	return nil
}

// announce tells the IMAP clients that have the folder selected (EXISTS,
// which ends an IDLE) when it grew, and the watchers.
func (h *Host) announce(address, folderName string, uid uint32, grew bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if grew {
		h.existsLocked(address, folderName)
	}
	for ch := range h.watchers {
		select {
		case ch <- Change{Address: address, Folder: folderName, UID: uid}:
		default: // a slow watcher reads the folder again anyway
		}
	}
}

// Messages returns a copy of the folder's mails in UID order.
func (h *Host) Messages(address, folderName string) ([]Message, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f, err := h.folderLocked(address, folderName)
	if err != nil {
		return nil, err
	}
	out := make([]Message, 0, len(f.msgs))
	for _, m := range f.msgs {
		out = append(out, Message{UID: m.Uid, Date: m.Date, Flags: slices.Clone(m.Flags), Raw: m.Body})
	}
	return out, nil
}

// SetSeen sets or clears the \Seen flag of a mail, as IMAP STORE does.
func (h *Host) SetSeen(address, folderName string, uid uint32, seen bool) error {
	h.mu.Lock()
	f, err := h.folderLocked(address, folderName)
	if err != nil {
		h.mu.Unlock()
		return err
	}
	i := slices.IndexFunc(f.msgs, func(m *memory.Message) bool { return m.Uid == uid })
	if i < 0 {
		h.mu.Unlock()
		return ErrNoMessage
	}
	var op imap.FlagsOp = imap.RemoveFlags
	if seen {
		op = imap.AddFlags
	}
	f.msgs[i].Flags = updateFlags(f.msgs[i].Flags, op, []string{imap.SeenFlag})
	h.mu.Unlock()
	h.announce(strings.ToLower(address), f.name, uid, false)
	return nil
}

// Watch returns a channel of the changes to every folder, until stop or
// Close. A watcher that falls behind misses changes, never blocks the Host.
func (h *Host) Watch() (<-chan Change, func()) {
	ch := make(chan Change, 32)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed() {
		close(ch)
		return ch, func() {}
	}
	h.watchers[ch] = struct{}{}
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, ok := h.watchers[ch]; ok {
			delete(h.watchers, ch)
			close(ch)
		}
	}
}
