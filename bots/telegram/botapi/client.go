// Package botapi talks to the Telegram Bot API for the Telegram adapter,
// and knows nothing of tickets' rules: the client library with a context
// on every call (telegram-bot-api v5 has none), errors with the bot token
// removed and classified for delivery, messages in HTML parse mode built
// within Telegram's length limit (Rich), the files customers send (read for
// another platform) and the updates Telegram sends, received by long
// polling (offset confirmed only after each update is handled) or by
// webhook (secret checked in constant time).
package botapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Platform is Telegram's name in customers' keys and attachments.
const Platform = "telegram"

// Client is the library's Bot API client with the product's HTTP client
// and endpoint. The token never appears in its errors.
type Client struct {
	base     tgbotapi.BotAPI
	http     *http.Client
	token    string
	endpoint string
	self     tgbotapi.User
}

// New returns a Client for the bot token at endpoint (the library's
// format, ".../bot%s/%s"), over hc (a client without a timeout when nil:
// every request gets its own deadline).
func New(token, endpoint string, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{}
	}
	c := &Client{base: tgbotapi.BotAPI{Token: token, Client: hc, Buffer: 100}, http: hc, token: token, endpoint: endpoint}
	c.base.SetAPIEndpoint(endpoint)
	return c
}

// ErrTokenRejected is getMe refusing the token.
var ErrTokenRejected = errors.New("rejected by getMe")

// Probe asks getMe who the bot is; it returns an error wrapping
// ErrTokenRejected when Telegram refuses the token, and another error when
// Telegram cannot be asked (the bot may start anyway and retry later).
func (c *Client) Probe(ctx context.Context) error {
	me, err := c.Bot(ctx).GetMe()
	if err == nil {
		c.self = me
		return nil
	}
	var te *tgbotapi.Error
	if errors.As(err, &te) && (te.Code == http.StatusUnauthorized || te.Code == http.StatusNotFound) {
		return fmt.Errorf("%w: %w", ErrTokenRejected, c.Redact(err))
	}
	return c.Redact(err)
}

// Self returns the bot as getMe answered it.
func (c *Client) Self() tgbotapi.User { return c.self }

// Bot returns the library's client whose requests carry ctx: each call
// gets a shallow copy whose HTTP doer attaches ctx to the request.
func (c *Client) Bot(ctx context.Context) *tgbotapi.BotAPI {
	api := c.base
	api.Self = c.self
	api.Client = ctxDoer{ctx: ctx, c: c.http}
	return &api
}

// fileURL is where a file_path is downloaded: the file endpoint of the
// configured Bot API endpoint (…/file/bot<token>/<path>).
func (c *Client) fileURL(filePath string) string {
	endpoint := tgbotapi.FileEndpoint
	if i := strings.LastIndex(c.endpoint, "/bot%s/%s"); i >= 0 {
		endpoint = c.endpoint[:i] + "/file/bot%s/%s"
	}
	return fmt.Sprintf(endpoint, c.token, filePath)
}

// ctxDoer attaches ctx to every request, with a default deadline when ctx
// has none.
type ctxDoer struct {
	ctx context.Context
	c   *http.Client
}

const defaultRequestTimeout = 30 * time.Second

func (d ctxDoer) Do(req *http.Request) (*http.Response, error) {
	ctx := d.ctx
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultRequestTimeout)
		resp, err := d.c.Do(req.WithContext(ctx))
		if err != nil {
			cancel()
			return nil, err
		}
		resp.Body = cancelBody{ReadCloser: resp.Body, cancel: cancel}
		return resp, nil
	}
	return d.c.Do(req.WithContext(ctx))
}

// cancelBody releases the request's deadline once the body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
