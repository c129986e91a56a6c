package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/packethost/terraform-provider-packet/internal/metal"
	"github.com/packethost/terraform-provider-packet/internal/sshkey"
)

var (
	_ resource.ResourceWithConfigure   = (*sshKeyResource)(nil)
	_ resource.ResourceWithImportState = (*sshKeyResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*sshKeyResource)(nil)
	_ resource.ResourceWithMoveState   = (*sshKeyResource)(nil)
)

type sshKeyResource struct {
	owner sshKeyOwner
	apiResource
}

// NewProjectSSHKeyResource is packet_project_ssh_key.
func NewProjectSSHKeyResource() resource.Resource { return &sshKeyResource{owner: projectKeyOwner} }

// NewUserSSHKeyResource is packet_user_ssh_key.
func NewUserSSHKeyResource() resource.Resource { return &sshKeyResource{owner: userKeyOwner} }

// sshKeyModel is a key resource's state; see sshKeyOwner.scoped.
type sshKeyModel struct {
	sshKeyFields
	ProjectID types.String `tfsdk:"project_id"`
}

// sshKeyFields are the attributes of every key resource: the computed ones
// and what the user sets.
type sshKeyFields struct {
	keyComputed
	Name      types.String   `tfsdk:"name"`
	PublicKey publicKeyValue `tfsdk:"public_key"`
	Tags      types.Set      `tfsdk:"tags"`
}

func (r *sshKeyResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_" + r.owner.typeName
}

func (r *sshKeyResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	attrs := computedKeyResourceAttributes()
	attrs["name"] = schema.StringAttribute{
		MarkdownDescription: "Name of the key (the API's `label`), as the portal shows it. Changes in place.",
		Required:            true,
		Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
	}
	attrs["public_key"] = schema.StringAttribute{
		MarkdownDescription: "The public key, as an OpenSSH line (`ssh-ed25519 AAAA... comment`, the `.pub` file) or " +
			"in the RFC 4716 form PuTTYgen's \"Save public key\" writes; it is sent to the API as one OpenSSH line. " +
			"Only a different key replaces the resource: another comment, whitespace, line endings or form of the " +
			"same key is no change. DSA keys, RSA keys under 2048 bits and private keys are refused at plan time, and so " +
			"is a line with authorized_keys options (`from=\"...\",no-pty ...`): the API stores no options, so they " +
			"would be silently dropped; set them with `packet_device_key_attachment`'s `options`.",
		Required:   true,
		CustomType: publicKeyType{},
		Validators: []validator.String{uploadablePublicKey()},
		PlanModifiers: []planmodifier.String{
			keepPriorIfSameKey{},
			stringplanmodifier.RequiresReplace(),
		},
	}
	attrs["tags"] = schema.SetAttribute{
		MarkdownDescription: "Tags of the key. Change in place.",
		ElementType:         types.StringType,
		Optional:            true,
	}
	withProjectID(r.owner, attrs, schema.Attribute(schema.StringAttribute{
		MarkdownDescription: "UUID of the project the key belongs to. Changing it replaces the key.",
		Required:            true,
		Validators:          []validator.String{uuidValidator()},
		PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
	}))
	resp.Schema = schema.Schema{
		// Version 0 is also what the earlier providers wrote, so their state
		// reads as it is. A schema change that needs its state rewritten bumps
		// this and adds an UpgradeState step from every earlier version.
		Version:             0,
		MarkdownDescription: r.owner.summary + "\n\n" + r.importDoc() + "\n\n" + needsTheAPI,
		DeprecationMessage:  r.owner.deprecation,
		Attributes:          attrs,
	}
}

// ModifyPlan computes what the key alone determines, so fingerprints are
// known at plan time, and marks what a replacement changes as unknown.
func (r *sshKeyResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	if !req.State.Raw.IsNull() && r.unchangedPlan(ctx, req, resp) {
		return
	}
	var plan, state sshKeyModel
	resp.Diagnostics.Append(r.get(ctx, req.Plan, &plan)...)
	if !req.State.Raw.IsNull() {
		resp.Diagnostics.Append(r.get(ctx, req.State, &state)...)
	}
	if resp.Diagnostics.HasError() || plan.PublicKey.IsUnknown() {
		return
	}
	if !req.State.Raw.IsNull() && plan.PublicKey.Equal(state.PublicKey) {
		// Same key. If nothing the user sets changed either (for example only
		// the key's comment, which keepPriorIfSameKey absorbed), nothing is
		// updated and the plan must be empty.
		if plan.Name.Equal(state.Name) && plan.Tags.Equal(state.Tags) {
			plan.Updated = state.Updated
			resp.Diagnostics.Append(r.set(ctx, &resp.Plan, plan)...)
		}
		return
	}
	if req.State.Raw.IsNull() {
		r.checkProjectExists(ctx, plan.ProjectID, &resp.Diagnostics)
	}
	key, err := parsePublicKey(plan.PublicKey)
	if err != nil {
		return // the validator reports it
	}
	// A replacement needs nothing more: Terraform plans its create half
	// separately, with every other computed attribute unknown.
	plan.Fingerprint = types.StringValue(key.FingerprintMD5())
	plan.FingerprintSHA256 = types.StringValue(key.FingerprintSHA256())
	plan.Algorithm = types.StringValue(key.Algorithm())
	resp.Diagnostics.Append(r.set(ctx, &resp.Plan, plan)...)
}

