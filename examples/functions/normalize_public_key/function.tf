# Terraform 1.8 and later.
output "one_line" {
  value = provider::packet::normalize_public_key(file("${path.module}/keys/admin-putty.pub"))
}
