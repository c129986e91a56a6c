# Every line of the bastion's authorized_keys, with what it is. No API token.
data "packet_authorized_keys" "bastion" {
  host = "203.0.113.10"
  ssh = {
    known_hosts_file = "~/.ssh/known_hosts"
  }
}

# A check block warns on every plan while a key placed by hand (or by any
# tool but this provider) is on the bastion.
check "no_unmanaged_keys" {
  assert {
    condition = length([
      for l in data.packet_authorized_keys.bastion.lines : l if l.kind == "unmanaged"
    ]) == 0
    error_message = "The bastion has keys this provider did not write: adopt them with packet_authorized_key (import) or remove them."
  }
}
