package store_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/bots/delivery"
	"github.com/colombiainformatica/ticketbot/internal/redistest"
	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// TestClusterDesksOnDifferentMasters runs the store on a 3-master Redis
// Cluster through the client cmd/ticketbot builds (NewUniversalClient with
// the node addresses), with two desks whose hash tags live on different
// masters: every script (create, apply, claim-next, list, the outbox's),
// the pipelines, the events stream and its consumer group work on both
// desks, each desk's keys are on its own master only, and concurrent
// claim-next on both desks gives every ticket exactly once.
func TestClusterDesksOnDifferentMasters(t *testing.T) {
	c := redistest.StartCluster(t, 3)
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: c.Addrs()})
	t.Cleanup(func() { rdb.Close() })
	cc, ok := rdb.(*redis.ClusterClient)
	if !ok {
		t.Fatalf("NewUniversalClient with %d addresses gave %T, want a cluster client", len(c.Addrs()), rdb)
	}
	prefix := redistest.Prefix(t)
	desks, masters := desksOnTwoMasters(t, cc, prefix)
	t.Logf("desk %q on %s, desk %q on %s", desks[0], masters[0], desks[1], masters[1])

	envs := [2]*env{}
	for i, desk := range desks {
		envs[i] = newEnvOn(rdb, store.Options{Prefix: prefix, Desk: desk})
		// Each desk numbers its own tickets from 1; customers differ.
		runDeskFlow(t, envs[i], 100*i)
		runOutboxFlow(t, envs[i])
	}

	// Each desk's keys are on its master, and only there: the other master
	// redirects (MOVED) to it.
	ctx := context.Background()
	for i, e := range envs {
		own := redis.NewClient(&redis.Options{Addr: masters[i]})
		other := redis.NewClient(&redis.Options{Addr: masters[1-i]})
		t.Cleanup(func() { own.Close(); other.Close() })
		if n, err := own.Get(ctx, e.store.Key("seq")).Int(); err != nil || n != 4 {
			t.Fatalf("desk %q: seq on its master %s = %d, %v; want 4", desks[i], masters[i], n, err)
		}
		err := other.Get(ctx, e.store.Key("seq")).Err()
		if err == nil || !strings.HasPrefix(err.Error(), "MOVED ") || !strings.HasSuffix(err.Error(), " "+masters[i]) {
			t.Fatalf("desk %q: seq read on the other master %s: %v, want MOVED to %s", desks[i], masters[1-i], err, masters[i])
		}
	}

	// Load put the scripts on every master. Without them (a node flushed or
	// restarted) EVALSHA gets NOSCRIPT and falls back to EVAL: the opens
	// and claims below run that way.
	shas := []string{sha1Hex(store.CreateScript()), sha1Hex(store.ClaimNextScript())}
	err := cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		if ex, err := node.ScriptExists(ctx, shas...).Result(); err != nil || !ex[0] || !ex[1] {
			return fmt.Errorf("scripts on master %s: %v, %v; want both loaded", node.Options().Addr, ex, err)
		}
		return node.ScriptFlush(ctx).Err()
	})
	if err != nil {
		t.Fatal(err)
	}

	// Claim-next stays atomic on the cluster: workers on both desks at once
	// get every queued ticket exactly once.
	for i, e := range envs {
		for j := range 20 {
			e.open(t, 1000*(i+1)+j, tickets.NatureQuestion, tickets.UrgencyNormal)
		}
	}
	var wg sync.WaitGroup
	claimed := [2][]int64{}
	var mu sync.Mutex
	for i, e := range envs {
		for w := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a := tickets.AgentActor(tickets.Agent{ID: fmt.Sprintf("W%d", w), Name: "Worker"})
				for {
					tk, err := e.svc.ClaimNext(ctx, a)
					if errors.Is(err, tickets.ErrQueueEmpty) {
						return
					}
					if err != nil {
						t.Errorf("desk %q: claim next: %v", desks[i], err)
						return
					}
					mu.Lock()
					claimed[i] = append(claimed[i], tk.Number)
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	for i := range envs {
		// Ticket #1 (P4) was still queued from the flow; #5..#24 are new.
		want := []int64{1}
		for n := int64(5); n <= 24; n++ {
			want = append(want, n)
		}
		got := claimed[i]
		sort.Slice(got, func(a, b int) bool { return got[a] < got[b] })
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("desk %q: claimed tickets (-want +got):\n%s", desks[i], diff)
		}
	}
}

