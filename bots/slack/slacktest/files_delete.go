package slacktest

import "slices"

// filesDelete is files.delete (https://api.slack.com/methods/files.delete):
// a bot token deletes a file its app uploaded. As Slack answers: a file
// never known is file_not_found, one deleted already file_deleted, a file
// someone else shared cant_delete_file. The file leaves every message
// that shared it and its private URLs answer 404.
func (s *Server) filesDelete(p params) (map[string]any, error) {
	id := p.Get("file")
	if id == "" {
		return nil, apiError("invalid_arguments")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deletedFiles[id] {
		return nil, apiError("file_deleted")
	}
	f, ok := s.files[id]
	if !ok {
		return nil, apiError("file_not_found")
	}
	if f.User != s.cfg.botUserID {
		return nil, apiError("cant_delete_file")
	}
	delete(s.files, id)
	s.deletedFiles[id] = true
	for _, c := range s.channels {
		for _, m := range c.messages {
			m.Files = slices.DeleteFunc(m.Files, func(f File) bool { return f.ID == id })
		}
	}
	return map[string]any{}, nil
}

// FileDeleted reports whether file id was deleted with files.delete.
func (s *Server) FileDeleted(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deletedFiles[id]
}
