package provider

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/packethost/terraform-provider-packet/internal/authorizedkeys"
	"github.com/packethost/terraform-provider-packet/internal/sshkey"
)

var (
	_ resource.ResourceWithConfigure      = (*authorizedKeyResource)(nil)
	_ resource.ResourceWithImportState    = (*authorizedKeyResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*authorizedKeyResource)(nil)
	_ resource.ResourceWithValidateConfig = (*authorizedKeyResource)(nil)
	_ resource.ResourceWithIdentity       = (*authorizedKeyResource)(nil)
	_ resource.ResourceWithMoveState      = (*authorizedKeyResource)(nil)
)

// authorizedKeyResource is one key line in the authorized_keys of any SSH
// server: the key-line engine with a host instead of a device, and a key
// instead of a key id. It needs no API token.
type authorizedKeyResource struct {
	apiResource
}

// NewAuthorizedKeyResource is packet_authorized_key.
func NewAuthorizedKeyResource() resource.Resource { return &authorizedKeyResource{} }

type authorizedKeyModel struct {
	ID                 types.String         `tfsdk:"id"`
	Host               types.String         `tfsdk:"host"`
	Port               types.Int64          `tfsdk:"port"`
	User               types.String         `tfsdk:"user"`
	AuthorizedKeysPath types.String         `tfsdk:"authorized_keys_path"`
	PublicKey          publicKeyValue       `tfsdk:"public_key"`
	SSH                *hostConnectionModel `tfsdk:"ssh"`
	lineState
}

// hostConnectionModel is how to log in and whom to trust; never the target.
type hostConnectionModel struct {
	PrivateKeyFile        types.String `tfsdk:"private_key_file"`
	PrivateKeyWO          types.String `tfsdk:"private_key_wo"`
	PrivateKeyWOVersion   types.Int64  `tfsdk:"private_key_wo_version"`
	Agent                 types.Bool   `tfsdk:"agent"`
	HostKey               types.String `tfsdk:"host_key"`
	KnownHostsFile        types.String `tfsdk:"known_hosts_file"`
	InsecureIgnoreHostKey types.Bool   `tfsdk:"insecure_ignore_host_key"`
	Jump                  *jumpModel   `tfsdk:"jump"`
}

// settings is the target and the `ssh` attribute as the connection
// resolution takes them (the same one the attachment uses).
func (m *authorizedKeyModel) settings() connectionSettings {
	c := m.SSH
	if c == nil {
		c = &hostConnectionModel{}
	}
	return (&connectionModel{
		Host: m.Host, Port: m.Port, User: m.User, AuthorizedKeysPath: m.AuthorizedKeysPath,
		PrivateKeyFile: c.PrivateKeyFile, PrivateKeyWO: c.PrivateKeyWO, PrivateKeyWOVersion: c.PrivateKeyWOVersion,
		Agent: c.Agent, HostKey: c.HostKey, KnownHostsFile: c.KnownHostsFile, InsecureIgnoreHostKey: c.InsecureIgnoreHostKey,
		UseRootPassword: types.BoolNull(), Jump: c.Jump,
	}).settings()
}

// lineToWrite is the line this resource writes for its options and key.
func (m *authorizedKeyModel) lineToWrite(key *sshkey.Key) string {
	return authorizedkeys.FormatLine(m.writtenOptions(), key.Line())
}

// owns: the line is the resource's to change and remove.
func (m *authorizedKeyModel) owns() bool { return !m.PreExisting.ValueBool() }

// subject names the host in messages.
func (m *authorizedKeyModel) subject() string {
	return fmt.Sprintf("Host %s", net.JoinHostPort(m.Host.ValueString(), strconv.FormatInt(m.Port.ValueInt64(), 10)))
}

func (r *authorizedKeyResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_authorized_key"
}

func (r *authorizedKeyResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var conn *hostConnectionModel
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, pathSSH, &conn)...)
	if conn == nil || resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(conflictingHostKeySettings(conn.InsecureIgnoreHostKey, conn.HostKey, conn.KnownHostsFile)...)
}

