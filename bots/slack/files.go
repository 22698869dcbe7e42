package slack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// Files opens the files customers attach, which their chat platform holds
// (a tickets.Attachment whose Source is not Slack), so that the Bot can
// copy them into the ticket's thread. *telegram.Bot satisfies it.
type Files interface {
	// OpenFile returns the content of attachment a and a with its Name
	// and Size as the holding platform knows them. The caller closes the
	// content. The error is a *delivery.PermanentError when the file can
	// never be read (too big for the platform to hand out, gone; its
	// message says why, for agents), a *delivery.RetryAfterError when the
	// platform asked to wait, and any other error for a transient failure.
	OpenFile(ctx context.Context, a tickets.Attachment) (io.ReadCloser, tickets.Attachment, error)
}

// noFiles is the Files of a Bot wired to no customer platform.
type noFiles struct{}

func (noFiles) OpenFile(_ context.Context, a tickets.Attachment) (io.ReadCloser, tickets.Attachment, error) {
	return nil, a, delivery.Permanent("no_source", errors.New("files of the customer's platform cannot be fetched"))
}

// sendFile copies attachment i of conversation entry id of ticket n (of
// the ticket itself when id is 0) into the card's thread, once: an upload with files.getUploadURLExternal, the
// bytes to the upload URL and files.completeUploadExternal in the thread
// (slack-go's UploadFileContext). A file that can never be copied is
// named in the thread with the reason instead. Transient failures are
// returned for delivery to retry. The marker is written after the upload
// completed; see the package documentation for the one case that can post
// a file twice.
func (b *Bot) sendFile(ctx context.Context, channel string, n, id int64, i int) error {
	if done, err := b.store.FileCopied(ctx, n, id, i); err != nil || done {
		return err
	}
	atts, err := b.attachments(ctx, n, id)
	if err != nil {
		return err
	}
	if i < 1 || i > len(atts) {
		return nil
	}
	a := atts[i-1]
	ch, parent, err := b.thread(ctx, channel, n)
	if err != nil {
		return err
	}
	noteTS := ""
	fileID, err := b.copyFile(ctx, ch, parent, a)
	if err != nil {
		var nc *notCopiedError
		if !errors.As(err, &nc) {
			return err
		}
		b.log.Warn().Err(nc.err).Int64("ticket", n).Int64("message", id).Int("file", i).Msg("file not copied to slack")
		text := ":warning: *" + clipped(nc.name, listItemChars) + "* was not copied here: " + clipped(nc.why, cardReasonChars*3) + "."
		_, ts, err := b.api.PostMessageContext(ctx, ch, slackapi.MsgOptionTS(parent),
			slackapi.MsgOptionBlocks(slackapi.NewContextBlock("", verbatim(text))), slackapi.MsgOptionText(text, false),
			slackapi.MsgOptionDisableLinkUnfurl(), slackapi.MsgOptionDisableMediaUnfurl())
		if err != nil {
			return err
		}
		noteTS = ts
	}
	// Written even when ctx ended meanwhile: the file is in the thread.
	mctx, mcancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer mcancel()
	return b.store.SaveFileCopied(mctx, n, id, i, fileID, noteTS)
}

// attachments returns the files of conversation entry id of ticket n, or
// with id 0 the ticket's own (attached in the form that opened it).
func (b *Bot) attachments(ctx context.Context, n, id int64) ([]tickets.Attachment, error) {
	if id == 0 {
		t, err := b.svc.Get(ctx, tickets.SystemActor, n)
		return t.Attachments, err
	}
	m, err := b.svc.Message(ctx, tickets.SystemActor, n, id)
	return m.Attachments, err
}

// notCopiedError is a file that can never be copied, and why (for agents).
type notCopiedError struct {
	name, why string
	err       error
}

func (e *notCopiedError) Error() string { return e.name + " not copied: " + e.why }

// copyFile opens a from its platform, uploads it into the thread of
// parent and returns the Slack file's ID. It returns a *notCopiedError
// when that can never succeed, and the delivery-classified failure
// otherwise.
func (b *Bot) copyFile(ctx context.Context, ch, parent string, a tickets.Attachment) (string, error) {
	name := a.DisplayName()
	rc, info, err := b.files.OpenFile(ctx, a)
	if err != nil {
		if p, ok := delivery.IsPermanent(err); ok {
			return "", &notCopiedError{name: name, why: openFailure(p), err: err}
		}
		return "", err
	}
	defer rc.Close()
	if info.Name != "" {
		name = info.Name
	}
	if info.Size <= 0 {
		return "", &notCopiedError{name: name, why: "the file is empty", err: errors.New("empty file")}
	}
	sum, err := b.api.UploadFileContext(ctx, slackapi.UploadFileParameters{
		Reader: rc, FileSize: int(info.Size), Filename: name, Title: name,
		Channel: ch, ThreadTimestamp: parent,
	})
	err = sendError(err)
	if p, ok := delivery.IsPermanent(err); ok && !uploadAuthFailure(p.Reason) {
		return "", &notCopiedError{name: name, why: "Slack refused the upload (" + p.Reason + ")", err: err}
	}
	if err != nil || sum == nil {
		return "", err
	}
	return sum.ID, nil
}

