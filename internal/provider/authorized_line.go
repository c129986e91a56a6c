package provider

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/packethost/terraform-provider-packet/internal/authorizedkeys"
	"github.com/packethost/terraform-provider-packet/internal/machine"
	"github.com/packethost/terraform-provider-packet/internal/sshkey"
)

// The key-line engine: what packet_device_key_attachment (the platform's
// front end: a device and a key id) and packet_authorized_key (any SSH
// server: a host and a key) share. Both put one line into one
// authorized_keys and own exactly that line; everything about the line
// (ownership, options, pins, diagnostics) is written here once, and each
// front end only says where the host is and which key it is.

// lineState is the part of state both resources keep about their line.
type lineState struct {
	Options           types.String `tfsdk:"options"`
	ExpiresAt         types.String `tfsdk:"expires_at"`
	Fingerprint       types.String `tfsdk:"fingerprint"`
	FingerprintSHA256 types.String `tfsdk:"fingerprint_sha256"`
	PreExisting       types.Bool   `tfsdk:"pre_existing"`
	PinnedHostKey     types.String `tfsdk:"pinned_host_key"`
	Line              types.String `tfsdk:"authorized_keys_line"`
	File              types.String `tfsdk:"authorized_keys_file"`
	WriterID          types.String `tfsdk:"writer_id"`
}

// lineAttributes are the schema of lineState, for both resources.
func lineAttributes() map[string]schema.Attribute {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	return map[string]schema.Attribute{
		"options": schema.StringAttribute{
			MarkdownDescription: "`authorized_keys` options written before the key, e.g. " +
				"`from=\"10.0.0.0/8\",command=\"/usr/local/bin/backup\",no-pty` (see sshd(8), AUTHORIZED_KEYS FILE " +
				"FORMAT). Checked at plan time as sshd parses them (at most 8 KiB, no NUL or line break): sshd ignores a " +
				"line with an option it does not know. Changing it rewrites the line in place; options changed on the " +
				"host show as drift.",
			Optional:   true,
			Validators: []validator.String{authorizedKeysOptionsValidator{}},
		},
		"expires_at": schema.StringAttribute{
			MarkdownDescription: "When the access ends (RFC 3339, e.g. `2027-01-31T00:00:00Z`). Written as sshd's own " +
				"`expiry-time` option (OpenSSH 7.7 or later), beside `options`, so the key stops working then even if " +
				"Terraform never runs again. A time in the past is refused at create. Moving it rewrites the line in " +
				"place; after it, the plan warns and says how to renew (move it) or end (remove the resource) the access.",
			Optional:   true,
			Validators: []validator.String{rfc3339Validator{}},
		},
		"fingerprint": schema.StringAttribute{
			MarkdownDescription: "MD5 fingerprint of the key (colon hex, as the API shows it).",
			Computed:            true,
			PlanModifiers:       keep,
		},
		"fingerprint_sha256": schema.StringAttribute{
			MarkdownDescription: "SHA256 fingerprint of the key, as `ssh-keygen -l` prints it.",
			Computed:            true,
			PlanModifiers:       keep,
		},
		"pre_existing": schema.BoolAttribute{
			MarkdownDescription: "Whether a line with this key that this provider did not write was already in " +
				"`authorized_keys` when the resource was created. Such a line is not the resource's: destroy leaves it " +
				"in place, and its options are not managed. An imported line counts as pre-existing (this state did not " +
				"write it).",
			Computed:      true,
			PlanModifiers: []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()},
		},
		"pinned_host_key": schema.StringAttribute{
			MarkdownDescription: "The host's SSH host key (OpenSSH public key line) as seen on the first connection, " +
				"or as verified through `ssh.host_key` / `ssh.known_hosts_file`. Every later connection must present " +
				"this key unless `ssh.host_key`, `ssh.known_hosts_file` or `ssh.insecure_ignore_host_key` say otherwise.",
			Computed:      true,
			PlanModifiers: keep,
		},
		"authorized_keys_line": schema.StringAttribute{
			MarkdownDescription: "The exact line this resource wrote (options, key and comment). Read, update and " +
				"destroy look for this line, never for \"a line with this key\": another line of the same key (an " +
				"admin's restricted line, the platform's) is never read, changed or removed. Null when the line was " +
				"`pre_existing`.",
			Computed:      true,
			PlanModifiers: keep,
		},
		"authorized_keys_file": schema.StringAttribute{
			MarkdownDescription: "The absolute path of the file the line is in, after symlinks.",
			Computed:            true,
			PlanModifiers:       keep,
		},
		"writer_id": schema.StringAttribute{
			MarkdownDescription: "A random id this resource is recorded under on the host, in " +
				"`<authorized_keys>.packet-writers` beside the lock. Resources of the same line from other states or " +
				"workspaces share it, and the line leaves with the last of them. Null when the line was `pre_existing`.",
			Computed:      true,
			PlanModifiers: keep,
		},
	}
}

