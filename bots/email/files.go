package email

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// FileSource reads the files customers send by mail, so that another
// platform (Slack) can copy them. A ticket keeps no file content: an
// attachment's FileID names the mail in the mailbox and the file's place
// in it (FileID), and OpenFile fetches the mail again over IMAP (read-only)
// and takes the file out. Mail is never deleted unless configured, so the
// files stay as long as the mails; agents' chats copy them within seconds
// anyway. It needs only the Config, so the adapters that use it are built
// before the Bot.
type FileSource struct {
	mailbox *Mailbox
	parser  Parser
}

// NewFileSource returns the FileSource of the mailbox cfg configures.
func NewFileSource(cfg Config) (*FileSource, error) {
	mb, err := NewMailbox(cfg.IMAP)
	if err != nil {
		return nil, &ConfigError{"IMAP", err.Error()}
	}
	return &FileSource{mailbox: mb, parser: Parser{MaxSize: cfg.IMAP.MaxSize}}, nil
}

// OpenFile returns the content of a file a customer sent by mail (an
// attachment with Source "email"), and a with its Name and Size: the
// whole mail for file 0 (OriginalName), else that attachment of it.
// A file whose mail is gone (deleted, or its folder renumbered) is a
// *delivery.PermanentError with Reason "file_not_found"; a failure to
// reach the server is transient.
func (f *FileSource) OpenFile(ctx context.Context, a tickets.Attachment) (io.ReadCloser, tickets.Attachment, error) {
	if a.Source != Platform {
		return nil, a, delivery.Permanent("not_email", fmt.Errorf("the file is held by %q, not the mailbox", a.Source))
	}
	mailbox, uv, uid, i, err := parseFileID(a.FileID)
	if err != nil {
		return nil, a, delivery.Permanent("file_not_found", err)
	}
	raw, err := f.mailbox.Fetch(ctx, mailbox, uv, uid)
	switch {
	case errors.Is(err, ErrGone):
		return nil, a, delivery.Permanent("file_not_found", err)
	case errors.Is(err, ErrTooLarge):
		return nil, a, delivery.Permanent("file_too_big", err)
	case err != nil:
		return nil, a, err
	}
	if i == 0 {
		if a.Name == "" {
			a.Name = OriginalName
		}
		a.Size = int64(len(raw))
		return io.NopCloser(bytes.NewReader(raw)), a, nil
	}
	m, err := f.parser.Parse(bytes.NewReader(raw))
	if err != nil {
		return nil, a, delivery.Permanent("file_not_found", err)
	}
	if i > len(m.Attachments) {
		return nil, a, delivery.Permanent("file_not_found", fmt.Errorf("the mail has no file %d", i))
	}
	file := m.Attachments[i-1]
	if a.Name == "" {
		a.Name = file.Name
	}
	a.Size = file.Size
	return io.NopCloser(file.Open()), a, nil
}
