package mailhost

import (
	"errors"
	"io"
	"slices"
	"time"

	"github.com/emersion/go-imap"
	"github.com/emersion/go-imap/backend"
	"github.com/emersion/go-imap/backend/backendutil"
	"github.com/emersion/go-imap/backend/memory"
)

// errFixedFolders refuses changes to the folder list: every account has
// INBOX and Sent, no more.
var errFixedFolders = errors.New("the demo's accounts have INBOX and Sent only")

// imapBackend logs the accounts in.
type imapBackend struct{ h *Host }

func (b imapBackend) Login(_ *imap.ConnInfo, username, password string) (backend.User, error) {
	a, ok := b.h.login(username, password)
	if !ok {
		return nil, backend.ErrInvalidCredentials
	}
	return imapUser{h: b.h, address: a.address}, nil
}

// imapUser is a logged-in account.
type imapUser struct {
	h       *Host
	address string
}

func (u imapUser) Username() string { return u.address }

func (u imapUser) ListMailboxes(bool) ([]backend.Mailbox, error) {
	return []backend.Mailbox{u.box(Inbox), u.box(Sent)}, nil
}

func (u imapUser) GetMailbox(name string) (backend.Mailbox, error) {
	u.h.mu.Lock()
	f, err := u.h.folderLocked(u.address, name)
	u.h.mu.Unlock()
	if err != nil {
		return nil, backend.ErrNoSuchMailbox
	}
	return u.box(f.name), nil
}

func (u imapUser) box(name string) imapMailbox {
	return imapMailbox{h: u.h, address: u.address, name: name}
}

func (u imapUser) CreateMailbox(string) error         { return errFixedFolders }
func (u imapUser) DeleteMailbox(string) error         { return errFixedFolders }
func (u imapUser) RenameMailbox(string, string) error { return errFixedFolders }
func (u imapUser) Logout() error                      { return nil }

// imapMailbox is one folder of an account; every method takes the Host's
// lock and finds the folder again.
type imapMailbox struct {
	h       *Host
	address string
	name    string
}

func (m imapMailbox) Name() string { return m.name }

func (m imapMailbox) Info() (*imap.MailboxInfo, error) {
	return &imap.MailboxInfo{Delimiter: "/", Name: m.name}, nil
}

// with runs f on the folder under the Host's lock.
func (m imapMailbox) with(f func(*folder) error) error {
	m.h.mu.Lock()
	defer m.h.mu.Unlock()
	fo, err := m.h.folderLocked(m.address, m.name)
	if err != nil {
		return err
	}
	return f(fo)
}

func (m imapMailbox) Status(items []imap.StatusItem) (*imap.MailboxStatus, error) {
	var st *imap.MailboxStatus
	err := m.with(func(f *folder) error {
		st = f.statusLocked(items, m.h.uidValidity)
		return nil
	})
	return st, err
}

// statusLocked answers STATUS and SELECT; the Host's lock is held.
func (f *folder) statusLocked(items []imap.StatusItem, uidValidity uint32) *imap.MailboxStatus {
	st := imap.NewMailboxStatus(f.name, items)
	st.Flags = []string{imap.SeenFlag, imap.AnsweredFlag, imap.FlaggedFlag, imap.DeletedFlag, imap.DraftFlag}
	st.PermanentFlags = st.Flags
	unseen := uint32(0)
	for i, msg := range f.msgs {
		if !slices.Contains(msg.Flags, imap.SeenFlag) {
			if st.UnseenSeqNum == 0 {
				st.UnseenSeqNum = uint32(i + 1)
			}
			unseen++
		}
	}
	for _, it := range items {
		switch it {
		case imap.StatusMessages:
			st.Messages = uint32(len(f.msgs))
		case imap.StatusUidNext:
			st.UidNext = f.nextUID
		case imap.StatusUidValidity:
			st.UidValidity = uidValidity
		case imap.StatusRecent:
			st.Recent = 0
		case imap.StatusUnseen:
			st.Unseen = unseen
		}
	}
	return st
}

func (m imapMailbox) SetSubscribed(bool) error { return nil }
func (m imapMailbox) Check() error             { return nil }

func (m imapMailbox) ListMessages(uid bool, set *imap.SeqSet, items []imap.FetchItem, ch chan<- *imap.Message) error {
	defer close(ch)
	// Fetched under the lock, sent after it: the connection may be slow.
	var out []*imap.Message
	err := m.with(func(f *folder) error {
		for i, msg := range f.msgs {
			seq := uint32(i + 1)
			id := seq
			if uid {
				id = msg.Uid
			}
			if !set.Contains(id) {
				continue
			}
			fm, err := msg.Fetch(seq, items)
			if err != nil {
				continue
			}
			fm.Flags = slices.Clone(fm.Flags)
			out = append(out, fm)
		}
		return nil
	})
	for _, fm := range out {
		ch <- fm
	}
	return err
}

func (m imapMailbox) SearchMessages(uid bool, c *imap.SearchCriteria) ([]uint32, error) {
	var ids []uint32
	err := m.with(func(f *folder) error {
		for i, msg := range f.msgs {
			seq := uint32(i + 1)
			if ok, err := msg.Match(seq, c); err != nil || !ok {
				continue
			}
			if uid {
				ids = append(ids, msg.Uid)
			} else {
				ids = append(ids, seq)
			}
		}
		return nil
	})
	return ids, err
}

// CreateMessage is APPEND.
func (m imapMailbox) CreateMessage(flags []string, date time.Time, body imap.Literal) error {
	raw, err := io.ReadAll(io.LimitReader(body, MaxMessageBytes+1))
	if err != nil {
		return err
	}
	_, err = m.h.Append(m.address, m.name, raw, flags, date)
	return err
}

func (m imapMailbox) UpdateMessagesFlags(uid bool, set *imap.SeqSet, op imap.FlagsOp, flags []string) error {
	return m.with(func(f *folder) error {
		for i, msg := range f.msgs {
			id := uint32(i + 1)
			if uid {
				id = msg.Uid
			}
			if set.Contains(id) {
				msg.Flags = updateFlags(msg.Flags, op, flags)
			}
		}
		return nil
	})
}

// updateFlags applies op to a copy of current: fetched messages may still
// hold the old slice.
func updateFlags(current []string, op imap.FlagsOp, flags []string) []string {
	return backendutil.UpdateFlags(slices.Clone(current), op, flags)
}

func (m imapMailbox) CopyMessages(uid bool, set *imap.SeqSet, dest string) error {
	var copies [][]byte
	var dates []time.Time
	var flags [][]string
	err := m.with(func(f *folder) error {
		for i, msg := range f.msgs {
			id := uint32(i + 1)
			if uid {
				id = msg.Uid
			}
			if set.Contains(id) {
				copies, dates, flags = append(copies, msg.Body), append(dates, msg.Date), append(flags, slices.Clone(msg.Flags))
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, raw := range copies {
		if _, err := m.h.Append(m.address, dest, raw, flags[i], dates[i]); err != nil {
			if errors.Is(err, ErrNoFolder) {
				return backend.ErrNoSuchMailbox
			}
			return err
		}
	}
	return nil
}

func (m imapMailbox) Expunge() error {
	return m.with(func(f *folder) error {
		f.msgs = slices.DeleteFunc(f.msgs, func(msg *memory.Message) bool {
			return slices.Contains(msg.Flags, imap.DeletedFlag)
		})
		return nil
	})
}
