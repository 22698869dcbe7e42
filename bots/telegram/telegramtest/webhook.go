package telegramtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Deliver POSTs every queued update, oldest first, as JSON to the webhook
// URL with the X-Telegram-Bot-Api-Secret-Token header (when a secret was
// set), and returns when the queue is empty. An update whose POST fails or
// answers non-2xx is retried with backoff (see WebhookRetry); when its
// attempts run out it stays queued, the error is recorded for
// getWebhookInfo, and Deliver returns the error. With DuplicateUpdates on,
// every delivered update is POSTed a second time.
func (s *Server) Deliver(ctx context.Context) error {
	s.deliverMu.Lock()
	defer s.deliverMu.Unlock()
	for {
		s.mu.Lock()
		hook := s.webhook
		var next *pendingUpdate
		switch {
		case len(s.dups) > 0:
			next = s.dups[0]
		case len(s.pending) > 0:
			next = s.pending[0]
		}
		s.mu.Unlock()
		if hook.URL == "" {
			return ErrNoWebhook
		}
		if next == nil {
			return nil
		}
		if err := s.postWithRetry(ctx, hook, next); err != nil {
			s.mu.Lock()
			s.webhook.LastErrorDate = s.now()
			s.webhook.LastErrorMessage = err.Error()
			s.mu.Unlock()
			return fmt.Errorf("telegramtest: deliver update %d: %w", next.id, err)
		}
		s.mu.Lock()
		s.removeDelivered(next)
		s.broadcast()
		s.mu.Unlock()
	}
}

// removeDelivered drops u from the queues. Callers hold s.mu.
func (s *Server) removeDelivered(u *pendingUpdate) {
	for i, d := range s.dups {
		if d == u {
			s.dups = append(s.dups[:i:i], s.dups[i+1:]...)
			return
		}
	}
	for i, p := range s.pending {
		if p == u {
			s.pending = append(s.pending[:i:i], s.pending[i+1:]...)
			if s.duplicate && !u.dup {
				s.dups = append(s.dups, &pendingUpdate{id: u.id, raw: u.raw, dup: true})
			}
			return
		}
	}
}

func (s *Server) postWithRetry(ctx context.Context, hook WebhookInfo, u *pendingUpdate) error {
	backoff := s.retryBackoff
	var err error
	for attempt := 1; ; attempt++ {
		if err = s.post(ctx, hook, u); err == nil {
			return nil
		}
		if attempt >= s.retryAttempts {
			return err
		}
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-s.closed:
			t.Stop()
			return ErrClosed
		}
		backoff *= 2
	}
}

func (s *Server) post(ctx context.Context, hook WebhookInfo, u *pendingUpdate) error {
	s.mu.Lock()
	s.stats.WebhookPosts++
	s.mu.Unlock()
	err := func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook.URL, bytes.NewReader(u.raw))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		if hook.SecretToken != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", hook.SecretToken)
		}
		resp, err := s.webhookClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return fmt.Errorf("wrong response from the webhook: %s", resp.Status)
		}
		return nil
	}()
	if err != nil {
		s.mu.Lock()
		s.stats.WebhookFailures++
		s.mu.Unlock()
	}
	return err
}

// deliverLoop delivers whenever updates are queued and a webhook is set,
// until Close. After a failure it waits for the next change or a second.
func (s *Server) deliverLoop() {
	defer s.bg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-s.closed
		cancel()
	}()
	for {
		s.mu.Lock()
		changed := s.changed
		ready := s.webhook.URL != "" && len(s.pending)+len(s.dups) > 0
		s.mu.Unlock()
		var retry <-chan time.Time
		if ready {
			if err := s.Deliver(ctx); err != nil {
				retry = time.After(time.Second)
			} else {
				continue
			}
		}
		select {
		case <-changed:
		case <-retry:
		case <-s.closed:
			return
		}
	}
}
