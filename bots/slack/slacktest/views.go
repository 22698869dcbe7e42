package slacktest

import (
	"encoding/json"
	"fmt"
	"time"
)

// Views

func (s *Server) viewsOpen(p params) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tr, ok := s.triggers[p.Get("trigger_id")]
	switch {
	case !ok:
		return nil, apiError("invalid_trigger_id")
	case tr.used:
		return nil, apiError("exchanged_trigger_id")
	case s.now().Sub(tr.created) > 3*time.Second:
		return nil, apiError("expired_trigger_id")
	}
	raw, fields, err := parseView(p.Get("view"), "modal")
	if err != nil {
		return nil, err
	}
	tr.used = true
	v := &View{ID: s.nextIDLocked("V"), Type: "modal", User: tr.user, Open: true}
	v.RootViewID = v.ID
	s.setViewLocked(v, raw, fields)
	s.views[v.ID] = v
	s.viewIDs = append(s.viewIDs, v.ID)
	cp := *v
	s.changedLocked(Event{Kind: ViewOpened, User: v.User, View: &cp})
	return map[string]any{"view": s.viewJSONLocked(v, nil)}, nil
}

func (s *Server) viewsUpdate(p params) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var v *View
	if id := p.Get("view_id"); id != "" {
		v = s.views[id]
	} else if ext := p.Get("external_id"); ext != "" {
		for _, x := range s.views {
			if x.ExternalID == ext {
				v = x
			}
		}
	} else {
		return nil, apiError("invalid_arguments")
	}
	if v == nil {
		return nil, apiError("not_found")
	}
	if h := p.Get("hash"); h != "" && h != v.Hash {
		return nil, apiError("hash_conflict")
	}
	raw, fields, err := parseView(p.Get("view"), v.Type)
	if err != nil {
		return nil, err
	}
	s.setViewLocked(v, raw, fields)
	v.Updates++
	cp := *v
	s.changedLocked(Event{Kind: ViewUpdated, User: v.User, View: &cp})
	return map[string]any{"view": s.viewJSONLocked(v, nil)}, nil
}

func (s *Server) viewsPublish(p params) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	uid := p.Get("user_id")
	if _, ok := s.users[uid]; !ok {
		return nil, apiError("user_not_found")
	}
	raw, fields, err := parseView(p.Get("view"), "home")
	if err != nil {
		return nil, err
	}
	var v *View
	for _, x := range s.views {
		if x.User == uid && x.Type == "home" {
			v = x
		}
	}
	if v == nil {
		v = &View{ID: s.nextIDLocked("V"), Type: "home", User: uid}
		v.RootViewID = v.ID
		s.views[v.ID] = v
		s.viewIDs = append(s.viewIDs, v.ID)
	} else {
		v.Updates++
	}
	if h := p.Get("hash"); h != "" && h != v.Hash {
		return nil, apiError("hash_conflict")
	}
	s.setViewLocked(v, raw, fields)
	cp := *v
	s.changedLocked(Event{Kind: ViewPublished, User: uid, View: &cp})
	return map[string]any{"view": s.viewJSONLocked(v, nil)}, nil
}

type viewFields struct {
	Type            string          `json:"type"`
	Blocks          json.RawMessage `json:"blocks"`
	CallbackID      string          `json:"callback_id"`
	PrivateMetadata string          `json:"private_metadata"`
	ExternalID      string          `json:"external_id"`
	Title           *textObject     `json:"title"`
}

// parseView checks a view argument as Slack does (ValidateView) and that
// it is of the expected type.
func parseView(arg, wantType string) (map[string]json.RawMessage, viewFields, error) {
	var raw map[string]json.RawMessage
	var f viewFields
	if arg == "" || json.Unmarshal([]byte(arg), &raw) != nil || json.Unmarshal([]byte(arg), &f) != nil {
		return nil, f, apiError("invalid_arguments")
	}
	if f.Type != wantType {
		return nil, f, &Refusal{Code: "invalid_arguments", Messages: []string{"must be " + wantType + " [json-pointer:/view/type]"}}
	}
	if err := ValidateView(json.RawMessage(arg)); err != nil {
		return nil, f, err
	}
	var blocks []json.RawMessage
	_ = json.Unmarshal(f.Blocks, &blocks)
	if len(f.Blocks) > 0 {
		for i, b := range blocks {
			blocks[i] = fillIDs(b, i)
		}
		f.Blocks, _ = json.Marshal(blocks)
		raw["blocks"] = f.Blocks
	}
	return raw, f, nil
}

func (s *Server) setViewLocked(v *View, raw map[string]json.RawMessage, f viewFields) {
	v.Raw, _ = json.Marshal(raw)
	v.Blocks = f.Blocks
	v.CallbackID = f.CallbackID
	v.PrivateMetadata = f.PrivateMetadata
	v.ExternalID = f.ExternalID
	v.Hash = fmt.Sprintf("%d.%s", s.now().Unix(), s.nextIDLocked("h"))
	v.Errors = nil
}

// viewJSONLocked renders a view as views.* and view_submission payloads carry it.
func (s *Server) viewJSONLocked(v *View, state map[string]any) map[string]any {
	j := map[string]any{}
	var raw map[string]json.RawMessage
	_ = json.Unmarshal(v.Raw, &raw)
	for k, val := range raw {
		j[k] = val
	}
	if state == nil {
		state = map[string]any{}
	}
	for k, val := range map[string]any{
		"id": v.ID, "team_id": s.cfg.teamID, "type": v.Type, "private_metadata": v.PrivateMetadata,
		"callback_id": v.CallbackID, "external_id": v.ExternalID, "hash": v.Hash,
		"state": map[string]any{"values": state}, "root_view_id": v.RootViewID, "previous_view_id": nil,
		"app_id": s.cfg.appID, "app_installed_team_id": s.cfg.teamID, "bot_id": s.cfg.botID,
	} {
		j[k] = val
	}
	if _, ok := j["blocks"]; !ok {
		j["blocks"] = []any{}
	}
	return j
}