// withAttributes adds more to attrs (a resource's own attributes to the
// shared ones) and returns attrs.
func withAttributes(attrs, more map[string]schema.Attribute) map[string]schema.Attribute {
	for name, a := range more {
		attrs[name] = a
	}
	return attrs
}

// expiry is expires_at as a time; zero when not set (validated at plan).
func (s *lineState) expiry() time.Time {
	t, _ := time.Parse(time.RFC3339, s.ExpiresAt.ValueString())
	return t
}

// writtenOptions is the options field the line gets: options, then the
// expiry-time of expires_at.
func (s *lineState) writtenOptions() string {
	return authorizedkeys.WithExpiry(s.Options.ValueString(), s.expiry())
}

// planLine is what both resources check of the line at plan: a rewrite
// (options or expiry changed) makes the written line unknown, a time in the
// past is refused at create, and an access that has ended warns.
func planLine(ctx context.Context, plan, state *lineState, owns bool, now time.Time, resp *resource.ModifyPlanResponse) {
	if !plan.ExpiresAt.IsUnknown() && !plan.ExpiresAt.IsNull() && !plan.expiry().After(now) {
		if state == nil {
			resp.Diagnostics.AddAttributeError(path.Root("expires_at"), "expires_at is in the past",
				fmt.Sprintf("expires_at is %s, which has passed: a line written now would not log in. Give a time in the future.",
					plan.ExpiresAt.ValueString()))
			return
		}
		if state.ExpiresAt.ValueString() == plan.ExpiresAt.ValueString() {
			resp.Diagnostics.AddAttributeWarning(path.Root("expires_at"), "The access has expired",
				fmt.Sprintf("This key's line stopped logging in at %s (sshd enforces its expiry-time). To renew the access, "+
					"move expires_at to a later time: the line is rewritten in place. To end it, remove the resource: its "+
					"line is taken off.", plan.ExpiresAt.ValueString()))
		}
	}
	if state == nil || !owns || plan.Options.IsUnknown() || plan.ExpiresAt.IsUnknown() {
		return
	}
	if plan.writtenOptions() != state.writtenOptions() {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("authorized_keys_line"), types.StringUnknown())...)
	}
}

// rfc3339Validator accepts an RFC 3339 time.
type rfc3339Validator struct{}

func (rfc3339Validator) Description(context.Context) string { return "an RFC 3339 time" }

func (v rfc3339Validator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (rfc3339Validator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := time.Parse(time.RFC3339, req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid time",
			fmt.Sprintf("%q is not an RFC 3339 time such as 2027-01-31T00:00:00Z.", req.ConfigValue.ValueString()))
	}
}

// ownLine is the line the resource wrote, as state records it (the line is
// the record); state from before the record existed wrote fallback.
func (s *lineState) ownLine(key *sshkey.Key, fallback string) machine.Line {
	text := s.Line.ValueString()
	if text == "" {
		text = fallback
	}
	return machine.Line{Text: text, Key: key.PublicKey(), Writer: s.WriterID.ValueString()}
}

// recordOwned records line as the resource's own.
func (s *lineState) recordOwned(line machine.Line) {
	s.Line, s.WriterID, s.PreExisting = types.StringValue(line.Text), types.StringValue(line.Writer), types.BoolValue(false)
}

// setKey records the key's fingerprints.
func (s *lineState) setKey(key *sshkey.Key) {
	s.Fingerprint = types.StringValue(key.FingerprintMD5())
	s.FingerprintSHA256 = types.StringValue(key.FingerprintSHA256())
	for _, v := range []*types.String{&s.Line, &s.File, &s.WriterID} {
		if v.IsUnknown() {
			*v = types.StringNull()
		}
	}
}

// lineEngine does what both resources do on the host, over the provider's
// connection pool and its pins.
type lineEngine struct{ data *providerData }

// add puts text (holding key) on the host for st, unless a line of the key
// that no writer answers for is there (then st is pre-existing). It reports
// whether st is to be saved: also after an error, once the line may be on
// the host (Terraform then marks the resource tainted).
func (e lineEngine) add(ctx context.Context, conn resolvedConnection, subject string, st *lineState, text string,
	key *sshkey.Key, diags *diag.Diagnostics,
) bool {
	line := machine.Line{Text: text, Key: key.PublicKey(), Writer: newWriterID()}
	ctx, done := operation(ctx, subject)
	defer done(diags)
	res, err := e.data.machines.AddKey(ctx, conn.Endpoint, line)
	st.File = stringOrNull(res.File)
	switch {
	case err != nil && !res.MayHaveWritten:
		diags.Append(machineErrorDiagnostic("Could not add the key", subject, conn, err))
		return false
	case err != nil: // the line may be on the host: state keeps it (tainted)
		diags.Append(machineErrorDiagnostic("Could not add the key", subject, conn, err))
		st.recordOwned(line)
	case res.Owned:
		st.recordOwned(line)
	default:
		st.Line, st.WriterID, st.PreExisting = types.StringNull(), types.StringNull(), types.BoolValue(true)
		diags.AddWarning("The key was already there",
			fmt.Sprintf("%s already has a line with this key in %s (options: %s) that this provider did not write. It "+
				"was left as it is and is not this resource's: destroy will leave it in place, and `options` are not "+
				"applied to it.", subject, res.File, describeOptions(authorizedkeys.LineOptions(res.Existing))))
	}
	e.pin(st, res.Outcome, subject, conn, diags)
	return true
}

