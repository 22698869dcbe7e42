package telegramtest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// resolveFile turns a photo/document parameter into a known file: an
// uploaded part, an attach://name reference, an http(s) URL, or a file_id
// the fake knows. Callers hold s.mu.
func (s *Server) resolveFile(rq *request, field, value, kind, fileName string) (*file, *apiError) {
	if up, ok := rq.files[field]; ok && value == "" {
		return s.newFile(kind, up.name, up.data), nil
	}
	if name, ok := strings.CutPrefix(value, "attach://"); ok {
		up, ok := rq.files[name]
		if !ok {
			return nil, badRequest("wrong file identifier/HTTP URL specified")
		}
		return s.newFile(kind, up.name, up.data), nil
	}
	if value == "" {
		return nil, badRequest("there is no %s in the request", kind)
	}
	if strings.HasPrefix(value, "http://") || strings.HasPrefix(value, "https://") {
		return s.newFile(kind, fileName, []byte("downloaded from "+value)), nil
	}
	f := s.files[value]
	if f == nil {
		return nil, badRequest("wrong file identifier/HTTP URL specified")
	}
	return f, nil
}

// newFile registers a file with a fresh file_id. Callers hold s.mu.
func (s *Server) newFile(kind, name string, data []byte) *file {
	s.nextFile++
	id := fmt.Sprintf("%s-%d-%s", kind, s.nextFile, strings.ReplaceAll(s.token, ":", ""))
	return s.registerFile(id, kind, name, data)
}

// registerFile makes getFile know id. Callers hold s.mu.
func (s *Server) registerFile(id, kind, name string, data []byte) *file {
	if f := s.files[id]; f != nil {
		return f
	}
	s.nextFile++
	ext := map[string]string{"photo": ".jpg", "voice": ".oga", "video": ".mp4", "audio": ".mp3"}[kind]
	dir := kind + "s"
	if kind == "photo" {
		dir = "photos"
	}
	path := fmt.Sprintf("%s/file_%d%s", dir, s.nextFile, ext)
	if kind == "document" && name != "" {
		path = fmt.Sprintf("documents/file_%d_%s", s.nextFile, name)
	}
	if data == nil {
		data = []byte("telegramtest file " + id)
	}
	f := &file{id: id, uniqueID: fmt.Sprintf("AQAD%d", s.nextFile), name: name, path: path, data: data}
	s.files[id] = f
	return f
}

func (s *Server) sendPhoto(rq *request) (any, *apiError) {
	return s.sendMedia(rq, "photo")
}

func (s *Server) sendDocument(rq *request) (any, *apiError) {
	return s.sendMedia(rq, "document")
}

func (s *Server) sendMedia(rq *request, kind string) (any, *apiError) {
	p := rq.params
	m := &Message{Caption: p["caption"], ParseMode: p["parse_mode"], ReplyMarkup: p["reply_markup"]}
	return s.send(rq, m, checkCaption(m.Caption, m.ParseMode), func(*chat) *apiError {
		f, aerr := s.resolveFile(rq, kind, p[kind], kind, "")
		if aerr != nil {
			return aerr
		}
		_, uploaded := rq.files[kind]
		uploaded = uploaded || strings.HasPrefix(p[kind], "attach://")
		m.Media = &Media{Type: kind, FileID: f.id, FileUniqueID: f.uniqueID, FileName: f.name, Uploaded: uploaded}
		return nil
	})
}

func (s *Server) sendMediaGroup(rq *request) (any, *apiError) {
	p := rq.params
	chatID, aerr := chatIDParam(p)
	if aerr != nil {
		return nil, aerr
	}
	var items []struct {
		Type      string `json:"type"`
		Media     string `json:"media"`
		Caption   string `json:"caption"`
		ParseMode string `json:"parse_mode"`
	}
	if err := json.Unmarshal([]byte(p["media"]), &items); err != nil {
		return nil, badRequest("can't parse media JSON object")
	}
	if len(items) < MinMediaGroup || len(items) > MaxMediaGroup {
		return nil, badRequest("wrong number of media in the group: must include 2-10 items")
	}
	msgs := make([]*Message, len(items))
	for i, it := range items {
		switch it.Type {
		case "photo", "video", "document", "audio":
		default:
			return nil, badRequest("can't parse InputMedia: media type %q is invalid", it.Type)
		}
		m := &Message{Caption: it.Caption, ParseMode: it.ParseMode}
		c := checkCaption(it.Caption, it.ParseMode)
		if c.err != nil {
			return nil, c.err
		}
		m.PlainText, m.Entities = c.plain, c.entities
		msgs[i] = m
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, aerr := s.target(chatID)
	if aerr != nil {
		return nil, aerr
	}
	for i, it := range items {
		f, aerr := s.resolveFile(rq, "", it.Media, it.Type, "")
		if aerr != nil {
			return nil, aerr
		}
		msgs[i].Media = &Media{Type: it.Type, FileID: f.id, FileUniqueID: f.uniqueID}
	}
	replyID, aerr := replyTo(ch, p)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := s.flood(chatID); aerr != nil {
		return nil, aerr
	}
	s.nextFile++
	group := strconv.Itoa(1_000_000_000 + s.nextFile)
	out := make([]any, len(msgs))
	for i, m := range msgs {
		m.ReplyToMessageID, m.MediaGroupID = replyID, group
		s.addBotMessage(ch, m)
		out[i] = s.wire(m)
	}
	return out, nil
}

func (s *Server) getFile(rq *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.files[rq.params["file_id"]]
	if f == nil {
		return nil, badRequest("invalid file_id")
	}
	if len(f.data) > MaxDownloadSize {
		return nil, badRequest("file is too big")
	}
	return map[string]any{
		"file_id":        f.id,
		"file_unique_id": f.uniqueID,
		"file_size":      len(f.data),
		"file_path":      f.path,
	}, nil
}

func (s *Server) deleteMessage(rq *request) (any, *apiError) {
	p := rq.params
	chatID, aerr := chatIDParam(p)
	if aerr != nil {
		return nil, aerr
	}
	id, aerr := intParam(p, "message_id")
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, aerr := s.target(chatID)
	if aerr != nil {
		return nil, aerr
	}
	m := ch.find(id)
	if m == nil {
		return nil, badRequest("message to delete not found")
	}
	m.Deleted = true
	s.stats.Deleted++
	s.emit(Event{Kind: EventMessageDeleted, ChatID: chatID, Message: m.clone()})
	s.broadcast()
	return true, nil
}

var chatActions = map[string]bool{
	"typing": true, "upload_photo": true, "record_video": true, "upload_video": true,
	"record_voice": true, "upload_voice": true, "upload_document": true, "choose_sticker": true,
	"find_location": true, "record_video_note": true, "upload_video_note": true,
}

func (s *Server) sendChatAction(rq *request) (any, *apiError) {
	p := rq.params
	chatID, aerr := chatIDParam(p)
	if aerr != nil {
		return nil, aerr
	}
	action := p["action"]
	if !chatActions[action] {
		return nil, badRequest("wrong parameter action in request")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, aerr := s.target(chatID); aerr != nil {
		return nil, aerr
	}
	s.emit(Event{Kind: EventChatAction, ChatID: chatID, Action: action})
	return true, nil
}
