package provider

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	dschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	listschema "github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"golang.org/x/crypto/ssh"
)

var (
	_ list.ListResource              = (*authorizedKeyList)(nil)
	_ list.ListResourceWithConfigure = (*authorizedKeyList)(nil)
)

// authorizedKeyList lists, for `terraform query` (Terraform 1.14+), the key
// lines of one host's authorized_keys with their identities, so lines
// placed by hand can be adopted: imported as pre_existing resources, which
// destroy leaves in place.
type authorizedKeyList struct {
	apiAccess
}

// NewAuthorizedKeyList is the list resource packet_authorized_key.
func NewAuthorizedKeyList() list.ListResource { return &authorizedKeyList{} }

type authorizedKeyListModel struct {
	Host               types.String             `tfsdk:"host"`
	Port               types.Int64              `tfsdk:"port"`
	User               types.String             `tfsdk:"user"`
	AuthorizedKeysPath types.String             `tfsdk:"authorized_keys_path"`
	Kind               types.String             `tfsdk:"kind"`
	SSH                *hostConnectionDataModel `tfsdk:"ssh"`
}

func (l *authorizedKeyList) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_authorized_key"
}

func (l *authorizedKeyList) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	l.configure(req.ProviderData, &resp.Diagnostics)
}

func (l *authorizedKeyList) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	from := dataSourceConnectionSchema()
	sshAttrs := map[string]listschema.Attribute{}
	for name, a := range from.Attributes {
		sshAttrs[name] = listAttributeFrom(a)
	}
	resp.Schema = listschema.Schema{
		MarkdownDescription: "Lists the key lines of one host's `authorized_keys` with each line's identity, so keys " +
			"placed by hand can be imported (as `pre_existing`: destroy leaves them). Needs no API token.",
		Attributes: map[string]listschema.Attribute{
			"host":                 listschema.StringAttribute{MarkdownDescription: "The SSH server's address.", Required: true},
			"port":                 listschema.Int64Attribute{MarkdownDescription: "SSH port. Default 22.", Optional: true},
			"user":                 listschema.StringAttribute{MarkdownDescription: "The login user. Default: the provider's `ssh { user }`, else `root`.", Optional: true},
			"authorized_keys_path": listschema.StringAttribute{MarkdownDescription: "The file. Default `.ssh/authorized_keys`.", Optional: true},
			"kind": listschema.StringAttribute{MarkdownDescription: "Only lines of this kind (as `data.packet_authorized_keys` " +
				"reports it), e.g. `unmanaged`. Default: every line that holds a key.", Optional: true},
			"ssh": listschema.SingleNestedAttribute{MarkdownDescription: from.MarkdownDescription, Optional: true, Attributes: sshAttrs},
		},
	}
}

func (l *authorizedKeyList) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var cfg authorizedKeyListModel
	diags := req.Config.Get(ctx, &cfg)
	var found []authorizedKeyModel
	if !diags.HasError() {
		var d diag.Diagnostics
		found, d = l.find(ctx, cfg)
		diags.Append(d...)
	}
	if diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	stream.Results = func(push func(list.ListResult) bool) {
		for i, m := range found {
			if req.Limit > 0 && int64(i) >= req.Limit {
				return
			}
			result := req.NewListResult(ctx)
			result.DisplayName = fmt.Sprintf("%s (%s) in %s", m.PublicKey.ValueString()[:min(len(m.PublicKey.ValueString()), 20)]+"…",
				m.FingerprintSHA256.ValueString(), m.id())
			if i == 0 {
				result.Diagnostics.Append(diags...) // warnings, once
			}
			result.Diagnostics.Append(m.identity(ctx, result.Identity)...)
			if req.IncludeResource {
				result.Diagnostics.Append(result.Resource.Set(ctx, &m)...)
			}
			if !push(result) {
				return
			}
		}
	}
}

