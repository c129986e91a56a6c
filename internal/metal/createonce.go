package metal

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/packethost/terraform-provider-packet/internal/sshkey"
)

// lookupAfterCancel bounds the search for a key whose create was cut short
// by cancellation (Ctrl-C): the API may still be working on the request the
// client gave up on, so the key is looked for repeatedly until it shows up
// (and is saved in state) or this much time has passed.
const lookupAfterCancel = 10 * time.Second

// createSSHKeyOnce makes creating a key safe to repeat, and is the one place
// that recovers from a create that failed. A POST whose outcome is ambiguous
// (5xx, a broken connection, a cancelled request: the key may or may not
// exist now) is followed by a search for the key by fingerprint:
//   - found: it is the key just created, and is returned;
//   - proven absent: the POST is sent again, at most MaxRetries times;
//   - the search fails: the create's error is returned, saying so.
//
// The API refuses a second key with the same fingerprint (422), so a resent
// POST can never make a duplicate: if a POST that seemed lost is committed
// after the search, the resend gets 422 and the key is looked up again.
// A 422 with no earlier failure is a *DuplicateKeyError naming the key the
// owner already has; a 404 (which the platform has been seen to answer for
// a key it did create) is looked up too. A key that does not parse (no
// fingerprint to search by) is never resent.
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
		case IsStatus(err, http.StatusUnprocessableEntity) && !ambiguous:
			return nil, c.duplicateOrError(ctx, owner, fingerprint, in, err)
		case ambiguous && IsStatus(err, http.StatusUnprocessableEntity):
			// Most likely the key an earlier POST created after all.
		case IsNotFound(err):
			return c.adoptAfterNotFound(ctx, owner, fingerprint, err)
		default:
			return nil, err
		}

		existing, lookupErr := c.findAfterFailedCreate(ctx, owner, fingerprint)
		switch {
		case lookupErr != nil:
			return nil, lookupFailed(err, lookupErr)
		case existing != nil:
			c.warnAdopted(ctx, existing, err)
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

// DuplicateKeyError is a create the API refused because the owner already
// has a key with the same fingerprint. Existing is that key. Adoptable says
// it is, by every field a create sets (key, label, tags, owner), the key the
// create asked for: most likely the orphan of a create whose answer was
// never saved (terraform killed mid-apply), which the caller may take over.
type DuplicateKeyError struct {
	Existing  SSHKey
	Adoptable bool
	Err       error // the API's refusal
}

func (e *DuplicateKeyError) Error() string {
	return fmt.Sprintf("%v: the key already exists as %q (id %s)", e.Err, e.Existing.Label, e.Existing.ID)
}

func (e *DuplicateKeyError) Unwrap() error { return e.Err }

// duplicateOrError looks up the key a 422 may be about.
func (c *Client) duplicateOrError(ctx context.Context, owner Owner, fingerprint string, in SSHKeyCreate, createErr error) error {
	existing, err := c.FindSSHKey(ctx, owner, fingerprint)
	switch {
	case err != nil:
		return lookupFailed(createErr, err)
	case existing == nil:
		return createErr // refused for another reason
	}
	return &DuplicateKeyError{Existing: *existing, Adoptable: sameAsCreated(*existing, owner, in), Err: createErr}
}

// sameAsCreated compares what a create sets. The key is the same by
// fingerprint (the search); its text is compared as the API keeps it, so
// a key uploaded with another comment is not taken over silently.
func sameAsCreated(k SSHKey, owner Owner, in SSHKeyCreate) bool {
	sameOwner := k.Owner.Kind == owner.Kind && (owner.ID == "" || k.Owner.ID == owner.ID)
	return sameOwner && k.Label == in.Label && strings.TrimSpace(k.Key) == strings.TrimSpace(in.Key) &&
		slices.Equal(sortedTags(k.Tags), sortedTags(in.Tags))
}

func sortedTags(tags []string) []string {
	out := slices.Clone(tags)
	slices.Sort(out)
	return slices.Compact(out)
}

// adoptAfterNotFound handles a 404 to a create: the key may exist anyway;
// else the project is what was not found.
func (c *Client) adoptAfterNotFound(ctx context.Context, owner Owner, fingerprint string, createErr error) (*SSHKey, error) {
	existing, err := c.FindSSHKey(ctx, owner, fingerprint)
	switch {
	case err != nil && IsNotFound(err) && owner.Kind == OwnerProject:
		return nil, fmt.Errorf("project %s was not found, or this API token cannot see it: %w", owner.ID, createErr)
	case err != nil:
		return nil, lookupFailed(createErr, err)
	case existing == nil:
		return nil, createErr
	}
	c.warnAdopted(ctx, existing, createErr)
	return existing, nil
}

func (c *Client) warnAdopted(ctx context.Context, existing *SSHKey, createErr error) {
	tflog.SubsystemWarn(c.logContext(ctx), logSubsystem,
		"key create answered with an error but the key exists; using it",
		map[string]any{"id": existing.ID, "error": createErr.Error()})
}

func lookupFailed(createErr, lookupErr error) error {
	return fmt.Errorf("%w\n\nLooking for the key afterwards also failed, so it may or may not exist: %w", createErr, lookupErr)
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
