# A line is imported by <user>@<host>:<port>:<authorized_keys_path>:<fingerprint_sha256>.
terraform import packet_authorized_key.deploy 'root@203.0.113.10:22:.ssh/authorized_keys:SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8'
