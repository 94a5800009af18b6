# Retrieve Cloudflare Account ID from a data source or variable
variable "cloudflare_account_id" {
  type        = string
  description = "The Account ID of your Cloudflare account."
}

# Manage the DNS Zone itself
resource "cloudflare_zone" "primary" {
  account_id = var.cloudflare_account_id
  zone       = "example.com"
  plan       = "free" # Or "pro", "business", etc.
}

# Manage a static MX record for email
resource "cloudflare_record" "mx_google" {
  zone_id = cloudflare_zone.primary.id
  name    = "example.com"
  type    = "MX"
  value   = "aspmx.l.google.com"
  priority = 1
  ttl      = 3600
}

# Manage a static SPF record
resource "cloudflare_record" "spf" {
  zone_id = cloudflare_zone.primary.id
  name    = "example.com"
  type    = "TXT"
  value   = "v=spf1 include:_spf.google.com ~all"
  ttl     = 3600
}
