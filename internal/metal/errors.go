package metal

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"

	"github.com/packethost/packngo"
)

// Error is a failed API call. StatusCode is 0 when no response arrived (Err
// then says why). It never holds the token or the request body.
type Error struct {
	Method, Path string
	StatusCode   int
	Messages     []string // the API's own error texts
	Attempts     int      // HTTP attempts made, retries included
	Err          error    // transport or decoding failure, if any
	// Hint says what probably went wrong and what to do, when the failure
	// points at the configuration rather than at the call.
	Hint string
	// wrongBaseURL marks a 404 that says more about the API URL than about
	// the object: it is not evidence that the object is gone.
	wrongBaseURL bool
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: ", e.Method, e.Path)
	if e.Attempts > 1 && e.retryableOutcome() {
		fmt.Fprintf(&b, "giving up after %d attempts: ", e.Attempts)
	}
	var parts []string
	if e.StatusCode != 0 {
		parts = append(parts, statusLine(e.StatusCode))
	}
	if len(e.Messages) > 0 {
		parts = append(parts, strings.Join(e.Messages, "; "))
	}
	if e.Err != nil {
		parts = append(parts, e.Err.Error())
	}
	b.WriteString(strings.Join(parts, ": "))
	if e.Hint != "" {
		b.WriteString(". ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// retryableOutcome reports whether the final failure is of a kind the client
// retries, i.e. whether it stopped because it ran out of attempts.
func (e *Error) retryableOutcome() bool {
	if e.StatusCode == 0 {
		return e.Err != nil && !errors.Is(e.Err, context.Canceled) && !errors.Is(e.Err, context.DeadlineExceeded)
	}
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

func statusLine(code int) string {
	if text := http.StatusText(code); text != "" {
		return fmt.Sprintf("%d %s", code, text)
	}
	return fmt.Sprintf("%d", code)
}

// IsNotFound reports whether err (or an error it wraps) is an API 404 that
// means the object does not exist. A 404 from an API URL without the API's
// base path is not one: a refresh must fail then, not drop the object.
func IsNotFound(err error) bool {
	var apiErr *Error
	return errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound && !apiErr.wrongBaseURL
}

// IsStatus reports whether err (or an error it wraps) is an API response with this status.
func IsStatus(err error, code int) bool {
	var apiErr *Error
	return errors.As(err, &apiErr) && apiErr.StatusCode == code
}

// IsAmbiguous reports whether a call may have taken effect although it
// failed: it reached the network and then the connection broke, timed out or
// was cancelled, the server answered 5xx, or a success response could not be
// read. For a POST this means the object may exist; look for it before retrying.
func IsAmbiguous(err error) bool {
	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.Attempts == 0 {
		return false
	}
	if apiErr.StatusCode == 0 && nothingSent(apiErr.Err) {
		return false // nothing reached a server
	}
	return apiErr.StatusCode >= 500 || apiErr.Err != nil
}

// IsRefused reports an answer that a retry, or an apply after the plan,
// would get again: the API refused the token or the request (401, 403, 410),
// or there was nothing to send it to (a refused connection, a failed DNS
// lookup). The retired platform answers every call in one of these ways. It
// is never evidence that an object is gone.
func IsRefused(err error) bool {
	var apiErr *Error
	if !errors.As(err, &apiErr) {
		return false
	}
	if apiErr.StatusCode == 0 {
		return nothingSent(apiErr.Err)
	}
	return isRefusal(apiErr.StatusCode)
}

// isRefusal is an API answer that refuses the token or the request as such.
func isRefusal(status int) bool {
	return status == http.StatusUnauthorized || status == http.StatusForbidden || status == http.StatusGone
}

// isConnectionRefused reports a connection nobody accepted: nothing listens
// at the address, so the request was never sent.
func isConnectionRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// nothingSent reports a request that never left: the connection was refused
// or the API's host name did not resolve.
func nothingSent(err error) bool {
	var dnsErr *net.DNSError
	return isConnectionRefused(err) || errors.As(err, &dnsErr)
}

// apiBasePath is the path every API URL ends with (see DefaultBaseURL).
const apiBasePath = "/metal/v1/"

// The retired platform. DefaultBaseURL is on retiredAPIHost; errors that are
// probably its doing say so, once, and name the way out.
const (
	retiredAPIHost  = "api.equinix.com"
	retiredPlatform = "Equinix Metal (formerly Packet)"
	retiredOn       = "2026-06-30"
	retirementGuide = `To take resources out of state without touching any server, see the guide ` +
		`"Leaving the retired platform" (docs/guides/leaving-the-platform.md)`
)

// isRetiredHost reports whether host is the retired platform's API host.
func isRetiredHost(host string) bool {
	return strings.EqualFold(strings.TrimSuffix(host, "."), retiredAPIHost)
}

// addHint tells the person reading the error what probably went wrong when
// the failure points at the client's configuration, and where that came from.
// This is the one place where the retired platform's answers (401, 403 or
// 410 to a token that is set; nothing at all at its host) get their
// diagnostic: every resource, data source and list shows it as the error's text.
func (c *Client) addHint(e *Error) {
	switch {
	case isRefusal(e.StatusCode) && c.retiredHost:
		e.Hint = fmt.Sprintf("The API at %s belongs to %s, which reached its end of life on %s; since then it is "+
			"reported to answer 401 to every request, whatever the token, so this answer does not mean that anything "+
			"is gone. Against packet-mock or another endpoint (set api_url or PACKET_API_URL) the same answer would be "+
			"a token problem, with %s. %s", c.where(), retiredPlatform, retiredOn, c.theToken(), retirementGuide)
	case isRefusal(e.StatusCode):
		e.Hint = fmt.Sprintf("The API at %s %s: against packet-mock or another endpoint that is a token problem, so "+
			"check that the token is current there and may do this, or set another one. %s itself reached its end of "+
			"life on %s, and this answer does not mean that anything is gone. %s",
			c.where(), refusedWhat(e.StatusCode, c.theToken()), retiredPlatform, retiredOn, retirementGuide)
	case e.StatusCode == 0 && nothingSent(e.Err) && c.retiredHost:
		e.Hint = fmt.Sprintf("Nothing answers at %s: %s reached its end of life on %s, and its API is not served "+
			"any more. To use packet-mock or another endpoint, set api_url or PACKET_API_URL; there, a refused request "+
			"can still be a token problem. %s", c.where(), retiredPlatform, retiredOn, retirementGuide)
	case e.StatusCode == http.StatusNotFound && !strings.HasSuffix(c.basePath, apiBasePath):
		e.wrongBaseURL = true
		e.Hint = fmt.Sprintf("The API URL %s%s has no %s base path, which is probably missing: use %s",
			c.baseURL, from(c.baseURLSource), apiBasePath, strings.TrimSuffix(c.baseURL, "/")+apiBasePath)
	case e.StatusCode == 0 && isConnectionRefused(e.Err):
		e.Hint = fmt.Sprintf("Nothing accepts connections at %s%s: is the API (or packet-mock) running there, "+
			"and is that the right URL?", c.baseURL, from(c.baseURLSource))
	}
}

// where is the API URL and where it came from.
func (c *Client) where() string {
	if c.baseURLSource == "" && c.retiredHost {
		return c.baseURL + " (the default api_url)"
	}
	return c.baseURL + from(c.baseURLSource)
}

// theToken is "the token from SOURCE", or "the token" when the source is not known.
func (c *Client) theToken() string { return "the token" + from(c.tokenSource) }

// refusedWhat says what a 401, 403 or 410 refused.
func refusedWhat(status int, token string) string {
	switch status {
	case http.StatusUnauthorized:
		return "refused " + token
	case http.StatusForbidden:
		return "refused this request, made with " + token + ","
	default:
		return "answered 410 Gone to this request, made with " + token + ","
	}
}

// from is " from SOURCE", or nothing when the source is not known.
func from(source string) string {
	if source == "" {
		return ""
	}
	return " from " + source
}

const redacted = "[REDACTED]"

// newError turns what packngo's Do returned into an *Error. The token is
// blanked out of the API's texts in case a server or proxy echoes it.
func newError(info *requestInfo, resp *http.Response, err error, token string) *Error {
	e := &Error{Method: info.method, Path: info.path, Attempts: int(info.attempts.Load())}
	if resp == nil {
		// No response: keep the cause, but not url.Error's text, which repeats
		// the method and the full URL.
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err
		}
		e.Err = err
		return e
	}
	e.StatusCode = resp.StatusCode
	var apiErr *packngo.ErrorResponse
	switch {
	case errors.As(err, &apiErr):
		e.Messages = apiMessages(apiErr)
		for i, m := range e.Messages {
			e.Messages[i] = strings.ReplaceAll(m, token, redacted)
		}
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		// A success whose body could not be read: the call may have worked.
		e.Err = fmt.Errorf("reading response: %w", err)
	}
	// Otherwise the error body was not JSON; the status line says enough.
	return e
}

// apiMessages collects the texts of {"errors":[...]} and {"error":"..."}.
func apiMessages(r *packngo.ErrorResponse) []string {
	var msgs []string
	for _, m := range append(r.Errors, r.SingleError) {
		m = strings.TrimSpace(m)
		if m == "" {
			continue
		}
		// packngo's text for non-JSON bodies (e.g. an HTML page from a proxy)
		// repeats the status; keep only the content type.
		if strings.HasPrefix(m, "Unexpected Content-Type") {
			ct := strings.TrimSpace(strings.TrimPrefix(m, "Unexpected Content-Type"))
			ct, _, _ = strings.Cut(ct, " with status")
			if ct = strings.TrimSpace(ct); ct == "" {
				continue // an empty body: the status line says it all
			}
			m = "unexpected content type " + ct
		}
		msgs = append(msgs, m)
	}
	return msgs
}
