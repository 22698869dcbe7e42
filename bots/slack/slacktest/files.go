package slacktest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// Files: the upload flow (files.getUploadURLExternal, a POST of the bytes
// to the upload URL, files.completeUploadExternal), files.info and the
// private download URLs, which need the bot token.

// MaxFileSize is the largest file Slack accepts (1 GB): a larger length
// asked of files.getUploadURLExternal answers file_upload_size_restricted.
const MaxFileSize = 1 << 30

// UploadEndpoint names the upload URL's requests in Calls, Stats, FailNext,
// RateLimitNext and SetLatency, as if it were a method.
const UploadEndpoint = "upload"

// pendingUpload is a file between files.getUploadURLExternal and
// files.completeUploadExternal.
type pendingUpload struct {
	id       string
	name     string
	length   int
	altTxt   string
	data     []byte
	uploaded bool
}

// FileData returns the content of file id: one a user shared or the app
// uploaded.
func (s *Server) FileData(id string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[id]
	if !ok || f.Data == nil {
		return nil, false
	}
	return bytes.Clone(f.Data), true
}

// fileJSONLocked renders a file the way the Web API returns it.
func (s *Server) fileJSONLocked(f File) map[string]any {
	return map[string]any{
		"id": f.ID, "name": f.Name, "title": f.Title, "mimetype": f.Mimetype,
		"filetype": strings.TrimPrefix(path.Ext(f.Name), "."), "size": f.Size,
		"user": f.User, "url_private": f.URLPrivate, "url_private_download": f.URLPrivateDownload,
		"mode": "hosted", "created": s.now().Unix(), "is_public": false, "is_external": false,
	}
}

// newFileLocked registers a hosted file with its private URLs.
func (s *Server) newFileLocked(user, name, title, mimetype string, data []byte) File {
	id := s.nextIDLocked("F")
	if mimetype == "" {
		mimetype = mime.TypeByExtension(path.Ext(name))
		if mimetype == "" {
			mimetype = "application/octet-stream"
		}
		mimetype, _, _ = strings.Cut(mimetype, ";")
	}
	if title == "" {
		title = name
	}
	base := s.baseURL + "/files-pri/" + s.cfg.teamID + "-" + id + "/"
	f := File{
		ID: id, Name: name, Title: title, Mimetype: mimetype, Size: len(data), User: user,
		URLPrivate: base + escapeName(name), URLPrivateDownload: base + "download/" + escapeName(name),
		Data: bytes.Clone(data),
	}
	s.files[id] = f
	return f
}

func escapeName(name string) string {
	return strings.ReplaceAll(strings.ReplaceAll(name, "/", "_"), " ", "%20")
}

func (s *Server) filesGetUploadURLExternal(p params) (map[string]any, error) {
	name := p.Get("filename")
	length, err := strconv.Atoi(p.Get("length"))
	switch {
	case name == "":
		return nil, apiError("invalid_arguments")
	case err != nil || length <= 0:
		return nil, apiError("missing_argument")
	case length > MaxFileSize:
		return nil, apiError("file_upload_size_restricted")
	case len(p.Get("alt_txt")) > 1000:
		return nil, apiError("alt_txt_too_large")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextIDLocked("F")
	key := s.nextIDLocked("up")
	s.uploads[key] = &pendingUpload{id: id, name: name, length: length, altTxt: p.Get("alt_txt")}
	return map[string]any{"upload_url": s.baseURL + "/upload/v1/" + key, "file_id": id}, nil
}

// serveUpload receives a file's bytes at its upload URL: multipart (the
// "file" part, or the first one) or the raw body. Like Slack it answers
// 200 "OK - <bytes>", and 404 for an unknown or already used URL.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	call := Call{Method: UploadEndpoint, Time: s.now(), Header: r.Header.Clone()}
	call.Header.Del("Authorization")
	if status, retry, ok := s.takeFault(UploadEndpoint); ok {
		call.Status = status
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", fmt.Sprint(retry))
			call.Error = "ratelimited"
		} else {
			call.Error = http.StatusText(status)
		}
		s.record(call) // before the answer, which the client may act upon at once
		http.Error(w, http.StatusText(status), status)
		return
	}
	data, err := readUpload(r)
	s.mu.Lock()
	up := s.uploads[key]
	switch {
	case up == nil || up.uploaded:
		call.Status, call.Error = http.StatusNotFound, "not_found"
	case err != nil:
		call.Status, call.Error = http.StatusBadRequest, "bad_upload"
	default:
		up.data, up.uploaded = data, true
		call.Status = http.StatusOK
	}
	s.mu.Unlock()
	s.record(call)
	if call.Status != http.StatusOK {
		http.Error(w, call.Error, call.Status)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = fmt.Fprintf(w, "OK - %d", len(data))
}

