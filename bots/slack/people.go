package slack

import (
	"context"
	"fmt"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"
)

// directory answers who is an agent and what people are called, from
// Slack, cached: user-group members for agentsTTL, names for namesTTL.
type directory struct {
	api      *slackapi.Client
	users    map[string]bool // agents listed by user ID
	groups   []string        // user groups whose members are agents
	agentTTL time.Duration
	nameTTL  time.Duration
	now      func() time.Time

	mu        sync.Mutex
	members   map[string]bool // union of the groups' members
	fetchedAt time.Time
	names     map[string]cachedName

	refresh sync.Mutex // one membership fetch at a time
}

type cachedName struct {
	name string
	at   time.Time
}

func newDirectory(api *slackapi.Client, agents []string, agentTTL, nameTTL time.Duration, now func() time.Time) *directory {
	d := &directory{api: api, users: map[string]bool{}, agentTTL: agentTTL, nameTTL: nameTTL, now: now, names: map[string]cachedName{}}
	for _, a := range agents {
		if a[0] == 'S' {
			d.groups = append(d.groups, a)
		} else {
			d.users[a] = true
		}
	}
	return d
}

// staleAgents bounds, in agentTTLs, how old the last known membership may
// be when Slack cannot be asked: someone removed from the group must not
// keep acting through a long outage.
const staleAgents = 10

// isAgent reports whether userID is an agent: listed, or a member of a
// listed user group. When Slack cannot be asked, the last known membership
// is used if it is younger than staleAgents agentTTLs; otherwise the error
// is returned, and nobody from the groups may act (fail closed).
func (d *directory) isAgent(ctx context.Context, userID string) (bool, error) {
	if userID == "" {
		return false, nil
	}
	if d.users[userID] {
		return true, nil
	}
	if len(d.groups) == 0 {
		return false, nil
	}
	if m, ok := d.fresh(); ok {
		return m[userID], nil
	}
	d.refresh.Lock()
	defer d.refresh.Unlock()
	if m, ok := d.fresh(); ok { // fetched while we waited
		return m[userID], nil
	}
	members := map[string]bool{}
	for _, g := range d.groups {
		ids, err := d.api.GetUserGroupMembersContext(ctx, g)
		if err != nil {
			d.mu.Lock()
			stale, at := d.members, d.fetchedAt
			d.mu.Unlock()
			if stale != nil && d.now().Sub(at) < staleAgents*d.agentTTL {
				return stale[userID], nil
			}
			return false, fmt.Errorf("list members of user group %s: %w", g, err)
		}
		for _, id := range ids {
			members[id] = true
		}
	}
	d.mu.Lock()
	d.members, d.fetchedAt = members, d.now()
	d.mu.Unlock()
	return members[userID], nil
}

func (d *directory) fresh() (map[string]bool, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.members != nil && d.now().Sub(d.fetchedAt) < d.agentTTL {
		return d.members, true
	}
	return nil, false
}

// name returns userID's display name (or real name, or handle), falling
// back to the ID when Slack cannot tell.
func (d *directory) name(ctx context.Context, userID string) string {
	d.mu.Lock()
	c, ok := d.names[userID]
	d.mu.Unlock()
	if ok && d.now().Sub(c.at) < d.nameTTL {
		return c.name
	}
	u, err := d.api.GetUserInfoContext(ctx, userID)
	if err != nil {
		if ok {
			return c.name
		}
		return userID
	}
	name := u.Profile.DisplayName
	if name == "" {
		name = u.Profile.RealName
	}
	if name == "" {
		name = u.RealName
	}
	if name == "" {
		name = u.Name
	}
	if name == "" {
		name = userID
	}
	d.mu.Lock()
	d.names[userID] = cachedName{name: name, at: d.now()}
	d.mu.Unlock()
	return name
}
