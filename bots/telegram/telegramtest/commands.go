package telegramtest

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/colombiainformatica/ticketbot/internal/measure"
)

// commandsKey keys commands by scope and language. Callers hold nothing.
func commandsKey(p map[string]string) (string, *apiError) {
	scope := "default"
	if raw := p["scope"]; raw != "" {
		var sc struct {
			Type   string          `json:"type"`
			ChatID json.RawMessage `json:"chat_id"`
			UserID int64           `json:"user_id"`
		}
		if err := json.Unmarshal([]byte(raw), &sc); err != nil || sc.Type == "" {
			return "", badRequest("can't parse BotCommandScope JSON object")
		}
		scope = sc.Type
		if len(sc.ChatID) > 0 {
			scope += ":" + strings.Trim(string(sc.ChatID), `"`)
		}
		if sc.UserID != 0 {
			scope += ":" + strconv.FormatInt(sc.UserID, 10)
		}
	}
	lang := p["language_code"]
	if lang != "" && len(lang) != 2 {
		return "", badRequest("invalid language code specified")
	}
	return scope + "|" + lang, nil
}

func (s *Server) setMyCommands(rq *request) (any, *apiError) {
	key, aerr := commandsKey(rq.params)
	if aerr != nil {
		return nil, aerr
	}
	var cmds []Command
	if err := json.Unmarshal([]byte(rq.params["commands"]), &cmds); err != nil {
		return nil, badRequest("can't parse commands JSON object")
	}
	if len(cmds) > 100 {
		return nil, badRequest("too many commands specified")
	}
	for _, c := range cmds {
		if !validCommand(c.Command) {
			return nil, badRequest("BOT_COMMAND_INVALID")
		}
		if d := measure.UTF16(c.Description); d < 1 || d > 256 {
			return nil, badRequest("command description must be non-empty")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(cmds) == 0 {
		delete(s.commands, key)
	} else {
		s.commands[key] = cmds
	}
	return true, nil
}

func validCommand(c string) bool {
	if len(c) < 1 || len(c) > 32 {
		return false
	}
	for _, r := range c {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

func (s *Server) getMyCommands(rq *request) (any, *apiError) {
	key, aerr := commandsKey(rq.params)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Command{}, s.commands[key]...), nil
}

func (s *Server) deleteMyCommands(rq *request) (any, *apiError) {
	key, aerr := commandsKey(rq.params)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.commands, key)
	return true, nil
}

// Commands returns the commands registered for the default scope and
// language code lang ("" for all languages without their own list).
func (s *Server) Commands(lang string) []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Command(nil), s.commands["default|"+lang]...)
}