func readUpload(r *http.Request) ([]byte, error) {
	body := http.MaxBytesReader(nil, r.Body, MaxFileSize+1<<20)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		return io.ReadAll(body)
	}
	r.Body = body
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, err
	}
	var first []byte
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if part.FileName() == "" && part.FormName() != "file" {
			continue
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return nil, err
		}
		if part.FormName() == "file" {
			return data, nil
		}
		if first == nil {
			first = data
		}
	}
	if first == nil {
		return nil, errors.New("no file in the upload")
	}
	return first, nil
}

// filesCompleteUploadExternal finishes uploads: each file becomes known to
// files.info and, with channel_id (or channels), is shared there in one
// message by the app, in the thread of thread_ts when given.
func (s *Server) filesCompleteUploadExternal(p params) (map[string]any, error) {
	var summaries []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if json.Unmarshal([]byte(p.Get("files")), &summaries) != nil || len(summaries) == 0 {
		return nil, apiError("invalid_arguments")
	}
	channelRef := p.Get("channel_id")
	if channelRef == "" {
		channelRef, _, _ = strings.Cut(p.Get("channels"), ",")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var c *channel
	if channelRef != "" {
		if c = s.findChannelLocked(channelRef); c == nil {
			return nil, apiError("channel_not_found")
		}
	}
	threadTS := p.Get("thread_ts")
	if threadTS != "" {
		if c == nil {
			return nil, apiError("invalid_arguments")
		}
		_, parent := s.findMessageLocked(c.id, threadTS)
		if parent == nil {
			return nil, apiError("thread_not_found")
		}
		if parent.ThreadTS != "" {
			threadTS = parent.ThreadTS
		}
	}
	ups := make([]*pendingUpload, len(summaries))
	for i, sum := range summaries {
		var key string
		for k, up := range s.uploads {
			if up.id == sum.ID {
				key = k
			}
		}
		if key == "" || !s.uploads[key].uploaded {
			return nil, apiError("file_not_found")
		}
		ups[i] = s.uploads[key]
		delete(s.uploads, key)
	}
	var files []File
	var out []any
	for i, up := range ups {
		f := s.newFileLocked(s.cfg.botUserID, up.name, summaries[i].Title, "", up.data)
		// The file keeps the ID files.getUploadURLExternal gave.
		delete(s.files, f.ID)
		base := s.baseURL + "/files-pri/" + s.cfg.teamID + "-" + up.id + "/"
		f.ID, f.URLPrivate, f.URLPrivateDownload = up.id, base+escapeName(up.name), base+"download/"+escapeName(up.name)
		s.files[f.ID] = f
		files = append(files, f)
		out = append(out, map[string]any{"id": f.ID, "title": f.Title})
	}
	if c != nil {
		m := &Message{
			Channel: c.id, TS: s.nextTSLocked(), ThreadTS: threadTS,
			User: s.cfg.botUserID, BotID: s.cfg.botID, Text: p.Get("initial_comment"), Files: files,
		}
		if b := p.Get("blocks"); b != "" && m.Text == "" {
			blocks, err := validateBlocks(b)
			if err != nil {
				return nil, err
			}
			m.Blocks = blocks
		}
		s.insertLocked(c, m)
		cp := m.clone()
		s.changedLocked(Event{Kind: MessagePosted, Channel: c.id, TS: m.TS, User: m.User, Message: &cp})
	}
	return map[string]any{"files": out}, nil
}

// serveFileDownload serves a file's private URL to the bot token only
// (Authorization: Bearer); anything else answers 401.
func (s *Server) serveFileDownload(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("ref")
	_, id, _ := strings.Cut(ref, "-")
	s.mu.Lock()
	token := s.cfg.token
	f, ok := s.files[id]
	s.mu.Unlock()
	if bearer(r) != token || token == "" {
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	if !ok || f.Data == nil {
		http.Error(w, "Not Found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", f.Mimetype)
	w.Header().Set("Content-Length", strconv.Itoa(len(f.Data)))
	_, _ = w.Write(f.Data)
}

// UserFile is a file a user shares with PostUserFiles.
type UserFile struct {
	Name     string
	Mimetype string // from the name's extension when empty
	Data     []byte
}

// PostUserFiles has user share files with text in a channel (in the thread
// of threadTS when not empty), as Slack's client does: the files are
// uploaded by the user, the message carries them, and a message event with
// subtype file_share and the files array is delivered to the app. It
// returns the message's ts and the shared files.
func (s *Server) PostUserFiles(ctx context.Context, userID, channelID, text, threadTS string, files ...UserFile) (string, []File, error) {
	s.mu.Lock()
	var shared []File
	for _, uf := range files {
		shared = append(shared, s.newFileLocked(userID, uf.Name, uf.Name, uf.Mimetype, uf.Data))
	}
	s.mu.Unlock()
	ts, err := s.postUser(ctx, userID, channelID, text, threadTS, shared)
	return ts, shared, err
}
