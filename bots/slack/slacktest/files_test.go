package slacktest_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/colombiainformatica/ticketbot/bots/slack/slacktest"
)

// The upload flow of slack-go (files.getUploadURLExternal, the bytes to
// the upload URL, files.completeUploadExternal with channel_id and
// thread_ts) posts the file in the thread, and files.info and the private
// URL give it back to the bot token.
func TestUploadIntoThread(t *testing.T) {
	srv, api := newClient(t)
	ctx := context.Background()
	_, parent, err := api.PostMessageContext(ctx, queue, slack.MsgOptionText("card", false))
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("png"), 10000)
	sum, err := api.UploadFileContext(ctx, slack.UploadFileParameters{
		Reader: bytes.NewReader(data), FileSize: len(data), Filename: "shot.png", Title: "shot.png",
		Channel: queue, ThreadTimestamp: parent,
	})
	if err != nil {
		t.Fatal(err)
	}
	th := srv.Thread(queue, parent)
	if len(th) != 1 || len(th[0].Files) != 1 || th[0].Files[0].ID != sum.ID || !th[0].IsBot() {
		t.Fatalf("thread = %+v", th)
	}
	if got, ok := srv.FileData(sum.ID); !ok || !bytes.Equal(got, data) {
		t.Fatalf("uploaded %d bytes, want %d", len(got), len(data))
	}
	f, _, _, err := api.GetFileInfoContext(ctx, sum.ID, 0, 0)
	if err != nil || f.Name != "shot.png" || f.Mimetype != "image/png" || f.Size != len(data) || f.URLPrivateDownload == "" {
		t.Fatalf("files.info = %+v, %v", f, err)
	}
	var buf bytes.Buffer
	if err := api.GetFileContext(ctx, f.URLPrivateDownload, &buf); err != nil || !bytes.Equal(buf.Bytes(), data) {
		t.Fatalf("download: %d bytes, %v", buf.Len(), err)
	}
	// Completing an upload whose bytes never came, or twice, fails.
	u, err := api.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{FileName: "x.txt", FileSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	_, err = api.CompleteUploadExternalContext(ctx, slack.CompleteUploadExternalParameters{Files: []slack.FileSummary{{ID: u.FileID}}, Channel: queue})
	if !isSlackError(err, "file_not_found") {
		t.Fatalf("complete before the upload: %v", err)
	}
	if _, err := api.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{FileName: "big.iso", FileSize: slacktest.MaxFileSize + 1}); !isSlackError(err, "file_upload_size_restricted") {
		t.Fatalf("a file over 1 GB: %v", err)
	}
}

// A fault on the upload flow is answered once, as Slack's edge would.
func TestUploadFaults(t *testing.T) {
	srv, api := newClient(t)
	ctx := context.Background()
	srv.FailNext(slacktest.UploadEndpoint, 1, 502)
	params := slack.UploadFileParameters{Content: "hello", FileSize: 5, Filename: "a.txt", Channel: queue}
	_, err := api.UploadFileContext(ctx, params)
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != 502 {
		t.Fatalf("first upload: %v", err)
	}
	if _, err := api.UploadFileContext(ctx, params); err != nil {
		t.Fatalf("second upload: %v", err)
	}
	if msgs := srv.Messages(queue); len(msgs) != 1 || len(msgs[0].Files) != 1 {
		t.Fatalf("channel = %+v, want the file once", msgs)
	}
}

// The private URL serves a file to the bot token only.
func TestPrivateURLNeedsTheToken(t *testing.T) {
	srv, api := newClient(t)
	ctx := context.Background()
	srv.AddUser("U1", "Ana", "Ana")
	_, files, err := srv.PostUserFiles(ctx, "U1", queue, "", "", slacktest.UserFile{Name: "log.txt", Data: []byte("secret log")})
	if err == nil || !strings.Contains(err.Error(), "SetApp") {
		t.Fatalf("PostUserFiles without an app: %v", err)
	}
	u := files[0].URLPrivateDownload
	for name, auth := range map[string]string{"missing": "", "forged": "Bearer xoxb-forged", "malformed": srv.Token()} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || bytes.Contains(body, []byte("secret")) {
			t.Errorf("%s token: %d %q, want 401", name, resp.StatusCode, body)
		}
	}
	forged := slack.New("xoxb-forged", slack.OptionAPIURL(srv.APIURL()))
	var buf bytes.Buffer
	var sc slack.StatusCodeError
	if err := forged.GetFileContext(ctx, u, &buf); !errors.As(err, &sc) || sc.Code != 401 || buf.Len() != 0 {
		t.Fatalf("forged client: %v, %d bytes", err, buf.Len())
	}
	if err := api.GetFileContext(ctx, u, &buf); err != nil || buf.String() != "secret log" {
		t.Fatalf("bot token: %q, %v", buf.String(), err)
	}
}
