variable "api_url" {
  description = "API URL of packet-mock (its api_url= line)."
  type        = string
}

variable "token" {
  description = "API token packet-mock was started with."
  type        = string
  sensitive   = true
}

variable "project_id" {
  description = "The seeded project (packet-mock's project_id= line)."
  type        = string
}

variable "device_id" {
  description = "The running device (packet-mock's device_id= line)."
  type        = string
}

variable "putty_key_file" {
  description = "The PuTTY key, relative to this directory: the .ppk, or the same key as one OpenSSH line with another comment."
  type        = string
  default     = "keys/putty-demo.ppk"
}
