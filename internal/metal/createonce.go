package metal

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/packethost/terraform-provider-packet/internal/sshkey"
)

// lookupAfterCancel bounds the search for a key whose create was cut short
// by cancellation (Ctrl-C): the API may still be working on the request the
// client gave up on, so the key is looked for repeatedly until it shows up
// (and is saved in state) or this much time has passed.
const lookupAfterCancel = 10 * time.Second

// createSSHKeyOnce makes creating a key safe to repeat. A POST whose outcome
// is ambiguous (5xx, a broken connection, a cancelled request: the key may or
// may not exist now) is followed by a search for the key by fingerprint:
//   - found: it is the key just created, and is returned;
//   - proven absent: the POST is sent again, at most MaxRetries times;
//   - the search fails: the create's error is returned, saying so.
//
// The API refuses a second key with the same fingerprint (422), so a resent
// POST can never make a duplicate: if a POST that seemed lost is committed
// after the search, the resend gets 422 and the key is looked up again.
// A key that does not parse (no fingerprint to search by) is never resent.
func (c *Client) createSSHKeyOnce(ctx context.Context, owner Owner, path string, in SSHKeyCreate) (*SSHKey, error) {
	fingerprint := md5Fingerprint(in.Key)
	ambiguous := false // some earlier POST may have created the key
	for attempt := 0; ; attempt++ {
		created, err := c.postSSHKey(ctx, path, in)
		switch {
		case err == nil:
			return created, nil
		case fingerprint == "":
			return nil, err
		case IsAmbiguous(err):
			ambiguous = true
		case ambiguous && IsStatus(err, http.StatusUnprocessableEntity):
			// Most likely the key an earlier POST created after all.
		default:
			return nil, err
		}

		existing, lookupErr := c.findAfterFailedCreate(ctx, owner, fingerprint)
		switch {
		case lookupErr != nil:
			return nil, fmt.Errorf("%w\n\nLooking for the key afterwards also failed, so it may or may not exist: %w", err, lookupErr)
		case existing != nil:
			tflog.SubsystemWarn(c.logContext(ctx), logSubsystem,
				"key create answered with an error but the key exists; using it",
				map[string]any{"id": existing.ID, "error": err.Error()})
			return existing, nil
		case !IsAmbiguous(err) || ctx.Err() != nil:
			return nil, err
		case attempt >= c.retry.MaxRetries:
			if attempt == 0 {
				return nil, err
			}
			return nil, fmt.Errorf("giving up after %d attempts to create the key, each time proven not created: %w", attempt+1, err)
		}
		tflog.SubsystemDebug(c.logContext(ctx), logSubsystem,
			"key create failed and the key does not exist; sending it again",
			map[string]any{"attempt": attempt + 1, "error": err.Error()})
		if err := sleepCtx(ctx, withJitter(exponential(c.retry.RetryWaitMin, c.retry.RetryWaitMax, attempt))); err != nil {
			return nil, err
		}
	}
}

// findAfterFailedCreate searches for the key. When ctx was cancelled (the
// create was interrupted) the request may still be in progress at the API,
// so one search that finds nothing proves nothing: it searches again, with a
// context of its own, until the key shows up or lookupAfterCancel is over.
func (c *Client) findAfterFailedCreate(ctx context.Context, owner Owner, fingerprint string) (*SSHKey, error) {
	if ctx.Err() == nil {
		return c.FindSSHKey(ctx, owner, fingerprint)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lookupAfterCancel)
	defer cancel()
	for attempt := 0; ; attempt++ {
		key, err := c.FindSSHKey(ctx, owner, fingerprint)
		if key != nil || err != nil {
			return key, err
		}
		if sleepCtx(ctx, exponential(250*time.Millisecond, 2*time.Second, attempt)) != nil {
			return nil, nil
		}
	}
}

// FindSSHKey returns the owner's key with this MD5 fingerprint (colon hex,
// as the API shows it), or nil when there is none.
func (c *Client) FindSSHKey(ctx context.Context, owner Owner, fingerprint string) (*SSHKey, error) {
	keys, err := c.ListSSHKeys(ctx, owner, ListOptions{Search: fingerprint})
	if err != nil {
		return nil, err
	}
	for i := range keys {
		k := &keys[i]
		// A listing may hold more than the owner's keys (the search is a
		// substring match; a user listing may show project keys).
		sameOwner := k.Owner.Kind == "" || (k.Owner.Kind == owner.Kind && (owner.ID == "" || k.Owner.ID == owner.ID))
		if k.Fingerprint == fingerprint && sameOwner {
			return k, nil
		}
	}
	return nil, nil
}

// md5Fingerprint is the API's fingerprint of an OpenSSH key line, or "".
func md5Fingerprint(line string) string {
	key, err := sshkey.Parse([]byte(line), sshkey.Options{})
	if err != nil {
		return ""
	}
	return key.FingerprintMD5()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
