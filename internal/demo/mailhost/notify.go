package mailhost

import (
	"github.com/emersion/go-imap"
	"github.com/emersion/go-imap/responses"
	imapserver "github.com/emersion/go-imap/server"
)

// selection is an IMAP connection with a folder selected: what it was
// told the folder holds, and the connection's response queue.
type selection struct {
	address, folder string
	known           uint32 // messages the connection knows of
	responses       chan<- imap.WriterTo
	loggedOut       <-chan struct{}
}

// selectExtension replaces SELECT and EXAMINE with versions that record
// the selection in the Host, so that new mail is announced to it.
type selectExtension struct{ h *Host }

func (e selectExtension) Capabilities(imapserver.Conn) []string { return nil }

func (e selectExtension) Command(name string) imapserver.HandlerFactory {
	switch name {
	case "SELECT":
		return func() imapserver.Handler { return &selectCmd{h: e.h} }
	case "EXAMINE":
		return func() imapserver.Handler {
			c := &selectCmd{h: e.h}
			c.ReadOnly = true
			return c
		}
	}
	return nil
}

type selectCmd struct {
	imapserver.Select
	h *Host
}

// Handle selects as the library does, then records the selection. It
// runs on the connection's own goroutine, the only one that may read the
// connection's Context.
func (c *selectCmd) Handle(conn imapserver.Conn) error {
	ctx := conn.Context()
	err := c.Select.Handle(conn) // an *ErrStatusResp when it succeeded too
	mb, ok := ctx.Mailbox.(imapMailbox)
	h := c.h
	h.mu.Lock()
	defer h.mu.Unlock()
	_, had := h.selected[ctx]
	if !ok { // the selection failed
		delete(h.selected, ctx)
		return err
	}
	f, ferr := h.folderLocked(mb.address, mb.name)
	if ferr != nil {
		delete(h.selected, ctx)
		return err
	}
	h.selected[ctx] = &selection{address: mb.address, folder: f.name, known: uint32(len(f.msgs)),
		responses: ctx.Responses, loggedOut: ctx.LoggedOut}
	if !had {
		go func() { // forget the connection when it ends
			select {
			case <-ctx.LoggedOut:
			case <-h.done:
			}
			h.mu.Lock()
			delete(h.selected, ctx)
			h.mu.Unlock()
		}()
	}
	return nil
}

// existsLocked sends "* n EXISTS" to every connection that has the folder
// selected and knows of fewer mails; h.mu is held.
func (h *Host) existsLocked(address, folderName string) {
	f, err := h.folderLocked(address, folderName)
	if err != nil {
		return
	}
	n := uint32(len(f.msgs))
	for _, s := range h.selected {
		if s.address != address || s.folder != f.name || s.known >= n {
			continue
		}
		s.known = n
		st := imap.NewMailboxStatus(f.name, []imap.StatusItem{imap.StatusMessages})
		st.Messages = n
		go func(s *selection) {
			select { // the connection's writer sends it between responses
			case s.responses <- &responses.Select{Mailbox: st}:
			case <-s.loggedOut:
			case <-h.done:
			}
		}(s)
	}
}