// desksOnTwoMasters returns two desk names whose keys the cluster serves
// from different masters, and those masters' addresses. It checks on the
// way that every key of a desk hashes to one slot.
func desksOnTwoMasters(t *testing.T, cc *redis.ClusterClient, prefix string) (desks, masters [2]string) {
	t.Helper()
	ctx := context.Background()
	master := func(desk string) string {
		t.Helper()
		st := store.New(cc, store.Options{Prefix: prefix, Desk: desk})
		slot, err := cc.ClusterKeySlot(ctx, st.Key("queue")).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, suffix := range []string{"seq", "t:1", "m:1", "c:telegram:1001", "a:U0ANA", "events", "req:x", "dl:ready", "dl:q:tg:A", "kv:lease:delivery-fanout"} {
			if s, err := cc.ClusterKeySlot(ctx, st.Key(suffix)).Result(); err != nil || s != slot {
				t.Fatalf("desk %q: key %s in slot %d, %v; the queue is in %d", desk, st.Key(suffix), s, err, slot)
			}
		}
		node, err := cc.MasterForKey(ctx, st.Key("queue"))
		if err != nil {
			t.Fatal(err)
		}
		return node.Options().Addr
	}
	desks[0], masters[0] = "soporte", master("soporte")
	for _, d := range []string{"ventas", "facturacion", "redes", "compras", "nomina", "bodega", "sistemas"} {
		if m := master(d); m != masters[0] {
			desks[1], masters[1] = d, m
			return desks, masters
		}
	}
	t.Fatalf("every candidate desk is on %s", masters[0])
	return desks, masters
}

