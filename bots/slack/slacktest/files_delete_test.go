package slacktest_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/slack-go/slack"

	"github.com/colombiainformatica/ticketbot/bots/slack/slacktest"
)

// TestFilesDelete: the app deletes a file it uploaded with files.delete;
// the file leaves its message, files.info and a second delete answer as
// Slack does, and a file a user shared cannot be deleted by the bot.
func TestFilesDelete(t *testing.T) {
	srv, api := newClient(t)
	ctx := context.Background()
	_, parent, err := api.PostMessageContext(ctx, queue, slack.MsgOptionText("card", false))
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("customer's screenshot")
	sum, err := api.UploadFileContext(ctx, slack.UploadFileParameters{
		Reader: bytes.NewReader(data), FileSize: len(data), Filename: "shot.png", Title: "shot.png",
		Channel: queue, ThreadTimestamp: parent,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := api.DeleteFileContext(ctx, sum.ID); err != nil {
		t.Fatalf("files.delete: %v", err)
	}
	if !srv.FileDeleted(sum.ID) {
		t.Error("FileDeleted = false")
	}
	if _, ok := srv.FileData(sum.ID); ok {
		t.Error("the deleted file's content is still served")
	}
	if th := srv.Thread(queue, parent); len(th) != 1 || len(th[0].Files) != 0 {
		t.Errorf("thread after delete = %+v", th)
	}
	if _, _, _, err := api.GetFileInfoContext(ctx, sum.ID, 0, 0); !isSlackError(err, "file_not_found") {
		t.Errorf("files.info of a deleted file: %v", err)
	}
	if err := api.DeleteFileContext(ctx, sum.ID); !isSlackError(err, "file_deleted") {
		t.Errorf("files.delete again: %v; want file_deleted", err)
	}
	if err := api.DeleteFileContext(ctx, "F0NEVER"); !isSlackError(err, "file_not_found") {
		t.Errorf("files.delete of an unknown file: %v; want file_not_found", err)
	}
	srv.AddUser("U1", "Ana", "Ana")
	// Without an app to tell, the file is still shared (and the error says so).
	_, files, _ := srv.PostUserFiles(ctx, "U1", queue, "", "", slacktest.UserFile{Name: "log.txt", Data: []byte("a user's log")})
	if len(files) != 1 {
		t.Fatalf("PostUserFiles = %v", files)
	}
	if err := api.DeleteFileContext(ctx, files[0].ID); !isSlackError(err, "cant_delete_file") {
		t.Errorf("files.delete of a user's file: %v; want cant_delete_file", err)
	}
}