// find audits the host's file and makes each key line the resource an
// import of it would read.
func (l *authorizedKeyList) find(ctx context.Context, cfg authorizedKeyListModel) ([]authorizedKeyModel, diag.Diagnostics) {
	var diags diag.Diagnostics
	if l.data == nil {
		return nil, diags
	}
	c := cfg.SSH
	if c == nil {
		c = &hostConnectionDataModel{}
	}
	base := authorizedKeyModel{Host: cfg.Host, Port: cfg.Port, User: cfg.User, AuthorizedKeysPath: cfg.AuthorizedKeysPath}
	if c.PrivateKeyFile.ValueString()+c.HostKey.ValueString()+c.KnownHostsFile.ValueString() != "" ||
		!c.Agent.IsNull() || !c.InsecureIgnoreHostKey.IsNull() {
		base.SSH = &hostConnectionModel{PrivateKeyFile: c.PrivateKeyFile, PrivateKeyWO: types.StringNull(),
			PrivateKeyWOVersion: types.Int64Null(), Agent: c.Agent, HostKey: c.HostKey, KnownHostsFile: c.KnownHostsFile,
			InsecureIgnoreHostKey: c.InsecureIgnoreHostKey}
	}
	conn, d := resolveConnection(connectionInputs{
		Resource:   base.settings(),
		Provider:   l.data.ssh,
		NeedLogin:  true,
		FileExists: localFileReadable,
		KnownPin:   l.data.pins.For,
		Reading:    true,
	})
	diags.Append(d...)
	if diags.HasError() {
		return nil, diags
	}
	// What the generated configuration says is what the query used.
	base.Port = types.Int64Value(int64(conn.Target.Port))
	base.User = types.StringValue(conn.Target.User)
	base.AuthorizedKeysPath = types.StringValue(conn.Target.AuthorizedKeysPath)
	subject := "Host " + net.JoinHostPort(conn.Target.Host, strconv.Itoa(conn.Target.Port))
	ctx, cancel := context.WithTimeout(ctx, sshOperationTimeout)
	defer cancel()
	_, lines, _, err := l.data.machines.Audit(ctx, conn.Endpoint, l.data.now())
	if err != nil {
		diags.Append(machineErrorDiagnostic("Could not read authorized_keys", subject, conn, err))
		return nil, diags
	}
	var found []authorizedKeyModel
	seen := map[string]bool{}
	for _, li := range lines {
		if li.Key == nil || (!cfg.Kind.IsNull() && li.Kind != cfg.Kind.ValueString()) {
			continue
		}
		fp := ssh.FingerprintSHA256(li.Key)
		if seen[fp] {
			continue // the identity names a key once per file: its first line
		}
		seen[fp] = true
		m := base
		keyLine := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(li.Key)))
		if li.Comment != "" {
			keyLine += " " + li.Comment
		}
		m.PublicKey = publicKeyValue{StringValue: types.StringValue(keyLine)}
		m.Fingerprint = types.StringValue(ssh.FingerprintLegacyMD5(li.Key))
		m.FingerprintSHA256 = types.StringValue(fp)
		m.PreExisting = types.BoolValue(true) // imported lines are never removed by destroy
		m.Options, m.ExpiresAt = types.StringNull(), types.StringNull()
		m.ID = types.StringValue(m.id())
		found = append(found, m)
	}
	return found, diags
}

// listAttributeFrom is a data source attribute as a list configuration's.
func listAttributeFrom(a dschema.Attribute) listschema.Attribute {
	switch a := a.(type) {
	case dschema.StringAttribute:
		return listschema.StringAttribute{MarkdownDescription: a.MarkdownDescription, Optional: true, Validators: a.Validators}
	case dschema.BoolAttribute:
		return listschema.BoolAttribute{MarkdownDescription: a.MarkdownDescription, Optional: true}
	}
	panic(fmt.Sprintf("listAttributeFrom: %T", a)) // only the kinds dataSourceConnectionSchema has
}
