package metal

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// logSubsystem names this package's tflog sub-logger.
const logSubsystem = "metal"

// logContext adds the sub-logger, with the token masked in messages and field
// values. Nothing logs headers or bodies; the mask is a second line of defence
// (an error text from a proxy could echo the token back, for example).
func (c *Client) logContext(ctx context.Context) context.Context {
	ctx = tflog.NewSubsystem(ctx, logSubsystem)
	ctx = tflog.SubsystemMaskAllFieldValuesStrings(ctx, logSubsystem, c.token)
	return tflog.SubsystemMaskMessageStrings(ctx, logSubsystem, c.token)
}

func logAttempt(ctx context.Context, method, path string, attempt int, took time.Duration, resp *http.Response, err error) {
	fields := map[string]any{
		"method":      method,
		"path":        path,
		"attempt":     attempt,
		"duration_ms": took.Milliseconds(),
	}
	if err != nil {
		fields["error"] = err.Error()
		tflog.SubsystemDebug(ctx, logSubsystem, "API request failed", fields)
		return
	}
	fields["status"] = resp.StatusCode
	tflog.SubsystemDebug(ctx, logSubsystem, "API request", fields)
}

// logFailure records the final outcome of a failed call once, after retries.
func logFailure(ctx context.Context, err error) {
	var apiErr *Error
	if !errors.As(err, &apiErr) {
		return
	}
	fields := map[string]any{
		"method":   apiErr.Method,
		"path":     apiErr.Path,
		"status":   apiErr.StatusCode,
		"attempts": apiErr.Attempts,
		"error":    apiErr.Error(),
	}
	if apiErr.StatusCode == http.StatusNotFound {
		// Routine when Terraform refreshes something deleted outside it.
		tflog.SubsystemDebug(ctx, logSubsystem, "API call failed", fields)
		return
	}
	tflog.SubsystemWarn(ctx, logSubsystem, "API call failed", fields)
}
