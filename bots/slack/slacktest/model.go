package slacktest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

type channel struct {
	id       string
	name     string
	created  time.Time
	messages []*Message // every message, top level and replies, in ts order
}

type user struct {
	id          string
	name        string
	realName    string
	displayName string
	isBot       bool
}

// Message is a message in the channel model, an ephemeral message, or a
// message shown through a response URL.
type Message struct {
	Channel     string
	TS          string
	ThreadTS    string // the parent's ts for a thread reply, "" for a top-level message
	User        string // the author's user ID (the bot user for the app's messages)
	BotID       string // set on the app's messages
	Username    string // username override of chat.postMessage
	IconEmoji   string
	Text        string
	Blocks      json.RawMessage // the blocks array as sent, or nil
	Attachments json.RawMessage
	Edits       int    // how many times chat.update (or replace_original) changed it
	Recipient   string // for an ephemeral message, the only user who sees it
	Reactions   []Reaction
	ReplyCount  int    // for a thread parent, its number of replies
	Files       []File // files shared in the message (without their Data)
}

// Reaction is an emoji reaction on a message.
type Reaction struct {
	Name  string
	Users []string
}

// IsBot reports whether the app posted the message.
func (m Message) IsBot() bool { return m.BotID != "" }

// PlainText is the text a person reads: the text of the blocks when there are
// blocks, otherwise the text argument.
func (m Message) PlainText() string {
	if t := BlocksText(m.Blocks); t != "" {
		return t
	}
	return m.Text
}

// Actions lists the interactive elements of the message's blocks.
func (m Message) Actions() []Action { return BlockActions(m.Blocks) }

func (m *Message) clone() Message {
	c := *m
	c.Reactions = slices.Clone(m.Reactions)
	c.Files = slices.Clone(m.Files)
	for i := range c.Files {
		c.Files[i].Data = nil
	}
	for i := range c.Reactions {
		c.Reactions[i].Users = slices.Clone(c.Reactions[i].Users)
	}
	return c
}

// Response is something the app sent to a response URL, or the immediate
// answer to a slash command or interaction.
type Response struct {
	User            string
	Channel         string
	Source          string // "block_actions", "slash_command" or "view_submission"
	Immediate       bool   // the HTTP answer of the request itself, not a response URL post
	ResponseType    string // "ephemeral" or "in_channel"
	ReplaceOriginal bool
	DeleteOriginal  bool
	Text            string
	Blocks          json.RawMessage
	Body            []byte
}

// View is a modal or App Home view opened, updated or published by the app.
type View struct {
	ID              string
	Type            string // "modal" or "home"
	User            string
	CallbackID      string
	PrivateMetadata string
	ExternalID      string
	Hash            string
	RootViewID      string
	Blocks          json.RawMessage
	Raw             json.RawMessage   // the view object as the app sent it last
	Updates         int               // views.update calls and response_action updates
	Open            bool              // a modal still on screen
	Errors          map[string]string // the last response_action "errors"
}

// File is a file known to files.info: shared by a user (PostUserFiles),
// uploaded by the app, or added by a test (AddFile).
type File struct {
	ID                 string
	Name               string
	Title              string
	Mimetype           string
	Size               int
	User               string
	URLPrivate         string
	URLPrivateDownload string // served to the bot token only
	Data               []byte // the content; nil when only its metadata is known
}

type trigger struct {
	user    string
	created time.Time
	used    bool
}

type responseURL struct {
	user    string
	channel string
	msgTS   string // the message the interaction came from
	source  string
	uses    int
	created time.Time
}

// AddUser adds or replaces a workspace member.
func (s *Server) AddUser(id, realName, displayName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(displayName), " ", "."))
	if name == "" {
		name = strings.ToLower(id)
	}
	s.users[id] = &user{id: id, name: name, realName: realName, displayName: displayName}
}

// AddUserGroup adds or replaces a user group and its members.
func (s *Server) AddUserGroup(id string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[id] = slices.Clone(members)
}

// AddChannel adds a public channel (the channel C0QUEUE "support-queue" exists from the start).
func (s *Server) AddChannel(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addChannelLocked(id, name)
}

// AddFile makes a file known to files.info; with Data and
// URLPrivateDownload empty, the file is served at a private URL of the
// fake.
func (s *Server) AddFile(f File) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Data != nil && f.URLPrivateDownload == "" {
		base := s.baseURL + "/files-pri/" + s.cfg.teamID + "-" + f.ID + "/"
		f.URLPrivate, f.URLPrivateDownload = base+escapeName(f.Name), base+"download/"+escapeName(f.Name)
		f.Size = len(f.Data)
	}
	s.files[f.ID] = f
}

func (s *Server) addChannelLocked(id, name string) {
	if c, ok := s.channels[id]; ok {
		c.name = name
		return
	}
	s.channels[id] = &channel{id: id, name: name, created: s.now()}
	s.chanIDs = append(s.chanIDs, id)
}

// findChannelLocked resolves a channel ID, "#name" or name.
func (s *Server) findChannelLocked(ref string) *channel {
	if c, ok := s.channels[ref]; ok {
		return c
	}
	name := strings.TrimPrefix(ref, "#")
	for _, id := range s.chanIDs {
		if s.channels[id].name == name {
			return s.channels[id]
		}
	}
	return nil
}

// Messages returns the top-level messages of a channel in order.
func (s *Server) Messages(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.findChannelLocked(channelID)
	if c == nil {
		return nil
	}
	var out []Message
	for _, m := range c.messages {
		if m.ThreadTS == "" {
			out = append(out, m.clone())
		}
	}
	return out
}