// look reads st's line back: its own line (owned) or any line of the key (a
// pre-existing one). gone: the line is not there (the plan adds it again).
// A host that cannot be reached keeps state, with a warning.
func (e lineEngine) look(ctx context.Context, conn resolvedConnection, subject string, st *lineState, owned bool,
	line machine.Line, diags *diag.Diagnostics,
) (res machine.FindResult, gone bool) {
	ctx, done := operation(ctx, subject)
	defer done(diags)
	var err error
	if owned {
		res, err = e.data.machines.FindLine(ctx, conn.Endpoint, line)
	} else {
		res, err = e.data.machines.FindKey(ctx, conn.Endpoint, line.Key)
	}
	switch {
	case isHostKeyError(err):
		diags.Append(machineErrorDiagnostic("The host key is not the expected one", subject, conn, err))
	case err != nil:
		diags.AddWarning("Could not check the host",
			machineErrorDiagnostic("", subject, conn, err).Detail()+"\n\nThe resource is kept in state as it was.")
	case !res.Found:
		tflog.Warn(ctx, "key line no longer on the host; removing it from state", map[string]any{"host": subject})
		return res, true
	default:
		e.pin(st, res.Outcome, subject, conn, diags)
		if st.File.IsNull() && res.File != "" {
			st.File = types.StringValue(res.File)
		}
		if owned && !res.Own.Exact {
			// Its own line, with options (or expiry) edited by hand: drift,
			// put back on apply.
			rest, expiry := authorizedkeys.SplitExpiry(authorizedkeys.LineOptions(res.Line))
			st.Options = optionsValue(rest, st.Options)
			if !expiry.Equal(st.expiry()) {
				st.ExpiresAt = types.StringNull()
				if !expiry.IsZero() {
					st.ExpiresAt = types.StringValue(expiry.Format(time.RFC3339))
				}
			}
		}
	}
	return res, false
}

// rewrite makes st's own line read text (new options), in place.
func (e lineEngine) rewrite(ctx context.Context, conn resolvedConnection, subject string, st *lineState, old machine.Line,
	text string, diags *diag.Diagnostics,
) bool {
	if old.Writer == "" {
		old.Writer = newWriterID() // state from before writers were recorded: record it from now on
	}
	ctx, done := operation(ctx, subject)
	defer done(diags)
	res, err := e.data.machines.ReplaceKey(ctx, conn.Endpoint, old, text)
	if err != nil {
		diags.Append(machineErrorDiagnostic("Could not update the key's line", subject, conn, err))
		return false
	}
	e.pin(st, res.Outcome, subject, conn, diags)
	st.recordOwned(machine.Line{Text: text, Writer: old.Writer})
	st.File = stringOrNull(res.File)
	return true
}

// reach proves a new address leads to the host (its host key checked)
// before it is stored.
func (e lineEngine) reach(ctx context.Context, conn resolvedConnection, subject string, st *lineState, key *sshkey.Key,
	diags *diag.Diagnostics,
) bool {
	ctx, done := operation(ctx, subject)
	defer done(diags)
	res, err := e.data.machines.FindKey(ctx, conn.Endpoint, key.PublicKey())
	if err != nil {
		diags.Append(machineErrorDiagnostic("Could not reach the host with the new settings", subject, conn, err))
		return false
	}
	e.pin(st, res.Outcome, subject, conn, diags)
	return true
}

// remove takes st's own line off the host, unless other writers still
// answer for it.
func (e lineEngine) remove(ctx context.Context, conn resolvedConnection, subject string, line machine.Line, diags *diag.Diagnostics) {
	ctx, done := operation(ctx, subject)
	defer done(diags)
	res, err := e.data.machines.RemoveKey(ctx, conn.Endpoint, line)
	if err != nil {
		diags.Append(machineErrorDiagnostic("Could not remove the key", subject, conn, err))
		return
	}
	if res.Shared {
		tflog.Info(ctx, "the line stays: other resources (other states or workspaces) still use it", map[string]any{"host": subject})
	}
}