// ModifyPlan fills in the login user the provider's `ssh` block gives, and
// checks what can be checked before apply: a key file that is there, and
// something to log in with.
func (r *authorizedKeyResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return
	}
	var plan authorizedKeyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var configUser types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("user"), &configUser)...)
	if configUser.IsNull() {
		user := firstNonEmpty(r.data.ssh.User, defaultSSHUser)
		if plan.User.ValueString() != user {
			resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("user"), user)...)
			if !req.State.Raw.IsNull() && !plan.User.IsUnknown() && !plan.User.IsNull() {
				resp.RequiresReplace = append(resp.RequiresReplace, path.Root("user"))
			}
			plan.User = types.StringValue(user)
		}
	}
	if req.State.Raw.IsNull() {
		planLine(ctx, &plan.lineState, nil, true, r.data.now(), resp)
	} else {
		var state authorizedKeyModel
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		planLine(ctx, &plan.lineState, &state.lineState, state.owns(), r.data.now(), resp)
	}
	settings := plan.settings()
	if settings.Unknown || resp.Diagnostics.HasError() {
		return
	}
	_, diags := resolveConnection(connectionInputs{
		Resource:     settings,
		Provider:     r.data.ssh,
		WriteOnlyKey: writeOnlyKey(ctx, req.Config),
		FileExists:   localFileReadable,
		NeedLogin:    true,
	})
	for _, d := range diags {
		if d.Severity() == diag.SeverityError { // warnings come again at apply
			resp.Diagnostics.Append(d)
		}
	}
}

func (r *authorizedKeyResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan authorizedKeyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	key, err := parsePublicKey(plan.PublicKey)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("public_key"), "Invalid SSH public key", err.Error())
	}
	if resp.Diagnostics.HasError() {
		return
	}
	plan.setKey(key)
	plan.ID = types.StringValue(plan.id())
	conn, d := r.connection(&plan, writeOnlyKey(ctx, req.Config), true)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	if r.engine().add(ctx, conn, plan.subject(), &plan.lineState, plan.lineToWrite(key), key, &resp.Diagnostics) {
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		resp.Diagnostics.Append(plan.identity(ctx, resp.Identity)...)
	}
}

func (r *authorizedKeyResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state authorizedKeyModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// The framework wants an identity after every Read, even of a line that is gone.
	resp.Diagnostics.Append(state.identity(ctx, resp.Identity)...)
	if state.Host.IsNull() {
		// Moved from an attachment whose state knew no address: the
		// configuration's host is stored by the update that follows, which
		// connects to it first.
		return
	}
	conn, diags := r.connection(&state, "", false)
	if r.engine().pinConflict(conn, &state.lineState, state.subject(), &resp.Diagnostics) {
		return
	}
	if diags.HasError() || !conn.Auth.Any() {
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...) // nothing to log in with now (a write-only key): keep state
		return
	}
	if state.PublicKey.IsNull() {
		r.readImported(ctx, conn, &state, resp)
		return
	}
	key, err := parsePublicKey(state.PublicKey)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("public_key"), "The key in state does not parse", err.Error())
		return
	}
	_, gone := r.engine().look(ctx, conn, state.subject(), &state.lineState, state.owns(), state.ownLine(key, state.lineToWrite(key)), &resp.Diagnostics)
	if gone {
		resp.State.RemoveResource(ctx)
		return
	}
	if !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	}
}

