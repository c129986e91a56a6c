package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func (r *authorizedKeyResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	// A target the state does not know yet (after a move from an
	// attachment) is taken from the configuration; a known one that
	// changes is another file: replace.
	replaceString := []planmodifier.String{stringplanmodifier.RequiresReplaceIf(knownAndChanged, "Changing it replaces the resource.", "Changing it replaces the resource.")}
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	attrs := lineAttributes()
	resp.Schema = schema.Schema{
		MarkdownDescription: "One key line in the `authorized_keys` of any SSH server — no platform, no API token. " +
			"It is the engine of `packet_device_key_attachment` with a host instead of a device: it writes the line over " +
			"SSH/SFTP under a lock, owns exactly the line it wrote (`authorized_keys_line`, recorded beside the file as " +
			"`writer_id`), never touches another line of the same key, and takes its line out again on destroy.\n\n" +
			"A line of the key that this provider did not write is `pre_existing`: left as it is, and left on destroy. " +
			"The host key is checked against `ssh.host_key` or `ssh.known_hosts_file`, else trusted on first use and " +
			"pinned in `pinned_host_key`. It logs in with keys only (the provider's `ssh { private_key }`, " +
			"`ssh.private_key_wo`, the ssh-agent, a key file); credentials are never stored.\n\n" +
			"Import by `<user>@<host>:<port>:<authorized_keys_path>:<fingerprint_sha256>` (IPv6 hosts in brackets), or on " +
			"Terraform 1.12+ by identity. An imported line is `pre_existing`. A `moved` block from " +
			"`packet_device_key_attachment` carries the line, its ownership, options and pin over with no change on " +
			"the host.",
		Attributes: withAttributes(attrs, map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "`<user>@<host>:<port>:<authorized_keys_path>:<fingerprint_sha256>`.",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"host": schema.StringAttribute{
				MarkdownDescription: "The SSH server's address (name or IP). Changing it replaces the resource.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
				PlanModifiers:       replaceString,
			},
			"port": schema.Int64Attribute{
				MarkdownDescription: "SSH port. Default 22. Changing it replaces the resource.",
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(defaultSSHPort),
				Validators:          []validator.Int64{int64validator.Between(1, 65535)},
				PlanModifiers: []planmodifier.Int64{int64planmodifier.RequiresReplaceIf(knownAndChangedInt,
					"Changing it replaces the resource.", "Changing it replaces the resource.")},
			},
			"user": schema.StringAttribute{
				MarkdownDescription: "The login user, whose `authorized_keys` is edited. Default: the provider's " +
					"`ssh { user }`, else `root`. Changing it replaces the resource.",
				Optional:      true,
				Computed:      true,
				PlanModifiers: append([]planmodifier.String{stringplanmodifier.UseStateForUnknown()}, replaceString...),
			},
			"authorized_keys_path": schema.StringAttribute{
				MarkdownDescription: "The file, relative to the login user's home (or absolute). Default " +
					"`.ssh/authorized_keys`. A symlink is followed only when the link and every directory on the way belong " +
					"to the login user or root and are writable by no one else. Changing it replaces the resource.",
				Optional:      true,
				Computed:      true,
				Default:       stringdefault.StaticString(defaultAuthorizedKeysPath),
				PlanModifiers: replaceString,
			},
			"public_key": schema.StringAttribute{
				MarkdownDescription: "The key to put there: an OpenSSH line (`file(\"deploy.pub\")`) or the RFC 4716 form " +
					"PuTTYgen writes, or `data.packet_ssh_public_key`'s `public_key` for a `.ppk` or private key file. It is " +
					"written as one OpenSSH line. Another comment or form of the same key is no change; another key " +
					"replaces the resource. Private keys, DSA and RSA under 2048 bits are refused at plan time, and so is a " +
					"line with options: set them with `options`.",
				Required:      true,
				CustomType:    publicKeyType{},
				Validators:    []validator.String{uploadablePublicKey()},
				PlanModifiers: []planmodifier.String{keepPriorIfSameKey{}, stringplanmodifier.RequiresReplace()},
			},
			"ssh": hostConnectionSchema(),
		}),
	}
}

// knownAndChanged: replace only when the state knew a value and it changes.
func knownAndChanged(_ context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
	resp.RequiresReplace = !req.StateValue.IsNull() && !req.PlanValue.IsUnknown() && !req.StateValue.Equal(req.PlanValue)
}