// pin records the host key the host presented: in st, and in this run's
// pins for its address. The first pin warns, with how to check it.
func (e lineEngine) pin(st *lineState, out machine.Outcome, subject string, conn resolvedConnection, diags *diag.Diagnostics) {
	switch out.Use {
	case machine.HostKeyFirstUse:
		st.PinnedHostKey = types.StringValue(out.HostKey)
		detail := fmt.Sprintf("%s presented the host key %s; it is now pinned in pinned_host_key and every later "+
			"connection must present it. Compare it with the host's console output (it prints its host key "+
			"fingerprints at boot; or ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub there); to check it from the "+
			"start, set ssh.host_key or ssh.known_hosts_file.", subject, machine.HostKeyFingerprint(out.HostKey))
		if conn.Auth.Password != "" {
			detail += " The root password was sent to this host: if the fingerprint is not the device's, change the " +
				"root password at once."
		}
		diags.AddAttributeWarning(pathPinnedHostKey, "Host key trusted on first use", detail)
	case machine.HostKeyVerified:
		st.PinnedHostKey = types.StringValue(out.HostKey)
	case machine.HostKeyUnchecked: // insecure_ignore_host_key: nothing seen is worth pinning
	}
	if st.PinnedHostKey.IsUnknown() {
		st.PinnedHostKey = types.StringNull()
	}
	if out.Use != machine.HostKeyUnchecked && out.HostKey != "" {
		_ = e.data.pins.Remember(conn.Addr(), out.HostKey) // a conflict failed the connection already
	}
}

// pinConflict records the pin state holds for the address in this run's
// pins, and reports (as an error) a different pin another resource holds.
func (e lineEngine) pinConflict(conn resolvedConnection, st *lineState, subject string, diags *diag.Diagnostics) bool {
	if conn.Target.Host == "" || st.PinnedHostKey.ValueString() == "" || conn.HostKey.Pinned == "" {
		return false
	}
	if err := e.data.pins.Remember(conn.Addr(), st.PinnedHostKey.ValueString()); err != nil {
		diags.Append(machineErrorDiagnostic("Two host keys pinned for one host", subject, conn, err))
		return true
	}
	return false
}

// operation bounds one operation on a host (lock wait included) and shows a
// wait for another run's lock: as it happens in the log, and afterwards as
// a warning saying whose lock it was (Terraform itself only shows
// "Still creating…"). done must be called when the operation ends.
func operation(ctx context.Context, subject string) (context.Context, func(*diag.Diagnostics)) {
	ctx, cancel := context.WithTimeout(ctx, sshOperationTimeout)
	var (
		mu   sync.Mutex
		last string
	)
	ctx = machine.WithProgress(ctx, func(msg string) {
		tflog.Warn(ctx, msg, map[string]any{"host": subject})
		mu.Lock()
		last = msg
		mu.Unlock()
	})
	return ctx, func(diags *diag.Diagnostics) {
		cancel()
		mu.Lock()
		defer mu.Unlock()
		if last != "" && diags != nil {
			diags.AddWarning("Waited for another run's lock", fmt.Sprintf("%s: %s.", subject, last))
		}
	}
}

// newWriterID is a fresh id to record a resource under on the host.
func newWriterID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return "tf-" + hex.EncodeToString(b)
}

func stringOrNull(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

// optionsValue is the options read from the host as an attribute value:
// none reads as the configured "" or null, whichever the state had.
func optionsValue(onHost string, current types.String) types.String {
	if onHost == current.ValueString() {
		return current
	}
	if onHost == "" {
		return types.StringNull()
	}
	return types.StringValue(onHost)
}

func describeOptions(o string) string {
	if o == "" {
		return "none"
	}
	return o
}

// movedAddress: the host or port to connect to changed.
func movedAddress(old, next connectionSettings) bool {
	return old.Host != next.Host || old.Port != next.Port || jumpAddress(old.Jump) != jumpAddress(next.Jump)
}

// jumpAddress is where a jump host is: behind another one, the same
// address may be another machine.
func jumpAddress(j *jumpSettings) string {
	if j == nil {
		return ""
	}
	return net.JoinHostPort(j.Host, strconv.Itoa(j.Port))
}

// reachChanged: an update must log in, not only store the settings, when
// how the line is reached or whom to trust changed. Otherwise a wrong
// host_key, key file or jump host would be stored by a "successful" apply
// and fail every later refresh.
func reachChanged(old, next connectionSettings) bool {
	if movedAddress(old, next) || !sameJump(old.Jump, next.Jump) || !sameBool(old.Agent, next.Agent) {
		return true
	}
	old.Jump, next.Jump, old.Agent, next.Agent, old.Unknown, next.Unknown = nil, nil, nil, nil, false, false
	return old != next
}

func sameJump(a, b *jumpSettings) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
func sameBool(a, b *bool) bool         { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