// openFailure says for agents why a file could not be read from the
// customer's platform.
func openFailure(p *delivery.PermanentError) string {
	switch p.Reason {
	case "file_too_big":
		return p.Err.Error()
	case "file_not_found":
		return "the customer's chat platform no longer has it"
	case "no_source":
		return "files of the customer's chat platform cannot be fetched"
	}
	return "it could not be read from the customer's chat platform (" + p.Reason + ")"
}

// uploadAuthFailure reports failures that concern the app, not the file:
// they are dead-lettered for an operator rather than explained per file.
func uploadAuthFailure(reason string) bool {
	switch reason {
	case "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
		"missing_scope", "no_permission", "team_access_not_granted":
		return true
	}
	return false
}

// FileSource reads the files agents share in Slack, so that another
// platform (the customer's chat) can upload them. It needs only the
// Config, so the adapters that use it are built before the Bot.
type FileSource struct{ api *slackapi.Client }

// NewFileSource returns the FileSource of the app cfg configures.
func NewFileSource(cfg Config) (*FileSource, error) {
	if _, err := cfg.check(); err != nil {
		return nil, err
	}
	return &FileSource{api: newClient(cfg)}, nil
}

// OpenFile returns the content of a file an agent shared in Slack (an
// attachment with Source "slack"), for another platform to upload, and a
// with Name, Size and Kind as files.info tells them. The content is read
// from the file's url_private_download with the bot token (slack-go's
// GetFileContext) while the caller reads it. Errors follow Files: a file
// that is gone or refused to the token is a *delivery.PermanentError; the
// app's own token or scopes refused (files:read missing) is transient.
func (b *FileSource) OpenFile(ctx context.Context, a tickets.Attachment) (io.ReadCloser, tickets.Attachment, error) {
	if a.Source != Platform {
		return nil, a, delivery.Permanent("not_slack", fmt.Errorf("the file is held by %q, not Slack", a.Source))
	}
	f, _, _, err := b.api.GetFileInfoContext(ctx, a.FileID, 0, 0)
	if err != nil {
		err = sendError(err)
		if p, ok := delivery.IsPermanent(err); ok && uploadAuthFailure(p.Reason) {
			// The app's token or scopes (files:read), not the file: left
			// to retry and dead-letter, replayable once fixed, rather
			// than the file replaced by its name for good.
			return nil, a, p.Err
		}
		return nil, a, err
	}
	if f.IsExternal {
		return nil, a, delivery.Permanent("external_file", errors.New("the file is a link to another service"))
	}
	a.Name, a.Size, a.Kind = f.Name, int64(f.Size), kindOf(f.Mimetype)
	u := f.URLPrivateDownload
	if u == "" {
		u = f.URLPrivate
	}
	pr, pw := io.Pipe()
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		err := b.api.GetFileContext(ctx, u, &firstWrite{w: pw, started: started})
		pw.CloseWithError(err)
		done <- err
	}()
	// Never more than files.info said: a longer download fails.
	body := http.MaxBytesReader(nil, pr, a.Size)
	// The download answers before the first byte is written: a refusal
	// (401, 404) is an error of OpenFile, not of the reader.
	select {
	case <-started:
		return body, a, nil
	case err := <-done:
		if err != nil {
			pr.Close()
			return nil, a, sendError(err)
		}
		return body, a, nil // an empty file
	}
}

// firstWrite closes started before its first write.
type firstWrite struct {
	w       io.Writer
	started chan struct{}
	once    bool
}

func (f *firstWrite) Write(p []byte) (int, error) {
	if !f.once {
		f.once = true
		close(f.started)
	}
	return f.w.Write(p)
}

// kindOf is the attachment kind of a file with mimetype: a photo for
// images, else a document.
func kindOf(mimetype string) string {
	if strings.HasPrefix(mimetype, "image/") {
		return "photo"
	}
	return "document"
}

// eventFile is the part of a message event's file the adapter reads.
type eventFile struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Title      string `json:"title"`
	Mimetype   string `json:"mimetype"`
	Size       int64  `json:"size"`
	Mode       string `json:"mode"`
	IsExternal bool   `json:"is_external"`
}

// attachmentsOf turns the files of a thread message into attachments held
// by Slack, and names those that cannot be sent on (links to other
// services, files hidden or deleted).
func attachmentsOf(files []eventFile) (atts []tickets.Attachment, skipped []string) {
	for _, f := range files {
		name := f.Name
		if name == "" {
			name = f.Title
		}
		if f.ID == "" || f.IsExternal || f.Mode == "external" || f.Mode == "tombstone" || f.Mode == "hidden_by_limit" {
			if name == "" {
				name = "a file"
			}
			skipped = append(skipped, name)
			continue
		}
		if name == "" {
			name = "file"
		}
		atts = append(atts, tickets.Attachment{Kind: kindOf(f.Mimetype), FileID: f.ID, Name: name, Size: f.Size, Source: Platform})
	}
	return atts, skipped
}
