package provider

import (
	"context"
	"net"
	"strconv"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"golang.org/x/crypto/ssh"

	"github.com/packethost/terraform-provider-packet/internal/authorizedkeys"
)

var _ datasource.DataSourceWithConfigure = (*authorizedKeysDataSource)(nil)

// authorizedKeysDataSource reads every line of one host's authorized_keys
// and says what each is, for audits and `check` blocks.
type authorizedKeysDataSource struct {
	apiDataSource
}

// NewAuthorizedKeysDataSource is data "packet_authorized_keys".
func NewAuthorizedKeysDataSource() datasource.DataSource { return &authorizedKeysDataSource{} }

type authorizedKeysDataModel struct {
	Host               types.String             `tfsdk:"host"`
	Port               types.Int64              `tfsdk:"port"`
	User               types.String             `tfsdk:"user"`
	AuthorizedKeysPath types.String             `tfsdk:"authorized_keys_path"`
	SSH                *hostConnectionDataModel `tfsdk:"ssh"`
	File               types.String             `tfsdk:"file"`
	HostKey            types.String             `tfsdk:"host_key_seen"`
	Lines              []auditedLine            `tfsdk:"lines"`
}

// hostConnectionDataModel is hostConnectionModel without the write-only key.
type hostConnectionDataModel struct {
	PrivateKeyFile        types.String `tfsdk:"private_key_file"`
	Agent                 types.Bool   `tfsdk:"agent"`
	HostKey               types.String `tfsdk:"host_key"`
	KnownHostsFile        types.String `tfsdk:"known_hosts_file"`
	InsecureIgnoreHostKey types.Bool   `tfsdk:"insecure_ignore_host_key"`
}

type auditedLine struct {
	Number            types.Int64  `tfsdk:"number"`
	Kind              types.String `tfsdk:"kind"`
	Algorithm         types.String `tfsdk:"algorithm"`
	Fingerprint       types.String `tfsdk:"fingerprint"`
	FingerprintSHA256 types.String `tfsdk:"fingerprint_sha256"`
	Comment           types.String `tfsdk:"comment"`
	Options           []string     `tfsdk:"options"`
	ExpiresAt         types.String `tfsdk:"expires_at"`
}

func (d *authorizedKeysDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_authorized_keys"
}

func (d *authorizedKeysDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	str := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: desc, Computed: true}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Every line of one SSH server's `authorized_keys`, with what it is, for audits and `check` " +
			"blocks (\"no unmanaged keys on the bastion\"). Nothing is written. Option values are never reported, only " +
			"their names (an `environment=` may hold a secret). Needs no API token. The host key is checked against " +
			"`ssh.host_key` or `ssh.known_hosts_file`; without them the key seen is reported in `host_key_seen` (a data " +
			"source keeps no pin).",
		Attributes: map[string]schema.Attribute{
			"host": schema.StringAttribute{MarkdownDescription: "The SSH server's address.", Required: true},
			"port": schema.Int64Attribute{MarkdownDescription: "SSH port. Default 22.", Optional: true,
				Validators: []validator.Int64{int64validator.Between(1, 65535)}},
			"user": schema.StringAttribute{MarkdownDescription: "The login user, whose file is read. Default: the " +
				"provider's `ssh { user }`, else `root`.", Optional: true},
			"authorized_keys_path": schema.StringAttribute{MarkdownDescription: "The file, relative to the login user's " +
				"home (or absolute). Default `.ssh/authorized_keys`.", Optional: true},
			"ssh":           dataSourceConnectionSchema(),
			"file":          str("The absolute path read, after symlinks."),
			"host_key_seen": str("The host key the server presented (OpenSSH public key line)."),
			"lines": schema.ListNestedAttribute{
				MarkdownDescription: "Every line that is not blank or a comment, in file order.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"number": schema.Int64Attribute{MarkdownDescription: "Line number, from 1.", Computed: true},
					"kind": str("`managed` (written by this provider, recorded beside the file), `expired` (its " +
						"`expiry-time` has passed), `cert_authority`, `restricted` (`command=`, `from=` or `restrict`), " +
						"`invalid` (sshd ignores it) or `unmanaged` (anything else: by hand, at provisioning, another tool)."),
					"algorithm":          str("Key algorithm; null for an invalid line."),
					"fingerprint":        str("MD5 fingerprint (colon hex)."),
					"fingerprint_sha256": str("SHA256 fingerprint, as `ssh-keygen -l` prints it."),
					"comment":            str("The key's comment."),
					"options": schema.ListAttribute{MarkdownDescription: "The names of the line's options (never their values).",
						ElementType: types.StringType, Computed: true},
					"expires_at": str("The line's `expiry-time` as RFC 3339, if it has one."),
				}},
			},
		},
	}
}