func knownAndChangedInt(_ context.Context, req planmodifier.Int64Request, resp *int64planmodifier.RequiresReplaceIfFuncResponse) {
	resp.RequiresReplace = !req.StateValue.IsNull() && !req.PlanValue.IsUnknown() && !req.StateValue.Equal(req.PlanValue)
}

// hostConnectionSchema is the attachment's `ssh` less the target (host,
// port, user, path are the resource's own) and the root password.
func hostConnectionSchema() schema.SingleNestedAttribute {
	from := connectionSchema()
	attrs := map[string]schema.Attribute{}
	for _, name := range []string{"private_key_file", "private_key_wo", "private_key_wo_version", "agent", "host_key",
		"known_hosts_file", "insecure_ignore_host_key", "jump"} {
		attrs[name] = from.Attributes[name]
	}
	return schema.SingleNestedAttribute{
		MarkdownDescription: "How to log in and whom to trust (never where: that is `host`, `port`, `user`). Everything " +
			"is optional; the provider's `ssh` block gives the defaults. `connection` is reserved by Terraform.",
		Optional:   true,
		Attributes: attrs,
	}
}

// id is the resource's id: the target and the key.
func (m *authorizedKeyModel) id() string {
	return fmt.Sprintf("%s@%s:%s:%s", m.User.ValueString(),
		net.JoinHostPort(m.Host.ValueString(), strconv.FormatInt(m.Port.ValueInt64(), 10)),
		m.AuthorizedKeysPath.ValueString(), m.FingerprintSHA256.ValueString())
}

// authorizedKeyIdentity names one line for Terraform 1.12+.
type authorizedKeyIdentity struct {
	Host               types.String `tfsdk:"host"`
	Port               types.Int64  `tfsdk:"port"`
	User               types.String `tfsdk:"user"`
	AuthorizedKeysPath types.String `tfsdk:"authorized_keys_path"`
	FingerprintSHA256  types.String `tfsdk:"fingerprint_sha256"`
}

func (r *authorizedKeyResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"host":                 identityschema.StringAttribute{RequiredForImport: true, Description: "The SSH server's address."},
			"port":                 identityschema.Int64Attribute{OptionalForImport: true, Description: "SSH port (default 22)."},
			"user":                 identityschema.StringAttribute{OptionalForImport: true, Description: "The login user (default root)."},
			"authorized_keys_path": identityschema.StringAttribute{OptionalForImport: true, Description: "The file (default .ssh/authorized_keys)."},
			"fingerprint_sha256":   identityschema.StringAttribute{RequiredForImport: true, Description: "SHA256 fingerprint of the key."},
		},
	}
}

func (m *authorizedKeyModel) identity(ctx context.Context, identity *tfsdk.ResourceIdentity) diag.Diagnostics {
	if identity == nil {
		return nil
	}
	return identity.Set(ctx, authorizedKeyIdentity{Host: m.Host, Port: m.Port, User: m.User,
		AuthorizedKeysPath: m.AuthorizedKeysPath, FingerprintSHA256: m.FingerprintSHA256})
}