// Message returns one message, top-level or reply, by channel and ts.
func (s *Server) Message(channelID, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, m := s.findMessageLocked(channelID, ts); m != nil {
		return m.clone(), true
	}
	return Message{}, false
}

// Thread returns the replies to the message ts, oldest first, without the parent.
func (s *Server) Thread(channelID, ts string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.findChannelLocked(channelID)
	if c == nil {
		return nil
	}
	var out []Message
	for _, m := range c.messages {
		if m.ThreadTS == ts {
			out = append(out, m.clone())
		}
	}
	return out
}

// Ephemerals returns the ephemeral messages shown to a user, oldest first:
// chat.postEphemeral, and ephemeral answers to its commands and interactions.
func (s *Server) Ephemerals(userID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ephem[userID])
}

// Responses returns what the app answered to a user's commands and interactions,
// through response URLs or immediately, oldest first.
func (s *Server) Responses(userID string) []Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.resps[userID])
}

// Views returns the views the app opened or published for a user, oldest first.
func (s *Server) Views(userID string) []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []View
	for _, id := range s.viewIDs {
		if v := s.views[id]; v.User == userID {
			out = append(out, *v)
		}
	}
	return out
}

// View returns a view by ID.
func (s *Server) View(viewID string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.views[viewID]; ok {
		return *v, true
	}
	return View{}, false
}

// NewResponseURL issues a response URL for user in channelID, as a slash
// command carries one (5 uses, 30 minutes); what the app posts to it is
// shown and recorded in Responses. For requests a test builds itself, like
// a Socket Mode envelope.
func (s *Server) NewResponseURL(userID, channelID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.findChannelLocked(channelID); c != nil {
		channelID = c.id
	}
	return s.newResponseURLLocked("commands", userID, channelID, "", "slash_command")
}

// NewTriggerID issues a trigger ID for user, valid for views.open for 3
// seconds, as a click or a slash command would.
func (s *Server) NewTriggerID(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newTriggerLocked(userID)
}

func (s *Server) newTriggerLocked(userID string) string {
	s.seq++
	id := fmt.Sprintf("%d.%d.%08x", s.now().Unix(), 100000+s.seq, s.seq*2654435761%(1<<32))
	s.triggers[id] = &trigger{user: userID, created: s.now()}
	return id
}

func (s *Server) findMessageLocked(channelID, ts string) (*channel, *Message) {
	c := s.findChannelLocked(channelID)
	if c == nil {
		return nil, nil
	}
	for _, m := range c.messages {
		if m.TS == ts {
			return c, m
		}
	}
	return c, nil
}

// nextTSLocked hands out a unique, increasing message timestamp.
func (s *Server) nextTSLocked() string {
	us := s.now().UnixMicro()
	if us <= s.lastTS {
		us = s.lastTS + 1
	}
	s.lastTS = us
	return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
}

func (s *Server) nextIDLocked(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s%08d", prefix, s.seq)
}

// insertLocked adds a message to a channel; a reply counts on its parent.
func (s *Server) insertLocked(c *channel, m *Message) {
	c.messages = append(c.messages, m)
	if m.ThreadTS != "" {
		for _, p := range c.messages {
			if p.TS == m.ThreadTS {
				p.ReplyCount++
			}
		}
	}
}

// WaitFor blocks until cond reports true or ctx ends. cond is checked at once
// and after every change to the model; it may call the Server's accessors.
func (s *Server) WaitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.closed:
			return fmt.Errorf("slacktest: server closed")
		}
	}
}

// WaitMessages waits until channelID has at least n top-level messages and returns them.
func (s *Server) WaitMessages(ctx context.Context, channelID string, n int) ([]Message, error) {
	var msgs []Message
	err := s.WaitFor(ctx, func() bool {
		msgs = s.Messages(channelID)
		return len(msgs) >= n
	})
	if err != nil {
		return msgs, fmt.Errorf("slacktest: %d of %d messages in %s: %w", len(msgs), n, channelID, err)
	}
	return msgs, nil
}

// WaitThread waits until the thread of ts in channelID has at least n replies and returns them.
func (s *Server) WaitThread(ctx context.Context, channelID, ts string, n int) ([]Message, error) {
	var msgs []Message
	err := s.WaitFor(ctx, func() bool {
		msgs = s.Thread(channelID, ts)
		return len(msgs) >= n
	})
	if err != nil {
		return msgs, fmt.Errorf("slacktest: %d of %d replies to %s in %s: %w", len(msgs), n, ts, channelID, err)
	}
	return msgs, nil
}

// changedLocked wakes WaitFor and queues ev for the watchers.
func (s *Server) changedLocked(ev Event) {
	close(s.changed)
	s.changed = make(chan struct{})
	ev.Time = s.now()
	s.broadcast(ev)
}

// Channel is a channel of the fake workspace.
type Channel struct {
	ID   string
	Name string
}

// Channels lists the channels in the order they were added.
func (s *Server) Channels() []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Channel, 0, len(s.chanIDs))
	for _, id := range s.chanIDs {
		out = append(out, Channel{ID: id, Name: s.channels[id].name})
	}
	return out
}

// User is a member of the fake workspace.
type User struct {
	ID          string
	Name        string // the handle, sent as user_name and user.name
	RealName    string
	DisplayName string
	IsBot       bool
}

// Users lists the members, the app's bot user included, sorted by ID.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, User{ID: u.id, Name: u.name, RealName: u.realName, DisplayName: u.displayName, IsBot: u.isBot})
	}
	slices.SortFunc(out, func(a, b User) int { return strings.Compare(a.ID, b.ID) })
	return out
}