// unchangedPlan handles the no-change plan by single attributes: same key,
// name and tags keep the prior "updated". It reports whether it did.
func (r *sshKeyResource) unchangedPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) bool {
	var planKey, stateKey publicKeyValue
	var planName, stateName, updated types.String
	var planTags, stateTags types.Set
	d := req.Plan.GetAttribute(ctx, path.Root("public_key"), &planKey)
	d.Append(req.State.GetAttribute(ctx, path.Root("public_key"), &stateKey)...)
	d.Append(req.Plan.GetAttribute(ctx, path.Root("name"), &planName)...)
	d.Append(req.State.GetAttribute(ctx, path.Root("name"), &stateName)...)
	d.Append(req.Plan.GetAttribute(ctx, path.Root("tags"), &planTags)...)
	d.Append(req.State.GetAttribute(ctx, path.Root("tags"), &stateTags)...)
	if d.HasError() || planKey.IsUnknown() || !planKey.Equal(stateKey) || !planName.Equal(stateName) || !planTags.Equal(stateTags) {
		return false
	}
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("updated"), &updated)...)
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("updated"), updated)...)
	return true
}

func (r *sshKeyResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan sshKeyModel
	resp.Diagnostics.Append(r.get(ctx, req.Plan, &plan)...)
	keys := r.keys(&resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	key, err := parsePublicKey(plan.PublicKey)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("public_key"), "Invalid SSH public key", err.Error())
		return
	}
	tags, diags := stringsFromSet(ctx, plan.Tags)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}

	owner := metal.Owner{Kind: r.owner.kind, ID: plan.ProjectID.ValueString()}
	created, err := keys.Create(ctx, owner, metal.SSHKeyCreate{
		Label: plan.Name.ValueString(),
		Key:   key.Line(),
		Tags:  tags,
	})
	var duplicate *metal.DuplicateKeyError
	switch {
	case errors.As(err, &duplicate) && duplicate.Adoptable:
		created = &duplicate.Existing
		resp.Diagnostics.AddWarning("Existing key adopted",
			fmt.Sprintf("The %s already existed with this key, name and tags (id %s), most likely created by an earlier "+
				"run that was stopped before it could save it. It is now managed here; nothing was created twice.",
				r.owner.noun, created.ID))
	case errors.As(err, &duplicate):
		resp.Diagnostics.AddError("The "+r.owner.noun+" already exists", r.importHint(&duplicate.Existing))
		return
	case err != nil:
		resp.Diagnostics.AddError("Could not create the "+r.owner.noun, err.Error())
		return
	}

	// Save state first: whatever is checked below, the key exists now.
	state := r.save(ctx, plan, created, &resp.State, resp.Identity, &resp.Diagnostics)

	if state.Fingerprint.ValueString() != key.FingerprintMD5() {
		resp.Diagnostics.AddError("Fingerprint mismatch",
			fmt.Sprintf("The API reports fingerprint %s for key %s, but the key sent has fingerprint %s. The key was "+
				"created and is tracked in state; check it in the portal before using it.",
				state.Fingerprint.ValueString(), created.ID, key.FingerprintMD5()))
	}
	if key.Format() == sshkey.FormatRFC4716 {
		resp.Diagnostics.AddAttributeWarning(path.Root("public_key"), "Public key converted",
			"public_key is in the RFC 4716 (PuTTYgen \"Save public key\") form, which the API does not accept; it "+
				"was sent as the equivalent OpenSSH line: "+key.Line())
	}
}

// importHint says how to take over a key that exists with another name or
// tags. Terraform does not tell a provider the resource's address, so the
// block names the type and leaves the name to the address Terraform prints
// with the error ("with ..."); the id is the real one.
func (r *sshKeyResource) importHint(k *metal.SSHKey) string {
	typ := "packet_" + r.owner.typeName
	return fmt.Sprintf("This key is already uploaded as %s %q (id %s, tags %v), so the API refuses it a second time. "+
		"To manage that key with this resource, import it: add this block (use the address Terraform shows above "+
		"after \"with\" in place of %s.NAME), then plan again; name and tags then change in place to the config's:\n\n"+
		"import {\n  to = %s.NAME\n  id = %q\n}\n\nor run: terraform import %s.NAME %s",
		r.owner.noun, k.Label, k.ID, nonNilStrings(k.Tags), typ, typ, k.ID, typ, k.ID)
}

