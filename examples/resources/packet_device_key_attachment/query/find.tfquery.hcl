# Every line of the server's authorized_keys whose key is a key of its
# project, or one of yours. Lines of keys the platform does not know are not
# listed. Imported lines are recorded as pre_existing: destroy leaves them.
list "packet_device_key_attachment" "on_web" {
  provider = packet
  config {
    device_id = var.device_id
  }
}