// ImportState takes `<user>@<host>:<port>:<path>:<fingerprint_sha256>` or
// an identity. The Read that follows finds the line by the fingerprint.
func (r *authorizedKeyResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	var id authorizedKeyIdentity
	if req.ID == "" && req.Identity != nil {
		resp.Diagnostics.Append(req.Identity.Get(ctx, &id)...)
	} else {
		var err error
		if id, err = parseAuthorizedKeyID(req.ID); err != nil {
			resp.Diagnostics.AddError("Invalid import id", err.Error())
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}
	if id.Port.IsNull() || id.Port.IsUnknown() {
		id.Port = types.Int64Value(defaultSSHPort)
	}
	if id.User.ValueString() == "" {
		id.User = types.StringValue(firstNonEmpty(r.sshUser(), defaultSSHUser))
	}
	if id.AuthorizedKeysPath.ValueString() == "" {
		id.AuthorizedKeysPath = types.StringValue(defaultAuthorizedKeysPath)
	}
	if !strings.HasPrefix(id.FingerprintSHA256.ValueString(), "SHA256:") {
		resp.Diagnostics.AddError("Invalid import identity",
			fmt.Sprintf("fingerprint_sha256 %q is not a SHA256 fingerprint as ssh-keygen -l prints it (SHA256:...).",
				id.FingerprintSHA256.ValueString()))
		return
	}
	m := authorizedKeyModel{Host: id.Host, Port: id.Port, User: id.User, AuthorizedKeysPath: id.AuthorizedKeysPath,
		PublicKey: publicKeyValue{StringValue: types.StringNull()}}
	m.FingerprintSHA256 = id.FingerprintSHA256
	m.PreExisting = types.BoolValue(true) // this state did not write the line: destroy leaves it
	m.ID = types.StringValue(m.id())
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
	resp.Diagnostics.Append(m.identity(ctx, resp.Identity)...)
}

func (r *authorizedKeyResource) sshUser() string {
	if r.data == nil {
		return ""
	}
	return r.data.ssh.User
}

// parseAuthorizedKeyID reads `<user>@<host>:<port>:<path>:SHA256:<fp>`.
func parseAuthorizedKeyID(s string) (authorizedKeyIdentity, error) {
	var id authorizedKeyIdentity
	bad := fmt.Errorf("%q is not <user>@<host>:<port>:<authorized_keys_path>:<fingerprint_sha256>, e.g. "+
		"root@203.0.113.10:22:.ssh/authorized_keys:SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8", s)
	user, rest, ok := strings.Cut(s, "@")
	i := strings.LastIndex(rest, ":SHA256:")
	if !ok || user == "" || i < 0 {
		return id, bad
	}
	target, fp := rest[:i], rest[i+1:]
	hostPort, file, ok := cutHostPort(target)
	if !ok || file == "" {
		return id, bad
	}
	host, portText, err := net.SplitHostPort(hostPort)
	port, perr := strconv.ParseInt(portText, 10, 64)
	if err != nil || perr != nil || host == "" || port < 1 || port > 65535 {
		return id, bad
	}
	return authorizedKeyIdentity{Host: types.StringValue(host), Port: types.Int64Value(port), User: types.StringValue(user),
		AuthorizedKeysPath: types.StringValue(file), FingerprintSHA256: types.StringValue(fp)}, nil
}

// cutHostPort splits "host:port:rest" (host may be "[v6]").
func cutHostPort(s string) (hostPort, rest string, ok bool) {
	start := 0
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]")
		if end < 0 {
			return "", "", false
		}
		start = end
	}
	first := strings.Index(s[start:], ":")
	if first < 0 {
		return "", "", false
	}
	second := strings.Index(s[start+first+1:], ":")
	if second < 0 {
		return "", "", false
	}
	cut := start + first + 1 + second
	return s[:cut], s[cut+1:], true
}

func (r *authorizedKeyResource) MoveState(context.Context) []resource.StateMover {
	return []resource.StateMover{{StateMover: r.moveFromAttachment}}
}

