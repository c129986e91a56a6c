package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

func (r *deviceKeyAttachmentResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	attrs := lineAttributes()
	resp.Schema = schema.Schema{
		MarkdownDescription: "Puts an SSH key into the `authorized_keys` of a device that already runs, and takes it out " +
			"again on destroy. The platform copies keys onto a server only when it is provisioned; this resource does " +
			"what its guide says to do by hand (log in, append the key), over SSH/SFTP, keeping every other line of the " +
			"file as it is.\n\n" +
			"**Ownership.** The attachment owns exactly the line it wrote, recorded in state (`authorized_keys_line`) and " +
			"on the machine beside the file (`writer_id`); another line of the same key is never read, changed or " +
			"removed. If a line with the same key that this provider did not write is already in the file (put there " +
			"at provisioning, or by a person, with any comment or options), create changes nothing, sets " +
			"`pre_existing = true` and warns; destroy then leaves that line in place. A key changed or deleted in the " +
			"API while attached is replaced, old line first.\n\n" +
			"**Host key.** `ssh.host_key` or `ssh.known_hosts_file` are checked strictly. Without them the first " +
			"connection trusts the device's host key and pins it in `pinned_host_key` (a warning shows its SHA256 " +
			"fingerprint), like OpenSSH's `accept-new`; every later connection must present the same key. The root " +
			"password is sent only to a host whose key is given or pinned: plan, refresh, import and query never send " +
			"it to another.\n\n" +
			"Credentials are never stored in state. They are offered in this order: the provider's " +
			"`ssh { private_key }`, this resource's write-only `ssh.private_key_wo`, the ssh-agent, a private key file " +
			"(`ssh.private_key_file`, else the provider's), and the device's root password read from the API at the " +
			"moment of use (`ssh.use_root_password`; the API shows it for 24 hours after provisioning).\n\n" +
			"Import by `<device_id>/<ssh_key_id>`, or on Terraform 1.12+ with an `import` block's " +
			"`identity = { device_id = \"…\", ssh_key_id = \"…\" }`. An imported line is recorded as `pre_existing`, so " +
			"destroy leaves it on the device.",
		Attributes: withAttributes(attrs, map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "`<device_id>/<ssh_key_id>`.",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"device_id": schema.StringAttribute{
				MarkdownDescription: "UUID of the device. Changing it replaces the attachment.",
				Required:            true,
				Validators:          []validator.String{uuidValidator()},
				PlanModifiers:       replace,
			},
			"ssh_key_id": schema.StringAttribute{
				MarkdownDescription: "UUID of the project or personal key to put on the device. Changing it replaces the attachment.",
				Required:            true,
				Validators:          []validator.String{uuidValidator()},
				PlanModifiers:       replace,
			},
			"ssh": connectionSchema(),
			"public_key": schema.StringAttribute{
				MarkdownDescription: "The key written to `authorized_keys` (without the options).",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"ssh_address": schema.StringAttribute{
				MarkdownDescription: "The address (`host:port`) the line was written over: the device's public IPv4 unless " +
					"`ssh.host` says otherwise. Kept so that a `moved` block to `packet_authorized_key` needs no API.",
				Computed:      true,
				PlanModifiers: keep,
			},
			"provisioned": schema.BoolAttribute{
				MarkdownDescription: "Whether the API lists the key among the keys the platform put on the device when it " +
					"was provisioned. Information only; see `pre_existing` for what destroy does.",
				Computed: true,
			},
		}),
	}
}

func connectionSchema() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		MarkdownDescription: "How to reach the device over SSH (`connection` is reserved by Terraform for " +
			"provisioners). Everything is optional; the defaults reach a device by its public IPv4 as `root` with the " +
			"provider's `ssh` block credentials, pinning its host key on first use.",
		Optional: true,
		Attributes: map[string]schema.Attribute{
			"host": schema.StringAttribute{
				MarkdownDescription: "Host to connect to. Default: the device's public IPv4 from the API.",
				Optional:            true,
			},
			"port": schema.Int64Attribute{
				MarkdownDescription: "SSH port. Default 22 (or the port `packet-mock` reports for its simulated devices).",
				Optional:            true,
				Validators:          []validator.Int64{int64validator.Between(1, 65535)},
			},
			"user": schema.StringAttribute{
				MarkdownDescription: "User whose `authorized_keys` is edited. Default: the provider's `ssh { user }`, else `root`.",
				Optional:            true,
			},
			"private_key_file": schema.StringAttribute{
				MarkdownDescription: "Private key file to log in with (`~` is expanded); it must exist at plan time. The path " +
					"is kept in state, never the key.",
				Optional: true,
			},
			"private_key_wo": schema.StringAttribute{
				MarkdownDescription: "Private key (OpenSSH or PEM, unencrypted) to log in with, e.g. from a secret store or " +
					"an ephemeral resource. Write-only (Terraform 1.11 or later): never stored in state or plan. Terraform " +
					"passes write-only values to create and update only, so refresh skips the on-device check and destroy " +
					"needs another credential (the provider's `ssh` block, the agent, a key file) unless the line was " +
					"pre-existing. Change `private_key_wo_version` to have a new key used.",
				Optional:  true,
				Sensitive: true,
				WriteOnly: true,
			},
			"private_key_wo_version": schema.Int64Attribute{
				MarkdownDescription: "Any number; change it when `private_key_wo` changes, since Terraform cannot see " +
					"changes of a write-only value.",
				Optional: true,
			},
			"agent": schema.BoolAttribute{
				MarkdownDescription: "Use the ssh-agent at `SSH_AUTH_SOCK`. Default: the provider's `ssh { agent }`, else whether `SSH_AUTH_SOCK` is set.",
				Optional:            true,
			},
			"use_root_password": schema.BoolAttribute{
				MarkdownDescription: "Log in with the device's root password, read from the API at the moment of use and " +
					"never stored. The API shows it only for 24 hours after provisioning.",
				Optional: true,
			},
			"host_key": schema.StringAttribute{
				MarkdownDescription: "The device's SSH host key (an OpenSSH public key line, or a `known_hosts` line). " +
					"Checked strictly; wins over `known_hosts_file` and over the key pinned on first use.",
				Optional: true,
			},
			"known_hosts_file": schema.StringAttribute{
				MarkdownDescription: "A `known_hosts` file to check the host key against, strictly (the device must be in " +
					"it). Default: the provider's `ssh { known_hosts_file }`, else trust on first use.",
				Optional: true,
			},
			"jump": jumpSchema(),
			"insecure_ignore_host_key": schema.BoolAttribute{
				MarkdownDescription: "Skip the host key check entirely, pinned key included. Anyone between you and the " +
					"device could then take over the session; use it only on networks you trust. A warning says it is on. " +
					"Cannot be combined with `host_key` or `known_hosts_file`.",
				Optional: true,
			},
			"authorized_keys_path": schema.StringAttribute{
				MarkdownDescription: "The file to edit, relative to the user's home (or absolute). Default " +
					"`.ssh/authorized_keys`. A symlink is followed and its target edited only when the link and every " +
					"directory on the way belong to the login user or root and are writable by no one else; otherwise the " +
					"edit is refused. Changing it (or `user`) replaces the attachment.",
				Optional: true,
			},
		},
	}
}