func (r *authorizedKeyResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state authorizedKeyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	key, err := parsePublicKey(state.PublicKey)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("public_key"), "The key in state does not parse", err.Error())
		return
	}
	old := state.ownLine(key, state.lineToWrite(key))
	sameOptions := plan.writtenOptions() == state.writtenOptions()
	moved := state.Host.IsNull() || state.Port.IsNull() || movedAddress(state.settings(), plan.settings())
	reconnect := moved || reachChanged(state.settings(), plan.settings())
	// Only what the configuration says changes; the key as written stays.
	state.Host, state.Port, state.User, state.AuthorizedKeysPath = plan.Host, plan.Port, plan.User, plan.AuthorizedKeysPath
	state.SSH, state.ID = plan.SSH, types.StringValue(state.id())
	if !sameOptions && !state.owns() {
		resp.Diagnostics.AddAttributeWarning(path.Root("options"), "Options not applied",
			"The key's line was already in the file before this resource and is not its own, so its options are left as they are.")
	}
	state.Options, state.ExpiresAt = plan.Options, plan.ExpiresAt
	if sameOptions && !reconnect {
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
		resp.Diagnostics.Append(state.identity(ctx, resp.Identity)...)
		return
	}
	conn, diags := r.connection(&state, writeOnlyKey(ctx, req.Config), true)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ok := false
	if sameOptions || !state.owns() {
		ok = r.engine().reach(ctx, conn, state.subject(), &state.lineState, key, &resp.Diagnostics)
	} else {
		ok = r.engine().rewrite(ctx, conn, state.subject(), &state.lineState, old, state.lineToWrite(key), &resp.Diagnostics)
	}
	if ok {
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
		resp.Diagnostics.Append(state.identity(ctx, resp.Identity)...)
	}
}

func (r *authorizedKeyResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state authorizedKeyModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !state.owns() {
		resp.Diagnostics.AddWarning("Key left on the host",
			fmt.Sprintf("The key's line was in %s on %s before this resource, so it was left in place.",
				state.AuthorizedKeysPath.ValueString(), state.subject()))
		return
	}
	key, err := parsePublicKey(state.PublicKey)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("public_key"), "The key in state does not parse", err.Error())
		return
	}
	conn, diags := r.connection(&state, "", true)
	if diags.HasError() && state.SSH != nil && !state.SSH.PrivateKeyWOVersion.IsNull() {
		diags.Append(writeOnlyKeyAtDestroy())
	}
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.engine().remove(ctx, conn, state.subject(), state.ownLine(key, state.lineToWrite(key)), &resp.Diagnostics)
}

// readImported finds the imported line by its key's fingerprint: an import
// names the host, file and fingerprint, and the key comes from the file.
func (r *authorizedKeyResource) readImported(ctx context.Context, conn resolvedConnection, state *authorizedKeyModel, resp *resource.ReadResponse) {
	ctx, cancel := context.WithTimeout(ctx, sshOperationTimeout)
	defer cancel()
	data, out, err := r.data.machines.ReadKeys(ctx, conn.Endpoint)
	if err != nil {
		resp.Diagnostics.Append(machineErrorDiagnostic("Could not read the host's authorized_keys", state.subject(), conn, err))
		return
	}
	line, key := authorizedkeys.Parse(data).LineWithFingerprint(state.FingerprintSHA256.ValueString())
	if key == nil {
		resp.Diagnostics.AddError("Nothing to import",
			fmt.Sprintf("%s has no line with the key %s in %s: there is nothing to import there.", state.subject(),
				state.FingerprintSHA256.ValueString(), state.AuthorizedKeysPath.ValueString()))
		return
	}
	parsed, err := sshkey.Parse([]byte(line), sshkey.Options{})
	if err != nil {
		resp.Diagnostics.AddError("The imported line does not parse", err.Error())
		return
	}
	state.PublicKey = publicKeyValue{StringValue: types.StringValue(parsed.Line())}
	state.Options = optionsValue(authorizedkeys.LineOptions(line), types.StringNull())
	state.setKey(parsed)
	r.engine().pin(&state.lineState, out, state.subject(), conn, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
	resp.Diagnostics.Append(state.identity(ctx, resp.Identity)...)
}

// engine is the key-line engine over the provider's pool and pins.
func (r *authorizedKeyResource) engine() lineEngine { return lineEngine{data: r.data} }

// connection resolves how to reach m's host. No password: this resource
// logs in with keys only.
func (r *authorizedKeyResource) connection(m *authorizedKeyModel, woKey string, needLogin bool) (resolvedConnection, diag.Diagnostics) {
	return resolveConnection(connectionInputs{
		Resource:     m.settings(),
		Provider:     r.data.ssh,
		WriteOnlyKey: woKey,
		Pinned:       m.PinnedHostKey.ValueString(),
		NeedLogin:    needLogin,
		KnownPin:     r.data.pins.For,
		Reading:      !needLogin,
	})
}