// moveFromAttachment carries a packet_device_key_attachment over: the line
// as written, its ownership, options and pin. Nothing is read from the API
// (it may be retired) and nothing changes on the host; what the attachment
// never stored (the device's address when ssh.host was not set) comes from
// the configuration at the next apply, which connects to it first.
func (r *authorizedKeyResource) moveFromAttachment(ctx context.Context, req resource.MoveStateRequest, resp *resource.MoveStateResponse) {
	if req.SourceTypeName != "packet_device_key_attachment" || !strings.HasSuffix(req.SourceProviderAddress, "/packet") {
		return // not ours: the framework reports that no mover took it
	}
	if req.SourceRawState == nil {
		resp.Diagnostics.AddError("Nothing to move", "The moved attachment has no state.")
		return
	}
	var src struct {
		PublicKey     string  `json:"public_key"`
		Options       *string `json:"options"`
		PreExisting   *bool   `json:"pre_existing"`
		Provisioned   bool    `json:"provisioned"`
		PinnedHostKey *string `json:"pinned_host_key"`
		Address       *string `json:"ssh_address"`
		Line          *string `json:"authorized_keys_line"`
		File          *string `json:"authorized_keys_file"`
		WriterID      *string `json:"writer_id"`
		SSH           *struct {
			Host                  *string `json:"host"`
			Port                  *int64  `json:"port"`
			User                  *string `json:"user"`
			PrivateKeyFile        *string `json:"private_key_file"`
			PrivateKeyWOVersion   *int64  `json:"private_key_wo_version"`
			Agent                 *bool   `json:"agent"`
			HostKey               *string `json:"host_key"`
			KnownHostsFile        *string `json:"known_hosts_file"`
			InsecureIgnoreHostKey *bool   `json:"insecure_ignore_host_key"`
			AuthorizedKeysPath    *string `json:"authorized_keys_path"`
			Jump                  *struct {
				Host           *string `json:"host"`
				Port           *int64  `json:"port"`
				User           *string `json:"user"`
				PrivateKeyFile *string `json:"private_key_file"`
				HostKey        *string `json:"host_key"`
				KnownHostsFile *string `json:"known_hosts_file"`
			} `json:"jump"`
		} `json:"ssh"`
	}
	if err := json.Unmarshal(req.SourceRawState.JSON, &src); err != nil {
		resp.Diagnostics.AddError("Cannot read the moved attachment's state", err.Error())
		return
	}
	key, err := parsePublicKey(publicKeyValue{StringValue: types.StringValue(src.PublicKey)})
	if err != nil {
		resp.Diagnostics.AddError("Cannot read the moved attachment's key", err.Error())
		return
	}
	m := authorizedKeyModel{PublicKey: publicKeyValue{StringValue: types.StringValue(key.Line())}}
	m.Host, m.Port = types.StringNull(), types.Int64Null()
	m.User = types.StringValue(firstNonEmpty(r.sshUser(), defaultSSHUser))
	m.AuthorizedKeysPath = types.StringValue(defaultAuthorizedKeysPath)
	if s := src.SSH; s != nil {
		m.Host, m.Port = types.StringPointerValue(s.Host), types.Int64PointerValue(s.Port)
		if s.User != nil {
			m.User = types.StringValue(*s.User)
		}
		if s.AuthorizedKeysPath != nil {
			m.AuthorizedKeysPath = types.StringValue(*s.AuthorizedKeysPath)
		}
		m.SSH = &hostConnectionModel{
			PrivateKeyFile: types.StringPointerValue(s.PrivateKeyFile), PrivateKeyWO: types.StringNull(),
			PrivateKeyWOVersion: types.Int64PointerValue(s.PrivateKeyWOVersion), Agent: types.BoolPointerValue(s.Agent),
			HostKey: types.StringPointerValue(s.HostKey), KnownHostsFile: types.StringPointerValue(s.KnownHostsFile),
			InsecureIgnoreHostKey: types.BoolPointerValue(s.InsecureIgnoreHostKey),
		}
		if j := s.Jump; j != nil {
			m.SSH.Jump = &jumpModel{Host: types.StringPointerValue(j.Host), Port: types.Int64PointerValue(j.Port),
				User: types.StringPointerValue(j.User), PrivateKeyFile: types.StringPointerValue(j.PrivateKeyFile),
				HostKey: types.StringPointerValue(j.HostKey), KnownHostsFile: types.StringPointerValue(j.KnownHostsFile)}
		}
	}
	if src.Address != nil && (m.Host.IsNull() || m.Port.IsNull()) {
		// The address the attachment reached: the device's, from the API then.
		if host, port, err := net.SplitHostPort(*src.Address); err == nil {
			if n, err := strconv.ParseInt(port, 10, 64); err == nil {
				m.Host, m.Port = types.StringValue(host), types.Int64Value(n)
			}
		}
	}
	m.setKey(key)
	m.Options = types.StringPointerValue(src.Options)
	preExisting := src.Provisioned // state from before pre_existing existed
	if src.PreExisting != nil {
		preExisting = *src.PreExisting
	}
	m.PreExisting = types.BoolValue(preExisting)
	m.PinnedHostKey = types.StringPointerValue(src.PinnedHostKey)
	m.Line, m.File, m.WriterID = types.StringPointerValue(src.Line), types.StringPointerValue(src.File), types.StringPointerValue(src.WriterID)
	if !preExisting && m.Line.IsNull() { // written before the line was recorded: it wrote this
		m.Line = types.StringValue(m.lineToWrite(key))
	}
	m.ID = types.StringNull()
	if !m.Host.IsNull() && !m.Port.IsNull() {
		m.ID = types.StringValue(m.id())
	}
	resp.Diagnostics.Append(resp.TargetState.Set(ctx, &m)...)
	if !m.Host.IsNull() && !m.Port.IsNull() {
		resp.Diagnostics.Append(m.identity(ctx, resp.TargetIdentity)...)
	}
}
