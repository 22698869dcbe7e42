package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
)

// Component is a long-running part of the product: a chat adapter, a
// delivery worker. Run works until ctx is cancelled and returns only when
// all of its goroutines have stopped. An error returned while ctx is still
// live is a failure that shuts the whole product down; returning nil early
// just means the component has nothing more to do.
type Component interface {
	Run(ctx context.Context) error
}

// Router is implemented by components that also serve HTTP (webhooks,
// Slack events and interactions). Routes is called once, before the server
// starts, to mount the component's handlers on the product's mux.
type Router interface {
	Routes(mux *http.ServeMux)
}

// group runs components side by side, like golang.org/x/sync/errgroup with
// a context: the first failure cancels the others.
type group struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	done   chan struct{} // closed when every component has returned
	failed chan struct{} // closed on the first failure
	once   sync.Once
	err    error
}

// startGroup starts every component on a context derived from ctx.
func startGroup(ctx context.Context, comps []Component) *group {
	ctx, cancel := context.WithCancel(ctx)
	g := &group{cancel: cancel, done: make(chan struct{}), failed: make(chan struct{})}
	for _, c := range comps {
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			if err := c.Run(ctx); err != nil && ctx.Err() == nil {
				g.fail(fmt.Errorf("%T: %w", c, err))
			}
		}()
	}
	go func() {
		g.wg.Wait()
		close(g.done)
	}()
	return g
}

// fail records the first failure and cancels every component.
func (g *group) fail(err error) {
	g.once.Do(func() {
		g.err = err
		close(g.failed)
		g.cancel()
	})
}

// stop cancels the components and waits until they have returned or ctx
// ends, whichever comes first.
func (g *group) stop(ctx context.Context) error {
	g.cancel()
	select {
	case <-g.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("components still running after the shutdown timeout: %w", ctx.Err())
	}
}