func (r *sshKeyResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state sshKeyModel
	resp.Diagnostics.Append(r.get(ctx, req.State, &state)...)
	keys := r.keys(&resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	got, err := keys.Get(ctx, metal.Owner{Kind: r.owner.kind, ID: state.ProjectID.ValueString()}, state.ID.ValueString())
	if metal.IsNotFound(err) {
		tflog.Warn(ctx, "key no longer exists; removing it from state", map[string]any{"id": state.ID.ValueString()})
		// The framework (v1.19) wants an identity after every Read, even one that removes the resource.
		resp.Diagnostics.Append(r.setIdentity(ctx, resp.Identity, state.identity())...)
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Could not read the "+r.owner.noun, err.Error())
		return
	}
	if got.Owner.Kind != r.owner.kind {
		resp.Diagnostics.AddError("Wrong resource type for this key",
			fmt.Sprintf("Key %s is a %s, not a %s: manage it with %s instead of packet_%s.",
				got.ID, ownerNoun(got.Owner.Kind), r.owner.noun, r.owner.otherType, r.owner.typeName))
		return
	}
	if !r.checkProject(state, got, &resp.Diagnostics) {
		return
	}
	if _, err := sshkey.Parse([]byte(got.Key), sshkey.Options{}); err != nil {
		resp.Diagnostics.AddError("The API returned a key that does not parse", err.Error())
		return
	}
	next := r.fromAPI(ctx, state, got, &resp.Diagnostics)
	// The API's form of the key; semantic equality keeps the prior form when
	// it is the same key, so only a real key change shows in the plan.
	next.PublicKey = newPublicKeyValue(got.Key)
	resp.Diagnostics.Append(r.setIdentity(ctx, resp.Identity, next.identity())...) // also when state is unchanged: older state has none
	if unchanged(state, next) {
		return // resp.State already holds the prior state, which is what semantic equality would keep
	}
	resp.Diagnostics.Append(r.set(ctx, &resp.State, next)...)
}

// unchanged: the refreshed model is the prior one (the key by equivalence).
func unchanged(a, b sshKeyModel) bool {
	return a.keyComputed == b.keyComputed && a.ProjectID.Equal(b.ProjectID) && a.Name.Equal(b.Name) &&
		a.Tags.Equal(b.Tags) && sshkey.Equivalent(a.PublicKey.ValueString(), b.PublicKey.ValueString())
}

func (r *sshKeyResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan sshKeyModel
	resp.Diagnostics.Append(r.get(ctx, req.Plan, &plan)...)
	keys := r.keys(&resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	tags, diags := stringsFromSet(ctx, plan.Tags)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if tags == nil {
		tags = []string{} // tags removed from the config: clear them
	}
	label := plan.Name.ValueString()
	got, err := keys.Update(ctx, plan.ID.ValueString(), metal.SSHKeyUpdate{Label: &label, Tags: &tags})
	if err != nil {
		resp.Diagnostics.AddError("Could not update the "+r.owner.noun, err.Error())
		return
	}
	r.save(ctx, plan, got, &resp.State, resp.Identity, &resp.Diagnostics)
}

// save writes the API's answer to a create or an update as state and
// identity, keeping the config's form of the key, and returns that state.
func (r *sshKeyResource) save(ctx context.Context, plan sshKeyModel, got *metal.SSHKey, state *tfsdk.State,
	identity *tfsdk.ResourceIdentity, diags *diag.Diagnostics,
) sshKeyModel {
	m := r.fromAPI(ctx, plan, got, diags)
	m.PublicKey = plan.PublicKey
	diags.Append(r.set(ctx, state, m)...)
	diags.Append(r.setIdentity(ctx, identity, m.identity())...)
	return m
}

func (r *sshKeyResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state sshKeyModel
	resp.Diagnostics.Append(r.get(ctx, req.State, &state)...)
	keys := r.keys(&resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	err := keys.Delete(ctx, state.ID.ValueString())
	if err != nil && !metal.IsNotFound(err) {
		resp.Diagnostics.AddError("Could not delete the "+r.owner.noun, err.Error())
	}
}

// fromAPI maps the API's answer (keyFacts.attributes, shared with the data
// sources) onto a model whose user-given values come from base; the caller
// sets public_key, which keeps the user's form of the key.
func (r *sshKeyResource) fromAPI(ctx context.Context, base sshKeyModel, k *metal.SSHKey, diags *diag.Diagnostics) sshKeyModel {
	a := newKeyFacts(*k).attributes(base.ProjectID)
	m := base
	m.keyComputed, m.Name, m.ProjectID = a.keyComputed, a.Name, a.ProjectID
	if a.FingerprintSHA256.IsNull() { // the API's key does not parse: keep what the key in the config gives
		m.FingerprintSHA256, m.Algorithm = base.FingerprintSHA256, base.Algorithm
	}
	tags, d := setFromStrings(ctx, base.Tags, k.Tags)
	diags.Append(d...)
	m.Tags = tags
	return m
}

// get reads a whole model from the config, the plan or the state.
func (r *sshKeyResource) get(ctx context.Context, src interface {
	Get(context.Context, any) diag.Diagnostics
}, m *sshKeyModel) diag.Diagnostics {
	return src.Get(ctx, r.owner.scoped(m, &m.sshKeyFields))
}

func (r *sshKeyResource) set(ctx context.Context, dst interface {
	Set(context.Context, any) diag.Diagnostics
}, m sshKeyModel) diag.Diagnostics {
	return dst.Set(ctx, r.owner.scoped(&m, &m.sshKeyFields))
}