// dataSourceConnectionSchema is packet_authorized_key's `ssh` for a data
// source: the same names, descriptions and checks, less the write-only key.
func dataSourceConnectionSchema() schema.SingleNestedAttribute {
	from := hostConnectionSchema()
	attrs := map[string]schema.Attribute{}
	for name, a := range from.Attributes {
		switch a := a.(type) {
		case rschema.StringAttribute:
			if !a.WriteOnly {
				attrs[name] = schema.StringAttribute{MarkdownDescription: a.MarkdownDescription, Optional: true, Validators: a.Validators}
			}
		case rschema.BoolAttribute:
			attrs[name] = schema.BoolAttribute{MarkdownDescription: a.MarkdownDescription, Optional: true}
		}
	}
	return schema.SingleNestedAttribute{MarkdownDescription: from.MarkdownDescription, Optional: true, Attributes: attrs}
}

func (d *authorizedKeysDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var cfg authorizedKeysDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() || d.data == nil {
		return
	}
	c := cfg.SSH
	if c == nil {
		c = &hostConnectionDataModel{}
	}
	settings := (&connectionModel{
		Host: cfg.Host, Port: cfg.Port, User: cfg.User, AuthorizedKeysPath: cfg.AuthorizedKeysPath,
		PrivateKeyFile: c.PrivateKeyFile, PrivateKeyWO: types.StringNull(), PrivateKeyWOVersion: types.Int64Null(),
		Agent: c.Agent, HostKey: c.HostKey, KnownHostsFile: c.KnownHostsFile, InsecureIgnoreHostKey: c.InsecureIgnoreHostKey,
		UseRootPassword: types.BoolNull(),
	}).settings()
	conn, diags := resolveConnection(connectionInputs{
		Resource:   settings,
		Provider:   d.data.ssh,
		NeedLogin:  true,
		FileExists: localFileReadable,
		KnownPin:   d.data.pins.For,
		Reading:    true,
	})
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	subject := "Host " + net.JoinHostPort(conn.Target.Host, strconv.Itoa(conn.Target.Port))
	ctx, cancel := context.WithTimeout(ctx, sshOperationTimeout)
	defer cancel()
	file, lines, out, err := d.data.machines.Audit(ctx, conn.Endpoint, d.data.now())
	if err != nil {
		resp.Diagnostics.Append(machineErrorDiagnostic("Could not read authorized_keys", subject, conn, err))
		return
	}
	cfg.File, cfg.HostKey = stringOrNull(file), stringOrNull(out.HostKey)
	cfg.Lines = make([]auditedLine, 0, len(lines))
	for _, li := range lines {
		cfg.Lines = append(cfg.Lines, auditLine(li))
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &cfg)...)
}

func auditLine(li authorizedkeys.LineInfo) auditedLine {
	a := auditedLine{
		Number: types.Int64Value(int64(li.Number)), Kind: types.StringValue(li.Kind),
		Algorithm: types.StringNull(), Fingerprint: types.StringNull(), FingerprintSHA256: types.StringNull(),
		Comment: stringOrNull(li.Comment), Options: li.OptionNames, ExpiresAt: types.StringNull(),
	}
	if a.Options == nil {
		a.Options = []string{}
	}
	if li.Key != nil {
		a.Algorithm = types.StringValue(li.Key.Type())
		a.Fingerprint = types.StringValue(ssh.FingerprintLegacyMD5(li.Key))
		a.FingerprintSHA256 = types.StringValue(ssh.FingerprintSHA256(li.Key))
	}
	if !li.Expiry.IsZero() {
		a.ExpiresAt = types.StringValue(li.Expiry.Format(time.RFC3339))
	}
	return a
}