// runDeskFlow runs the basic support-desk flow on e's desk, which must be
// empty: open four tickets (numbered 1 to 4) for customers salt+1 to
// salt+4 (#3 is P1, #2 and #4 P2, #1 P4), Ana claims #2, Beto claims next
// twice (#3, then #4), Ana and the customer converse on #2, Ana resolves
// it; and checks the queue order, positions, indexes and events.
func runDeskFlow(t *testing.T, e *env, salt int) {
	t.Helper()
	ctx := context.Background()
	if err := e.store.Load(ctx); err != nil {
		t.Fatal(err)
	}
	opened := []tickets.Ticket{
		e.open(t, salt+1, tickets.NatureQuestion, tickets.UrgencyLow),     // P4
		e.open(t, salt+2, tickets.NatureMalfunction, tickets.UrgencyHigh), // P2
		e.open(t, salt+3, tickets.NatureOutage, tickets.UrgencyLow),       // P1
		e.open(t, salt+4, tickets.NatureMalfunction, tickets.UrgencyHigh), // P2, later
	}
	if got := numbers(opened); !cmp.Equal(got, []int64{1, 2, 3, 4}) {
		t.Fatalf("ticket numbers %v, want 1 to 4", got)
	}
	wantQueue := []int64{3, 2, 4, 1}
	if diff := cmp.Diff(wantQueue, queueNumbers(t, e)); diff != "" {
		t.Fatalf("queue (-want +got):\n%s", diff)
	}
	for i, n := range wantQueue {
		if got := position(t, e, n); got != int64(i+1) {
			t.Fatalf("position of #%d = %d, want %d", n, got, i+1)
		}
	}

	claimed, err := e.svc.Claim(ctx, agentAna, 2, false)
	if err != nil {
		t.Fatal(err)
	}
	if claimed.Status != tickets.StatusClaimed || claimed.Assignee.ID != "U0ANA" || claimed.Version != 2 {
		t.Fatalf("claimed #2 = %+v", claimed)
	}
	if got := position(t, e, 2); got != 0 {
		t.Fatalf("claimed #2 at position %d, want 0", got)
	}
	if got := position(t, e, 1); got != 3 {
		t.Fatalf("#1 at position %d after a claim, want 3", got)
	}
	for _, want := range []int64{3, 4} { // P1 first, then the P2 left
		tk, err := e.svc.ClaimNext(ctx, agentBeto)
		if err != nil {
			t.Fatal(err)
		}
		if tk.Number != want || tk.Assignee.ID != "U0BETO" || tk.Status != tickets.StatusClaimed {
			t.Fatalf("claim next gave #%d %s to %q, want #%d claimed by U0BETO", tk.Number, tk.Status, tk.Assignee.ID, want)
		}
	}
	p, err := e.svc.Position(ctx, agentAna, 1)
	if err != nil {
		t.Fatal(err)
	}
	if p.Position != 1 || p.Length != 1 {
		t.Fatalf("#1 placement %d of %d, want 1 of 1", p.Position, p.Length)
	}

	customer2 := tickets.CustomerActor(customer(salt + 2))
	if _, m, err := e.svc.AddMessage(ctx, agentAna, 2, tickets.MessageInput{Kind: tickets.MessageReply, Text: "¿Qué modelo de impresora?"}); err != nil || m.ID != 1 {
		t.Fatalf("reply: message %d, %v; want 1", m.ID, err)
	}
	if _, m, err := e.svc.AddMessage(ctx, customer2, 2, tickets.MessageInput{Text: "Una HP LaserJet"}); err != nil || m.ID != 2 {
		t.Fatalf("customer message: message %d, %v; want 2", m.ID, err)
	}
	resolved, err := e.svc.Resolve(ctx, agentAna, 2)
	if err != nil {
		t.Fatal(err)
	}
	if resolved.Status != tickets.StatusResolved || resolved.Messages != 2 {
		t.Fatalf("resolved #2 = %s with %d messages", resolved.Status, resolved.Messages)
	}
	assertDeskAfterFlow(t, e, salt)
	lengths, err := e.svc.QueueLengths(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for pr, n := range lengths {
		want := int64(0)
		if pr == 4 {
			want = 1
		}
		if n != want {
			t.Fatalf("queue lengths %v, want only #1 (P4)", lengths)
		}
	}
	want := []string{"1 opened", "2 opened", "3 opened", "4 opened", "2 claimed", "3 claimed", "4 claimed", "2 reply", "2 message", "2 resolved"}
	if diff := cmp.Diff(want, eventNames(readEvents(t, e))); diff != "" {
		t.Fatalf("events (-want +got):\n%s", diff)
	}
}

// assertDeskAfterFlow checks the tickets, conversation and indexes
// runDeskFlow leaves behind.
func assertDeskAfterFlow(t *testing.T, e *env, salt int) {
	t.Helper()
	ctx := context.Background()
	conv, err := e.svc.Conversation(ctx, agentAna, 2, 10)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, m := range conv {
		texts = append(texts, m.Text)
	}
	if diff := cmp.Diff([]string{"¿Qué modelo de impresora?", "Una HP LaserJet"}, texts); diff != "" {
		t.Fatalf("conversation of #2 (-want +got):\n%s", diff)
	}
	wantStatus := map[int64]tickets.Status{1: tickets.StatusOpen, 2: tickets.StatusResolved, 3: tickets.StatusClaimed, 4: tickets.StatusClaimed}
	for n, want := range wantStatus {
		tk, err := e.svc.Get(ctx, agentAna, n)
		if err != nil || tk.Status != want {
			t.Fatalf("#%d is %s, %v; want %s", n, tk.Status, err, want)
		}
	}
	mine, err := e.svc.AgentTickets(ctx, agentBeto, "U0BETO", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := numbers(mine); !cmp.Equal(got, []int64{3, 4}) {
		t.Fatalf("Beto's tickets %v, want [3 4]", got)
	}
	theirs, err := e.svc.CustomerTickets(ctx, tickets.CustomerActor(customer(salt+2)), customer(salt+2).Key(), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := numbers(theirs); !cmp.Equal(got, []int64{2}) {
		t.Fatalf("customer %d's tickets %v, want [2]", salt+2, got)
	}
}

func sha1Hex(s string) string {
	h := sha1.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

func numbers(ts []tickets.Ticket) []int64 {
	var out []int64
	for _, t := range ts {
		out = append(out, t.Number)
	}
	return out
}

func eventNames(evs []tickets.Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, fmt.Sprintf("%d %s", ev.Number, ev.Kind))
	}
	return out
}

// runOutboxFlow runs delivery over the desk runDeskFlow left: the consumer
// group reads the ten events, one event becomes messages to two targets,
// the others are acknowledged but one, which another worker reclaims;
// messages are leased in order, sent, buried and replayed; the fan-out
// lease has one holder; trimming keeps only what the group still needs.
func runOutboxFlow(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	ob := store.NewDelivery(e.store)
	if err := ob.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ob.Join(ctx); err != nil {
		t.Fatal(err)
	}
	evs, err := ob.ReadEvents(ctx, "w1", 100, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(eventNames(readEvents(t, e)), eventNames(evs)); diff != "" || len(evs) != 10 {
		t.Fatalf("the group read (-stream +group):\n%s", diff)
	}
	id := evs[0].ID
	n, err := ob.Enqueue(ctx, id, []delivery.Message{msg(id+"/a1", "A", ""), msg(id+"/a2", "A", ""), msg(id+"/b1", "B", "")}, t0)
	if err != nil || n != 3 {
		t.Fatalf("enqueued %d, %v; want 3", n, err)
	}
	for _, ev := range evs[2:] {
		if _, err := ob.Enqueue(ctx, ev.ID, nil, t0); err != nil {
			t.Fatal(err)
		}
	}
	reclaimed, err := ob.ClaimEvents(ctx, "w2", 0, 10)
	if err != nil || len(reclaimed) != 1 || reclaimed[0].ID != evs[1].ID {
		t.Fatalf("reclaimed %v, %v; want only the unacknowledged %s", reclaimed, err, evs[1].ID)
	}

	l1, _ := take(t, ob, t0)
	l2, _ := take(t, ob, t0)
	byTarget := map[string]delivery.Lease{l1.Message.Lane: l1, l2.Message.Lane: l2}
	if byTarget["A"].Message.ID != id+"/a1" || byTarget["B"].Message.ID != id+"/b1" {
		t.Fatalf("took %q and %q, want the heads a1 and b1", l1.Message.ID, l2.Message.ID)
	}
	if err := ob.Done(ctx, byTarget["A"], 0, t0); err != nil {
		t.Fatal(err)
	}
	if err := ob.Bury(ctx, byTarget["B"], delivery.DeadLetter{Message: byTarget["B"].Message, Reason: "blocked", At: t0}, t0); err != nil {
		t.Fatal(err)
	}
	if l, _ := take(t, ob, t0); l.Message.ID != id+"/a2" {
		t.Fatalf("took %q, want a2", l.Message.ID)
	} else if err := ob.Done(ctx, l, 0, t0); err != nil {
		t.Fatal(err)
	}
	dead, total, err := ob.DeadLetters(ctx, 0, 10)
	if err != nil || total != 1 || len(dead) != 1 || dead[0].Message.ID != id+"/b1" {
		t.Fatalf("dead letters %+v (%d), %v; want b1", dead, total, err)
	}
	if ok, err := ob.Replay(ctx, id+"/b1", t0); err != nil || !ok {
		t.Fatalf("replay: %v, %v", ok, err)
	}
	if l, _ := take(t, ob, t0); l.Message.ID != id+"/b1" {
		t.Fatalf("took %q, want the replayed b1", l.Message.ID)
	} else if err := ob.Done(ctx, l, 0, t0); err != nil {
		t.Fatal(err)
	}
	if l, wait := take(t, ob, t0); l.Leased() || wait != -1 {
		t.Fatalf("empty outbox: took %q, wait %s", l.Message.ID, wait)
	}

	leases := store.NewLeases(e.store)
	for _, c := range []struct {
		holder string
		want   bool
	}{{"w1", true}, {"w2", false}, {"w1", true}} {
		if got, err := leases.Acquire(ctx, "delivery-fanout", c.holder, time.Minute); err != nil || got != c.want {
			t.Fatalf("lease by %s = %v, %v; want %v", c.holder, got, err, c.want)
		}
	}
	if err := leases.Release(ctx, "delivery-fanout", "w1"); err != nil {
		t.Fatal(err)
	}
	if got, err := leases.Acquire(ctx, "delivery-fanout", "w2", time.Minute); err != nil || !got {
		t.Fatalf("lease by w2 after w1 released = %v, %v", got, err)
	}

	if _, err := ob.Enqueue(ctx, evs[1].ID, nil, t0); err != nil {
		t.Fatal(err)
	}
	if err := ob.TrimEvents(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	left, err := e.store.Events(ctx, "", 100)
	if err != nil || len(left) != 1 || left[0].ID != evs[9].ID {
		t.Fatalf("after trim %v, %v; want only the last read entry", left, err)
	}
}
