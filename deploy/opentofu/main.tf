# The zone and the records that outlive any workload: the apex and mail.
# Application records (nginx.example.com, ...) belong to flaredns, which only
# ever touches names it owns through its TXT records; see ../README.md.

resource "cloudflare_zone" "primary" {
  account_id = var.cloudflare_account_id
  zone       = "example.com"
  plan       = "free"
}

resource "cloudflare_record" "mx_google" {
  zone_id  = cloudflare_zone.primary.id
  name     = "example.com"
  type     = "MX"
  content  = "aspmx.l.google.com"
  priority = 1
  ttl      = 3600
}

resource "cloudflare_record" "spf" {
  zone_id = cloudflare_zone.primary.id
  name    = "example.com"
  type    = "TXT"
  content = "v=spf1 include:_spf.google.com ~all"
  ttl     = 3600
}
