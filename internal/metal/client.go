package metal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/packethost/packngo"
)

// DefaultBaseURL is the platform's API endpoint.
const DefaultBaseURL = "https://api.equinix.com/metal/v1/"

// consumerToken identifies this provider to the API (packngo's X-Consumer-Token).
const consumerToken = "terraform-provider-packet" //nolint:gosec // a public client name, not a credential

// Backoff between retries is short by default: rate limits are honoured
// through Retry-After and X-RateLimit-* (which may ask for much longer), so the
// exponential backoff only has to spread out 5xx and broken connections.
const (
	defaultRetryWaitMin   = 250 * time.Millisecond
	defaultRetryWaitMax   = 5 * time.Second
	defaultRequestTimeout = 60 * time.Second
)

// Config configures a Client. Zero durations take the defaults (250ms, 5s,
// 60s); MaxRetries 0 means a failed request is not retried. TokenSource and
// BaseURLSource say where the token and the URL came from (such as "the
// PACKET_AUTH_TOKEN environment variable"), so that an error that points at
// one of them can say where to fix it; empty when unknown or the default.
type Config struct {
	Token, BaseURL, Version    string
	TokenSource, BaseURLSource string
	MaxRetries                 int
	RetryWaitMin, RetryWaitMax time.Duration
	RequestTimeout             time.Duration
	// Dial, when set, opens the connections instead of a net.Dialer: tests
	// route the default URL's host to loopback with it.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Client calls the API. It is safe for concurrent use.
type Client struct {
	api      *packngo.Client
	token    string
	basePath string // path of the base URL, e.g. "/metal/v1/", to resolve pagination links
	retry    Config // MaxRetries and RetryWait*, for retries done above HTTP (see CreateSSHKey)
	pacer    pacer  // holds requests back while the API says the rate limit is used up
	requests atomic.Int64

	// For errors that point at the configuration: the base URL, and where it
	// and the token came from; whether it is the retired platform's host.
	baseURL, baseURLSource, tokenSource string
	retiredHost                         bool
}

// New builds a client. It does not contact the API.
func New(cfg Config) (*Client, error) {
	if cfg.Token == "" {
		return nil, errors.New("metal: an API token is required")
	}
	if cfg.MaxRetries < 0 {
		return nil, fmt.Errorf("metal: max retries must not be negative, got %d", cfg.MaxRetries)
	}
	base, err := normalizeBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	cfg = withDefaults(cfg)

	c := &Client{token: cfg.Token, basePath: base.Path,
		baseURL: base.String(), baseURLSource: cfg.BaseURLSource, tokenSource: cfg.TokenSource,
		retiredHost: isRetiredHost(base.Hostname()),
		retry:       Config{MaxRetries: cfg.MaxRetries, RetryWaitMin: cfg.RetryWaitMin, RetryWaitMax: cfg.RetryWaitMax}}
	api, err := packngo.NewClient(
		packngo.WithAuth(consumerToken, cfg.Token),
		packngo.WithBaseURL(base.String()),
		packngo.WithHTTPClient(newHTTPClient(cfg, &c.requests, &c.pacer)),
	)
	if err != nil {
		return nil, fmt.Errorf("metal: creating API client: %w", err)
	}
	api.UserAgent = userAgent(cfg.Version)
	c.api = api
	return c, nil
}

// Requests returns how many HTTP attempts (retries included) the client has made.
func (c *Client) Requests() int64 { return c.requests.Load() }

func withDefaults(cfg Config) Config {
	if cfg.RetryWaitMin <= 0 {
		cfg.RetryWaitMin = defaultRetryWaitMin
	}
	if cfg.RetryWaitMax <= 0 {
		cfg.RetryWaitMax = defaultRetryWaitMax
	}
	cfg.RetryWaitMax = max(cfg.RetryWaitMax, cfg.RetryWaitMin)
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = defaultRequestTimeout
	}
	return cfg
}

// normalizeBaseURL validates the endpoint and gives it a trailing slash:
// packngo resolves request paths relative to it, and without the slash the
// last segment ("v1" of "/metal/v1") would be replaced instead of kept.
func normalizeBaseURL(raw string) (*url.URL, error) {
	if raw == "" {
		raw = DefaultBaseURL
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("metal: invalid API URL %q: %w", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("metal: invalid API URL %q: want http(s)://host/path", raw)
	}
	if u.User != nil {
		return nil, errors.New("metal: the API URL must not contain credentials")
	}
	u.RawQuery, u.Fragment = "", ""
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		u.RawPath = ""
	}
	return u, nil
}

func userAgent(version string) string {
	if version == "" {
		version = "dev"
	}
	return "terraform-provider-packet/" + version + " " + packngo.UserAgent
}

// call performs one API operation. path is relative to the base URL and may
// carry a query; body (if not nil) is sent as JSON and a 2xx response body is
// decoded into out (if not nil).
func (c *Client) call(ctx context.Context, method, path string, body, out any) error {
	info := &requestInfo{method: method, path: displayPath(path)}
	ctx = withRequestInfo(c.logContext(ctx), info)

	// packngo's Do records rate-limit headers on its Client without a lock;
	// a per-call copy keeps concurrent calls from racing on that field.
	api := *c.api
	req, err := api.NewRequest(method, path, body)
	if err != nil {
		return fmt.Errorf("%s %s: building request: %w", method, info.path, err)
	}
	req = req.WithContext(ctx)
	req.Close = false // packngo asks for a new connection per request; keep-alive is what we want

	// Reading into a buffer (packngo copies io.Writers) consumes the body to
	// EOF, which lets the transport reuse the connection.
	if err := c.pacer.wait(ctx); err != nil {
		return &Error{Method: method, Path: info.path, Err: err} // nothing sent
	}
	var raw bytes.Buffer
	resp, err := api.Do(req, &raw)
	if err != nil {
		apiErr := newError(info, httpResponse(resp), err, c.token) //nolint:bodyclose // packngo's Do has closed it
		c.addHint(apiErr)
		logFailure(ctx, apiErr)
		return apiErr
	}
	if out != nil && raw.Len() > 0 {
		if err := json.Unmarshal(raw.Bytes(), out); err != nil {
			return &Error{Method: method, Path: info.path, StatusCode: resp.StatusCode,
				Attempts: int(info.attempts.Load()), Err: fmt.Errorf("decoding response: %w", err)}
		}
	}
	return nil
}

func httpResponse(resp *packngo.Response) *http.Response {
	if resp == nil {
		return nil
	}
	return resp.Response
}

// displayPath is the API path without the query, as used in errors and logs.
func displayPath(path string) string {
	path, _, _ = strings.Cut(path, "?")
	return "/" + strings.TrimPrefix(path, "/")
}
